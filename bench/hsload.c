/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Full TLS handshakes under load: CONNS concurrent connections, each doing
 * a full handshake (no session reuse: no session cache, no tickets asked
 * for, no session ever offered), one small request, reading its answer,
 * a close_notify and close; then a new connection in its place, for SECS
 * seconds. One thread, non-blocking sockets, epoll; OpenSSL as the client.
 *   hsload [-c CONNS] [-t SECS] [-n TOTAL] [-H] [-w SECS] [-g GROUPS] http|redis PORT
 * -n TOTAL: no more than TOTAL connections in all; the run ends when they
 * are done (or SECS is up). -H: hold: CONNS connections at once, each
 * kept open after its answer until all CONNS have answered, then all
 * closed; no new ones (the figure printed first is then 0). -w SECS:
 * with -H, the held connections stay open SECS more before they close.
 * http: GET /f1024 (HTTP/1.1, keep-alive) and its whole 200 answer;
 * redis: PING and +PONG. Connects to 127.0.0.1 with SNI "localhost"; the
 * server's certificate is not verified (its CertificateVerify is), so that
 * the client spends as little as it can per handshake.
 * When the time is up no new connection starts, and those under way are
 * let finish (for 5 s at most), so that no handshake is cut off.
 * Prints "HANDSHAKES_PER_S DONE ERRORS GROUP CPU": the rate in the SECS
 * seconds, every connection completed (those that finished after SECS
 * too), connections that failed, the key exchange group of the first, and
 * the share of one core hsload itself used (near 100: the client, not the
 * server, limits the rate).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { CONNECTING, HANDSHAKE, REQUEST, RESPONSE, HELD };

struct conn {
	int fd;
	SSL *ssl;
	enum state st;
	size_t got;
	char buf[4096];
};

static SSL_CTX *ctx;
static int ep, port, redis;
static long done, counted, errors, active, started, total = -1;
static int draining, hold;
static char group[64] = "-";
static const char *req;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void watch(struct conn *c, int op, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(ep, op, c->fd, &ev) < 0)
		die("epoll_ctl");
}

static void start(struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->ssl = SSL_new(ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) ||
	    !SSL_set_tlsext_host_name(c->ssl, "localhost")) {
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	c->got = 0;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		die("connect");
	c->st = CONNECTING;
	active++;
	started++;
	watch(c, EPOLL_CTL_ADD, EPOLLOUT);
}

static void finish(struct conn *c, int ok)
{
	if (ok && hold) {
		/* Kept open, and no longer watched, until the run ends. */
		done++;
		c->st = HELD;
		if (epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL) < 0)
			die("epoll_ctl");
		return;
	}
	if (ok) {
		done++;
		SSL_shutdown(c->ssl); /* our close_notify; not waiting for theirs */
	} else if (errors++ < 5) {
		fprintf(stderr, "hsload: connection failed in state %d: ", c->st);
		ERR_print_errors_fp(stderr);
		fputc('\n', stderr);
	}
	ERR_clear_error();
	SSL_free(c->ssl);
	close(c->fd);
	active--;
	if (!draining && !hold && (total < 0 || started < total))
		start(c);
}

/* A held connection ends: our close_notify, and close. */
static void end_held(struct conn *c)
{
	SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	close(c->fd);
	active--;
}

/* Whether the answer in c->buf is complete (1), incomplete (0), wrong (-1). */
static int answered(struct conn *c)
{
	const char *end, *cl;

	if (redis) {
		if (c->got < 7)
			return 0;
		return memcmp(c->buf, "+PONG\r\n", 7) ? -1 : 1;
	}
	c->buf[c->got] = '\0';
	end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return c->got < sizeof(c->buf) - 1 ? 0 : -1;
	if (strncmp(c->buf, "HTTP/1.1 200 ", 13))
		return -1;
	cl = strcasestr(c->buf, "\r\nContent-Length:");
	if (!cl || cl > end)
		return -1;
	return c->got >= (size_t)(end + 4 - c->buf) + strtoul(cl + 17, NULL, 10);
}

