/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy loader: INI (inih) to a validated struct attls_policy. Every
 * error names the file, the line and the key. Unknown sections and keys
 * are errors, so that a typo never weakens security silently.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "sysio.h"
#include "allowpeer.h"
#include "filetrust.h"
#include "matchindex.h"
#include "namemap.h"
#include "p11uri.h"
#include "policy.h"
#include "staple.h"

void attls_errors_add(struct attls_errors *e, const char *file, int line,
		      const char *fmt, ...)
{
	char msg[512];
	char **n;
	va_list ap;
	int off;

	off = line > 0 ? snprintf(msg, sizeof(msg), "%s:%d: ", file, line) :
			 snprintf(msg, sizeof(msg), "%s: ", file);
	/* snprintf returns what it would have written: a long path is cut. */
	if (off < 0)
		off = 0;
	if ((size_t)off < sizeof(msg) - 1) {
		va_start(ap, fmt);
		vsnprintf(msg + off, sizeof(msg) - (size_t)off, fmt, ap);
		va_end(ap);
	}
	/* Doubled when full (n zero or a power of two): O(1) per error. */
	if (!(e->n & (e->n - 1))) {
		n = realloc(e->msg, (e->n ? 2 * e->n : 1) * sizeof(*n));
		if (!n)
			return;
		e->msg = n;
	}
	/*
	 * A PIN in a value that failed (a pkcs11 URI whose pin-value ended up
	 * in another attribute) is never printed: errors go to logs.
	 */
	{
		size_t shown_len;

		e->msg[e->n] = attls_policy_text_shown(msg, strlen(msg), &shown_len);
	}
	if (e->msg[e->n])
		e->n++;
}

void attls_errors_free(struct attls_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

enum section_kind { SEC_NONE, SEC_BAD, SEC_GLOBAL, SEC_CRYPTO, SEC_KEYRING,
		    SEC_SECURITY, SEC_TRAFFIC };

struct loader {
	const char *file;
	const char *buf; /* the whole file, read before parsing */
	size_t len, pos;
	struct stat st; /* of the policy file, as opened */
	unsigned flags; /* ATTLS_POLICY_* */
	int lineno;
	struct attls_policy *p;
	struct attls_errors *errs;
	enum section_kind kind;
	size_t index;        /* of the keyring, security or traffic section */
	unsigned long seen;  /* keys already given in this section */
	int global_line, crypto_line;
	/* [global]'s and [crypto]'s refused keys and errors (the others' are theirs). */
	unsigned long global_refused, crypto_refused;
	bool global_broken, crypto_broken;
	/* Every named section, by its kind's letter and its name: its index. */
	struct attls_namemap names;
};

#define ERR(ld, ...) attls_errors_add((ld)->errs, (ld)->file, (ld)->lineno, __VA_ARGS__)

static const char *const global_keys[] = { "trace", "syslog_facility",
					   "handshake_timeout", "ticket_key_file",
					   "sessions_from", "inherit", NULL };
static const char *const crypto_keys[] = { "device", "module_path", "pin_source",
					     "pin_value", NULL };
static const char *const keyring_keys[] = { "cert", "key", "ca", "crl", "crl_expired", "ocsp",
					     "ocsp_url", "ocsp_timeout", "ocsp_staple", NULL };
static const char *const security_keys[] = { "protocols", "ciphers",
					     "client_auth", "allow_legacy", "allow_peer", NULL };
static const char *const traffic_keys[] = {
	"direction", "local_port", "remote_port", "local_addr", "remote_addr",
	"jobname", "user", "role", "server_name", "keyring", "security",
	"priority", "enabled", "trace", "allow_peer", NULL
};

static const char *const *section_keys(enum section_kind k)
{
	switch (k) {
	case SEC_GLOBAL: return global_keys;
	case SEC_CRYPTO: return crypto_keys;
	case SEC_KEYRING: return keyring_keys;
	case SEC_SECURITY: return security_keys;
	case SEC_TRAFFIC: return traffic_keys;
	default: return NULL;
	}
}

static const char *kind_name(enum section_kind k)
{
	switch (k) {
	case SEC_GLOBAL: return "global";
	case SEC_CRYPTO: return "crypto";
	case SEC_KEYRING: return "keyring";
	case SEC_SECURITY: return "security";
	case SEC_TRAFFIC: return "traffic";
	default: return "?";
	}
}

/*
 * Where the current section notes its errors: the keys whose value was
 * refused, and whether any of its lines was an error. NULL outside a
 * section.
 */
static unsigned long *section_refused(struct loader *ld, bool **broken)
{
	struct attls_policy *p = ld->p;

	switch (ld->kind) {
	case SEC_GLOBAL: *broken = &ld->global_broken; return &ld->global_refused;
	case SEC_CRYPTO: *broken = &ld->crypto_broken; return &ld->crypto_refused;
	case SEC_KEYRING:
		*broken = &p->keyrings[ld->index].broken;
		return &p->keyrings[ld->index].refused;
	case SEC_SECURITY:
		*broken = &p->security[ld->index].broken;
		return &p->security[ld->index].refused;
	case SEC_TRAFFIC:
		*broken = &p->traffic[ld->index].broken;
		return &p->traffic[ld->index].refused;
	default: return NULL;
	}
}

/* An error at a line of the current section: key (its index, or -1) refused. */
static void section_error(struct loader *ld, int key)
{
	bool *broken;
	unsigned long *refused = section_refused(ld, &broken);

	if (!refused)
		return;
	*broken = true;
	if (key >= 0)
		*refused |= 1ul << key;
}

bool attls_refused(unsigned long refused, const char *kind, const char *key)
{
	enum section_kind k = !strcmp(kind, "keyring") ? SEC_KEYRING :
			      !strcmp(kind, "security") ? SEC_SECURITY : SEC_TRAFFIC;
	const char *const *keys = section_keys(k);

	for (size_t i = 0; keys[i]; i++)
		if (!strcasecmp(keys[i], key))
			return refused & (1ul << i);
	return false;
}

/* Within check_*: whether kr's (sec's, t's) key had its value refused. */
#define REFUSED(sec, kind, key) attls_refused((sec)->refused, kind, key)

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= ATTLS_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-~#@", *s))
			return false;
	return true;
}

