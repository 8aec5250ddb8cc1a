/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sender's side of a session that travels with its socket through
 * SCM_RIGHTS (travel.h).
 *
 * sendmsg(via, msg) where msg's SCM_RIGHTS name TLS fds:
 *  1. each session is exported (lib/handoff.h): from then on it refuses
 *     every call with EBADF, as a closed fd would, in every thread;
 *  2. the sessions go into one sealed memfd, which goes with the real
 *     sockets into a carrier (travel_carrier.h): a new socketpair whose
 *     other end already holds them in a message of its own;
 *  3. a copy of the program's control data (its msghdr is never written)
 *     starts with one more SCM_RIGHTS, the carrier, and names a fresh
 *     unconnected socket of the same family and type (a placeholder)
 *     where the program named a TLS fd; the copy is sent. The receiver
 *     under attls puts the real sockets on the placeholders' numbers
 *     (travel_recv.c); one without attls holds dead sockets, and the TCP
 *     connection ends when the carrier's queue lets the real socket go;
 *  4. sent: every fd of this process that names one of those connections
 *     becomes HANDED (fdtable.h: a read finds end of file, a write says
 *     EPIPE, close only lets go) and ATTLS041I says where it went; not
 *     sent (EAGAIN, EINTR, EPIPE, ...): the carrier's message is taken
 *     back and its fds closed, each export is undone, the sessions go on
 *     as before, and the program gets the call's errno.
 * Who receives is not looked up: no /proc, no sock_diag, nothing that a
 * chroot, another user or a receiver that execs meanwhile could defeat.
 * Where the sessions cannot be exported or packed (no memory, no fd), or
 * the message has no room for the carrier (253 fds already), each
 * connection is ended first (close_notify, then both directions shut),
 * ATTLS044E says why, and the message goes as the program asked.
 *
 * A second thread: between 1 and 4 its calls on those sessions fail with
 * EBADF (the session is exported), never reach the socket, and never wait;
 * after 4 its fd is HANDED. A call that was waiting inside a session when
 * it was exported wakes to EBADF. A signal during the real sendmsg: its
 * handler runs as it would (a write on one of those fds in it says EBADF);
 * the kernel restarts the call after an SA_RESTART handler, and an EINTR
 * undoes it all as any failure does. A fork between 1 and 4: the child's
 * copies of the sessions are exported, so they refuse every call (EBADF)
 * and its close only lets them go; the child never sends a record with
 * keys the receiver now owns. Its copies of the carrier and the
 * placeholders are close-on-exec; after a failed send the carrier's
 * message is taken back before the carrier is closed, so a child's copy
 * holds no socket alive. No attls lock is held across the real sendmsg;
 * the export and its undo take each session's lock (4 in shim/locks.h)
 * one at a time, the HANDED change the table's (3) alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/handoff.h"
#include "../lib/trace.h"
#include "fdtable.h"
#include "real.h"
#include "travel.h"
#include "travel_carrier.h"
#include "travel_wire.h"

/* One connection the message names: its first fd, and its export. */
struct going {
	int fd;
	struct attls_conn *c;
	unsigned char *blob;
	size_t len;
	bool exported;
};

/* Calls fn(fd, arg) for each fd of msg's SCM_RIGHTS; stops at a nonzero answer. */
static int each_fd(const struct msghdr *msg, int (*fn)(int fd, void *arg), void *arg)
{
	struct cmsghdr *cm;

	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return 0;
	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd, r;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if ((r = fn(fd, arg)))
				return r;
		}
	}
	return 0;
}

static int is_tls(int fd, void *arg)
{
	struct attls_conn *c = attls_fd_get(fd);

	(void)arg;
	if (!c)
		return 0;
	attls_conn_put(c);
	return 1;
}

/*
 * A socket received with its session and sent on before its first use
 * takes the session up here (attls_fd_get), so that it goes on with it.
 */
bool attls_msg_names_tls(const struct msghdr *msg)
{
	return (atomic_load_explicit(&attls_tls_fds, memory_order_relaxed) ||
		attls_travel_pending()) &&
	       each_fd(msg, is_tls, NULL);
}

/* One TLS fd of the message: where it stands, and its placeholder. */
struct spot {
	uint32_t pos; /* among the message's fds, in order */
	int fd, placeholder;
};

