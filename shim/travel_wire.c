/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The handoff memfd (travel_wire.h). Sealed before it is sent, so the
 * receiver reads what the sender wrote and nothing written since; it
 * holds session keys, so it exists only between the sender's export and
 * the receiver's read, is close-on-exec on both sides, and every copy of
 * its bytes in memory is scrubbed before it is freed. Uses fds of its own
 * for the call only (REAL() for the calls attls hooks): a second thread,
 * a signal or a fork see none of it.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "travel_wire.h"
#include "real.h"

#define MAGIC "ATTLSFD\x01"
#define VERSION 1u
#define MAX_ENTRIES 253u         /* SCM_MAX_FD */
#define MAX_BLOB (4u << 20)      /* a session with its pending input */
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

struct head {
	char magic[8];
	uint32_t version, count;
	uint64_t total; /* the memfd's size */
	int32_t pid;
	uint32_t zero;
};

struct entry {
	uint64_t dev, ino, len;
};

static int write_all(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = REAL(write)(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p = (const char *)p + n;
		len -= (size_t)n;
	}
	return 0;
}

int attls_travel_seal(const struct attls_travel_entry *e, size_t n)
{
	struct head h = { .version = VERSION, .count = (uint32_t)n, .pid = (int32_t)getpid() };
	int fd, err;

	if (n == 0 || n > MAX_ENTRIES) {
		errno = EINVAL;
		return -1;
	}
	memcpy(h.magic, MAGIC, sizeof(h.magic));
	h.total = sizeof(h) + n * sizeof(struct entry);
	for (size_t i = 0; i < n; i++)
		h.total += e[i].len;
	fd = REAL(memfd_create)(ATTLS_HANDOFF_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (write_all(fd, &h, sizeof(h)) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct entry w = { e[i].dev, e[i].ino, e[i].len };

		if (write_all(fd, &w, sizeof(w)) < 0 || write_all(fd, e[i].blob, e[i].len) < 0)
			goto fail;
	}
	if (REAL(fcntl)(fd, F_ADD_SEALS, SEALS) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	REAL(close)(fd);
	errno = err;
	return -1;
}

/*
 * Whether fd is a sealed regular file (a memfd), of size *size. It came
 * inside a carrier (travel_carrier.h), never from the program: no look at
 * its name in /proc, which a chroot may not have.
 */
static bool is_handoff_memfd(int fd, off_t *size)
{
	struct stat st;

	if (REAL(fcntl)(fd, F_GET_SEALS) != SEALS || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	*size = st.st_size;
	return true;
}

static int read_at(int fd, void *p, size_t len, off_t *off)
{
	while (len) {
		ssize_t n = pread(fd, p, len, *off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPROTO;
			return -1;
		}
		p = (char *)p + n;
		len -= (size_t)n;
		*off += n;
	}
	return 0;
}

void attls_travel_free(struct attls_travel_entry *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++) {
		if (e[i].blob) {
			explicit_bzero(e[i].blob, e[i].len);
			free(e[i].blob);
		}
	}
	free(e);
}

int attls_travel_read(int fd, struct attls_travel_entry **ep, size_t *np, pid_t *pid)
{
	struct attls_travel_entry *e;
	struct head h;
	off_t size, off = 0;
	int err = EPROTO;

	*ep = NULL;
	*np = 0;
	if (!is_handoff_memfd(fd, &size) || size < (off_t)sizeof(h))
		return 0;
	if (read_at(fd, &h, sizeof(h), &off) < 0)
		return -1;
	if (memcmp(h.magic, MAGIC, sizeof(h.magic)) || h.total != (uint64_t)size)
		return 0;
	if (h.version != VERSION || h.count == 0 || h.count > MAX_ENTRIES) {
		errno = EPROTO; /* one of ours, from an attls that writes another version */
		return -1;
	}
	if (!(e = calloc(h.count, sizeof(*e))))
		return -1;
	for (uint32_t i = 0; i < h.count; i++) {
		struct entry w;

		if (read_at(fd, &w, sizeof(w), &off) < 0)
			goto fail;
		if (w.len == 0 || w.len > MAX_BLOB || w.len > (uint64_t)(size - off)) {
			errno = EPROTO;
			goto fail;
		}
		e[i].dev = w.dev;
		e[i].ino = w.ino;
		e[i].len = (size_t)w.len;
		if (!(e[i].blob = malloc(e[i].len)) || read_at(fd, e[i].blob, e[i].len, &off) < 0)
			goto fail;
	}
	if (off != size) {
		errno = EPROTO;
		goto fail;
	}
	*ep = e;
	*np = h.count;
	*pid = (pid_t)h.pid;
	return 1;
fail:
	err = errno;
	attls_travel_free(e, h.count);
	errno = err;
	return -1;
}
