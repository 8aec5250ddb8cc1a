/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A key proven against its certificate by one signature and one
 * verification (keycheck.h), instead of a TLS handshake in memory: the
 * part of a program's start that every exec under attls pays. No state:
 * any thread, a fork or a signal finds nothing of it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "keycheck.h"
#include "wolf.h"

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/signature.h>

#define SPKI_MAX 4096

union pair_key {
	RsaKey rsa;
	ecc_key ecc;
};

/* The key's type, decoded into priv; 1 if it is neither RSA nor ECC. */
static int decode_private(const unsigned char *der, word32 len, union pair_key *priv,
			  enum wc_SignatureType *type)
{
	word32 idx = 0;

	if (wc_InitRsaKey(&priv->rsa, NULL) == 0) {
		if (wc_RsaPrivateKeyDecode(der, &idx, &priv->rsa, len) == 0) {
			*type = WC_SIGNATURE_TYPE_RSA_W_ENC;
			return 0;
		}
		wc_FreeRsaKey(&priv->rsa);
	}
	idx = 0;
	if (wc_ecc_init(&priv->ecc) == 0) {
		if (wc_EccPrivateKeyDecode(der, &idx, &priv->ecc, len) == 0) {
			*type = WC_SIGNATURE_TYPE_ECC;
			return 0;
		}
		wc_ecc_free(&priv->ecc);
	}
	return 1;
}

static void free_key(union pair_key *k, enum wc_SignatureType type)
{
	if (type == WC_SIGNATURE_TYPE_ECC)
		wc_ecc_free(&k->ecc);
	else
		wc_FreeRsaKey(&k->rsa);
}

/* The certificate's public key as the same type; -1 if it is another. */
static int decode_public(const unsigned char *spki, word32 len, union pair_key *pub,
			 enum wc_SignatureType type)
{
	word32 idx = 0;

	if (type == WC_SIGNATURE_TYPE_ECC) {
		if (wc_ecc_init(&pub->ecc))
			return -1;
		if (wc_EccPublicKeyDecode(spki, &idx, &pub->ecc, len) == 0)
			return 0;
		wc_ecc_free(&pub->ecc);
		return -1;
	}
	if (wc_InitRsaKey(&pub->rsa, NULL))
		return -1;
	if (wc_RsaPublicKeyDecode(spki, &idx, &pub->rsa, len) == 0)
		return 0;
	wc_FreeRsaKey(&pub->rsa);
	return -1;
}

static const char mismatch[] = "the key does not match the certificate: a signature it made "
			      "does not verify with the certificate's public key";

/* The public key of the first certificate in cert (PEM or DER), as SubjectPublicKeyInfo. */
static int cert_spki(const unsigned char *cert, size_t cert_len, int format, unsigned char *spki,
		     int *spki_len, char *err, size_t errlen)
{
	WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_buffer(cert, (int)cert_len, format);
	int rc = x ? wolfSSL_X509_get_pubkey_buffer(x, spki, spki_len) : 0;

	wolfSSL_X509_free(x);
	if (rc != WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "the certificate's public key cannot be read");
		return -1;
	}
	return 0;
}

/* A random SHA-256 digest signed with priv and verified with pub: 0, or -1 with why. */
static int sign_verify(union pair_key *priv, union pair_key *pub, enum wc_SignatureType type,
		       char *err, size_t errlen)
{
	unsigned char digest[32], sig[1024];
	word32 sig_len;
	WC_RNG rng;
	int rc = wc_InitRng(&rng);

	if (rc) {
		snprintf(err, errlen, "no random numbers for the key check (error %d)", rc);
		return -1;
	}
	rc = wc_RNG_GenerateBlock(&rng, digest, sizeof(digest));
	sig_len = (word32)wc_SignatureGetSize(type, pub, sizeof(*pub));
	if (rc == 0 && (sig_len == 0 || sig_len > sizeof(sig)))
		rc = -1;
	if (rc == 0)
		rc = wc_SignatureGenerate(WC_HASH_TYPE_SHA256, type, digest, sizeof(digest), sig,
					  &sig_len, priv, sizeof(*priv), &rng);
	if (rc == 0) {
		rc = wc_SignatureVerify(WC_HASH_TYPE_SHA256, type, digest, sizeof(digest), sig,
					sig_len, pub, sizeof(*pub));
		if (rc)
			snprintf(err, errlen, "%s", mismatch);
	} else if (rc == SIG_VERIFY_E) {
		/* wolfCrypt checks a signature it made with the key's public part: the certificate's. */
		snprintf(err, errlen, "%s", mismatch);
	} else {
		snprintf(err, errlen, "the key cannot sign (error %d)", rc);
	}
	wc_FreeRng(&rng);
	return rc ? -1 : 0;
}

