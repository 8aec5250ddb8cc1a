/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cipher suites a context ends with: none without encryption or authentication. */
#ifndef ATTLS_CIPHERCHECK_H
#define ATTLS_CIPHERCHECK_H

#include "policy.h"

/*
 * Why wolfSSL's suite name gives no encryption or no authentication of the
 * peer, or NULL if it gives both.
 */
const char *attls_cipher_weakness(const char *name);

/*
 * Walks the suites a WOLFSSL made from ctx (a WOLFSSL_CTX) would offer,
 * after wolfSSL expanded the list (ALL, eNULL, ...). Each suite without
 * encryption (NULL, TLS 1.3 integrity-only) or without authentication
 * (anonymous, pre-shared key only) is named in one "FILE:LINE: ciphers:"
 * error. Then each name of list (the policy's, colon-separated) must be one
 * wolfSSL knows on its own, and the suites must hold one for the
 * protocols (enum attls_proto bits) of the level. Returns 0, or -1 with
 * the errors added.
 */
int attls_ciphers_check(void *ctx, const char *list, unsigned protocols, const char *file,
			int line, struct attls_errors *errs);

#endif
