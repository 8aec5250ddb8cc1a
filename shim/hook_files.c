/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files and pipes to TLS sockets: sendfile, splice and copy_file_range
 * read the data and write it through TLS. Only as much is read as the
 * session takes at once, so nothing read from a pipe is ever dropped, and
 * offsets move exactly by what was sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "fdtable.h"
#include "hooks.h"
#include "real.h"

#define CHUNK 16384

/* Bytes waiting in a pipe (0 for a file: read it until it ends). */
static int pipe_bytes(int fd)
{
	int n = 0;

	return REAL(ioctl)(fd, FIONREAD, &n) == 0 ? n : 0;
}

/*
 * From in (at *off if off, else at its position) to the session, up to
 * count. On a blocking socket every chunk waits for room, as the kernel's
 * sendfile does, so only the end of the input, an error or an interrupt
 * stops it short (never 0 before the end: programs take 0 for the end of
 * the file). On a non-blocking one, what the session takes now goes; from
 * a pipe, after the first chunk, only what the pipe holds. Whatever is
 * read and not taken is given back to a file's position; from a pipe no
 * more is read than the session takes.
 */
static ssize_t to_tls(struct attls_session *s, int in, loff_t *off, size_t count, bool pipe)
{
	char buf[CHUNK];
	size_t done = 0;

	while (done < count) {
		bool more_from_pipe = done && pipe;
		ssize_t room = attls_session_write_room(s, more_from_pipe ? MSG_DONTWAIT : 0);
		bool blocking = room == SSIZE_MAX;
		size_t want = count - done < CHUNK ? count - done : CHUNK;
		ssize_t n, w;

		if (room <= 0)
			return done ? (ssize_t)done : -1;
		if ((size_t)room < want)
			want = (size_t)room;
		if (more_from_pipe) {
			/* Asked once: a writer may fill the pipe meanwhile. */
			size_t held = (size_t)pipe_bytes(in);

			if (held < want)
				want = held;
			if (!want)
				break;
		}
		/*
		 * What is read from a pipe cannot be given back: on a blocking
		 * socket, first wait for the records already queued to go (an
		 * empty write does that, and may be interrupted or time out
		 * with nothing read), so that the chunk is taken whole.
		 */
		if (pipe && blocking && !more_from_pipe &&
		    attls_session_sendv(s, NULL, 0, 0) < 0)
			return done ? (ssize_t)done : -1;
		n = off ? pread(in, buf, want, *off) : REAL(read)(in, buf, want);
		if (n <= 0)
			return done ? (ssize_t)done : n;
		struct iovec iov = { buf, (size_t)n };
		int e;

		w = attls_session_sendv(s, &iov, 1, blocking && !more_from_pipe ? 0 : MSG_DONTWAIT);
		e = errno;
		if (w < 0)
			w = 0;
		if (off)
			*off += w;
		else if (w < n && !pipe)
			lseek(in, w - n, SEEK_CUR);
		done += (size_t)w;
		if (w < n) {
			errno = e;
			return done ? (ssize_t)done : -1;
		}
	}
	return (ssize_t)done;
}

/* From the session into a pipe: peek, write what the pipe takes, consume that. */
static ssize_t from_tls(struct attls_session *s, int out, size_t count, unsigned flags)
{
	char buf[CHUNK];
	ssize_t n, w;

	n = attls_session_recv(s, buf, count < CHUNK ? count : CHUNK,
			       MSG_PEEK | (flags & SPLICE_F_NONBLOCK ? MSG_DONTWAIT : 0));
	if (n <= 0)
		return n;
	w = REAL(write)(out, buf, (size_t)n);
	if (w > 0)
		attls_session_recv(s, buf, (size_t)w, MSG_DONTWAIT);
	return w;
}

/*
 * A write to a fd attls_fd_data refused: -1 with its errno; on a HANDED fd
 * (EPIPE) with SIGPIPE, as the kernel on a socket shut for writing.
 */
static ssize_t handed_write(void)
{
	if (errno == EPIPE)
		raise(SIGPIPE);
	return -1;
}

/* Only pipes answer F_GETPIPE_SZ. */
static bool is_pipe(int fd)
{
	return REAL(fcntl)(fd, F_GETPIPE_SZ) > 0;
}

ATTLS_HOOK ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	struct attls_conn *c;
	int st = attls_fd_data(out, &c);
	ssize_t r;

	if (st <= 0) /* a CLOSING, REFUSED or HANDED fd: -1, never the kernel */
		return st ? handed_write() : REAL(sendfile)(out, in, off, count);
	r = to_tls(c->s, in, (loff_t *)off, count, false);
	attls_conn_put(c);
	return r;
}

ATTLS_HOOK ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	return sendfile(out, in, off, count);
}

ATTLS_HOOK ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
			  unsigned flags)
{
	struct attls_conn *c;
	int saved = errno, so = attls_fd_data(out, &c), si = 0;
	ssize_t r;

	if (so < 0)
		return handed_write();
	if (so == 0 && (si = attls_fd_data(in, &c)) < 0)
		return attls_fd_handed_read(saved) ? 0 : -1; /* CLOSING, REFUSED or HANDED */
	if (so > 0) {
		r = off_out ? (errno = ESPIPE, -1) :
			      to_tls(c->s, in, off_in, len, is_pipe(in));
	} else if (si > 0) {
		r = off_in ? (errno = ESPIPE, -1) : from_tls(c->s, out, len, flags);
	} else {
		return REAL(splice)(in, off_in, out, off_out, len, flags);
	}
	attls_conn_put(c);
	return r;
}

ATTLS_HOOK ssize_t copy_file_range(int in, loff_t *off_in, int out, loff_t *off_out,
				   size_t len, unsigned flags)
{
	struct attls_conn *c;
	int st = attls_fd_data(out, &c);
	ssize_t r;

	if (st < 0)
		return handed_write();
	if (!st)
		return REAL(copy_file_range)(in, off_in, out, off_out, len, flags);
	if (off_out || flags) {
		attls_conn_put(c);
		errno = off_out ? ESPIPE : EINVAL;
		return -1;
	}
	r = to_tls(c->s, in, off_in, len, false);
	attls_conn_put(c);
	return r;
}
