/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A protocol version mismatch in words: which versions each side had, for
 * the reason of a failed handshake (ATTLS022E). Pure functions of what the
 * session saw; no state.
 */
#ifndef ATTLS_PROTOWHY_H
#define ATTLS_PROTOWHY_H

#include <stdbool.h>
#include <stddef.h>

/* The enum attls_proto bit of a wire version (0x0303: TLSv1.2); 0 for none. */
unsigned attls_proto_bit(unsigned version);

/* "TLSv1.3, TLSv1.2" of enum attls_proto bits, highest first. */
void attls_proto_names(unsigned bits, char *buf, size_t len);

/*
 * What a client saw of a server whose handshake failed, before any of it
 * was authenticated.
 */
struct attls_client_view {
	unsigned protocols; /* the level's (enum attls_proto bits) */
	unsigned chosen;    /* the wire version its ServerHello chose; 0: none read */
	int alert;          /* the fatal alert it sent (AlertDescription); -1: none */
	bool said_nothing;  /* not one byte came from it */
	const char *end;    /* it ended the connection: how ("the peer closed..."); or NULL */
};

/*
 * The reason of a client's failed handshake where the protocol versions
 * are its cause, or may be: the server chose one the level does not allow,
 * refused every one offered with a protocol_version alert, or ended the
 * connection without answering the ClientHello. NULL when none of these
 * holds (the caller says what it says otherwise). Written into buf.
 */
const char *attls_client_version_reason(const struct attls_client_view *v, char *buf,
					size_t len);

#endif
