/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Many short connections, as proxies and thread-per-request clients make
 * them: THREADS threads each connect to 127.0.0.1:PORT, send an HTTP/1.0
 * request, read the whole answer and close, COUNT times. Under attls the
 * connections are TLS and resume the sessions attls keeps. Prints the
 * number of failures, and how many answers (openssl s_server -www) say
 * the session was "Reused".
 * With "nonblock", each connect is non-blocking, waited for with poll, as
 * event loops do; with "noread", each connection only connects, writes
 * and closes.
 *   short_conns PORT THREADS COUNT [nonblock|noread]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int port, count, nonblock, noread;
static atomic_int failed, reused, done;

static int one(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	char *page = malloc(1 << 16);
	size_t got = 0;
	ssize_t n;
	int fd, ok = 0;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!page || fd < 0)
		goto out;
	if (nonblock)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		perror("connect");
		goto out;
	}
	if (nonblock) {
		/* As event loops do: wait for the connect, then go on blocking. */
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, 10000) != 1) {
			fprintf(stderr, "connect: no answer\n");
			goto out;
		}
		fcntl(fd, F_SETFL, 0);
	}
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		perror("write");
		goto out;
	}
	if (noread) {
		ok = 1;
		goto out;
	}
	while (got < (1 << 16) - 1 && (n = read(fd, page + got, (1 << 16) - 1 - got)) > 0)
		got += (size_t)n;
	page[got] = '\0';
	if (!strstr(page, "Ciphers supported in s_server")) {
		fprintf(stderr, "short answer (%zu bytes)\n", got);
		goto out;
	}
	if (strstr(page, "Reused, TLS"))
		atomic_fetch_add(&reused, 1);
	ok = 1;
out:
	if (fd >= 0)
		close(fd);
	free(page);
	return ok;
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < count; i++) {
		if (!one())
			atomic_fetch_add(&failed, 1);
		atomic_fetch_add(&done, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64];
	int threads;

	if (argc != 4 && argc != 5)
		return 2;
	nonblock = argc == 5 && !strcmp(argv[4], "nonblock");
	noread = argc == 5 && !strcmp(argv[4], "noread");
	port = atoi(argv[1]);
	threads = atoi(argv[2]);
	count = atoi(argv[3]);
	if (threads < 1 || threads > 64)
		return 2;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("connections=%d failed=%d reused=%d\n", atomic_load(&done), atomic_load(&failed),
	       atomic_load(&reused));
	return atomic_load(&failed) != 0;
}
