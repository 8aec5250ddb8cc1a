/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sessions received with their sockets (travel_recv.c), kept until the
 * socket's first data call takes one up (fdtable.c, look()): by the
 * socket's device and inode, so that whichever number names it first
 * takes it, and the others share it as dup'ed numbers do.
 *
 * A fixed array of places, no lock: each has a state that a keep or a
 * take moves with compare-and-swap (struct place), so two threads never
 * take the same session, a reader never touches a blob it does not own,
 * and a signal handler finds each place empty, full or claimed. A fork
 * copies the places as they are: one claimed by a thread the child does
 * not have stays claimed there, its session lost to the child (a new
 * handshake, which fails on the wire, never clear text). A fork copies what is
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

enum { EMPTY, FILLING, FULL, TAKING };

/*
 * One place. Its state says who may touch the rest: FILLING and TAKING
 * belong to the one thread that moved it there (compare-and-swap), FULL
 * to nobody. Readers that only look (waiting) read dev and ino, atomic
 * words, and never the blob; one that matches claims the place (FULL to
 * TAKING) and checks again what it holds, since it may have been taken
 * and filled anew meanwhile.
 */
struct place {
	_Atomic int state;
	_Atomic uint64_t dev, ino;
	int fd; /* the number it came on, to see whether it is still open */
	unsigned char *blob;
	size_t len;
};

static struct place kept[KEPT_MAX];
/* How many places are FULL or being filled: 0 lets look() skip the search. */
static atomic_int kept_count;

/* With the place claimed (FILLING or TAKING): empties it. */
static void empty(struct place *p)
{
	if (p->blob) {
		explicit_bzero(p->blob, p->len);
		free(p->blob);
		p->blob = NULL;
	}
	p->len = 0;
	atomic_store(&p->dev, 0);
	atomic_store(&p->ino, 0);
	atomic_fetch_sub(&kept_count, 1);
	atomic_store_explicit(&p->state, EMPTY, memory_order_release);
}

/* Claims the FULL place i if it holds socket (dev, ino): true, then TAKING. */
static bool claim(int i, uint64_t dev, uint64_t ino)
{
	struct place *p = &kept[i];
	int full = FULL;

	if (atomic_load_explicit(&p->state, memory_order_acquire) != FULL ||
	    atomic_load(&p->dev) != dev || atomic_load(&p->ino) != ino ||
	    !atomic_compare_exchange_strong(&p->state, &full, TAKING))
		return false;
	if (atomic_load(&p->dev) == dev && atomic_load(&p->ino) == ino)
		return true;
	atomic_store_explicit(&p->state, FULL, memory_order_release); /* another's now */
	return false;
}

/* Whether the socket of a claimed place is still open on its number. */
static bool alive(const struct place *p)
{
	struct stat st;

	return fstat(p->fd, &st) == 0 && (uint64_t)st.st_dev == atomic_load(&p->dev) &&
	       (uint64_t)st.st_ino == atomic_load(&p->ino);
}

int attls_travel_keep(int fd, const struct attls_travel_entry *e)
{
	unsigned char *blob = malloc(e->len);

	if (!blob)
		return -1;
	memcpy(blob, e->blob, e->len);
	/*
	 * The same socket again (a recvmsg with MSG_PEEK installs the fds
	 * once more): the newer session replaces the older.
	 */
	for (int i = 0; i < KEPT_MAX; i++)
		if (claim(i, e->dev, e->ino))
			empty(&kept[i]);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < KEPT_MAX; i++) {
			struct place *p = &kept[i];
			int none = EMPTY;

			if (!atomic_compare_exchange_strong(&p->state, &none, FILLING))
				continue;
			atomic_fetch_add(&kept_count, 1);
			p->fd = fd;
			p->blob = blob;
			p->len = e->len;
			atomic_store(&p->dev, e->dev);
			atomic_store(&p->ino, e->ino);
			atomic_store_explicit(&p->state, FULL, memory_order_release);
			return 0;
		}
		/* Full: drop what nobody can take any more (its socket closed unused), once. */
		for (int i = 0; i < KEPT_MAX; i++) {
			struct place *p = &kept[i];
			int full = FULL;

			if (!atomic_compare_exchange_strong(&p->state, &full, TAKING))
				continue;
			if (alive(p))
				atomic_store_explicit(&p->state, FULL, memory_order_release);
			else
				empty(p);
		}
	}
	explicit_bzero(blob, e->len);
	free(blob);
	errno = ENOSPC;
	return -1;
}

int attls_travel_take(uint64_t dev, uint64_t ino, unsigned char **blob, size_t *len)
{
	if (!atomic_load_explicit(&kept_count, memory_order_relaxed))
		return 0;
	for (int i = 0; i < KEPT_MAX; i++) {
		struct place *p = &kept[i];

		if (!claim(i, dev, ino))
			continue;
		/* The blob is the caller's now; the place is emptied without it. */
		*blob = p->blob;
		*len = p->len;
		p->blob = NULL;
		p->len = 0;
		empty(p);
		return 1;
	}
	return 0;
}

bool attls_travel_waiting(int fd)
{
	struct stat st;

	if (!atomic_load_explicit(&kept_count, memory_order_relaxed) || fstat(fd, &st) < 0)
		return false;
	for (int i = 0; i < KEPT_MAX; i++)
		if (atomic_load_explicit(&kept[i].state, memory_order_acquire) == FULL &&
		    atomic_load(&kept[i].dev) == (uint64_t)st.st_dev &&
		    atomic_load(&kept[i].ino) == (uint64_t)st.st_ino)
			return true;
	return false;
}

bool attls_travel_pending(void)
{
	return atomic_load_explicit(&kept_count, memory_order_relaxed) > 0;
}
