/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysio.h"
#include "filetrust.h"

static bool explain_owner;

void attls_trust_explain_owner(bool on)
{
	explain_owner = on;
}

int attls_trust_check_fd(int fd, const char *path, enum attls_trust kind,
			 enum attls_trust_type type, struct stat *st, char *why, size_t whylen)
{
	struct stat s;
	uid_t me = geteuid();
	mode_t bad = kind == ATTLS_TRUST_SECRET ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);

	if (fstat(fd, &s) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	errno = EPERM;
	if (S_ISDIR(s.st_mode) ? !(type & ATTLS_TRUST_DIR) :
	    !S_ISREG(s.st_mode) || !(type & ATTLS_TRUST_FILE)) {
		snprintf(why, whylen, "%s is not a %s", path,
			 type == ATTLS_TRUST_ANY ? "regular file or directory" :
			 type == ATTLS_TRUST_DIR ? "directory" : "regular file");
		return -1;
	}
	if (s.st_uid != 0 && s.st_uid != me) {
		snprintf(why, whylen, "%s is owned by uid %u: it must be owned by root%s",
			 path, (unsigned)s.st_uid, me ? " or by the user attls runs as" :
			 explain_owner ? " or by the user the program runs as; check as that "
					 "user with attls check --user USER" : "");
		return -1;
	}
	/* A directory with the sticky bit still lets others replace nothing of
	 * ours, but a CA directory has no reason to be shared: refuse it too. */
	if (s.st_mode & bad) {
		snprintf(why, whylen, "%s has mode %04o: %s (chmod %s)", path,
			 (unsigned)(s.st_mode & 07777),
			 kind == ATTLS_TRUST_SECRET ?
				 "a secret must not be accessible to group or others" :
				 "it must not be writable by group or others",
			 kind == ATTLS_TRUST_SECRET ? "go-rwx" : "go-w");
		return -1;
	}
	if (st)
		*st = s;
	return 0;
}

int attls_trust_open(const char *path, enum attls_trust kind, enum attls_trust_type type,
		     struct stat *st, char *why, size_t whylen)
{
	int fd, flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;

	if (!path || path[0] != '/') {
		snprintf(why, whylen, "%s: the path must be absolute", path ? path : "(none)");
		errno = EINVAL;
		return -1;
	}
	if (type == ATTLS_TRUST_DIR)
		flags |= O_DIRECTORY;
	/* O_NONBLOCK: a FIFO put in a key's place must not hang the program. */
	fd = attls_io.open(path, flags | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (attls_trust_check_fd(fd, path, kind, type, st, why, whylen) < 0) {
		int e = errno;

		attls_io.close(fd);
		errno = e;
		return -1;
	}
	/* Regular files and directories only: blocking reads are safe now. */
	attls_io.fcntl(fd, F_SETFL, flags & ~O_DIRECTORY & O_ACCMODE);
	return fd;
}

void attls_trust_free(unsigned char *buf, size_t len)
{
	if (!buf)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

unsigned char *attls_trust_read_fd(int fd, const char *path, const struct stat *st, size_t max,
				   size_t *len, char *why, size_t whylen)
{
	unsigned char *buf;
	size_t have = 0, cap;

	if ((size_t)st->st_size > max) {
		snprintf(why, whylen, "%s: larger than %zu bytes", path, max);
		return NULL;
	}
	cap = (size_t)st->st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		snprintf(why, whylen, "%s: out of memory", path);
		return NULL;
	}
	/* The size read is the size fstat saw: a file growing under us is cut there. */
	while (have < cap - 1) {
		ssize_t n = attls_io.read(fd, buf + have, cap - 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			attls_trust_free(buf, cap);
			return NULL;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	*len = have;
	return buf;
}

unsigned char *attls_trust_read(const char *path, enum attls_trust kind, size_t max,
				size_t *len, char *why, size_t whylen)
{
	struct stat st;
	unsigned char *buf;
	int fd = attls_trust_open(path, kind, ATTLS_TRUST_FILE, &st, why, whylen);

	if (fd < 0)
		return NULL;
	buf = attls_trust_read_fd(fd, path, &st, max, len, why, whylen);
	attls_io.close(fd);
	return buf;
}

int attls_trust_each_file(int dfd, const char *dir, enum attls_trust kind,
			  int (*fn)(int fd, const struct stat *st, const char *name, void *arg),
			  void *arg, char *why, size_t whylen)
{
	struct {
		dev_t dev;
		ino_t ino;
	} *seen = NULL;
	size_t n_seen = 0;
	int dup_fd = attls_io.dup(dfd), taken = 0, rc = 0;
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	struct dirent *de;

	why[0] = '\0';
	if (!d) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		if (dup_fd >= 0)
			attls_io.close(dup_fd);
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		char name[4352];
		struct stat st;
		size_t i;
		int fd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
		fd = attls_io.openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			/* A dangling link names nothing that could be trusted. */
			if (errno == ENOENT || errno == ELOOP)
				continue;
			snprintf(why, whylen, "%s: %s", name, strerror(errno));
			rc = -1;
			break;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			attls_io.close(fd);
			continue;
		}
		for (i = 0; i < n_seen; i++)
			if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino)
				break;
		if (i < n_seen) {
			attls_io.close(fd);
			continue;
		}
		if (attls_trust_check_fd(fd, name, kind, ATTLS_TRUST_FILE, &st, why, whylen) < 0) {
			attls_io.close(fd);
			rc = -1;
			break;
		}
		attls_io.fcntl(fd, F_SETFL, 0);
		switch (fn(fd, &st, name, arg)) {
		case 0:
			taken++;
			break;
		case 1:
			break;
		default:
			rc = -1;
		}
		attls_io.close(fd);
		void *ns = realloc(seen, (n_seen + 1) * sizeof(*seen));

		if (!ns) {
			snprintf(why, whylen, "%s: out of memory", dir);
			rc = -1;
			break;
		}
		seen = ns;
		seen[n_seen].dev = st.st_dev;
		seen[n_seen++].ino = st.st_ino;
	}
	if (rc == 0 && errno) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		rc = -1;
	}
	closedir(d);
	free(seen);
	return rc < 0 ? -1 : taken;
}