struct list {
	struct going *v;
	size_t n, cap;
	struct spot spots[ATTLS_SCM_MAX_FD];
	size_t nspots;
	uint32_t seen; /* fds of the message so far */
};

/*
 * Adds fd's connection to the list, once per connection (dup'ed fds share
 * one), and its place in the message; counts the message's fds.
 */
static int collect(int fd, void *arg)
{
	struct list *l = arg;
	struct attls_conn *c;
	uint32_t pos = l->seen++;

	if (pos >= ATTLS_SCM_MAX_FD || !(c = attls_fd_get(fd)))
		return 0;
	l->spots[l->nspots++] = (struct spot){ .pos = pos, .fd = fd, .placeholder = -1 };
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].c == c) {
			attls_conn_put(c);
			return 0;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct going *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv) {
			attls_conn_put(c);
			return -1;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = (struct going){ .fd = fd, .c = c };
	return 0;
}

static void release(struct list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].blob)
			attls_handoff_free(l->v[i].blob, l->v[i].len);
		attls_conn_put(l->v[i].c);
	}
	for (size_t i = 0; i < l->nspots; i++)
		if (l->spots[i].placeholder >= 0)
			REAL(close)(l->spots[i].placeholder);
	free(l->v);
}

/*
 * The sessions cannot be carried: each connection ends before the message
 * goes (close_notify, then the socket shut both ways), so the receiver
 * can neither read nor write it in clear.
 */
static void refuse(int via, struct list *l, const char *why)
{
	for (size_t i = 0; i < l->n; i++) {
		attls_trace(attls_trace_mask(), ATTLS_MSG_TLS_FD_REFUSED,
			    attls_session_who(l->v[i].c->s),
			    "fd %d through unix fd %d: %s; the connection is ended", l->v[i].fd,
			    via, why);
		attls_session_cut(l->v[i].c->s);
		/* This process's copy is a reference to a dead connection now. */
		attls_fd_handed(l->v[i].c);
	}
}

/* A fresh unconnected socket of fd's family and type (close-on-exec); -1 with errno. */
static int placeholder(int fd)
{
	int dom = 0, type = 0;
	socklen_t len = sizeof(int);

	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0)
		return -1;
	len = sizeof(int);
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -1;
	return REAL(socket)(dom, type | SOCK_CLOEXEC, 0);
}

/*
 * A copy of msg whose control data starts with one more SCM_RIGHTS, the
 * carrier, and names each TLS fd's placeholder in its place. The kernel
 * joins the SCM_RIGHTS of one message in order, so the carrier is the
 * first fd the receiver gets: if the receiving program's buffer is too
 * small for all the fds, the kernel drops the program's last ones, never
 * the carrier. *ctl is the buffer to free.
 */
static int with_carrier(const struct msghdr *msg, int carrier, const struct list *l,
			struct msghdr *out, void **ctl)
{
	size_t first = CMSG_SPACE(sizeof(int));
	size_t len = first + msg->msg_controllen, s = 0;
	unsigned char *b = calloc(1, len);
	struct cmsghdr *cm = (struct cmsghdr *)b;
	uint32_t pos = 0;

	if (!b)
		return -1;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &carrier, sizeof(int));
	memcpy(b + first, msg->msg_control, msg->msg_controllen);
	*out = *msg;
	out->msg_control = b;
	out->msg_controllen = len;
	/* The copy's own SCM_RIGHTS, after the carrier's, in the order collect() saw them. */
	for (cm = CMSG_NXTHDR(out, (struct cmsghdr *)b); cm; cm = CMSG_NXTHDR(out, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, pos++)
			if (s < l->nspots && l->spots[s].pos == pos)
				memcpy(CMSG_DATA(cm) + i * sizeof(int), &l->spots[s++].placeholder,
				       sizeof(int));
	}
	*ctl = b;
	return 0;
}