/*
 * Room for element n, zeroed. The array doubles when n is zero or a power
 * of two (then it is full), so that n sections cost O(n) copies, not
 * O(n^2).
 */
static void *grow(void *arr, size_t n, size_t size)
{
	void *a = arr;

	if (!(n & (n - 1))) {
		a = realloc(arr, (n ? 2 * n : 1) * size);
		if (!a)
			return NULL;
	}
	memset((char *)a + n * size, 0, size);
	return a;
}

/* A section's key in ld->names: its kind's letter, then its name. */
static size_t name_key(char *key, enum section_kind k, const char *name)
{
	size_t len = strlen(name);

	key[0] = (char)('0' + k);
	memcpy(key + 1, name, len);
	return len + 1;
}

/* A new "[kind NAME]" section; returns false if it is unusable. */
static bool open_section(struct loader *ld, const char *hdr)
{
	struct attls_policy *p = ld->p;
	char kind[32], name[ATTLS_NAME_MAX * 2], extra[2];
	int n;

	ld->kind = SEC_BAD;
	ld->seen = 0;
	n = sscanf(hdr, " %31s %127s", kind, name);
	if (n < 1) {
		ERR(ld, "empty section header; expected [global], [crypto], "
			"[keyring NAME], [security NAME] or [traffic NAME]");
		return false;
	}
	if (!strcasecmp(kind, "global") || !strcasecmp(kind, "crypto")) {
		bool global = !strcasecmp(kind, "global");
		int *first = global ? &ld->global_line : &ld->crypto_line;

		if (n > 1) {
			ERR(ld, "section [%s] takes no name", kind);
			return false;
		}
		if (*first) {
			ERR(ld, "section [%s] given twice (first at line %d)",
			    kind, *first);
			return false;
		}
		*first = ld->lineno;
		ld->kind = global ? SEC_GLOBAL : SEC_CRYPTO;
		return true;
	}
	if (strcasecmp(kind, "keyring") && strcasecmp(kind, "security") &&
	    strcasecmp(kind, "traffic")) {
		ERR(ld, "unknown section [%s]; expected [global], [crypto], "
			"[keyring NAME], [security NAME] or [traffic NAME]", hdr);
		return false;
	}
	if (n < 2 || !valid_name(name)) {
		ERR(ld, "section [%s] needs a name of 1-%d letters, digits or _.-~#@",
		    kind, ATTLS_NAME_MAX - 1);
		return false;
	}
	if (sscanf(hdr, " %*s %*s %1s", extra) == 1) {
		ERR(ld, "section [%s]: a name has no blanks", hdr);
		return false;
	}
#define OPEN(K, arr, cnt)                                                     \
	do {                                                                  \
		char key[ATTLS_NAME_MAX + 1];                                 \
		size_t klen = name_key(key, K, name), first;                  \
		int put = attls_namemap_put(&ld->names, key, klen, p->cnt, &first); \
		if (put == 0) {                                               \
			ERR(ld, "section [%s %s] given twice (first at line %d)", \
			    kind_name(K), name, p->arr[first].line);          \
			return false;                                         \
		}                                                             \
		void *a = put < 0 ? NULL : grow(p->arr, p->cnt, sizeof(*p->arr)); \
		if (!a) {                                                     \
			ERR(ld, "out of memory");                             \
			return false;                                         \
		}                                                             \
		p->arr = a;                                                   \
		ld->index = p->cnt++;                                         \
		memcpy(p->arr[ld->index].name, name, strlen(name) + 1);       \
		p->arr[ld->index].line = ld->lineno;                          \
		ld->kind = K;                                                 \
	} while (0)
	if (!strcasecmp(kind, "keyring")) {
		OPEN(SEC_KEYRING, keyrings, n_keyrings);
	} else if (!strcasecmp(kind, "security")) {
		OPEN(SEC_SECURITY, security, n_security);
		p->security[ld->index].protocols = ATTLS_PROTO_TLS12 | ATTLS_PROTO_TLS13;
	} else {
		OPEN(SEC_TRAFFIC, traffic, n_traffic);
		struct attls_traffic *t = &p->traffic[ld->index];

		t->direction = ATTLS_DIR_BOTH;
		t->local_port.any = t->remote_port.any = true;
		t->local_addr.any = t->remote_addr.any = true;
		t->priority = 0;
		t->enabled = true;
		t->trace = -1;
	}
#undef OPEN
	return true;
}

/*
 * inih's reader: one physical line per call, so the line number is known.
 * It also does what inih would get wrong or report only once: section
 * headers, lines with no "=", over-long lines, indentation (which inih
 * would take as a continuation) and "#" comments after a value.
 */
static int on_key(void *user, const char *section, const char *key, const char *value);

/*
 * A "key = value" line longer than inih's line buffer (a long allow_peer
 * or ciphers list), split as inih splits one: at the first '=' or ':',
 * blanks trimmed, a ';' after a blank and what follows it dropped; then
 * given to on_key in its place in the file.
 */
