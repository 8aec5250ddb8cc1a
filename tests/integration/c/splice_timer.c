/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * splice from a pipe into a socket under a 2 ms interval timer whose
 * handler has no SA_RESTART: calls say EINTR now and then, and what a
 * call took from the pipe must have gone out (nothing read from a pipe
 * can be given back). A thread feeds FILE into the pipe; the main thread
 * serves one connection on PORT and splices until the pipe ends.
 *   splice_timer PORT FILE
 * Prints "spliced N eintr=E".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int feed_in, feed_out;

static void on_alarm(int sig)
{
	(void)sig;
}

static void *feeder(void *arg)
{
	char buf[65536];
	ssize_t n;

	(void)arg;
	while ((n = read(feed_in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(feed_out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return NULL;
			off += w;
		}
	close(feed_out);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	sigset_t alrm;
	pthread_t t;
	long total = 0, eintr = 0;
	int ls, c, p[2], one = 1;

	if (argc != 3)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0 ||
	    (c = accept(ls, NULL, NULL)) < 0 || pipe(p) < 0 ||
	    (feed_in = open(argv[2], O_RDONLY)) < 0) {
		perror("setup");
		return 1;
	}
	feed_out = p[1];
	/* The timer's signal goes to this thread only. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	pthread_create(&t, NULL, feeder, NULL);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	sigaction(SIGALRM, &act, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		ssize_t n = splice(p[0], NULL, c, NULL, 1 << 20, SPLICE_F_MOVE);

		if (n < 0 && errno == EINTR) {
			eintr++;
			continue;
		}
		if (n < 0) {
			perror("splice");
			return 1;
		}
		if (n == 0)
			break;
		total += n;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	pthread_join(t, NULL);
	printf("spliced %ld eintr=%ld\n", total, eintr);
	close(c);
	return 0;
}
