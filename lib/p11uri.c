/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "p11uri.h"
#include "policy.h"

bool attls_p11uri_is(const char *s)
{
	return s && !strncasecmp(s, "pkcs11:", 7);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [s, s+n) into out (at most max bytes); -1 if malformed. */
static long decode(const char *s, size_t n, unsigned char *out, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (o >= max)
			return -1;
		out[o++] = (unsigned char)c;
	}
	return (long)o;
}

static char *decode_str(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	long len;

	if (!out)
		return NULL;
	len = decode(s, n, (unsigned char *)out, n);
	if (len < 0 || memchr(out, '\0', (size_t)len)) {
		explicit_bzero(out, n); /* it may be a pin-value */
		free(out);
		return NULL;
	}
	out[len] = '\0';
	return out;
}

/* One attribute "name=value"; unknown names are errors, as a typo would be. */
static int attribute(struct attls_p11uri *u, const char *a, size_t n, bool query,
		     char *err, size_t errlen)
{
	const char *eq = memchr(a, '=', n);
	size_t klen;
	char **dst = NULL;

	if (!eq) {
		snprintf(err, errlen, "\"%.*s\" is not name=value", (int)n, a);
		return -1;
	}
	klen = (size_t)(eq - a);
	const char *v = eq + 1;
	size_t vlen = n - klen - 1;
#define IS(name) (klen == strlen(name) && !strncmp(a, name, klen))
	if (!query && IS("id")) {
		long len = decode(v, vlen, u->id, sizeof(u->id));

		if (len <= 0) {
			snprintf(err, errlen, "id: \"%.*s\" is not a percent-encoded id of 1-%d bytes",
				 (int)vlen, v, ATTLS_P11_ID_MAX);
			return -1;
		}
		u->id_len = (size_t)len;
		u->has_id = true;
		return 0;
	}
	if (!query && IS("slot-id")) {
		char buf[24];
		unsigned long n;

		if (vlen == 0 || vlen >= sizeof(buf)) {
			snprintf(err, errlen, "slot-id: not a number");
			return -1;
		}
		memcpy(buf, v, vlen);
		buf[vlen] = '\0';
		if (attls_parse_number(buf, LONG_MAX, &n, NULL) < 0) {
			snprintf(err, errlen, "slot-id: \"%s\" is not a number", buf);
			return -1;
		}
		u->slot_id = (long)n;
		return 0;
	}
	if (!query && IS("token"))
		dst = &u->token;
	else if (!query && IS("object"))
		dst = &u->object;
	else if (!query && IS("type"))
		dst = &u->type;
	else if (!query && (IS("manufacturer") || IS("model") || IS("serial") ||
			    IS("library-manufacturer") || IS("library-description") ||
			    IS("library-version") || IS("slot-description") ||
			    IS("slot-manufacturer")))
		return 0; /* narrows the search on other tokens; one token is named */
	else if (query && IS("module-path"))
		dst = &u->module_path;
	else if (query && IS("pin-source"))
		dst = &u->pin_source;
	else if (query && IS("pin-value"))
		dst = &u->pin_value;
#undef IS
	if (!dst) {
		snprintf(err, errlen, "unknown %s attribute \"%.*s\"", query ? "query" : "path",
			 (int)klen, a);
		return -1;
	}
	if (*dst)
		explicit_bzero(*dst, strlen(*dst));
	free(*dst);
	if (!(*dst = decode_str(v, vlen)) || !**dst) {
		snprintf(err, errlen, "%.*s: bad or empty value", (int)klen, a);
		return -1;
	}
	return 0;
}

static int attributes(struct attls_p11uri *u, const char *s, size_t n, char sep, bool query,
		      char *err, size_t errlen)
{
	while (n) {
		const char *end = memchr(s, sep, n);
		size_t len = end ? (size_t)(end - s) : n;

		if (len && attribute(u, s, len, query, err, errlen) < 0)
			return -1;
		if (!end)
			break;
		n -= len + 1;
		s = end + 1;
	}
	return 0;
}

int attls_p11uri_parse(const char *s, struct attls_p11uri *u, char *err, size_t errlen)
{
	const char *q;

	memset(u, 0, sizeof(*u));
	u->slot_id = -1;
	if (!attls_p11uri_is(s)) {
		snprintf(err, errlen, "not a pkcs11: URI");
		return -1;
	}
	s += 7;
	q = strchr(s, '?');
	if (attributes(u, s, q ? (size_t)(q - s) : strlen(s), ';', false, err, errlen) < 0 ||
	    (q && attributes(u, q + 1, strlen(q + 1), '&', true, err, errlen) < 0))
		goto fail;
	if (!u->token && u->slot_id < 0) {
		snprintf(err, errlen, "the URI names no token (token=... or slot-id=...)");
		goto fail;
	}
	if (!u->object && !u->has_id) {
		snprintf(err, errlen, "the URI names no object (object=... or id=...)");
		goto fail;
	}
	return 0;
fail:
	attls_p11uri_free(u);
	return -1;
}

void attls_p11uri_free(struct attls_p11uri *u)
{
	free(u->token);
	free(u->object);
	free(u->type);
	free(u->module_path);
	free(u->pin_source);
	if (u->pin_value)
		explicit_bzero(u->pin_value, strlen(u->pin_value));
	free(u->pin_value);
	memset(u, 0, sizeof(*u));
	u->slot_id = -1;
}
