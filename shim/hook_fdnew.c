/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The calls that yield fds and carry no TLS: each resets the new fd's
 * slot (fdtable.h), so that a state left on the number by a close no hook
 * saw (fclose, a close inside libc) cannot outlive it. Sockets become
 * UNSEEN (looked at on their first data call, unless connect or accept
 * decides first); everything else CLEAR.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "fdtable.h"
#include "hooks.h"
#include "real.h"

static int made(int fd, bool maybe_socket)
{
	attls_fd_new(fd, maybe_socket);
	return fd;
}

static int made2(int r, int fds[2], bool maybe_socket)
{
	if (r == 0) {
		attls_fd_new(fds[0], maybe_socket);
		attls_fd_new(fds[1], maybe_socket);
	}
	return r;
}

ATTLS_HOOK int socket(int domain, int type, int proto)
{
	return made(REAL(socket)(domain, type, proto), true);
}

ATTLS_HOOK int socketpair(int domain, int type, int proto, int fds[2])
{
	return made2(REAL(socketpair)(domain, type, proto, fds), fds, true);
}

ATTLS_HOOK int pipe(int fds[2])
{
	return made2(REAL(pipe)(fds), fds, false);
}

ATTLS_HOOK int __pipe(int fds[2])
{
	return pipe(fds);
}

ATTLS_HOOK int pipe2(int fds[2], int flags)
{
	return made2(REAL(pipe2)(fds, flags), fds, false);
}

/* The mode is there when O_CREAT or O_TMPFILE asks for it. */
#define MODE_ARG(last, flags, mode)                                 \
	do {                                                        \
		va_list ap_;                                        \
		va_start(ap_, last);                                \
		(mode) = (flags) & (O_CREAT | O_TMPFILE) ? va_arg(ap_, mode_t) : 0; \
		va_end(ap_);                                        \
	} while (0)

/* open never yields a socket (a socket's path, or /proc/PID/fd/N of one, gives ENXIO). */
ATTLS_HOOK int open(const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, flags, mode);
	return made(REAL(open)(path, flags, mode), false);
}

ATTLS_HOOK int open64(const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, flags, mode);
	return made(REAL(open64)(path, flags, mode), false);
}

ATTLS_HOOK int __open(const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, flags, mode);
	return made(REAL(open)(path, flags, mode), false);
}

ATTLS_HOOK int __open64(const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, flags, mode);
	return made(REAL(open64)(path, flags, mode), false);
}

ATTLS_HOOK int openat(int dir, const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, flags, mode);
	return made(REAL(openat)(dir, path, flags, mode), false);
}

ATTLS_HOOK int openat64(int dir, const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, flags, mode);
	return made(REAL(openat64)(dir, path, flags, mode), false);
}

ATTLS_HOOK int __open_2(const char *path, int flags)
{
	return made(REAL(__open_2)(path, flags), false);
}

ATTLS_HOOK int __open64_2(const char *path, int flags)
{
	return made(REAL(__open64_2)(path, flags), false);
}

ATTLS_HOOK int __openat_2(int dir, const char *path, int flags)
{
	return made(REAL(__openat_2)(dir, path, flags), false);
}

ATTLS_HOOK int __openat64_2(int dir, const char *path, int flags)
{
	return made(REAL(__openat64_2)(dir, path, flags), false);
}

ATTLS_HOOK int creat(const char *path, mode_t mode)
{
	return made(REAL(creat)(path, mode), false);
}

ATTLS_HOOK int creat64(const char *path, mode_t mode)
{
	return made(REAL(creat64)(path, mode), false);
}

/*
 * epoll fds: made here only to reset the slot; the epoll layer
 * (hook_epoll.c) keeps its own record of them.
 */
ATTLS_HOOK int epoll_create(int size)
{
	return made(REAL(epoll_create)(size), false);
}

ATTLS_HOOK int epoll_create1(int flags)
{
	return made(REAL(epoll_create1)(flags), false);
}

ATTLS_HOOK int eventfd(unsigned count, int flags)
{
	return made(REAL(eventfd)(count, flags), false);
}

ATTLS_HOOK int signalfd(int fd, const sigset_t *mask, int flags)
{
	int r = REAL(signalfd)(fd, mask, flags);

	/* fd >= 0 changes the mask of an existing signalfd: no new fd. */
	return fd < 0 ? made(r, false) : r;
}

ATTLS_HOOK int timerfd_create(int clock, int flags)
{
	return made(REAL(timerfd_create)(clock, flags), false);
}

ATTLS_HOOK int memfd_create(const char *name, unsigned flags)
{
	return made(REAL(memfd_create)(name, flags), false);
}

ATTLS_HOOK int inotify_init(void)
{
	return made(REAL(inotify_init)(), false);
}

ATTLS_HOOK int inotify_init1(int flags)
{
	return made(REAL(inotify_init1)(flags), false);
}

ATTLS_HOOK int fanotify_init(unsigned flags, unsigned event_flags)
{
	return made(REAL(fanotify_init)(flags, event_flags), false);
}

ATTLS_HOOK int pidfd_open(pid_t pid, unsigned flags)
{
	return made(REAL(pidfd_open)(pid, flags), false);
}

/* Another process's fd: a socket whose beginning this process never saw. */
ATTLS_HOOK int pidfd_getfd(int pidfd, int target, unsigned flags)
{
	return made(REAL(pidfd_getfd)(pidfd, target, flags), true);
}
