/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "sysio.h"
#include "linger.h"
#include "session.h"

struct item {
	struct attls_session *s;
	short events;   /* written by the linger thread only */
	bool finished;  /* likewise */
	struct item *next;
};

/*
 * lock guards items (the list's links), count, wakefd and thread_pid. 5
 * in the lock order of shim/locks.h: taken under a session's lock when a
 * session is handed over; no session's lock is taken under it. No signal
 * handler takes it. fork: prepare takes it, both processes let go; the
 * child drops the list.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t empty = PTHREAD_COND_INITIALIZER;
static struct item *items;
static int count;
static int wakefd = -1;
static pid_t thread_pid; /* the process whose thread runs */

static void wake(void)
{
	uint64_t one = 1;

	if (attls_io.write(wakefd, &one, sizeof(one)) < 0)
		return; /* already signalled */
}

/*
 * Each connection's next step; the finished are taken off the list. The
 * steps take each session's lock without this file's lock (the order of
 * shim/locks.h: a session's lock, then this one): only this thread takes
 * items off the list and adopt only adds at its head, so the items from
 * first (the head when pfd was built: pfd[1..n-1] are its first n-1) stay
 * while they are stepped. Those adopted since then, ahead of first, were
 * not polled: they wait for the next round, which polls them.
 */
static void step_all(const struct pollfd *pfd, int n, struct item *first)
{
	uint64_t now = attls_now_ms();
	struct item **p, *done = NULL;
	int i = 1;

	for (struct item *it = first; it && i < n; it = it->next, i++) {
		if (pfd[i].revents)
			it->events = attls_session_linger_step(it->s);
		it->finished = !it->events || now >= attls_session_linger_deadline(it->s);
	}
	pthread_mutex_lock(&lock);
	p = &items;
	while (*p) {
		struct item *it = *p;

		if (!it->finished) {
			p = &it->next;
			continue;
		}
		*p = it->next;
		it->next = done;
		done = it;
		count--;
	}
	if (!count)
		pthread_cond_broadcast(&empty);
	pthread_mutex_unlock(&lock);
	while (done) {
		struct item *it = done;

		done = it->next;
		attls_session_linger_finish(it->s);
		free(it);
	}
}

static void *run(void *arg)
{
	struct pollfd *pfd = NULL;
	int cap = 0;

	(void)arg;
	for (;;) {
		uint64_t deadline = 0, now;
		struct item *first;
		int n = 1, timeout;

		pthread_mutex_lock(&lock);
		if (count + 1 > cap) {
			struct pollfd *np = realloc(pfd, (size_t)(count + 16) * sizeof(*pfd));

			if (np) {
				pfd = np;
				cap = count + 16;
			}
		}
		if (!pfd) {
			pthread_mutex_unlock(&lock);
			usleep(10000);
			continue;
		}
		pfd[0] = (struct pollfd){ .fd = wakefd, .events = POLLIN };
		first = items;
		for (struct item *it = items; it && n < cap; it = it->next, n++) {
			uint64_t d = attls_session_linger_deadline(it->s);

			pfd[n] = (struct pollfd){ .fd = attls_session_linger_fd(it->s),
						  .events = it->events };
			if (!deadline || d < deadline)
				deadline = d;
		}
		pthread_mutex_unlock(&lock);
		now = attls_now_ms();
		timeout = !deadline ? -1 : deadline > now ? (int)(deadline - now) : 0;
		if (attls_io.poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			continue;
		if (pfd[0].revents) {
			uint64_t v;

			if (attls_io.read(wakefd, &v, sizeof(v)) < 0)
				v = 0;
		}
		step_all(pfd, n, first);
	}
	return NULL;
}

/* The thread starts at the first use in each process, all signals blocked. */
static int start_locked(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (thread_pid == getpid())
		return 0;
	if (wakefd < 0 && (wakefd = attls_io.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -1;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, run, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		errno = r; /* the caller says why (EAGAIN: no thread) */
		return -1;
	}
	thread_pid = getpid();
	return 0;
}

int attls_linger_adopt(struct attls_session *s, short events)
{
	struct item *it = malloc(sizeof(*it));
	int r = -1;

	if (!it)
		return -1;
	pthread_mutex_lock(&lock);
	if (start_locked() == 0) {
		*it = (struct item){ .s = s, .events = events, .next = items };
		items = it;
		count++;
		wake();
		r = 0;
	}
	pthread_mutex_unlock(&lock);
	if (r < 0)
		free(it);
	return r;
}

__attribute__((destructor)) void attls_linger_wait_all(void)
{
	struct timespec until;

	pthread_mutex_lock(&lock);
	if (thread_pid == getpid() && count) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 4;
		while (count && pthread_cond_timedwait(&empty, &lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&lock);
}

/* fork: 5 in shim/locks.h. */
void attls_linger_atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

void attls_linger_atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

/*
 * The parent ends these; the child only lets go of its copies (the
 * sessions stay the parent's, their memory untouched). The condition had
 * only the parent's threads as waiters.
 */
void attls_linger_atfork_child(void)
{
	struct item *it = items;

	items = NULL;
	count = 0;
	pthread_cond_init(&empty, NULL);
	pthread_mutex_unlock(&lock);
	while (it) {
		struct item *next = it->next;

		attls_io.close(attls_session_linger_fd(it->s));
		free(it);
		it = next;
	}
}
