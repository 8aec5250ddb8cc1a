/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stacked after attls (LD_PRELOAD="libattls.so read_fault.so"): read() of
 * the file named by READ_FAULT_PATH gives its first 16 bytes, then fails
 * with EIO, as a disk that fails part-way. Other fds are left alone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t read(int fd, void *buf, size_t len)
{
	static ssize_t (*real)(int, void *, size_t);
	static int calls;
	const char *want = getenv("READ_FAULT_PATH");
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (!real)
		real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (!want || (n = readlink(link, path, sizeof(path) - 1)) < 0)
		return real(fd, buf, len);
	path[n] = '\0';
	if (strcmp(path, want))
		return real(fd, buf, len);
	if (calls++ == 0)
		return real(fd, buf, len > 16 ? 16 : len);
	errno = EIO;
	return -1;
}
