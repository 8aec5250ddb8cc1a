/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fd table: what attls knows of each fd number. Two levels of atomic
 * words, never reallocated (the second level is mmap'ed, so that a signal
 * handler may make one), so that the look-up of a clear-text fd takes no
 * lock. A slot is:
 *
 *   UNSEEN   attls has not looked at what the number names now: a number
 *            no hook saw made (inherited across exec, received through
 *            SCM_RIGHTS, made inside libc), or one whose fd was closed or
 *            made anew where a socket may come of it. The first data call
 *            looks, once: a connected TCP (or MPTCP) socket of AF_INET or
 *            AF_INET6 goes through attls_engine_unseen(); anything else
 *            becomes CLEAR. A socket whose session came with it across
 *            exec (inherit.c) or through SCM_RIGHTS (travel_keep.c) takes
 *            that session up; a poll on it looks too (attls_fd_get), so
 *            that what the session carried is seen.
 *   CLEAR    clear text, checked: the data calls go straight to the kernel.
 *   REFUSED  a TCP connection this process did not see begin, that a
 *            descriptor covers: its data calls fail with ECONNRESET.
 *   HANDED   a TLS socket whose session went with it to another process
 *            (SCM_RIGHTS, shim/handoff_send.c): this number is a plain
 *            reference that never reads or writes the connection again.
 *            A read finds end of file, a write fails with EPIPE (and
 *            SIGPIPE), as on a socket another process shut; close only
 *            lets go, and the connection lives on in the receiver. Like
 *            CLEAR and REFUSED it is a plain word: a signal handler's
 *            call on it takes no lock, a fork copies it as it is (the
 *            child's number is a plain reference too), dup copies it.
 *   TLS      a struct attls_conn pointer.
 *   CLOSING  the same pointer with bit 0 set: close (or dup2 onto it) has
 *            begun. Data calls fail with EBADF, as on a closed fd, and
 *            never reach the kernel; the slot becomes UNSEEN only after
 *            the real close.
 *
 * Every call that yields an fd resets its slot (attls_fd_new), so that a
 * close no hook saw (fclose, a close inside libc) cannot leave a stale
 * state on the next fd with that number.
 *
 * A TLS fd's connection is reference counted: one reference per TLS or
 * CLOSING slot that names it, one per call in flight.
 */
#ifndef ATTLS_FDTABLE_H
#define ATTLS_FDTABLE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../lib/session.h"

struct attls_conn {
	struct attls_session *s;
	atomic_int refs; /* TLS and CLOSING slots plus calls in flight */
	atomic_int fds;  /* TLS slots (not CLOSING) that name it */
	bool fork_held;  /* fork's prepare holds its session's lock (fdtable.c) */
};

#define ATTLS_FD_L2_BITS 10
#define ATTLS_FD_L1_SIZE 1024 /* fds up to 1M */
#define ATTLS_SLOT_UNSEEN ((uintptr_t)0)
#define ATTLS_SLOT_CLEAR ((uintptr_t)1)
#define ATTLS_SLOT_REFUSED ((uintptr_t)2)
#define ATTLS_SLOT_HANDED ((uintptr_t)3)
#define ATTLS_SLOT_CLOSING ((uintptr_t)1) /* the bit, on a conn pointer */

typedef _Atomic uintptr_t attls_slot_t;
extern _Atomic(attls_slot_t *) attls_fd_l1[ATTLS_FD_L1_SIZE];

/* How many slots hold a connection (TLS or CLOSING): 0 lets poll and select skip the table. */
extern atomic_int attls_tls_fds;

/*
 * Whether fd is known clear text (CLEAR): one look-up, no lock, the fast
 * path of every data call. false sends the caller to attls_fd_data().
 */
static inline bool attls_fd_clear(int fd)
{
	unsigned u = (unsigned)fd;
	attls_slot_t *l2;

	if (__builtin_expect(u >= (unsigned)ATTLS_FD_L1_SIZE << ATTLS_FD_L2_BITS, 0))
		return false;
	l2 = atomic_load_explicit(&attls_fd_l1[u >> ATTLS_FD_L2_BITS], memory_order_acquire);
	return __builtin_expect(l2 != NULL, 1) &&
	       atomic_load_explicit(&l2[u & ((1u << ATTLS_FD_L2_BITS) - 1)],
				    memory_order_relaxed) == ATTLS_SLOT_CLEAR;
}

/*
 * For a data call on fd: 0 clear text (the caller goes to the kernel), 1
 * TLS (*c, with a reference), -1 with errno: EBADF on a CLOSING fd,
 * ECONNRESET on a REFUSED one, EPIPE on a HANDED one (where a read
 * returns 0 instead: attls_fd_handed_read). An UNSEEN fd is looked at
 * here, once.
 */
int attls_fd_data(int fd, struct attls_conn **c);

/*
 * For a read whose attls_fd_data said -1: true if that was a HANDED fd
 * (errno EPIPE), where the read returns 0 (end of file); errno is then
 * set back to saved.
 */
static inline bool attls_fd_handed_read(int saved)
{
	if (errno != EPIPE)
		return false;
	errno = saved;
	return true;
}

/* The connection of a TLS fd, with a reference; NULL for any other state. */
struct attls_conn *attls_fd_get(int fd);
/* Whether fd is HANDED (its session went to another process). */
bool attls_fd_is_handed(int fd);
/* Whether fd's close has begun (CLOSING). */
bool attls_fd_closing(int fd);
/* Drops a reference, keeping errno; frees at the last. */
void attls_conn_put(struct attls_conn *c);

/*
 * fd was just made by a call attls saw: the slot is reset, UNSEEN if it
 * may be a socket, CLEAR if it surely is not (a pipe, a file, an eventfd).
 * A connection left on the number by a close no hook saw is ended without
 * a word on the wire (the number names another file now).
 */
void attls_fd_new(int fd, bool maybe_socket);
/* connect or accept decided clear text for fd. */
void attls_fd_set_clear(int fd);
/* fd's connection is refused (its data calls fail with ECONNRESET). */
void attls_fd_set_refused(int fd);
/*
 * c's session went to another process: every TLS slot that names it
 * becomes HANDED (its epoll registrations forgotten first), and the
 * session is let go without a word on the wire.
 */
void attls_fd_handed(struct attls_conn *c);
/* A new connection on fd (takes the caller's session). */
int attls_fd_attach(int fd, struct attls_session *s);
/* newfd (just made by dup, dup2, dup3, F_DUPFD) names what oldfd names. */
void attls_fd_dup(int oldfd, int newfd);

/*
 * close in three steps, around the real close:
 *   c = attls_fd_close_begin(fd)   a TLS slot becomes CLOSING; returns its
 *                                  connection with a reference, or NULL
 *   attls_fd_close_session(c, fd, keep)
 *                                  the session ends (close_notify, drain)
 *                                  if fd was its last fd, on keep if >= 0
 *                                  (dup2: fd is about to name another
 *                                  file); else moves to its other fd
 *   (the real close)
 *   attls_fd_close_end(fd, c)      the slot becomes UNSEEN; drops c
 * attls_fd_close_undo(fd, c) instead, when the real call failed and fd
 * still names the connection (a failed dup2).
 */
struct attls_conn *attls_fd_close_begin(int fd);
/* The first fd at or above from whose slot is TLS (not closing), or -1. */
int attls_fd_next_tls(int from);
void attls_fd_close_session(struct attls_conn *c, int fd, int keep);
void attls_fd_close_end(int fd, struct attls_conn *c);
void attls_fd_close_undo(int fd, struct attls_conn *c);

/*
 * Close-on-exec as the program means it (fdtable.c says why the kernel's
 * flag stays set on a TLS fd): meant tells it, set records it.
 */
bool attls_fd_cloexec_meant(int fd);
void attls_fd_cloexec_set(int fd, bool on);

/*
 * fork (shim/fork.c): prepare takes the table's lock and every TLS
 * session's (shim/locks.h); parent and child mark each copy and let go
 * (the parent's copies get gen, the fork's pipe: session.h).
 */
struct attls_claims;
/* blk: this fork's claim words (lib/claim.h), one for each session; NULL: none. */
void attls_fd_atfork_prepare(struct attls_claims *blk);
void attls_fd_atfork_parent(struct attls_fork_gen *gen);
void attls_fd_atfork_child(void);
/* In a child made by _Fork: every TLS fd is cut off (fdtable.c says how). */
void attls_fd_forget_all_raw(void);

#endif
