/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A preload stacked after attls (LD_PRELOAD="libattls.so libfault.so") so
 * that attls's own socket calls meet a hostile kernel: recv and send that
 * are non-blocking fail with EAGAIN now and then, and move fewer bytes
 * than asked. A real kernel may do all of this; attls must lose nothing,
 * stall nothing and not spin. FAULT_SEED seeds it; FAULT_RATE is the
 * percentage of calls that fail (default 20); as many again come up short.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static unsigned rate = 20;
static _Atomic unsigned long long state = 88172645463325252ULL;
static atomic_ulong eagains, shorts;

__attribute__((constructor)) static void fault_start(void)
{
	const char *seed = getenv("FAULT_SEED"), *r = getenv("FAULT_RATE");

	real_recv = (ssize_t(*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
	real_send = (ssize_t(*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
	if (seed)
		state = strtoull(seed, NULL, 0) | 1;
	if (r)
		rate = (unsigned)atoi(r);
}

/* xorshift64: good enough to pick faults, and repeatable by seed. */
static unsigned long long next(void)
{
	unsigned long long x = atomic_load(&state), y;

	do {
		y = x;
		y ^= y << 13;
		y ^= y >> 7;
		y ^= y << 17;
	} while (!atomic_compare_exchange_weak(&state, &x, y));
	return y;
}

/* 0 with *len perhaps made shorter, or -1 with errno EAGAIN. */
static int fault(int flags, size_t *len)
{
	unsigned roll;

	if (!(flags & MSG_DONTWAIT))
		return 0;
	roll = (unsigned)(next() % 100);
	if (roll < rate) {
		atomic_fetch_add(&eagains, 1);
		errno = EAGAIN;
		return -1;
	}
	if (roll < 2 * rate && *len > 1) {
		atomic_fetch_add(&shorts, 1);
		*len = 1 + (size_t)(next() % (*len - 1));
	}
	return 0;
}

__attribute__((visibility("default"))) ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return fault(flags, &len) < 0 ? -1 : real_recv(fd, buf, len, flags);
}

__attribute__((visibility("default"))) ssize_t send(int fd, const void *buf, size_t len,
						     int flags)
{
	return fault(flags, &len) < 0 ? -1 : real_send(fd, buf, len, flags);
}

/* How much was injected, appended to FAULT_LOG at exit, so a test sees it. */
__attribute__((destructor)) static void fault_report(void)
{
	const char *log = getenv("FAULT_LOG");
	char line[128];
	int fd, n;

	if (!log || (fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return;
	n = snprintf(line, sizeof(line), "pid %d: %lu EAGAIN, %lu short\n", (int)getpid(),
		     atomic_load(&eagains), atomic_load(&shorts));
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		n = 0;
	close(fd);
}
