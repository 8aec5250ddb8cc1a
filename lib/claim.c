/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claim.h"
#include "sysio.h"

struct attls_claims {
	atomic_int *words; /* shared: MAP_SHARED on the memfd */
	size_t len;
	int n, next;       /* next: written in prepare only, by the forking thread */
	int fd;            /* the memfd, high, close-on-exec (exec.c clears it to hand it over) */
	bool owns_fd;      /* false: taken up across exec, other sessions may name it */
	atomic_int refs;   /* private to each process */
};

/*
 * The memfds open in this process, fd + 1 (0: a free place), for the shim
 * to keep them out of the program's close_range and closefrom. Changed by
 * compare-and-swap only: no lock; a fork copies them with the fds.
 */
#define OWN_MAX 64
static atomic_int own[OWN_MAX];

static void own_add(int fd)
{
	for (int i = 0; i < OWN_MAX; i++)
		if (atomic_load(&own[i]) == fd + 1)
			return;
	for (int i = 0; i < OWN_MAX; i++) {
		int free_place = 0;

		if (atomic_compare_exchange_strong(&own[i], &free_place, fd + 1))
			return;
	}
}

static void own_del(int fd)
{
	for (int i = 0; i < OWN_MAX; i++) {
		int v = fd + 1;

		atomic_compare_exchange_strong(&own[i], &v, 0);
	}
}

int attls_claims_fds(int *fds, int max)
{
	int n = 0;

	for (int i = 0; i < OWN_MAX && n < max; i++) {
		int v = atomic_load(&own[i]);

		if (v)
			fds[n++] = v - 1;
	}
	return n;
}

/* Near the fd limit, but no higher than 4096 (as fork.c's pipe). */
static int move_high(int fd)
{
	struct rlimit rl;
	int hi;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 256)
		return fd;
	hi = attls_io.fcntl(fd, F_DUPFD_CLOEXEC, (int)(rl.rlim_cur > 4096 ? 4096 : rl.rlim_cur) - 96);
	if (hi < 0)
		return fd;
	/* attls's close hook: a fd that is not TLS takes no lock (fork's prepare holds them). */
	attls_io.close(fd);
	return hi;
}

static struct attls_claims *map(int fd, size_t len, int n)
{
	struct attls_claims *b = malloc(sizeof(*b));

	if (!b)
		return NULL;
	/* mmap, not a hook: safe with every attls lock held. */
	b->words = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b->words == MAP_FAILED) {
		free(b);
		return NULL;
	}
	b->len = len;
	b->n = n;
	b->next = 0;
	b->fd = fd;
	b->owns_fd = true;
	atomic_init(&b->refs, 1);
	return b;
}

struct attls_claims *attls_claims_new(int n)
{
	struct attls_claims *b;
	size_t len = (size_t)n * sizeof(atomic_int);
	int fd;

	if (n <= 0 || (fd = attls_io.memfd_create("attls-claims", MFD_CLOEXEC)) < 0)
		return NULL;
	if (ftruncate(fd, (off_t)len) < 0 || !(b = map(fd, len, n))) {
		attls_io.close(fd);
		return NULL;
	}
	b->fd = move_high(fd);
	own_add(b->fd);
	return b;
}

atomic_int *attls_claims_open(int fd, uint32_t index, struct attls_claims **bp)
{
	struct stat st;
	struct attls_claims *b;

	*bp = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < ((uint64_t)index + 1) * sizeof(atomic_int) ||
	    st.st_size > (1 << 20) || !(b = map(fd, (size_t)st.st_size, (int)(st.st_size / 4))))
		return NULL;
	b->owns_fd = false; /* other sessions of the exec may name it: left open */
	own_add(fd);
	b->next = b->n;
	*bp = b;
	return &b->words[index];
}

int attls_claims_fd(const struct attls_claims *b, const atomic_int *w, uint32_t *index)
{
	*index = (uint32_t)(w - b->words);
	return b->fd;
}

atomic_int *attls_claims_take(struct attls_claims *b)
{
	if (!b || b->next >= b->n)
		return NULL;
	atomic_fetch_add(&b->refs, 1);
	return &b->words[b->next++];
}

void attls_claims_put(struct attls_claims *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		munmap(b->words, b->len);
		if (b->owns_fd) {
			own_del(b->fd);
			attls_io.close(b->fd);
		}
		free(b);
	}
}

pid_t attls_claim(atomic_int *w, pid_t me)
{
	int seen = 0;

	if (atomic_compare_exchange_strong(w, &seen, (int)me) || seen == (int)me)
		return 0;
	return (pid_t)seen;
}
