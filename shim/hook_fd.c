/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fd life: close, dup, fcntl, ioctl and fork keep the fd table true. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../lib/claim.h"
#include "../lib/engine.h"
#include "../lib/logsink.h"
#include "../lib/trace.h"
#include "epoll_set.h"
#include "fdtable.h"
#include "hooks.h"
#include "locks.h"
#include "real.h"

/*
 * close: the epoll sets forget the fd, its slot becomes CLOSING (the
 * fd's data calls in other threads fail with EBADF from then on, never
 * clear text), the session ends (close_notify, drain) if it was its last
 * fd, and the slot is cleared only after the real close (fdtable.h).
 */
ATTLS_HOOK int close(int fd)
{
	struct attls_conn *c;
	int r;

	/* The epoll layer first: it knows a TLS fd by its TLS slot. */
	attls_epoll_forget(fd);
	c = attls_fd_close_begin(fd);
	attls_fd_close_session(c, fd, -1);
	r = REAL(close)(fd);
	attls_fd_close_end(fd, c);
	return r;
}

ATTLS_HOOK int __close(int fd)
{
	return close(fd);
}

/*
 * close_range and closefrom: every TLS fd of the range is closed as
 * close does it, in its three steps around the one real call.
 */
struct range_conn {
	int fd;
	struct attls_conn *c;
};

static struct range_conn *range_begin(unsigned lo, unsigned *hi, size_t *n)
{
	struct range_conn *v = NULL;
	size_t cap = 0;

	*n = 0;
	if (*hi >= (1u << 20))
		*hi = (1u << 20) - 1;
	if (!atomic_load(&attls_tls_fds) && !attls_epoll_any())
		return NULL;
	for (unsigned fd = lo; fd <= *hi; fd++) {
		struct attls_conn *c;

		attls_epoll_forget((int)fd);
		if (!(c = attls_fd_close_begin((int)fd)))
			continue;
		if (*n == cap) {
			struct range_conn *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				/* No room to remember it: it ends now, as it would anyway. */
				attls_fd_close_session(c, (int)fd, -1);
				attls_conn_put(c);
				continue;
			}
			v = nv;
		}
		v[(*n)++] = (struct range_conn){ (int)fd, c };
	}
	for (size_t i = 0; i < *n; i++)
		attls_fd_close_session(v[i].c, v[i].fd, -1);
	return v;
}

static void range_end(unsigned lo, unsigned hi, struct range_conn *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		attls_fd_close_end(v[i].fd, v[i].c);
	free(v);
	/* The clear slots of the range: UNSEEN again. */
	for (unsigned fd = lo; fd <= hi; fd++) {
		if (!attls_fd_l1[fd >> ATTLS_FD_L2_BITS]) {
			fd |= (1u << ATTLS_FD_L2_BITS) - 1;
			continue;
		}
		attls_fd_close_end((int)fd, NULL);
	}
}

