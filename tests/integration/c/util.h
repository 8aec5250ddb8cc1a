/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers for the data-contract test programs: plain sockets only. */
#ifndef CONTRACT_UTIL_H
#define CONTRACT_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static inline void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(2);
}

static inline struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A blocking connection to 127.0.0.1:port. */
static inline int dial(int port)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	return fd;
}

/* Listens on 127.0.0.1:port and accepts one connection (blocking). */
static inline int accept_one(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0), fd;

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 4) < 0)
		die("listen");
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(ls);
	return fd;
}

/* The whole file, in memory. */
static inline unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0 || !(b = malloc((size_t)st.st_size + 1)))
		die("open");
	*len = 0;
	while (*len < (size_t)st.st_size) {
		ssize_t r = read(fd, b + *len, (size_t)st.st_size - *len);

		if (r <= 0)
			die("read file");
		*len += (size_t)r;
	}
	close(fd);
	return b;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An interval timer on SIGALRM, its handler installed with or without SA_RESTART. */
static volatile sig_atomic_t ticks;

static inline void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

static inline void start_timer(int usec, int restart, int repeat)
{
	struct sigaction sa = { .sa_handler = on_tick, .sa_flags = restart ? SA_RESTART : 0 };
	struct itimerval it = { .it_value = { 0, usec } };

	if (repeat)
		it.it_interval.tv_usec = usec;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static inline void stop_timer(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

#endif
