/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "sysio.h"
#include "trace.h"

static const struct {
	const char *id;
	unsigned bit;
	const char *text;
} catalogue[] = {
#define ATTLS_MSG_ROW(sym, id, bit, text) { id, bit, text },
	ATTLS_MESSAGES(ATTLS_MSG_ROW)
#undef ATTLS_MSG_ROW
};

/*
 * The mask and the facility: written by attls_trace_setup (at the start,
 * or when a policy is loaded, before connections use them) and read by
 * every trace call; relaxed atomics, as either value is a valid one.
 */
static unsigned trace_mask = ATTLS_TRACE_DEFAULT;
static int trace_facility = LOG_DAEMON;

void attls_trace_setup(unsigned mask, int facility)
{
	__atomic_store_n(&trace_mask, mask, __ATOMIC_RELAXED);
	__atomic_store_n(&trace_facility, facility, __ATOMIC_RELAXED);
}

/*
 * attls's own line to syslog, whatever the program did with openlog,
 * closelog or LOG_PERROR: an AF_UNIX datagram socket connected to
 * /dev/log, close-on-exec, moved up out of the numbers a program expects
 * to get. The program may close it (closefrom, a loop up to the limit)
 * and get its number again for a file of its own: log_sock holds the fd
 * and the low bits of its inode, and each line first checks with fstat
 * that the fd is still that socket, else opens another. No lock: the
 * word is swapped with compare-and-exchange, so a thread, a signal
 * handler or a fork (the child keeps the same socket, and its lines say
 * its own pid) never waits for another. A socket opened by a thread
 * that lost the exchange is closed again.
 */
static uint64_t log_sock = UINT64_MAX; /* fd << 32 | (uint32_t)st_ino */

static bool log_sock_ours(uint64_t v)
{
	struct stat st;
	int fd = (int)(v >> 32);

	return v != UINT64_MAX && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       (uint32_t)st.st_ino == (uint32_t)v;
}

static int log_sock_open(uint64_t old)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	struct rlimit rl;
	struct stat st;
	uint64_t v;
	int fd, hi;

	fd = attls_io.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (attls_io.connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		attls_io.close(fd);
		return -1;
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
		return -1;
	}
	v = (uint64_t)(uint32_t)fd << 32 | (uint32_t)st.st_ino;
	if (!__atomic_compare_exchange_n(&log_sock, &old, v, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		attls_io.close(fd);
		return log_sock_ours(old) ? (int)(old >> 32) : -1;
	}
	return fd;
}

/* "<PRI>Mmm dd hh:mm:ss attls[pid]: line", as RFC 3164 and syslog(3). */
static void log_line(int severity, const char *msg)
{
	char buf[1200], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n, fd, facility = __atomic_load_n(&trace_facility, __ATOMIC_RELAXED);
	uint64_t v = __atomic_load_n(&log_sock, __ATOMIC_ACQUIRE);

	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%b %e %T", &tm))
		stamp[0] = '\0';
	n = snprintf(buf, sizeof(buf), "<%d>%s attls[%d]: %s", (facility & LOG_FACMASK) | severity,
		     stamp, (int)getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	fd = log_sock_ours(v) ? (int)(v >> 32) : log_sock_open(v);
	if (fd < 0)
		return;
	while (attls_io.send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		/* syslogd restarted: /dev/log is a new socket. Once more. */
		if (errno == ECONNREFUSED || errno == ENOTCONN) {
			v = __atomic_load_n(&log_sock, __ATOMIC_ACQUIRE);
			if ((fd = log_sock_open(v)) >= 0)
				(void)!attls_io.send(fd, buf, (size_t)n, MSG_NOSIGNAL);
		}
		return;
	}
}

unsigned attls_trace_mask(void)
{
	return __atomic_load_n(&trace_mask, __ATOMIC_RELAXED);
}

bool attls_trace_on(unsigned mask, enum attls_msg m)
{
	unsigned bit = catalogue[m].bit;

	if (bit == ATTLS_TRACE_ERROR)
		return mask & (ATTLS_TRACE_ERROR | ATTLS_TRACE_ERROR_STDERR);
	return mask & bit;
}

const char *attls_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!len)
		return out;
	for (const unsigned char *c = (const unsigned char *)in; *c; c++) {
		bool plain = *c >= 0x20 && *c < 0x7f;

		if (o + (plain ? 1 : 4) >= len)
			break;
		if (plain) {
			out[o++] = (char)*c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*c >> 4];
			out[o++] = hex[*c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

void attls_trace(unsigned mask, enum attls_msg m, const char *who,
		 const char *fmt, ...)
{
	char line[1024], esc[1024];
	int off, saved = errno;
	va_list ap;

	if (!attls_trace_on(mask, m))
		return;
	off = snprintf(line, sizeof(line), "%s %s%s%s", catalogue[m].id,
		       catalogue[m].text, who ? " " : "", who ? who : "");
	if (fmt && off > 0 && (size_t)off < sizeof(line) - 2) {
		line[off++] = ':';
		line[off++] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
		va_end(ap);
	}
	/* One line of printable ASCII, whatever a peer put in a certificate. */
	attls_escape(line, esc, sizeof(esc));
	if (catalogue[m].bit == ATTLS_TRACE_ERROR) {
		if (mask & ATTLS_TRACE_ERROR)
			log_line(LOG_ERR, esc);
		if (mask & ATTLS_TRACE_ERROR_STDERR)
			dprintf(STDERR_FILENO, "attls[%d]: %s\n", (int)getpid(), esc);
	} else {
		log_line(catalogue[m].bit >= ATTLS_TRACE_FLOW ? LOG_DEBUG : LOG_INFO, esc);
	}
	errno = saved;
}

const char *attls_msg_id(enum attls_msg m)
{
	return catalogue[m].id;
}

const char *attls_msg_text(enum attls_msg m)
{
	return catalogue[m].text;
}

unsigned attls_msg_bit(enum attls_msg m)
{
	return catalogue[m].bit;
}
