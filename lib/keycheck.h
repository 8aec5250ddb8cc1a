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

/*
 * The cheaper proof for a key whose bytes attls holds (a key file): one
 * signature of a random SHA-256 digest with the key (DER: PKCS#1, SEC1 or
 * PKCS#8), verified with the public key of the first certificate of the
 * PEM chain cert_pem (cert_len bytes, NUL-terminated). 0: proven;
 * -1: it does not match, or cannot sign (why); 1: a key type this proof
 * does not know (RSA and ECDSA only): the caller proves it with
 * attls_keycheck.
 */
int attls_keyproof(const unsigned char *cert_pem, size_t cert_len, const unsigned char *key_der,
		   size_t key_len, char *err, size_t errlen);

/*
 * The same proof for a key on a token, named by id (id_len bytes) or, when
 * label is not NULL, by label, on the device dev_id (pkcs11.h): the token
 * signs, the certificate (cert, WOLFSSL_FILETYPE_PEM or _ASN1) verifies.
 * 0, -1 with why, 1 for a key type it does not know.
 */
int attls_keyproof_token(const unsigned char *cert, size_t cert_len, int format,
			 const unsigned char *id, size_t id_len, const char *label, int dev_id,
			 char *err, size_t errlen);

#endif
