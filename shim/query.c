// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attls_query (include/attls.h): what attls made of a program's socket.
 *
 * It looks at fd as a data call would (attls_fd_data): a number no hook
 * has seen yet is classified now, as the next read would, so that the
 * answer is the one the program's own calls will get. The session's
 * fields are copied under its lock (4 in shim/locks.h), with a reference
 * that keeps it alive; a close in another thread meanwhile makes the fd
 * CLOSING, and the answer is the one from before it. A signal handler
 * may call it on a clear-text fd (no lock then); on a TLS fd it takes the
 * session's lock, as any data call does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "../include/attls.h"
#include "fdtable.h"
#include "hooks.h"
#include "real.h"

static void fill(struct attls_conn_info *out, const struct attls_live_info *i,
		 enum attls_state st)
{
	out->under_policy = 1;
	out->state = st == ATTLS_ST_HANDSHAKE ? ATTLS_CONN_HANDSHAKE :
		     st == ATTLS_ST_OPEN      ? ATTLS_CONN_SECURE :
						ATTLS_CONN_FAILED;
	out->direction = i->direction == ATTLS_DIR_INBOUND ? ATTLS_CONN_INBOUND :
							     ATTLS_CONN_OUTBOUND;
	out->resumed = (int)i->resumed;
	snprintf(out->descriptor, sizeof(out->descriptor), "%s", i->descriptor);
	snprintf(out->protocol, sizeof(out->protocol), "%s", i->protocol);
	snprintf(out->cipher, sizeof(out->cipher), "%s", i->cipher);
	snprintf(out->peer_subject, sizeof(out->peer_subject), "%s", i->subject);
	snprintf(out->peer_serial, sizeof(out->peer_serial), "%s", i->serial);
}

ATTLS_HOOK int attls_query(int fd, struct attls_conn_info *out)
{
	struct attls_live_info info;
	struct attls_conn *c = NULL;
	int saved = errno, r;

	if (!out) {
		errno = EFAULT;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->version = ATTLS_QUERY_VERSION;
	if (REAL(fcntl)(fd, F_GETFD) < 0)
		return -1; /* EBADF */
	r = attls_fd_data(fd, &c);
	if (r < 0) {
		if (errno == EBADF) /* its close has begun */
			return -1;
		if (errno == ECONNRESET) {
			out->under_policy = 1;
			out->state = ATTLS_CONN_REFUSED;
		}
		/* EPIPE: its session went to another process; this number is a plain reference */
		errno = saved;
		return 0;
	}
	if (r == 1) {
		fill(out, &info, attls_session_info(c->s, &info));
		if (attls_fd_closing(fd))
			out->state = ATTLS_CONN_CLOSING;
		attls_conn_put(c);
	}
	errno = saved;
	return 0;
}
