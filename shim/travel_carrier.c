/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The carrier (travel_carrier.h). SOCK_SEQPACKET, so that a receiver
 * without attls that reads it finds the header, then end of file, and
 * whose writes fail with EPIPE (the sender's end is closed), as on the
 * dead socket it took for its connection. Uses fds of its own for the
 * call only, all close-on-exec (REAL() for the calls attls hooks): a
 * second thread never sees their numbers; a fork while one is open leaves
 * the child a copy that its exec closes (see attls_carrier_drop for the
 * one that matters).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "real.h"
#include "travel_carrier.h"

#define CARRIER_MAGIC "ATTLS-CARRIER\0\0\x01"
#define CARRIER_VERSION 1u

struct carrier_head {
	char magic[16];
	uint32_t version, count;
	uint32_t pos[ATTLS_SCM_MAX_FD];
};

#define HEAD_LEN(k) (offsetof(struct carrier_head, pos) + (k) * sizeof(uint32_t))

int attls_carrier_make(int memfd, const int *real, const uint32_t *pos, size_t k)
{
	static struct carrier_head zero;
	struct carrier_head h = zero;
	union {
		struct cmsghdr align;
		unsigned char b[CMSG_SPACE(ATTLS_SCM_MAX_FD * sizeof(int))];
	} ctl;
	struct iovec iov = { &h, HEAD_LEN(k) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = CMSG_SPACE((k + 1) * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int sv[2], err;

	if (k == 0 || k >= ATTLS_SCM_MAX_FD) {
		errno = EINVAL;
		return -1;
	}
	memcpy(h.magic, CARRIER_MAGIC, sizeof(h.magic));
	h.version = CARRIER_VERSION;
	h.count = (uint32_t)k;
	memcpy(h.pos, pos, k * sizeof(uint32_t));
	memset(ctl.b, 0, sizeof(ctl.b));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((k + 1) * sizeof(int));
	memcpy(CMSG_DATA(cm), &memfd, sizeof(int));
	memcpy(CMSG_DATA(cm) + sizeof(int), real, k * sizeof(int));
	if (REAL(socketpair)(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (REAL(sendmsg)(sv[0], &m, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)iov.iov_len) {
		err = errno ? errno : EIO;
		REAL(close)(sv[0]);
		REAL(close)(sv[1]);
		errno = err;
		return -1;
	}
	/* The message stays queued on sv[1]; nobody may write there again. */
	REAL(close)(sv[0]);
	return sv[1];
}

/* Every fd of m's SCM_RIGHTS, closed. */
static void close_rights(struct msghdr *m)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			REAL(close)(fd);
		}
	}
}

void attls_carrier_drop(int carrier)
{
	int saved = errno;
	struct carrier_head h;
	union {
		struct cmsghdr align;
		unsigned char b[CMSG_SPACE(ATTLS_SCM_MAX_FD * sizeof(int))];
	} ctl;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };

	if (REAL(recvmsg)(carrier, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) >= 0)
		close_rights(&m);
	REAL(close)(carrier);
	errno = saved;
}

/* Whether fd is a unix SOCK_SEQPACKET socket whose next message starts with the magic. */
static bool looks_like(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);
	char magic[sizeof(CARRIER_MAGIC) - 1];

	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_UNIX)
		return false;
	len = sizeof(v);
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &v, &len) < 0 || v != SOCK_SEQPACKET)
		return false;
	/* No control buffer: a peek installs no fd. */
	return REAL(recv)(fd, magic, sizeof(magic), MSG_PEEK | MSG_DONTWAIT) ==
		       (ssize_t)sizeof(magic) &&
	       !memcmp(magic, CARRIER_MAGIC, sizeof(magic));
}

int attls_carrier_open(int fd, bool peek, int *memfd, int *real, uint32_t *pos, size_t *k,
		       pid_t *pid, uid_t *uid)
{
	struct carrier_head h;
	union {
		struct cmsghdr align;
		unsigned char b[CMSG_SPACE(ATTLS_SCM_MAX_FD * sizeof(int))];
	} ctl;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	size_t nfds = 0;
	ssize_t n;
	int saved = errno;

	*k = 0;
	if (!looks_like(fd)) {
		errno = saved;
		return 0;
	}
	*pid = 0;
	*uid = (uid_t)-1;
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
		*pid = cr.pid;
		*uid = cr.uid;
	}
	n = REAL(recvmsg)(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | (peek ? MSG_PEEK : 0));
	if (n < 0)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len >= CMSG_LEN(0))
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	if ((size_t)n < HEAD_LEN(0) || h.version != CARRIER_VERSION || h.count == 0 ||
	    h.count >= ATTLS_SCM_MAX_FD || (size_t)n != HEAD_LEN(h.count) ||
	    nfds != h.count + 1 || (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) ||
	    CMSG_NXTHDR(&m, cm)) {
		/* One of ours that did not come whole (no fd left, another version). */
		close_rights(&m);
		errno = EPROTO;
		return -1;
	}
	memcpy(memfd, CMSG_DATA(cm), sizeof(int));
	memcpy(real, CMSG_DATA(cm) + sizeof(int), h.count * sizeof(int));
	memcpy(pos, h.pos, h.count * sizeof(uint32_t));
	*k = h.count;
	errno = saved;
	return 1;
}
