/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A master that hands each accepted connection to a worker process over a
 * unix socketpair with SCM_RIGHTS, and closes its own copy at once (as
 * dovecot's imap-login hands a logged-in client to imap). Knows nothing of
 * TLS: under attls, the sessions must travel with the fds.
 *
 * fd_travel PORT COUNT READ_FIRST WORKER_PRELOAD [KEEP_FIRST]
 *   listens on 127.0.0.1:PORT, serves COUNT connections, then waits for
 *   the worker and exits. READ_FIRST 1: the master reads the request line
 *   itself (a login step: attls in the master has done the handshake and
 *   decrypted what followed it), and sends it with the fd; 0: it passes
 *   each connection as accepted. WORKER_PRELOAD 0: the worker runs
 *   without LD_PRELOAD (no attls). KEEP_FIRST 1: the first connection's
 *   sendmsg finds the unix socket full (the worker waits 2 s before it
 *   reads, and the master fills the socket, non-blocking): it must fail
 *   with EAGAIN, and the master then answers that client itself ("master
 *   kept it"). The worker is this program again ("worker FD DELAY"),
 *   started with fork and exec. FD_TRAVEL_MMSG=1: the master sends with
 *   sendmmsg and the worker receives with recvmmsg. FD_TRAVEL_EXTRA=1: the
 *   master sends /dev/null twice after the connection; the worker's
 *   buffer, CMSG_SPACE(sizeof(int)), has room for two fds (alignment), so
 *   the kernel cuts the third: MSG_CTRUNC, "worker ctl cut". FD_TRAVEL_RACE=1:
 *   a second thread writes on each connection while it is sent (race_writer).
 *   FD_TRAVEL_SEQPACKET=1: the socketpair is SOCK_SEQPACKET.
 *   FD_TRAVEL_WORKER_CONFIG=FILE: the worker's ATTLS_CONFIG.
 *   FD_TRAVEL_CLOEXEC=1: the worker receives with MSG_CMSG_CLOEXEC, and
 *   says of each fd received whether it is close-on-exec. Each sendmsg
 *   says how long it took ("master sendmsg N: US us").
 *
 * The worker answers each connection as an HTTP/1.0 server: it reads the
 * request up to its blank line and replies "worker PID got: REQUEST LINE".
 * Its recvmsg has a control buffer of CMSG_SPACE(sizeof(int)) bytes, and
 * it reports whether anything else came (MSG_CTRUNC, another length, more
 * fds). The master reports, per connection, what its own copy does after
 * the handoff (a write, a read). Lines on stdout, one per event.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Reads up to the end of an HTTP request's head (or of the line, if line). */
static ssize_t read_until(int fd, char *buf, size_t cap, size_t have, bool line)
{
	while (have + 1 < cap) {
		ssize_t n = read(fd, buf + have, line ? 1 : cap - 1 - have);

		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)have;
		have += (size_t)n;
		buf[have] = '\0';
		if (line ? buf[have - 1] == '\n' : strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[have] = '\0';
	return (ssize_t)have;
}

/*
 * With FD_TRAVEL_MMSG=1 in the environment (it goes to the worker too),
 * the messages go through sendmmsg and recvmmsg, one at a time.
 */
static bool use_mmsg(void)
{
	const char *v = getenv("FD_TRAVEL_MMSG");

	return v && !strcmp(v, "1");
}

/* FD_TRAVEL_CLOEXEC=1: the worker receives with MSG_CMSG_CLOEXEC. */
static int recv_flags(void)
{
	const char *v = getenv("FD_TRAVEL_CLOEXEC");

	return v && !strcmp(v, "1") ? MSG_CMSG_CLOEXEC : 0;
}

static ssize_t mmsg_recv(int fd, struct msghdr *m)
{
	struct mmsghdr v = { .msg_hdr = *m };
	int r;

	if (!use_mmsg())
		return recvmsg(fd, m, recv_flags());
	r = recvmmsg(fd, &v, 1, recv_flags(), NULL);
	*m = v.msg_hdr;
	return r == 1 ? (ssize_t)v.msg_len : -1;
}

static ssize_t mmsg_send(int fd, struct msghdr *m)
{
	struct mmsghdr v = { .msg_hdr = *m };

	if (!use_mmsg())
		return sendmsg(fd, m, 0);
	return sendmmsg(fd, &v, 1, 0) == 1 ? (ssize_t)v.msg_len : -1;
}

/*
 * FD_TRAVEL_RACE=1: while the master sends a connection away, a second
 * thread writes lines on it until a write fails. What it wrote before
 * the handoff must reach the client inside TLS, in order, before the
 * worker's reply; nothing after it may reach the wire.
 */
struct race {
	int fd, n, err;
	pthread_t t;
};

static void *race_writer(void *arg)
{
	struct race *r = arg;
	char line[32];

	for (;;) {
		int len = snprintf(line, sizeof(line), "RACE-%d\n", r->n);

		if (write(r->fd, line, (size_t)len) != len) {
			r->err = errno;
			return NULL;
		}
		r->n++;
	}
}

/* One message from the master, and the connection it brings: 0 at end of file. */
static int serve_one(int unix_fd)
{
	char data[1024], req[8192], ctl[CMSG_SPACE(sizeof(int))], reply[1200];
	struct iovec iov = { data, sizeof(data) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	ssize_t n = mmsg_recv(unix_fd, &m), r;
	int fd = -1, nfds = 0;
	size_t have;

	if (n <= 0)
		return 0;
	data[n] = '\0';
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds += (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	}
	if (!nfds && !(m.msg_flags & MSG_CTRUNC))
		return 1; /* the master's filler */
	say("worker ctl %s: flags=%s controllen=%zu fds=%d",
	    m.msg_controllen != sizeof(ctl) ? "WRONG" :
	    !(m.msg_flags & MSG_CTRUNC) && nfds == 1 ? "exact" :
	    m.msg_flags & MSG_CTRUNC && nfds == 2 ? "cut" :
	    !(m.msg_flags & MSG_CTRUNC) && nfds == 2 ? "two" : "WRONG",
	    m.msg_flags & MSG_CTRUNC ? "CTRUNC" : "0", (size_t)m.msg_controllen, nfds);
	if (fd < 0)
		return 1;
	say("worker fd cloexec=%d", (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? 1 : 0);
	if (nfds == 2 && !(m.msg_flags & MSG_CTRUNC)) {
		/* Two fds where one was sent: the second, what stands for the connection. */
		int second;

		memcpy(&second, CMSG_DATA(CMSG_FIRSTHDR(&m)) + sizeof(int), sizeof(int));
		r = write(second, "CLEAR-TEXT-ON-SECOND\n", 21);
		say("worker second fd write: %s", r < 0 ? strerror(errno) : "sent");
		r = read(second, req, 1);
		say("worker second fd read: %s", r < 0 ? strerror(errno) : r ? "data" : "end of file");
		close(second);
	}
	/* What the master read goes first (its "login" line), then the socket's. */
	char *d = data;

	while (d < data + n && !*d)
		d++; /* the filler before it, on the stream */
	have = strcmp(d, "-") ? strlen(d) : 0;
	memcpy(req, d, have);
	req[have] = '\0';
	r = read_until(fd, req, sizeof(req), have, false);
	if (r <= 0 || !strstr(req, "\r\n\r\n")) {
		static const char secret[] = "CLEAR-TEXT-FROM-WORKER\n";

		say("worker read: %s", r < 0 ? strerror(errno) : "end of file");
		/* A worker that writes anyway: nothing may reach the client in clear. */
		r = write(fd, secret, sizeof(secret) - 1);
		say("worker clear write: %s", r < 0 ? strerror(errno) : "sent");
	} else {
		char head[200];
		int len, hl;

		req[strcspn(req, "\r\n")] = '\0';
		len = snprintf(reply, sizeof(reply), "worker %d got: %s\n", (int)getpid(),
			       req);
		/* write(), not dprintf: stdio writes inside libc, unhooked. */
		hl = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n"
			      "Connection: close\r\n\r\n", len);
		if (write(fd, head, (size_t)hl) != hl ||
		    write(fd, reply, (size_t)len) != len)
			say("worker write: %s", strerror(errno));
		else
			say("worker served: %s", req);
	}
	close(fd);
	return 1;
}

/*
 * The worker: each message on unix_fd after delay seconds; with count > 0,
 * unix_fd listens: count connections, each accepted after its message was
 * sent (the master connects and sends at once), one message each.
 */
static int worker(int unix_fd, int delay, int count)
{
	sleep((unsigned)delay);
	if (count <= 0) {
		while (serve_one(unix_fd))
			;
		return 0;
	}
	for (int i = 0; i < count; i++) {
		int c = accept(unix_fd, NULL, NULL);

		if (c < 0)
			die("worker accept");
		serve_one(c);
		close(c);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un ua = { 0 };
	socklen_t ualen = 0;
	bool listen_mode;
	int sv[2], ls, count, read_first, preload, keep_first, extra, race, seqpacket, one = 1;
	struct timespec t0, t1;
	struct race rc = { 0 };
	struct sockaddr_in a;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "worker"))
		return worker(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 0);
	if (argc != 5 && argc != 6) {
		fprintf(stderr,
			"usage: fd_travel PORT COUNT READ_FIRST WORKER_PRELOAD [KEEP_FIRST]\n");
		return 2;
	}
	count = atoi(argv[2]);
	read_first = atoi(argv[3]);
	preload = atoi(argv[4]);
	keep_first = argc == 6 && atoi(argv[5]);
	extra = getenv("FD_TRAVEL_EXTRA") && !strcmp(getenv("FD_TRAVEL_EXTRA"), "1");
	race = getenv("FD_TRAVEL_RACE") && !strcmp(getenv("FD_TRAVEL_RACE"), "1");
	seqpacket = getenv("FD_TRAVEL_SEQPACKET") && !strcmp(getenv("FD_TRAVEL_SEQPACKET"), "1");
	listen_mode = getenv("FD_TRAVEL_LISTEN") && !strcmp(getenv("FD_TRAVEL_LISTEN"), "1");
	if (listen_mode) {
		/* sv[1]: the worker's listening socket (abstract); sv[0] made per connection. */
		ua.sun_family = AF_UNIX;
		ualen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			snprintf(ua.sun_path + 1, sizeof(ua.sun_path) - 1, "fd_travel-%d",
				 (int)getpid()));
		sv[0] = -1;
		if ((sv[1] = socket(AF_UNIX, seqpacket ? SOCK_SEQPACKET : SOCK_STREAM, 0)) < 0 ||
		    bind(sv[1], (struct sockaddr *)&ua, ualen) < 0 || listen(sv[1], 16) < 0)
			die("unix listen");
	} else if (socketpair(AF_UNIX, seqpacket ? SOCK_SEQPACKET : SOCK_STREAM, 0, sv) < 0) {
		die("socketpair");
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char num[16], cnt[16];
		const char *user = getenv("FD_TRAVEL_WORKER_UID");

		if (sv[0] >= 0)
			close(sv[0]);
		snprintf(num, sizeof(num), "%d", sv[1]);
		snprintf(cnt, sizeof(cnt), "%d", count);
		if (!preload)
			unsetenv("LD_PRELOAD");
		if (getenv("FD_TRAVEL_WORKER_CONFIG") && *getenv("FD_TRAVEL_WORKER_CONFIG"))
			setenv("ATTLS_CONFIG", getenv("FD_TRAVEL_WORKER_CONFIG"), 1);
		/* FD_TRAVEL_WORKER_UID=UID:GID: the worker runs as another user. */
		if (user && *user && (setgroups(0, NULL) < 0 || setgid((gid_t)atoi(
		    strchr(user, ':') ? strchr(user, ':') + 1 : user)) < 0 ||
		    setuid((uid_t)atoi(user)) < 0))
			die("setuid");
		if (listen_mode)
			execl("/proc/self/exe", argv[0], "worker", num, "1", cnt, (char *)NULL);
		else
			execl("/proc/self/exe", argv[0], "worker", num, keep_first ? "2" : "0",
			      (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	a = loopback(atoi(argv[1]));
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 16) < 0)
		die("listen");
	/* FD_TRAVEL_CHROOT=DIR: the master serves from DIR, with no /proc there. */
	if (getenv("FD_TRAVEL_CHROOT") && *getenv("FD_TRAVEL_CHROOT") &&
	    (chroot(getenv("FD_TRAVEL_CHROOT")) < 0 || chdir("/") < 0))
		die("chroot");
	say("master listening");
	for (int i = 0; i < count; i++) {
		char line[1024] = "-", ctl[CMSG_SPACE(3 * sizeof(int))], b;
		int c = accept(ls, NULL, NULL), fds[3] = { c, -1, -1 }, nfds = extra ? 3 : 1;
		struct iovec iov = { line, 0 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int)) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		ssize_t w, r;

		if (c < 0)
			die("accept");
		fds[0] = c;
		for (int k = 1; k < nfds; k++)
			fds[k] = open("/dev/null", O_RDONLY);
		if (read_first && read_until(c, line, sizeof(line), 0, true) <= 0)
			snprintf(line, sizeof(line), "-");
		iov.iov_len = strlen(line);
		if (race && pthread_create(&rc.t, NULL, race_writer, (rc.fd = c, rc.n = 0, &rc)))
			die("pthread_create");
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
		if (i == 0 && keep_first) {
			static const char full[] = "HTTP/1.0 200 OK\r\nContent-Length: 16\r\n"
						   "Connection: close\r\n\r\nmaster kept it\r\n";
			char fill[4096] = { 0 }, req[4096];
			int e;

			fcntl(sv[0], F_SETFL, O_NONBLOCK);
			while (send(sv[0], fill, sizeof(fill), 0) > 0)
				;
			r = sendmsg(sv[0], &m, 0);
			e = errno;
			fcntl(sv[0], F_SETFL, 0);
			say("master full sendmsg: %zd %s", r, r < 0 ? strerror(e) : "sent");
			/* Not sent: the connection is still the master's, TLS and all. */
			if (r < 0 && read_until(c, req, sizeof(req), 0, false) > 0 &&
			    write(c, full, sizeof(full) - 1) == (ssize_t)sizeof(full) - 1)
				say("master kept it");
			close(c);
			continue;
		}
		if (listen_mode) {
			/* A new connection to the worker's listener, sent on before it is accepted. */
			if ((sv[0] = socket(AF_UNIX, seqpacket ? SOCK_SEQPACKET : SOCK_STREAM, 0)) < 0 ||
			    connect(sv[0], (struct sockaddr *)&ua, ualen) < 0)
				die("unix connect");
		}
		if (race)
			usleep(2000); /* the writer is well under way */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (mmsg_send(sv[0], &m) < 0)
			die("sendmsg");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		say("master sendmsg %d: %ld us", i,
		    (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
		if (race) {
			pthread_join(rc.t, NULL);
			say("master race %d: %d lines, then %s", i, rc.n, strerror(rc.err));
		}
		/* The master's copy after the handoff: a write, then a read. */
		w = write(c, "x", 1);
		int werr = errno;
		r = recv(c, &b, 1, MSG_DONTWAIT);
		int rerr = errno;
		say("master copy %d: write=%zd%s%s read=%zd%s%s", i, w, w < 0 ? " " : "",
		    w < 0 ? strerror(werr) : "", r, r < 0 ? " " : "", r < 0 ? strerror(rerr) : "");
		close(c);
		for (int k = 1; k < nfds; k++)
			close(fds[k]);
		if (listen_mode) {
			close(sv[0]);
			sv[0] = -1;
		}
	}
	if (sv[0] >= 0)
		close(sv[0]);
	close(ls);
	waitpid(pid, NULL, 0);
	say("master done");
	return 0;
}
