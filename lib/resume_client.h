/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client side of resumption: each peer's latest session, per rule,
 * server_name and address, in the process. Only a session whose
 * handshake finished and whose ticket arrived on that connection is kept,
 * and it is kept as a copy that never changes: a live session object
 * changes as tickets arrive, and a copy taken between the new secret and
 * the new ticket makes a binder the server refuses. A handshake that fails
 * after offering a session forgets it, so the next one is a full
 * handshake.
 */
#ifndef ATTLS_RESUME_CLIENT_H
#define ATTLS_RESUME_CLIENT_H

#include <stdbool.h>

#include "wolf.h"

/*
 * Offers the session kept for key, if any, and watches ssl for tickets:
 * *fresh is set when one arrives (fresh lives as long as ssl). Returns
 * whether a session was offered.
 */
bool attls_resume_offer(WOLFSSL *ssl, const char *key, bool *fresh);
/* Keeps a copy of ssl's session for key if a ticket arrived since the last keep. */
void attls_resume_keep(WOLFSSL *ssl, const char *key, bool *fresh);
/* Drops the session kept for key (its resumption failed). */
void attls_resume_forget(const char *key);
/*
 * Every kept session: a reloaded policy may trust other CAs or names, and
 * a resumed session would skip the check of the peer's certificate.
 */
void attls_resume_forget_all(void);

/* fork: prepare takes the cache's lock (shim/locks.h), both processes let go. */
void attls_resume_atfork_prepare(void);
void attls_resume_atfork_release(void);

#endif
