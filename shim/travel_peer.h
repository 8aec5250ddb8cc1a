/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who receives what a process sends on a unix socket, and whether each of
 * them runs attls: asked before a TLS socket's session goes with it
 * through SCM_RIGHTS (shim/travel_send.c).
 */
#ifndef ATTLS_TRAVEL_PEER_H
#define ATTLS_TRAVEL_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * Whether every process that holds the other end of unix socket via (a
 * connected socket or one of a socketpair: sock_diag's UNIX_DIAG_PEER,
 * then the fd tables in /proc) has this library mapped. pids gets the
 * holders ("1234,1240", or what could not be read), why the reason when
 * false: a holder without attls, a socket with no peer or a datagram sent
 * to an address (no one can say who reads it), a process whose fds or
 * maps cannot be read, a /proc that hides other users' processes
 * (hidepid), sock_diag refused. Fails closed: anything it
 * cannot tell is false. Takes no attls lock; errno is kept.
 */
bool attls_receivers_have_attls(int via, const struct msghdr *msg, char *pids, size_t pidslen,
				char *why, size_t whylen);

#endif
