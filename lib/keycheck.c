/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keycheck.h"
#include "wolf.h"

#include <wolfssl/error-ssl.h>

#define PIPE_CAP (64 * 1024)

struct pipe {
	unsigned char buf[PIPE_CAP];
	size_t len;
};

struct ends {
	struct pipe *in, *out;
};

static int pipe_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct pipe *p = ((struct ends *)ctx)->in;
	size_t n = p->len < (size_t)sz ? p->len : (size_t)sz;

	(void)ssl;
	if (!n)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	memcpy(buf, p->buf, n);
	memmove(p->buf, p->buf + n, p->len - n);
	p->len -= n;
	return (int)n;
}

static int pipe_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct pipe *p = ((struct ends *)ctx)->out;

	(void)ssl;
	if (p->len + (size_t)sz > PIPE_CAP)
		return WOLFSSL_CBIO_ERR_GENERAL;
	memcpy(p->buf + p->len, buf, (size_t)sz);
	p->len += (size_t)sz;
	return sz;
}

static WOLFSSL *end_of(WOLFSSL_CTX *ctx, struct ends *e)
{
	WOLFSSL *ssl = wolfSSL_new(ctx);

	if (!ssl)
		return NULL;
	wolfSSL_SSLSetIORecv(ssl, pipe_recv);
	wolfSSL_SSLSetIOSend(ssl, pipe_send);
	wolfSSL_SetIOReadCtx(ssl, e);
	wolfSSL_SetIOWriteCtx(ssl, e);
	return ssl;
}

static bool pending(WOLFSSL *ssl, int rc)
{
	int err = wolfSSL_get_error(ssl, rc);

	return err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE;
}

int attls_keycheck(void *server_ctx, char *err, size_t errlen)
{
	struct pipe *c2s = calloc(1, sizeof(*c2s)), *s2c = calloc(1, sizeof(*s2c));
	struct ends cend = { s2c, c2s }, send = { c2s, s2c };
	WOLFSSL_CTX *cctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	WOLFSSL *c = NULL, *s = NULL;
	int rc = -1, rcs = 0, rcc = 0;

	if (!c2s || !s2c || !cctx || !(c = end_of(cctx, &cend)) ||
	    !(s = end_of(server_ctx, &send))) {
		snprintf(err, errlen, "cannot set up the key check");
		goto out;
	}
	/* The signature is checked whatever the verify mode: trust is not the point. */
	wolfSSL_set_verify(c, WOLFSSL_VERIFY_NONE, NULL);
	for (int i = 0; i < 32; i++) {
		if (rcc != WOLFSSL_SUCCESS)
			rcc = wolfSSL_connect(c);
		if (rcs != WOLFSSL_SUCCESS)
			rcs = wolfSSL_accept(s);
		if (rcc == WOLFSSL_SUCCESS && rcs == WOLFSSL_SUCCESS) {
			rc = 0;
			goto out;
		}
		if ((rcc != WOLFSSL_SUCCESS && !pending(c, rcc)) ||
		    (rcs != WOLFSSL_SUCCESS && !pending(s, rcs)))
			break;
	}
	if (rcc != WOLFSSL_SUCCESS && !pending(c, rcc)) {
		/* The client refused what the key signed. */
		snprintf(err, errlen, "the key does not match the certificate: a signature it "
				      "made does not verify with the certificate's public key");
	} else {
		char why[96];
		int e = wolfSSL_get_error(s, rcs);

		snprintf(err, errlen, "the key cannot sign (%s)",
			 attls_wolf_strerror(e, why, sizeof(why)));
	}
out:
	if (c)
		wolfSSL_free(c);
	if (s)
		wolfSSL_free(s);
	if (cctx)
		wolfSSL_CTX_free(cctx);
	free(c2s);
	free(s2c);
	return rc;
}
