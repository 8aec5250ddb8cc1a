/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "certid.h"
#include "wolf.h"

#include <wolfssl/wolfcrypt/sha256.h>

/* A DER element: its tag, its contents, and where the next one starts. */
struct tlv {
	unsigned char tag;
	const unsigned char *v;
	size_t len;
	const unsigned char *next;
};

/* The element at p (before end). 0, or -1 when it is not well formed. */
static int tlv(const unsigned char *p, const unsigned char *end, struct tlv *t)
{
	size_t len = 0, n;

	if (end - p < 2 || (p[0] & 0x1f) == 0x1f) /* multi-byte tags: none here */
		return -1;
	t->tag = p[0];
	if (p[1] < 0x80) {
		len = p[1];
		p += 2;
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || (size_t)(end - p) < 2 + n)
			return -1;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		p += 2 + n;
	}
	if (len > (size_t)(end - p))
		return -1;
	t->v = p;
	t->len = len;
	t->next = p + len;
	return 0;
}

static void add(struct attls_peer_id *id, enum attls_peer_kind k, const unsigned char *v,
		size_t len)
{
	if (id->n == ATTLS_PEER_FIELDS_MAX) {
		id->cut = true;
		return;
	}
	id->f[id->n].kind = k;
	id->f[id->n].v = v;
	id->f[id->n].len = len;
	id->n++;
}

/* The subject's entries this reader knows (2.5.4.x). */
static int subject(const struct tlv *name, struct attls_peer_id *id)
{
	static const struct {
		unsigned char last;
		enum attls_peer_kind kind;
	} attrs[] = { { 3, ATTLS_PEER_CN }, { 10, ATTLS_PEER_O }, { 11, ATTLS_PEER_OU },
		      { 6, ATTLS_PEER_C }, { 8, ATTLS_PEER_ST }, { 7, ATTLS_PEER_L } };
	const unsigned char *end = name->v + name->len;
	struct tlv set, atv, oid, val;

	for (const unsigned char *p = name->v; p < end; p = set.next) {
		if (tlv(p, end, &set) < 0 || set.tag != 0x31)
			return -1;
		for (const unsigned char *q = set.v; q < set.next; q = atv.next) {
			if (tlv(q, set.next, &atv) < 0 || atv.tag != 0x30 ||
			    tlv(atv.v, atv.next, &oid) < 0 || oid.tag != 0x06 ||
			    tlv(oid.next, atv.next, &val) < 0)
				return -1;
			if (oid.len != 3 || oid.v[0] != 0x55 || oid.v[1] != 0x04)
				continue;
			/*
			 * UTF8String, PrintableString, IA5String, T61String:
			 * bytes as they are. BMP and Universal strings are
			 * left out: not ASCII, so they would match nothing.
			 */
			if (val.tag != 0x0c && val.tag != 0x13 && val.tag != 0x16 && val.tag != 0x14)
				continue;
			for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
				if (attrs[i].last == oid.v[2])
					add(id, attrs[i].kind, val.v, val.len);
		}
	}
	return 0;
}

/* The GeneralNames of a subjectAltName extension's value. */
static int sans(const struct tlv *octets, struct attls_peer_id *id)
{
	const unsigned char *end = octets->v + octets->len;
	struct tlv seq, gn;

	if (tlv(octets->v, end, &seq) < 0 || seq.tag != 0x30 || seq.next != end)
		return -1;
	for (const unsigned char *p = seq.v; p < seq.next; p = gn.next) {
		if (tlv(p, seq.next, &gn) < 0)
			return -1;
		switch (gn.tag) {
		case 0x81: add(id, ATTLS_PEER_EMAIL, gn.v, gn.len); break;
		case 0x82: add(id, ATTLS_PEER_DNS, gn.v, gn.len); break;
		case 0x86: add(id, ATTLS_PEER_URI, gn.v, gn.len); break;
		case 0x87: add(id, ATTLS_PEER_IP, gn.v, gn.len); break;
		default: break; /* otherName, directoryName...: not matched */
		}
	}
	return 0;
}

