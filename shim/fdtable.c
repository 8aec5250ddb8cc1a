/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdtable.h"
#include "real.h"

#define L2_BITS 10
#define L2_SIZE (1 << L2_BITS)
#define L1_SIZE 1024 /* fds up to 1M */

typedef _Atomic(struct attls_conn *) slot_t;

static _Atomic(slot_t *) table[L1_SIZE];
/*
 * Taken to change an entry, and to take a reference to a TLS fd's conn.
 * Nothing is taken under it but, in fork's prepare, the sessions' locks:
 * 3 in the lock order of shim/locks.h. A second thread waits a few
 * instructions; a signal handler never takes it (a clear-text fd's look-up
 * is lock-free); fork: prepare takes it and both processes let go.
 */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
atomic_int attls_tls_fds;

static slot_t *slot(int fd, bool create)
{
	slot_t *l2;

	if (fd < 0 || fd >= L1_SIZE * L2_SIZE)
		return NULL;
	l2 = atomic_load_explicit(&table[fd >> L2_BITS], memory_order_acquire);
	if (!l2 && create) {
		slot_t *fresh = calloc(L2_SIZE, sizeof(*fresh));

		if (!fresh)
			return NULL;
		if (!atomic_compare_exchange_strong(&table[fd >> L2_BITS], &l2, fresh))
			free(fresh); /* l2 holds the winner */
		else
			l2 = fresh;
	}
	return l2 ? &l2[fd & (L2_SIZE - 1)] : NULL;
}

bool attls_fd_clear_slow(int fd)
{
	slot_t *sl = slot(fd, false);

	return !sl || !atomic_load_explicit(sl, memory_order_relaxed);
}

struct attls_conn *attls_fd_get(int fd)
{
	slot_t *sl = slot(fd, false);
	struct attls_conn *c;

	if (!sl || !atomic_load_explicit(sl, memory_order_relaxed))
		return NULL;
	pthread_mutex_lock(&table_lock);
	c = atomic_load(sl);
	if (c)
		atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&table_lock);
	return c;
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

/* Puts c in fd's slot; a connection already there is detached first. */
static int install(int fd, struct attls_conn *c)
{
	slot_t *sl = slot(fd, true);

	if (!sl)
		return -1;
	if (atomic_load(sl))
		attls_fd_detach(fd);
	/* TLS state cannot cross exec: the fd must not either. */
	REAL(fcntl)(fd, F_SETFD, FD_CLOEXEC);
	pthread_mutex_lock(&table_lock);
	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&c->fds, 1);
	atomic_store(sl, c);
	atomic_fetch_add(&attls_tls_fds, 1);
	pthread_mutex_unlock(&table_lock);
	return 0;
}

int attls_fd_attach(int fd, struct attls_session *s)
{
	struct attls_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->s = s;
	atomic_init(&c->refs, 1);
	atomic_init(&c->fds, 0);
	if (install(fd, c) < 0) {
		attls_session_end(s, false);
		attls_conn_put(c);
		return -1;
	}
	attls_conn_put(c);
	return 0;
}

void attls_fd_dup(int oldfd, int newfd)
{
	struct attls_conn *c = attls_fd_get(oldfd);

	if (!c)
		return;
	install(newfd, c);
	attls_conn_put(c);
}

/* Another fd that names c, if any (a dup'ed fd closed first). */
static int other_fd(struct attls_conn *c, int not)
{
	for (int i = 0; i < L1_SIZE; i++) {
		slot_t *l2 = atomic_load(&table[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++)
			if (atomic_load(&l2[j]) == c && (i << L2_BITS) + j != not)
				return (i << L2_BITS) + j;
	}
	return -1;
}

void attls_fd_detach(int fd)
{
	slot_t *sl = slot(fd, false);
	struct attls_conn *c;
	int saved = errno;

	if (!sl || !atomic_load_explicit(sl, memory_order_relaxed))
		return;
	pthread_mutex_lock(&table_lock);
	c = atomic_exchange(sl, NULL);
	if (c)
		atomic_fetch_sub(&attls_tls_fds, 1);
	pthread_mutex_unlock(&table_lock);
	if (!c)
		return;
	if (atomic_fetch_sub(&c->fds, 1) == 1) {
		attls_session_end(c->s, true);
	} else {
		int other = other_fd(c, fd);

		if (other >= 0)
			attls_session_set_fd(c->s, other);
	}
	attls_conn_put(c);
	errno = saved;
}

/*
 * fork, step 3 and 4 of shim/locks.h: the table's lock, then each TLS
 * session's lock once (a dup'ed fd names the same connection: fork_held
 * says it is taken). fork_held is written only here, with table_lock held.
 */
void attls_fd_atfork_prepare(void)
{
	pthread_mutex_lock(&table_lock);
	if (!atomic_load(&attls_tls_fds))
		return;
	for (int i = 0; i < L1_SIZE; i++) {
		slot_t *l2 = atomic_load(&table[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++) {
			struct attls_conn *c = atomic_load(&l2[j]);

			if (c && !c->fork_held) {
				attls_session_fork_lock(c->s);
				c->fork_held = true;
			}
		}
	}
}

/* Marks each copy (attls_session_fork_release) and lets the locks go. */
static void release_all(bool child, struct attls_fork_gen *gen)
{
	for (int i = 0; i < L1_SIZE; i++) {
		slot_t *l2 = atomic_load(&table[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++) {
			struct attls_conn *c = atomic_load(&l2[j]);

			if (c && c->fork_held) {
				c->fork_held = false;
				attls_session_fork_release(c->s, child, gen);
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
	for (int i = 0; i < L1_SIZE; i++) {
		slot_t *l2 = atomic_load(&table[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++) {
			int fd = (i << L2_BITS) + j, domain = AF_INET, dead;
			socklen_t len = sizeof(domain);

			if (!atomic_load(&l2[j]))
				continue;
			REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
			dead = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (dead < 0 || REAL(dup3)(dead, fd, O_CLOEXEC) < 0)
				REAL(close)(fd); /* closed rather than left to carry clear text */
			if (dead >= 0)
				REAL(close)(dead);
			atomic_store(&l2[j], NULL);
			atomic_fetch_sub(&attls_tls_fds, 1);
		}
	}
}
