/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sessions received with their sockets (travel_recv.c), kept until the
 * socket's first data call takes one up (fdtable.c, look()): by the
 * socket's device and inode, so that whichever number names it first
 * takes it, and the others share it as dup'ed numbers do.
 *
 * A fixed array of atomic pointers, no lock: a keep claims an empty place
 * with compare-and-swap, a take empties one with exchange, so two threads
 * never take the same session, and a signal handler or a fork finds each
 * place either empty or holding a whole entry. A fork copies what is
 * kept: as with a session forked after it began, only one of the two
 * processes may go on with it (the one that uses it takes it up; if both
 * did, both would write with the same keys: the program must not). An
 * entry whose socket the program closed unused is dropped when the array
 * is full and a new one comes. Each blob holds keys: scrubbed when freed.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/handoff.h"
#include "travel.h"
#include "travel_wire.h"

#define KEPT_MAX 256

struct kept {
	int fd; /* the number it came on, to see whether it is still open */
	uint64_t dev, ino;
	size_t len;
	unsigned char blob[];
};

static _Atomic(struct kept *) kept[KEPT_MAX];
/* How many places hold an entry: 0 lets look() skip the search. */
static atomic_int kept_count;

static void kept_free(struct kept *k)
{
	explicit_bzero(k->blob, k->len);
	free(k);
}

/* Whether k's socket is still open on its number (else nobody can take it). */
static bool alive(const struct kept *k)
{
	struct stat st;

	return fstat(k->fd, &st) == 0 && st.st_dev == k->dev && st.st_ino == k->ino;
}

int attls_travel_keep(int fd, const struct attls_travel_entry *e)
{
	struct kept *k = malloc(sizeof(*k) + e->len);

	if (!k)
		return -1;
	k->fd = fd;
	k->dev = e->dev;
	k->ino = e->ino;
	k->len = e->len;
	memcpy(k->blob, e->blob, e->len);
	/*
	 * The same socket again (a recvmsg with MSG_PEEK installs the fds
	 * once more): the newer session replaces the older.
	 */
	for (int i = 0; i < KEPT_MAX; i++) {
		struct kept *old = atomic_load(&kept[i]);

		if (old && old->dev == k->dev && old->ino == k->ino &&
		    atomic_compare_exchange_strong(&kept[i], &old, k)) {
			kept_free(old);
			return 0;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < KEPT_MAX; i++) {
			struct kept *none = NULL;

			if (atomic_compare_exchange_strong(&kept[i], &none, k)) {
				atomic_fetch_add(&kept_count, 1);
				return 0;
			}
		}
		/* Full: drop what nobody can take any more, once. */
		for (int i = 0; i < KEPT_MAX; i++) {
			struct kept *old = atomic_load(&kept[i]);

			if (old && !alive(old) &&
			    atomic_compare_exchange_strong(&kept[i], &old, NULL)) {
				atomic_fetch_sub(&kept_count, 1);
				kept_free(old);
			}
		}
	}
	kept_free(k);
	errno = ENOSPC;
	return -1;
}

int attls_travel_take(uint64_t dev, uint64_t ino, unsigned char **blob, size_t *len)
{
	if (!atomic_load_explicit(&kept_count, memory_order_relaxed))
		return 0;
	for (int i = 0; i < KEPT_MAX; i++) {
		struct kept *k = atomic_load(&kept[i]);

		if (!k || k->dev != dev || k->ino != ino ||
		    !atomic_compare_exchange_strong(&kept[i], &k, NULL))
			continue;
		atomic_fetch_sub(&kept_count, 1);
		*blob = malloc(k->len);
		if (*blob) {
			memcpy(*blob, k->blob, k->len);
			*len = k->len;
		}
		kept_free(k);
		if (!*blob) {
			errno = ENOMEM;
			return -1;
		}
		return 1;
	}
	return 0;
}
