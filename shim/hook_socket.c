/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where connections begin: connect and accept, and the library's start. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>

#include "../lib/engine.h"
#include "../lib/envtrust.h"
#include "../lib/linger.h"
#include "../lib/pkcs11.h"
#include "../lib/trace.h"
#include "epoll_set.h"
#include "fdtable.h"
#include "inherit.h"
#include "hooks.h"
#include "locks.h"
#include "real.h"

/*
 * Before main: resolve the real symbols (the shim's and lib/'s), then
 * read the policy while the program still has the rights its start
 * script gave it. In attls run's second stage (the attls command itself,
 * about to exec the program) the policy is left for the first connection,
 * which never comes. The same in the attls command itself (an attls check
 * run with a unit's LD_PRELOAD), which says so by exporting attls_command
 * (tools/attls.c), so that the command's output is its own. Deferring
 * opens nothing: the first connect or accept loads the policy. Looked up
 * once, here, before main and any thread.
 */
static bool in_attls_command(void)
{
	return dlsym(RTLD_DEFAULT, "attls_command") != NULL;
}

__attribute__((constructor(101))) static void attls_start(void)
{
	int saved = errno;
	bool run_stage = attls_run_marker_clear(attls_secure_exec());

	attls_real_init();
	/* lib/'s own calls to the kernel: the real functions (lib/sysio.h). */
	attls_io_resolve();
	/* Sessions handed over across exec: read, and the variable gone, before main. */
	attls_inherit_start(attls_secure_exec());
	attls_session_set_notify(attls_epoll_notify);
	/* Every attls lock around fork, in one order: shim/locks.h. */
	pthread_atfork(attls_fork_prepare, attls_fork_parent, attls_fork_child);
	if (!run_stage && !in_attls_command())
		attls_engine_init();
	errno = saved;
}

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/*
 * Whether fd is a stream socket attls classifies: TCP, or MPTCP (what
 * mptcpize makes of a program's TCP sockets). 1 yes, 0 no, -1 attls
 * cannot tell (errno set): the connect is refused, never made in clear.
 * EBADF and ENOTSOCK are 0: the real call answers them as it would.
 */
static int is_tcp(int fd)
{
	int type = 0, proto = 0;
	socklen_t len = sizeof(type);

	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return errno == EBADF || errno == ENOTSOCK ? 0 : -1;
	if (type != SOCK_STREAM)
		return 0;
	len = sizeof(proto);
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		return errno == EBADF ? 0 : -1;
	return proto == IPPROTO_TCP || proto == IPPROTO_MPTCP;
}

static bool is_inet(const struct sockaddr *sa)
{
	return sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
}

/* connect again on a TLS fd: how a program asks after EINPROGRESS. */
static int connect_again(struct attls_conn *c, int fd, const struct sockaddr *addr,
			 socklen_t len)
{
	int r = REAL(connect)(fd, addr, len);

	if (r == 0 || errno == EISCONN) {
		if (attls_session_handshake(c->s, false) < 0) {
			if (errno == EAGAIN)
				errno = EALREADY;
			return -1;
		}
		return r;
	}
	return r;
}

ATTLS_HOOK int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct attls_new_conn nc = { .fd = fd, .direction = ATTLS_DIR_OUTBOUND, .remote = addr };
	struct attls_session *s;
	struct attls_conn *c;
	int r, err, tcp;

	if (attls_inside || !is_inet(addr))
		return REAL(connect)(fd, addr, len);
	if ((c = attls_fd_get(fd))) {
		r = connect_again(c, fd, addr, len);
		attls_conn_put(c);
		return r;
	}
	if (attls_fd_closing(fd)) {
		errno = EBADF;
		return -1;
	}
	tcp = is_tcp(fd);
	if (tcp < 0) {
		attls_trace(attls_trace_mask(), ATTLS_MSG_CONN_REFUSED, NULL,
			    "fd=%d: its socket type cannot be read (%s): the connect is refused", fd,
			    strerror(errno));
		errno = EACCES;
		return -1;
	}
	if (!tcp)
		return REAL(connect)(fd, addr, len);
	r = REAL(connect)(fd, addr, len);
	err = errno;
	if (r < 0 && err != EINPROGRESS && err != EINTR)
		return r;
	nc.nonblock = REAL(fcntl)(fd, F_GETFL) & O_NONBLOCK;
	nc.connecting = r < 0;
	switch (attls_engine_classify(&nc, &s)) {
	case ATTLS_CLEAR:
		attls_fd_set_clear(fd);
		break;
	case ATTLS_REFUSE:
		REAL(shutdown)(fd, SHUT_RDWR);
		errno = EACCES;
		return -1;
	case ATTLS_TLS:
		if (attls_fd_attach(fd, s) < 0) {
			REAL(shutdown)(fd, SHUT_RDWR);
			errno = EACCES;
			return -1;
		}
		if (r == 0 && !nc.nonblock) {
			/* A blocking connect returns with the handshake done. */
			c = attls_fd_get(fd);
			r = c ? attls_session_handshake(c->s, true) : -1;
			err = errno;
			if (c)
				attls_conn_put(c);
			if (r < 0 && err != ETIMEDOUT && err != EINTR)
				err = EACCES;
		}
		break;
	}
	errno = err;
	return r;
}

