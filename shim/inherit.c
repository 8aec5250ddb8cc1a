/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The new image's side of a hand-over across exec (inherit.h). The
 * constructor reads the memfd once, before main and before any thread of
 * the program: the table below is written then and only read afterwards,
 * each entry taken once by an atomic exchange, so no lock is needed (none
 * in the order of shim/locks.h, nothing for fork to take: a child gets the
 * entries not yet taken, and whichever process first uses the fd takes up
 * the session, as the fork rule has it for any shared session). A second
 * thread that meets a session another is taking up (two numbers of one
 * socket used at once) waits until it is attached (attls_inherit_done),
 * then shares it through the fd table's twin check. A fork in the middle
 * of a take leaves the child an entry that stays TAKING: its numbers then
 * wait for a twin forever; fork is not expected between a socket's first
 * use in one thread and the return of that use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/claim.h"
#include "../lib/handoff.h"
#include "../lib/trace.h"
#include "fdtable.h"
#include "inherit.h"
#include "locks.h"
#include "real.h"

extern char **environ;

/* An entry's life: it waits, one thread takes it up, then it is done. */
enum { WAITING, TAKING, DONE };

struct waiting {
	int *fds;
	uint32_t nfds;
	unsigned char *blob; /* scrubbed once done; its memory is kept */
	size_t len;
	atomic_int state;
	/*
	 * fork: each fork while it waits adds a contest to its bytes (the
	 * fork's claim word, lib/claim.h), so that of the processes that
	 * inherit it, the first to take it up owns it (lib/session.c, "Who
	 * owns"). Written by the forking thread in prepare, all locks held;
	 * the bytes they replace (old) stay readable for a thread that found
	 * them a moment before, and are scrubbed with the new at done. Without
	 * memory or room, the parent keeps it: parents_only, and the child's
	 * entry is done (its fds get no session: never two writers).
	 */
	unsigned char *old[ATTLS_CLAIM_CHAIN];
	size_t old_len[ATTLS_CLAIM_CHAIN];
	int nold;
	struct attls_claims *blk[ATTLS_CLAIM_CHAIN];
	bool parents_only;
};

static struct waiting *table;
static size_t ntable;
static atomic_size_t untaken;

/* Removes every NAME=... from environ, in place, before the program runs. */
static const char *env_take(const char *name)
{
	size_t n = strlen(name);
	const char *val = NULL;
	char **w = environ;

	if (!environ)
		return NULL;
	for (char **r = environ; *r; r++) {
		if (!strncmp(*r, name, n) && (*r)[n] == '=') {
			val = *r + n + 1;
			continue;
		}
		*w++ = *r;
	}
	*w = NULL;
	return val;
}

/* Whether fd is a memfd sealed against writing, as the exec'ing image made it. */
static bool sealed(int fd)
{
	int seals = REAL(fcntl)(fd, F_GET_SEALS);

	return seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL);
}

/* The whole memfd. */
static unsigned char *read_all(int fd, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t got = 0;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (1 << 28) ||
	    !(buf = malloc((size_t)st.st_size)))
		return NULL;
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);

		if (r <= 0) {
			attls_handoff_free(buf, (size_t)st.st_size);
			return NULL;
		}
		got += (size_t)r;
	}
	*len = got;
	return buf;
}

static bool get(const unsigned char **p, const unsigned char *end, void *dst, size_t n)
{
	if ((size_t)(end - *p) < n)
		return false;
	memcpy(dst, *p, n);
	*p += n;
	return true;
}

static bool parse(const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf, *end = buf + len;
	struct attls_handoff_head h;

	if (!get(&p, end, &h, sizeof(h)) || memcmp(h.magic, ATTLS_HANDOFF_MAGIC, 8) ||
	    h.nconn > 65536 || h.nheld > 64)
		return false;
	for (uint32_t i = 0; i < h.nheld; i++) {
		int32_t fd;

		if (!get(&p, end, &fd, sizeof(fd)))
			return false;
		/* Held by this image now, close-on-exec again until the next hand-over. */
		REAL(fcntl)(fd, F_SETFD, FD_CLOEXEC);
		attls_fork_adopt(fd);
	}
	if (!(table = calloc(h.nconn ? h.nconn : 1, sizeof(*table))))
		return false;
	for (uint32_t i = 0; i < h.nconn; i++) {
		struct waiting *w = &table[i];
		uint32_t n;
		unsigned char *b;

		if (!get(&p, end, &w->nfds, sizeof(w->nfds)) || w->nfds > 1024 ||
		    !(w->fds = calloc(w->nfds ? w->nfds : 1, sizeof(int))))
			return false;
		for (uint32_t k = 0; k < w->nfds; k++)
			if (!get(&p, end, &w->fds[k], sizeof(int32_t)))
				return false;
		if (!get(&p, end, &n, sizeof(n)) || (size_t)(end - p) < n || !(b = malloc(n)))
			return false;
		memcpy(b, p, n);
		p += n;
		w->len = n;
		w->blob = b;
		atomic_init(&w->state, WAITING);
		ntable = i + 1;
		atomic_fetch_add(&untaken, 1);
	}
	return p == end;
}

