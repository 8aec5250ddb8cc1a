/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A blocking connect interrupted by a handler without SA_RESTART says
 * EINTR; the connection goes on. The next blocking write then waits for
 * it, within the handshake deadline.
 *   connect_eintr PORT
 * Prints "connect=EINTR write=R errno=NAME after_ms=N", then what the peer
 * answered.
 */
#include "util.h"

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	char buf[256];
	double t0;
	ssize_t w;
	int fd, r, err;

	if (argc != 2)
		return 2;
	a = loopback(atoi(argv[1]));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	start_timer(200000, 0, 0);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	err = errno;
	printf("connect=%s ", r == 0 ? "0" : err == EINTR ? "EINTR" : strerror(err));
	t0 = now_s();
	w = write(fd, "hello\n", 6);
	err = errno;
	printf("write=%zd errno=%s after_ms=%d\n", w, w < 0 ? strerror(err) : "-",
	       (int)((now_s() - t0) * 1000));
	if (w == 6) {
		r = (int)read(fd, buf, sizeof(buf) - 1);
		buf[r > 0 ? r : 0] = '\0';
		printf("answer: %s", buf);
	}
	fflush(stdout);
	close(fd);
	return 0;
}
