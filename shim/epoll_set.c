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
 * pointer can be; the program's data is given back in its place.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "epoll_set.h"
#include "fdtable.h"
#include "real.h"

#define TAG 0xa77150e5u
#define WANT_BITS (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP)
#define STACK_EVENTS 64

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
	uint64_t round;       /* the wait that reported it last, and where */
	int idx;
	struct reg *next;
};

struct set {
	int epfd;
	int refs; /* the table's, plus one per call in flight */
	pthread_mutex_t lock; /* the registrations: 2 in shim/locks.h */
	struct reg *regs;
	struct reg **by_fd;
	int nby;
	int wakefd; /* wakes a waiter when a registration is ready at once */
	int waiters;
	uint64_t round;
	struct set *next;
};

/* The list of sets: 1 in shim/locks.h; fork: prepare takes it, both let go. */
static pthread_mutex_t sets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct set *sets;
static atomic_int live; /* sets in the list: 0 lets every call go straight by */
static atomic_int waiting; /* threads in epoll_wait on a set */

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
 * Set while this thread holds a set's lock: wolfSSL may open and close
 * files of its own (/dev/urandom) meanwhile, and those closes must not
 * come back for the lock.
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

static struct set *find_locked(int epfd)
{
	for (struct set *st = sets; st; st = st->next)
		if (st->epfd == epfd)
			return st;
	return NULL;
}

static struct set *get_set(int epfd, bool create)
{
	struct set *st;

	pthread_mutex_lock(&sets_lock);
	st = find_locked(epfd);
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
	while (st->regs) {
		struct reg *r = st->regs;

		st->regs = r->next;
		free_reg(r);
	}
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
	r->next = st->regs;
	st->regs = r;
	return 0;
}

