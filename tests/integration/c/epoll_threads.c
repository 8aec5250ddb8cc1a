/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * epoll with threads, as event-loop servers use it; every connection is
 * TLS by attls on both sides (the policy covers the port both ways).
 *
 *   epoll_threads late PORT ROUNDS
 *	Per round, a new epoll set; a listener thread blocks in epoll_wait
 *	on it before any fd is in it, while worker threads accept
 *	connections and add them (EPOLLIN | EPOLLONESHOT). Clients send
 *	messages and wait for the echo.
 *   epoll_threads dup PORT ROUNDS
 *	The same, the listener waiting on a dup of the epoll fd.
 *   epoll_threads shared PORT ROUNDS
 *	200 connections in one set; two threads wait on it; per round each
 *	client connection sends one message and waits for its echo.
 *
 * Every event's data must be one the program registered, name the
 * connection the message came on, and come once per arming (an atomic
 * flag per connection, set when reported, cleared before the re-arm).
 * Prints "events N foreign F duplicate D wrong W" and exits 0 when all
 * are right; on a hang, alarm prints the same and exits 3.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "util.h"

#define MAGIC 0x5eed0000u
#define MSG 16
#define LATE_CONNS 8
#define LATE_MSGS 50
#define SHARED_CONNS 200
#define CLIENT_THREADS 4

static int port, listen_fd, epfd, wait_fd;
static atomic_int events, foreign, duplicate, wrong, stop_round;
static int srv_fd[SHARED_CONNS * 2], peer_port[SHARED_CONNS * 2];
static atomic_int registered[SHARED_CONNS * 2], inflight[SHARED_CONNS * 2];
static int base; /* the round's first connection index (late) */

static void report(void)
{
	printf("events %d foreign %d duplicate %d wrong %d\n", atomic_load(&events),
	       atomic_load(&foreign), atomic_load(&duplicate), atomic_load(&wrong));
	fflush(stdout);
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("FAIL: no progress (hang)\n");
	report();
	_exit(3);
}

static void full(int fd, void *buf, size_t len, bool wr)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = wr ? write(fd, (char *)buf + done, len - done) :
				 read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(wr ? "write" : "read");
		done += (size_t)n;
	}
}

/* One event: checks it, echoes the message, re-arms. */
static void handle(const struct epoll_event *e)
{
	uint64_t u = e->data.u64;
	unsigned idx = (unsigned)u & 0xffff;
	char m[MSG];

	atomic_fetch_add(&events, 1);
	if ((uint32_t)(u >> 32) != MAGIC || idx >= SHARED_CONNS * 2 ||
	    !atomic_load(&registered[idx])) {
		if (atomic_fetch_add(&foreign, 1) < 5)
			printf("foreign data 0x%016llx, events 0x%x\n", (unsigned long long)u,
			       e->events);
		return;
	}
	if (atomic_exchange(&inflight[idx], 1)) {
		if (atomic_fetch_add(&duplicate, 1) < 5)
			printf("connection %u reported twice for one arming\n", idx);
		return;
	}
	if (!(e->events & EPOLLIN) || (e->events & ~(uint32_t)(EPOLLIN | EPOLLERR | EPOLLHUP))) {
		if (atomic_fetch_add(&wrong, 1) < 5)
			printf("connection %u: events 0x%x\n", idx, e->events);
	}
	full(srv_fd[idx], m, MSG, false);
	if (atoi(m) != peer_port[idx]) {
		if (atomic_fetch_add(&wrong, 1) < 5)
			printf("event for connection %u (port %d) carried the message of port %s\n",
			       idx, peer_port[idx], m);
	}
	full(srv_fd[idx], m, MSG, true);
	atomic_store(&inflight[idx], 0);
	struct epoll_event again = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = u };

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, srv_fd[idx], &again) < 0)
		die("epoll_ctl MOD");
}

static void *listener(void *arg)
{
	struct epoll_event ev[64];

	(void)arg;
	while (!atomic_load(&stop_round)) {
		int n = epoll_wait(wait_fd, ev, 64, 200);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++)
			handle(&ev[i]);
	}
	return NULL;
}

static int port_of(int fd, bool peer)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if ((peer ? getpeername(fd, (struct sockaddr *)&a, &len) :
		    getsockname(fd, (struct sockaddr *)&a, &len)) < 0)
		die("getsockname");
	return ntohs(a.sin_port);
}

static void add(int idx, int fd)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLONESHOT,
				 .data.u64 = (uint64_t)MAGIC << 32 | (unsigned)idx };

	srv_fd[idx] = fd;
	peer_port[idx] = port_of(fd, true);
	atomic_store(&registered[idx], 1);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		die("epoll_ctl ADD");
}

