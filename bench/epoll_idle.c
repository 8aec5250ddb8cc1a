/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cost of one epoll_wait under attls: BUSY TLS connections that always
 * have plaintext to read, alone in a set, against the same BUSY with IDLE
 * quiet TLS connections besides in another set. Both ends are TLS by attls
 * (a policy that covers PORT both ways): the clients in a child process,
 * the server side here.
 *
 *   epoll_idle PORT BUSY IDLE MS ROUNDS
 *
 * Prints per round "busy_ns mixed_ns": the mean time of one
 * epoll_wait(..., 512, 0) on each set, over MS milliseconds each, taken in
 * ten slices that alternate between the two sets.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXEV 512

static void die(const char *what)
{
	fprintf(stderr, "epoll_idle: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The child: connects them all, writes one byte on the first busy ones. */
static void clients(int port, int busy, int total, int done_w, int quit_r, int quit_w)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	char c;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	close(quit_w);
	for (int i = 0; i < total; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect");
		if (i < busy && write(fd, "x", 1) != 1)
			die("write");
	}
	if (write(done_w, "d", 1) != 1)
		die("write pipe");
	/* Hold them until the parent is done. */
	if (read(quit_r, &c, 1) < 0)
		die("read pipe");
	_exit(0);
}

/* Waits on epfd for ms milliseconds: adds the time and the count. */
static void time_waits(int epfd, double ms, int expect, double *ns, long *count)
{
	struct epoll_event ev[MAXEV];
	double t0 = now_ns(), t;

	do {
		for (int i = 0; i < 20; i++) {
			int n = epoll_wait(epfd, ev, MAXEV, 0);

			if (n != expect) {
				fprintf(stderr, "epoll_idle: a wait gave %d events, not %d\n", n,
					expect);
				exit(2);
			}
		}
		*count += 20;
		t = now_ns();
	} while (t - t0 < ms * 1e6);
	*ns += t - t0;
}

int main(int argc, char **argv)
{
	struct epoll_event ev[MAXEV], e = { .events = EPOLLIN };
	int port, busy, idle, ms, rounds, total, ls, mixed, alone, one = 1;
	int done[2], quit[2], accepted = 0, connected = 0, nbusy = 0;
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct rlimit rl;
	char *is_busy;
	pid_t child;

	if (argc != 6)
		return 2;
	port = atoi(argv[1]);
	busy = atoi(argv[2]);
	idle = atoi(argv[3]);
	ms = atoi(argv[4]);
	rounds = atoi(argv[5]);
	total = busy + idle;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 4096) < 0)
		die("listen");
	if (pipe(done) < 0 || pipe(quit) < 0)
		die("pipe");
	if ((child = fork()) == 0) {
		close(ls);
		close(done[0]);
		clients(port, busy, total, done[1], quit[0], quit[1]);
	}
	close(done[1]);
	close(quit[0]);
	if (!(is_busy = calloc((size_t)rl.rlim_max + 1, 1)))
		die("calloc");
	if ((mixed = epoll_create1(0)) < 0 || (alone = epoll_create1(0)) < 0)
		die("epoll_create1");
	/* The waits drive the server side's handshakes while the child dials. */
	e.data.fd = ls;
	epoll_ctl(mixed, EPOLL_CTL_ADD, ls, &e);
	e.data.fd = done[0];
	epoll_ctl(mixed, EPOLL_CTL_ADD, done[0], &e);
	while (!connected || nbusy < busy) {
		int n = epoll_wait(mixed, ev, MAXEV, 10000);

		if (n <= 0)
			die("setup: no progress");
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == ls) {
				int c;

				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					e.data.fd = c;
					if (epoll_ctl(mixed, EPOLL_CTL_ADD, c, &e) < 0)
						die("epoll_ctl");
					accepted++;
				}
			} else if (fd == done[0]) {
				connected = 1;
				epoll_ctl(mixed, EPOLL_CTL_DEL, done[0], NULL);
			} else if (!is_busy[fd]) {
				/* Plaintext waits here: a busy one. It is never read. */
				is_busy[fd] = 1;
				nbusy++;
				e.data.fd = fd;
				if (epoll_ctl(alone, EPOLL_CTL_ADD, fd, &e) < 0)
					die("epoll_ctl");
			}
		}
	}
	epoll_ctl(mixed, EPOLL_CTL_DEL, ls, NULL);
	if (accepted != total || nbusy != busy) {
		fprintf(stderr, "epoll_idle: %d accepted, %d busy\n", accepted, nbusy);
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		double ns_alone = 0, ns_mixed = 0;
		long n_alone = 0, n_mixed = 0;

		for (int slice = 0; slice < 10; slice++) {
			time_waits(alone, ms / 10.0, busy, &ns_alone, &n_alone);
			time_waits(mixed, ms / 10.0, busy, &ns_mixed, &n_mixed);
		}
		printf("%.0f %.0f\n", ns_alone / n_alone, ns_mixed / n_mixed);
		fflush(stdout);
	}
	close(quit[1]);
	waitpid(child, NULL, 0);
	return 0;
}
