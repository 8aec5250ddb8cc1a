/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "allowpeer.h"

static const struct {
	const char *prefix;
	enum attls_peer_kind kind;
} kinds[] = {
	{ "CN=", ATTLS_PEER_CN },	  { "O=", ATTLS_PEER_O },
	{ "OU=", ATTLS_PEER_OU },	  { "C=", ATTLS_PEER_C },
	{ "ST=", ATTLS_PEER_ST },	  { "L=", ATTLS_PEER_L },
	{ "SAN:DNS=", ATTLS_PEER_DNS },	  { "SAN:URI=", ATTLS_PEER_URI },
	{ "SAN:EMAIL=", ATTLS_PEER_EMAIL }, { "SAN:IP=", ATTLS_PEER_IP },
	{ "SHA256:", ATTLS_PEER_SHA256 },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

const char *attls_peer_kind_prefix(enum attls_peer_kind k)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].kind == k)
			return kinds[i].prefix;
	return "?";
}

const struct attls_allow *attls_traffic_allow(const struct attls_traffic *t)
{
	if (t->allow_peer)
		return t->allow_peer;
	return t->security ? t->security->allow_peer : NULL;
}

void attls_allow_free(struct attls_allow *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->pat[i].glob);
	free(a->pat);
	a->pat = NULL;
	a->n = 0;
}

/* A glob's text: printable, and each backslash before *, \ (checked by the caller). */
static int check_glob(const char *g, char *why, size_t whylen, const char *pat)
{
	for (const char *c = g; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(why, whylen, "\"%s\": a control character", pat);
			return -1;
		}
		if (*c == '\\') {
			if (c[1] != '*' && c[1] != '\\') {
				snprintf(why, whylen, "\"%s\": a backslash escapes only *, \\ "
					 "or a comma", pat);
				return -1;
			}
			c++;
		}
	}
	return 0;
}

static int parse_dns(const char *g, char *why, size_t whylen, const char *pat)
{
	const char *label = g;

	for (const char *c = g;; c++) {
		if (*c == '.' || !*c) {
			if (c == label) {
				snprintf(why, whylen, "\"%s\": an empty label", pat);
				return -1;
			}
			if (!*c)
				return 0;
			label = c + 1;
			continue;
		}
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '*') {
			snprintf(why, whylen, "\"%s\": a DNS name holds letters, digits, - _ . "
				 "and * only", pat);
			return -1;
		}
	}
}

static int parse_sha(const char *v, unsigned char out[32], char *why, size_t whylen,
		     const char *pat)
{
	size_t n = 0;

	for (const char *c = v; *c; c++) {
		int d;

		if (*c == ':')
			continue;
		if (!isxdigit((unsigned char)*c) || n == 64) {
			n = 65;
			break;
		}
		d = isdigit((unsigned char)*c) ? *c - '0' : tolower((unsigned char)*c) - 'a' + 10;
		out[n / 2] = (unsigned char)(n % 2 ? out[n / 2] | d : d << 4);
		n++;
	}
	if (n != 64) {
		snprintf(why, whylen, "\"%s\": SHA256: takes the certificate's SHA-256, "
			 "64 hex digits (colons allowed)", pat);
		return -1;
	}
	return 0;
}

/*
 * Whether "ADDR/BITS" names an address with bits past its prefix, as in
 * 10.1.2.3/8: who may connect is then unclear (the host, or 10.0.0.0/8), so
 * it is refused rather than widened. c is the address as parsed.
 */
static bool ip_host_bits(const char *v, const struct attls_cidr *c)
{
	unsigned len = c->family == AF_INET ? 4 : 16, bit;

	if (!strchr(v, '/'))
		return false;
	for (bit = c->prefix; bit < len * 8; bit++)
		if (c->addr[bit / 8] & (0x80 >> (bit % 8)))
			return true;
	return false;
}

static int parse_ip(const char *v, struct attls_cidr *out, char *why, size_t whylen,
		    const char *pat)
{
	struct attls_addr_set a = { 0 };

	/* One address or CIDR: attls_parse_addrs would take a list or "*". */
	if (strpbrk(v, ", \t*") || attls_parse_addrs(v, &a) < 0 || a.n != 1) {
		attls_addr_set_free(&a);
		snprintf(why, whylen, "\"%s\": SAN:IP= takes one IPv4 or IPv6 address "
			 "or CIDR such as 10.1.0.0/16", pat);
		return -1;
	}
	*out = a.c[0];
	attls_addr_set_free(&a);
	if (ip_host_bits(v, out)) {
		char net[INET6_ADDRSTRLEN] = "";
		unsigned bit;

		for (bit = out->prefix; bit < (out->family == AF_INET ? 32u : 128u); bit++)
			out->addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
		inet_ntop(out->family, out->addr, net, sizeof(net));
		snprintf(why, whylen, "\"%s\": the address has bits set past the /%u prefix: "
			 "write %s/%u for the network, or the address alone for one host",
			 pat, out->prefix, net, out->prefix);
		return -1;
	}
	return 0;
}

