/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cpu crypto device (AES-GCM on libgcrypt) against wolfSSL's own
 * software AES-GCM: the GCM specification's test vectors, random records of
 * every size up to 16 KiB in both directions, forged tags, the fallback
 * to software when the device breaks before any output and a hard error
 * when it breaks after, several threads at once, and a forked child.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/cryptodev.h"
#include "../../lib/wolf.h"
#include "helpers.h"

#include <wolfssl/wolfcrypt/error-crypt.h>

struct vector {
	const char *key, *iv, *plain, *aad, *cipher, *tag;
};

/* McGrew and Viega, "The Galois/Counter Mode of Operation", test cases. */
static const struct vector nist[] = {
	{ "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
	  "58e2fccefa7e3061367f1d57a4e7455a" },
	{ "00000000000000000000000000000000", "000000000000000000000000",
	  "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
	  "",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "00000000000000000000000000000000", "",
	  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "cafebabefacedbaddecaf888",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static size_t unhex(const char *h, unsigned char *out)
{
	size_t n = strlen(h) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
	return n;
}

static void setup(void)
{
	char why[160];

	ck_assert_int_eq(attls_wolf_load(why, sizeof(why)), 0);
	attls_cryptodev_break(ATTLS_DEVICE_WORKS);
	ck_assert_int_eq(attls_cryptodev_setup(ATTLS_DEVICE_CPU, 0, why, sizeof(why)),
			 ATTLS_DEVICE_CPU);
	ck_assert_msg(!strncmp(why, "cpu: libgcrypt", 14), "%s", why);
}

/* An AES-GCM context on the device (dev) or in wolfSSL's software. */
static void aes_on(Aes *aes, bool dev, const unsigned char *key, size_t klen)
{
	ck_assert_int_eq(wc_AesInit(aes, NULL, dev ? ATTLS_CRYPTODEV_ID : INVALID_DEVID),
			 0);
	ck_assert_int_eq(wc_AesGcmSetKey(aes, key, (word32)klen), 0);
}

START_TEST(test_nist_vectors)
{
	const struct vector *v = &nist[_i];
	unsigned char key[32], iv[12], plain[64], aad[20], want[64], tag[16];
	size_t klen = unhex(v->key, key), ivlen = unhex(v->iv, iv), n = unhex(v->plain, plain);
	size_t alen = unhex(v->aad, aad);

	unhex(v->cipher, want);
	unhex(v->tag, tag);
	setup();
	for (int dev = 0; dev < 2; dev++) {
		unsigned char out[64], back[64], t[16];
		Aes aes;

		aes_on(&aes, dev, key, klen);
		ck_assert_int_eq(wc_AesGcmEncrypt(&aes, out, plain, (word32)n, iv,
							     (word32)ivlen, t, 16, aad, (word32)alen), 0);
		ck_assert_msg(!memcmp(out, want, n), "case %d %s: ciphertext", _i,
			      dev ? "device" : "software");
		ck_assert_msg(!memcmp(t, tag, 16), "case %d %s: tag", _i, dev ? "device" : "software");
		ck_assert_int_eq(wc_AesGcmDecrypt(&aes, back, out, (word32)n, iv,
							     (word32)ivlen, t, 16, aad, (word32)alen), 0);
		ck_assert(!memcmp(back, plain, n));
		t[_i % 16] ^= 0x01; /* a forged tag must not authenticate */
		ck_assert_int_eq(wc_AesGcmDecrypt(&aes, back, out, (word32)n, iv,
							     (word32)ivlen, t, 16, aad, (word32)alen),
				 AES_GCM_AUTH_E);
		wc_AesFree(&aes);
	}
}
END_TEST

/*
 * Records of every size from 0 to 16 KiB: what the device seals, software
 * opens, and the other way; both seal alike. A flipped ciphertext bit fails.
 */
START_TEST(test_every_record_size)
{
	enum { MAX = 16384 };
	unsigned char *plain = malloc(MAX), *a = malloc(MAX), *b = malloc(MAX), *back = malloc(MAX);
	unsigned char key[32], iv[12], aad[13], ta[16], tb[16];
	/* Under valgrind every 61st size: the same paths, a fraction of the time. */
	size_t step = getenv("ATTLS_UNIT_QUICK") ? 61 : 1;
	Aes dev, sw;

	setup();
	srand(7);
	for (size_t i = 0; i < MAX; i++)
		plain[i] = (unsigned char)rand();
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)rand();
	for (size_t size = 0; size <= MAX; size += step) {
		size_t klen = size & 1 ? 32 : 16;

		for (size_t i = 0; i < sizeof(iv); i++)
			iv[i] = (unsigned char)(size >> (i % 3 * 8)) ^ (unsigned char)i;
		memcpy(aad, &size, sizeof(size));
		memset(aad + sizeof(size), 0x17, sizeof(aad) - sizeof(size));
		aes_on(&dev, true, key, klen);
		aes_on(&sw, false, key, klen);
		ck_assert_int_eq(wc_AesGcmEncrypt(&dev, a, plain, (word32)size, iv, 12,
							     ta, 16, aad, 13), 0);
		ck_assert_int_eq(wc_AesGcmEncrypt(&sw, b, plain, (word32)size, iv, 12,
							     tb, 16, aad, 13), 0);
		ck_assert_msg(!memcmp(a, b, size) && !memcmp(ta, tb, 16), "size %zu differs", size);
		ck_assert_int_eq(wc_AesGcmDecrypt(&sw, back, a, (word32)size, iv, 12,
							     ta, 16, aad, 13), 0);
		ck_assert(!memcmp(back, plain, size));
		ck_assert_int_eq(wc_AesGcmDecrypt(&dev, back, b, (word32)size, iv, 12,
							     tb, 16, aad, 13), 0);
		ck_assert(!memcmp(back, plain, size));
		if (size) {
			a[size / 2] ^= 0x80;
			ck_assert_int_eq(wc_AesGcmDecrypt(&dev, back, a, (word32)size,
								     iv, 12, ta, 16, aad, 13),
					 AES_GCM_AUTH_E);
		}
		wc_AesFree(&dev);
		wc_AesFree(&sw);
	}
	free(plain);
	free(a);
	free(b);
	free(back);
}
END_TEST

/* A device that breaks: the answer is still right (software), and it is given up. */
START_TEST(test_broken_device_falls_back)
{
	const struct vector *v = &nist[2];
	unsigned char key[16], iv[12], plain[64], want[64], tag[16], out[64], t[16], back[64];
	size_t n = unhex(v->plain, plain);
	Aes aes;

	unhex(v->key, key);
	unhex(v->iv, iv);
	unhex(v->cipher, want);
	unhex(v->tag, tag);
	setup();
	ck_assert(attls_cryptodev_usable());
	aes_on(&aes, true, key, sizeof(key));
	attls_cryptodev_break(ATTLS_DEVICE_FAILS);
	ck_assert_int_eq(wc_AesGcmEncrypt(&aes, out, plain, (word32)n, iv, 12, t, 16,
						     NULL, 0), 0);
	ck_assert(!memcmp(out, want, n) && !memcmp(t, tag, 16));
	ck_assert_int_eq(wc_AesGcmDecrypt(&aes, back, out, (word32)n, iv, 12, t, 16,
						     NULL, 0), 0);
	ck_assert(!memcmp(back, plain, n));
	ck_assert(!attls_cryptodev_usable());
	attls_cryptodev_break(ATTLS_DEVICE_WORKS);
	wc_AesFree(&aes);
}
END_TEST

/* One record of the third test case, in place (as TLS seals records) or not. */
struct record {
	unsigned char key[16], iv[12], plain[64], want[64], tag[16];
	size_t n;
};

static void record_init(struct record *r)
{
	const struct vector *v = &nist[2];

	r->n = unhex(v->plain, r->plain);
	unhex(v->key, r->key);
	unhex(v->iv, r->iv);
	unhex(v->cipher, r->want);
	unhex(v->tag, r->tag);
}

/*
 * The tag cannot be had after the device wrote its output: the record fails
 * (software must not encrypt again what is now ciphertext, with the same key
 * and IV: that gives back the plaintext, with a valid tag), nothing of the
 * plaintext is left in the output, and the device is given up.
 */
START_TEST(test_gettag_failure_is_hard)
{
	struct record r;
	unsigned char buf[64], t[16];
	int in_place = _i;
	Aes aes;
	int ret;

	record_init(&r);
	setup();
	aes_on(&aes, true, r.key, sizeof(r.key));
	attls_cryptodev_break(ATTLS_DEVICE_FAILS_GETTAG);
	memcpy(buf, r.plain, r.n);
	memset(t, 0xa5, sizeof(t));
	ret = wc_AesGcmEncrypt(&aes, buf, in_place ? buf : r.plain, (word32)r.n, r.iv,
					  12, t, 16, NULL, 0);
	attls_cryptodev_break(ATTLS_DEVICE_WORKS);
	ck_assert_msg(ret == WC_HW_E, "%s encryption returned %d, not WC_HW_E",
		      in_place ? "in-place" : "out-of-place", ret);
	ck_assert_msg(memcmp(buf, r.plain, r.n), "the output holds the plaintext");
	ck_assert_msg(memcmp(t, r.tag, 16), "the output has a valid tag");
	ck_assert(!attls_cryptodev_usable());
	wc_AesFree(&aes);
}
END_TEST

/*
 * The tag check fails for a reason other than a bad tag after the device
 * wrote the plaintext: a hard error (not a forged record, not software on
 * what the device left), and no unauthenticated plaintext is left.
 */
START_TEST(test_checktag_failure_is_hard)
{
	struct record r;
	unsigned char buf[64];
	int in_place = _i;
	Aes aes;
	int ret;

	record_init(&r);
	setup();
	aes_on(&aes, true, r.key, sizeof(r.key));
	attls_cryptodev_break(ATTLS_DEVICE_FAILS_CHECKTAG);
	memcpy(buf, r.want, r.n);
	ret = wc_AesGcmDecrypt(&aes, buf, in_place ? buf : r.want, (word32)r.n, r.iv,
					  12, r.tag, 16, NULL, 0);
	attls_cryptodev_break(ATTLS_DEVICE_WORKS);
	ck_assert_msg(ret == WC_HW_E, "%s decryption returned %d, not WC_HW_E",
		      in_place ? "in-place" : "out-of-place", ret);
	ck_assert_msg(memcmp(buf, r.plain, r.n), "unauthenticated plaintext is left");
	ck_assert(!attls_cryptodev_usable());
	wc_AesFree(&aes);
}
END_TEST

/* Records sealed on the device, checked against software, n at a time. */
struct worker {
	unsigned seed;
	int records, bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char key[32], iv[12], aad[13], plain[2048], a[2048], b[2048], ta[16], tb[16];

	for (int i = 0; i < w->records; i++) {
		size_t size = rand_r(&w->seed) % sizeof(plain), klen = i & 1 ? 32 : 16;
		Aes dev, sw;

		for (size_t j = 0; j < sizeof(key); j++)
			key[j] = (unsigned char)rand_r(&w->seed);
		for (size_t j = 0; j < sizeof(iv); j++)
			iv[j] = (unsigned char)rand_r(&w->seed);
		for (size_t j = 0; j < sizeof(aad); j++)
			aad[j] = (unsigned char)rand_r(&w->seed);
		for (size_t j = 0; j < size; j++)
			plain[j] = (unsigned char)rand_r(&w->seed);
		if (wc_AesInit(&dev, NULL, ATTLS_CRYPTODEV_ID) ||
		    wc_AesInit(&sw, NULL, INVALID_DEVID) ||
		    wc_AesGcmSetKey(&dev, key, (word32)klen) ||
		    wc_AesGcmSetKey(&sw, key, (word32)klen) ||
		    wc_AesGcmEncrypt(&dev, a, plain, (word32)size, iv, 12, ta, 16, aad,
						13) ||
		    wc_AesGcmEncrypt(&sw, b, plain, (word32)size, iv, 12, tb, 16, aad,
						13) ||
		    memcmp(a, b, size) || memcmp(ta, tb, 16) ||
		    wc_AesGcmDecrypt(&dev, a, b, (word32)size, iv, 12, tb, 16, aad, 13) ||
		    memcmp(a, plain, size))
			w->bad++;
		wc_AesFree(&dev);
		wc_AesFree(&sw);
	}
	return NULL;
}

/* Several threads on the device at once, each with its own keys. */
START_TEST(test_threads)
{
	enum { N = 4 };
	struct worker w[N];
	pthread_t t[N];
	int records = getenv("ATTLS_UNIT_QUICK") ? 100 : 2000;

	setup();
	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){ .seed = (unsigned)i + 1, .records = records };
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_msg(!w[i].bad, "thread %d: %d of %d records differ", i, w[i].bad,
			      records);
	}
	ck_assert(attls_cryptodev_usable());
}
END_TEST

