/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A live TLS session travels with its socket through SCM_RIGHTS: the
 * sender's hooks (sendmsg, sendmmsg) export the sessions of the TLS fds a
 * message names into one sealed memfd (travel_wire.h) and send it with
 * the real sockets inside a carrier (travel_carrier.h), the message's
 * first fd, while the program's message names unconnected placeholders;
 * the receiver's hooks (recvmsg, recvmmsg) put the real sockets on the
 * placeholders' numbers, take the carrier out of what the program sees
 * and keep each session for the first use of its socket (lib/handoff.h).
 * A receiver without attls holds dead sockets, never a clear-text path.
 */
#ifndef ATTLS_TRAVEL_H
#define ATTLS_TRAVEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Whether msg's SCM_RIGHTS name a TLS fd (one table look-up per fd). */
bool attls_msg_names_tls(const struct msghdr *msg);

/*
 * sendmsg on clear fd via of a message that names TLS fds: the sessions go
 * with it in a carrier, or (no memory, no fd) the connections are ended
 * first (travel_send.c). Returns
 * what the real call returns, errno the program's.
 */
ssize_t attls_travel_sendmsg(int via, const struct msghdr *msg, int flags);

/*
 * recvmsg and recvmmsg on clear fd via: the real call, with a control
 * buffer one fd larger on a unix socket, the carrier taken out, the real
 * sockets on their placeholders' numbers and their sessions kept; every fd received reset in the fd
 * table (travel_recv.c).
 */
ssize_t attls_travel_recvmsg(int via, struct msghdr *msg, int flags);
int attls_travel_recvmmsg(int via, struct mmsghdr *vec, unsigned n, int flags,
			   struct timespec *timeout);

/*
 * The sessions received, until their sockets' first use (travel_keep.c).
 * keep: a copy of e's session for its socket, which came as fd; 0, or -1
 * with errno (ENOSPC: 256 wait already; ENOMEM). take: the session kept
 * for socket (dev, ino), removed: 1 with *blob (free with
 * attls_handoff_free), 0 if none, -1 with errno if it was lost (ENOMEM).
 */
struct attls_travel_entry;
int attls_travel_keep(int fd, const struct attls_travel_entry *e);
int attls_travel_take(uint64_t dev, uint64_t ino, unsigned char **blob, size_t *len);
/* Whether a session waits for the socket fd names (no system call when none waits). */
bool attls_travel_waiting(int fd);
/* Whether any session waits (one atomic load). */
bool attls_travel_pending(void);

#endif
