/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls ticket-key new FILE: a new ticket key file (mode 0600, never over
 * an existing file). attls ticket-key rotate FILE: the file's ratchet
 * moved on to the hour before now, so that it no longer holds what older
 * keys come from; run it every hour.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../lib/filetrust.h"
#include "../lib/tickets.h"
#include "../lib/wolf.h"
#include "attls.h"

static int usage(void)
{
	fprintf(stderr, "usage: attls ticket-key new FILE\n"
			"       attls ticket-key rotate FILE\n");
	return 2;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes the line to fd, then fsync; closes fd. 0 or -1 with errno. */
static int put_line(int fd, uint64_t hour, const unsigned char c[ATTLS_CHAIN_SZ])
{
	char line[128];
	size_t n = attls_ticketkey_format(line, sizeof(line), hour, c);
	int rc = n && !write_all(fd, line, n) && !fsync(fd) ? 0 : -1;
	int e = errno;

	explicit_bzero(line, sizeof(line));
	close(fd);
	errno = e;
	return rc;
}

static int cmd_new(const char *path, uint64_t now)
{
	unsigned char c[ATTLS_CHAIN_SZ];
	int fd;

	if (path[0] != '/') {
		fprintf(stderr, "attls: %s: the path must be absolute\n", path);
		return 1;
	}
	if (getrandom(c, sizeof(c), 0) != (ssize_t)sizeof(c)) {
		fprintf(stderr, "attls: no randomness: %s\n", strerror(errno));
		return 1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || put_line(fd, now - 1, c) < 0) {
		fprintf(stderr, "attls: %s: %s\n", path, strerror(errno));
		explicit_bzero(c, sizeof(c));
		if (fd >= 0)
			unlink(path);
		return 1;
	}
	explicit_bzero(c, sizeof(c));
	printf("%s: new ticket key, hour %" PRIu64 "\n", path, now - 1);
	return 0;
}

static int cmd_rotate(const char *path, uint64_t now)
{
	unsigned char c[ATTLS_CHAIN_SZ];
	char text[256], why[320], tmp[4096], dir[4096];
	uint64_t hour, target = now - 1;
	size_t len;
	int fd, dfd, rc = 1;

	/*
	 * Read through the trust check (owner root or us, private), once. Not
	 * through a symbolic link: the rename below would replace the link
	 * and leave the file it points to, which others read, unrotated.
	 */
	if (path[0] != '/') {
		fprintf(stderr, "attls: %s: the path must be absolute\n", path);
		return 1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			fprintf(stderr, "attls: %s is a symbolic link: rotate the file it points "
					"to\n", path);
		else
			fprintf(stderr, "attls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (attls_trust_check_fd(fd, path, ATTLS_TRUST_SECRET, ATTLS_TRUST_FILE, NULL, why,
				 sizeof(why)) < 0) {
		fprintf(stderr, "attls: %s\n", why);
		close(fd);
		return 1;
	}
	len = 0;
	while (len < sizeof(text) - 1) {
		ssize_t n = read(fd, text + len, sizeof(text) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	rc = attls_ticketkey_parse(text, len, &hour, c, why, sizeof(why));
	explicit_bzero(text, sizeof(text));
	if (rc < 0) {
		fprintf(stderr, "attls: %s: %s; make one with \"attls ticket-key new %s\"\n",
			path, why, path);
		return 1;
	}
	rc = 1;
	if (hour >= target) {
		printf("%s: already at hour %" PRIu64 "\n", path, hour);
		explicit_bzero(c, sizeof(c));
		return 0;
	}
	for (uint64_t h = hour; h < target; h++) {
		if (attls_ratchet_step(c) < 0) {
			fprintf(stderr, "attls: %s: HMAC failed\n", path);
			goto out;
		}
	}
	/* A new file beside it, then rename: readers see the old or the new. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= sizeof(tmp) ||
	    (size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir)) {
		fprintf(stderr, "attls: %s: path too long\n", path);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || put_line(fd, target, c) < 0 ||
	    rename(tmp, path) < 0) {
		fprintf(stderr, "attls: %s: %s\n", tmp, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		goto out;
	}
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	printf("%s: rotated from hour %" PRIu64 " to %" PRIu64 "\n", path, hour, target);
	rc = 0;
out:
	explicit_bzero(c, sizeof(c));
	return rc;
}

int cmd_ticketkey(int argc, char **argv)
{
	uint64_t now = (uint64_t)time(NULL) / 3600;
	char why[256];

	if (argc != 3)
		return usage();
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		fprintf(stderr, "attls: %s\n", why);
		return 1;
	}
	if (!strcmp(argv[1], "new"))
		return cmd_new(argv[2], now);
	if (!strcmp(argv[1], "rotate"))
		return cmd_rotate(argv[2], now);
	return usage();
}