int attls_cert_id(const unsigned char *der, size_t len, struct attls_peer_id *id)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	const unsigned char *end = der + len, *p;
	struct tlv cert, tbs, e;
	int idx = 0;
	bool seen_san = false;

	memset(id, 0, sizeof(*id));
	if (!der || len > UINT32_MAX ||
	    wc_Sha256Hash(der, (word32)len, id->sha256) != 0)
		return -1;
	if (tlv(der, end, &cert) < 0 || cert.tag != 0x30 || tlv(cert.v, cert.next, &tbs) < 0 ||
	    tbs.tag != 0x30)
		return -1;
	/* version [0]?, serial, signature, issuer, validity, subject, spki, ... [3] */
	for (p = tbs.v; p < tbs.next; p = e.next) {
		if (tlv(p, tbs.next, &e) < 0)
			return -1;
		if (e.tag == 0xa0 && idx == 0)
			continue;
		if (idx++ == 4 && (e.tag != 0x30 || subject(&e, id) < 0))
			return -1;
		if (e.tag != 0xa3)
			continue;
		struct tlv exts, ext, oid, crit, val;

		if (tlv(e.v, e.next, &exts) < 0 || exts.tag != 0x30)
			return -1;
		for (const unsigned char *q = exts.v; q < exts.next; q = ext.next) {
			if (tlv(q, exts.next, &ext) < 0 || ext.tag != 0x30 ||
			    tlv(ext.v, ext.next, &oid) < 0 || oid.tag != 0x06 ||
			    tlv(oid.next, ext.next, &crit) < 0)
				return -1;
			val = crit;
			if (crit.tag == 0x01 && tlv(crit.next, ext.next, &val) < 0)
				return -1;
			if (val.tag != 0x04 || oid.len != sizeof(san_oid) ||
			    memcmp(oid.v, san_oid, sizeof(san_oid)))
				continue;
			/* Two subjectAltNames (RFC 5280 forbids it): which would count? */
			if (seen_san || sans(&val, id) < 0)
				return -1;
			seen_san = true;
		}
	}
	return idx > 4 ? 0 : -1;
}

/* Appends s (len bytes, escaped when value) at *o; false when it is full. */
static bool put(char *out, size_t len, size_t *o, const unsigned char *s, size_t n, bool value)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		bool plain = !value || (c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ',');

		if (*o + (plain ? 1 : 4) + 4 > len)
			return false;
		if (plain) {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '\\';
			out[(*o)++] = 'x';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		}
	}
	return true;
}

/*
 * One name into out at *o: sep (unless it is the first), pre, the value
 * (an IP in its text form, anything else escaped). False when out is full.
 */
static bool put_name(char *out, size_t len, size_t *o, const struct attls_peer_field *f,
		     const char *pre, const char *sep, bool first)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (!put(out, len, o, (const unsigned char *)sep, first ? 0 : strlen(sep), false) ||
	    !put(out, len, o, (const unsigned char *)pre, strlen(pre), false))
		return false;
	if (f->kind != ATTLS_PEER_IP)
		return put(out, len, o, f->v, f->len, true);
	if (f->len == 4 || f->len == 16)
		inet_ntop(f->len == 4 ? AF_INET : AF_INET6, f->v, ip, sizeof(ip));
	return put(out, len, o, (const unsigned char *)ip, strlen(ip), false);
}

const char *attls_cert_sans_str(const struct attls_peer_id *id, char *out, size_t len)
{
	size_t o = 0;
	bool first = true;

	if (len < 8) {
		if (len)
			out[0] = '\0';
		return out;
	}
	for (size_t i = 0; i < id->n; i++) {
		const struct attls_peer_field *f = &id->f[i];
		const char *pre = f->kind == ATTLS_PEER_DNS ? "DNS:" : f->kind == ATTLS_PEER_URI ?
				  "URI:" : f->kind == ATTLS_PEER_EMAIL ? "EMAIL:" :
				  f->kind == ATTLS_PEER_IP ? "IP:" : NULL;

		if (!pre)
			continue;
		if (!put_name(out, len, &o, f, pre, ",", first)) {
			memcpy(out + o, "...", 4);
			return out;
		}
		first = false;
	}
	out[o] = '\0';
	return out;
}

const char *attls_cert_names_str(const struct attls_peer_id *id, char *out, size_t len)
{
	size_t o = 0;
	bool first = true;

	if (len < 8) {
		if (len)
			out[0] = '\0';
		return out;
	}
	/* The subject's CNs first, as a name checker reads them. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < id->n; i++) {
			const struct attls_peer_field *f = &id->f[i];
			const char *pre = f->kind == ATTLS_PEER_CN ? "CN=" :
					  f->kind == ATTLS_PEER_DNS ? "DNS:" :
					  f->kind == ATTLS_PEER_IP ? "IP:" : NULL;

			if (!pre || (pass == 0) != (f->kind == ATTLS_PEER_CN))
				continue;
			if (!put_name(out, len, &o, f, pre, ", ", first)) {
				memcpy(out + o, "...", 4);
				return out;
			}
			first = false;
		}
	if (first)
		snprintf(out, len, "no DNS or IP name and no CN");
	else
		out[o] = '\0';
	return out;
}