/* One pattern (commas already unescaped) into *p. */
static int parse_one(const char *pat, struct attls_allow_pat *p, char *why, size_t whylen)
{
	const char *v = NULL;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < N_KINDS; i++) {
		size_t l = strlen(kinds[i].prefix);

		if (!strncasecmp(pat, kinds[i].prefix, l)) {
			p->kind = kinds[i].kind;
			v = pat + l;
			break;
		}
	}
	if (!v) {
		snprintf(why, whylen, "\"%s\" is not one of CN=, O=, OU=, C=, ST=, L=, "
			 "SAN:DNS=, SAN:URI=, SAN:EMAIL=, SAN:IP=, SHA256:", pat);
		return -1;
	}
	if (!*v) {
		snprintf(why, whylen, "\"%s\": no value after %s", pat,
			 attls_peer_kind_prefix(p->kind));
		return -1;
	}
	if (p->kind == ATTLS_PEER_SHA256)
		return parse_sha(v, p->sha256, why, whylen, pat);
	if (p->kind == ATTLS_PEER_IP)
		return parse_ip(v, &p->cidr, why, whylen, pat);
	if (check_glob(v, why, whylen, pat) < 0)
		return -1;
	if (p->kind == ATTLS_PEER_DNS && parse_dns(v, why, whylen, pat) < 0)
		return -1;
	if (p->kind == ATTLS_PEER_EMAIL) {
		const char *at = strchr(v, '@');

		if (!at || strchr(at + 1, '@') || at == v || !at[1]) {
			snprintf(why, whylen, "\"%s\": SAN:EMAIL= takes local@domain, "
				 "with one @", pat);
			return -1;
		}
		if (parse_dns(at + 1, why, whylen, pat) < 0)
			return -1;
	}
	if (!(p->glob = strdup(v))) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	/* DNS names and mail domains are kept in lower case: compared so. */
	if (p->kind == ATTLS_PEER_DNS || p->kind == ATTLS_PEER_EMAIL)
		for (char *c = p->kind == ATTLS_PEER_DNS ? p->glob : strchr(p->glob, '@'); *c; c++)
			*c = (char)tolower((unsigned char)*c);
	return 0;
}

int attls_allow_parse(const char *value, struct attls_allow *out, char *why, size_t whylen)
{
	struct attls_allow a = { 0 };
	size_t len = strlen(value);
	char *tok = malloc(len + 1);
	const char *c = value;

	if (!tok) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while (*c) {
		struct attls_allow_pat *np;
		size_t o = 0;

		while (*c == ' ' || *c == '\t')
			c++;
		/* Up to the next comma that no backslash escapes. */
		for (; *c && *c != ','; c++) {
			if (*c == '\\' && c[1] == ',')
				c++;
			else if (*c == '\\' && c[1])
				tok[o++] = *c++;
			tok[o++] = *c;
		}
		while (o && (tok[o - 1] == ' ' || tok[o - 1] == '\t'))
			o--;
		tok[o] = '\0';
		if (*c == ',') {
			c++;
			/* A comma at the end leaves an empty pattern after it. */
			if (!c[strspn(c, " \t")])
				o = 0;
		}
		if (!o) {
			snprintf(why, whylen, "an empty pattern (two commas, or one at an end)");
			goto fail;
		}
		np = realloc(a.pat, (a.n + 1) * sizeof(*np));
		if (!np) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		a.pat = np;
		if (parse_one(tok, &a.pat[a.n], why, whylen) < 0)
			goto fail;
		a.n++;
	}
	if (!a.n) {
		snprintf(why, whylen, "no pattern");
		goto fail;
	}
	free(tok);
	attls_allow_free(out);
	*out = a;
	return 0;
fail:
	free(tok);
	attls_allow_free(&a);
	return -1;
}

static unsigned char fold(unsigned char c, bool icase)
{
	return icase && c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * A glob over one segment (no separator inside): * any run, \x the
 * character x. The classic single-backtrack walk: O(len(p) * len(s)).
 */
static bool glob_seg(const char *p, size_t pl, const unsigned char *s, size_t sl, bool icase)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < sl) {
		if (pi < pl && p[pi] == '*') {
			star = ++pi;
			mark = si;
			continue;
		}
		if (pi < pl) {
			size_t step = p[pi] == '\\' && pi + 1 < pl ? 2 : 1;
			unsigned char lit = (unsigned char)p[pi + step - 1];

			if (fold(lit, icase) == fold(s[si], icase)) {
				pi += step;
				si++;
				continue;
			}
		}
		if (star == SIZE_MAX)
			return false;
		pi = star;
		si = ++mark;
	}
	while (pi < pl && p[pi] == '*')
		pi++;
	return pi == pl;
}

