/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The new image's side of a hand-over across exec (inherit.h). The
 * constructor reads the memfd once, before main and before any thread of
 * the program: the table below is written then and only read afterwards,
 * each entry taken once by an atomic exchange, so no lock is needed (none
 * in the order of shim/locks.h, nothing for fork to take: a child gets the
 * entries not yet taken, and whichever process first uses the fd takes up
 * the session, as the fork rule has it for any shared session).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/handoff.h"
#include "../lib/trace.h"
#include "inherit.h"
#include "locks.h"
#include "real.h"

extern char **environ;

struct waiting {
	int *fds;
	uint32_t nfds;
	_Atomic(unsigned char *) blob; /* NULL once taken (its memory kept, scrubbed) */
	size_t len;
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

/* The whole memfd, sealed against writing: the exec'ing image made it so. */
static unsigned char *read_all(int fd, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t got = 0;
	int seals = REAL(fcntl)(fd, F_GET_SEALS);

	if (seals < 0 || !(seals & F_SEAL_WRITE) || fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size > (1 << 28) || !(buf = malloc((size_t)st.st_size)))
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
		atomic_store(&w->blob, b);
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
	if (secure) {
		/* The environment is not trusted here: the sockets get no session. */
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
 * The session waiting for fd: by its number first, else by its socket (a
 * number the program dup'ed it to before its first use).
 */
static struct waiting *find(int fd)
{
	for (size_t i = 0; i < ntable; i++) {
		if (!atomic_load(&table[i].blob))
			continue;
		for (uint32_t k = 0; k < table[i].nfds; k++)
			if (table[i].fds[k] == fd)
				return &table[i];
	}
	for (size_t i = 0; i < ntable; i++) {
		unsigned char *b = atomic_load(&table[i].blob);

		if (b && attls_handoff_of(fd, b, table[i].len))
			return &table[i];
	}
	return NULL;
}

bool attls_inherit_waiting(int fd)
{
	return atomic_load_explicit(&untaken, memory_order_relaxed) && find(fd);
}

bool attls_inherit_take(int fd, unsigned char **blob, size_t *len)
{
	struct waiting *w;
	unsigned char *b;

	if (!atomic_load(&untaken) || !(w = find(fd)))
		return false;
	b = atomic_load(&w->blob);
	/* The number names another socket now: this session is not its. */
	if (!b || !attls_handoff_of(fd, b, w->len))
		return false;
	if (!(*blob = malloc(w->len)))
		return false;
	memcpy(*blob, b, w->len);
	if (!atomic_compare_exchange_strong(&w->blob, &b, NULL)) {
		/* Another thread took it: the fd's twin check finds its session. */
		attls_handoff_free(*blob, w->len);
		return false;
	}
	atomic_fetch_sub(&untaken, 1);
	/*
	 * Scrubbed, not freed: a thread that found it a moment ago may still
	 * read it (and then finds no socket of its own in it).
	 */
	explicit_bzero(b, w->len);
	*len = w->len;
	return true;
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
		unsigned char *b = atomic_load(&table[i].blob);
		int fds[64];
		size_t n = 0;

		if (!b)
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
