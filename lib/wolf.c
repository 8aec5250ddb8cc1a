/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "wolf.h"

#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/cpuid.h>

#ifndef ATTLS_WOLFSSL_DEBIAN
#define ATTLS_WOLFSSL_DEBIAN "unknown"
#endif

/*
 * wolfSSL_Init runs once per process (wolf_once); a forked child inherits
 * the initialised library. wolfSSL_Cleanup is never called: connections
 * may still be closing from exit handlers (shim/exit.c).
 */
static pthread_once_t wolf_once = PTHREAD_ONCE_INIT;
static int wolf_status = -1; /* written in wolf_once only */

/*
 * wolfSSL 5.5.4 runs AES-GCM on its AVX code whenever the processor has
 * AVX, without asking whether it also has AES-NI: on one that has AVX but
 * not AES-NI (virtual machines that hide AES-NI, for one) the first GCM
 * record dies of SIGILL. Its AES code reads the processor's flags once, at
 * the first key it sets: that key is set here, before anything else runs,
 * with AVX hidden, so AES-GCM takes its C code; SHA-2, ChaCha20-Poly1305
 * and the ECC code then get AVX back (they need no AES-NI).
 */
static void aes_needs_aesni(void)
{
#if defined(WOLFSSL_AESNI) && defined(HAVE_CPUID_INTEL)
	static const byte key[16];
	word32 flags = cpuid_get_flags();
	Aes aes;

	if (IS_INTEL_AESNI(flags) || !(flags & (CPUID_AVX1 | CPUID_AVX2)))
		return;
	cpuid_clear_flag(CPUID_AVX1 | CPUID_AVX2);
	if (wc_AesInit(&aes, NULL, INVALID_DEVID) == 0) {
		(void)wc_AesSetKey(&aes, key, sizeof(key), NULL, AES_ENCRYPTION);
		wc_AesFree(&aes);
	}
	cpuid_select_flags(flags);
#endif
}

static void wolf_init_once(void)
{
	aes_needs_aesni();
	if (wolfSSL_Init() == WOLFSSL_SUCCESS)
		wolf_status = 0;
}

int attls_wolf_load(char *err, size_t errlen)
{
	pthread_once(&wolf_once, wolf_init_once);
	if (wolf_status != 0 && err && errlen)
		snprintf(err, errlen, "wolfSSL_Init failed");
	return wolf_status;
}

const char *attls_wolf_strerror(int code, char *buf, size_t len)
{
	wolfSSL_ERR_error_string_n((unsigned long)code, buf, len);
	return buf;
}

const char *attls_wolf_version(void)
{
	return LIBWOLFSSL_VERSION_STRING " (Debian " ATTLS_WOLFSSL_DEBIAN ")";
}