static void long_key(struct loader *ld, char *s)
{
	char *d = s + strcspn(s, "=:"), *v, *k_end, *v_end;

	*d = '\0';
	for (k_end = d; k_end > s && isspace((unsigned char)k_end[-1]);)
		*--k_end = '\0';
	for (v = d + 1; *v && isspace((unsigned char)*v);)
		v++;
	for (char *c = v; *c; c++)
		if (*c == ';' && c > v && isspace((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	v_end = v + strlen(v);
	while (v_end > v && isspace((unsigned char)v_end[-1]))
		*--v_end = '\0';
	on_key(ld, NULL, s, v);
}

static char *read_line(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	char *line, *s, *e;
	const char *nl;
	size_t cap, n;

	if (ld->pos >= ld->len) {
		/* inih's line buffer, which held every value (PINs too). */
		explicit_bzero(str, (size_t)num);
		return NULL;
	}
	nl = memchr(ld->buf + ld->pos, '\n', ld->len - ld->pos);
	n = nl ? (size_t)(nl - (ld->buf + ld->pos)) + 1 : ld->len - ld->pos;
	cap = n + 1;
	line = malloc(cap);
	if (!line) {
		ERR(ld, "out of memory");
		explicit_bzero(str, (size_t)num);
		return NULL;
	}
	memcpy(line, ld->buf + ld->pos, n);
	line[n] = '\0';
	ld->pos += n;
	ld->lineno++;
	str[0] = '\0';
	/*
	 * A NUL would end the line early: the rest of it, a section header
	 * say, would be dropped without a word, and the keys after it would
	 * land in the section before (enabled = no in a TLS descriptor).
	 */
	if (memchr(line, '\0', n)) {
		ERR(ld, "a NUL byte: a policy is text");
		section_error(ld, -1);
		ld->kind = SEC_BAD;
		goto out;
	}
	s = line;
	if (ld->lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (!*s || *s == ';' || *s == '#')
		goto out;
	if (*s == '[') {
		char *close = strchr(s, ']'), *after = close ? close + 1 : NULL;

		if (!close) {
			ERR(ld, "malformed section header; expected [kind NAME]");
			ld->kind = SEC_BAD;
			goto out;
		}
		/* Only a comment may follow: a second header there would be dropped. */
		while (isspace((unsigned char)*after))
			after++;
		if (*after && *after != ';' && *after != '#') {
			ERR(ld, "malformed section header: text after the section header; "
				"expected [kind NAME], then a comment at most");
			ld->kind = SEC_BAD;
			goto out;
		}
		*close = '\0';
		open_section(ld, s + 1);
		snprintf(str, (size_t)num, "[%s]\n", kind_name(ld->kind));
		goto out;
	}
	for (char *c = s + 1; *c; c++)
		if (*c == '#' && isspace((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	if (!strchr(s, '=')) {
		ERR(ld, "expected \"key = value\", a [section] or a comment");
		section_error(ld, -1);
		goto out;
	}
	if (ld->kind == SEC_NONE) {
		ERR(ld, "key outside any section");
		goto out;
	}
	if (ld->kind != SEC_BAD && e - s >= num - 1)
		long_key(ld, s); /* past inih's line buffer: split here */
	else if (ld->kind != SEC_BAD)
		snprintf(str, (size_t)num, "%s\n", s);
out:
	explicit_bzero(line, cap);
	free(line);
	return str;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		 !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

static void set_value(struct loader *ld, char **dst, int *line, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	*line = ld->lineno;
}

/*
 * A path must be absolute: a relative one would be resolved against each
 * program's working directory. "file:" may come before a PIN source.
 */
static bool path_ok(struct loader *ld, const char *key, const char *v)
{
	const char *path = strcmp(key, "pin_source") || strncmp(v, "file:", 5) ? v : v + 5;

	if (path[0] == '/')
		return true;
	/* A PIN typed where its file's name goes is not repeated in a log. */
	if (!strcmp(key, "pin_source"))
		ERR(ld, "%s: not an absolute path (its value is not shown: it may be a PIN; "
			"write file:/path/to/pin)", key);
	else
		ERR(ld, "%s: \"%s\" is not an absolute path", key, path);
	return false;
}

static void set_path(struct loader *ld, const char *key, char **dst, int *line, const char *v)
{
	if (path_ok(ld, key, v))
		set_value(ld, dst, line, v);
}

/* sessions_from: a list of user names or uids, comma- or space-separated. */
static void set_sessions_from(struct loader *ld, const char *v)
{
	struct attls_policy *p = ld->p;
	const char *at = v;

	while (*at) {
		size_t len = strcspn(at, ", \t");
		char **nv;

		if (!len) {
			at++;
			continue;
		}
		for (size_t i = 0; i < len; i++) {
			if (!isalnum((unsigned char)at[i]) && !strchr("_.-", at[i])) {
				ERR(ld, "sessions_from: \"%.*s\" is not a user name or uid",
				    (int)len, at);
				return;
			}
		}
		nv = realloc(p->sessions_from, (p->n_sessions_from + 1) * sizeof(*nv));
		if (!nv || !(nv[p->n_sessions_from] = strndup(at, len))) {
			if (nv)
				p->sessions_from = nv;
			ERR(ld, "sessions_from: out of memory");
			return;
		}
		p->sessions_from = nv;
		p->n_sessions_from++;
		at += len;
	}
}

static void set_global(struct loader *ld, const char *k, const char *v)
{
	struct attls_policy *p = ld->p;

	if (!strcasecmp(k, "trace")) {
		if (attls_parse_trace(v, &p->trace) < 0)
			ERR(ld, "trace: \"%s\" is not a number 0-255 or a list of "
				"error-stderr, error, info, event, flow, data", v);
	} else if (!strcasecmp(k, "syslog_facility")) {
		for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (!strcasecmp(v, facilities[i].name)) {
				p->syslog_facility = facilities[i].value;
				return;
			}
		ERR(ld, "syslog_facility: \"%s\" is not one of daemon, user, auth, "
			"authpriv, local0-local7", v);
	} else if (!strcasecmp(k, "ticket_key_file")) {
		set_path(ld, "ticket_key_file", &p->ticket_key_file, &p->ticket_key_file_line, v);
	} else if (!strcasecmp(k, "sessions_from")) {
		set_sessions_from(ld, v);
	} else if (!strcasecmp(k, "inherit")) {
		if (parse_bool(v, &p->inherit) < 0)
			ERR(ld, "inherit: \"%s\" is not yes or no", v);
	} else if (attls_parse_duration_ms(v, &p->handshake_timeout_ms) < 0) {
		ERR(ld, "handshake_timeout: \"%s\" is not a duration such as 10s, "
			"500ms or 2m (at most 1 hour)", v);
	}
}

static void set_crypto(struct loader *ld, const char *k, const char *v)
{
	struct attls_policy *p = ld->p;

	if (!strcasecmp(k, "module_path"))
		set_path(ld, "module_path", &p->p11_module, &p->p11_module_line, v);
	else if (!strcasecmp(k, "pin_source"))
		set_path(ld, "pin_source", &p->p11_pin_source, &p->p11_pin_source_line, v);
	else if (!strcasecmp(k, "pin_value"))
		set_value(ld, &p->p11_pin_value, &p->p11_pin_value_line, v);
	else if (!strcasecmp(v, "auto"))
		p->device = ATTLS_DEVICE_AUTO;
	else if (!strcasecmp(v, "cpu"))
		p->device = ATTLS_DEVICE_CPU;
	else if (!strcasecmp(v, "software"))
		p->device = ATTLS_DEVICE_SOFTWARE;
	else
		ERR(ld, "device: \"%s\" is not one of auto, cpu, software", v);
}

/* The revocation keys of a key ring (revoke.h); 1 if k is one of them. */
static int set_revoke(struct loader *ld, struct attls_keyring *kr, const char *k, const char *v)
{
	if (!strcasecmp(k, "crl")) {
		set_path(ld, "crl", &kr->crl, &kr->crl_line, v);
	} else if (!strcasecmp(k, "crl_expired")) {
		kr->crl_expired_line = ld->lineno;
		if (attls_parse_crl_expired(v, &kr->crl_expired) < 0)
			ERR(ld, "crl_expired: \"%s\" is not one of refuse, warn", v);
	} else if (!strcasecmp(k, "ocsp")) {
		kr->ocsp_line = ld->lineno;
		if (attls_parse_ocsp(v, &kr->ocsp) < 0)
			ERR(ld, "ocsp: \"%s\" is not one of off, stapled, required-stapled, "
				"responder", v);
	} else if (!strcasecmp(k, "ocsp_url")) {
		if (attls_parse_ocsp_url(v) < 0)
			ERR(ld, "ocsp_url: \"%s\" is not an http:// URL with a host "
				"(http://host[:port][/path]; https is not supported)", v);
		else
			set_value(ld, &kr->ocsp_url, &kr->ocsp_url_line, v);
	} else if (!strcasecmp(k, "ocsp_timeout")) {
		kr->ocsp_timeout_line = ld->lineno;
		if (attls_parse_duration_ms(v, &kr->ocsp_timeout_ms) < 0 ||
		    kr->ocsp_timeout_ms == 0 || kr->ocsp_timeout_ms > 60000)
			ERR(ld, "ocsp_timeout: \"%s\" is not a duration from 1ms to 60s "
				"such as 5s or 500ms", v);
	} else if (!strcasecmp(k, "ocsp_staple")) {
		kr->ocsp_staple_line = ld->lineno;
		if (!strcasecmp(v, "yes"))
			kr->ocsp_staple = true;
		else if (!strcasecmp(v, "no"))
			kr->ocsp_staple = false;
		else
			ERR(ld, "ocsp_staple: \"%s\" is not yes or no", v);
	} else {
		return 0;
	}
	return 1;
}

static void set_keyring(struct loader *ld, const char *k, const char *v)
{
	struct attls_keyring *kr = &ld->p->keyrings[ld->index];
	const char *key = !strcasecmp(k, "cert") ? "cert" : !strcasecmp(k, "key") ? "key" : "ca";

	if (set_revoke(ld, kr, k, v))
		return;
	/* A URI's paths are checked in check_p11. */
	if ((!strcmp(key, "ca") || !attls_p11uri_is(v)) && !path_ok(ld, key, v))
		return;
	if (!strcasecmp(k, "cert"))
		set_value(ld, &kr->cert, &kr->cert_line, v);
	else if (!strcasecmp(k, "key"))
		set_value(ld, &kr->key, &kr->key_line, v);
	else
		set_value(ld, &kr->ca, &kr->ca_line, v);
}

static int proto_token(const char *tok, unsigned *bits)
{
	if (!strcasecmp(tok, "TLSv1.3"))
		*bits |= ATTLS_PROTO_TLS13;
	else if (!strcasecmp(tok, "TLSv1.2"))
		*bits |= ATTLS_PROTO_TLS12;
	else if (!strcasecmp(tok, "TLSv1.1"))
		*bits |= ATTLS_PROTO_TLS11;
	else if (!strcasecmp(tok, "TLSv1") || !strcasecmp(tok, "TLSv1.0"))
		*bits |= ATTLS_PROTO_TLS10;
	else
		return -1;
	return 0;
}

static void set_protocols(struct loader *ld, struct attls_security *sec,
			  const char *v)
{
	char buf[256], *save = NULL, *tok;
	unsigned bits = 0;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (!strcasecmp(tok, "SSLv3") || !strcasecmp(tok, "SSLv2")) {
			ERR(ld, "protocols: %s is refused: it is broken (POODLE, "
				"RFC 7568); use TLSv1.2 and TLSv1.3", tok);
			return;
		}
		if (proto_token(tok, &bits) < 0) {
			ERR(ld, "protocols: \"%s\" is not one of TLSv1.3, TLSv1.2, "
				"TLSv1.1, TLSv1.0", tok);
			return;
		}
	}
	if (!bits) {
		ERR(ld, "protocols: empty; expected e.g. TLSv1.2, TLSv1.3");
		return;
	}
	sec->protocols = bits;
	sec->protocols_line = ld->lineno;
}

/* allow_peer (allowpeer.h): checked now, so that a bad pattern is FILE:LINE. */
static void set_allow_peer(struct loader *ld, struct attls_allow **dst, const char *v)
{
	struct attls_allow *a = calloc(1, sizeof(*a));
	char why[512];

	if (!a) {
		ERR(ld, "allow_peer: out of memory");
		return;
	}
	if (attls_allow_parse(v, a, why, sizeof(why)) < 0) {
		ERR(ld, "allow_peer: %s", why);
		free(a);
		return;
	}
	a->line = ld->lineno;
	*dst = a;
}

static void set_security(struct loader *ld, const char *k, const char *v)
{
	struct attls_security *sec = &ld->p->security[ld->index];

	if (!strcasecmp(k, "allow_peer")) {
		set_allow_peer(ld, &sec->allow_peer, v);
	} else if (!strcasecmp(k, "protocols")) {
		set_protocols(ld, sec, v);
	} else if (!strcasecmp(k, "ciphers")) {
		set_value(ld, &sec->ciphers, &sec->ciphers_line, v);
	} else if (!strcasecmp(k, "client_auth")) {
		if (!strcasecmp(v, "none"))
			sec->client_auth = ATTLS_CLIENT_AUTH_NONE;
		else if (!strcasecmp(v, "optional"))
			sec->client_auth = ATTLS_CLIENT_AUTH_OPTIONAL;
		else if (!strcasecmp(v, "required"))
			sec->client_auth = ATTLS_CLIENT_AUTH_REQUIRED;
		else
			ERR(ld, "client_auth: \"%s\" is not one of none, optional, "
				"required", v);
	} else if (parse_bool(v, &sec->allow_legacy) < 0) {
		ERR(ld, "allow_legacy: \"%s\" is not yes or no", v);
	}
}

static void set_name_ref(struct loader *ld, char *dst, int *line,
			 const char *k, const char *v)
{
	if (!valid_name(v)) {
		ERR(ld, "%s: \"%s\" is not a section name", k, v);
		return;
	}
	snprintf(dst, ATTLS_NAME_MAX, "%s", v);
	*line = ld->lineno;
}

static void set_traffic(struct loader *ld, const char *k, const char *v)
{
	struct attls_traffic *t = &ld->p->traffic[ld->index];

	if (!strcasecmp(k, "allow_peer")) {
		set_allow_peer(ld, &t->allow_peer, v);
	} else if (!strcasecmp(k, "direction")) {
		if (attls_parse_direction(v, &t->direction) < 0)
			ERR(ld, "direction: \"%s\" is not one of inbound, outbound, both", v);
	} else if (!strcasecmp(k, "local_port") || !strcasecmp(k, "remote_port")) {
		struct attls_port_set *ps = tolower((unsigned char)k[0]) == 'l' ?
						    &t->local_port : &t->remote_port;
		if (attls_parse_ports(v, ps) < 0)
			ERR(ld, "%s: \"%s\" is not a port, a range such as 7800-7809, "
				"a list of them or *", k, v);
	} else if (!strcasecmp(k, "local_addr") || !strcasecmp(k, "remote_addr")) {
		struct attls_addr_set *as = tolower((unsigned char)k[0]) == 'l' ?
						    &t->local_addr : &t->remote_addr;
		if (attls_parse_addrs(v, as) < 0)
			ERR(ld, "%s: \"%s\" is not an IPv4 or IPv6 address, a CIDR "
				"such as 10.0.0.0/8, a list of them or *", k, v);
	} else if (!strcasecmp(k, "jobname")) {
		free(t->jobname);
		t->jobname = strdup(v);
	} else if (!strcasecmp(k, "user")) {
		unsigned long uid;

		/* All digits is a uid (match.c): one that fits, not (uid_t)-1. */
		if (strspn(v, "0123456789") == strlen(v) &&
		    attls_parse_number(v, (uid_t)-2, &uid, NULL) < 0) {
			ERR(ld, "user: \"%s\" is not a uid 0-%lu or a name", v,
			    (unsigned long)(uid_t)-2);
			return;
		}
		free(t->user);
		t->user = strdup(v);
	} else if (!strcasecmp(k, "role")) {
		if (!strcasecmp(v, "server"))
			t->role = ATTLS_ROLE_SERVER;
		else if (!strcasecmp(v, "client"))
			t->role = ATTLS_ROLE_CLIENT;
		else
			ERR(ld, "role: \"%s\" is not server or client", v);
	} else if (!strcasecmp(k, "server_name")) {
		free(t->server_name);
		t->server_name = strdup(v);
		t->server_name_line = ld->lineno;
	} else if (!strcasecmp(k, "keyring")) {
		set_name_ref(ld, t->keyring_ref, &t->keyring_line, k, v);
	} else if (!strcasecmp(k, "security")) {
		set_name_ref(ld, t->security_ref, &t->security_line, k, v);
	} else if (!strcasecmp(k, "priority")) {
		unsigned long n;

		if (attls_parse_number(v, 1000000, &n, NULL) < 0)
			ERR(ld, "priority: \"%s\" is not a number 0-1000000", v);
		else
			t->priority = (long)n;
	} else if (!strcasecmp(k, "enabled")) {
		if (parse_bool(v, &t->enabled) < 0)
			ERR(ld, "enabled: \"%s\" is not yes or no", v);
	} else {
		unsigned mask;

		if (attls_parse_trace(v, &mask) < 0)
			ERR(ld, "trace: \"%s\" is not a number 0-255 or a list of "
				"error-stderr, error, info, event, flow, data", v);
		else
			t->trace = (int)mask;
	}
}

static int key_line(void *user, const char *section, const char *key,
		    const char *value)
{
	struct loader *ld = user;
	const char *const *keys = section_keys(ld->kind);
	size_t i;

	(void)section;
	if (!keys)
		return 1;
	for (i = 0; keys[i]; i++)
		if (!strcasecmp(keys[i], key))
			break;
	if (!keys[i]) {
		ERR(ld, "unknown key \"%s\" in [%s]; expected one of:", key,
		    kind_name(ld->kind));
		/* Append the list to the message just added. */
		char *m = ld->errs->msg[ld->errs->n - 1], *nm;
		size_t len = strlen(m);
		for (size_t j = 0; keys[j]; j++)
			len += strlen(keys[j]) + 1;
		nm = realloc(m, len + 1);
		if (nm) {
			for (size_t j = 0; keys[j]; j++)
				strcat(strcat(nm, " "), keys[j]);
			ld->errs->msg[ld->errs->n - 1] = nm;
		}
		return 1;
	}
	if (ld->seen & (1ul << i)) {
		ERR(ld, "%s: given twice in this section", keys[i]);
		return 1;
	}
	ld->seen |= 1ul << i;
	if (!*value) {
		ERR(ld, "%s: empty value", keys[i]);
		return 1;
	}
	switch (ld->kind) {
	case SEC_GLOBAL: set_global(ld, key, value); break;
	case SEC_CRYPTO: set_crypto(ld, key, value); break;
	case SEC_KEYRING: set_keyring(ld, key, value); break;
	case SEC_SECURITY: set_security(ld, key, value); break;
	case SEC_TRAFFIC: set_traffic(ld, key, value); break;
	default: break;
	}
	return 1;
}

/*
 * inih's handler: one "key = value" line. A key whose line was an error is
 * refused: the checks after the parse do not take its absence (or its
 * default) for a second mistake.
 */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct loader *ld = user;
	const char *const *keys = section_keys(ld->kind);
	size_t i, before = ld->errs->n;

	key_line(ld, section, key, value);
	if (keys && ld->errs->n != before) {
		for (i = 0; keys[i] && strcasecmp(keys[i], key); i++)
			;
		section_error(ld, keys[i] ? (int)i : -1);
	}
	return 1;
}

/*
 * A file the policy names: opened and checked on its descriptor (owner,
 * mode, type), then closed; it is opened and checked again where it is
 * read (keyring.c, pkcs11.c, tickets.c), and what is used is what that
 * descriptor reads. With ATTLS_POLICY_NO_FILES nothing is opened.
 */
static void check_file(struct loader *ld, const char *what, const char *path,
		       int line, bool secret, bool dir_ok)
{
	char why[384];
	int fd;

	ld->lineno = line;
	if (!path || (ld->flags & ATTLS_POLICY_NO_FILES))
		return;
	if (!strncmp(path, "file:", 5))
		path += 5;
	fd = attls_trust_open(path, secret ? ATTLS_TRUST_SECRET : ATTLS_TRUST_PUBLIC,
			      dir_ok ? ATTLS_TRUST_ANY : ATTLS_TRUST_FILE, NULL, why, sizeof(why));
	if (fd < 0) {
		ERR(ld, "%s: %s", what, why);
		return;
	}
	attls_io.close(fd);
}

/* Whether the policy file itself is private (mode 0600 or stricter). */
static bool policy_private(struct loader *ld);
static void check_crypto(struct loader *ld);
static void check_keyring(struct loader *ld, struct attls_keyring *kr);
static void check_keyring_own(struct loader *ld, struct attls_keyring *kr);

/*
 * The checks of the files a policy loaded with ATTLS_POLICY_NO_FILES
 * names, made now (engine.c: only in a process that needs TLS). The rest
 * of check_crypto and check_keyring passed at the load: only the files
 * can add an error here (st zero: the pin_value check is not made again).
 */
int attls_policy_check_files(struct attls_policy *p, struct attls_errors *errs)
{
	struct loader ld = { .file = p->file, .p = p, .errs = errs };
	size_t before = errs->n;

	check_crypto(&ld);
	for (size_t i = 0; i < p->n_keyrings; i++)
		check_keyring(&ld, &p->keyrings[i]);
	return errs->n == before ? 0 : -1;
}

static bool policy_private(struct loader *ld)
{
	return !(ld->st.st_mode & (S_IRWXG | S_IRWXO));
}

/*
 * A key (or certificate) on a PKCS#11 token: the URI must parse, and the
 * module and the PIN must be known, from the URI or from [crypto]. The
 * token itself is opened when the contexts are built (keyring.c).
 */
static void check_p11(struct loader *ld, const char *what, const char *uri, int line,
		      bool is_key)
{
	struct attls_p11uri u;
	char why[160];

	ld->lineno = line;
	if (attls_p11uri_parse(uri, &u, why, sizeof(why)) < 0) {
		ERR(ld, "%s: %s", what, why);
		return;
	}
	if (u.module_path && u.module_path[0] != '/')
		ERR(ld, "%s: module-path \"%s\" is not an absolute path", what, u.module_path);
	else if (u.module_path)
		check_file(ld, "module-path", u.module_path, line, false, false);
	if (!u.module_path && !ld->p->p11_module)
		ERR(ld, "%s: a PKCS#11 %s needs its module: module-path in the URI "
			"or module_path in [crypto]", what, is_key ? "key" : "certificate");
	if (is_key && !u.pin_source && !u.pin_value && !ld->p->p11_pin_source &&
	    !ld->p->p11_pin_value)
		ERR(ld, "%s: a PKCS#11 key needs its PIN: pin-source in the URI "
			"or pin_source in [crypto]", what);
	if (u.pin_value && !policy_private(ld))
		ERR(ld, "%s: pin-value is only allowed in a policy file of mode 0600; "
			"use pin-source=file:...", what);
	if (u.pin_source && (strncmp(u.pin_source, "file:", 5) ? u.pin_source :
							       u.pin_source + 5)[0] != '/')
		ERR(ld, "%s: pin-source is not an absolute path (its value is not shown: it may be "
			"a PIN; write pin-source=file:/path/to/pin)", what);
	else if (u.pin_source)
		check_file(ld, "pin-source", u.pin_source, line, true, false);
	attls_p11uri_free(&u);
}

static void check_crypto(struct loader *ld)
{
	struct attls_policy *p = ld->p;
	size_t before = ld->errs->n;

	check_file(ld, "ticket_key_file", p->ticket_key_file, p->ticket_key_file_line, true,
		   false);
	if (p->p11_pin_value && !policy_private(ld)) {
		ld->lineno = p->p11_pin_value_line;
		ERR(ld, "pin_value: only allowed in a policy file of mode 0600; use pin_source");
	}
	check_file(ld, "pin_source", p->p11_pin_source, p->p11_pin_source_line, true, false);
	if (p->p11_module)
		check_file(ld, "module_path", p->p11_module, p->p11_module_line, false, false);
	/* Its module or PIN file is refused: no key ring on a token is proven. */
	if (ld->errs->n != before)
		ld->crypto_broken = true;
}

static void check_keyring(struct loader *ld, struct attls_keyring *kr)
{
	size_t before = ld->errs->n;

	check_keyring_own(ld, kr);
	if (ld->errs->n != before)
		kr->broken = true;
	/* A token's key needs [crypto]'s module and PIN: not proven without them. */
	if (ld->crypto_broken && (attls_p11uri_is(kr->cert) || attls_p11uri_is(kr->key)))
		kr->broken = true;
}

/* What a key ring says must hold together (refused values left out). */
static void check_keyring_own(struct loader *ld, struct attls_keyring *kr)
{
	bool no_cert = REFUSED(kr, "keyring", "cert"), no_key = REFUSED(kr, "keyring", "key"),
	     no_ca = REFUSED(kr, "keyring", "ca");

	if (attls_p11uri_is(kr->cert)) {
		check_p11(ld, "cert", kr->cert, kr->cert_line, false);
		if (kr->key && !attls_p11uri_is(kr->key)) {
			ld->lineno = kr->cert_line;
			ERR(ld, "cert: a certificate on a token goes with a key on a token");
		}
	} else {
		check_file(ld, "cert", kr->cert, kr->cert_line, false, false);
	}
	if (attls_p11uri_is(kr->key))
		check_p11(ld, "key", kr->key, kr->key_line, true);
	else
		check_file(ld, "key", kr->key, kr->key_line, true, false);
	check_file(ld, "ca", kr->ca, kr->ca_line, false, true);
	check_file(ld, "crl", kr->crl, kr->crl_line, false, true);
	ld->lineno = kr->crl_line;
	if (kr->crl && !kr->ca && !no_ca)
		ERR(ld, "crl: [keyring %s] has no ca: a CRL is checked against its issuer "
			"among the CAs", kr->name);
	ld->lineno = kr->ocsp_staple_line;
	if (kr->ocsp_staple && !kr->cert && !no_cert)
		ERR(ld, "ocsp_staple: [keyring %s] has no cert to staple a status for",
		    kr->name);
	if (kr->ocsp_staple && !kr->ca && !no_ca)
		ERR(ld, "ocsp_staple: [keyring %s] has no ca: the response is checked "
			"against the issuer among the CAs", kr->name);
	ld->lineno = kr->ocsp_line;
	/* wolfSSL checks a leaf by one of the two, never both (revoke.c). */
	if (kr->ocsp != ATTLS_OCSP_OFF && kr->crl)
		ERR(ld, "ocsp: [keyring %s] has crl too: use one of crl and ocsp in a key "
			"ring (wolfSSL checks the peer's certificate by one of them only)",
		    kr->name);
	else if (kr->ocsp != ATTLS_OCSP_OFF && !kr->ca && !no_ca)
		ERR(ld, "ocsp: [keyring %s] has no ca: a response is checked against "
			"the issuer among the CAs", kr->name);
	ld->lineno = kr->line;
	if (!!kr->cert != !!kr->key && !no_cert && !no_key)
		ERR(ld, "[keyring %s]: cert and key go together; %s is missing",
		    kr->name, kr->cert ? "key" : "cert");
	if (!kr->cert && !kr->ca && !no_cert && !no_key && !no_ca)
		ERR(ld, "[keyring %s]: empty; expected cert and key, ca, or all three",
		    kr->name);
}

static void check_security(struct loader *ld, struct attls_security *sec)
{
	unsigned legacy = sec->protocols & (ATTLS_PROTO_TLS10 | ATTLS_PROTO_TLS11);

	ld->lineno = sec->protocols_line;
	if (legacy && !sec->allow_legacy && !REFUSED(sec, "security", "protocols") &&
	    !REFUSED(sec, "security", "allow_legacy"))
		ERR(ld, "protocols: TLSv1.0 and TLSv1.1 are deprecated (RFC 8996) "
			"and refused unless allow_legacy = yes");
}

/* The index of the section of kind k named name, or -1. */
static ssize_t find_named(struct loader *ld, enum section_kind k, const char *name)
{
	char key[ATTLS_NAME_MAX + 1];
	size_t i;

	if (!attls_namemap_get(&ld->names, key, name_key(key, k, name), &i))
		return -1;
	return (ssize_t)i;
}

static void check_traffic(struct loader *ld, struct attls_traffic *t)
{
	struct attls_policy *p = ld->p;
	struct attls_keyring *kr = NULL;

	if (t->keyring_ref[0]) {
		ssize_t i = find_named(ld, SEC_KEYRING, t->keyring_ref);

		kr = i < 0 ? NULL : &p->keyrings[i];
		ld->lineno = t->keyring_line;
		if (!kr)
			ERR(ld, "keyring: no [keyring %s] in this file", t->keyring_ref);
		t->keyring = kr;
	}
	if (t->security_ref[0]) {
		ssize_t i = find_named(ld, SEC_SECURITY, t->security_ref);

		t->security = i < 0 ? NULL : &p->security[i];
		ld->lineno = t->security_line;
		if (!t->security)
			ERR(ld, "security: no [security %s] in this file", t->security_ref);
	}
	if (!t->enabled)
		return;
	/* A refused value is one error: nothing that depends on it is checked. */
	if (REFUSED(t, "traffic", "enabled") || REFUSED(t, "traffic", "keyring"))
		return;
	ld->lineno = t->line;
	if (!t->keyring_ref[0]) {
		ERR(ld, "[traffic %s]: keyring is required (or enabled = no)", t->name);
		return;
	}
	if (!kr || REFUSED(t, "traffic", "direction") || REFUSED(t, "traffic", "role"))
		return;
	/* What the key ring holds is unknown where its cert, key or ca was refused. */
	bool kr_known = !REFUSED(kr, "keyring", "cert") && !REFUSED(kr, "keyring", "key") &&
			!REFUSED(kr, "keyring", "ca");
	/* So is the level's client_auth where the level (or it) was refused. */
	bool auth_known = !REFUSED(t, "traffic", "security") &&
			  (!t->security || !REFUSED(t->security, "security", "client_auth"));
	/* The roles this descriptor can take, and what each needs. */
	bool server = t->role == ATTLS_ROLE_SERVER ||
		      (t->role == ATTLS_ROLE_DEFAULT && (t->direction & ATTLS_DIR_INBOUND));
	bool client = t->role == ATTLS_ROLE_CLIENT ||
		      (t->role == ATTLS_ROLE_DEFAULT && (t->direction & ATTLS_DIR_OUTBOUND));
	/*
	 * direction = both (written or the default) with a key ring fit for
	 * one role only: one error that says which direction it can have,
	 * rather than the other role's needs one by one.
	 */
	if (t->role == ATTLS_ROLE_DEFAULT && t->direction == ATTLS_DIR_BOTH && kr_known &&
	    !kr->cert != !kr->ca) {
		ERR(ld, "[traffic %s]: direction = both makes it a %s too, but [keyring %s] "
			"has no %s: it can only be a %s; set direction = %s",
		    t->name, kr->cert ? "client" : "server", kr->name,
		    kr->cert ? "ca (a client verifies the server with it)" : "cert and key",
		    kr->cert ? "server" : "client", kr->cert ? "inbound" : "outbound");
		return;
	}
	if (server && !kr->cert && kr_known)
		ERR(ld, "[traffic %s]: role server needs cert and key in "
			"[keyring %s]", t->name, kr->name);
	if (server && t->security && t->security->client_auth != ATTLS_CLIENT_AUTH_NONE &&
	    !kr->ca && kr_known && auth_known)
		ERR(ld, "[traffic %s]: client_auth = %s needs ca in [keyring %s]",
		    t->name, attls_client_auth_name(t->security->client_auth), kr->name);
	if (client && !kr->ca && kr_known)
		ERR(ld, "[traffic %s]: role client needs ca in [keyring %s] to "
			"verify the server", t->name, kr->name);
	/*
	 * A server that asks for no certificate can match no pattern: every
	 * connection would be refused. (optional acts as required.)
	 */
	const struct attls_allow *allow = attls_traffic_allow(t);

	if (server && allow && auth_known && (!t->security ||
				t->security->client_auth == ATTLS_CLIENT_AUTH_NONE)) {
		ld->lineno = allow->line;
		ERR(ld, "allow_peer: [traffic %s] is a server with client_auth = none "
			"(security %s): it gets no client certificate, so no peer could "
			"match; set client_auth = required", t->name,
		    t->security ? t->security->name : "(default)");
	}
	if (client && !t->server_name)
		ERR(ld, "[traffic %s]: role client needs server_name, the name "
			"checked in the server's certificate", t->name);
}

struct attls_policy *attls_policy_load(const char *file, struct attls_errors *errs)
{
	return attls_policy_load_ex(file, 0, errs);
}

struct attls_policy *attls_policy_load_ex(const char *file, unsigned flags,
					  struct attls_errors *errs)
{
	struct loader ld = { .file = file, .errs = errs, .flags = flags };
	struct attls_policy *p;
	size_t before = errs->n, len = 0;
	unsigned char *buf = NULL;
	char why[384];
	int rc, fd;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->file = strdup(file);
	p->trace = ATTLS_TRACE_DEFAULT;
	p->syslog_facility = LOG_DAEMON;
	p->handshake_timeout_ms = 10000;
	p->device = ATTLS_DEVICE_AUTO;
	p->inherit = true;
	ld.p = p;
	/*
	 * Opened once, without blocking, and checked on that descriptor: a
	 * regular file (a directory, a device or a FIFO is refused before any
	 * read), owned and writable as filetrust.h says, at most
	 * ATTLS_POLICY_MAX bytes. Whoever may write the policy decides which
	 * modules are loaded and what goes in clear. It is read whole before
	 * it is parsed: a read that fails part-way is an error, never an end
	 * of file that would drop the descriptors after it.
	 */
	fd = attls_trust_open(file, ATTLS_TRUST_PUBLIC, ATTLS_TRUST_FILE, &ld.st, why, sizeof(why));
	if (fd >= 0) {
		if (ld.st.st_size > ATTLS_POLICY_MAX)
			snprintf(why, sizeof(why), "%s: %lld bytes, more than the %u MiB a policy may have",
				 file, (long long)ld.st.st_size, ATTLS_POLICY_MAX >> 20);
		else
			buf = attls_trust_read_fd(fd, file, &ld.st, ATTLS_POLICY_MAX, &len,
						  why, sizeof(why));
		attls_io.close(fd);
	}
	if (!buf) {
		const char *r = why;

		/* "FILE: No such file..." is said once. */
		if (!strncmp(why, file, strlen(file)) && !strncmp(why + strlen(file), ": ", 2))
			r = why + strlen(file) + 2;
		attls_errors_add(errs, file, 0, "cannot %s policy: %s", fd < 0 ? "open" : "read", r);
		attls_policy_free(p);
		return NULL;
	}
	ld.buf = (const char *)buf;
	ld.len = len;
	rc = ini_parse_stream(read_line, &ld, on_key, &ld);
	if ((flags & ATTLS_POLICY_KEEP_TEXT) && len <= ATTLS_POLICY_TEXT_MAX)
		p->text = attls_policy_text_shown((const char *)buf, len, &p->text_len);
	/* It held the file (PINs too). */
	attls_trust_free(buf, len + 1);
	ld.buf = NULL;
	if (rc > 0 && errs->n == before)
		attls_errors_add(errs, file, rc, "syntax error");
	check_crypto(&ld);
	for (size_t i = 0; i < p->n_keyrings; i++)
		check_keyring(&ld, &p->keyrings[i]);
	for (size_t i = 0; i < p->n_security; i++)
		check_security(&ld, &p->security[i]);
	for (size_t i = 0; i < p->n_traffic; i++)
		check_traffic(&ld, &p->traffic[i]);
	/* No descriptor: every connection would go in clear. */
	if (!p->n_traffic)
		attls_errors_add(errs, file, 0, "no traffic descriptor: nothing would be protected");
	attls_namemap_free(&ld.names);
	if (errs->n != before && (flags & ATTLS_POLICY_KEEP_BROKEN))
		return p;
	if (errs->n != before) {
		attls_policy_free(p);
		return NULL;
	}
	p->match_index = attls_match_index_build(p);
	p->refs = 1;
	return p;
}

void attls_policy_free(struct attls_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_keyrings; i++) {
		/* A URI may hold a pin-value. */
		if (p->keyrings[i].cert)
			explicit_bzero(p->keyrings[i].cert, strlen(p->keyrings[i].cert));
		if (p->keyrings[i].key)
			explicit_bzero(p->keyrings[i].key, strlen(p->keyrings[i].key));
		free(p->keyrings[i].cert);
		free(p->keyrings[i].key);
		free(p->keyrings[i].ca);
		free(p->keyrings[i].crl);
		free(p->keyrings[i].ocsp_url);
		free(p->keyrings[i].crl_note);
		attls_staple_free(p->keyrings[i].staple);
	}
	for (size_t i = 0; i < p->n_security; i++) {
		free(p->security[i].ciphers);
		attls_allow_free(p->security[i].allow_peer);
		free(p->security[i].allow_peer);
	}
	free(p->ticket_key_file);
	for (size_t i = 0; i < p->n_sessions_from; i++)
		free(p->sessions_from[i]);
	free(p->sessions_from);
	free(p->p11_module);
	free(p->p11_pin_source);
	if (p->p11_pin_value)
		explicit_bzero(p->p11_pin_value, strlen(p->p11_pin_value));
	free(p->p11_pin_value);
	for (size_t i = 0; i < p->n_traffic; i++) {
		struct attls_traffic *t = &p->traffic[i];

		attls_port_set_free(&t->local_port);
		attls_port_set_free(&t->remote_port);
		attls_addr_set_free(&t->local_addr);
		attls_addr_set_free(&t->remote_addr);
		free(t->jobname);
		free(t->user);
		free(t->server_name);
		attls_allow_free(t->allow_peer);
		free(t->allow_peer);
	}
	attls_match_index_free(p->match_index);
	free(p->keyrings);
	free(p->security);
	free(p->traffic);
	free(p->file);
	free(p->text);
	free(p);
}
