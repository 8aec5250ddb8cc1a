/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Readiness: poll and select see a TLS fd as the program would see a
 * clear-text one. Plaintext already decrypted is reported at once; while
 * a handshake or a flush is owed, the kernel is asked for what TLS needs
 * and the answer is mapped back. Records that carry no data (a session
 * ticket) are consumed and the wait goes on, so nothing spins and nothing
 * stalls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdtable.h"
#include "hooks.h"
#include "real.h"

extern void __chk_fail(void) __attribute__((noreturn));

/*
 * glibc declares poll's array write-only (the kernel only writes revents),
 * so reading fds[i].fd in our own poll draws a false warning.
 */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define STACK_FDS 64

/* timeout_ms < 0: forever. */
static int tls_poll(struct pollfd *fds, nfds_t n, int timeout_ms, const sigset_t *mask,
		    struct attls_conn **conns)
{
	struct pollfd kstack[STACK_FDS], *k = n <= STACK_FDS ? kstack : malloc(n * sizeof(*k));
	short rstack[STACK_FDS], *ready = n <= STACK_FDS ? rstack : malloc(n * sizeof(*ready));
	uint64_t start = attls_now_ms();
	int result = -1;

	if (!k || !ready) {
		errno = ENOMEM;
		goto out;
	}
	for (;;) {
		uint64_t now, deadline = 0;
		int nready = 0, wait, r, count = 0;

		for (nfds_t i = 0; i < n; i++) {
			k[i] = fds[i];
			ready[i] = 0;
			if (conns[i]) {
				uint64_t d;

				ready[i] = attls_session_poll_prepare(conns[i]->s, fds[i].events,
								      &k[i].events, &d);
				nready += ready[i] != 0;
				if (d && (!deadline || d < deadline))
					deadline = d;
			}
		}
		now = attls_now_ms();
		if (nready)
			wait = 0;
		else if (timeout_ms < 0)
			wait = -1;
		else
			wait = now - start >= (uint64_t)timeout_ms ? 0 :
								   (int)(timeout_ms - (now - start));
		if (deadline && !nready) {
			/* Wake for a handshake deadline even if the program never calls. */
			int until = deadline > now ? (int)(deadline - now) : 0;

			if (wait < 0 || until < wait)
				wait = until;
		}
		if (mask) {
			struct timespec ts = { wait / 1000, (long)(wait % 1000) * 1000000 };

			r = REAL(ppoll)(k, n, wait < 0 ? NULL : &ts, mask);
		} else {
			r = REAL(poll)(k, n, wait);
		}
		if (r < 0)
			goto out;
		for (nfds_t i = 0; i < n; i++) {
			short rev = k[i].revents;

			if (conns[i]) {
				short want = fds[i].events;

				if (rev)
					ready[i] |= attls_session_poll_complete(conns[i]->s, want, rev);
				rev = ready[i] & (want | POLLERR | POLLHUP | POLLNVAL);
			}
			fds[i].revents = rev;
			count += rev != 0;
		}
		if (count) {
			result = count;
			goto out;
		}
		now = attls_now_ms();
		if (timeout_ms >= 0 && now - start >= (uint64_t)timeout_ms) {
			result = 0;
			goto out;
		}
	}
out:
	if (k != kstack)
		free(k);
	if (ready != rstack)
		free(ready);
	return result;
}

/* The TLS connections among fds; NULL if none (then nothing is held). */
static struct attls_conn **find_conns(const struct pollfd *fds, nfds_t n,
				      struct attls_conn **stack)
{
	struct attls_conn **conns = NULL;

	if (!atomic_load_explicit(&attls_tls_fds, memory_order_relaxed))
		return NULL;
	for (nfds_t i = 0; i < n; i++) {
		struct attls_conn *c = attls_fd_get(fds[i].fd);

		if (!c)
			continue;
		if (!conns) {
			conns = n <= STACK_FDS ? stack : calloc(n, sizeof(*conns));
			if (!conns) {
				attls_conn_put(c);
				return NULL;
			}
			memset(conns, 0, n * sizeof(*conns));
		}
		conns[i] = c;
	}
	return conns;
}

static void put_conns(struct attls_conn **conns, nfds_t n, struct attls_conn **stack)
{
	int saved = errno;

	for (nfds_t i = 0; i < n; i++)
		if (conns[i])
			attls_conn_put(conns[i]);
	if (conns != stack)
		free(conns);
	errno = saved;
}

static int timespec_ms(const struct timespec *ts)
{
	if (!ts)
		return -1;
	return (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000);
}

ATTLS_HOOK int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct attls_conn *stack[STACK_FDS], **conns = find_conns(fds, n, stack);
	int r;

	if (!conns)
		return REAL(poll)(fds, n, timeout);
	r = tls_poll(fds, n, timeout, NULL, conns);
	put_conns(conns, n, stack);
	return r;
}

ATTLS_HOOK int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

ATTLS_HOOK int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		     const sigset_t *mask)
{
	struct attls_conn *stack[STACK_FDS], **conns = find_conns(fds, n, stack);
	sigset_t cur;
	int r;

	if (!conns)
		return REAL(ppoll)(fds, n, ts, mask);
	if (!mask) {
		/* No mask: the current one, so the ppoll path serves both. */
		sigprocmask(SIG_SETMASK, NULL, &cur);
		mask = &cur;
	}
	r = tls_poll(fds, n, timespec_ms(ts), mask, conns);
	put_conns(conns, n, stack);
	return r;
}

