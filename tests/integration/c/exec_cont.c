/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One connection across exec. Stage 1 connects to an echo peer, writes
 * 64 KiB and reads one byte of the echo (so attls has read, and holds,
 * more than the program took), then execs itself as stage 2 on the same
 * fd, which reads the rest of the echo, writes another line and reads it
 * back. MODE:
 *   hand     blocking socket, the new image under attls
 *   nbhand   the same with O_NONBLOCK: stage 2 waits in poll()
 *   shhand   blocking, through a shell that execs stage 2 (a wrapper
 *            that never touches the connection)
 *   refuse   the new image's environment without LD_PRELOAD: its reads
 *            and writes fail, and its clear text goes nowhere
 *   uncovered the new image under attls with another policy, which does
 *            not cover the connection (ATTLS_CONFIG from EXEC_CONT_OTHER):
 *            its reads and writes fail, never in clear
 *   enoent   the exec fails (ENOENT): stage 1 goes on with the connection
 *   lines    a line-by-line peer (openssl s_server, driven by the test):
 *            stage 1 writes "hello" and reads "from-server-1", stage 2
 *            reads "from-server-2" (after a KeyUpdate the test has the
 *            peer send) and writes "after-keyupdate"
 * Usage: exec_cont PORT MODE  (stage 2: exec_cont - stage2 FD MODE)
 */
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>

#include "util.h"

#define TOTAL 65536

extern char **environ;

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

/* Reads want bytes of the echo from offset off on, checking each. */
static void read_echo(int fd, size_t off, size_t want, bool nb)
{
	unsigned char buf[8192];
	size_t got = 0;

	while (got < want) {
		size_t n = want - got < sizeof(buf) ? want - got : sizeof(buf);
		ssize_t r;

		if (nb) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 10000) != 1)
				die("poll: the echo stalled");
		}
		r = read(fd, buf, n);
		if (r < 0 && nb && errno == EAGAIN)
			continue;
		if (r <= 0)
			die("read the echo");
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pat(off + got + (size_t)i)) {
				errno = EILSEQ;
				die("the echo differs");
			}
		got += (size_t)r;
	}
}

static void write_all(int fd, const void *buf, size_t n)
{
	for (const char *p = buf; n;) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			poll(&pf, 1, 10000);
			continue;
		}
		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

/* The second part, in the new image (or, after a failed exec, in the old one). */
static int go_on(int fd, const char *mode, bool nb)
{
	char line[] = "second line\n", back[sizeof(line)];
	size_t got = 0;
	int fl = fcntl(fd, F_GETFD);

	printf("fd_cloexec=%d env_clean=%d\n", fl & FD_CLOEXEC, getenv("ATTLS_HANDOFF") == NULL);
	read_echo(fd, 1, TOTAL - 1, nb);
	write_all(fd, line, sizeof(line) - 1);
	while (got < sizeof(line) - 1) {
		ssize_t r;

		if (nb) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, 10000);
		}
		r = read(fd, back + got, sizeof(line) - 1 - got);
		if (r < 0 && nb && errno == EAGAIN)
			continue;
		if (r <= 0)
			die("read the second echo");
		got += (size_t)r;
	}
	if (memcmp(back, line, sizeof(line) - 1)) {
		errno = EILSEQ;
		die("the second echo differs");
	}
	printf("OK %s: the rest of the echo (%d bytes) and a second line\n", mode, TOTAL - 1);
	close(fd);
	return 0;
}

/* Reads until the line want has come (other lines before it are skipped). */
static void wait_line(int fd, const char *want)
{
	char buf[4096];
	size_t got = 0;

	for (;;) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (r <= 0)
			die(want);
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, want))
			return;
		if (got == sizeof(buf) - 1)
			got = 0;
	}
}

static int lines_stage2(int fd)
{
	wait_line(fd, "from-server-2\n");
	write_all(fd, "after-keyupdate\n", 16);
	printf("OK lines: from-server-2 read, after-keyupdate written\n");
	sleep(1);
	close(fd);
	return 0;
}

