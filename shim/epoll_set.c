/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * epoll over TLS fds. The kernel holds each TLS fd level-triggered, and
 * only for what TLS needs now: input while no plaintext waits, output
 * while records are queued. The program's own registration (its events,
 * data, EPOLLET, EPOLLONESHOT) lives here and is applied to what the
 * session says is ready. So records that carry no data are consumed in the
 * wait, plaintext already decrypted is reported at once, an edge is
 * reported once per arrival or per EAGAIN, and nothing spins.
 *
 * The kernel's data for a TLS fd is a tag and the fd number, which no
 * pointer can be; the program's data is given back in its place. A wait
 * on an epoll fd that has no set here yet goes to the kernel untouched,
 * and what the kernel gives back is checked for the tag: a thread that
 * was already waiting when another added the first TLS fd still gets the
 * program's data.
 *
 * Per set: the registrations, indexed by fd, and a ready list: the
 * registrations that may have something to report without the kernel
 * (plaintext already decrypted, a level-triggered event reported last
 * time, a handshake whose deadline must be watched, a change a read or a
 * write made). A wait looks at the ready list and at what the kernel
 * reports, never at every registration: O(ready), not O(registered).
 *
 * Per wait: an id of its own (no round shared between threads); the
 * registrations it reported are its own until it returns (owner, idx,
 * wnext), so that it merges a second event for one fd into one entry and
 * no other wait reports that fd meanwhile. The kernel's events are taken
 * in the program's own array and compacted in place: no malloc, whatever
 * maxevents is. What the kernel reported for a TLS fd is acted on (the
 * handshake, PKCS#11 signature included, reading, flushing) with the set
 * lock dropped; the registration is pinned meanwhile.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "epoll_set.h"
#include "fdtable.h"
#include "real.h"
#include "../lib/trace.h"

#define TAG 0xa77150e5u
#define WANT_BITS (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP)
/*
 * A kernel event for a TLS fd, between the two locked steps of a wait:
 * the kernel never returns EPOLLET in revents, so the bit marks the slot;
 * bits 16-29 keep what the program wants, 0-15 what the kernel reported,
 * and data.ptr the pinned registration (NULL: nothing to do).
 */
#define MARK EPOLLET
#define KREV(e) ((short)((e) & 0xffff))
#define KWANT(e) ((short)(((e) >> 16) & 0x3fff))

/*
 * A registration. All fields are guarded by its set's lock; c and fd do
 * not change after it is made, so that a wait may use c with the lock
 * dropped while the registration is pinned.
 */
struct reg {
	int fd;
	struct attls_conn *c; /* a reference, held while registered */
	uint32_t events;      /* as the program gave them */
	epoll_data_t data;
	short kernel;         /* what the kernel holds it for */
	bool in_kernel;
	bool armed;           /* EPOLLONESHOT: false once reported */
	short edge;           /* EPOLLET: what may be reported again */
	unsigned again;       /* the session's EAGAIN count last seen */
	bool dead;            /* deleted while pinned: freed at the last unpin */
	bool queued;          /* on the set's ready list */
	bool timed;           /* a handshake runs: its deadline is watched */
	bool missed;          /* ready while another wait held it */
	int pins;             /* waits that hold it across an unlock */
	uint64_t owner;       /* the wait that reported it, while that wait runs */
	int idx;              /* where, in that wait's array */
	struct reg *wnext;    /* the owner's list of what it reported */
	struct reg *rprev, *rnext; /* the ready list */
};

struct set {
	int epfd;
	int refs; /* the table's, plus one per call in flight (sets_lock) */
	/*
	 * Guards everything below and every registration of the set: 2 in
	 * shim/locks.h. Nests under sets_lock (forget, notify); a session's
	 * lock nests under it (readiness with nothing reported: no handshake,
	 * no signature). A second thread waits for it; a signal handler never
	 * takes it (epoll is not async-signal-safe); fork's prepare takes it
	 * and both processes let go.
	 */
	pthread_mutex_t lock;
	struct reg **by_fd;
	int nby;
	struct reg *head, *tail; /* the ready list */
	int wakefd; /* wakes a waiter when a registration is ready at once */
	int waiters;
	uint64_t waits; /* the last wait's id */
	struct set *next;
};

/* One call of epoll_wait on a set: what it reported, where. */
struct wait {
	uint64_t id;
	struct epoll_event *out;
	int n, max;
	uint64_t deadline;
	struct reg *owned;
};

/*
 * The list of sets and their refs: 1 in shim/locks.h. Taken alone, or
 * before a set's lock (forget, notify walk the sets); never under a set's
 * lock. fork: prepare takes it, both processes let go.
 */
static pthread_mutex_t sets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct set *sets;
static atomic_int live; /* sets in the list: 0 lets every call go straight by */
/*
 * Threads in a wait that went by without a set (an epoll fd with no TLS fd
 * yet, or a dup of one that has): a wake is sent for them too.
 */
static atomic_int bypassing;

/*
 * Which fds are epoll sets here, readable without a lock: a close from
 * inside wolfSSL (its /dev/urandom) while another thread holds a set must
 * not wait for that set.
 */
#define MARKED_FDS 65536
static atomic_uint marked[MARKED_FDS / 32];

static void mark(int fd, bool on)
{
	if (fd >= 0 && fd < MARKED_FDS) {
		if (on)
			atomic_fetch_or(&marked[fd / 32], 1u << (fd % 32));
		else
			atomic_fetch_and(&marked[fd / 32], ~(1u << (fd % 32)));
	}
}

static bool is_marked(int fd)
{
	return fd >= MARKED_FDS ||
	       (fd >= 0 && (atomic_load_explicit(&marked[fd / 32], memory_order_relaxed) &
			    (1u << (fd % 32))));
}

/*
 * Set while this thread holds a set's lock: a close or a read notice that
 * comes from inside the session meanwhile must not come back for it.
 */
static _Thread_local bool holding;

static void lock_set(struct set *st)
{
	pthread_mutex_lock(&st->lock);
	holding = true;
}

static void unlock_set(struct set *st)
{
	holding = false;
	pthread_mutex_unlock(&st->lock);
}

static uint64_t tag_of(int fd)
{
	return (uint64_t)TAG << 32 | (uint32_t)fd;
}

static bool tagged(const struct epoll_event *e)
{
	return e->data.u64 >> 32 == TAG;
}

static void signal_wake(int wakefd)
{
	uint64_t one = 1;

	if (REAL(write)(wakefd, &one, sizeof(one)) < 0)
		return; /* already signalled */
}

static struct set *find_locked(int epfd)
{
	for (struct set *st = sets; st; st = st->next)
		if (st->epfd == epfd)
			return st;
	return NULL;
}

/*
 * The set of the epoll instance epfd names under another number (a dup of
 * the epoll fd): the kernel compares the files.
 */
static struct set *find_instance_locked(int epfd)
{
	pid_t me = getpid();

	for (struct set *st = sets; st; st = st->next)
		if (syscall(SYS_kcmp, me, me, KCMP_FILE, epfd, st->epfd) == 0)
			return st;
	return NULL;
}

/* alias: also look for the instance under another fd number (kcmp). */
static struct set *get_set(int epfd, bool create, bool alias)
{
	struct set *st;

	pthread_mutex_lock(&sets_lock);
	st = find_locked(epfd);
	if (!st && (create || alias))
		st = find_instance_locked(epfd);
	if (!st && create && (st = calloc(1, sizeof(*st)))) {
		struct epoll_event kev = { .events = EPOLLIN };

		st->epfd = epfd;
		st->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		kev.data.u64 = tag_of(st->wakefd);
		if (st->wakefd < 0 ||
		    REAL(epoll_ctl)(epfd, EPOLL_CTL_ADD, st->wakefd, &kev) < 0) {
			int err = errno;

			if (st->wakefd >= 0)
				REAL(close)(st->wakefd);
			free(st);
			errno = err;
			pthread_mutex_unlock(&sets_lock);
			return NULL;
		}
		pthread_mutex_init(&st->lock, NULL);
		st->refs = 1;
		st->next = sets;
		sets = st;
		mark(epfd, true);
		atomic_fetch_add(&live, 1);
		/*
		 * A thread already in the kernel's wait on epfd went by without a
		 * set: it wakes, and its next round looks at the set.
		 */
		signal_wake(st->wakefd);
	}
	if (st)
		st->refs++;
	pthread_mutex_unlock(&sets_lock);
	return st;
}

static void free_reg(struct reg *r)
{
	attls_conn_put(r->c);
	free(r);
}

static void put_set(struct set *st)
{
	bool last;

	pthread_mutex_lock(&sets_lock);
	last = --st->refs == 0;
	pthread_mutex_unlock(&sets_lock);
	if (!last)
		return;
	/* No call is in flight: nothing is pinned. */
	for (int fd = 0; fd < st->nby; fd++)
		if (st->by_fd[fd])
			free_reg(st->by_fd[fd]);
	REAL(close)(st->wakefd);
	pthread_mutex_destroy(&st->lock);
	free(st->by_fd);
	free(st);
}

static struct reg *lookup(struct set *st, int fd)
{
	return fd >= 0 && fd < st->nby ? st->by_fd[fd] : NULL;
}

static int index_reg(struct set *st, struct reg *r)
{
	if (r->fd >= st->nby) {
		int n = st->nby ? st->nby : 64;
		struct reg **by;

		while (n <= r->fd)
			n *= 2;
		if (!(by = realloc(st->by_fd, (size_t)n * sizeof(*by))))
			return -1;
		memset(by + st->nby, 0, (size_t)(n - st->nby) * sizeof(*by));
		st->by_fd = by;
		st->nby = n;
	}
	st->by_fd[r->fd] = r;
	return 0;
}

/* The ready list: at the tail, so that what waited longest goes first. */
static void enqueue(struct set *st, struct reg *r)
{
	if (r->queued || r->dead)
		return;
	r->queued = true;
	r->rnext = NULL;
	r->rprev = st->tail;
	if (st->tail)
		st->tail->rnext = r;
	else
		st->head = r;
	st->tail = r;
}

static void dequeue(struct set *st, struct reg *r)
{
	if (!r->queued)
		return;
	if (r->rprev)
		r->rprev->rnext = r->rnext;
	else
		st->head = r->rnext;
	if (r->rnext)
		r->rnext->rprev = r->rprev;
	else
		st->tail = r->rprev;
	r->rprev = r->rnext = NULL;
	r->queued = false;
}

static void unpin(struct reg *r)
{
	if (--r->pins == 0 && r->dead)
		free_reg(r);
}

/* Off the set; freed now, or by the last wait that holds it. */
static void remove_reg(struct set *st, struct reg *r)
{
	dequeue(st, r);
	st->by_fd[r->fd] = NULL;
	if (r->in_kernel)
		REAL(epoll_ctl)(st->epfd, EPOLL_CTL_DEL, r->fd, NULL);
	r->dead = true;
	if (!r->pins)
		free_reg(r);
}

/* Asks the kernel for exactly what the session needs; nothing: not held. */
static int sync_kernel(struct set *st, struct reg *r, short want)
{
	struct epoll_event kev = { .events = (uint16_t)want, .data.u64 = tag_of(r->fd) };
	int op;

	if (want == r->kernel && r->in_kernel == (want != 0))
		return 0;
	op = !want ? EPOLL_CTL_DEL : r->in_kernel ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (REAL(epoll_ctl)(st->epfd, op, r->fd, &kev) < 0 && op != EPOLL_CTL_DEL)
		return -1;
	r->in_kernel = want != 0;
	r->kernel = want;
	return 0;
}

static short program_wants(const struct reg *r)
{
	return r->armed ? (short)(r->events & WANT_BITS) : 0;
}

/*
 * Looks at the session (what the kernel reported, krev, was acted on
 * before, unlocked), keeps the kernel's interest true, and adds the event
 * the program is owed to the wait's array, or to the entry this wait
 * already made for the fd. Under the set lock; the session's lock nests.
 */
static void update(struct set *st, struct reg *r, short krev, struct wait *w)
{
	struct attls_readiness rd;
	short want = program_wants(r), report;
	bool et = r->events & EPOLLET;

	attls_session_readiness(r->c->s, want, 0, &rd);
	sync_kernel(st, r, rd.kernel);
	r->timed = rd.deadline != 0;
	if (rd.deadline && (!w->deadline || rd.deadline < w->deadline))
		w->deadline = rd.deadline;
	if (et) {
		if (rd.again != r->again) {
			r->again = rd.again;
			r->edge = -1;
		}
		r->edge |= krev;
	}
	report = rd.level & (want | EPOLLERR | EPOLLHUP);
	if (!r->armed || (et && !(report &= r->edge)) || !report)
		return;
	if (r->owner == w->id) {
		w->out[r->idx].events |= (uint16_t)report;
	} else if (r->owner || w->n >= w->max) {
		/* Another wait holds it, or no room: looked at again later. */
		r->missed = true;
		if (!r->owner)
			enqueue(st, r);
		return;
	} else {
		w->out[w->n].events = (uint16_t)report;
		w->out[w->n].data = r->data;
		r->idx = w->n++;
		r->owner = w->id;
		r->pins++;
		r->wnext = w->owned;
		w->owned = r;
	}
	if (et)
		r->edge &= ~report;
	if (r->events & EPOLLONESHOT)
		r->armed = false;
}

/*
 * The wait returns: what it reported is free again. Level-triggered, it
 * goes back on the ready list (the next wait drops it if nothing is ready
 * any more), as in the kernel; so does what another wait found ready
 * meanwhile, and a handshake's deadline.
 */
static void release(struct set *st, struct wait *w)
{
	while (w->owned) {
		struct reg *r = w->owned;

		w->owned = r->wnext;
		r->wnext = NULL;
		r->owner = 0;
		if (!r->dead && ((r->armed && !(r->events & EPOLLET)) || r->timed || r->missed)) {
			r->missed = false;
			enqueue(st, r);
		}
		unpin(r);
	}
}

static void wake(struct set *st)
{
	if (st->waiters || atomic_load_explicit(&bypassing, memory_order_relaxed))
		signal_wake(st->wakefd);
}

static int ctl_locked(struct set *st, int op, int fd, struct attls_conn *c,
		      struct epoll_event *ev)
{
	struct reg *r = lookup(st, fd);
	struct attls_readiness rd;

	if (!r && op != EPOLL_CTL_ADD) {
		/*
		 * A TLS fd the set does not know may still be in the kernel's
		 * set, added by the program while attls had not yet looked at
		 * it (a socket that arrived unseen, added to epoll before its
		 * first read made it TLS). That registration carries the
		 * program's data and raw readiness: DEL removes it, as the
		 * kernel would; MOD removes it and adds the fd as TLS. Not
		 * there either: the kernel's ENOENT.
		 */
		if (REAL(epoll_ctl)(st->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
			return -1;
		if (op == EPOLL_CTL_DEL)
			return 0;
		op = EPOLL_CTL_ADD;
	}
	if (op == EPOLL_CTL_DEL) {
		remove_reg(st, r);
		return 0;
	}
	if (!ev) {
		errno = EFAULT;
		return -1;
	}
	if (op == EPOLL_CTL_ADD) {
		struct epoll_event probe = { .events = 0, .data.u64 = tag_of(fd) };

		if (r) {
			errno = EEXIST;
			return -1;
		}
		/* The kernel says whether it may hold fd (EBADF, ELOOP, ...). */
		if (REAL(epoll_ctl)(st->epfd, EPOLL_CTL_ADD, fd, &probe) < 0)
			return -1;
		if (!(r = calloc(1, sizeof(*r))) || (r->fd = fd, index_reg(st, r) < 0)) {
			free(r);
			REAL(epoll_ctl)(st->epfd, EPOLL_CTL_DEL, fd, NULL);
			errno = ENOMEM;
			return -1;
		}
		r->in_kernel = true;
		r->c = c;
		atomic_fetch_add(&c->refs, 1);
	} else if (!r) {
		errno = ENOENT;
		return -1;
	}
	r->events = ev->events & ~EPOLLEXCLUSIVE;
	r->data = ev->data;
	r->armed = true;
	r->edge = -1;
	attls_session_readiness(r->c->s, program_wants(r), 0, &rd);
	r->again = rd.again;
	r->timed = rd.deadline != 0;
	if (sync_kernel(st, r, rd.kernel) < 0)
		return -1;
	if ((rd.level & (program_wants(r) | EPOLLERR | EPOLLHUP)) || r->timed) {
		enqueue(st, r);
		wake(st);
	}
	return 0;
}

int attls_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct attls_conn *c = NULL;
	struct set *st;
	int r;

	/*
	 * Adding an fd is its first use: an unseen connection is looked at
	 * here (attls_fd_data), so that one that gets TLS is watched as TLS
	 * from the start, not by a raw registration that cannot see what
	 * attls holds decrypted. A refused one is watched raw: its data
	 * calls fail.
	 */
	if (op == EPOLL_CTL_ADD) {
		int saved = errno;

		if (attls_fd_data(fd, &c) < 0)
			errno = saved;
	} else {
		c = attls_fd_get(fd);
	}
	if (!c)
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	if (op != EPOLL_CTL_DEL && !ev) {
		attls_conn_put(c);
		errno = EFAULT;
		return -1;
	}
	if (op != EPOLL_CTL_ADD && !(st = get_set(epfd, false, true))) {
		/* No TLS fd in this set yet: only the kernel may hold fd (ctl_locked). */
		r = REAL(epoll_ctl)(epfd, EPOLL_CTL_DEL, fd, NULL);
		if (r < 0 || op == EPOLL_CTL_DEL) {
			attls_conn_put(c);
			return r;
		}
		op = EPOLL_CTL_ADD;
	}
	if (op == EPOLL_CTL_ADD && !(st = get_set(epfd, true, false))) {
		int err = errno;

		/*
		 * The set's wake-up eventfd could not be had: the TLS fd cannot
		 * be watched, so its epoll_ctl fails (fail closed) with the
		 * kernel's reason, which the log names too.
		 */
		if (err == EMFILE || err == ENFILE)
			attls_trace(attls_trace_mask(), ATTLS_MSG_NO_FD, NULL,
				    "epoll_ctl(%d, ADD, %d): no eventfd for the TLS fds of this epoll "
				    "instance (%s): the call fails", epfd, fd, strerror(err));
		attls_conn_put(c);
		errno = err;
		return -1;
	}
	lock_set(st);
	r = ctl_locked(st, op, fd, c, ev);
	unlock_set(st);
	put_set(st);
	attls_conn_put(c);
	return r;
}

/* The ready list, from its head, while there is room. */
static void take_ready(struct set *st, struct wait *w)
{
	struct reg *r = st->head, *last = st->tail;

	st->head = st->tail = NULL;
	while (r && w->n < w->max) {
		struct reg *next = r->rnext;

		r->rprev = r->rnext = NULL;
		r->queued = false;
		if (r->owner) {
			/* Another wait reported it and has not returned: it requeues. */
			r->missed = true;
		} else {
			update(st, r, 0, w);
			if (r->timed && r->owner != w->id)
				enqueue(st, r);
		}
		r = next;
	}
	if (r) {
		/* No room: what is left goes first next time. */
		r->rprev = NULL;
		last->rnext = st->head;
		if (st->head)
			st->head->rprev = last;
		else
			st->tail = last;
		st->head = r;
	}
}

/*
 * The kernel's events, ev[from..from+nk), step one (locked): the wake
 * fd is drained, a TLS fd's registration pinned and marked.
 */
static void mark_kernel_events(struct set *st, struct epoll_event *ev, int from, int nk)
{
	for (int i = from; i < from + nk; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;
		struct reg *r = NULL;

		if (!tagged(&ev[i]))
			continue;
		if (fd == st->wakefd) {
			uint64_t v;

			if (REAL(read)(st->wakefd, &v, sizeof(v)) < 0)
				v = 0; /* another waiter drained it */
		} else if ((r = lookup(st, fd))) {
			r->pins++;
		}
		ev[i].events = MARK | (uint32_t)(r ? (program_wants(r) & 0x3fff) << 16 : 0) |
			       (uint16_t)ev[i].events;
		ev[i].data.ptr = r;
	}
}

/* Step two (unlocked): the session acts on what the kernel reported. */
static void act_on_kernel_events(struct epoll_event *ev, int from, int nk)
{
	for (int i = from; i < from + nk; i++) {
		struct attls_readiness rd;
		struct reg *r = ev[i].data.ptr;

		if ((ev[i].events & MARK) && r)
			attls_session_readiness(r->c->s, KWANT(ev[i].events),
						KREV(ev[i].events), &rd);
	}
}

/*
 * Step three (locked): the program's own fds pass as they are, TLS fds
 * give the program's events and data; compacted in place, each entry
 * read before any entry at or after it is written.
 */
static void take_kernel_events(struct set *st, struct epoll_event *ev, int from, int nk,
			       struct wait *w)
{
	for (int i = from; i < from + nk; i++) {
		struct epoll_event e = ev[i];
		struct reg *r = e.data.ptr;

		if (!(e.events & MARK)) {
			ev[w->n++] = e;
			continue;
		}
		if (!r)
			continue;
		if (!r->dead) {
			update(st, r, KREV(e.events), w);
			if (r->timed && r->owner != w->id)
				enqueue(st, r);
		}
		unpin(r);
	}
}

static int wait_ms(uint64_t start, int timeout_ms, uint64_t deadline, bool ready)
{
	uint64_t now = attls_now_ms();
	int wait;

	if (ready)
		return 0;
	if (timeout_ms < 0)
		wait = -1;
	else
		wait = now - start >= (uint64_t)timeout_ms ? 0 : (int)(timeout_ms - (now - start));
	if (deadline) {
		/* Wake for a handshake deadline even if the program never calls. */
		int until = deadline > now ? (int)(deadline - now) : 0;

		if (wait < 0 || until < wait)
			wait = until;
	}
	return wait;
}

/*
 * A wait on a set. given: events the kernel already returned in ev[0..),
 * from a wait that went by without a set, taken first.
 */
static int wait_set(struct set *st, struct epoll_event *ev, int max, int timeout_ms,
		    const sigset_t *mask, uint64_t start, int given)
{
	for (;;) {
		struct wait w = { .out = ev, .max = max };
		int nk = given, from = 0, err = 0;

		lock_set(st);
		w.id = ++st->waits;
		if (!given) {
			take_ready(st, &w);
			from = w.n;
			st->waiters++;
			unlock_set(st);
			if (from < max) {
				nk = REAL(epoll_pwait)(st->epfd, ev + from, max - from,
						       wait_ms(start, timeout_ms, w.deadline, from > 0),
						       mask);
				err = errno;
			}
			lock_set(st);
			st->waiters--;
		}
		given = 0;
		if (nk > 0) {
			mark_kernel_events(st, ev, from, nk);
			unlock_set(st);
			act_on_kernel_events(ev, from, nk);
			lock_set(st);
			take_kernel_events(st, ev, from, nk, &w);
		}
		release(st, &w);
		unlock_set(st);
		if (w.n > 0)
			return w.n;
		if (nk < 0) {
			errno = err;
			return -1;
		}
		if (timeout_ms >= 0 && attls_now_ms() - start >= (uint64_t)timeout_ms)
			return 0;
	}
}

int attls_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout_ms,
		     const sigset_t *mask)
{
	uint64_t start;
	struct set *st = NULL;
	int n;

	if (max > 0 && atomic_load_explicit(&live, memory_order_relaxed))
		st = get_set(epfd, false, false);
	if (!st) {
		bool counted = atomic_load_explicit(&live, memory_order_relaxed);

		if (counted)
			atomic_fetch_add(&bypassing, 1);
		n = REAL(epoll_pwait)(epfd, ev, max, timeout_ms, mask);
		if (counted) {
			int err = errno;

			atomic_fetch_sub(&bypassing, 1);
			errno = err;
		}
		if (n <= 0 || !atomic_load_explicit(&live, memory_order_relaxed))
			return n;
		/* A set made meanwhile: its tagged events are not the program's. */
		int i = 0;

		while (i < n && !tagged(&ev[i]))
			i++;
		if (i == n)
			return n;
		if (!(st = get_set(epfd, false, true))) {
			/* Its set is gone (see forget): none of these is the program's. */
			int k = 0;

			for (i = 0; i < n; i++)
				if (!tagged(&ev[i]))
					ev[k++] = ev[i];
			return k;
		}
	} else {
		n = 0;
	}
	start = attls_now_ms();
	n = wait_set(st, ev, max, timeout_ms, mask, start, n);
	put_set(st);
	return n;
}

bool attls_epoll_any(void)
{
	return atomic_load_explicit(&live, memory_order_relaxed) != 0;
}

void attls_epoll_forget(int fd)
{
	struct set *gone = NULL;
	struct attls_conn *c;

	if (holding || !atomic_load_explicit(&live, memory_order_relaxed))
		return;
	/* Only a set, or a TLS fd that a set may hold, needs the locks. */
	if ((c = attls_fd_get(fd)))
		attls_conn_put(c);
	else if (!is_marked(fd))
		return;
	pthread_mutex_lock(&sets_lock);
	for (struct set **p = &sets; *p; p = &(*p)->next) {
		if ((*p)->epfd == fd) {
			gone = *p;
			*p = gone->next;
			mark(fd, false);
			atomic_fetch_sub(&live, 1);
			break;
		}
	}
	for (struct set *st = sets; st; st = st->next) {
		struct reg *r;

		lock_set(st);
		if ((r = lookup(st, fd)))
			remove_reg(st, r);
		unlock_set(st);
	}
	if (gone) {
		/*
		 * A dup of the epoll fd may keep the kernel's set: attls's entries
		 * leave it, so that nothing tagged is reported there any more.
		 */
		lock_set(gone);
		for (int i = 0; i < gone->nby; i++) {
			struct reg *r = gone->by_fd[i];

			if (r && r->in_kernel) {
				REAL(epoll_ctl)(gone->epfd, EPOLL_CTL_DEL, r->fd, NULL);
				r->in_kernel = false;
				r->kernel = 0;
			}
		}
		REAL(epoll_ctl)(gone->epfd, EPOLL_CTL_DEL, gone->wakefd, NULL);
		unlock_set(gone);
	}
	pthread_mutex_unlock(&sets_lock);
	if (gone)
		put_set(gone);
}

/*
 * A read or a write in some thread changed what a set must report or ask
 * the kernel for (plaintext left, all drained, records queued, an error):
 * the registrations of fd go on their sets' ready lists, and a thread
 * waiting there looks again.
 */
void attls_epoll_notify(int fd)
{
	if (holding || !atomic_load_explicit(&live, memory_order_relaxed))
		return;
	pthread_mutex_lock(&sets_lock);
	for (struct set *st = sets; st; st = st->next) {
		struct reg *r;

		lock_set(st);
		if ((r = lookup(st, fd))) {
			enqueue(st, r);
			wake(st);
		}
		unlock_set(st);
	}
	pthread_mutex_unlock(&sets_lock);
}

/* fork: steps 1 and 2 of shim/locks.h; both processes let go. */
void attls_epoll_atfork_prepare(void)
{
	pthread_mutex_lock(&sets_lock);
	for (struct set *st = sets; st; st = st->next)
		pthread_mutex_lock(&st->lock);
}

void attls_epoll_atfork_parent(void)
{
	for (struct set *st = sets; st; st = st->next)
		pthread_mutex_unlock(&st->lock);
	pthread_mutex_unlock(&sets_lock);
}

/*
 * After fork, in the child, with every lock prepare took: no wait of
 * another thread runs there, so nothing is pinned, owned or waiting;
 * every registration is looked at again once; then the locks go.
 */
void attls_epoll_atfork_child(void)
{
	atomic_store(&bypassing, 0);
	for (struct set *st = sets; st; st = st->next) {
		st->waiters = 0;
		st->refs = 1;
		for (int fd = 0; fd < st->nby; fd++) {
			struct reg *r = st->by_fd[fd];

			if (!r)
				continue;
			r->owner = 0;
			r->pins = 0;
			r->wnext = NULL;
			r->missed = false;
			enqueue(st, r);
		}
		pthread_mutex_unlock(&st->lock);
	}
	pthread_mutex_unlock(&sets_lock);
}