/* Whether the kernel took the message (its fds went with it). */
static bool went(int via, const struct msghdr *msg, ssize_t r)
{
	int type = 0;
	socklen_t len = sizeof(type);
	size_t total = 0;

	if (r > 0)
		return true;
	if (r < 0)
		return false;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		total += msg->msg_iov[i].iov_len;
	/* A stream socket sends no fds with no bytes; a datagram does. */
	return total || (REAL(getsockopt)(via, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
			 type != SOCK_STREAM);
}

/* The unix socket's inode, to name it in ATTLS041I beside its number. */
static unsigned long inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

ssize_t attls_travel_sendmsg(int via, const struct msghdr *msg, int flags)
{
	struct attls_travel_entry *e = NULL;
	/* About 5 kB of stack with real and pos: no allocation to fail before the undo. */
	struct list list = { 0 }, *l = &list;
	struct msghdr copy;
	char why[256];
	void *ctl = NULL;
	int memfd = -1, carrier = -1, err = 0, saved = errno;
	int real[ATTLS_SCM_MAX_FD];
	uint32_t pos[ATTLS_SCM_MAX_FD];
	ssize_t r;

	if (each_fd(msg, collect, l) < 0 || !(e = calloc(l->n ? l->n : 1, sizeof(*e)))) {
		snprintf(why, sizeof(why), "no memory to carry the sessions");
		goto refused;
	}
	if (!l->n) {
		/* Closed meanwhile by another thread: nothing of attls goes. */
		release(l);
		free(e);
		errno = saved;
		return REAL(sendmsg)(via, msg, flags);
	}
	if (l->seen > ATTLS_SCM_MAX_FD) {
		/* The kernel refuses the message (EINVAL): nothing goes, nothing to do. */
		release(l);
		free(e);
		errno = saved;
		return REAL(sendmsg)(via, msg, flags);
	}
	if (l->seen == ATTLS_SCM_MAX_FD) {
		snprintf(why, sizeof(why), "the message holds %u fds, the kernel's most: no room "
			 "for the carrier", l->seen);
		goto refused;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct going *g = &l->v[i];
		struct stat st;

		if (fstat(g->fd, &st) < 0 ||
		    attls_session_export(g->c->s, &g->blob, &g->len, true) < 0) {
			snprintf(why, sizeof(why), "the session of fd %d cannot be carried: %s",
				 g->fd, strerror(errno));
			goto undo;
		}
		g->exported = true;
		e[i] = (struct attls_travel_entry){ st.st_dev, st.st_ino, g->blob, g->len };
	}
	for (size_t i = 0; i < l->nspots; i++) {
		if ((l->spots[i].placeholder = placeholder(l->spots[i].fd)) < 0) {
			snprintf(why, sizeof(why), "no socket to stand for fd %d: %s",
				 l->spots[i].fd, strerror(errno));
			goto undo;
		}
		real[i] = l->spots[i].fd;
		pos[i] = l->spots[i].pos;
	}
	if ((memfd = attls_travel_seal(e, l->n)) < 0 ||
	    (carrier = attls_carrier_make(memfd, real, pos, l->nspots)) < 0 ||
	    with_carrier(msg, carrier, l, &copy, &ctl) < 0) {
		snprintf(why, sizeof(why), "the sessions cannot be packed: %s", strerror(errno));
		goto undo;
	}
	/* The carrier's message holds the memfd now. */
	REAL(close)(memfd);
	memfd = -1;
	errno = saved;
	r = REAL(sendmsg)(via, &copy, flags);
	err = errno;
	free(ctl);
	free(e);
	if (!went(via, msg, r)) {
		/* Not sent: the sessions stay here, as if nothing had been tried. */
		attls_carrier_drop(carrier);
		for (size_t i = 0; i < l->n; i++)
			attls_session_export_undo(l->v[i].c->s);
		release(l);
		errno = err;
		return r;
	}
	REAL(close)(carrier);
	for (size_t i = 0; i < l->n; i++) {
		attls_trace(attls_trace_mask(), ATTLS_MSG_TLS_FD_SENT,
			    attls_session_who(l->v[i].c->s),
			    "fd %d through unix fd %d (socket:[%lu])", l->v[i].fd, via,
			    inode_of(via));
		attls_fd_handed(l->v[i].c);
	}
	release(l);
	errno = err;
	return r;
undo:
	if (carrier >= 0)
		attls_carrier_drop(carrier);
	if (memfd >= 0)
		REAL(close)(memfd);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].exported)
			attls_session_export_undo(l->v[i].c->s);
refused:
	free(e);
	refuse(via, l, why);
	release(l);
	errno = saved;
	return REAL(sendmsg)(via, msg, flags);
}
