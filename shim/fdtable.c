/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/claim.h"
#include "../lib/engine.h"
#include "../lib/handoff.h"
#include "../lib/trace.h"
#include "epoll_set.h"
#include "fdtable.h"
#include "inherit.h"
#include "real.h"
#include "travel.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define L2_SIZE (1 << ATTLS_FD_L2_BITS)

/* fds 0-1023 need no allocation at all. */
static attls_slot_t first_block[L2_SIZE];
_Atomic(attls_slot_t *) attls_fd_l1[ATTLS_FD_L1_SIZE] = { first_block };
/*
 * Guards every change of a slot to or from a connection (TLS, CLOSING),
 * the counts attls_tls_fds and conn->fds, and the taking of a reference
 * from a slot (so that the last put cannot race a look-up). Changes
 * between UNSEEN, CLEAR and REFUSED are compare-and-swap without it, so
 * that the data calls on clear fds (a signal handler's write) never take
 * it. Nests under an epoll set's lock (epoll_set.c looks fds up with it
 * held); nothing is taken under it, and no session lock: the session is
 * ended or moved after it is released. A second thread waits on it for a
 * few instructions; a signal handler that closes a TLS fd while its thread
 * holds it would wait forever, as with any lock of libc's (close of a TLS
 * fd is not async-signal-safe under attls, close of a clear one is). fork:
 * 3 in the lock order of shim/locks.h; attls_fd_atfork_prepare takes it
 * (and then each TLS session's lock), so no slot is half-changed in the
 * child, and both processes let go.
 *
 * The slots themselves: written with atomics only, so a second thread
 * sees a state before or after a change, never between; a signal handler
 * that writes on a clear fd reads one word and takes no lock (and an L2
 * block it needs is mmap'ed, which is async-signal-safe). A fork copies
 * them as they are: the child's TLS slots are its copies of the sessions.
 */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
atomic_int attls_tls_fds;

static bool is_conn(uintptr_t v)
{
	return v > ATTLS_SLOT_HANDED;
}

static struct attls_conn *conn_of(uintptr_t v)
{
	return (struct attls_conn *)(v & ~ATTLS_SLOT_CLOSING);
}

static attls_slot_t *slot(int fd, bool create)
{
	unsigned u = (unsigned)fd;
	attls_slot_t *l2;

	if (u >= (unsigned)ATTLS_FD_L1_SIZE << ATTLS_FD_L2_BITS)
		return NULL;
	l2 = atomic_load_explicit(&attls_fd_l1[u >> ATTLS_FD_L2_BITS], memory_order_acquire);
	if (!l2 && create) {
		/* mmap, not malloc: a signal handler's first write on a high fd gets here. */
		attls_slot_t *fresh = mmap(NULL, L2_SIZE * sizeof(*fresh), PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (fresh == MAP_FAILED)
			return NULL;
		if (!atomic_compare_exchange_strong(&attls_fd_l1[u >> ATTLS_FD_L2_BITS], &l2, fresh))
			munmap(fresh, L2_SIZE * sizeof(*fresh)); /* l2 holds the winner */
		else
			l2 = fresh;
	}
	return l2 ? &l2[u & (L2_SIZE - 1)] : NULL;
}

void attls_conn_put(struct attls_conn *c)
{
	int saved = errno;

	if (atomic_fetch_sub(&c->refs, 1) == 1) {
		attls_session_free(c->s);
		free(c);
	}
	errno = saved;
}

/*
 * A connection for a new session, with the caller's reference; NULL
 * without memory, the session then ended and freed.
 */
static struct attls_conn *conn_new(struct attls_session *s)
{
	struct attls_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		attls_session_end(s, false);
		attls_session_free(s);
		return NULL;
	}
	c->s = s;
	atomic_init(&c->refs, 1);
	atomic_init(&c->fds, 0);
	return c;
}

/* With table_lock held: a slot has just come to name c as TLS. */
static void conn_counted(struct attls_conn *c)
{
	atomic_fetch_add(&attls_tls_fds, 1);
	atomic_fetch_add(&c->fds, 1);
	atomic_fetch_add(&c->refs, 1);
}

