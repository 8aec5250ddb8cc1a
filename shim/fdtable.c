/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

#include "fdtable.h"
#include "real.h"

#define L2_BITS 10
#define L2_SIZE (1 << L2_BITS)
#define L1_SIZE 1024 /* fds up to 1M */

typedef _Atomic(struct attls_conn *) slot_t;

static _Atomic(slot_t *) table[L1_SIZE];
/* Taken to change an entry, and to take a reference to a TLS fd's conn. */
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

static void mark_all(bool child)
{
	for (int i = 0; i < L1_SIZE; i++) {
		slot_t *l2 = atomic_load(&table[i]);

		for (int j = 0; l2 && j < L2_SIZE; j++) {
			struct attls_conn *c = atomic_load(&l2[j]);

			if (c)
				attls_session_after_fork(c->s, child);
		}
	}
}

void attls_fd_atfork_prepare(void)
{
	pthread_mutex_lock(&table_lock);
}

void attls_fd_atfork_parent(void)
{
	if (atomic_load(&attls_tls_fds))
		mark_all(false);
	pthread_mutex_unlock(&table_lock);
}

void attls_fd_atfork_child(void)
{
	pthread_mutex_init(&table_lock, NULL);
	if (atomic_load(&attls_tls_fds))
		mark_all(true);
}
