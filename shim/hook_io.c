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
	struct iovec iov = { (void *)buf, len };
	bool h;
	ssize_t r = tls_send(fd, &iov, 1, 0, &h);

	return h ? r : REAL(write)(fd, buf, len);
}

ATTLS_HOOK ssize_t send(int fd, const void *buf, size_t len, int flags)
{
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

/*
 * sendfile to a TLS fd: read, then a TLS write. With an offset pointer
 * the file position does not move, as sendfile promises.
 */
static ssize_t tls_sendfile(struct attls_session *s, int in, off_t *off, size_t count)
{
	char buf[16384];
	size_t done = 0;

	while (done < count) {
		size_t want = count - done < sizeof(buf) ? count - done : sizeof(buf);
		ssize_t n = off ? pread(in, buf, want, *off) : REAL(read)(in, buf, want);
		ssize_t w;

		if (n <= 0)
			return done ? (ssize_t)done : n;
		struct iovec iov = { buf, (size_t)n };
		w = attls_session_sendv(s, &iov, 1, done ? MSG_DONTWAIT : 0);
		if (w < 0) {
			if (!off)
				lseek(in, -n, SEEK_CUR);
			return done ? (ssize_t)done : -1;
		}
		if (off)
			*off += w;
		else if (w < n)
			lseek(in, w - n, SEEK_CUR);
		done += (size_t)w;
		if (w < n)
			break;
	}
	return (ssize_t)done;
}

ATTLS_HOOK ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	struct attls_conn *c = attls_fd_get(out);
	ssize_t r;

	if (!c)
		return REAL(sendfile)(out, in, off, count);
	r = tls_sendfile(c->s, in, off, count);
	attls_conn_put(c);
	return r;
}

ATTLS_HOOK ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	struct attls_conn *c = attls_fd_get(out);
	ssize_t r;

	if (!c)
		return REAL(sendfile64)(out, in, off, count);
	r = tls_sendfile(c->s, in, off, count);
	attls_conn_put(c);
	return r;
}
