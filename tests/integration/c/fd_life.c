/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fd lifecycle under attls, one mode per run:
 *   closewrite PORT     a TLS connection; one thread writes a marker in a
 *                       loop while another closes the fd: no write may
 *                       reach the peer in clear text (the recorder says)
 *   fclose PORT         a TLS connection given to fdopen and fclose'd;
 *                       a pipe() that takes the number must work
 *   sysclose TLS PLAIN  a TLS connection closed with syscall(SYS_close);
 *                       a new socket on the same number to a port no
 *                       descriptor covers must carry exactly its bytes
 *   dup2fail PORT       dup2 from a closed fd onto a TLS fd fails and
 *                       leaves the TLS fd working
 * Prints "ok ..." lines, or "FAIL ..." and exits 2.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "util.h"

static const char marker[] = "CLEAR-TEXT-MARKER-0123456789";
static atomic_int stop_writing;
static int wfd;
static long writes_ok;
static int last_err;

static void *writer(void *arg)
{
	(void)arg;
	while (!stop_writing) {
		ssize_t r = write(wfd, marker, sizeof(marker) - 1);

		if (r < 0) {
			last_err = errno;
			if (errno != EBADF) /* the only answer a closed fd gets */
				break;
		} else {
			writes_ok++;
		}
	}
	return NULL;
}

static int closewrite(int port)
{
	pthread_t t;
	struct timespec d = { 0, 200 * 1000 * 1000 };

	wfd = dial(port);
	pthread_create(&t, NULL, writer, NULL);
	nanosleep(&d, NULL);
	if (close(wfd) < 0)
		die("close");
	nanosleep(&d, NULL);
	d.tv_sec = 1;
	nanosleep(&d, NULL);
	stop_writing = 1;
	pthread_join(t, NULL);
	printf("ok wrote %ld times before the close, then %s\n", writes_ok,
	       last_err ? strerror(last_err) : "no error");
	if (last_err != EBADF) {
		printf("FAIL writes after close ended with %s, not EBADF\n", strerror(last_err));
		return 2;
	}
	return 0;
}

static int fclose_pipe(int port)
{
	int fd = dial(port), p[2];
	FILE *f;
	char buf[16] = { 0 };

	if (!(f = fdopen(fd, "r+")))
		die("fdopen");
	if (fclose(f) != 0)
		die("fclose");
	if (pipe(p) < 0)
		die("pipe");
	if (p[0] != fd && p[1] != fd) {
		printf("FAIL the pipe did not take fd %d (%d %d)\n", fd, p[0], p[1]);
		return 2;
	}
	if (write(p[1], "pipe-bytes", 10) != 10)
		die("write to the pipe");
	if (read(p[0], buf, sizeof(buf)) != 10 || memcmp(buf, "pipe-bytes", 10))
		die("read from the pipe");
	printf("ok a pipe on fd %d after fdopen+fclose carries its bytes\n", fd);
	return 0;
}

static int sysclose(int tls_port, int plain_port)
{
	int fd = dial(tls_port), nfd;
	struct sockaddr_in a = loopback(plain_port);
	static const char msg[] = "plain bytes after syscall(SYS_close)\n";

	if (syscall(SYS_close, fd) != 0)
		die("syscall(SYS_close)");
	nfd = socket(AF_INET, SOCK_STREAM, 0);
	if (nfd != fd) {
		printf("FAIL the new socket is fd %d, not %d\n", nfd, fd);
		return 2;
	}
	if (connect(nfd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect to the plain port");
	if (write(nfd, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		die("write to the plain port");
	close(nfd);
	printf("ok a socket on fd %d after syscall(SYS_close) wrote in clear\n", fd);
	return 0;
}

static int dup2fail(int port)
{
	int fd = dial(port), dead = dup(0);

	close(dead);
	if (dup2(dead, fd) >= 0 || errno != EBADF)
		die("dup2 from a closed fd did not fail with EBADF");
	if (write(fd, "after-dup2\n", 11) != 11)
		die("write on the TLS fd after the failed dup2");
	printf("ok a failed dup2 left the TLS fd %d working\n", fd);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "closewrite"))
		return closewrite(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "fclose"))
		return fclose_pipe(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "sysclose"))
		return sysclose(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "dup2fail"))
		return dup2fail(atoi(argv[2]));
	fprintf(stderr, "usage: fd_life closewrite|fclose|dup2fail PORT | sysclose TLS PLAIN\n");
	return 64;
}
