/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shutdown(SHUT_WR) before the first byte, as ncat --recv-only does.
 *   shut_early server PORT OUT  accepts, shuts the write side at once,
 *                               reads to EOF into OUT
 *   shut_early client PORT OUT  connects without blocking, shuts the
 *                               write side at once, reads to EOF into OUT
 * Prints "shutdown=R read=N".
 */
#include <poll.h>

#include "util.h"

int main(int argc, char **argv)
{
	static unsigned char buf[65536];
	size_t got = 0;
	int fd, out, r;

	if (argc != 4)
		return 2;
	if (!strcmp(argv[1], "server")) {
		fd = accept_one(atoi(argv[2]));
	} else {
		struct sockaddr_in a = loopback(atoi(argv[2]));

		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
			die("connect");
	}
	r = shutdown(fd, SHUT_WR);
	if (r < 0)
		die("shutdown");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0)
			die("read");
		if (n == 0)
			break;
		if (write(out, buf, (size_t)n) != n)
			die("write out");
		got += (size_t)n;
	}
	close(out);
	printf("shutdown=%d read=%zu\n", r, got);
	fflush(stdout);
	close(fd);
	return 0;
}
