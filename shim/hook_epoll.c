/* SPDX-License-Identifier: GPL-2.0-or-later */
/* epoll: the calls, mapped onto the sets kept in epoll_set.c. */
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "epoll_set.h"
#include "hooks.h"
#include "real.h"

ATTLS_HOOK int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return attls_epoll_ctl(epfd, op, fd, ev);
}

ATTLS_HOOK int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	return attls_epoll_wait(epfd, ev, max, timeout, NULL);
}

ATTLS_HOOK int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
			   const sigset_t *mask)
{
	return attls_epoll_wait(epfd, ev, max, timeout, mask);
}

/* The nanoseconds are rounded up to milliseconds: a wait never ends early. */
ATTLS_HOOK int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			    const struct timespec *timeout, const sigset_t *mask)
{
	long long ms;

	if (!timeout)
		return attls_epoll_wait(epfd, ev, max, -1, mask);
	if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L) {
		errno = EINVAL;
		return -1;
	}
	ms = (long long)timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999) / 1000000;
	return attls_epoll_wait(epfd, ev, max, ms > INT_MAX ? INT_MAX : (int)ms, mask);
}
