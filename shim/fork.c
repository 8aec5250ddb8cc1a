/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fork the socket_wrapper way: prepare takes every attls lock in the order
 * of shim/locks.h, and the parent and the child let them go, in reverse.
 * Nothing is re-initialised: the thread that forks holds them all, in both
 * processes. The handlers are registered once, by the constructor
 * (hook_socket.c), before any other of attls's own, and run for fork,
 * vfork (which attls turns into fork) and system() and popen().
 * Prepare also maps the fork's claim words (fdtable.c, lib/claim.h),
 * before the fork, so that the parent and the child share them: which
 * of the two owns each connection is decided there, once.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../lib/claim.h"
#include "../lib/engine.h"
#include "../lib/linger.h"
#include "../lib/livetab.h"
#include "../lib/pkcs11.h"
#include "../lib/resume_client.h"
#include "../lib/tickets.h"
#include "epoll_set.h"
#include "fdtable.h"
#include "hooks.h"
#include "inherit.h"
#include "locks.h"
#include "real.h"

/*
 * The fork's pipe, made when TLS fds exist (lib/session.c says why): the
 * parent keeps the read end as long as one of its copies names it, the
 * child the write end, close-on-exec, until it execs or exits. Both sit
 * high, out of the way of the fd numbers the program expects. Written by
 * the forking thread only, between prepare and the release, which runs
 * with every attls lock held: no other thread reads them.
 */
static int pipe_rd = -1, pipe_wr = -1;

/*
 * This fork's claim words (lib/claim.h): one for each TLS session and each
 * session handed over and not taken up yet, with some to spare (fds made
 * by other threads before prepare takes the locks); a session that finds
 * none left is the parent's (session.c). Made before the locks (the memfd
 * is moved high with a close, a hook), by the forking thread; each
 * session takes its own reference in prepare, this one goes at its end.
 */
static struct attls_claims *claims;

/*
 * The write ends this process holds, of the forks that made it and its
 * ancestors while they had TLS fds: each tells a parent that this process
 * may still go on with a copy of its sessions. Close-on-exec, unless an
 * exec hands sessions over (exec.c): the new image holds them then, as it
 * holds the sessions. Written in the child's fork handler (one thread)
 * and by the constructor; read by exec.
 */
#define HELD_MAX 16
static int held[HELD_MAX];
static int nheld;

int attls_fork_held(const int **fds)
{
	*fds = held;
	return nheld;
}

void attls_fork_adopt(int fd)
{
	/* Past the last place it stays open untracked: closed by exec, never handed over. */
	if (nheld < HELD_MAX)
		held[nheld++] = fd;
}

/* Near the fd limit, but no higher than 4096: the kernel's fd array grows to it. */
static int move_high(int fd)
{
	struct rlimit rl;
	int hi;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 256)
		return fd;
	hi = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, (int)(rl.rlim_cur > 4096 ? 4096 : rl.rlim_cur) - 64);
	if (hi < 0)
		return fd;
	REAL(close)(fd);
	return hi;
}

static void pipe_open(void)
{
	int p[2];

	pipe_rd = pipe_wr = -1;
	if (!atomic_load(&attls_tls_fds) || pipe2(p, O_CLOEXEC) < 0)
		return; /* without it, a parent's unused copy is only let go */
	pipe_rd = move_high(p[0]);
	pipe_wr = move_high(p[1]);
}

void attls_fork_prepare(void)
{
	int saved = errno;

	pipe_open(); /* before any lock: pipe2 may be a hook */
	claims = atomic_load(&attls_tls_fds) || attls_inherit_any() ?
		 attls_claims_new(atomic_load(&attls_tls_fds) + (int)attls_inherit_count() + 16) :
		 NULL;
	errno = saved;
	attls_epoll_atfork_prepare();	/* 1, 2 */
	attls_fd_atfork_prepare(claims);	/* 3, 4 */
	attls_inherit_atfork_prepare(claims);
	attls_linger_atfork_prepare();	/* 5 */
	attls_engine_atfork_prepare();	/* 6, 7 */
	attls_p11_atfork_prepare();	/* 8, 9 */
	attls_resume_atfork_prepare();	/* 10 */
	attls_tickets_atfork_prepare();	/* 11 */
	attls_claims_put(claims); /* the sessions hold theirs */
	claims = NULL;
}

void attls_fork_parent(void)
{
	int saved = errno;
	struct attls_fork_gen *gen = pipe_rd >= 0 ? attls_fork_gen_new(pipe_rd) : NULL;

	if (pipe_rd >= 0 && !gen)
		REAL(close)(pipe_rd);
	attls_tickets_atfork_release();
	attls_resume_atfork_release();
	attls_p11_atfork_release();
	attls_engine_atfork_release();
	attls_linger_atfork_parent();
	attls_fd_atfork_parent(gen);
	attls_epoll_atfork_parent();
	if (pipe_wr >= 0)
		REAL(close)(pipe_wr);
	pipe_wr = -1;
	attls_fork_gen_put(gen); /* the sessions hold their own references */
	errno = saved;
}

void attls_fork_child(void)
{
	int saved = errno;

	if (pipe_rd >= 0)
		REAL(close)(pipe_rd); /* the write end stays, until exec or exit */
	if (pipe_wr >= 0)
		attls_fork_adopt(pipe_wr);
	pipe_wr = -1;
	attls_live_atfork_child();
	attls_tickets_atfork_release();
	attls_resume_atfork_release();
	attls_p11_atfork_release();
	attls_engine_atfork_release();
	attls_linger_atfork_child();
	attls_fd_atfork_child();
	attls_epoll_atfork_child();
	attls_inherit_atfork_child(); /* the table's lock let go: it marks fds */
	attls_live_atfork_child_done(); /* after the sessions read the parent's slots */
	errno = saved;
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
