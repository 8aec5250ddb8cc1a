/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fd life: close, dup, fcntl, ioctl and fork keep the fd table true. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../lib/engine.h"
#include "../lib/trace.h"
#include "epoll_set.h"
#include "fdtable.h"
#include "hooks.h"
#include "real.h"

/* fd goes away: from the epoll sets first, then from the fd table. */
static void forget(int fd)
{
	attls_epoll_forget(fd);
	attls_fd_detach(fd);
}

ATTLS_HOOK int close(int fd)
{
	forget(fd);
	return REAL(close)(fd);
}

static void detach_range(unsigned lo, unsigned hi)
{
	if (!atomic_load(&attls_tls_fds) && !attls_epoll_any())
		return;
	if (hi > (1u << 20))
		hi = 1u << 20;
	for (unsigned fd = lo; fd <= hi; fd++)
		forget((int)fd);
}

ATTLS_HOOK int close_range(unsigned lo, unsigned hi, int flags)
{
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		detach_range(lo, hi);
	return (int)syscall(436 /* SYS_close_range */, lo, hi, flags);
}

ATTLS_HOOK void closefrom(int lo)
{
	detach_range((unsigned)lo, ~0u);
	if (syscall(436 /* SYS_close_range */, (unsigned)lo, ~0u, 0) < 0)
		for (int fd = lo; fd < 65536; fd++)
			REAL(close)(fd);
}

ATTLS_HOOK int dup(int fd)
{
	int r = REAL(dup)(fd);

	if (r >= 0)
		attls_fd_dup(fd, r);
	return r;
}

ATTLS_HOOK int dup2(int oldfd, int newfd)
{
	int r;

	if (oldfd != newfd)
		forget(newfd);
	r = REAL(dup2)(oldfd, newfd);
	if (r >= 0 && oldfd != newfd)
		attls_fd_dup(oldfd, r);
	return r;
}

ATTLS_HOOK int dup3(int oldfd, int newfd, int flags)
{
	int r;

	if (oldfd != newfd)
		forget(newfd);
	r = REAL(dup3)(oldfd, newfd, flags);
	if (r >= 0)
		attls_fd_dup(oldfd, r);
	return r;
}

static int tls_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	struct attls_conn *c;
	int r;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = real(fd, cmd, arg);
		if (r >= 0)
			attls_fd_dup(fd, r);
		return r;
	case F_SETFD:
		if (!((long)arg & FD_CLOEXEC) && (c = attls_fd_get(fd))) {
			attls_conn_put(c);
			attls_trace(attls_trace_mask(), ATTLS_MSG_CLOEXEC_KEPT, NULL, "fd %d", fd);
			arg = (void *)((long)arg | FD_CLOEXEC);
		}
		return real(fd, cmd, arg);
	case F_SETFL:
		r = real(fd, cmd, arg);
		if (r == 0 && (c = attls_fd_get(fd))) {
			attls_session_set_nonblock(c->s, (long)arg & O_NONBLOCK);
			attls_conn_put(c);
		}
		return r;
	default:
		return real(fd, cmd, arg);
	}
}

ATTLS_HOOK int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return tls_fcntl(REAL(fcntl), fd, cmd, arg);
}

ATTLS_HOOK int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return tls_fcntl(REAL(fcntl64), fd, cmd, arg);
}

ATTLS_HOOK int ioctl(int fd, unsigned long req, ...)
{
	struct attls_conn *c;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req != FIONREAD && req != FIONBIO)
		return REAL(ioctl)(fd, req, arg);
	if (!(c = attls_fd_get(fd)))
		return REAL(ioctl)(fd, req, arg);
	if (req == FIONREAD) {
		*(int *)arg = attls_session_readable_bytes(c->s);
		r = 0;
	} else {
		r = REAL(ioctl)(fd, req, arg);
		if (r == 0)
			attls_session_set_nonblock(c->s, *(int *)arg != 0);
	}
	attls_conn_put(c);
	return r;
}

/* vfork shares memory with the parent, which a TLS session cannot survive. */
ATTLS_HOOK pid_t vfork(void)
{
	return REAL(fork)();
}
