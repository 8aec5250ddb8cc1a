/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The receiver's side of a session that travels with its socket through
 * SCM_RIGHTS (travel.h).
 *
 * On a unix socket, recvmsg and recvmmsg give the kernel a copy of the
 * program's msghdr whose control buffer has room for one fd more, so the
 * sender's handoff memfd (always the first fd: travel_send.c) never makes
 * the program's own fds come up short (MSG_CTRUNC). Then:
 *  - if the first fd received is a handoff memfd (travel_wire.c) whose
 *    sockets were all received in the same message, it is taken out of
 *    what the program sees (the program's fds move up, cmsg_len and
 *    msg_controllen as if it had never been there), read, closed, and each
 *    session kept for the first use of its socket (lib/handoff.h), where
 *    it is taken up instead of a new handshake;
 *  - if it is not, and the room added let in one fd the program's buffer
 *    had no room for, that fd is closed and MSG_CTRUNC set, as the kernel
 *    would have done;
 *  - a memfd that only looks like one (another name, no seals, another
 *    magic) is left to the program as it is.
 * A handoff attls cannot read (another version, no memory) or from a
 * process of another user (SO_PEERCRED: only root or this process's own
 * user may hand it sessions, whose peers it could not have verified) is
 * closed and its sockets refused (ATTLS043E): never used in clear, never
 * given a new handshake in the middle of a TLS stream.
 *
 * Nothing here is kept across calls: the bounce buffer is the call's, the
 * sessions go to the pending imports (lib/handoff.h, its own lock). A
 * second thread receiving on the same socket gets other messages; a
 * signal handler that reads the program's msghdr during the call sees it
 * unchanged until the call returns; a fork during the call leaves the
 * child with the fds the kernel installed before it, in the UNSEEN state.
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

/* The sender may hand this process sessions: root, or this process's user. */
static bool sender_trusted(int via, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	*uid = (uid_t)-1;
	if (REAL(getsockopt)(via, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	*uid = cr.uid;
	return cr.uid == 0 || cr.uid == geteuid();
}

/*
 * fds[1..n) came with handoff memfd fds[0]: whether every session in it
 * belongs to one of them. *e, *ne: what it carries (0 entries if it is
 * not a handoff at all); -1 if it is one attls cannot take up (*why).
 */
static int take_handoff(int via, int *fds, size_t n, struct attls_travel_entry **e, size_t *ne,
			char *why, size_t whylen)
{
	pid_t pid;
	uid_t uid;
	int r = attls_travel_read(fds[0], e, ne, &pid);

	if (r == 0)
		return 0;
	if (r < 0) {
		snprintf(why, whylen, "the sessions cannot be read: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < *ne; i++) {
		bool found = false;

		for (size_t j = 1; j < n && !found; j++) {
			struct stat st;

			found = fstat(fds[j], &st) == 0 && st.st_dev == (*e)[i].dev &&
				st.st_ino == (*e)[i].ino;
		}
		if (!found) {
			/* Not the sockets it came with: not a handoff, the program's. */
			attls_travel_free(*e, *ne);
			*e = NULL;
			*ne = 0;
			return 0;
		}
	}
	if (!sender_trusted(via, &uid)) {
		snprintf(why, whylen, "sent by pid %d of uid %d: only root or uid %d may hand "
			 "this process sessions", (int)pid, (int)uid, (int)geteuid());
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

/* Whether fd is a TCP socket (of AF_INET or AF_INET6). */
static bool is_tcp(int fd)
{
	int dom = 0, type = 0;
	socklen_t len = sizeof(int);

	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0 ||
	    (dom != AF_INET && dom != AF_INET6))
		return false;
	len = sizeof(int);
	return REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

/*
 * Each session is kept for its socket (with the first of the fds received
 * that names it: any of them takes it up at its first use, the others
 * share it). If the handoff is refused (why), or a session cannot be kept,
 * every fd that names its socket is refused instead: never clear text,
 * never a new handshake in the middle of a TLS stream. A handoff that
 * could not be read at all (no entries) refuses every TCP socket it came
 * with.
 */
static void keep_all(int via, const int *fds, size_t n, struct attls_travel_entry *e, size_t ne,
		     const char *why)
{
	char err[160];

	if (!ne) {
		for (size_t j = 0; j < n; j++)
			if (is_tcp(fds[j]))
				not_taken(via, fds[j], why);
		return;
	}
	for (size_t i = 0; i < ne; i++) {
		const char *no = why;
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

/*
 * After the real call: m gets what the kernel wrote in b, as it would have
 * written it in m's own buffer, without the handoff memfd. The sockets
 * whose sessions came with it are kept for their first use.
 */
static void bounce_end(int via, struct msghdr *m, struct bounce *b)
{
	struct msghdr *k = &b->k;
	struct cmsghdr *cm, *rights = NULL;
	struct attls_travel_entry *e = NULL;
	size_t prog = m->msg_controllen, used = k->msg_controllen, ne = 0;
	char why[200];
	int taken = 0;

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
		int fds[256];

		for (size_t i = 0; i < n && i < 256; i++)
			fds[i] = get_fd(rights, i);
		if (n >= 2 && n <= 256) {
			taken = take_handoff(via, fds, n, &e, &ne, why, sizeof(why));
			if (taken) {
				/* The program's fds move up into its place. */
				REAL(close)(fds[0]);
				memmove(CMSG_DATA(rights), CMSG_DATA(rights) + sizeof(int),
					(n - 1) * sizeof(int));
				keep = n - 1;
			}
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
	if (taken) {
		size_t n = (rights->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[256];

		for (size_t i = 0; i < n && i < 256; i++)
			fds[i] = get_fd(rights, i);
		keep_all(via, fds, n < 256 ? n : 256, e, ne, taken < 0 ? why : NULL);
	}
	attls_travel_free(e, ne);
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

		bounce_end(via, msg, &b);
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
				bounce_end(via, &vec[i].msg_hdr, &b[i]);
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
