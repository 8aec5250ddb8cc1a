/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proves that a context's private key belongs to its certificate: a TLS
 * handshake in memory, against a client that checks the signature the key
 * makes with the certificate's public key. It works the same for a key in
 * a file and a key on a token, where no key material can be compared.
 */
#ifndef ATTLS_KEYCHECK_H
#define ATTLS_KEYCHECK_H

#include <stddef.h>

/* server_ctx: a WOLFSSL_CTX with certificate and key. 0, or -1 with why. */
int attls_keycheck(void *server_ctx, char *err, size_t errlen);

#endif
