/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A preload stacked after attls that takes random numbers away, as a
 * seccomp filter or an old kernel does: once the file RAND_FAULT_FILE
 * names exists, getrandom() fails with ENOSYS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("default"))) ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	const char *f = getenv("RAND_FAULT_FILE");

	if (f && access(f, F_OK) == 0) {
		errno = ENOSYS;
		return -1;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}
