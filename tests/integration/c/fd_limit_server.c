/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An event-loop server that runs out of descriptors: RLIMIT_NOFILE is set
 * to LIMIT, then it accepts connections on 127.0.0.1:PORT and answers
 * each "PING\r\n" with "+PONG\r\n" (poll, non-blocking sockets) until
 * accept fails. It prints accept's error, answers what it holds, then
 * closes the first connection while its peer keeps it open (so that TLS
 * has more to do after the close), and prints how long that close took.
 * It ends HOLD seconds later.
 * With "epoll", it fills its descriptors but one, accepts one connection
 * into the last, adds it to an epoll instance and prints what epoll_ctl
 * said: the first TLS fd of an instance needs an fd of attls's own.
 *   fd_limit_server PORT LIMIT HOLD [epoll]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MAXC 1024

int main(int argc, char **argv)
{
	struct pollfd pfd[MAXC + 1];
	int answered[MAXC + 1] = { 0 };
	int n = 1, port, lim, full = 0, one = 1;
	double hold, end = 0;
	struct rlimit rl;
	struct sockaddr_in a;

	if (argc != 4 && argc != 5)
		return 2;
	port = atoi(argv[1]);
	lim = atoi(argv[2]);
	hold = atof(argv[3]);
	a = loopback(port);
	pfd[0].fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(pfd[0].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (pfd[0].fd < 0 || bind(pfd[0].fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(pfd[0].fd, 128) < 0)
		die("listen");
	pfd[0].events = POLLIN;
	rl.rlim_cur = rl.rlim_max = (rlim_t)lim;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
	printf("listening\n");
	fflush(stdout);
	if (argc == 5) {
		struct epoll_event ev = { .events = EPOLLIN };
		int ep = epoll_create1(EPOLL_CLOEXEC), last = -1, fd;

		if (ep < 0)
			die("epoll_create1");
		while ((fd = dup(0)) >= 0)
			last = fd;
		close(last);
		fd = accept4(pfd[0].fd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			die("accept");
		printf("epoll_ctl: %s\n", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? "ok" :
		       strerror(errno));
		return 0;
	}
	for (;;) {
		int all = 1;

		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
			die("poll");
		if (!full && (pfd[0].revents & POLLIN)) {
			int fd = accept4(pfd[0].fd, NULL, NULL, SOCK_NONBLOCK);

			if (fd < 0) {
				printf("accept: %s after %d connections\n", strerror(errno), n - 1);
				fflush(stdout);
				full = 1;
				pfd[0].events = 0;
			} else if (n <= MAXC) {
				pfd[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
				answered[n++] = 0;
			}
		}
		for (int i = 1; i < n; i++) {
			char buf[64];
			ssize_t r;

			if (!(pfd[i].revents & POLLIN))
				continue;
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r > 0 && !answered[i] && write(pfd[i].fd, "+PONG\r\n", 7) == 7)
				answered[i] = 1;
			if (r == 0)
				pfd[i].events = 0;
		}
		for (int i = 1; i < n; i++)
			all &= answered[i];
		if (full && all && !end && n > 1) {
			double t0 = now_s();

			close(pfd[1].fd);
			printf("close took %.0f ms\n", (now_s() - t0) * 1000);
			fflush(stdout);
			pfd[1].fd = -1;
			end = now_s() + hold;
		}
		if (end && now_s() >= end)
			return 0;
	}
}
