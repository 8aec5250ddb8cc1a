/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One odd thing: an inetd-style server whose connection is fd 0, added to
 * epoll while attls has not looked at it (it is still unseen: no hook made
 * it), then read, which gives it TLS. The epoll registration the program
 * made must go on answering as the kernel's would: MOD and DEL succeed, a
 * second DEL says ENOENT, and what attls holds decrypted makes the fd
 * readable though the kernel has nothing. The line read is written back (fd 1, the same
 * socket); the results go to the file named by argv[1].
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
	char buf[256];
	FILE *log;
	ssize_t n;
	int ep, r;

	if (argc != 2 || !(log = fopen(argv[1], "w")))
		return 2;
	ep = epoll_create1(0);
	r = epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
	fprintf(log, "add %d %s\n", r, r ? strerror(errno) : "ok");
	r = epoll_wait(ep, &ev, 1, 10000);
	fprintf(log, "wait %d data %llu\n", r, (unsigned long long)ev.data.u64);
	/* A part of the record: the rest is held decrypted, the kernel has none. */
	n = read(0, buf, 4);
	fprintf(log, "read %zd\n", n);
	r = epoll_wait(ep, &ev, 1, 500); /* before the client closes (1 s) */
	fprintf(log, "wait %d data %llu\n", r, (unsigned long long)ev.data.u64);
	if (n > 0) {
		ssize_t m = read(0, buf + n, sizeof(buf) - (size_t)n);

		fprintf(log, "read %zd\n", m);
		n = m > 0 ? n + m : n;
	}
	ev.events = EPOLLOUT;
	ev.data.u64 = 8;
	r = epoll_ctl(ep, EPOLL_CTL_MOD, 0, &ev);
	fprintf(log, "mod %d %s\n", r, r ? strerror(errno) : "ok");
	r = epoll_wait(ep, &ev, 1, 10000);
	fprintf(log, "wait %d data %llu\n", r, (unsigned long long)ev.data.u64);
	if (n > 0 && write(1, buf, (size_t)n) != n)
		fprintf(log, "write %s\n", strerror(errno));
	r = epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
	fprintf(log, "del %d %s\n", r, r ? strerror(errno) : "ok");
	r = epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
	fprintf(log, "del2 %d %s\n", r, r ? strerror(errno) : "ok");
	fclose(log);
	return 0;
}
