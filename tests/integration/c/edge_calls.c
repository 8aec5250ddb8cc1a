/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Data calls at their edges, against an echo peer on 127.0.0.1:PORT:
 * errno after calls that succeed (left as it was), recv with MSG_TRUNC
 * (data read and thrown away; buf may be NULL), with
 * MSG_TRUNC|MSG_DONTWAIT when nothing waits, writev and readv with more
 * than IOV_MAX or a negative count of iovecs. Prints one line per call;
 * the lines must be the same natively and under attls.
 *   edge_calls PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void show(const char *what, ssize_t r)
{
	printf("%s = %zd%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static struct iovec many[IOV_MAX + 1];
	char b[16] = { 0 }, one = 'x';
	struct pollfd p;
	volatile int minus_one = -1; /* the compiler would refuse a literal -1 */
	int fd;

	if (argc != 2)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		return 1;
	}
	for (int i = 0; i <= IOV_MAX; i++)
		many[i] = (struct iovec){ &one, 1 };
	show("recv(MSG_TRUNC|MSG_DONTWAIT), nothing waiting", recv(fd, NULL, 10, MSG_TRUNC | MSG_DONTWAIT));
	show("writev(IOV_MAX + 1 iovecs)", writev(fd, many, IOV_MAX + 1));
	show("writev(-1 iovecs)", writev(fd, many, minus_one));
	errno = EIO;
	show("write(abcdefghijklmno)", write(fd, "abcdefghijklmno", 15));
	printf("errno after a write that succeeded = %d\n", errno);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	poll(&p, 1, 5000);
	usleep(200000);
	show("recv(NULL, 10, MSG_TRUNC)", recv(fd, NULL, 10, MSG_TRUNC | MSG_WAITALL));
	show("readv(IOV_MAX + 1 iovecs)", readv(fd, many, IOV_MAX + 1));
	errno = EIO;
	show("recv the rest", recv(fd, b, sizeof(b) - 1, 0));
	printf("errno after a recv that succeeded = %d\n", errno);
	printf("rest = %s\n", b);
	close(fd);
	return 0;
}
