/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The receiver's side of a session that travels with its socket through
 * SCM_RIGHTS (travel.h).
 *
 * On a unix socket, recvmsg and recvmmsg give the kernel a copy of the
 * program's msghdr whose control buffer has room for one fd more, so the
 * sender's carrier (always the first fd: travel_send.c) never makes the
 * program's own fds come up short (MSG_CTRUNC). Then:
 *  - if the first fd received is a carrier (travel_carrier.c: a unix
 *    SOCK_SEQPACKET socket whose waiting message starts with its magic),
 *    its message is taken (with MSG_PEEK if the program peeked, so the
 *    real call finds it again), each real socket in it goes on the number
 *    the kernel gave its placeholder (dup3, close-on-exec as the program
 *    asked with MSG_CMSG_CLOEXEC), the carrier is closed and taken out of
 *    what the program sees (its fds move up, cmsg_len and msg_controllen
 *    as if it had never been there), and each session in the memfd it
 *    carried is kept for the first use of its socket (lib/handoff.h);
 *  - if it is not, and the room added let in one fd the program's buffer
 *    had no room for, that fd is closed and MSG_CTRUNC set, as the kernel
 *    would have done; so is a real socket whose placeholder the kernel
 *    cut for want of room.
 * A carrier whose message attls cannot take (another version, no fd
 * left) leaves the placeholders, dead sockets, to the program; sessions
 * attls cannot read or from a process of another user (the carrier's
 * SO_PEERCRED: only root or this process's own user may hand it sessions,
 * whose peers it could not have verified) refuse their sockets: ATTLS045E,
 * never used in clear, never a new handshake in the middle of a TLS
 * stream.
 *
 * Nothing here is kept across calls: the bounce buffer is the call's, the
 * sessions go to the pending imports (travel_keep.c). A second thread
 * receiving on the same socket gets other messages; one that closes a
 * number it does not know yet (the placeholder's) is the program's
 * mistake as without attls, and dup3 then lands on whatever took the
 * number. A signal handler that reads the program's msghdr during the
 * call sees it unchanged until the call returns. A fork during the call
 * leaves the child with the fds the kernel installed before it: a copy
 * of the carrier there keeps the TCP connection open until the child
 * closes it or execs (if the program did not ask MSG_CMSG_CLOEXEC), never
 * a clear-text path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/engine.h"
#include "../lib/handoff.h"
#include "../lib/trace.h"
#include "fdtable.h"
#include "real.h"
#include "travel.h"
#include "travel_carrier.h"
#include "travel_wire.h"

/* Every fd of msg's SCM_RIGHTS: new numbers no hook made, UNSEEN from now on. */
static void received_fds(const struct msghdr *msg)
{
	struct cmsghdr *cm;

	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			attls_fd_new(fd, true);
		}
	}
}

static bool is_unix(int fd)
{
	int dom = 0, saved = errno;
	socklen_t len = sizeof(dom);
	bool r = REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 && dom == AF_UNIX;

	errno = saved;
	return r;
}

/* One message's call: the kernel's copy of the msghdr and its larger control buffer. */
struct bounce {
	struct msghdr k;
	unsigned char small[256];
	unsigned char *buf;
};

/* Whether m gets a larger buffer (b->k is then what the kernel gets). */
static bool bounce_start(struct msghdr *m, struct bounce *b)
{
	size_t len;

	b->k = *m;
	b->buf = NULL;
	if (!m->msg_control || m->msg_controllen < sizeof(struct cmsghdr))
		return false;
	len = m->msg_controllen + sizeof(int);
	b->buf = len <= sizeof(b->small) ? b->small : malloc(len);
	if (!b->buf)
		return false;
	b->k.msg_control = b->buf;
	b->k.msg_controllen = len;
	return true;
}

static void bounce_free(struct bounce *b)
{
	if (b->buf && b->buf != b->small)
		free(b->buf);
	b->buf = NULL;
}

static int get_fd(const struct cmsghdr *cm, size_t i)
{
	int fd;

	memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
	return fd;
}

/*
 * The sessions in memfd, which came in a carrier from a process of user
 * uid with the sockets fds[0..n): 1 with *e, *ne if each belongs to one
 * of them; -1 if attls cannot take them up (*why).
 */
static int take_handoff(int memfd, pid_t pid, uid_t uid, const int *fds, size_t n,
			struct attls_travel_entry **e, size_t *ne, char *why, size_t whylen)
{
	pid_t wpid;
	int r = attls_travel_read(memfd, e, ne, &wpid);

