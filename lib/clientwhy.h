/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why a client's handshake failed, in words an operator can act on, where
 * wolfSSL's own error says too little: a server that answered with
 * something other than TLS, and a server certificate for other names than
 * server_name. Pure functions of what the session saw; no state.
 */
#ifndef ATTLS_CLIENTWHY_H
#define ATTLS_CLIENTWHY_H

#include <stddef.h>

#include "wolf.h"

/* The most of the server's first bytes a client keeps to say this. */
#define ATTLS_FIRST_BYTES 32

/*
 * The server's first n bytes (at most ATTLS_FIRST_BYTES): when they are
 * not the start of a TLS record (content type 20-23, version 3.x), "the
 * server does not speak TLS: it answered with \"HTTP/1.0 400...\" (clear
 * text)", or with a hex prefix "(garbage)"; NULL when they are (an alert
 * included) or too few to tell. Written into buf.
 */
const char *attls_not_tls_reason(const unsigned char *b, size_t n, char *buf, size_t len);

/*
 * The server's certificate (ssl's peer, kept though the name check
 * failed) does not name server_name: "the server's certificate does not
 * name \"x\" (server_name): it names CN=a, DNS:b, IP:c". NULL when the
 * certificate cannot be read. Written into buf.
 */
const char *attls_name_mismatch_reason(WOLFSSL *ssl, const char *server_name, char *buf,
				       size_t len);

#endif
