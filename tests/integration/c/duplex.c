/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Full duplex on one blocking socket: one thread writes FILE then shuts
 * the write side, another reads to EOF into OUT, both at once. The socket
 * has 128 KiB buffers, as servers that size their buffers do: the kernel
 * then cannot absorb what either side sends before the other reads. The
 * writer starts first; the reader starts once the writer has made no
 * progress for 300 ms (blocked: the peer sends all before it reads).
 *   duplex PORT FILE OUT
 * Prints "wrote=N read=N".
 */
#include <pthread.h>
#include <stdatomic.h>

#include "util.h"

static int fd;
static unsigned char *data;
static size_t len, got;
static atomic_size_t written;
static const char *out_path;

static void *writer(void *arg)
{
	size_t done = 0;

	(void)arg;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done > 100000 ? 100000 : len - done);

		if (w <= 0)
			die("write");
		done += (size_t)w;
		atomic_store(&written, done);
	}
	if (shutdown(fd, SHUT_WR) < 0)
		die("shutdown");
	return NULL;
}

static void *reader(void *arg)
{
	static unsigned char buf[65536];
	int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	(void)arg;
	if (out < 0)
		die("out");
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0)
			die("read");
		if (r == 0)
			break;
		if (write(out, buf, (size_t)r) != r)
			die("write out");
		got += (size_t)r;
	}
	close(out);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t w, r;

	if (argc != 4)
		return 2;
	data = slurp(argv[2], &len);
	out_path = argv[3];
	{
		struct sockaddr_in a = loopback(atoi(argv[1]));
		int size = 128 * 1024;

		fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect");
	}
	pthread_create(&w, NULL, writer, NULL);
	for (int still = 0, i = 0; still < 3 && i < 100; i++) {
		size_t before = atomic_load(&written);

		usleep(100000);
		still = atomic_load(&written) == before ? still + 1 : 0;
	}
	pthread_create(&r, NULL, reader, NULL);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	printf("wrote=%zu read=%zu\n", len, got);
	fflush(stdout);
	close(fd);
	return 0;
}
