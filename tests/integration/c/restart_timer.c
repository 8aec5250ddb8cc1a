/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A blocking TLS socket under a 3 ms interval timer whose handler has
 * SA_RESTART: natively no call ever says EINTR.
 *   restart_timer write PORT FILE  accepts one connection, writes FILE in
 *                                  calls of 100000 bytes
 *   restart_timer read PORT OUT    accepts one connection, reads to EOF
 * Prints "eintr=N bytes=N calls=N ticks=N".
 */
#include "util.h"

int main(int argc, char **argv)
{
	size_t len = 0, done = 0, calls = 0, eintr = 0;
	unsigned char *buf;
	int fd, out = -1;

	if (argc != 4)
		return 2;
	fd = accept_one(atoi(argv[2]));
	if (!strcmp(argv[1], "write")) {
		buf = slurp(argv[3], &len);
		start_timer(3000, 1, 1);
		while (done < len) {
			ssize_t w = write(fd, buf + done, len - done > 100000 ? 100000 : len - done);

			calls++;
			if (w < 0 && errno == EINTR) {
				eintr++;
				continue;
			}
			if (w <= 0)
				die("write");
			done += (size_t)w;
		}
	} else {
		buf = malloc(1 << 20);
		out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (!buf || out < 0)
			die("out");
		start_timer(3000, 1, 1);
		for (;;) {
			ssize_t r = read(fd, buf, 1 << 20);

			calls++;
			if (r < 0 && errno == EINTR) {
				eintr++;
				continue;
			}
			if (r < 0)
				die("read");
			if (r == 0)
				break;
			if (write(out, buf, (size_t)r) != r)
				die("write out");
			done += (size_t)r;
		}
		close(out);
	}
	stop_timer();
	printf("eintr=%zu bytes=%zu calls=%zu ticks=%d\n", eintr, done, calls, (int)ticks);
	fflush(stdout);
	close(fd);
	return 0;
}
