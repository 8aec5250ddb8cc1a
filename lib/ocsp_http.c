/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ocsp_http.h"
#include "session.h"
#include "sysio.h"

/*
 * The connection is this call's alone: no lock, no state outside it. A
 * signal the program handles only restarts the wait, to the same
 * deadline. A fork by another thread meanwhile leaves the child a copy of
 * the socket, close-on-exec, that it never uses (gone at its exit or
 * exec); the parent's request goes on.
 */

/* A responder's answer is a few KiB; more is not an OCSP response. */
#define RESP_MAX (64u << 10)

struct url {
	char host[256], port[8], path[1024];
};

static int split_url(const char *url, int urlsz, struct url *u)
{
	char buf[1400], *h, *p, *e;
	size_t len;

	if (urlsz <= 7 || (size_t)urlsz >= sizeof(buf) || strncasecmp(url, "http://", 7))
		return -1;
	memcpy(buf, url, (size_t)urlsz);
	buf[urlsz] = '\0';
	h = buf + 7;
	p = strchr(h, '/');
	snprintf(u->path, sizeof(u->path), "%s", p ? p : "/");
	if (p)
		*p = '\0';
	snprintf(u->port, sizeof(u->port), "80");
	if (*h == '[') {
		e = strchr(h, ']');
		if (!e)
			return -1;
		*e = '\0';
		if (e[1] == ':')
			snprintf(u->port, sizeof(u->port), "%s", e + 2);
		h++;
	} else if ((e = strchr(h, ':'))) {
		*e = '\0';
		snprintf(u->port, sizeof(u->port), "%s", e + 1);
	}
	len = strlen(h);
	if (!len || len >= sizeof(u->host))
		return -1;
	memcpy(u->host, h, len + 1);
	return 0;
}

/* Waits for ev on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_for(int fd, short ev, uint64_t deadline)
{
	for (;;) {
		uint64_t now = attls_now_ms();
		struct pollfd pfd = { .fd = fd, .events = ev };
		int n;

		if (now >= deadline)
			return 0;
		n = attls_io.poll(&pfd, 1, (int)(deadline - now));
		if (n > 0)
			return 1;
		/* A signal the program handles: the wait goes on, to the same deadline. */
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int connect_to(const struct url *u, uint64_t deadline, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	int fd = -1, rc;

	/* glibc's resolver makes its sockets by its internal names: no hook sees them. */
	rc = getaddrinfo(u->host, u->port, &hints, &ai);
	if (rc) {
		snprintf(why, whylen, "%s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		int err = 0;
		socklen_t el = sizeof(err);

		fd = attls_io.socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (attls_io.connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline) == 1 &&
		    attls_io.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && !err)
			break;
		snprintf(why, whylen, "connect to %s port %s: %s", u->host, u->port,
			 err ? strerror(err) : attls_now_ms() >= deadline ? "timed out" :
			 strerror(errno));
		attls_io.close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int send_all(int fd, const void *buf, size_t len, uint64_t deadline)
{
	const char *b = buf;

	while (len) {
		ssize_t n = attls_io.send(fd, b, len, MSG_NOSIGNAL);

		if (n > 0) {
			b += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		} else if (n < 0 && errno == EAGAIN && wait_for(fd, POLLOUT, deadline) != 1) {
			return -1;
		}
	}
	return 0;
}

/* The body of a complete "HTTP/1.x 200" answer in buf, or -1. */
static int body_of(unsigned char *buf, size_t len, size_t *off, size_t *blen, char *why,
		   size_t whylen)
{
	char *end = memmem(buf, len, "\r\n\r\n", 4), *cl;
	int code;

	if (!end || sscanf((char *)buf, "HTTP/1.%*1[01] %3d", &code) != 1) {
		snprintf(why, whylen, "not an HTTP answer");
		return -1;
	}
	if (code != 200) {
		snprintf(why, whylen, "the responder answered HTTP %d", code);
		return -1;
	}
	*end = '\0';
	*off = (size_t)(end + 4 - (char *)buf);
	*blen = len - *off;
	cl = strcasestr((char *)buf, "\r\ncontent-length:");
	if (cl) {
		unsigned long n = strtoul(cl + 17, NULL, 10);

		if (n > *blen) {
			snprintf(why, whylen, "the answer was cut short");
			return -1;
		}
		*blen = n;
	}
	if (!*blen) {
		snprintf(why, whylen, "the answer is empty");
		return -1;
	}
	return 0;
}

int attls_ocsp_http(const char *url, int urlsz, const unsigned char *req, int reqsz,
		    unsigned timeout_ms, unsigned char **resp, char *why, size_t whylen)
{
	uint64_t deadline = attls_now_ms() + timeout_ms;
	unsigned char *buf = NULL;
	size_t len = 0, off, blen;
	char head[1600];
	struct url u;
	int fd, n;

	*resp = NULL;
	if (!url || split_url(url, urlsz, &u) < 0) {
		snprintf(why, whylen, "no http:// responder URL");
		return -1;
	}
	fd = connect_to(&u, deadline, why, whylen);
	if (fd < 0)
		return -1;
	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.0\r\nHost: %s:%s\r\nContent-Type: application/ocsp-request\r\n"
		     "Content-Length: %d\r\nConnection: close\r\n\r\n", u.path, u.host, u.port,
		     reqsz);
	if (n < 0 || (size_t)n >= sizeof(head) || send_all(fd, head, (size_t)n, deadline) < 0 ||
	    send_all(fd, req, (size_t)reqsz, deadline) < 0) {
		snprintf(why, whylen, "cannot send the request to %s port %s: %s", u.host, u.port,
			 attls_now_ms() >= deadline ? "timed out" : strerror(errno));
		goto fail;
	}
	buf = malloc(RESP_MAX + 1);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t r = attls_io.recv(fd, buf + len, RESP_MAX - len, 0);

		if (r > 0) {
			len += (size_t)r;
			if (len == RESP_MAX) {
				snprintf(why, whylen, "the answer is larger than %u bytes", RESP_MAX);
				goto fail;
			}
		} else if (r == 0) {
			break;
		} else if (errno == EAGAIN && wait_for(fd, POLLIN, deadline) != 1) {
			snprintf(why, whylen, "no answer from %s port %s within %u ms", u.host,
				 u.port, timeout_ms);
			goto fail;
		} else if (errno != EAGAIN && errno != EINTR) {
			snprintf(why, whylen, "%s port %s: %s", u.host, u.port, strerror(errno));
			goto fail;
		}
	}
	attls_io.close(fd);
	buf[len] = 0;
	if (body_of(buf, len, &off, &blen, why, whylen) < 0) {
		free(buf);
		return -1;
	}
	memmove(buf, buf + off, blen);
	*resp = buf;
	return (int)blen;
fail:
	free(buf);
	attls_io.close(fd);
	return -1;
}
