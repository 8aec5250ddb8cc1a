/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The linger thread: it ends the connections that non-blocking programs
 * closed (flush, close_notify, drain), bounded in time, so that closing
 * never blocks an event loop and never loses what a write accepted.
 */
#ifndef ATTLS_LINGER_H
#define ATTLS_LINGER_H

struct attls_session;

/* Takes s, which waits for events; 0, or -1 if no thread could start. */
int attls_linger_adopt(struct attls_session *s, short events);
/* At exit: waits, bounded, for what lingers to end. */
void attls_linger_wait_all(void);
/* fork: prepare takes the lock (shim/locks.h), parent and child let go; in
 * the child the parent's connections stay the parent's. */
void attls_linger_atfork_prepare(void);
void attls_linger_atfork_parent(void);
void attls_linger_atfork_child(void);

#endif
