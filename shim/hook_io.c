/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The data calls: on a TLS fd they read and write clear text through TLS. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/trace.h"
#include "fdtable.h"
#include "hooks.h"
#include "real.h"
#include "travel.h"

extern void __chk_fail(void) __attribute__((noreturn));

/* Fills the iovecs: the first read may wait, the rest only take what is there. */
static ssize_t recv_iov_once(struct attls_session *s, const struct iovec *iov, int n, int flags)
{
	ssize_t total = 0;

	if (n < 0 || n > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		ssize_t r;

		if (!iov[i].iov_len)
			continue;
		r = attls_session_recv(s, iov[i].iov_base, iov[i].iov_len,
				       total ? flags | MSG_DONTWAIT : flags);
		if (r < 0)
			return total ? total : -1;
		total += r;
		if ((size_t)r < iov[i].iov_len || (flags & MSG_PEEK))
			break;
	}
	return total;
}

/* A call that succeeds leaves errno as the program had it, as libc does. */
static ssize_t recv_iov(struct attls_session *s, const struct iovec *iov, int n, int flags)
{
	int saved = errno;
	ssize_t r = recv_iov_once(s, iov, n, flags);

	if (r >= 0)
		errno = saved;
	return r;
}

/*
 * Each data call asks the fd table first: 0 clear text (the kernel's), 1
 * TLS, -1 refused (a CLOSING fd: EBADF; a REFUSED one: ECONNRESET).
 * *state says which; on 1 the call is done here and r is its result.
 */
static ssize_t tls_recv(int fd, void *buf, size_t len, int flags, int *state)
{
	struct attls_conn *c;
	int saved = errno;
	ssize_t r;

	*state = attls_fd_data(fd, &c);
	if (*state < 0 && attls_fd_handed_read(saved))
		return 0; /* its session went to another process: end of file */
	if (*state <= 0)
		return -1;
	if (flags & MSG_OOB) {
		attls_conn_put(c);
		errno = EOPNOTSUPP;
		return -1;
	}
	if (flags & MSG_TRUNC) {
		/* TCP discards what MSG_TRUNC reads (buf may be NULL): so does attls. */
		char scratch[16384];

		r = attls_session_recv(c->s, scratch, len < sizeof(scratch) ? len : sizeof(scratch),
				       flags & ~MSG_TRUNC);
	} else {
		r = attls_session_recv(c->s, buf, len, flags);
	}
	attls_conn_put(c);
	if (r >= 0)
		errno = saved;
	return r;
}

static ssize_t tls_send(int fd, const struct iovec *iov, int n, int flags, int *state)
{
	struct attls_conn *c;
	int saved = errno;
	ssize_t r;

	*state = attls_fd_data(fd, &c);
	if (*state < 0 && errno == EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE); /* a HANDED fd: as on a socket shut for writing */
	if (*state <= 0)
		return -1;
	if (flags & MSG_OOB || n < 0 || n > IOV_MAX) {
		attls_conn_put(c);
		errno = flags & MSG_OOB ? EOPNOTSUPP : EINVAL;
		return -1;
	}
	r = attls_session_sendv(c->s, iov, n, flags);
	attls_conn_put(c);
	/* As the kernel would: EPIPE raises SIGPIPE unless asked not to. */
	if (r < 0 && errno == EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	if (r >= 0)
		errno = saved;
	return r;
}

/* The clear path: 0 goes to the kernel, else the result is r. */
#define CLEAR_OR(st, r, kernel) ((st) == 0 ? (kernel) : (r))

ATTLS_HOOK ssize_t read(int fd, void *buf, size_t len)
{
	if (attls_fd_clear(fd))
		return REAL(read)(fd, buf, len);
	int st;
	ssize_t r = tls_recv(fd, buf, len, 0, &st);

	return CLEAR_OR(st, r, REAL(read)(fd, buf, len));
}

ATTLS_HOOK ssize_t __read(int fd, void *buf, size_t len)
{
	return read(fd, buf, len);
}

ATTLS_HOOK ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return read(fd, buf, len);
}

ATTLS_HOOK ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	if (attls_fd_clear(fd))
		return REAL(recv)(fd, buf, len, flags);
	int st;
	ssize_t r = tls_recv(fd, buf, len, flags, &st);

	return CLEAR_OR(st, r, REAL(recv)(fd, buf, len, flags));
}

ATTLS_HOOK ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		__chk_fail();
	return recv(fd, buf, len, flags);
}

