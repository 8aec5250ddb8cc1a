/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS sessions handed over across exec (exec.c writes them, inherit.c
 * reads them in the new image): the hand-over's format, and the sessions
 * waiting for their fd's first use.
 */
#ifndef ATTLS_INHERIT_H
#define ATTLS_INHERIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The variable that names the memfd in the new image's environment. */
#define ATTLS_HANDOFF_ENV "ATTLS_HANDOFF"

/*
 * The memfd's content, native byte order (the same machine):
 *   struct attls_handoff_head
 *   int32_t held[nheld]               the fork pipes' write ends (fork.c)
 *   nconn times:
 *     uint32_t nfds, int32_t fds[nfds], uint32_t len, blob[len]
 * Each blob (lib/handoff.c) is bound to its socket's inode.
 */
#define ATTLS_HANDOFF_MAGIC "ATTLSEX\x01"
struct attls_handoff_head {
	char magic[8];
	uint32_t nheld, nconn;
};

/*
 * The constructor's part: reads and closes the memfd named by
 * ATTLS_HANDOFF, which it removes from environ before the program can see
 * it. Sessions wait for their fd's first use. Not in secure-execution mode
 * (the variable is removed, nothing is read).
 */
void attls_inherit_start(bool secure);
/* Whether a session handed over waits for fd (cheap: no lock). */
bool attls_inherit_waiting(int fd);
/*
 * The session handed over for fd, if one waits and fd still names its
 * socket: 1 with *blob (free with attls_handoff_free), *len and *id, once;
 * 0 if none; -1 if another thread is taking it up now (look again: it
 * is attached soon). The taker calls attls_inherit_done(id) once the fd's
 * slot holds the session (or its refusal).
 */
int attls_inherit_take(int fd, unsigned char **blob, size_t *len, int *id);
void attls_inherit_done(int id);

/*
 * For an exec (exec.c): fn is called for each session still waiting, with
 * the numbers (of its list) that name its socket now and are not
 * close-on-exec, and its bytes, so that it goes on to the next image (a
 * shell wrapper that execs the program on its connection) or is cut there.
 */
void attls_inherit_each(void (*fn)(void *arg, const int *fds, size_t nfds,
				   const unsigned char *blob, size_t len),
			void *arg);
/* Whether any session waits (cheap). */
bool attls_inherit_any(void);
/* How many wait. */
size_t attls_inherit_count(void);

/*
 * fork's prepare (all locks held): each waiting session gets this fork's
 * contest in its bytes (a word of blk, lib/claim.h), so that only the
 * first process to take it up owns it; the child's part (after the locks
 * are let go) drops those that could get none (no memory, or waiting
 * through more than ATTLS_CLAIM_CHAIN forks): the parent keeps them, and
 * the child's fds of them are refused (ECONNRESET).
 */
struct attls_claims;
void attls_inherit_atfork_prepare(struct attls_claims *blk);
void attls_inherit_atfork_child(void);

#endif
