/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "logsink.h"
#include "sysio.h"
#include "trace.h"

/*
 * attls's own log socket, whatever the program did with openlog, closelog
 * or LOG_PERROR: an AF_UNIX datagram socket connected to journald's native
 * socket or to /dev/log, close-on-exec, moved up out of the numbers a
 * program expects to get. The program may close it (closefrom, a loop up
 * to the limit) and get its number again for a file of its own: log_sock
 * holds the fd, which socket it is connected to and the low bits of its
 * inode, and each line first checks with fstat that the fd is still that
 * socket, else opens another. No lock: the word is swapped with
 * compare-and-exchange, so a thread, a signal handler or a fork (the child
 * keeps the same socket, and its lines say its own pid) never waits for
 * another. A socket opened by a thread that lost the exchange is closed.
 */
#define SOCK_NONE UINT64_MAX
#define SOCK_JOURNAL ((uint64_t)1 << 32)
static uint64_t log_sock = SOCK_NONE; /* fd << 33 | journal << 32 | (uint32_t)st_ino */

/*
 * When no socket answered: the second of the last attempt (at most one a
 * second, so a host without syslog costs a line no more than a clock
 * read) and /dev/log's errno, the last tried. Relaxed atomics: a stale
 * value only retries early or names an older reason.
 */
static long open_failed_at = -1;
static int open_failed_errno;

/* Reasons already said on stderr in this process, one bit each. */
enum { WHY_NO_SOCKET = 1, WHY_FULL = 2, WHY_SEND = 4 };
static unsigned said;

static int sock_fd(uint64_t v)
{
	return (int)(v >> 33);
}

static bool log_sock_ours(uint64_t v)
{
	struct stat st;

	return v != SOCK_NONE && fstat(sock_fd(v), &st) == 0 && S_ISSOCK(st.st_mode) &&
	       (uint32_t)st.st_ino == (uint32_t)v;
}

static long now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long)ts.tv_sec;
}

