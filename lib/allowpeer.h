/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * allow_peer: which verified peers may talk to this program. A list of
 * patterns over the peer's leaf certificate, any one of which lets it in:
 *
 *   CN= O= OU= C= ST= L=   a subject attribute (any entry of it), glob,
 *                          byte for byte (case counts)
 *   SAN:DNS=               a dNSName, glob; ASCII case ignored; a * stays
 *                          within one label (never crosses a dot)
 *   SAN:URI=               a URI, glob, byte for byte; a * never crosses /
 *   SAN:EMAIL=             an rfc822Name with one @: the local part byte
 *                          for byte, the domain with ASCII case ignored; a
 *                          * never crosses @ or, after it, a dot
 *   SAN:IP=                an iPAddress inside an address or CIDR
 *   SHA256:                the SHA-256 of the whole certificate (DER), 64
 *                          hex digits, colons allowed
 *
 * In a glob, * matches any run of characters (none included) within the
 * limits above; \* is a star and \\ a backslash. Patterns are separated by
 * commas; \, is a comma inside one. A certificate value holding a control
 * byte (a NUL, say) matches no pattern. Pure data: no wolfSSL here.
 */
#ifndef ATTLS_ALLOWPEER_H
#define ATTLS_ALLOWPEER_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

enum attls_peer_kind {
	ATTLS_PEER_CN,
	ATTLS_PEER_O,
	ATTLS_PEER_OU,
	ATTLS_PEER_C,
	ATTLS_PEER_ST,
	ATTLS_PEER_L,
	ATTLS_PEER_DNS,
	ATTLS_PEER_URI,
	ATTLS_PEER_EMAIL,
	ATTLS_PEER_IP,
	ATTLS_PEER_SHA256,
};

struct attls_allow_pat {
	enum attls_peer_kind kind;
	char *glob;             /* the glob (escapes kept), or NULL */
	struct attls_cidr cidr; /* SAN:IP */
	unsigned char sha256[32];
};

/*
 * An allow_peer value: its patterns and where it was written. Read-only
 * once the policy is loaded: every thread matches against it without a
 * lock, and it lives as long as its policy (each session holds one), so a
 * reload never frees it under a handshake. A fork's child shares nothing
 * that changes; no signal handler reads it.
 */
struct attls_allow {
	int line;
	size_t n;
	struct attls_allow_pat *pat;
};

/* One name the certificate gives: a subject attribute or a SAN. */
struct attls_peer_field {
	enum attls_peer_kind kind;
	const unsigned char *v; /* IP: 4 or 16 bytes */
	size_t len;
};

#define ATTLS_PEER_FIELDS_MAX 128

/* What a leaf certificate says of its holder (certid.h builds it). */
struct attls_peer_id {
	size_t n;
	bool cut; /* more fields than ATTLS_PEER_FIELDS_MAX: the rest are ignored */
	struct attls_peer_field f[ATTLS_PEER_FIELDS_MAX];
	unsigned char sha256[32];
};

/*
 * Parses an allow_peer value. 0, or -1 with why (naming the pattern at
 * fault) and *out untouched.
 */
int attls_allow_parse(const char *value, struct attls_allow *out, char *why, size_t whylen);
void attls_allow_free(struct attls_allow *a);
/* The allow-list a descriptor uses: its own, else its level's, else NULL. */
const struct attls_allow *attls_traffic_allow(const struct attls_traffic *t);

/* Whether id matches some pattern of a; *which gets its index. */
bool attls_allow_match(const struct attls_allow *a, const struct attls_peer_id *id,
		       size_t *which);

/* Pattern i as the policy would write it (escapes kept), into out. */
const char *attls_allow_pattern_str(const struct attls_allow *a, size_t i, char *out,
				    size_t len);
/* The whole list, comma-separated, into out (cut with "..." if needed). */
const char *attls_allow_str(const struct attls_allow *a, char *out, size_t len);

/* The prefix of a kind: "CN=", "SAN:DNS=", "SHA256:". */
const char *attls_peer_kind_prefix(enum attls_peer_kind k);

#endif
