/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When a server's TLS 1.3 session ticket leaves. A server that asks for
 * no client certificate sends it in its first flight (wolfSSL is built
 * with WOLFSSL_TLS13_TICKET_BEFORE_FINISHED). One that verifies its peer
 * can only send it after the client's Finished: alone, it would be a small
 * segment the client does not answer at once, and Nagle's algorithm would
 * then hold the program's first small answer until the client's delayed
 * ACK, about 40 ms. So the ticket is held and leaves in front of the
 * program's first bytes, in the same segment.
 */
#ifndef ATTLS_TICKET_TIMING_H
#define ATTLS_TICKET_TIMING_H

#include <stdbool.h>

#include "wolf.h"

/* A new server session: holds the ticket if it would follow the Finished. */
bool attls_ticket_hold(WOLFSSL *ssl);

/* Queues the held ticket (its record goes through the session's output). */
void attls_ticket_release(WOLFSSL *ssl);

#endif
