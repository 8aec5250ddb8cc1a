/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A key ring into a wolfSSL context: the certificate chain and the private
 * key (PEM files, or objects on a PKCS#11 token) and the CAs. Errors name
 * the policy line they come from.
 */
#ifndef ATTLS_KEYRING_H
#define ATTLS_KEYRING_H

#include "policy.h"
#include "wolf.h"

int attls_keyring_load(const struct attls_policy *p, const struct attls_keyring *kr,
		       WOLFSSL_CTX *ctx, struct attls_errors *errs);

/*
 * Loads kr into ctx (a server context) and proves that its key matches its
 * certificate, so that a wrong PIN, a missing object or a mismatched key is
 * reported when the policy loads, never at the first handshake.
 */
int attls_keyring_check(const struct attls_policy *p, const struct attls_keyring *kr,
			WOLFSSL_CTX *ctx, struct attls_errors *errs);

/*
 * The certificate a key ring names by a PKCS#11 URI, read from its token
 * (opened as the loader opens it): DER in *der (malloc'ed). 0, or -1 with
 * why. For attls check's warnings.
 */
int attls_keyring_token_cert(const struct attls_policy *p, const struct attls_keyring *kr,
			     unsigned char **der, size_t *der_len, char *why, size_t whylen);

/*
 * fn on each file of the key ring's ca (the file, or each file of the
 * directory), read and checked as they are loaded: the bytes, NUL after
 * them, and the file's name. fn returns 0 or -1 (an error, in errs).
 * 0, or -1 on the first error.
 */
int attls_keyring_each_ca(const struct attls_policy *p, const struct attls_keyring *kr,
			  int (*fn)(const struct attls_policy *p, const struct attls_keyring *kr,
				    void *arg, const unsigned char *buf, size_t len,
				    const char *name, struct attls_errors *errs),
			  void *arg, struct attls_errors *errs);

#endif