ATTLS_HOOK int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			   const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ppoll(fds, n, ts, mask);
}

/*
 * fd_set bits by hand: a program may pass sets larger than FD_SETSIZE
 * (nfds above 1024), which the FD_* macros do not allow.
 */
#define LONG_BITS (8 * sizeof(unsigned long))

static bool bit_is(const fd_set *set, int fd)
{
	return set && (((const unsigned long *)(const void *)set)[fd / LONG_BITS] >>
		       (fd % LONG_BITS)) & 1;
}

static void bit_set(unsigned long *set, int fd)
{
	set[fd / LONG_BITS] |= 1UL << (fd % LONG_BITS);
}

/* select as poll, when a TLS fd is among its sets. */
static int select_as_poll(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, int timeout_ms,
			  const sigset_t *mask, bool *handled)
{
	struct pollfd pstack[STACK_FDS], *p = pstack;
	struct attls_conn *stack[STACK_FDS], **conns;
	/* The kernel reads and writes the longs that hold nfds bits. */
	size_t longs = ((size_t)nfds + LONG_BITS - 1) / LONG_BITS;
	unsigned long out_stack[3 * (FD_SETSIZE / LONG_BITS)], *out = out_stack;
	nfds_t n = 0;
	int r, count = 0;

	*handled = false;
	if (!atomic_load_explicit(&attls_tls_fds, memory_order_relaxed) || nfds <= 0)
		return 0;
	for (int fd = 0; fd < nfds; fd++)
		if (bit_is(rd, fd) || bit_is(wr, fd) || bit_is(ex, fd))
			n++;
	if (n > STACK_FDS && !(p = malloc(n * sizeof(*p)))) {
		errno = ENOMEM;
		*handled = true;
		return -1;
	}
	n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		ev |= bit_is(rd, fd) ? POLLIN : 0;
		ev |= bit_is(wr, fd) ? POLLOUT : 0;
		ev |= bit_is(ex, fd) ? POLLPRI : 0;
		if (ev)
			p[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	conns = find_conns(p, n, stack);
	if (!conns) {
		if (p != pstack)
			free(p);
		return 0;
	}
	*handled = true;
	r = tls_poll(p, n, timeout_ms, mask, conns);
	put_conns(conns, n, stack);
	if (r >= 0 && longs > FD_SETSIZE / LONG_BITS && !(out = calloc(3 * longs, sizeof(long)))) {
		errno = ENOMEM;
		r = -1;
	}
	if (r >= 0) {
		/*
		 * As the kernel does: every result is computed from what was
		 * asked and counted, and only then written back, read set
		 * first. A program may pass one fd_set for two kinds (Perl's
		 * IO::Socket::IP passes the same set for write and except):
		 * the count still holds every bit found.
		 */
		memset(out, 0, 3 * longs * sizeof(long));
		for (nfds_t i = 0; i < n; i++) {
			short rev = p[i].revents, ev = p[i].events;

			if (rev & POLLNVAL) {
				r = -1;
				errno = EBADF;
				break;
			}
			if ((ev & POLLIN) && (rev & (POLLIN | POLLHUP | POLLERR))) {
				bit_set(out, p[i].fd);
				count++;
			}
			if ((ev & POLLOUT) && (rev & (POLLOUT | POLLERR))) {
				bit_set(out + longs, p[i].fd);
				count++;
			}
			if ((ev & POLLPRI) && (rev & POLLPRI)) {
				bit_set(out + 2 * longs, p[i].fd);
				count++;
			}
		}
		if (r >= 0) {
			if (rd)
				memcpy(rd, out, longs * sizeof(long));
			if (wr)
				memcpy(wr, out + longs, longs * sizeof(long));
			if (ex)
				memcpy(ex, out + 2 * longs, longs * sizeof(long));
			r = count;
		}
	}
	if (out != out_stack)
		free(out);
	if (p != pstack)
		free(p);
	return r;
}

ATTLS_HOOK int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	uint64_t start = attls_now_ms();
	int ms = tv ? (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000) : -1;
	bool handled;
	int r = select_as_poll(nfds, rd, wr, ex, ms, NULL, &handled);

	if (!handled)
		return REAL(select)(nfds, rd, wr, ex, tv);
	if (tv && r >= 0) {
		/* Linux leaves the time not slept in the timeval. */
		uint64_t spent = attls_now_ms() - start;
		uint64_t left = (uint64_t)ms > spent ? (uint64_t)ms - spent : 0;

		tv->tv_sec = (time_t)(left / 1000);
		tv->tv_usec = (suseconds_t)(left % 1000) * 1000;
	}
	return r;
}

ATTLS_HOOK int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
		       const struct timespec *ts, const sigset_t *mask)
{
	bool handled;
	sigset_t cur;
	int r;

	if (!mask) {
		sigprocmask(SIG_SETMASK, NULL, &cur);
		mask = &cur;
	}
	r = select_as_poll(nfds, rd, wr, ex, timespec_ms(ts), mask, &handled);
	return handled ? r : REAL(pselect)(nfds, rd, wr, ex, ts, mask);
}
