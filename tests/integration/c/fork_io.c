/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fork and a TLS connection, for processes.sh-style checks (fork.sh):
 *
 * fork_io system PORT FILE NB   accepts one connection on PORT, writes
 *     FILE (NB=1: non-blocking, polling on EAGAIN; 0: blocking), calls
 *     system("true"), popen("true") and fork() + exec of true, then
 *     closes: the output queued at fork time is the parent's and must all
 *     reach the peer, then close_notify.
 * fork_io writer PORT FILE OUT  accepts one connection on PORT; a second
 *     thread writes FILE to it (blocking, the peer reads slowly) while
 *     the main thread forks; the child connects to 127.0.0.1:OUT (a TLS
 *     server that answers "ping" with "pong") and exits 0 if it works; the
 *     parent waits for it, then for the write, and closes.
 * fork_io rawfork PORT          accepts one connection on PORT; a child
 *     made by _Fork tries to write to it and read from it (EPIPE and
 *     ENOTCONN: nothing reaches the peer), then the parent writes
 *     "parent\n" and closes.
 * Prints one line of results; "FAIL ..." on a failure.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include "util.h"

pid_t _Fork(void);

static int conn;
static unsigned char *data;
static size_t data_len;
static ssize_t wrote_total = -1;
static int write_errno;

static ssize_t write_all(int fd, const unsigned char *p, size_t len, int nb)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && nb && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 30000) <= 0)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

static void *writer(void *arg)
{
	(void)arg;
	wrote_total = write_all(conn, data, data_len, 0);
	write_errno = errno;
	return NULL;
}

/* The child: a new TLS connection under the same policy. */
static int child_connects(int port)
{
	char buf[64];
	size_t got = 0;
	int fd = dial(port);

	if (write(fd, "ping\n", 5) != 5)
		return 3;
	while (got < 5) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			return 4;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return strcmp(buf, "pong\n") == 0 ? 0 : 5;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "system") && argc == 5) {
		int nb = atoi(argv[4]), status = -1, before, after;
		pid_t pid;
		FILE *p;

		data = slurp(argv[3], &data_len);
		conn = accept_one(atoi(argv[2]));
		/* A small kernel buffer: records stay queued in attls at fork time. */
		setsockopt(conn, SOL_SOCKET, SO_SNDBUF, &(int){ 65536 }, sizeof(int));
		if (nb)
			fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) | O_NONBLOCK);
		if (write_all(conn, data, data_len, nb) != (ssize_t)data_len)
			die("write");
		/* The fd the next open gets, before and after: fork takes none. */
		before = open("/dev/null", O_RDONLY);
		close(before);
		if (system("true") != 0)
			die("system");
		if (!(p = popen("true", "r")) || pclose(p) != 0)
			die("popen");
		/* glibc's system() and popen() spawn without fork: the same by hand. */
		pid = fork();
		if (pid == 0) {
			execlp("true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0)
			die("fork and exec");
		after = open("/dev/null", O_RDONLY);
		close(after);
		if (close(conn) < 0)
			die("close");
		printf("wrote=%zu next_fd=%s\n", data_len, before == after ? "same" : "moved");
		return 0;
	}
	if (!strcmp(argv[1], "writer") && argc == 5) {
		pthread_t t;
		int status = -1;
		pid_t pid;

		data = slurp(argv[3], &data_len);
		conn = accept_one(atoi(argv[2]));
		pthread_create(&t, NULL, writer, NULL);
		usleep(300000); /* the writer is inside its write, blocked */
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(child_connects(atoi(argv[4])));
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		pthread_join(t, NULL);
		if (close(conn) < 0)
			die("close");
		printf("child=%d wrote=%zd of %zu errno=%d\n",
		       WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), wrote_total,
		       data_len, wrote_total < 0 ? write_errno : 0);
		return 0;
	}
	if (!strcmp(argv[1], "rawfork")) {
		int status = -1, child_errno;
		pid_t pid;

		conn = accept_one(atoi(argv[2]));
		pid = _Fork();
		if (pid < 0)
			die("_Fork");
		if (pid == 0) {
			ssize_t n;
			char c;

			signal(SIGPIPE, SIG_IGN);
			n = write(conn, "child\n", 6);
			if (n == 6)
				_exit(0);
			_exit(errno == EPIPE && read(conn, &c, 1) < 0 && errno == ENOTCONN ? 1 : 2);
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		child_errno = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (write(conn, "parent\n", 7) != 7)
			die("write");
		if (close(conn) < 0)
			die("close");
		printf("child=%s\n", child_errno == 0 ? "wrote" : child_errno == 1 ? "cut-off" :
				     "other");
		return 0;
	}
	return 2;
}
