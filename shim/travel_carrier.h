/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The carrier: what goes in the program's message in place of its TLS
 * sockets' sessions. One end of a new AF_UNIX SOCK_SEQPACKET socketpair,
 * on whose other end (closed once written) one message waits: a header
 * (magic, version, where in the program's SCM_RIGHTS each TLS fd was) and,
 * in its SCM_RIGHTS, the handoff memfd (travel_wire.h) then the real
 * sockets, in that order. The program's message names a fresh unconnected
 * socket (a placeholder) where it named a TLS fd: a receiver without
 * attls never holds the TCP connection unless it reads the carrier's
 * message with a control buffer of its own (see README).
 */
#ifndef ATTLS_TRAVEL_CARRIER_H
#define ATTLS_TRAVEL_CARRIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's most fds in one message (SCM_MAX_FD, include/net/scm.h). */
#define ATTLS_SCM_MAX_FD 253

/*
 * A carrier (close-on-exec) whose message holds memfd and the k sockets
 * real[], which stood at pos[] in the program's SCM_RIGHTS (k >= 1, k <
 * ATTLS_SCM_MAX_FD); -1 with errno. The caller closes memfd and the
 * carrier once the program's message is sent or not.
 */
int attls_carrier_make(int memfd, const int *real, const uint32_t *pos, size_t k);

/*
 * After a failed send: the carrier's message is taken and its fds closed,
 * so that a copy of the carrier a fork left in a child holds nothing;
 * then the carrier is closed.
 */
void attls_carrier_drop(int carrier);

/*
 * Whether fd, the first fd of a message received, is a carrier: 1 with
 * *memfd, real[] and pos[] (*k of them, close-on-exec, the caller's to
 * close) and the sender's (*pid, *uid) from the carrier's SO_PEERCRED;
 * 0 if it is anything else (nothing read from it); -1 with errno for a
 * carrier whose message cannot be taken (everything it brought closed).
 * peek: the message is left on the carrier (a recvmsg with MSG_PEEK).
 */
int attls_carrier_open(int fd, bool peek, int *memfd, int *real, uint32_t *pos, size_t *k,
		       pid_t *pid, uid_t *uid);

#endif
