/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A server's OCSP staple (ocsp_staple = yes), kept by attls rather than by
 * wolfSSL's status cache, so that it is refreshed before it expires:
 * wolfSSL asks attls's OCSP callback at every stapling handshake
 * (wolfssl/patches/revocation-switches.patch), which serves the kept
 * response, and fetches a new one once the kept one is past its refresh
 * point (halfway between its thisUpdate and nextUpdate).
 */
#ifndef ATTLS_STAPLE_H
#define ATTLS_STAPLE_H

#include "wolf.h"

struct attls_keyring;
struct attls_staple;

/* A key ring's empty staple (NULL: out of memory). */
struct attls_staple *attls_staple_new(void);

/* Frees it, with every response it kept; no handshake may be using it. */
void attls_staple_free(struct attls_staple *s);

/*
 * The I/O context of ctx, a server context of kr (kr->staple made): kept
 * on kr's staple, freed with it (NULL: out of memory). The contexts are
 * built before the policy is in force: no handshake runs meanwhile.
 */
void *attls_staple_ctx(struct attls_keyring *kr, WOLFSSL_CTX *ctx);

/*
 * wolfSSL's OCSP I/O callback (CbOCSPIO) for a server context, ioctx its
 * attls_staple_ctx: the response to staple, malloc'd, in *resp; its
 * length, or -1.
 */
int attls_staple_io(void *ioctx, const char *url, int urlsz, unsigned char *req, int reqsz,
		    unsigned char **resp);

#endif
