/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fd table: which fds carry TLS. Two levels of atomic pointers, never
 * reallocated, so that the look-up of a clear-text fd takes no lock (a
 * signal handler may call write). A TLS fd's connection is reference
 * counted: one reference per fd that names it, one per call in flight.
 */
#ifndef ATTLS_FDTABLE_H
#define ATTLS_FDTABLE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "../lib/session.h"

struct attls_conn {
	struct attls_session *s;
	atomic_int refs; /* fds plus calls in flight */
	atomic_int fds;  /* fds that name it */
	bool fork_held;  /* fork's prepare holds its session's lock (fdtable.c) */
};

/* How many fds carry TLS: 0 lets poll and select skip the table. */
extern atomic_int attls_tls_fds;

/*
 * Whether fd is surely clear text: no TLS fd in the process (inline), or
 * none at fd's place (lock-free). A hook on a socket that matches no
 * policy then costs a few instructions (bench/: overhead).
 */
bool attls_fd_clear_slow(int fd);

static inline bool attls_fd_clear(int fd)
{
	return __builtin_expect(!atomic_load_explicit(&attls_tls_fds, memory_order_relaxed), 1) ||
	       attls_fd_clear_slow(fd);
}

/* The connection of fd, with a reference; NULL for clear-text fds. */
struct attls_conn *attls_fd_get(int fd);
/* Drops a reference, keeping errno; frees at the last. */
void attls_conn_put(struct attls_conn *c);

/* A new connection on fd (takes the caller's session). */
int attls_fd_attach(int fd, struct attls_session *s);
/* newfd names the same connection as oldfd (dup). */
void attls_fd_dup(int oldfd, int newfd);
/*
 * fd is being closed: forget it, and end the connection if it was its
 * last fd (close_notify and drain when this process owns it).
 */
void attls_fd_detach(int fd);

/*
 * fork (shim/fork.c): prepare takes the table's lock and every TLS
 * session's (shim/locks.h); parent and child mark each copy and let go
 * (the parent's copies get gen, the fork's pipe: session.h).
 */
void attls_fd_atfork_prepare(void);
void attls_fd_atfork_parent(struct attls_fork_gen *gen);
void attls_fd_atfork_child(void);
/* In a child made by _Fork: every TLS fd is cut off (fdtable.c says how). */
void attls_fd_forget_all_raw(void);

#endif