int attls_keyproof(const unsigned char *cert_pem, size_t cert_len, const unsigned char *key_der,
		   size_t key_len, char *err, size_t errlen)
{
	unsigned char spki[SPKI_MAX];
	union pair_key priv, pub;
	enum wc_SignatureType type = WC_SIGNATURE_TYPE_NONE;
	int spki_len = sizeof(spki), rc, off;
	const unsigned char *der = key_der;
	word32 der_len = (word32)key_len, idx = 0;

	if (cert_spki(cert_pem, cert_len, WOLFSSL_FILETYPE_PEM, spki, &spki_len, err, errlen) < 0)
		return -1;
	/* PKCS#8: the key inside it. */
	off = wc_GetPkcs8TraditionalOffset((byte *)key_der, &idx, der_len);
	if (off > 0 && idx + (word32)off <= der_len) {
		der += idx;
		der_len = (word32)off;
	}
	if (decode_private(der, der_len, &priv, &type))
		return 1;
	if (decode_public(spki, (word32)spki_len, &pub, type) < 0) {
		free_key(&priv, type);
		snprintf(err, errlen, "%s (the certificate holds another type of key)", mismatch);
		return -1;
	}
	rc = sign_verify(&priv, &pub, type, err, errlen);
	free_key(&priv, type);
	free_key(&pub, type);
	return rc;
}

/*
 * A key on a token: a key object that names it (id or label) on dev_id,
 * with the certificate's public key copied in, since the sizes come from
 * it; the signature is made by the token (the crypto callback, pkcs11.c).
 */
int attls_keyproof_token(const unsigned char *cert, size_t cert_len, int format,
			 const unsigned char *id, size_t id_len, const char *label, int dev_id,
			 char *err, size_t errlen)
{
	unsigned char spki[SPKI_MAX];
	union pair_key priv, pub;
	enum wc_SignatureType type;
	int spki_len = sizeof(spki), rc;
	word32 idx = 0;

	if (cert_spki(cert, cert_len, format, spki, &spki_len, err, errlen) < 0)
		return -1;
	/* The certificate's key type is the one to try: RSA, else ECC. */
	type = WC_SIGNATURE_TYPE_RSA_W_ENC;
	if (decode_public(spki, (word32)spki_len, &pub, type) < 0) {
		type = WC_SIGNATURE_TYPE_ECC;
		if (decode_public(spki, (word32)spki_len, &pub, type) < 0)
			return 1;
	}
	if (type == WC_SIGNATURE_TYPE_ECC)
		rc = label ? wc_ecc_init_label(&priv.ecc, label, NULL, dev_id) :
			     wc_ecc_init_id(&priv.ecc, (unsigned char *)id, (int)id_len, NULL,
					    dev_id);
	else
		rc = label ? wc_InitRsaKey_Label(&priv.rsa, label, NULL, dev_id) :
			     wc_InitRsaKey_Id(&priv.rsa, (unsigned char *)id, (int)id_len, NULL,
					      dev_id);
	if (rc) {
		free_key(&pub, type);
		snprintf(err, errlen, "the token's key cannot be used (error %d)", rc);
		return -1;
	}
	rc = type == WC_SIGNATURE_TYPE_ECC ?
		     wc_EccPublicKeyDecode(spki, &idx, &priv.ecc, (word32)spki_len) :
		     wc_RsaPublicKeyDecode(spki, &idx, &priv.rsa, (word32)spki_len);
	if (rc == 0)
		rc = sign_verify(&priv, &pub, type, err, errlen);
	else
		snprintf(err, errlen, "the certificate's public key cannot be read");
	free_key(&priv, type);
	free_key(&pub, type);
	return rc ? -1 : 0;
}