/*
 * Close-on-exec as the program means it, one bit per fd number (set: it
 * meant the fd closed at exec). A TLS fd keeps the kernel's FD_CLOEXEC set
 * whatever the program asks, so that an exec no hook sees (posix_spawn,
 * system, popen) never leaves a TLS socket to a program that would use it
 * in clear; the hooked exec calls (exec.c) clear it just before the real
 * call on the TLS fds whose bit is clear, after handing their sessions
 * over. The bit is read from the kernel when the slot becomes TLS (so
 * socket and accept without SOCK_CLOEXEC, dup, dup3 with O_CLOEXEC,
 * F_DUPFD_CLOEXEC and an inherited socket's flag are what the program
 * made), then changed only by F_SETFD, FIOCLEX and FIONCLEX (hook_fd.c)
 * and read by F_GETFD. A bit of a number that is not TLS means nothing.
 * Atomic words: a second thread's F_SETFD on another fd never loses this
 * one's; a signal handler that sets it races the program as it would with
 * the kernel. Copied by fork, as the kernel copies the flag.
 */
static _Atomic uint64_t cloexec_meant[(ATTLS_FD_L1_SIZE << ATTLS_FD_L2_BITS) / 64];

void attls_fd_cloexec_set(int fd, bool on)
{
	unsigned u = (unsigned)fd;

	if (u >= (unsigned)ATTLS_FD_L1_SIZE << ATTLS_FD_L2_BITS)
		return;
	if (on)
		atomic_fetch_or(&cloexec_meant[u / 64], 1ull << (u % 64));
	else
		atomic_fetch_and(&cloexec_meant[u / 64], ~(1ull << (u % 64)));
}

bool attls_fd_cloexec_meant(int fd)
{
	unsigned u = (unsigned)fd;

	if (u >= (unsigned)ATTLS_FD_L1_SIZE << ATTLS_FD_L2_BITS)
		return true;
	return atomic_load(&cloexec_meant[u / 64]) & (1ull << (u % 64));
}

