/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The data calls: on a TLS fd they read and write clear text through TLS. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdtable.h"
#include "hooks.h"
#include "real.h"

extern void __chk_fail(void) __attribute__((noreturn));

/* Fills the iovecs: the first read may wait, the rest only take what is there. */
static ssize_t recv_iov(struct attls_session *s, const struct iovec *iov, int n, int flags)
{
	ssize_t total = 0;

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

static ssize_t tls_recv(int fd, void *buf, size_t len, int flags, bool *handled)
{
	struct attls_conn *c = attls_fd_get(fd);
	ssize_t r;

	*handled = c != NULL;
	if (!c)
		return 0;
	if (flags & MSG_OOB) {
		attls_conn_put(c);
		errno = EOPNOTSUPP;
		return -1;
	}
	r = attls_session_recv(c->s, buf, len, flags);
	attls_conn_put(c);
	return r;
}

static ssize_t tls_send(int fd, const struct iovec *iov, int n, int flags, bool *handled)
{
	struct attls_conn *c = attls_fd_get(fd);
	ssize_t r;

	*handled = c != NULL;
	if (!c)
		return 0;
	if (flags & MSG_OOB) {
		attls_conn_put(c);
		errno = EOPNOTSUPP;
		return -1;
	}
	r = attls_session_sendv(c->s, iov, n, flags);
	attls_conn_put(c);
	/* As the kernel would: EPIPE raises SIGPIPE unless asked not to. */
	if (r < 0 && errno == EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return r;
}

ATTLS_HOOK ssize_t read(int fd, void *buf, size_t len)
{
	if (attls_fd_clear(fd))
		return REAL(read)(fd, buf, len);
	bool h;
	ssize_t r = tls_recv(fd, buf, len, 0, &h);

	return h ? r : REAL(read)(fd, buf, len);
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
	bool h;
	ssize_t r = tls_recv(fd, buf, len, flags, &h);

	return h ? r : REAL(recv)(fd, buf, len, flags);
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
	bool h;
	ssize_t r = tls_recv(fd, buf, len, flags, &h);

	if (!h)
		return REAL(recvfrom)(fd, buf, len, flags, addr, alen);
	if (r >= 0 && addr && alen)
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
	struct attls_conn *c = attls_fd_get(fd);
	ssize_t r;

	if (!c)
		return REAL(readv)(fd, iov, n);
	r = recv_iov(c->s, iov, n, 0);
	attls_conn_put(c);
	return r;
}

ATTLS_HOOK ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct attls_conn *c = attls_fd_get(fd);
	ssize_t r;

	if (!c)
		return REAL(recvmsg)(fd, msg, flags);
	r = recv_iov(c->s, msg->msg_iov, (int)msg->msg_iovlen, flags);
	attls_conn_put(c);
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
	bool h;
	ssize_t r = tls_send(fd, &iov, 1, 0, &h);

	return h ? r : REAL(write)(fd, buf, len);
}

ATTLS_HOOK ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (attls_fd_clear(fd))
		return REAL(send)(fd, buf, len, flags);
	struct iovec iov = { (void *)buf, len };
	bool h;
	ssize_t r = tls_send(fd, &iov, 1, flags, &h);

	return h ? r : REAL(send)(fd, buf, len, flags);
}

ATTLS_HOOK ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			  const struct sockaddr *addr, socklen_t alen)
{
	struct iovec iov = { (void *)buf, len };
	bool h;
	ssize_t r = tls_send(fd, &iov, 1, flags, &h);

	return h ? r : REAL(sendto)(fd, buf, len, flags, addr, alen);
}

ATTLS_HOOK ssize_t writev(int fd, const struct iovec *iov, int n)
{
	if (attls_fd_clear(fd))
		return REAL(writev)(fd, iov, n);
	bool h;
	ssize_t r = tls_send(fd, iov, n, 0, &h);

	return h ? r : REAL(writev)(fd, iov, n);
}

ATTLS_HOOK ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	bool h;
	ssize_t r = tls_send(fd, msg->msg_iov, (int)msg->msg_iovlen, flags, &h);

	return h ? r : REAL(sendmsg)(fd, msg, flags);
}

/* Batches of messages: each is a recvmsg or sendmsg; the first may wait. */
ATTLS_HOOK int recvmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags,
			struct timespec *timeout)
{
	struct attls_conn *c = attls_fd_get(fd);
	unsigned i;

	if (!c)
		return REAL(recvmmsg)(fd, vec, n, flags, timeout);
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
	struct attls_conn *c = attls_fd_get(fd);
	unsigned i;

	if (!c)
		return REAL(sendmmsg)(fd, vec, n, flags);
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
