/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cryptodev.h"

#include <dlfcn.h>
#include <gcrypt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wolfssl/wolfcrypt/cpuid.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "trace.h"

#define GCRYPT_SONAME "libgcrypt.so.20"

/*
 * attls's own libgcrypt: a private copy, loaded with dlmopen into a link
 * namespace of its own (with its own libgpg-error and libc), so that the
 * program's libgcrypt, whether the program loads it before attls, after, or
 * never, is another instance that attls never initialises, configures or
 * calls: its secure memory, FIPS mode and initialisation state stay the
 * program's. Loaded and initialised once per process (gcrypt_once); the
 * table is written there and only read afterwards, so threads need no lock;
 * a forked child inherits the loaded copy as it is; no signal handler uses
 * it. A copy that cannot be loaded leaves the process on wolfSSL's software.
 */
static struct {
	__typeof__(&gcry_check_version) check_version;
	__typeof__(&gcry_control) control;
	__typeof__(&gcry_set_allocation_handler) set_allocation_handler;
	__typeof__(&gcry_get_config) get_config;
	void (*gpgrt_free)(void *); /* what gcry_get_config returns is libgpg-error's */
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

static pthread_once_t gcrypt_once = PTHREAD_ONCE_INIT;
static bool gcrypt_ok;	      /* written in gcrypt_once only */
static char gcrypt_why[128]; /* why not, when !gcrypt_ok */

static bool device_active;
static atomic_bool device_failed;
/*
 * A deferred choice (attls_cryptodev_defer): made once, by the first
 * connection that needs a session, not at every program start (the
 * measurement and the private libgcrypt cost some 2 MB and a millisecond
 * an exec). deferred and deferred_want are written by the policy's first
 * load, before any connection; device_active and device_desc by the
 * choice, inside defer_once, read by sessions after it. glibc's
 * pthread_once runs the choice again in a child forked while another
 * thread made it. A signal handler that connects while its own thread
 * makes the choice would wait for ever: attls's connect in a handler is
 * not async-signal-safe anyway.
 */
static pthread_once_t defer_once = PTHREAD_ONCE_INIT;
static bool deferred;
static enum attls_device deferred_want;
static char device_desc[256];
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
 * The device failed before it wrote any output: wolfSSL does this operation
 * in software (the key schedule is there too), sessions that start from now
 * on do not use the device, and the operator is told once.
 */
static int failed(void)
{
	if (!atomic_exchange(&device_failed, true))
		attls_trace(device_trace | ATTLS_TRACE_ERROR, ATTLS_MSG_DEVICE_FAILED, NULL,
			    "%s", device_desc);
	return CRYPTOCB_UNAVAILABLE;
}

/*
 * The device failed after libgcrypt was given the output buffer. Software
 * must not take over: it would run on what the device left there (in place,
 * the ciphertext: encrypting it again with the same key and IV gives back
 * the plaintext, sent with a valid tag; decrypting, the plaintext). This
 * record fails with a hard error, its output and tag are wiped (no
 * unauthenticated plaintext, no half-sealed record), and the device is
 * given up as in failed().
 */
static int failed_after_output(void *out, size_t len, void *tag, size_t taglen)
{
	if (len)
		memset(out, 0, len);
	if (tag && taglen)
		memset(tag, 0, taglen);
	failed();
	return WC_HW_E;
}

/* For tests: makes the device fail as a broken accelerator would. */
static atomic_int broken;

void attls_cryptodev_break(enum attls_cryptodev_fault f)
{
	atomic_store(&broken, (int)f);
}

static bool breaks(enum attls_cryptodev_fault f)
{
	return atomic_load_explicit(&broken, memory_order_relaxed) == (int)f;
}

static gcry_error_t gettag(gcry_cipher_hd_t hd, void *tag, size_t len)
{
	if (breaks(ATTLS_DEVICE_FAILS_GETTAG))
		return gcry_error(GPG_ERR_HARDWARE);
	return gc.cipher_gettag(hd, tag, len);
}

static gcry_error_t checktag(gcry_cipher_hd_t hd, const void *tag, size_t len)
{
	if (breaks(ATTLS_DEVICE_FAILS_CHECKTAG))
		return gcry_error(GPG_ERR_HARDWARE);
	return gc.cipher_checktag(hd, tag, len);
}

static int gcm_encrypt(__typeof__(((wc_CryptoInfo *)0)->cipher.aesgcm_enc) *e)
{
	gcry_cipher_hd_t hd = breaks(ATTLS_DEVICE_FAILS) ? NULL : gcm_for(e->aes);

	if (!hd || gc.cipher_setiv(hd, e->iv, e->ivSz) ||
	    gc.cipher_authenticate(hd, e->authIn, e->authInSz))
		return failed();
	/* From here on e->out may hold output (in place: no more plaintext). */
	if (gc.cipher_encrypt(hd, e->out, e->sz, e->in, e->sz) ||
	    gettag(hd, e->authTag, e->authTagSz))
		return failed_after_output(e->out, e->sz, e->authTag, e->authTagSz);
	return 0;
}

static int gcm_decrypt(__typeof__(((wc_CryptoInfo *)0)->cipher.aesgcm_dec) *d)
{
	gcry_cipher_hd_t hd = breaks(ATTLS_DEVICE_FAILS) ? NULL : gcm_for(d->aes);
	gcry_error_t err;

	if (!hd || gc.cipher_setiv(hd, d->iv, d->ivSz) ||
	    gc.cipher_authenticate(hd, d->authIn, d->authInSz))
		return failed();
	/* From here on d->out may hold output (in place: no more ciphertext). */
	if (gc.cipher_decrypt(hd, d->out, d->sz, d->in, d->sz))
		return failed_after_output(d->out, d->sz, NULL, 0);
	err = checktag(hd, d->authTag, d->authTagSz);
	if (err && gcry_err_code(err) == GPG_ERR_CHECKSUM) {
		memset(d->out, 0, d->sz);
		return AES_GCM_AUTH_E;
	}
	if (err)
		return failed_after_output(d->out, d->sz, NULL, 0);
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

/* libgcrypt's allocations go to the program's malloc (see gcrypt_load). */
static void *gc_alloc(size_t n)
{
	return malloc(n);
}

static int gc_is_secure(const void *p)
{
	(void)p;
	return 0;
}

static void *gc_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

static void gc_free(void *p)
{
	free(p);
}

static int gcrypt_load(char *why, size_t len)
{
	void *h = dlmopen(LM_ID_NEWLM, GCRYPT_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, len, "%s cannot be loaded in a namespace of its own: %s",
			 GCRYPT_SONAME, dlerror());
		return -1;
	}
#define SYM(field, name)                                                   \
	if (!(gc.field = (__typeof__(gc.field))dlsym(h, name))) {          \
		snprintf(why, len, "%s has no %s", GCRYPT_SONAME, name);   \
		goto fail;                                                 \
	}
	SYM(check_version, "gcry_check_version")
	SYM(control, "gcry_control")
	SYM(set_allocation_handler, "gcry_set_allocation_handler")
	SYM(get_config, "gcry_get_config")
	SYM(gpgrt_free, "gpgrt_free")
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
	/*
	 * This copy is attls's alone. Its cipher handles are allocated with
	 * the program's malloc, not the private libc's: fork() takes the
	 * program's malloc locks around the fork, never the private ones, so
	 * a child forked while another thread opened a handle could otherwise
	 * hang. It needs no secure memory (the keys are wolfSSL's, in
	 * ordinary memory, and libgcrypt's secure memory would mlock pages and
	 * may drop a setuid program's privileges).
	 */
	gc.set_allocation_handler(gc_alloc, gc_alloc, gc_is_secure, gc_realloc, gc_free);
	if (!gc.check_version(NULL)) {
		snprintf(why, len, "libgcrypt refused to start");
		goto fail;
	}
	gc.control(GCRYCTL_DISABLE_SECMEM, 0);
	gc.control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (pthread_key_create(&handle_key, handle_free)) {
		snprintf(why, len, "no thread key for the cipher handles");
		goto fail;
	}
	return 0;
fail:
	dlclose(h);
	return -1;
}

static void gcrypt_load_once(void)
{
	gcrypt_ok = gcrypt_load(gcrypt_why, sizeof(gcrypt_why)) == 0;
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
	gc.gpgrt_free(flags);
}

/*
 * What wolfSSL's own AES-GCM runs on in this process: its AES-NI code, with
 * AVX2 or AVX for GHASH where the processor has them, chosen by CPUID when
 * the first key is set; NULL for its portable C code (no AES-NI, or a
 * processor wolfSSL has no AES assembly for in this build: ARMv8 without
 * --enable-armasm, POWER, IBM Z).
 */
static const char *wolf_aes_asm(void)
{
#if defined(WOLFSSL_AESNI) && defined(HAVE_CPUID_INTEL)
	word32 f = cpuid_get_flags();

	if (!IS_INTEL_AESNI(f))
		return NULL;
	return IS_INTEL_AVX2(f) ? "AES-NI+AVX2" : IS_INTEL_AVX1(f) ? "AES-NI+AVX" : "AES-NI";
#else
	return NULL;
#endif
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { BIG = 16384, SMALL = 1024, SMALLS = 4, ROUNDS = 5 };

/* Seconds per record to seal count records of n bytes; < 0 if one failed. */
static double seal_time(Aes *aes, unsigned char *buf, size_t n, int count)
{
	static const unsigned char iv[12], aad[13];
	unsigned char tag[16];
	double t0 = seconds();

	for (int i = 0; i < count; i++)
		if (wc_AesGcmEncrypt(aes, buf, buf, (word32)n, iv, sizeof(iv), tag, sizeof(tag),
				     aad, sizeof(aad)))
			return -1;
	return (seconds() - t0) / count;
}

/*
 * AES-128-GCM on both, as the record layer calls it (wc_AesGcmEncrypt,
 * libgcrypt through the callback): one 16 KiB record and four of 1 KiB,
 * the best of ROUNDS, the two alternating so that a burst of load on the
 * machine falls on both. Some 100 microseconds in all on AES-NI. Figures
 * in bytes per second; -1 if libgcrypt failed.
 */
static int measure(struct attls_gcm_speed *sw, struct attls_gcm_speed *dev)
{
	static const unsigned char key[16]; /* not a secret: nothing is sent with it */
	double best[2][2] = { { 1e9, 1e9 }, { 1e9, 1e9 } };
	unsigned char *buf = calloc(1, BIG);
	Aes aes[2];
	int ok = buf != NULL, init = 0;

	for (; ok && init < 2; init++)
		ok = !wc_AesInit(&aes[init], NULL, init ? ATTLS_CRYPTODEV_ID : INVALID_DEVID) &&
		     !wc_AesGcmSetKey(&aes[init], key, sizeof(key));
	/* A first record each, untimed: caches, page faults, libgcrypt's handle. */
	for (int d = 0; ok && d < 2; d++)
		ok = seal_time(&aes[d], buf, SMALL, 1) >= 0;
	for (int r = 0; ok && r < ROUNDS; r++) {
		for (int d = 0; ok && d < 2; d++) {
			double big = seal_time(&aes[d], buf, BIG, 1);
			double small = seal_time(&aes[d], buf, SMALL, SMALLS);

			ok = big >= 0 && small >= 0;
			if (ok && big < best[d][0])
				best[d][0] = big;
			if (ok && small < best[d][1])
				best[d][1] = small;
		}
	}
	while (init-- > 0)
		wc_AesFree(&aes[init]);
	free(buf);
	if (!ok || atomic_load(&device_failed))
		return -1;
	*sw = (struct attls_gcm_speed){ BIG / best[0][0], SMALL / best[0][1] };
	*dev = (struct attls_gcm_speed){ BIG / best[1][0], SMALL / best[1][1] };
	return 0;
}

/*
 * Seconds to seal as much in 1 KiB records as in one 16 KiB record, plus
 * that record: traffic has both (requests and answers, bulk).
 */
static double mix_time(const struct attls_gcm_speed *s)
{
	return (double)BIG / s->big + (double)BIG / s->small;
}

bool attls_cryptodev_prefer_gcrypt(const struct attls_gcm_speed *wolf,
				   const struct attls_gcm_speed *gcrypt)
{
	if (wolf->big <= 0 || wolf->small <= 0)
		return true;
	if (gcrypt->big <= 0 || gcrypt->small <= 0)
		return false;
	return mix_time(gcrypt) * 1.05 < mix_time(wolf);
}

static enum attls_device choose(enum attls_device want, char *desc, size_t len)
{
	struct attls_gcm_speed sw, dev;
	const char *wolf_asm = wolf_aes_asm();
	char feats[96];

	if (want == ATTLS_DEVICE_SOFTWARE) {
		snprintf(desc, len, "software: chosen by the policy");
		return ATTLS_DEVICE_SOFTWARE;
	}
	pthread_once(&gcrypt_once, gcrypt_load_once);
	if (!gcrypt_ok) {
		snprintf(desc, len, "software: %s", gcrypt_why);
		return ATTLS_DEVICE_SOFTWARE;
	}
	aes_features(feats, sizeof(feats));
	if (!strstr(feats, "aesni") && !strstr(feats, "armv8-aes") &&
	    !strstr(feats, "cpacf") && !strstr(feats, "ppc-vcrypto") &&
	    want == ATTLS_DEVICE_AUTO && !wolf_asm) {
		snprintf(desc, len, "software: no AES instructions");
		return ATTLS_DEVICE_SOFTWARE;
	}
	if (wc_CryptoCb_RegisterDevice(ATTLS_CRYPTODEV_ID, device_cb, NULL)) {
		snprintf(desc, len, "software: the crypto callback cannot be registered");
		return ATTLS_DEVICE_SOFTWARE;
	}
	if (want == ATTLS_DEVICE_CPU) {
		device_active = true;
		snprintf(desc, len, "cpu: libgcrypt %s, %s", gc.check_version(NULL),
			 feats[0] ? feats : "no AES instructions (chosen by the policy)");
		return ATTLS_DEVICE_CPU;
	}
	if (!wolf_asm) {
		device_active = true;
		snprintf(desc, len, "cpu: libgcrypt %s, %s; wolfSSL has no AES assembly for "
			 "this processor", gc.check_version(NULL), feats);
		return ATTLS_DEVICE_CPU;
	}
	/* Both on the processor's AES instructions: the faster one, measured. */
	snprintf(desc, len, "cpu: libgcrypt %s, %s (measured)", gc.check_version(NULL), feats);
	if (measure(&sw, &dev) < 0) {
		snprintf(desc, len, "software: wolfSSL %s; libgcrypt failed a test record",
			 wolf_asm);
		return ATTLS_DEVICE_SOFTWARE;
	}
	if (attls_cryptodev_prefer_gcrypt(&sw, &dev)) {
		device_active = true;
		snprintf(desc, len, "cpu: libgcrypt %s, %s, %.1f/%.1f GB/s; wolfSSL %s "
			 "%.1f/%.1f GB/s (AES-GCM, 16 KiB/1 KiB records)",
			 gc.check_version(NULL), feats, dev.big / 1e9, dev.small / 1e9,
			 wolf_asm, sw.big / 1e9, sw.small / 1e9);
		return ATTLS_DEVICE_CPU;
	}
	snprintf(desc, len, "software: wolfSSL %s %.1f/%.1f GB/s; libgcrypt %s, %s "
		 "%.1f/%.1f GB/s (AES-GCM, 16 KiB/1 KiB records)", wolf_asm, sw.big / 1e9,
		 sw.small / 1e9, gc.check_version(NULL), feats, dev.big / 1e9, dev.small / 1e9);
	return ATTLS_DEVICE_SOFTWARE;
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
	/* Deferred: each session is put on the device as it starts. */
	if (device_active && !deferred)
		wolfSSL_CTX_SetDevId(ctx, ATTLS_CRYPTODEV_ID);
}

void attls_cryptodev_defer(enum attls_device want, unsigned trace)
{
	deferred = true;
	deferred_want = want;
	device_trace = trace;
}

static void choose_deferred(void)
{
	char desc[256];

	attls_cryptodev_setup(deferred_want, device_trace, desc, sizeof(desc));
	attls_trace(device_trace, ATTLS_MSG_DEVICE, NULL, "%s (chosen at the first session)",
		    desc);
}

void attls_cryptodev_choose(void)
{
	if (deferred)
		pthread_once(&defer_once, choose_deferred);
}

bool attls_cryptodev_usable(void)
{
	return device_active && !atomic_load_explicit(&device_failed, memory_order_relaxed);
}

const char *attls_cryptodev_session(WOLFSSL *ssl, char *buf, size_t len)
{
	const char *cipher = wolfSSL_get_cipher_name(ssl);

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
		wolfSSL_SetDevId(ssl, INVALID_DEVID);
	else if (device_active && deferred)
		wolfSSL_SetDevId(ssl, ATTLS_CRYPTODEV_ID);
}

const char *attls_cryptodev_gcrypt_version(char *why, size_t len)
{
	pthread_once(&gcrypt_once, gcrypt_load_once);
	if (!gcrypt_ok) {
		snprintf(why, len, "%s", gcrypt_why);
		return NULL;
	}
	return gc.check_version(NULL);
}
