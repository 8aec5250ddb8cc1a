/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the shim keeps per epoll fd: each TLS fd's registration as the
 * program made it (events, data, edge-triggered, one-shot), next to what
 * the kernel is asked for on its behalf. Clear-text fds are the kernel's
 * alone and cost nothing here.
 */
#ifndef ATTLS_EPOLL_SET_H
#define ATTLS_EPOLL_SET_H

#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>

int attls_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
/* timeout_ms < 0: forever; mask as for epoll_pwait. */
int attls_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout_ms,
		     const sigset_t *mask);
/* Whether the shim keeps any epoll set now. */
bool attls_epoll_any(void);
/* fd is about to be closed: forget the set it is, or its registrations. */
void attls_epoll_forget(int fd);
/* A read changed fd's readiness: wakes whoever waits on it in another thread. */
void attls_epoll_notify(int fd);
/* fork: prepare takes every lock (shim/locks.h), parent and child let go. */
void attls_epoll_atfork_prepare(void);
void attls_epoll_atfork_parent(void);
void attls_epoll_atfork_child(void);

#endif