/* A forked child, with threads of its own, still seals on the device. */
START_TEST(test_fork)
{
	struct worker w = { .seed = 99, .records = 50 };
	pid_t pid;
	int status;

	setup();
	work(&w); /* this thread has a cipher handle before the fork */
	ck_assert_int_eq(w.bad, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct worker c = { .seed = 5, .records = 50 };
		pthread_t t;

		work(&w);
		if (pthread_create(&t, NULL, work, &c) || pthread_join(t, NULL))
			_exit(2);
		_exit(w.bad || c.bad || !attls_cryptodev_usable() ? 1 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %d", status);
}
END_TEST

/*
 * device = auto, where both have AES assembly: libgcrypt only when it seals
 * an even mix of 16 KiB and 1 KiB records more than 5% faster.
 */
START_TEST(test_auto_decision)
{
	static const struct {
		struct attls_gcm_speed wolf, gcrypt;
		bool gcrypt_wins;
	} cases[] = {
		/* this machine (Xeon, AVX-512): even on 16 KiB, wolfSSL ahead on 1 KiB */
		{ { 5.7e9, 4.6e9 }, { 5.8e9, 3.7e9 }, false },
		{ { 4e9, 2e9 }, { 8e9, 4e9 }, true },	      /* twice as fast on both */
		{ { 4e9, 2e9 }, { 4e9, 2e9 }, false },	      /* a tie stays with wolfSSL */
		{ { 4e9, 2e9 }, { 4.16e9, 2.08e9 }, false },  /* 4% faster: noise */
		{ { 4e9, 2e9 }, { 4.4e9, 2.2e9 }, true },     /* 10% faster */
		{ { 3e9, 2e9 }, { 6e9, 1.8e9 }, true },	      /* far ahead on bulk only */
		{ { 3e9, 2e9 }, { 3.3e9, 1.5e9 }, false },    /* ahead on bulk, behind on 1 KiB */
		{ { 4e9, 2e9 }, { 0, 0 }, false },	      /* libgcrypt's measurement failed */
		{ { 0, 0 }, { 1e9, 1e9 }, true },	      /* wolfSSL's failed */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(attls_cryptodev_prefer_gcrypt(&cases[i].wolf, &cases[i].gcrypt) ==
			      cases[i].gcrypt_wins, "case %zu", i);
}
END_TEST

/* What auto chose is what it says, and the device is used only if chosen. */
START_TEST(test_auto_says_why)
{
	char why[256];
	enum attls_device d;

	ck_assert_int_eq(attls_wolf_load(why, sizeof(why)), 0);
	attls_cryptodev_break(ATTLS_DEVICE_WORKS);
	d = attls_cryptodev_setup(ATTLS_DEVICE_AUTO, 0, why, sizeof(why));
	ck_assert_msg(d == ATTLS_DEVICE_CPU || d == ATTLS_DEVICE_SOFTWARE, "%d", d);
	ck_assert_msg(!strncmp(why, d == ATTLS_DEVICE_CPU ? "cpu: libgcrypt" : "software: ",
			       d == ATTLS_DEVICE_CPU ? 14 : 10), "%d: %s", d, why);
	ck_assert(attls_cryptodev_usable() == (d == ATTLS_DEVICE_CPU));
	/* Measured (wolfSSL has AES-NI here): both figures are in the why. */
	if (strstr(why, "wolfSSL AES-NI"))
		ck_assert_msg(strstr(why, "GB/s") && strstr(why, "libgcrypt") &&
			      strstr(why, "16 KiB/1 KiB records"), "%s", why);
	ck_assert_int_eq(attls_cryptodev_setup(ATTLS_DEVICE_SOFTWARE, 0, why, sizeof(why)),
			 ATTLS_DEVICE_SOFTWARE);
	ck_assert_str_eq(why, "software: chosen by the policy");
	ck_assert(!attls_cryptodev_usable());
}
END_TEST

Suite *cryptodev_suite(void)
{
	Suite *s = suite_create("cryptodev");
	TCase *tc = tcase_create("aes-gcm");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_nist_vectors, 0, (int)(sizeof(nist) / sizeof(nist[0])));
	tcase_add_test(tc, test_every_record_size);
	tcase_add_test(tc, test_broken_device_falls_back);
	tcase_add_loop_test(tc, test_gettag_failure_is_hard, 0, 2);
	tcase_add_loop_test(tc, test_checktag_failure_is_hard, 0, 2);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_fork);
	tcase_add_test(tc, test_auto_decision);
	tcase_add_test(tc, test_auto_says_why);
	suite_add_tcase(s, tc);
	return s;
}
