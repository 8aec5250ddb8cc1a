/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A preload stacked after attls whose FIONREAD on a pipe answers 1 and
 * then what the pipe really holds, one after the other: a writer that
 * fills the pipe between two questions, every time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("default"))) int ioctl(int fd, unsigned long req, ...)
{
	static __thread unsigned calls;
	struct stat st;
	va_list ap;
	void *arg;
	long r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	r = syscall(SYS_ioctl, fd, req, arg);
	if (r == 0 && req == FIONREAD && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    calls++ % 2 == 0 && *(int *)arg > 1)
		*(int *)arg = 1;
	return (int)r;
}