/* Drives c as far as it goes without waiting. */
static void step(struct conn *c)
{
	int r = 0, err = 0, want;
	socklen_t len = sizeof(err);

	for (;;) {
		switch (c->st) {
		case CONNECTING:
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
				finish(c, 0);
				return;
			}
			c->st = HANDSHAKE;
			continue;
		case HANDSHAKE:
			r = SSL_connect(c->ssl);
			if (r == 1) {
				c->st = REQUEST;
				continue;
			}
			break;
		case REQUEST:
			r = SSL_write(c->ssl, req, strlen(req));
			if (r > 0) {
				c->st = RESPONSE;
				continue;
			}
			break;
		case HELD:
			return;
		case RESPONSE:
			/* Room kept for the http parser's terminating NUL; a
			 * longer answer than the buffer holds is an error. */
			if (c->got >= sizeof(c->buf) - 1) {
				finish(c, 0);
				return;
			}
			r = SSL_read(c->ssl, c->buf + c->got, sizeof(c->buf) - 1 - c->got);
			if (r > 0) {
				c->got += r;
				switch (answered(c)) {
				case 1:
					if (!strcmp(group, "-")) {
						const char *g = SSL_group_to_name(c->ssl,
							SSL_get_negotiated_group(c->ssl));
						snprintf(group, sizeof(group), "%s", g ? g : "?");
					}
					finish(c, 1);
					return;
				case -1:
					finish(c, 0);
					return;
				}
				continue;
			}
			break;
		}
		want = SSL_get_error(c->ssl, r);
		if (want == SSL_ERROR_WANT_READ) {
			watch(c, EPOLL_CTL_MOD, EPOLLIN);
		} else if (want == SSL_ERROR_WANT_WRITE) {
			watch(c, EPOLL_CTL_MOD, EPOLLOUT);
		} else {
			finish(c, 0);
		}
		return;
	}
}

int main(int argc, char **argv)
{
	int nconn = 64, opt, i, n;
	double secs = 5, t0, end, tcount = 0, wait = 0;
	const char *groups = NULL;
	struct conn *conns;
	struct epoll_event evs[256];
	struct rusage ru;

	while ((opt = getopt(argc, argv, "c:t:n:Hw:g:")) != -1) {
		switch (opt) {
		case 'w':
			wait = atof(optarg);
			break;
		case 'n':
			total = atol(optarg);
			break;
		case 'H':
			hold = 1;
			break;
		case 'c':
			nconn = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'g':
			groups = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || nconn < 1 || secs <= 0 || (total >= 0 && total < nconn))
		goto usage;
	redis = !strcmp(argv[optind], "redis");
	if (!redis && strcmp(argv[optind], "http"))
		goto usage;
	req = redis ? "PING\r\n" : "GET /f1024 HTTP/1.1\r\nHost: localhost\r\n\r\n";
	port = atoi(argv[optind + 1]);

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    (groups && !SSL_CTX_set1_groups_list(ctx, groups))) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);

	ep = epoll_create1(EPOLL_CLOEXEC);
	conns = calloc(nconn, sizeof(*conns));
	if (ep < 0 || !conns)
		die("setup");
	t0 = now();
	end = t0 + secs;
	for (i = 0; i < nconn; i++)
		start(&conns[i]);
	/* Held connections count as active until the end: they are still open. */
	while (active - (hold ? done : 0) > 0 && now() < end + 5) {
		if (!draining && now() >= end) {
			draining = 1;
			counted = done;
			tcount = now();
		}
		n = epoll_wait(ep, evs, 256, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			step(evs[i].data.ptr);
	}
	if (!draining) {
		counted = done;
		tcount = now();
	}
	if (hold) {
		counted = 0;
		if (wait > 0)
			usleep((useconds_t)(wait * 1e6));
		for (i = 0; i < nconn; i++)
			if (conns[i].st == HELD)
				end_held(&conns[i]);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%.0f %ld %ld %s %.0f\n", counted / (tcount - t0), done, errors + active, group,
	       100 * (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		      ru.ru_stime.tv_usec / 1e6) / (now() - t0));
	return 0;
usage:
	fprintf(stderr, "usage: hsload [-c CONNS] [-t SECS] [-n TOTAL] [-H] [-w SECS] [-g GROUPS] "
		"http|redis PORT\n");
	return 2;
}