/* late: accepts its share of the round's connections and adds each. */
static void *worker(void *arg)
{
	int share = (int)(intptr_t)arg;

	for (int i = 0; i < LATE_CONNS / 2; i++) {
		int fd = accept(listen_fd, NULL, NULL);

		if (fd < 0)
			die("accept");
		add(base + share * (LATE_CONNS / 2) + i, fd);
	}
	return NULL;
}

struct client {
	int count, msgs;
	int fd[SHARED_CONNS], port[SHARED_CONNS];
};

/* Sends one message per connection, then reads the echoes, msgs times. */
static void *client(void *arg)
{
	struct client *c = arg;
	char m[MSG], back[MSG];

	for (int r = 0; r < c->msgs; r++) {
		for (int i = 0; i < c->count; i++) {
			snprintf(m, sizeof(m), "%d", c->port[i]);
			full(c->fd[i], m, MSG, true);
		}
		for (int i = 0; i < c->count; i++) {
			full(c->fd[i], back, MSG, false);
			if (atoi(back) != c->port[i])
				atomic_fetch_add(&wrong, 1);
		}
	}
	return NULL;
}

static int dial_tls(struct client *c, int i)
{
	c->fd[i] = dial(port);
	c->port[i] = port_of(c->fd[i], false);
	return c->fd[i];
}

/* dup_set: the listener waits on a dup of the epoll fd the workers add to. */
static void late(int rounds, bool dup_set)
{
	for (int r = 0; r < rounds; r++) {
		pthread_t lt, wt[2], ct[LATE_CONNS];
		struct client cl[LATE_CONNS];

		base = (r % 2) * LATE_CONNS;
		for (int i = 0; i < LATE_CONNS; i++)
			atomic_store(&registered[base + i], 0);
		if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
			die("epoll_create1");
		if ((wait_fd = dup_set ? dup(epfd) : epfd) < 0)
			die("dup");
		atomic_store(&stop_round, 0);
		pthread_create(&lt, NULL, listener, NULL);
		usleep(20000); /* the listener is in epoll_wait, the set empty */
		for (int i = 0; i < 2; i++)
			pthread_create(&wt[i], NULL, worker, (void *)(intptr_t)i);
		for (int i = 0; i < LATE_CONNS; i++) {
			cl[i].count = 1;
			cl[i].msgs = LATE_MSGS;
			dial_tls(&cl[i], 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(wt[i], NULL);
		for (int i = 0; i < LATE_CONNS; i++)
			pthread_create(&ct[i], NULL, client, &cl[i]);
		for (int i = 0; i < LATE_CONNS; i++)
			pthread_join(ct[i], NULL);
		atomic_store(&stop_round, 1);
		pthread_join(lt, NULL);
		/* Both ends say goodbye first: no close then waits for its peer's. */
		for (int i = 0; i < LATE_CONNS; i++) {
			shutdown(cl[i].fd[0], SHUT_WR);
			shutdown(srv_fd[base + i], SHUT_WR);
		}
		for (int i = 0; i < LATE_CONNS; i++) {
			close(cl[i].fd[0]);
			close(srv_fd[base + i]);
		}
		if (dup_set)
			close(wait_fd);
		close(epfd);
	}
}

static void *accept_all(void *arg)
{
	(void)arg;
	for (int i = 0; i < SHARED_CONNS; i++) {
		int fd = accept(listen_fd, NULL, NULL);

		if (fd < 0)
			die("accept");
		add(i, fd);
	}
	return NULL;
}

static void shared(int rounds)
{
	static struct client cl[CLIENT_THREADS];
	pthread_t lt[2], ct[CLIENT_THREADS], at;
	int per = SHARED_CONNS / CLIENT_THREADS;

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	wait_fd = epfd;
	/* The waits drive the server side's handshakes while clients dial. */
	for (int i = 0; i < 2; i++)
		pthread_create(&lt[i], NULL, listener, NULL);
	pthread_create(&at, NULL, accept_all, NULL);
	for (int t = 0; t < CLIENT_THREADS; t++) {
		cl[t].count = per;
		cl[t].msgs = rounds;
		for (int i = 0; i < per; i++)
			dial_tls(&cl[t], i);
	}
	pthread_join(at, NULL);
	for (int t = 0; t < CLIENT_THREADS; t++)
		pthread_create(&ct[t], NULL, client, &cl[t]);
	for (int t = 0; t < CLIENT_THREADS; t++)
		pthread_join(ct[t], NULL);
	atomic_store(&stop_round, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(lt[i], NULL);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	int one = 1, rounds;

	if (argc != 4)
		return 2;
	port = atoi(argv[2]);
	rounds = atoi(argv[3]);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm(100);
	a = loopback(port);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(listen_fd, 512) < 0)
		die("listen");
	if (!strcmp(argv[1], "late") || !strcmp(argv[1], "dup"))
		late(rounds, !strcmp(argv[1], "dup"));
	else
		shared(rounds);
	report();
	return atomic_load(&foreign) || atomic_load(&duplicate) || atomic_load(&wrong);
}
