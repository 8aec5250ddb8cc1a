/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SO_SNDTIMEO against a peer that does not read: blocking writes of 1 MiB
 * until one fails. Natively the last one says EAGAIN after about the time
 * set, and every byte a write counted reaches the peer, no more.
 *   sndtimeo PORT MS
 * Prints "errno=NAME last_ms=N bytes=N".
 */
#include "util.h"

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20];
	struct timeval tv = { 0 };
	size_t total = 0;
	double t0 = 0;
	int fd, err = 0, ms;

	if (argc != 3)
		return 2;
	ms = atoi(argv[2]);
	fd = dial(atoi(argv[1]));
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		die("SO_SNDTIMEO");
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	for (int i = 0; i < 1000; i++) {
		ssize_t w;

		t0 = now_s();
		w = write(fd, buf, sizeof(buf));
		if (w < 0) {
			err = errno;
			break;
		}
		total += (size_t)w;
	}
	printf("errno=%s last_ms=%d bytes=%zu\n", err == EAGAIN ? "EAGAIN" : strerror(err),
	       (int)((now_s() - t0) * 1000), total);
	fflush(stdout);
	/* What was counted still goes: the timeout off, close waits for it. */
	memset(&tv, 0, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	close(fd);
	return 0;
}