ATTLS_HOOK ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			    struct sockaddr *addr, socklen_t *alen)
{
	if (attls_fd_clear(fd))
		return REAL(recvfrom)(fd, buf, len, flags, addr, alen);
	int st;
	ssize_t r = tls_recv(fd, buf, len, flags, &st);

	if (st == 0)
		return REAL(recvfrom)(fd, buf, len, flags, addr, alen);
	if (st > 0 && r >= 0 && addr && alen)
		*alen = 0; /* as TCP does: no source address */
	return r;
}

ATTLS_HOOK ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
				  struct sockaddr *addr, socklen_t *alen)
{
	if (len > buflen)
		__chk_fail();
	return recvfrom(fd, buf, len, flags, addr, alen);
}

ATTLS_HOOK ssize_t readv(int fd, const struct iovec *iov, int n)
{
	if (attls_fd_clear(fd))
		return REAL(readv)(fd, iov, n);
	struct attls_conn *c;
	int saved = errno, st = attls_fd_data(fd, &c);
	ssize_t r;

	if (st <= 0)
		return st ? (attls_fd_handed_read(saved) ? 0 : -1) : REAL(readv)(fd, iov, n);
	r = recv_iov(c->s, iov, n, 0);
	attls_conn_put(c);
	return r;
}

/*
 * preadv2 and pwritev2 at offset -1 read and write at the current
 * position, which on a socket is readv and writev: TLS on a TLS fd. Any
 * other offset is the kernel's (ESPIPE on a socket). RWF_NOWAIT asks
 * what MSG_DONTWAIT does.
 */
static int rwf_flags(int rwf)
{
	return rwf & RWF_NOWAIT ? MSG_DONTWAIT : 0;
}

ATTLS_HOOK ssize_t preadv2(int fd, const struct iovec *iov, int n, off_t off, int rwf)
{
	struct attls_conn *c;
	int saved = errno, st = off != -1 || attls_fd_clear(fd) ? 0 : attls_fd_data(fd, &c);
	ssize_t r;

	if (st <= 0)
		return st ? (attls_fd_handed_read(saved) ? 0 : -1) :
			    REAL(preadv2)(fd, iov, n, off, rwf);
	r = recv_iov(c->s, iov, n, rwf_flags(rwf));
	attls_conn_put(c);
	return r;
}

ATTLS_HOOK ssize_t preadv64v2(int fd, const struct iovec *iov, int n, off_t off, int rwf)
{
	return preadv2(fd, iov, n, off, rwf);
}

ATTLS_HOOK ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off, int rwf)
{
	int st = 0;
	ssize_t r = off != -1 || attls_fd_clear(fd) ? 0 : tls_send(fd, iov, n, rwf_flags(rwf),
								    &st);

	return st ? r : REAL(pwritev2)(fd, iov, n, off, rwf);
}

ATTLS_HOOK ssize_t pwritev64v2(int fd, const struct iovec *iov, int n, off_t off, int rwf)
{
	return pwritev2(fd, iov, n, off, rwf);
}

/*
 * recvmsg on a clear fd may bring fds (SCM_RIGHTS), and with them the
 * sessions of TLS sockets another process sent (travel_recv.c).
 */
ATTLS_HOOK ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct attls_conn *c;
	int saved = errno, st = attls_fd_clear(fd) ? 0 : attls_fd_data(fd, &c);
	ssize_t r;

	if (st == 0)
		return attls_travel_recvmsg(fd, msg, flags);
	if (st < 0 && !attls_fd_handed_read(saved))
		return -1;
	if (st < 0) {
		r = 0; /* a HANDED fd: end of file */
	} else {
		r = recv_iov(c->s, msg->msg_iov, (int)msg->msg_iovlen, flags);
		attls_conn_put(c);
	}
	if (r >= 0) {
		msg->msg_namelen = 0;
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
	}
	return r;
}

ATTLS_HOOK ssize_t write(int fd, const void *buf, size_t len)
{
	if (attls_fd_clear(fd))
		return REAL(write)(fd, buf, len);
	struct iovec iov = { (void *)buf, len };
	int st;
	ssize_t r = tls_send(fd, &iov, 1, 0, &st);

	return CLEAR_OR(st, r, REAL(write)(fd, buf, len));
}

ATTLS_HOOK ssize_t __write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

ATTLS_HOOK ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (attls_fd_clear(fd))
		return REAL(send)(fd, buf, len, flags);
	struct iovec iov = { (void *)buf, len };
	int st;
	ssize_t r = tls_send(fd, &iov, 1, flags, &st);

	return CLEAR_OR(st, r, REAL(send)(fd, buf, len, flags));
}

ATTLS_HOOK ssize_t __send(int fd, const void *buf, size_t len, int flags)
{
	return send(fd, buf, len, flags);
}

