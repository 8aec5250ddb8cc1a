/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cryptodev.h"

#include <dlfcn.h>
#include <gcrypt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "trace.h"

#define GCRYPT_SONAME "libgcrypt.so.20"

static struct {
	__typeof__(&gcry_check_version) check_version;
	__typeof__(&gcry_control) control;
	__typeof__(&gcry_get_config) get_config;
	__typeof__(&gcry_free) free;
	__typeof__(&gcry_cipher_open) cipher_open;
	__typeof__(&gcry_cipher_close) cipher_close;
	__typeof__(&gcry_cipher_setkey) cipher_setkey;
	__typeof__(&gcry_cipher_setiv) cipher_setiv;
	__typeof__(&gcry_cipher_authenticate) cipher_authenticate;
	__typeof__(&gcry_cipher_encrypt) cipher_encrypt;
	__typeof__(&gcry_cipher_decrypt) cipher_decrypt;
	__typeof__(&gcry_cipher_gettag) cipher_gettag;
	__typeof__(&gcry_cipher_checktag) cipher_checktag;
} gc;

static bool device_active;
static atomic_bool device_failed;
static char device_desc[160];
static unsigned device_trace; /* the policy's trace mask, for the one warning */

/*
 * One cipher handle per thread, re-keyed only when the key changes: a TLS
 * connection keeps its key, so steady traffic never re-keys.
 */
struct gcm_handle {
	gcry_cipher_hd_t hd;
	int keylen;
	unsigned char key[32];
};

static pthread_key_t handle_key;

static void handle_free(void *p)
{
	struct gcm_handle *h = p;

	if (h->hd)
		gc.cipher_close(h->hd);
	memset(h, 0, sizeof(*h));
	free(h);
}

static gcry_cipher_hd_t gcm_for(const Aes *aes)
{
	struct gcm_handle *h = pthread_getspecific(handle_key);
	int algo;

	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h || pthread_setspecific(handle_key, h)) {
			free(h);
			return NULL;
		}
	}
	if (h->hd && h->keylen == aes->keylen && !memcmp(h->key, aes->devKey, (size_t)aes->keylen))
		return h->hd;
	algo = aes->keylen == 16 ? GCRY_CIPHER_AES128 :
	       aes->keylen == 24 ? GCRY_CIPHER_AES192 :
	       aes->keylen == 32 ? GCRY_CIPHER_AES256 : 0;
	if (!algo)
		return NULL;
	if (h->hd && h->keylen != aes->keylen) {
		gc.cipher_close(h->hd);
		h->hd = NULL;
	}
	if (!h->hd && gc.cipher_open(&h->hd, algo, GCRY_CIPHER_MODE_GCM, 0))
		return NULL;
	if (gc.cipher_setkey(h->hd, aes->devKey, (size_t)aes->keylen)) {
		gc.cipher_close(h->hd);
		h->hd = NULL;
		return NULL;
	}
	h->keylen = aes->keylen;
	memcpy(h->key, aes->devKey, (size_t)aes->keylen);
	return h->hd;
}

/*
 * The device failed: wolfSSL does this operation in software (the key
 * schedule is there too), sessions that start from now on do not use the
 * device, and the operator is told once.
 */
static int failed(void)
{
	if (!atomic_exchange(&device_failed, true))
		attls_trace(device_trace | ATTLS_TRACE_ERROR, ATTLS_MSG_DEVICE_FAILED, NULL,
			    "%s", device_desc);
	return CRYPTOCB_UNAVAILABLE;
}

/* For tests: makes the device fail as a broken accelerator would. */
static atomic_bool broken;

void attls_cryptodev_break(bool on)
{
	atomic_store(&broken, on);
}

static int gcm_encrypt(__typeof__(((wc_CryptoInfo *)0)->cipher.aesgcm_enc) *e)
{
	gcry_cipher_hd_t hd = atomic_load(&broken) ? NULL : gcm_for(e->aes);

	if (!hd || gc.cipher_setiv(hd, e->iv, e->ivSz) ||
	    gc.cipher_authenticate(hd, e->authIn, e->authInSz) ||
	    gc.cipher_encrypt(hd, e->out, e->sz, e->in, e->sz) ||
	    gc.cipher_gettag(hd, e->authTag, e->authTagSz))
		return failed();
	return 0;
}

static int gcm_decrypt(__typeof__(((wc_CryptoInfo *)0)->cipher.aesgcm_dec) *d)
{
	gcry_cipher_hd_t hd = atomic_load(&broken) ? NULL : gcm_for(d->aes);
	gcry_error_t err;

	if (!hd || gc.cipher_setiv(hd, d->iv, d->ivSz) ||
	    gc.cipher_authenticate(hd, d->authIn, d->authInSz) ||
	    gc.cipher_decrypt(hd, d->out, d->sz, d->in, d->sz))
		return failed();
	err = gc.cipher_checktag(hd, d->authTag, d->authTagSz);
	if (err) {
		memset(d->out, 0, d->sz);
		return gcry_err_code(err) == GPG_ERR_CHECKSUM ? AES_GCM_AUTH_E : failed();
	}
	return 0;
}

/* AES-GCM on libgcrypt; everything else is answered "unavailable" at once. */
static int device_cb(int devId, wc_CryptoInfo *info, void *ctx)
{
	(void)devId;
	(void)ctx;
	if (info->algo_type != WC_ALGO_TYPE_CIPHER || info->cipher.type != WC_CIPHER_AES_GCM)
		return CRYPTOCB_UNAVAILABLE;
	return info->cipher.enc ? gcm_encrypt(&info->cipher.aesgcm_enc) :
				  gcm_decrypt(&info->cipher.aesgcm_dec);
}

