/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A preload stacked after attls that makes user look-ups fail as a broken
 * NSS source does. PW_FAULT=eio: getpwuid_r fails with EIO; PW_FAULT=erange:
 * it answers ERANGE until given a buffer of 4 KiB or more (a user entry too
 * long for a small buffer).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

__attribute__((visibility("default"))) int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	static int (*real)(uid_t, struct passwd *, char *, size_t, struct passwd **);
	const char *mode = getenv("PW_FAULT");

	if (!real)
		real = (int (*)(uid_t, struct passwd *, char *, size_t, struct passwd **))dlsym(
			RTLD_NEXT, "getpwuid_r");
	*res = NULL;
	if (mode && !strcmp(mode, "eio"))
		return EIO;
	if (mode && !strcmp(mode, "erange") && len < 4096)
		return ERANGE;
	return real(uid, pw, buf, len, res);
}