ATTLS_HOOK ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			  const struct sockaddr *addr, socklen_t alen)
{
	if (attls_fd_clear(fd))
		return REAL(sendto)(fd, buf, len, flags, addr, alen);
	struct iovec iov = { (void *)buf, len };
	int st;
	ssize_t r = tls_send(fd, &iov, 1, flags, &st);

	return CLEAR_OR(st, r, REAL(sendto)(fd, buf, len, flags, addr, alen));
}

ATTLS_HOOK ssize_t writev(int fd, const struct iovec *iov, int n)
{
	if (attls_fd_clear(fd))
		return REAL(writev)(fd, iov, n);
	int st;
	ssize_t r = tls_send(fd, iov, n, 0, &st);

	return CLEAR_OR(st, r, REAL(writev)(fd, iov, n));
}

/*
 * sendmsg on a clear fd whose SCM_RIGHTS name TLS fds: their sessions go
 * with them, or their connections end first (travel_send.c).
 */
ATTLS_HOOK ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	int st = 0;
	ssize_t r = attls_fd_clear(fd) ? 0 : tls_send(fd, msg->msg_iov, (int)msg->msg_iovlen,
						      flags, &st);

	if (st != 0)
		return r;
	if (attls_msg_names_tls(msg))
		return attls_travel_sendmsg(fd, msg, flags);
	return REAL(sendmsg)(fd, msg, flags);
}

/* Batches of messages: each is a recvmsg or sendmsg; the first may wait. */
ATTLS_HOOK int recvmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags,
			struct timespec *timeout)
{
	struct attls_conn *c;
	int saved = errno, st = attls_fd_clear(fd) ? 0 : attls_fd_data(fd, &c);
	unsigned i;

	if (st == 0)
		return attls_travel_recvmmsg(fd, vec, n, flags, timeout);
	if (st < 0 && !attls_fd_handed_read(saved))
		return -1;
	if (st < 0) {
		/* A HANDED fd: end of file, one empty message as TCP. */
		if (!n)
			return 0;
		vec[0].msg_len = 0;
		vec[0].msg_hdr.msg_namelen = 0;
		vec[0].msg_hdr.msg_controllen = 0;
		vec[0].msg_hdr.msg_flags = 0;
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct msghdr *m = &vec[i].msg_hdr;
		ssize_t r = recv_iov(c->s, m->msg_iov, (int)m->msg_iovlen,
				     i && (flags & MSG_WAITFORONE) ? flags | MSG_DONTWAIT : flags);

		if (r <= 0) {
			if (r == 0 && i == 0) {
				vec[0].msg_len = 0;
				i = 1; /* end of file: one empty message, as TCP */
			}
			break;
		}
		vec[i].msg_len = (unsigned)r;
		m->msg_namelen = 0;
		m->msg_controllen = 0;
		m->msg_flags = 0;
	}
	attls_conn_put(c);
	return i ? (int)i : -1;
}

ATTLS_HOOK int sendmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags)
{
	struct attls_conn *c;
	int st = attls_fd_clear(fd) ? 0 : attls_fd_data(fd, &c);
	unsigned i;

	if (st == 0) {
		bool tls = false;

		for (i = 0; i < n && !tls; i++)
			tls = attls_msg_names_tls(&vec[i].msg_hdr);
		if (!tls)
			return REAL(sendmmsg)(fd, vec, n, flags);
		/* One message at a time, each as sendmsg: sessions go with theirs. */
		for (i = 0; i < n; i++) {
			int saved = errno;
			ssize_t r = attls_msg_names_tls(&vec[i].msg_hdr) ?
					    attls_travel_sendmsg(fd, &vec[i].msg_hdr, flags) :
					    REAL(sendmsg)(fd, &vec[i].msg_hdr, flags);

			if (r < 0) {
				if (i)
					errno = saved; /* the messages sent are the result */
				break;
			}
			vec[i].msg_len = (unsigned)r;
		}
		return i ? (int)i : -1;
	}
	if (st < 0) {
		if (errno == EPIPE && !(flags & MSG_NOSIGNAL))
			raise(SIGPIPE); /* a HANDED fd */
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct msghdr *m = &vec[i].msg_hdr;
		size_t want = 0;
		ssize_t r = attls_session_sendv(c->s, m->msg_iov, (int)m->msg_iovlen, flags);

		if (r < 0)
			break;
		vec[i].msg_len = (unsigned)r;
		for (size_t j = 0; j < m->msg_iovlen; j++)
			want += m->msg_iov[j].iov_len;
		if ((size_t)r < want) {
			i++;
			break;
		}
	}
	attls_conn_put(c);
	if (!i && errno == EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return i ? (int)i : -1;
}