/* fd has just become TLS: the program's intent is the kernel's flag now, which attls then sets. */
static void cloexec(int fd)
{
	int fl = REAL(fcntl)(fd, F_GETFD);

	attls_fd_cloexec_set(fd, fl < 0 || (fl & FD_CLOEXEC));
	if (fl >= 0 && !(fl & FD_CLOEXEC))
		REAL(fcntl)(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* Another fd whose slot names c as TLS, if any (a dup'ed fd closed first). */
static int other_fd(struct attls_conn *c, int not)
{
	for (int i = 0; i < ATTLS_FD_L1_SIZE; i++) {
		attls_slot_t *l2 = atomic_load(&attls_fd_l1[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++)
			if (atomic_load(&l2[j]) == (uintptr_t)c && (i << ATTLS_FD_L2_BITS) + j != not)
				return (i << ATTLS_FD_L2_BITS) + j;
	}
	return -1;
}

/*
 * Another fd whose slot holds a connection on the same socket as fd (the
 * numbers inetd dup2's one connection onto before exec: 0, 1 and 2), or
 * -1. Only the first of them gets a session; the others share it, as dup
 * does.
 */
static int twin_of(int fd)
{
	struct stat a, b;

	if (!atomic_load(&attls_tls_fds) || fstat(fd, &a) < 0)
		return -1;
	for (int o = attls_fd_next_tls(0); o >= 0; o = attls_fd_next_tls(o + 1))
		if (o != fd && fstat(o, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return o;
	return -1;
}

/*
 * What an UNSEEN fd is, looked at once. Returns the state to keep, or
 * UNSEEN to keep none (the fd is closed, or a socket not connected yet:
 * the real call answers, and the next call looks again). A connected TCP
 * socket a descriptor covers comes back as UNSEEN with *ns, its new
 * session, or with *twin, another fd that has the session of that socket;
 * *twin is LOOK_AGAIN while another thread takes up the session handed
 * over with that socket (inherit.c). *handed: the one this call took up
 * (attls_inherit_done once its slot holds it), or -1.
 */
#define LOOK_AGAIN (-2)
static uintptr_t look(int fd, struct attls_session **ns, int *twin, int *handed)
{
	struct sockaddr_storage peer;
	int dom = 0, type = 0, proto = 0;
	socklen_t len = sizeof(dom);
	enum attls_verdict v;
	struct stat st;

	if (attls_inside)
		return ATTLS_SLOT_UNSEEN;
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0) {
		if (errno == ENOTSOCK)
			return ATTLS_SLOT_CLEAR;
		if (errno == EBADF)
			return ATTLS_SLOT_UNSEEN;
		goto ask; /* a socket attls cannot read: the engine decides, or refuses */
	}
	if (dom != AF_INET && dom != AF_INET6)
		return ATTLS_SLOT_CLEAR;
	len = sizeof(type);
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		goto ask;
	if (type != SOCK_STREAM)
		return ATTLS_SLOT_CLEAR;
	len = sizeof(proto);
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		goto ask;
	if (proto != IPPROTO_TCP && proto != IPPROTO_MPTCP)
		return ATTLS_SLOT_CLEAR;
	len = sizeof(peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0) {
		if (errno == ENOTCONN || errno == EBADF)
			return ATTLS_SLOT_UNSEEN;
		goto ask;
	}
	*twin = twin_of(fd);
	if (*twin >= 0)
		return ATTLS_SLOT_UNSEEN;
ask:;
	/*
	 * A session handed over with it (across exec: inherit.c; through
	 * SCM_RIGHTS: travel_recv.c) is taken up, not begun anew.
	 */
	unsigned char *blob = NULL;
	size_t blen = 0;
	int took = attls_inherit_take(fd, &blob, &blen, handed);
	int kept = 0;

	if (took < 0) {
		*twin = LOOK_AGAIN;
		return ATTLS_SLOT_UNSEEN;
	}
	if (!took && attls_travel_pending() && fstat(fd, &st) == 0 &&
	    (kept = attls_travel_take(st.st_dev, st.st_ino, &blob, &blen)) < 0) {
		attls_trace(attls_trace_mask(), ATTLS_MSG_TLS_FD_NOT_TAKEN, NULL,
			    "fd %d: its session was lost (%s); its data calls fail with ECONNRESET",
			    fd, strerror(errno));
		return ATTLS_SLOT_REFUSED;
	}
	attls_inside++;
	v = attls_engine_unseen(fd, took ? "inherited across exec with its TLS session" :
				kept > 0 ? "received through SCM_RIGHTS with its TLS session" :
				"inherited across exec, received through SCM_RIGHTS, "
				"or made where no hook saw it", blob, blen, ns);
	attls_inside--;
	attls_handoff_free(blob, blen);
	if (v == ATTLS_TLS)
		return ATTLS_SLOT_UNSEEN;
	return v == ATTLS_CLEAR ? ATTLS_SLOT_CLEAR : ATTLS_SLOT_REFUSED;
}

/*
 * The session look() made for fd goes into its slot if the slot is still
 * UNSEEN (under table_lock, which guards every change to a connection); a
 * second thread that looked at the same fd at the same time, or a close
 * and a new fd on the number meanwhile, makes this one a loser: its
 * session, which has done no I/O, is dropped without a word on the wire.
 */
static void attach_unseen(int fd, attls_slot_t *sl, struct attls_session *s)
{
	struct attls_conn *c = conn_new(s);
	uintptr_t v = ATTLS_SLOT_UNSEEN;
	bool done;

	if (!c)
		return;
	pthread_mutex_lock(&table_lock);
	done = atomic_compare_exchange_strong(sl, &v, (uintptr_t)c);
	if (done)
		conn_counted(c);
	pthread_mutex_unlock(&table_lock);
	if (done)
		cloexec(fd);
	else
		attls_session_end(s, false);
	attls_conn_put(c); /* conn_new's reference: the slot keeps its own */
}

/*
 * A connection this process did not accept or connect, refused (no policy,
 * a session handed over that cannot be taken up, ...): the socket is shut
 * both ways, so that what reaches it by a path no hook sees (stdio's
 * writes inside libc: a program's error message on a socket dup'ed to fd
 * 2) fails with EPIPE instead of going out in clear. Every holder of the
 * socket loses it, as a refused connection must.
 */
static void refuse_unseen(int fd, attls_slot_t *sl, uintptr_t v)
{
	int saved = errno;

	if (atomic_compare_exchange_strong(sl, &v, ATTLS_SLOT_REFUSED))
		REAL(shutdown)(fd, SHUT_RDWR);
	errno = saved;
}

int attls_fd_data(int fd, struct attls_conn **cp)
{
	attls_slot_t *sl = slot(fd, true);
	int saved = errno;

	*cp = NULL;
	if (!sl) {
		/* Out of the table's range, or no memory: look, without keeping it. */
		struct attls_session *ns = NULL;
		int twin = -1, handed = -1;
		uintptr_t st = fd < 0 || fd >= ATTLS_FD_L1_SIZE << ATTLS_FD_L2_BITS ?
				       ATTLS_SLOT_CLEAR : look(fd, &ns, &twin, &handed);

		attls_inherit_done(handed);
		/* No slot to keep a session in: refused, never clear. */
		if (ns || twin >= 0 || twin == LOOK_AGAIN) {
			if (ns) {
				attls_session_end(ns, false);
				attls_session_free(ns);
			}
			st = ATTLS_SLOT_REFUSED;
		}

		errno = saved;
		if (st != ATTLS_SLOT_REFUSED)
			return 0;
		REAL(shutdown)(fd, SHUT_RDWR);
		errno = ECONNRESET;
		return -1;
	}
	for (;;) {
		uintptr_t v = atomic_load(sl), st;

		if (v == ATTLS_SLOT_CLEAR)
			return 0;
		if (v == ATTLS_SLOT_REFUSED || v == ATTLS_SLOT_HANDED) {
			errno = v == ATTLS_SLOT_HANDED ? EPIPE : ECONNRESET;
			return -1;
		}
		if (v == ATTLS_SLOT_UNSEEN) {
			struct attls_session *ns = NULL;
			int twin = -1, handed = -1;

			st = look(fd, &ns, &twin, &handed);
			errno = saved;
			if (twin == LOOK_AGAIN)
				sched_yield(); /* another thread attaches its session: then a twin */
			else if (twin >= 0)
				attls_fd_dup(twin, fd);
			else if (ns)
				attach_unseen(fd, sl, ns);
			else if (st == ATTLS_SLOT_UNSEEN)
				return 0;
			else if (st == ATTLS_SLOT_REFUSED)
				refuse_unseen(fd, sl, v);
			else
				atomic_compare_exchange_strong(sl, &v, st);
			attls_inherit_done(handed);
			errno = saved;
			continue; /* whatever the slot holds now */
		}
		if (v & ATTLS_SLOT_CLOSING) {
			errno = EBADF;
			return -1;
		}
		pthread_mutex_lock(&table_lock);
		if (atomic_load(sl) == v) {
			*cp = conn_of(v);
			atomic_fetch_add(&(*cp)->refs, 1);
		}
		pthread_mutex_unlock(&table_lock);
		if (*cp)
			return 1;
	}
}

struct attls_conn *attls_fd_get(int fd)
{
	attls_slot_t *sl = slot(fd, false);
	struct attls_conn *c = NULL;
	uintptr_t v;

	/*
	 * A session handed over across exec or through SCM_RIGHTS waits for
	 * this fd: the first call that asks (a poll, an epoll_ctl, before any
	 * read) takes it up, so that plaintext it carried is seen as ready.
	 */
	if (sl && atomic_load(sl) == ATTLS_SLOT_UNSEEN &&
	    (attls_inherit_waiting(fd) || attls_travel_waiting(fd))) {
		if (attls_fd_data(fd, &c) == 1)
			return c;
		return NULL;
	}

	if (!sl || !is_conn(v = atomic_load_explicit(sl, memory_order_relaxed)) ||
	    (v & ATTLS_SLOT_CLOSING))
		return NULL;
	pthread_mutex_lock(&table_lock);
	v = atomic_load(sl);
	if (is_conn(v) && !(v & ATTLS_SLOT_CLOSING)) {
		c = conn_of(v);
		atomic_fetch_add(&c->refs, 1);
	}
	pthread_mutex_unlock(&table_lock);
	return c;
}

bool attls_fd_is_handed(int fd)
{
	attls_slot_t *sl = slot(fd, false);

	return sl && atomic_load(sl) == ATTLS_SLOT_HANDED;
}

bool attls_fd_closing(int fd)
{
	attls_slot_t *sl = slot(fd, false);
	uintptr_t v = sl ? atomic_load(sl) : 0;

	return is_conn(v) && (v & ATTLS_SLOT_CLOSING);
}

/*
 * Puts nv in fd's slot, whatever was there. A connection found there is
 * stale: its fd was closed where no hook saw it, and the number names
 * another file now, so it ends without a word on the wire.
 */
static void replace(int fd, uintptr_t nv)
{
	attls_slot_t *sl = slot(fd, true);
	struct attls_conn *old = NULL;
	bool stale_tls = false;
	uintptr_t v;
	int saved = errno;

	if (!sl)
		return;
	v = atomic_load(sl);
	if (!is_conn(v) && !is_conn(nv)) {
		/* Clear states only: no lock (a signal handler may be here). */
		while (!is_conn(v) && !atomic_compare_exchange_weak(sl, &v, nv))
			;
		if (!is_conn(v))
			return;
	}
	if (is_conn(v) && !(v & ATTLS_SLOT_CLOSING))
		attls_epoll_forget(fd); /* while the slot still says TLS: that is how it knows */
	pthread_mutex_lock(&table_lock);
	v = atomic_exchange(sl, nv);
	if (is_conn(v)) {
		old = conn_of(v);
		atomic_fetch_sub(&attls_tls_fds, 1);
		if (!(v & ATTLS_SLOT_CLOSING)) {
			stale_tls = true;
			atomic_fetch_sub(&old->fds, 1);
		}
	}
	if (is_conn(nv))
		conn_counted(conn_of(nv));
	pthread_mutex_unlock(&table_lock);
	if (is_conn(nv))
		cloexec(fd);
	if (stale_tls) {
		if (atomic_load(&old->fds) == 0) {
			attls_session_end(old->s, false);
		} else {
			int other = other_fd(old, fd);

			if (other >= 0)
				attls_session_set_fd(old->s, other);
		}
	}
	if (old)
		attls_conn_put(old);
	errno = saved;
}

void attls_fd_new(int fd, bool maybe_socket)
{
	if (fd >= 0)
		replace(fd, maybe_socket ? ATTLS_SLOT_UNSEEN : ATTLS_SLOT_CLEAR);
}

void attls_fd_set_clear(int fd)
{
	if (fd >= 0)
		replace(fd, ATTLS_SLOT_CLEAR);
}

void attls_fd_set_refused(int fd)
{
	if (fd >= 0)
		replace(fd, ATTLS_SLOT_REFUSED);
}

/*
 * Every slot that names c as TLS becomes HANDED, under table_lock (a
 * second thread's look-up sees TLS or HANDED, never between; one that
 * took its reference before goes on with the session, which refuses it:
 * lib/handoff.c). A CLOSING slot (a close in another thread) is left to
 * its close, which only lets the session go. The epoll sets forget each
 * fd first, while its slot still says TLS (that is how they know it).
 */
void attls_fd_handed(struct attls_conn *c)
{
	int fd;
	int gone = 0;

	for (fd = other_fd(c, -1); fd >= 0; fd = other_fd(c, -1)) {
		attls_slot_t *sl = slot(fd, false);
		uintptr_t v = (uintptr_t)c;

		attls_epoll_forget(fd);
		pthread_mutex_lock(&table_lock);
		if (atomic_compare_exchange_strong(sl, &v, ATTLS_SLOT_HANDED)) {
			atomic_fetch_sub(&attls_tls_fds, 1);
			atomic_fetch_sub(&c->fds, 1);
			gone++;
		}
		pthread_mutex_unlock(&table_lock);
	}
	attls_session_end(c->s, false);
	/* The slots' references, each dropped after the lock. */
	while (gone--)
		attls_conn_put(c);
}

int attls_fd_attach(int fd, struct attls_session *s)
{
	struct attls_conn *c;

	if (!slot(fd, true)) {
		attls_session_end(s, false);
		attls_session_free(s);
		return -1;
	}
	if (!(c = conn_new(s)))
		return -1;
	replace(fd, (uintptr_t)c);
	attls_conn_put(c);
	return 0;
}

void attls_fd_dup(int oldfd, int newfd)
{
	attls_slot_t *sl = slot(oldfd, false);
	uintptr_t v = sl ? atomic_load(sl) : ATTLS_SLOT_UNSEEN;
	struct attls_conn *c;

	if (newfd < 0 || newfd == oldfd)
		return;
	if (v == ATTLS_SLOT_UNSEEN && oldfd >= 0) {
		int saved = errno;

		/*
		 * A dup is a use: oldfd is looked at first (a socket inherited
		 * with or without its session, inetd's), so both numbers name
		 * one session, and the close of either leaves the other's.
		 */
		if (attls_fd_data(oldfd, &c) > 0)
			attls_conn_put(c);
		errno = saved;
		sl = slot(oldfd, false);
		v = sl ? atomic_load(sl) : ATTLS_SLOT_UNSEEN;
	}
	if (!is_conn(v)) {
		replace(newfd, v);
		return;
	}
	if (!(c = attls_fd_get(oldfd))) {
		/* oldfd's close has begun: newfd is a socket attls will look at. */
		replace(newfd, ATTLS_SLOT_UNSEEN);
		return;
	}
	replace(newfd, (uintptr_t)c);
	attls_conn_put(c);
}

int attls_fd_next_tls(int from)
{
	for (int fd = from < 0 ? 0 : from; fd < ATTLS_FD_L1_SIZE << ATTLS_FD_L2_BITS;) {
		attls_slot_t *l2 = atomic_load(&attls_fd_l1[fd >> ATTLS_FD_L2_BITS]);

		if (!l2) {
			fd = ((fd >> ATTLS_FD_L2_BITS) + 1) << ATTLS_FD_L2_BITS;
			continue;
		}
		uintptr_t v = atomic_load(&l2[fd & (L2_SIZE - 1)]);

		if (is_conn(v) && !(v & ATTLS_SLOT_CLOSING))
			return fd;
		fd++;
	}
	return -1;
}

struct attls_conn *attls_fd_close_begin(int fd)
{
	attls_slot_t *sl = slot(fd, false);
	struct attls_conn *c = NULL;
	uintptr_t v;

	if (!sl || !is_conn(atomic_load_explicit(sl, memory_order_relaxed)))
		return NULL;
	pthread_mutex_lock(&table_lock);
	v = atomic_load(sl);
	if (is_conn(v) && !(v & ATTLS_SLOT_CLOSING)) {
		c = conn_of(v);
		atomic_store(sl, v | ATTLS_SLOT_CLOSING);
		atomic_fetch_sub(&c->fds, 1);
		atomic_fetch_add(&c->refs, 1); /* the caller's */
	}
	pthread_mutex_unlock(&table_lock);
	return c;
}

void attls_fd_close_session(struct attls_conn *c, int fd, int keep)
{
	int saved = errno;

	if (!c)
		return;
	if (atomic_load(&c->fds) == 0) {
		attls_session_set_fd(c->s, keep >= 0 ? keep : fd);
		attls_session_end(c->s, true);
	} else {
		int other = other_fd(c, fd);

		if (other >= 0)
			attls_session_set_fd(c->s, other);
	}
	errno = saved;
}

void attls_fd_close_end(int fd, struct attls_conn *c)
{
	attls_slot_t *sl = slot(fd, false);
	uintptr_t v;
	int saved = errno;

	if (!sl)
		goto out;
	v = atomic_load(sl);
	if (!c) {
		/* A clear slot: UNSEEN, unless a new fd took the number and its state already. */
		if (v == ATTLS_SLOT_CLEAR || v == ATTLS_SLOT_REFUSED || v == ATTLS_SLOT_HANDED)
			atomic_compare_exchange_strong(sl, &v, ATTLS_SLOT_UNSEEN);
		goto out;
	}
	pthread_mutex_lock(&table_lock);
	v = (uintptr_t)c | ATTLS_SLOT_CLOSING;
	if (atomic_compare_exchange_strong(sl, &v, ATTLS_SLOT_UNSEEN)) {
		atomic_fetch_sub(&attls_tls_fds, 1);
		atomic_fetch_sub(&c->refs, 1); /* the slot's; the caller's keeps c alive */
	}
	pthread_mutex_unlock(&table_lock);
	attls_conn_put(c);
out:
	errno = saved;
}

void attls_fd_close_undo(int fd, struct attls_conn *c)
{
	attls_slot_t *sl = slot(fd, false);
	uintptr_t v = (uintptr_t)c | ATTLS_SLOT_CLOSING;
	int saved = errno;

	if (!c)
		return;
	pthread_mutex_lock(&table_lock);
	if (sl && atomic_compare_exchange_strong(sl, &v, (uintptr_t)c))
		atomic_fetch_add(&c->fds, 1);
	pthread_mutex_unlock(&table_lock);
	attls_conn_put(c);
	errno = saved;
}

/*
 * fork, step 3 and 4 of shim/locks.h: the table's lock, then each TLS
 * session's lock once (a dup'ed fd names the same connection: fork_held
 * says it is taken). fork_held is written only here, with table_lock held.
 */
void attls_fd_atfork_prepare(struct attls_claims *blk)
{
	pthread_mutex_lock(&table_lock);
	if (!atomic_load(&attls_tls_fds))
		return;
	for (int i = 0; i < ATTLS_FD_L1_SIZE; i++) {
		attls_slot_t *l2 = atomic_load(&attls_fd_l1[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++) {
			uintptr_t v = atomic_load(&l2[j]);

			/*
			 * A CLOSING slot's session is being ended by the thread
			 * that closes it (a drain may take seconds): its lock is
			 * not waited for, and the child never uses that copy.
			 */
			if (is_conn(v) && !(v & ATTLS_SLOT_CLOSING) && !conn_of(v)->fork_held) {
				attls_session_fork_lock(conn_of(v)->s);
				attls_session_fork_prepare(conn_of(v)->s, blk);
				conn_of(v)->fork_held = true;
			}
		}
	}
}

/* Marks each copy (attls_session_fork_release) and lets the locks go. */
static void release_all(bool child, struct attls_fork_gen *gen)
{
	for (int i = 0; i < ATTLS_FD_L1_SIZE; i++) {
		attls_slot_t *l2 = atomic_load(&attls_fd_l1[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++) {
			uintptr_t v = atomic_load(&l2[j]);

			if (is_conn(v) && conn_of(v)->fork_held) {
				conn_of(v)->fork_held = false;
				attls_session_fork_release(conn_of(v)->s, child, gen);
			}
		}
	}
	pthread_mutex_unlock(&table_lock);
}

void attls_fd_atfork_parent(struct attls_fork_gen *gen)
{
	release_all(false, gen);
}

void attls_fd_atfork_child(void)
{
	release_all(true, NULL);
}

/*
 * In a child made by _Fork no handler ran: any lock may be held by a
 * thread the child does not have, and only async-signal-safe calls are
 * allowed. The child cannot use the parent's connections: each TLS fd
 * becomes an unconnected socket of the same domain (same number; a write
 * says EPIPE, with SIGPIPE as on a connection the peer closed, a read
 * ENOTCONN; nothing reaches the parent's peer), and its slot is emptied
 * without a lock (the child has one thread) so that no hook on it takes
 * one. The connections' memory is left as it is. The parent keeps sole
 * ownership: its copies are not marked.
 */
void attls_fd_forget_all_raw(void)
{
	if (!atomic_load(&attls_tls_fds))
		return;
	for (int i = 0; i < ATTLS_FD_L1_SIZE; i++) {
		attls_slot_t *l2 = atomic_load(&attls_fd_l1[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++) {
			int fd = (i << ATTLS_FD_L2_BITS) + j, domain = AF_INET, dead;
			socklen_t len = sizeof(domain);

			if (!is_conn(atomic_load(&l2[j])))
				continue;
			REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
			dead = REAL(socket)(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (dead < 0 || REAL(dup3)(dead, fd, O_CLOEXEC) < 0)
				REAL(close)(fd); /* closed rather than left to carry clear text */
			if (dead >= 0)
				REAL(close)(dead);
			atomic_store(&l2[j], ATTLS_SLOT_UNSEEN);
			atomic_fetch_sub(&attls_tls_fds, 1);
		}
	}
}
