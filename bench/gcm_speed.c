/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AES-GCM throughput of the two devices attls can put a record on, record
 * size by record size: wolfSSL's own code (software: AES-NI/AVX when the
 * processor has them, C otherwise) and libgcrypt behind wolfSSL's crypto
 * callback (cpu), each called as the record layer calls it
 * (wc_AesGcmEncrypt/Decrypt with a 13-byte AAD and a 16-byte tag).
 *
 * First, what device = auto chooses and what that costs: once with
 * libgcrypt's loading (the first policy load of a process), once more
 * (the measurement alone).
 *
 *   build/gcm_speed [SECONDS_PER_POINT]     (default 0.2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/cryptodev.h"
#include "../lib/wolf.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* MB/s (10^6 bytes) of sealing (dec = 0) or opening records of size n. */
static double speed(int dev, int keylen, int dec, size_t n, double secs)
{
	static unsigned char in[16384], out[16384], key[32], iv[12], aad[13], tag[16];
	double t0, t;
	long count = 0;
	Aes aes;

	memset(in, 0x5a, sizeof(in));
	if (wc_AesInit(&aes, NULL, dev ? ATTLS_CRYPTODEV_ID : INVALID_DEVID) ||
	    wc_AesGcmSetKey(&aes, key, (word32)keylen))
		return -1;
	if (dec && wc_AesGcmEncrypt(&aes, in, in, (word32)n, iv, 12, tag, 16, aad, 13))
		return -1;
	t0 = now();
	do {
		for (int i = 0; i < 64; i++, count++) {
			int r = dec ? wc_AesGcmDecrypt(&aes, out, in, (word32)n, iv, 12, tag, 16,
						       aad, 13) :
				      wc_AesGcmEncrypt(&aes, out, in, (word32)n, iv, 12, tag, 16,
						       aad, 13);
			if (r)
				return -1;
		}
		t = now() - t0;
	} while (t < secs);
	wc_AesFree(&aes);
	return (double)count * (double)n / t / 1e6;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 256, 1024, 4096, 16384 };
	double secs = argc > 1 ? atof(argv[1]) : 0.2;
	char why[256];
	double t0;

	if (attls_wolf_load(why, sizeof(why)) < 0)
		return 1;
	for (int i = 0; i < 2; i++) {
		t0 = now();
		attls_cryptodev_setup(ATTLS_DEVICE_AUTO, 0, why, sizeof(why));
		printf("auto (%s): %.0f us: %s\n", i ? "again" : "first, loads libgcrypt",
		       (now() - t0) * 1e6, why);
	}
	if (
	    attls_cryptodev_setup(ATTLS_DEVICE_CPU, 0, why, sizeof(why)) != ATTLS_DEVICE_CPU) {
		fprintf(stderr, "gcm_speed: no cpu device: %s\n", why);
		return 1;
	}
	printf("cpu device: %s\n", why);
	printf("| key | op | record | software (wolfSSL) MB/s | cpu (libgcrypt) MB/s | cpu/software |\n");
	printf("| --- | --- | ---: | ---: | ---: | ---: |\n");
	for (int k = 16; k <= 32; k += 16)
		for (int dec = 0; dec < 2; dec++)
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				double sw = speed(0, k, dec, sizes[i], secs);
				double cpu = speed(1, k, dec, sizes[i], secs);

				printf("| AES-%d | %s | %zu | %.0f | %.0f | %.2f |\n", k * 8,
				       dec ? "open" : "seal", sizes[i], sw, cpu, cpu / sw);
			}
	return 0;
}
