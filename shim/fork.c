/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fork the socket_wrapper way: prepare takes every attls lock in the order
 * of shim/locks.h, and the parent and the child let them go, in reverse.
 * Nothing is re-initialised: the thread that forks holds them all, in both
 * processes. The handlers are registered once, by the constructor
 * (hook_socket.c), before any other of attls's own, and run for fork,
 * vfork (which attls turns into fork) and system() and popen().
 */
#include <errno.h>
#include <unistd.h>

#include "../lib/linger.h"
#include "../lib/pkcs11.h"
#include "../lib/resume_client.h"
#include "../lib/tickets.h"
#include "epoll_set.h"
#include "fdtable.h"
#include "hooks.h"
#include "locks.h"
#include "real.h"

void attls_fork_prepare(void)
{
	attls_epoll_atfork_prepare();	/* 1, 2 */
	attls_fd_atfork_prepare();	/* 3, 4 */
	attls_linger_atfork_prepare();	/* 5 */
	attls_p11_atfork_prepare();	/* 6, 7 */
	attls_resume_atfork_prepare();	/* 8 */
	attls_tickets_atfork_prepare();	/* 9 */
}

void attls_fork_parent(void)
{
	attls_tickets_atfork_release();
	attls_resume_atfork_release();
	attls_p11_atfork_release();
	attls_linger_atfork_parent();
	attls_fd_atfork_parent();
	attls_epoll_atfork_parent();
}

void attls_fork_child(void)
{
	attls_tickets_atfork_release();
	attls_resume_atfork_release();
	attls_p11_atfork_release();
	attls_linger_atfork_child();
	attls_fd_atfork_child();
	attls_epoll_atfork_child();
}

/*
 * _Fork (glibc 2.34) runs no atfork handler, and its child may only make
 * async-signal-safe calls when the parent had threads. attls does what
 * that allows: the child's TLS fds are cut off (attls_fd_forget_all_raw:
 * no clear text, no lock), and the parent stays the owner of every
 * connection.
 */
ATTLS_HOOK pid_t _Fork(void)
{
	pid_t pid;

	if (!REAL(_Fork)) {
		errno = ENOSYS;
		return -1;
	}
	pid = REAL(_Fork)();
	if (pid == 0) {
		int saved = errno;

		attls_fd_forget_all_raw();
		errno = saved;
	}
	return pid;
}

/* Like vfork (hook_fd.c): shared memory is what a TLS session cannot survive. */
ATTLS_HOOK pid_t __vfork(void)
{
	return REAL(fork)();
}
