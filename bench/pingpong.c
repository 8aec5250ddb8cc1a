/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 1-byte ping-pong between two processes, over a socketpair or loopback
 * TCP: what a socket that matches no policy costs under attls.
 *   pingpong socketpair|tcp ROUNDS: prints nanoseconds per round trip.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pair_tcp(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		exit(2);
	sv[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(sv[0], (struct sockaddr *)&a, sizeof(a)) < 0 || (sv[1] = accept(l, NULL, NULL)) < 0)
		exit(2);
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long rounds;
	int sv[2];
	char c = 'x';
	pid_t pid;

	if (argc != 3 || (rounds = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: pingpong socketpair|tcp ROUNDS\n");
		return 2;
	}
	if (!strcmp(argv[1], "tcp"))
		pair_tcp(sv);
	else if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 2;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (long i = 0; i < rounds; i++)
			if (read(sv[1], &c, 1) != 1 || write(sv[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(sv[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < rounds; i++)
		if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waitpid(pid, NULL, 0);
	printf("%.0f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / rounds);
	return 0;
}