	if (r <= 0) {
		snprintf(why, whylen, "the sessions cannot be read: %s",
			 r < 0 ? strerror(errno) : "not a handoff");
		return -1;
	}
	for (size_t i = 0; i < *ne; i++) {
		bool found = false;

		for (size_t j = 0; j < n && !found; j++) {
			struct stat st;

			found = fstat(fds[j], &st) == 0 && st.st_dev == (*e)[i].dev &&
				st.st_ino == (*e)[i].ino;
		}
		if (!found) {
			snprintf(why, whylen, "the sessions are not those of the sockets carried");
			return -1;
		}
	}
	/*
	 * Only root, this process's user or one its policy names may hand it
	 * sessions whose peers it could not have verified itself.
	 */
	if (!attls_engine_sessions_from(uid)) {
		snprintf(why, whylen, "sent by pid %d of uid %d: only root, uid %d or a user "
			 "sessions_from names may hand this process sessions", (int)pid, (int)uid,
			 (int)geteuid());
		return -1;
	}
	return 1;
}

/* Whether fd names the socket (dev, ino). */
static bool names(int fd, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static void not_taken(int via, int fd, const char *why)
{
	attls_trace(attls_trace_mask(), ATTLS_MSG_TLS_FD_NOT_TAKEN, NULL,
		    "fd %d through unix fd %d: %s; its data calls fail with ECONNRESET", fd, via,
		    why);
	attls_fd_set_refused(fd);
}

/*
 * Each session is kept for its socket (with the first of the fds received
 * that names it: any of them takes it up at its first use, the others
 * share it). A session that cannot be kept refuses every fd that names
 * its socket instead: never clear text, never a new handshake in the
 * middle of a TLS stream.
 */
static void keep_all(int via, const int *fds, size_t n, struct attls_travel_entry *e, size_t ne)
{
	char err[160];

	for (size_t i = 0; i < ne; i++) {
		const char *no = NULL;
		bool kept = false;

		for (size_t j = 0; j < n && !no && !kept; j++) {
			if (!names(fds[j], e[i].dev, e[i].ino))
				continue;
			if (attls_travel_keep(fds[j], &e[i]) == 0) {
				kept = true;
			} else {
				snprintf(err, sizeof(err), "its session cannot be kept: %s",
					 strerror(errno));
				no = err;
			}
		}
		for (size_t j = 0; j < n && no; j++)
			if (names(fds[j], e[i].dev, e[i].ino))
				not_taken(via, fds[j], no);
	}
}

struct carried;
static void keep_refused(int via, const int *fds, size_t n, const struct carried *c,
			 const char *why);

/* What a carrier brought: the real sockets, where they go, their sessions. */
struct carried {
	int memfd, real[ATTLS_SCM_MAX_FD];
	uint32_t pos[ATTLS_SCM_MAX_FD];
	size_t k;
	pid_t pid;
	uid_t uid;
};

/*
 * fds[0..n) are the program's fds, after the carrier: each real socket
 * goes on the number its placeholder got (dup3: the placeholder closed,
 * the number now names the TCP socket), close-on-exec as the program
 * asked; one whose placeholder the program's buffer had no room for is
 * closed, as the kernel closed the placeholder.
 */
static void put_real(struct carried *c, const int *fds, size_t n, int flags)
{
	for (size_t i = 0; i < c->k; i++) {
		if (c->pos[i] < n &&
		    REAL(dup3)(c->real[i], fds[c->pos[i]],
			       flags & MSG_CMSG_CLOEXEC ? O_CLOEXEC : 0) < 0)
			attls_trace(attls_trace_mask(), ATTLS_MSG_TLS_FD_NOT_TAKEN, NULL,
				    "fd %d: its socket cannot take the number: %s; it stays an "
				    "unconnected socket", fds[c->pos[i]], strerror(errno));
		REAL(close)(c->real[i]);
	}
}

/*
 * After the real call: m gets what the kernel wrote in b, as it would have
 * written it in m's own buffer, without the carrier, and with the real
 * sockets on their placeholders' numbers. Their sessions are kept for
 * their first use.
 */
static void bounce_end(int via, struct msghdr *m, struct bounce *b, int flags)
{
	struct msghdr *k = &b->k;
	struct cmsghdr *cm, *rights = NULL;
	struct attls_travel_entry *e = NULL;
	size_t prog = m->msg_controllen, used = k->msg_controllen, ne = 0;
	char why[200];
	int taken = 0;
	size_t given = 0; /* the program's fds, after the carrier */
	struct carried c;

	for (cm = CMSG_FIRSTHDR(k); cm; cm = CMSG_NXTHDR(k, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len >= CMSG_LEN(0))
			rights = cm;
	if (rights) {
		size_t at = (size_t)((unsigned char *)rights - b->buf);
		size_t n = (rights->cmsg_len - CMSG_LEN(0)) / sizeof(int), keep = n;
		size_t room = prog > at ? prog - at : 0;
		size_t fit = room > sizeof(struct cmsghdr) ?
				     (room - sizeof(struct cmsghdr)) / sizeof(int) : 0;
		int fds[ATTLS_SCM_MAX_FD];

		for (size_t i = 0; i < n && i < ATTLS_SCM_MAX_FD; i++)
			fds[i] = get_fd(rights, i);
		if (n >= 1 && n <= ATTLS_SCM_MAX_FD &&
		    (taken = attls_carrier_open(fds[0], flags & MSG_PEEK, &c.memfd, c.real,
						c.pos, &c.k, &c.pid, &c.uid))) {
			if (taken < 0)
				snprintf(why, sizeof(why), "its sockets cannot be taken from the "
					 "carrier: %s; they stay unconnected sockets",
					 strerror(errno));
			/* The program's fds move up into its place. */
			REAL(close)(fds[0]);
			memmove(CMSG_DATA(rights), CMSG_DATA(rights) + sizeof(int),
				(n - 1) * sizeof(int));
			keep = n - 1;
			if (taken > 0)
				put_real(&c, fds + 1, keep < fit ? keep : fit, flags);
		}
		if (keep > fit) {
			/* Let in only by the room attls added: as the kernel, cut. */
			for (size_t i = fit; i < keep; i++)
				REAL(close)(get_fd(rights, i));
			keep = fit;
			k->msg_flags |= MSG_CTRUNC;
		}
		if (keep) {
			size_t space = CMSG_SPACE(keep * sizeof(int));

			rights->cmsg_len = CMSG_LEN(keep * sizeof(int));
			used = at + (space < room ? space : room);
		} else {
			used = at;
		}
		given = keep;
	}
	if (used > prog) {
		/* Room attls added let in more than the program's buffer holds. */
		used = prog;
		k->msg_flags |= MSG_CTRUNC;
	}
	memcpy(m->msg_control, b->buf, used);
	m->msg_controllen = used;
	m->msg_namelen = k->msg_namelen;
	m->msg_flags = k->msg_flags;
	received_fds(m);
	if (taken < 0) {
		attls_trace(attls_trace_mask(), ATTLS_MSG_TLS_FD_NOT_TAKEN, NULL,
			    "a message through unix fd %d: %s", via, why);
	} else if (taken > 0) {
		size_t n = given;
		int fds[ATTLS_SCM_MAX_FD];

		for (size_t i = 0; i < n; i++)
			fds[i] = get_fd(rights, i);
		if (take_handoff(c.memfd, c.pid, c.uid, fds, n, &e, &ne, why, sizeof(why)) < 0)
			keep_refused(via, fds, n, &c, why);
		else
			keep_all(via, fds, n, e, ne);
		REAL(close)(c.memfd);
	}
	attls_travel_free(e, ne);
}

/* The sessions cannot be taken up: each real socket that came is refused. */
static void keep_refused(int via, const int *fds, size_t n, const struct carried *c,
			 const char *why)
{
	for (size_t i = 0; i < c->k; i++)
		if (c->pos[i] < n)
			not_taken(via, fds[c->pos[i]], why);
}

ssize_t attls_travel_recvmsg(int via, struct msghdr *msg, int flags)
{
	struct bounce b;
	ssize_t r;

	if (!msg || !bounce_start(msg, &b) || !is_unix(via)) {
		if (msg)
			bounce_free(&b);
		r = REAL(recvmsg)(via, msg, flags);
		if (r >= 0)
			received_fds(msg);
		return r;
	}
	r = REAL(recvmsg)(via, &b.k, flags);
	if (r >= 0) {
		int saved = errno;

		bounce_end(via, msg, &b, flags);
		errno = saved;
	}
	bounce_free(&b);
	return r;
}

int attls_travel_recvmmsg(int via, struct mmsghdr *vec, unsigned n, int flags,
			  struct timespec *timeout)
{
	struct mmsghdr *kv = NULL;
	struct bounce *b = NULL;
	bool any = false;
	int r;

	if (vec && n && n <= 1024 && is_unix(via) && (kv = malloc(n * sizeof(*kv))) &&
	    (b = malloc(n * sizeof(*b)))) {
		for (unsigned i = 0; i < n; i++) {
			any |= bounce_start(&vec[i].msg_hdr, &b[i]);
			kv[i] = vec[i];
			kv[i].msg_hdr = b[i].k;
		}
	}
	if (!any) {
		/* No control buffer to widen (or no memory): the kernel's call as it is. */
		if (b)
			for (unsigned i = 0; i < n; i++)
				bounce_free(&b[i]);
		free(b);
		free(kv);
		r = REAL(recvmmsg)(via, vec, n, flags, timeout);
		for (int i = 0; i < r; i++)
			received_fds(&vec[i].msg_hdr);
		return r;
	}
	r = REAL(recvmmsg)(via, kv, n, flags, timeout);
	if (r > 0) {
		int saved = errno;

		for (int i = 0; i < r; i++) {
			b[i].k = kv[i].msg_hdr;
			vec[i].msg_len = kv[i].msg_len;
			if (b[i].buf) {
				bounce_end(via, &vec[i].msg_hdr, &b[i], flags);
			} else {
				vec[i].msg_hdr = kv[i].msg_hdr; /* the program's own buffer */
				received_fds(&vec[i].msg_hdr);
			}
		}
		errno = saved;
	}
	for (unsigned i = 0; i < n; i++)
		bounce_free(&b[i]);
	free(b);
	free(kv);
	return r;
}