ATTLS_HOOK int __connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return connect(fd, addr, len);
}

/* A connection accepted on a listening socket. */
static int accepted(int fd, int flags)
{
	struct attls_new_conn nc = { .fd = fd, .direction = ATTLS_DIR_INBOUND };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct attls_session *s;
	int saved = errno;

	if (fd < 0)
		return fd;
	attls_fd_new(fd, true); /* a new number: no state left from an fd closed unseen */
	if (attls_inside)
		return fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		/* Which family it is cannot be told: refused, as the engine refuses. */
		attls_trace(attls_trace_mask(), ATTLS_MSG_CONN_REFUSED, NULL,
			    "fd=%d: getsockname: %s: the accepted connection cannot be classified",
			    fd, strerror(errno));
		REAL(close)(fd);
		errno = ECONNABORTED;
		return -1;
	}
	if (!is_inet((struct sockaddr *)&ss)) {
		attls_fd_set_clear(fd); /* a unix socket's connection */
		errno = saved;
		return fd;
	}
	nc.nonblock = flags & SOCK_NONBLOCK;
	switch (attls_engine_classify(&nc, &s)) {
	case ATTLS_CLEAR:
		attls_fd_set_clear(fd);
		break;
	case ATTLS_TLS:
		if (attls_fd_attach(fd, s) == 0)
			break;
		/* fall through */
	case ATTLS_REFUSE:
		REAL(close)(fd);
		errno = ECONNABORTED;
		return -1;
	}
	errno = saved;
	return fd;
}

ATTLS_HOOK int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accepted(REAL(accept)(fd, addr, len), 0);
}

ATTLS_HOOK int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return accepted(REAL(accept4)(fd, addr, len, flags), flags);
}

ATTLS_HOOK int getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
	struct attls_conn *c;

	if (level == SOL_SOCKET && opt == SO_ERROR && val && len &&
	    *len >= (socklen_t)sizeof(int) && (c = attls_fd_get(fd))) {
		int e = attls_session_so_error(c->s);

		attls_conn_put(c);
		if (e) {
			*(int *)val = e;
			*len = sizeof(int);
			return 0;
		}
	}
	return REAL(getsockopt)(fd, level, opt, val, len);
}

/*
 * TCP_CORK on a TLS fd also holds its small records back, so that a
 * response's header and body leave in one send; the kernel is corked too,
 * as the program asked.
 */
ATTLS_HOOK int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	struct attls_conn *c;

	if (level == IPPROTO_TCP && opt == TCP_CORK && val && len >= (socklen_t)sizeof(int) &&
	    (c = attls_fd_get(fd))) {
		int r = attls_session_set_cork(c->s, *(const int *)val != 0);

		attls_conn_put(c);
		if (r < 0)
			return -1;
	}
	return REAL(setsockopt)(fd, level, opt, val, len);
}

ATTLS_HOOK int shutdown(int fd, int how)
{
	struct attls_conn *c = attls_fd_get(fd);
	int r;

	if (!c) {
		if (attls_fd_closing(fd)) {
			errno = EBADF; /* no FIN in the middle of close_notify */
			return -1;
		}
		return REAL(shutdown)(fd, how);
	}
	r = attls_session_shutdown(c->s, how);
	attls_conn_put(c);
	return r;
}
