/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A handler installed without SA_RESTART interrupts a blocking read on a
 * connection with nothing to read: natively the read says EINTR. With
 * SO_RCVTIMEO set, even a handler with SA_RESTART does (the kernel
 * restarts only untimed socket calls).
 *   no_restart PORT             the handler without SA_RESTART
 *   no_restart PORT TIMEO_MS    SO_RCVTIMEO, the handler with SA_RESTART
 * Prints "read=-1 errno=EINTR after_ms=N", then reads the peer's line.
 */
#include "util.h"

int main(int argc, char **argv)
{
	char buf[256];
	double t0;
	ssize_t r;
	int fd, err;

	if (argc != 2 && argc != 3)
		return 2;
	fd = dial(atoi(argv[1]));
	if (argc == 3) {
		struct timeval tv = { atoi(argv[2]) / 1000, (atoi(argv[2]) % 1000) * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	start_timer(300000, argc == 3, 0);
	t0 = now_s();
	r = read(fd, buf, sizeof(buf));
	err = errno;
	printf("read=%zd errno=%s after_ms=%d\n", r, r < 0 && err == EINTR ? "EINTR" : strerror(err),
	       (int)((now_s() - t0) * 1000));
	/* The connection still works after the interruption. */
	if (write(fd, "ping\n", 5) != 5)
		die("write");
	r = read(fd, buf, sizeof(buf) - 1);
	buf[r > 0 ? r : 0] = '\0';
	printf("then read %zd: %s", r, buf);
	fflush(stdout);
	close(fd);
	return 0;
}
