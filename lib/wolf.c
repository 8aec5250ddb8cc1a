/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "wolf.h"

#ifndef ATTLS_WOLFSSL_SONAME
#define ATTLS_WOLFSSL_SONAME "libwolfssl.so.35"
#endif

struct attls_wolf attls_wolf;

static pthread_once_t wolf_once = PTHREAD_ONCE_INIT;
static char wolf_error[256];
static int wolf_status = -1;

static void wolf_load_once(void)
{
	void *h = dlopen(ATTLS_WOLFSSL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(wolf_error, sizeof(wolf_error), "cannot load %s: %s",
			 ATTLS_WOLFSSL_SONAME, dlerror());
		return;
	}
#define ATTLS_WOLF_RESOLVE(fn)                                              \
	attls_wolf.fn = (__typeof__(&fn))dlsym(h, #fn);                     \
	if (!attls_wolf.fn) {                                               \
		snprintf(wolf_error, sizeof(wolf_error),                    \
			 "%s has no symbol %s", ATTLS_WOLFSSL_SONAME, #fn); \
		return;                                                     \
	}
	ATTLS_WOLF_FUNCS(ATTLS_WOLF_RESOLVE)
#undef ATTLS_WOLF_RESOLVE
	if (attls_wolf.wolfSSL_Init() != WOLFSSL_SUCCESS) {
		snprintf(wolf_error, sizeof(wolf_error), "wolfSSL_Init failed");
		return;
	}
	wolf_status = 0;
}

int attls_wolf_load(char *err, size_t errlen)
{
	pthread_once(&wolf_once, wolf_load_once);
	if (wolf_status != 0 && err && errlen)
		snprintf(err, errlen, "%s", wolf_error);
	return wolf_status;
}

const char *attls_wolf_strerror(int code, char *buf, size_t len)
{
	attls_wolf.wolfSSL_ERR_error_string_n((unsigned long)code, buf, len);
	return buf;
}