/* A datagram socket connected to path, close-on-exec, or -1 (errno). */
static int connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = attls_io.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (attls_io.connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		attls_io.close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Opens a socket in place of old; returns the word now in force, or SOCK_NONE. */
static uint64_t log_sock_open(uint64_t old)
{
	struct rlimit rl;
	struct stat st;
	uint64_t v, journal = SOCK_JOURNAL;
	long now = now_sec();
	int fd, hi;

	if (__atomic_load_n(&open_failed_at, __ATOMIC_RELAXED) == now)
		return SOCK_NONE;
	/* journald's native protocol where journald runs, else syslog. */
	fd = connect_to(ATTLS_JOURNAL_SOCKET);
	if (fd < 0) {
		journal = 0;
		fd = connect_to(ATTLS_SYSLOG_SOCKET);
	}
	if (fd < 0) {
		__atomic_store_n(&open_failed_errno, errno, __ATOMIC_RELAXED);
		__atomic_store_n(&open_failed_at, now, __ATOMIC_RELAXED);
		return SOCK_NONE;
	}
	/* Out of the way of the low numbers the program gets in order. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur >= 256) {
		int lim = rl.rlim_cur > 1024 ? 1024 : (int)rl.rlim_cur;

		hi = attls_io.fcntl(fd, F_DUPFD_CLOEXEC, lim - 64);
		if (hi >= 0) {
			attls_io.close(fd);
			fd = hi;
		}
	}
	if (fstat(fd, &st) < 0) {
		attls_io.close(fd);
		return SOCK_NONE;
	}
	v = (uint64_t)(uint32_t)fd << 33 | journal | (uint32_t)st.st_ino;
	if (!__atomic_compare_exchange_n(&log_sock, &old, v, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		attls_io.close(fd);
		return log_sock_ours(old) ? old : SOCK_NONE;
	}
	return v;
}

/*
 * journald's native protocol: one datagram of KEY=value lines. The line
 * is printable ASCII (no newline), so no field needs the binary form. The
 * identifier, pid and facility are those of attls's syslog lines.
 */
static int journal_fmt(char *buf, size_t len, int pri, const char *msgid, const char *line)
{
	return snprintf(buf, len,
			"MESSAGE=%s\nPRIORITY=%d\nSYSLOG_FACILITY=%d\nSYSLOG_IDENTIFIER=attls\n"
			"SYSLOG_PID=%d\nATTLS_MSGID=%s\n",
			line, LOG_PRI(pri), LOG_FAC(pri), (int)getpid(), msgid);
}

/* "<PRI>Mmm dd hh:mm:ss attls[pid]: line", as RFC 3164 and syslog(3). */
static int syslog_fmt(char *buf, size_t len, int pri, const char *line)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%b %e %T", &tm))
		stamp[0] = '\0';
	return snprintf(buf, len, "<%d>%s attls[%d]: %s", pri, stamp, (int)getpid(), line);
}

/*
 * Never waits for the log: MSG_DONTWAIT. attls logs from inside the
 * program's own calls (a read, an accept, a close, an event loop's
 * handshake step); a blocking send would stall a program that never
 * blocks on its own whenever the log daemon falls behind, and a stopped
 * log daemon would stop every TLS connection with it. A full queue is
 * then a socket that does not answer: errors go to stderr. Returns 0, or
 * the errno of the last attempt.
 */
static int send_line(uint64_t v, int pri, const char *msgid, const char *line)
{
	char buf[1400];
	int n, tries = 0;

	for (;;) {
		if (v & SOCK_JOURNAL)
			n = journal_fmt(buf, sizeof(buf), pri, msgid, line);
		else
			n = syslog_fmt(buf, sizeof(buf), pri, line);
		if (n < 0)
			return EINVAL;
		if ((size_t)n >= sizeof(buf))
			n = sizeof(buf) - 1;
		if (attls_io.send(sock_fd(v), buf, (size_t)n,
				  MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* The daemon restarted: its socket is a new one. Once more. */
		if ((errno != ECONNREFUSED && errno != ENOTCONN) || tries++)
			return errno;
		v = log_sock_open(v);
		if (v == SOCK_NONE)
			return ECONNREFUSED;
	}
}

/*
 * What fd 2 is as the program's stderr: the file it was started with
 * (attls_log_start, from the constructor), or the one the program itself
 * made its stderr since with dup2 or dup3 onto 2 (nginx points fd 2 at its
 * error log). One word, (st_dev, st_ino) mixed, so that a thread's dup2
 * and another's log line need no lock; 0: none. A fork's child has the
 * same fd 2; an exec starts again.
 */
static _Atomic uint64_t stderr_id;

static uint64_t file_id(const struct stat *st)
{
	uint64_t id = (uint64_t)st->st_dev * 0x9e3779b97f4a7c15ull ^ (uint64_t)st->st_ino;

	return id ? id : 1;
}

void attls_log_start(void)
{
	attls_log_stderr_moved();
}

void attls_log_stderr_moved(void)
{
	struct stat st;

	atomic_store(&stderr_id, fstat(STDERR_FILENO, &st) == 0 ? file_id(&st) : 0);
}

/*
 * Whether a line may go to fd 2: only to the program's stderr as above (a
 * terminal, a pipe, journald's stream, `2>FILE`, the file it dup2'd onto
 * 2), never to a TCP socket (an inetd program's connection: clear text
 * must not reach the wire), nor to a file, pipe or socket that took number
 * 2 by being opened after the program closed its stderr: that may be the
 * program's data.
 */
static bool stderr_fit(void)
{
	socklen_t len = sizeof(int);
	uint64_t id = atomic_load(&stderr_id);
	struct stat st;
	int domain;

	if (!id || fstat(STDERR_FILENO, &st) < 0 || file_id(&st) != id)
		return false;
	return !S_ISSOCK(st.st_mode) ||
	       (attls_io.getsockopt(STDERR_FILENO, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
		domain != AF_INET && domain != AF_INET6);
}

void attls_log_stderr(const char *line)
{
	if (stderr_fit())
		dprintf(STDERR_FILENO, "attls[%d]: %s\n", (int)getpid(), line);
}

/* Once per reason and process: why lines go to stderr from now on. */
static void say_why(unsigned why, const char *path, int err)
{
	char line[512];

	if (__atomic_fetch_or(&said, why, __ATOMIC_RELAXED) & why)
		return;
	snprintf(line, sizeof(line), "%s %s: %s: %s", attls_msg_id(ATTLS_MSG_LOG_FALLBACK),
		 attls_msg_text(ATTLS_MSG_LOG_FALLBACK), path,
		 why == WHY_FULL ? "its queue is full (the log daemon is not reading)" :
		 strerror(err));
	attls_log_stderr(line);
}

bool attls_log_send(int pri, const char *msgid, const char *line, bool error)
{
	uint64_t v = __atomic_load_n(&log_sock, __ATOMIC_ACQUIRE);
	int err;

	if (!log_sock_ours(v))
		v = log_sock_open(v);
	if (v == SOCK_NONE) {
		if (error)
			say_why(WHY_NO_SOCKET, ATTLS_SYSLOG_SOCKET,
				__atomic_load_n(&open_failed_errno, __ATOMIC_RELAXED));
		return false;
	}
	err = send_line(v, pri, msgid, line);
	if (!err)
		return true;
	if (!error)
		return false;
	v = __atomic_load_n(&log_sock, __ATOMIC_ACQUIRE);
	say_why(err == EAGAIN || err == EWOULDBLOCK ? WHY_FULL : WHY_SEND,
		v != SOCK_NONE && (v & SOCK_JOURNAL) ? ATTLS_JOURNAL_SOCKET : ATTLS_SYSLOG_SOCKET,
		err);
	return false;
}