static int gcrypt_load(char *why, size_t len)
{
	void *h = dlopen(GCRYPT_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, len, "%s cannot be loaded", GCRYPT_SONAME);
		return -1;
	}
#define SYM(field, name)                                                   \
	if (!(gc.field = (__typeof__(gc.field))dlsym(h, name))) {          \
		snprintf(why, len, "%s has no %s", GCRYPT_SONAME, name);   \
		return -1;                                                 \
	}
	SYM(check_version, "gcry_check_version")
	SYM(control, "gcry_control")
	SYM(get_config, "gcry_get_config")
	SYM(free, "gcry_free")
	SYM(cipher_open, "gcry_cipher_open")
	SYM(cipher_close, "gcry_cipher_close")
	SYM(cipher_setkey, "gcry_cipher_setkey")
	SYM(cipher_setiv, "gcry_cipher_setiv")
	SYM(cipher_authenticate, "gcry_cipher_authenticate")
	SYM(cipher_encrypt, "gcry_cipher_encrypt")
	SYM(cipher_decrypt, "gcry_cipher_decrypt")
	SYM(cipher_gettag, "gcry_cipher_gettag")
	SYM(cipher_checktag, "gcry_cipher_checktag")
#undef SYM
	/* The program may use libgcrypt itself: initialise only if it has not. */
	if (!gc.control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		if (!gc.check_version(NULL)) {
			snprintf(why, len, "libgcrypt refused to start");
			return -1;
		}
		gc.control(GCRYCTL_DISABLE_SECMEM, 0);
		gc.control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	return 0;
}

/* The AES instructions libgcrypt found, e.g. "aesni+pclmul"; "" if none. */
static void aes_features(char *out, size_t len)
{
	static const struct {
		const char *flag, *name;
	} known[] = {
		{ "intel-aesni", "aesni" },	{ "intel-vaes-vpclmul", "vaes" },
		{ "intel-pclmul", "pclmul" },	{ "arm-aes", "armv8-aes" },
		{ "arm-pmull", "pmull" },	{ "s390x-msa", "cpacf" },
		{ "ppc-vcrypto", "ppc-vcrypto" },
	};
	char *flags = gc.get_config(0, "hwflist");

	out[0] = '\0';
	if (!flags)
		return;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const char *f = strstr(flags, known[i].flag);
		size_t fl = strlen(known[i].flag);

		if (f && (f[fl] == ':' || f[fl] == '\n' || !f[fl])) {
			if (out[0])
				strncat(out, "+", len - strlen(out) - 1);
			strncat(out, known[i].name, len - strlen(out) - 1);
		}
	}
	gc.free(flags);
}

static enum attls_device choose(enum attls_device want, char *desc, size_t len)
{
	char why[128], feats[96];

	if (want == ATTLS_DEVICE_SOFTWARE) {
		snprintf(desc, len, "software: chosen by the policy");
		return ATTLS_DEVICE_SOFTWARE;
	}
	if (gcrypt_load(why, sizeof(why)) < 0) {
		snprintf(desc, len, "software: %s", why);
		return ATTLS_DEVICE_SOFTWARE;
	}
	aes_features(feats, sizeof(feats));
	if (!strstr(feats, "aesni") && !strstr(feats, "armv8-aes") &&
	    !strstr(feats, "cpacf") && !strstr(feats, "ppc-vcrypto") &&
	    want == ATTLS_DEVICE_AUTO) {
		snprintf(desc, len, "software: no AES instructions");
		return ATTLS_DEVICE_SOFTWARE;
	}
	if (pthread_key_create(&handle_key, handle_free) ||
	    attls_wolf.wc_CryptoCb_RegisterDevice(ATTLS_CRYPTODEV_ID, device_cb, NULL)) {
		snprintf(desc, len, "software: the crypto callback cannot be registered");
		return ATTLS_DEVICE_SOFTWARE;
	}
	device_active = true;
	snprintf(desc, len, "cpu: libgcrypt %s, %s", gc.check_version(NULL),
		 feats[0] ? feats : "no AES instructions (chosen by the policy)");
	return ATTLS_DEVICE_CPU;
}

enum attls_device attls_cryptodev_setup(enum attls_device want, unsigned trace, char *desc,
					size_t len)
{
	enum attls_device d;

	device_active = false;
	atomic_store(&device_failed, false);
	device_trace = trace;
	d = choose(want, device_desc, sizeof(device_desc));
	snprintf(desc, len, "%s", device_desc);
	return d;
}

void attls_cryptodev_apply(WOLFSSL_CTX *ctx)
{
	if (device_active)
		attls_wolf.wolfSSL_CTX_SetDevId(ctx, ATTLS_CRYPTODEV_ID);
}

bool attls_cryptodev_usable(void)
{
	return device_active && !atomic_load_explicit(&device_failed, memory_order_relaxed);
}

const char *attls_cryptodev_session(WOLFSSL *ssl, char *buf, size_t len)
{
	const char *cipher = attls_wolf.wolfSSL_get_cipher_name(ssl);

	if (!cipher || !strstr(cipher, "AES") || !strstr(cipher, "GCM"))
		snprintf(buf, len, "software: %s is not AES-GCM", cipher ? cipher : "the cipher");
	else if (device_active && atomic_load(&device_failed))
		snprintf(buf, len, "software: the device failed (%s)", device_desc);
	else
		snprintf(buf, len, "%s", device_desc);
	return buf;
}

void attls_cryptodev_session_start(WOLFSSL *ssl)
{
	/* Sessions that start after a failure keep away from the device. */
	if (device_active && atomic_load_explicit(&device_failed, memory_order_relaxed))
		attls_wolf.wolfSSL_SetDevId(ssl, INVALID_DEVID);
}