/* A glob whose * never crosses sep: both split at each sep, segment by segment. */
static bool glob_split(const char *p, size_t pl, const unsigned char *s, size_t sl,
		       char sep, bool icase)
{
	for (;;) {
		const char *pe = memchr(p, sep, pl);
		const unsigned char *se = memchr(s, sep, sl);
		size_t pn = pe ? (size_t)(pe - p) : pl, sn = se ? (size_t)(se - s) : sl;

		if (!pe != !se || !glob_seg(p, pn, s, sn, icase))
			return false;
		if (!pe)
			return true;
		p += pn + 1;
		pl -= pn + 1;
		s += sn + 1;
		sl -= sn + 1;
	}
}

static bool has_control(const unsigned char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] == 0x7f)
			return true;
	return false;
}

static bool ip_in(const struct attls_cidr *c, const unsigned char *v, size_t len)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int family = len == 4 ? AF_INET : AF_INET6;
	unsigned bits = c->prefix;

	if (len != 4 && len != 16)
		return false;
	/* An IPv4-mapped IPv6 SAN counts as IPv4, as addresses do in the policy. */
	if (len == 16 && !memcmp(v, mapped, 12)) {
		v += 12;
		family = AF_INET;
	}
	if (family != c->family)
		return false;
	if (memcmp(v, c->addr, bits / 8))
		return false;
	if (bits % 8) {
		unsigned char m = (unsigned char)(0xff << (8 - bits % 8));

		return (v[bits / 8] & m) == (c->addr[bits / 8] & m);
	}
	return true;
}

static bool pat_match(const struct attls_allow_pat *p, const struct attls_peer_field *f)
{
	const char *g = p->glob;
	const unsigned char *at;

	if (p->kind == ATTLS_PEER_IP)
		return ip_in(&p->cidr, f->v, f->len);
	if (has_control(f->v, f->len))
		return false;
	switch (p->kind) {
	case ATTLS_PEER_DNS:
		return glob_split(g, strlen(g), f->v, f->len, '.', true);
	case ATTLS_PEER_URI:
		return glob_split(g, strlen(g), f->v, f->len, '/', false);
	case ATTLS_PEER_EMAIL: {
		const char *pat_at = strchr(g, '@');

		at = memchr(f->v, '@', f->len);
		if (!at || memchr(at + 1, '@', f->len - (size_t)(at - f->v) - 1))
			return false;
		return glob_seg(g, (size_t)(pat_at - g), f->v, (size_t)(at - f->v), false) &&
		       glob_split(pat_at + 1, strlen(pat_at + 1), at + 1,
				  f->len - (size_t)(at - f->v) - 1, '.', true);
	}
	default:
		return glob_seg(g, strlen(g), f->v, f->len, false);
	}
}

bool attls_allow_match(const struct attls_allow *a, const struct attls_peer_id *id,
		       size_t *which)
{
	for (size_t i = 0; a && i < a->n; i++) {
		const struct attls_allow_pat *p = &a->pat[i];

		if (p->kind == ATTLS_PEER_SHA256) {
			if (!memcmp(p->sha256, id->sha256, 32)) {
				*which = i;
				return true;
			}
			continue;
		}
		for (size_t j = 0; j < id->n; j++) {
			if (id->f[j].kind == p->kind && pat_match(p, &id->f[j])) {
				*which = i;
				return true;
			}
		}
	}
	return false;
}

const char *attls_allow_pattern_str(const struct attls_allow *a, size_t i, char *out,
				    size_t len)
{
	const struct attls_allow_pat *p = &a->pat[i];
	char v[INET6_ADDRSTRLEN + 8];
	size_t o;

	if (!len)
		return out;
	o = (size_t)snprintf(out, len, "%s", attls_peer_kind_prefix(p->kind));
	if (p->kind == ATTLS_PEER_SHA256) {
		for (int b = 0; b < 32 && o + 3 <= len; b++)
			o += (size_t)snprintf(out + o, len - o, "%02x", p->sha256[b]);
	} else if (p->kind == ATTLS_PEER_IP) {
		inet_ntop(p->cidr.family, p->cidr.addr, v, sizeof(v));
		snprintf(out + (o < len ? o : len - 1), len - (o < len ? o : len - 1), "%s/%u",
			 v, p->cidr.prefix);
	} else {
		for (const char *c = p->glob; *c && o + 3 <= len; c++) {
			if (*c == ',')
				out[o++] = '\\';
			out[o++] = *c;
		}
		out[o < len ? o : len - 1] = '\0';
	}
	return out;
}

const char *attls_allow_str(const struct attls_allow *a, char *out, size_t len)
{
	char one[512];
	size_t o = 0;

	if (!len)
		return out;
	out[0] = '\0';
	for (size_t i = 0; a && i < a->n; i++) {
		int n = snprintf(out + o, len - o, "%s%s", i ? ", " : "",
				 attls_allow_pattern_str(a, i, one, sizeof(one)));

		if (n < 0 || (size_t)n >= len - o) {
			if (len >= 4)
				memcpy(out + len - 4, "...", 4);
			break;
		}
		o += (size_t)n;
	}
	return out;
}