/* Whether fd is one of attls's own (close_around). */
static bool attls_own_fd(int fd)
{
	int own[64];
	const int *held;
	int n = attls_claims_fds(own, 64), nheld = attls_fork_held(&held);

	for (int k = 0; k < n; k++)
		if (own[k] == fd)
			return true;
	for (int k = 0; k < nheld; k++)
		if (held[k] == fd)
			return true;
	return false;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * The real close_range, around attls's own fds (the fork pipes' write
 * ends, fork.c, and the claim memfds, lib/claim.h): a child that closes
 * everything above stderr before exec (Python's subprocess) must not tell
 * its parent that it holds no copy, nor lose the word that says who owns
 * the connection (socket_wrapper keeps its own fds out of closefrom too).
 */
static int close_around(unsigned lo, unsigned hi, int flags)
{
	int own[16 + 64], n = 0, r = 0;
	const int *held;
	int nheld = attls_fork_held(&held);
	unsigned from = lo;

	for (int k = 0; k < nheld && n < 16; k++)
		own[n++] = held[k];
	n += attls_claims_fds(own + n, 64);
	if (!n || lo > hi)
		return (int)REAL(syscall)(SYS_close_range, lo, hi, flags);
	qsort(own, (size_t)n, sizeof(own[0]), cmp_int);
	for (int k = 0; k < n; k++) {
		unsigned o = (unsigned)own[k];

		if (own[k] < 0 || o < from || o > hi)
			continue;
		if (o > from && REAL(syscall)(SYS_close_range, from, o - 1, flags) < 0)
			r = -1;
		from = o + 1;
	}
	if (from <= hi && from != 0 && REAL(syscall)(SYS_close_range, from, hi, flags) < 0)
		r = -1;
	return r;
}

ATTLS_HOOK int close_range(unsigned lo, unsigned hi, int flags)
{
	struct range_conn *v;
	unsigned top = hi;
	size_t n = 0;
	int r;

	if (flags & CLOSE_RANGE_CLOEXEC)
		return (int)REAL(syscall)(SYS_close_range, lo, hi, flags);
	v = range_begin(lo, &top, &n);
	r = close_around(lo, hi, flags);
	range_end(lo, top, v, n);
	return r;
}

ATTLS_HOOK void closefrom(int lo)
{
	unsigned top = ~0u;
	size_t n = 0;
	struct range_conn *v = range_begin((unsigned)lo, &top, &n);

	if (close_around((unsigned)lo, ~0u, 0) < 0)
		for (int fd = lo; fd < 65536; fd++)
			if (!attls_own_fd(fd))
				REAL(close)(fd);
	range_end((unsigned)lo, top, v, n);
}

ATTLS_HOOK int dup(int fd)
{
	int r = REAL(dup)(fd);

	if (r >= 0)
		attls_fd_dup(fd, r);
	return r;
}

/*
 * dup2 and dup3 onto a TLS fd: the target is CLOSING during the real call
 * and keeps its state if the call fails; on success its session ends on
 * a duplicate kept for the purpose, since the number names oldfd's file
 * by then, and the target takes oldfd's state.
 */
static int dup_onto(int oldfd, int newfd, int flags, bool three)
{
	struct attls_conn *c;
	int r, err, keep = -1;

	if (oldfd == newfd)
		return three ? REAL(dup3)(oldfd, newfd, flags) : REAL(dup2)(oldfd, newfd);
	/* The epoll layer knows a TLS fd by its TLS slot: it forgets newfd now, as before a close. */
	attls_epoll_forget(newfd);
	c = attls_fd_close_begin(newfd);
	/* Above oldfd: the lowest free number may be oldfd itself, if it is not open. */
	if (c && oldfd >= 0)
		keep = REAL(fcntl)(newfd, F_DUPFD_CLOEXEC, oldfd + 1);
	r = three ? REAL(dup3)(oldfd, newfd, flags) : REAL(dup2)(oldfd, newfd);
	err = errno;
	if (r < 0) {
		attls_fd_close_undo(newfd, c);
		if (keep >= 0)
			REAL(close)(keep);
		errno = err;
		return r;
	}
	attls_fd_close_session(c, newfd, keep);
	attls_fd_close_end(newfd, c);
	if (keep >= 0)
		REAL(close)(keep);
	attls_fd_dup(oldfd, newfd);
	if (newfd == STDERR_FILENO)
		attls_log_stderr_moved();
	errno = err;
	return r;
}

ATTLS_HOOK int dup2(int oldfd, int newfd)
{
	return dup_onto(oldfd, newfd, 0, false);
}

ATTLS_HOOK int __dup2(int oldfd, int newfd)
{
	return dup_onto(oldfd, newfd, 0, false);
}

ATTLS_HOOK int dup3(int oldfd, int newfd, int flags)
{
	return dup_onto(oldfd, newfd, flags, true);
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
	case F_GETFD:
		/* A TLS fd: the program's own intent (fdtable.c), not the kernel's kept flag. */
		r = real(fd, cmd, arg);
		if (r >= 0 && (c = attls_fd_get(fd))) {
			attls_conn_put(c);
			r = attls_fd_cloexec_meant(fd) ? r | FD_CLOEXEC : r & ~FD_CLOEXEC;
		}
		return r;
	case F_SETFD:
		if (!(c = attls_fd_get(fd)))
			return real(fd, cmd, arg);
		attls_conn_put(c);
		r = real(fd, cmd, (void *)((long)arg | FD_CLOEXEC));
		if (r == 0)
			attls_fd_cloexec_set(fd, (long)arg & FD_CLOEXEC);
		return r;
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

ATTLS_HOOK int __fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return tls_fcntl(REAL(fcntl), fd, cmd, arg);
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
	if (req != FIONREAD && req != FIONBIO && req != FIOCLEX && req != FIONCLEX)
		return REAL(ioctl)(fd, req, arg);
	if (req == FIONREAD && attls_fd_is_handed(fd)) {
		*(int *)arg = 0; /* a read finds end of file: nothing to read */
		return 0;
	}
	if (!(c = attls_fd_get(fd)))
		return REAL(ioctl)(fd, req, arg);
	if (req == FIOCLEX || req == FIONCLEX) {
		/* The kernel's flag stays set on a TLS fd: the intent is recorded (fdtable.c). */
		r = REAL(ioctl)(fd, FIOCLEX, NULL);
		if (r == 0)
			attls_fd_cloexec_set(fd, req == FIOCLEX);
	} else if (req == FIONREAD) {
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

/* __vfork and _Fork: shim/fork.c. */