void attls_inherit_start(bool secure)
{
	const char *v = env_take(ATTLS_HANDOFF_ENV);
	unsigned char *buf;
	size_t len = 0;
	char *endp;
	long fd;

	if (!v)
		return;
	fd = strtol(v, &endp, 10);
	if (*endp || fd < 0 || fd > 1 << 20)
		return;
	/*
	 * Only a sealed memfd is attls's (the variable could name any fd, a
	 * program's stdout): anything else is left open and alone. In
	 * secure-execution mode the environment is not trusted: the variable
	 * goes, the memfd is closed, the sockets get no session.
	 */
	if (!sealed((int)fd))
		return;
	if (secure) {
		REAL(close)((int)fd);
		return;
	}
	buf = read_all((int)fd, &len);
	REAL(close)((int)fd);
	if (!buf) {
		attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_CONN_REFUSED, NULL,
			    "the TLS sessions handed over across exec cannot be read: the sockets "
			    "they came with get none");
		return;
	}
	if (!parse(buf, len))
		attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_CONN_REFUSED, NULL,
			    "the TLS sessions handed over across exec are malformed: only the "
			    "first %zu are kept", ntable);
	attls_handoff_free(buf, len);
}

/*
 * The session waiting for fd, or being taken up: by its number first, else
 * by its socket (a number the program dup'ed it to before its first use).
 * Its bytes stay readable until it is done, and are only scrubbed then
 * (never freed), so a thread that found it a moment before reads zeros
 * at worst, and finds no socket of its own in them.
 */
static struct waiting *find(int fd)
{
	for (size_t i = 0; i < ntable; i++) {
		if (atomic_load(&table[i].state) == DONE)
			continue;
		for (uint32_t k = 0; k < table[i].nfds; k++)
			if (table[i].fds[k] == fd)
				return &table[i];
	}
	for (size_t i = 0; i < ntable; i++)
		if (atomic_load(&table[i].state) != DONE &&
		    attls_handoff_of(fd, table[i].blob, table[i].len))
			return &table[i];
	return NULL;
}

bool attls_inherit_waiting(int fd)
{
	return atomic_load_explicit(&untaken, memory_order_relaxed) && find(fd);
}

int attls_inherit_take(int fd, unsigned char **blob, size_t *len, int *id)
{
	struct waiting *w;
	int st = WAITING;

	*id = -1;
	if (!atomic_load(&untaken) || !(w = find(fd)))
		return 0;
	if (atomic_load(&w->state) == TAKING)
		return -1;
	/* The number names another socket now: this session is not its. */
	if (!attls_handoff_of(fd, w->blob, w->len) || !(*blob = malloc(w->len)))
		return 0;
	memcpy(*blob, w->blob, w->len);
	if (!atomic_compare_exchange_strong(&w->state, &st, TAKING)) {
		attls_handoff_free(*blob, w->len);
		*blob = NULL;
		return st == TAKING ? -1 : 0;
	}
	*len = w->len;
	*id = (int)(w - table);
	return 1;
}

void attls_inherit_done(int id)
{
	struct waiting *w;

	if (id < 0 || (size_t)id >= ntable)
		return;
	w = &table[id];
	for (int k = 0; k < w->nold; k++)
		explicit_bzero(w->old[k], w->old_len[k]);
	explicit_bzero(w->blob, w->len);
	atomic_store(&w->state, DONE);
	atomic_fetch_sub(&untaken, 1);
}

size_t attls_inherit_count(void)
{
	return atomic_load(&untaken);
}

void attls_inherit_atfork_prepare(struct attls_claims *blk)
{
	for (size_t i = 0; i < ntable; i++) {
		struct waiting *w = &table[i];
		atomic_int *word;
		unsigned char *nb = NULL;
		size_t nlen = 0;
		uint32_t idx;
		int fd;

		w->parents_only = false;
		if (atomic_load(&w->state) != WAITING)
			continue;
		if (w->nold < ATTLS_CLAIM_CHAIN && (word = attls_claims_take(blk))) {
			fd = attls_claims_fd(blk, word, &idx);
			nb = attls_handoff_with_link(w->blob, w->len, fd, idx, &nlen);
			if (nb) {
				w->blk[w->nold] = blk;
				w->old[w->nold] = w->blob;
				w->old_len[w->nold++] = w->len;
				w->blob = nb;
				w->len = nlen;
			} else {
				attls_claims_put(blk);
			}
		}
		if (!nb)
			w->parents_only = true;
	}
}

void attls_inherit_atfork_child(void)
{
	for (size_t i = 0; i < ntable; i++) {
		struct waiting *w = &table[i];
		int st = WAITING;

		if (w->parents_only && atomic_compare_exchange_strong(&w->state, &st, DONE)) {
			explicit_bzero(w->blob, w->len);
			atomic_fetch_sub(&untaken, 1);
			/* Its data calls fail (ECONNRESET): never a new handshake on it. */
			for (uint32_t k = 0; k < w->nfds; k++)
				attls_fd_set_refused(w->fds[k]);
		}
	}
}

bool attls_inherit_any(void)
{
	return atomic_load_explicit(&untaken, memory_order_relaxed) != 0;
}

void attls_inherit_each(void (*fn)(void *arg, const int *fds, size_t nfds,
				   const unsigned char *blob, size_t len),
			void *arg)
{
	for (size_t i = 0; i < ntable && atomic_load(&untaken); i++) {
		unsigned char *b = table[i].blob;
		int fds[64];
		size_t n = 0;

		if (atomic_load(&table[i].state) != WAITING)
			continue;
		for (uint32_t k = 0; k < table[i].nfds && n < 64; k++) {
			int fd = table[i].fds[k], fl = REAL(fcntl)(fd, F_GETFD);

			/* Its slot is UNSEEN (the session waits): the kernel's flag is the program's. */
			if (fl >= 0 && !(fl & FD_CLOEXEC) && attls_handoff_of(fd, b, table[i].len))
				fds[n++] = fd;
		}
		if (n)
			fn(arg, fds, n, b, table[i].len);
	}
}