static int refused(int fd)
{
	char c;
	ssize_t r = read(fd, &c, 1);
	int rerr = errno;
	ssize_t w;

	signal(SIGPIPE, SIG_IGN);
	w = write(fd, "SECRET-CLEAR-TEXT\n", 18);
	printf("refused read=%zd (%s) write=%zd (%s)\n", r, r < 0 ? strerror(rerr) : "-", w,
	       w < 0 ? strerror(errno) : "-");
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char data[TOTAL];
	char fdstr[16];
	unsigned char first;
	int fd, fl;
	const char *mode;
	bool nb;

	if (argc == 5 && !strcmp(argv[2], "stage2")) {
		fd = atoi(argv[3]);
		mode = argv[4];
		if (!strcmp(mode, "refuse") || !strcmp(mode, "uncovered"))
			return refused(fd);
		if (!strcmp(mode, "lines"))
			return lines_stage2(fd);
		return go_on(fd, mode, !strcmp(mode, "nbhand"));
	}
	if (argc != 3)
		return 2;
	mode = argv[2];
	nb = !strcmp(mode, "nbhand");
	fd = dial(atoi(argv[1]));
	if (!strcmp(mode, "lines")) {
		write_all(fd, "hello\n", 6);
		wait_line(fd, "from-server-1\n");
		snprintf(fdstr, sizeof(fdstr), "%d", fd);
		printf("stage1: from-server-1 read\n");
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "-", "stage2", fdstr, mode, (char *)NULL);
		die("execl");
	}
	for (size_t i = 0; i < TOTAL; i++)
		data[i] = pat(i);
	write_all(fd, data, TOTAL);
	if (read(fd, &first, 1) != 1 || first != pat(0))
		die("read the first byte");
	if (nb)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* The program's own close-on-exec, as it sets and sees it. */
	ioctl(fd, FIOCLEX);
	fl = fcntl(fd, F_GETFD);
	ioctl(fd, FIONCLEX);
	printf("stage1: FIOCLEX then F_GETFD=%d, FIONCLEX then F_GETFD=%d\n", fl & FD_CLOEXEC,
	       fcntl(fd, F_GETFD) & FD_CLOEXEC);
	fflush(stdout);
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	if (!strcmp(mode, "refuse") || !strcmp(mode, "uncovered")) {
		/* The same environment, less LD_PRELOAD, or with another policy. */
		static char other[4200];
		bool unc = !strcmp(mode, "uncovered");
		const char *drop = unc ? "ATTLS_CONFIG=" : "LD_PRELOAD=";
		size_t n = 0, k = 0;

		while (environ[n])
			n++;
		char *env[n + 2];

		for (size_t i = 0; i < n; i++)
			if (strncmp(environ[i], drop, strlen(drop)))
				env[k++] = environ[i];
		if (unc) {
			snprintf(other, sizeof(other), "ATTLS_CONFIG=%s", getenv("EXEC_CONT_OTHER"));
			env[k++] = other;
		}
		env[k] = NULL;
		execle("/proc/self/exe", argv[0], "-", "stage2", fdstr, mode, (char *)NULL, env);
		die("execle");
	}
	if (!strcmp(mode, "enoent")) {
		execl("/nonexistent/exec_cont", argv[0], "-", "stage2", fdstr, mode, (char *)NULL);
		printf("exec failed: %s\n", strerror(errno));
		return go_on(fd, mode, false);
	}
	if (!strcmp(mode, "shhand")) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n < 0)
			die("readlink");
		self[n] = '\0';
		execl("/bin/sh", "sh", "-c", "exec \"$0\" \"$@\"", self, "-", "stage2", fdstr,
		      "hand", (char *)NULL);
		die("execl sh");
	}
	execl("/proc/self/exe", argv[0], "-", "stage2", fdstr, mode, (char *)NULL);
	die("execl");
}