static void unlink_reg(struct set *st, struct reg *r)
{
	for (struct reg **p = &st->regs; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	st->by_fd[r->fd] = NULL;
	if (r->in_kernel)
		REAL(epoll_ctl)(st->epfd, EPOLL_CTL_DEL, r->fd, NULL);
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
 * Looks at the session (acting first on krev, what the kernel reported),
 * keeps the kernel's interest true, and adds the event the program is owed
 * to out[] unless this wait already holds one for the fd.
 */
static int update(struct set *st, struct reg *r, short krev, struct epoll_event *out, int n,
		  int max, uint64_t *deadline)
{
	struct attls_readiness rd;
	short want = program_wants(r), report;
	bool et = r->events & EPOLLET;

	attls_session_readiness(r->c->s, want, krev, &rd);
	sync_kernel(st, r, rd.kernel);
	if (rd.deadline && (!*deadline || rd.deadline < *deadline))
		*deadline = rd.deadline;
	if (et) {
		if (rd.again != r->again) {
			r->again = rd.again;
			r->edge = -1;
		}
		r->edge |= krev;
	}
	report = rd.level & (want | EPOLLERR | EPOLLHUP);
	if (!r->armed || (et && !(report &= r->edge)))
		return n;
	if (!report)
		return n;
	if (r->round == st->round) {
		out[r->idx].events |= (uint16_t)report;
	} else {
		if (n >= max)
			return n;
		out[n].events = (uint16_t)report;
		out[n].data = r->data;
		r->idx = n++;
		r->round = st->round;
	}
	if (et)
		r->edge &= ~report;
	if (r->events & EPOLLONESHOT)
		r->armed = false;
	return n;
}

static void wake(struct set *st)
{
	uint64_t one = 1;

	if (st->waiters && REAL(write)(st->wakefd, &one, sizeof(one)) < 0)
		return; /* already signalled */
}

static int ctl_locked(struct set *st, int op, int fd, struct attls_conn *c,
		      struct epoll_event *ev)
{
	struct reg *r = lookup(st, fd);
	struct attls_readiness rd;

	if (op == EPOLL_CTL_DEL) {
		if (!r) {
			errno = ENOENT;
			return -1;
		}
		unlink_reg(st, r);
		free_reg(r);
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
	if (sync_kernel(st, r, rd.kernel) < 0)
		return -1;
	if (rd.level & (program_wants(r) | EPOLLERR | EPOLLHUP))
		wake(st);
	return 0;
}

int attls_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct attls_conn *c = attls_fd_get(fd);
	struct set *st;
	int r;

	if (!c)
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	if (!(st = get_set(epfd, op == EPOLL_CTL_ADD))) {
		if (op != EPOLL_CTL_ADD)
			errno = ENOENT;
		attls_conn_put(c);
		return -1;
	}
	lock_set(st);
	r = ctl_locked(st, op, fd, c, ev);
	unlock_set(st);
	put_set(st);
	attls_conn_put(c);
	return r;
}

/* The kernel's events: the program's pass as they are, TLS fds' are mapped. */
static int take_kernel_events(struct set *st, const struct epoll_event *k, int nk,
			      struct epoll_event *out, int n, int max, uint64_t *deadline)
{
	for (int i = 0; i < nk; i++) {
		uint64_t u = k[i].data.u64;
		struct reg *r;

		if (u >> 32 != TAG) {
			out[n++] = k[i];
			continue;
		}
		if ((int)(uint32_t)u == st->wakefd) {
			uint64_t v;

			if (REAL(read)(st->wakefd, &v, sizeof(v)) < 0)
				continue;
			continue;
		}
		if ((r = lookup(st, (int)(uint32_t)u)))
			n = update(st, r, (short)k[i].events, out, n, max, deadline);
	}
	return n;
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

int attls_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout_ms,
		     const sigset_t *mask)
{
	struct epoll_event kstack[STACK_EVENTS], *k = kstack;
	uint64_t start = attls_now_ms();
	struct set *st;
	int result;

	if (!atomic_load_explicit(&live, memory_order_relaxed) || max <= 0 ||
	    !(st = get_set(epfd, false)))
		return REAL(epoll_pwait)(epfd, ev, max, timeout_ms, mask);
	if (max > STACK_EVENTS && !(k = malloc((size_t)max * sizeof(*k)))) {
		put_set(st);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		uint64_t deadline = 0;
		int n = 0, nk = 0, err = 0;

		lock_set(st);
		st->round++;
		for (struct reg *r = st->regs; r; r = r->next)
			n = update(st, r, 0, ev, n, max, &deadline);
		st->waiters++;
		atomic_fetch_add(&waiting, 1);
		unlock_set(st);
		if (n < max) {
			nk = REAL(epoll_pwait)(epfd, k, max - n,
					       wait_ms(start, timeout_ms, deadline, n > 0), mask);
			err = errno;
		}
		lock_set(st);
		st->waiters--;
		atomic_fetch_sub(&waiting, 1);
		if (nk > 0)
			n = take_kernel_events(st, k, nk, ev, n, max, &deadline);
		unlock_set(st);
		if (n > 0) {
			result = n;
			break;
		}
		if (nk < 0) {
			errno = err;
			result = -1;
			break;
		}
		if (timeout_ms >= 0 && attls_now_ms() - start >= (uint64_t)timeout_ms) {
			result = 0;
			break;
		}
	}
	if (k != kstack)
		free(k);
	put_set(st);
	return result;
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
		if ((r = lookup(st, fd))) {
			unlink_reg(st, r);
			free_reg(r);
		}
		unlock_set(st);
	}
	pthread_mutex_unlock(&sets_lock);
	if (gone)
		put_set(gone);
}

/*
 * A read in one thread changed what a set must report or ask the kernel
 * for (plaintext left, or all drained): wake the threads that wait on a
 * set holding fd, so that they look again.
 */
void attls_epoll_notify(int fd)
{
	if (holding || !atomic_load_explicit(&waiting, memory_order_relaxed))
		return;
	pthread_mutex_lock(&sets_lock);
	for (struct set *st = sets; st; st = st->next) {
		lock_set(st);
		if (lookup(st, fd))
			wake(st);
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

/* The waiters were the parent's threads. */
void attls_epoll_atfork_child(void)
{
	for (struct set *st = sets; st; st = st->next) {
		st->waiters = 0;
		pthread_mutex_unlock(&st->lock);
	}
	atomic_store(&waiting, 0);
	pthread_mutex_unlock(&sets_lock);
}
