/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "policy.h"
#include "protowhy.h"

#define ALERT_PROTOCOL_VERSION 70 /* RFC 8446 6.2 */

static const struct {
	unsigned version, bit;
	const char *name;
} versions[] = {
	{ 0x0304, ATTLS_PROTO_TLS13, "TLSv1.3" },
	{ 0x0303, ATTLS_PROTO_TLS12, "TLSv1.2" },
	{ 0x0302, ATTLS_PROTO_TLS11, "TLSv1.1" },
	{ 0x0301, ATTLS_PROTO_TLS10, "TLSv1.0" },
	{ 0x0300, 0, "SSLv3" },
};

#define NVERSIONS (sizeof(versions) / sizeof(versions[0]))

unsigned attls_proto_bit(unsigned version)
{
	for (size_t i = 0; i < NVERSIONS; i++)
		if (versions[i].version == version)
			return versions[i].bit;
	return 0;
}

void attls_proto_names(unsigned bits, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < NVERSIONS && o < len; i++)
		if (versions[i].bit && (bits & versions[i].bit))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
					      versions[i].name);
}

/* A wire version's name; one no TLS knows as its hex. */
static const char *version_name(unsigned version, char *buf, size_t len)
{
	for (size_t i = 0; i < NVERSIONS; i++)
		if (versions[i].version == version)
			return versions[i].name;
	snprintf(buf, len, "version 0x%04x", version & 0xffffu);
	return buf;
}

/*
 * What a client offers: every version from the level's lowest to its
 * highest (wolfSSL takes a range: its minimum and maximum).
 */
static unsigned offered(unsigned protocols)
{
	unsigned lo = protocols & -protocols, bits = 0;

	for (unsigned b = lo; b && b <= protocols; b <<= 1)
		bits |= b;
	return bits;
}

const char *attls_client_version_reason(const struct attls_client_view *v, char *buf,
					size_t len)
{
	char names[64], other[32];

	if (!v->protocols || !len)
		return NULL;
	attls_proto_names(offered(v->protocols), names, sizeof(names));
	if (v->chosen) {
		/* It answered: only a version outside the level is worth a word here. */
		if (attls_proto_bit(v->chosen) & v->protocols)
			return NULL;
		snprintf(buf, len, "no protocol version in common: the server chose %s, the "
			 "descriptor's security level allows %s (protocols)",
			 version_name(v->chosen, other, sizeof(other)), names);
		return buf;
	}
	if (v->alert == ALERT_PROTOCOL_VERSION) {
		snprintf(buf, len, "no protocol version in common: the server refused every "
			 "version offered (%s, as the descriptor's security level allows "
			 "(protocols)) with a protocol_version alert", names);
		return buf;
	}
	/*
	 * Some servers close without an alert when they speak none of the
	 * versions offered; so do others for other reasons (no cipher suite in
	 * common, too busy): a possibility, said as one.
	 */
	if (v->end && v->said_nothing) {
		snprintf(buf, len, "%s before answering the ClientHello (a server that speaks "
			 "none of the versions offered, %s as the descriptor's security level "
			 "allows (protocols), may do that)", v->end, names);
		return buf;
	}
	return NULL;
}
