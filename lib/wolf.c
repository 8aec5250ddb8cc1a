/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "wolf.h"

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

static void wolf_init_once(void)
{
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
