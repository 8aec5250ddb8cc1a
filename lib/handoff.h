/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A live TLS session as bytes, for another process to take up on the same
 * socket (across exec). The bytes hold the session's keys: they live in
 * memory and in a sealed memfd only, are scrubbed after use, and are never
 * logged or written to a file.
 */
#ifndef ATTLS_HANDOFF_H
#define ATTLS_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"

/*
 * s's state as bytes (*buf, malloc'd; free with attls_handoff_free): the
 * handshake is finished first if it had begun in this process (a copy
 * from fork whose handshake is under way elsewhere, or that its parent
 * owns, is refused), queued records sent (bounded, 3 s), and what attls
 * and wolfSSL had read and not yet given the program (plaintext
 * decrypted, ciphertext of a partial record) goes with it, as do records
 * that could not be sent. A session whose handshake has not begun goes as
 * such: the other process starts it. From then on s refuses every call
 * with EBADF (its keys are another process's: never encrypt or decrypt
 * again) until attls_session_export_undo. 0, or -1 with errno. claim
 * (SCM_RIGHTS): the export claims the session's fork contests for this
 * process, whose receiver then owns it; without (exec), the contests go
 * with it (the memfds of attls_handoff_claim_fds) and the new image
 * claims them when it uses the session. A session another process owns
 * since a fork is refused (EPERM).
 */
int attls_session_export(struct attls_session *s, unsigned char **buf, size_t *len, bool claim);
/* The export did not go anywhere (the exec failed): s goes on as before. */
void attls_session_export_undo(struct attls_session *s);

/*
 * A session on p->fd from such bytes, in the role and with the context
 * p (the new process's policy) gives it. NULL with errno and one log line
 * saying why: the bytes are not a session (EINVAL), name another socket
 * (ESTALE), another role (EPROTO), or wolfSSL refuses them.
 */
struct attls_session *attls_session_import(const struct attls_session_params *p,
					   const unsigned char *buf, size_t len);

/*
 * Makes ctx's sessions exportable: wolfSSL's export asks the context for
 * the peer's address, which attls does not carry (it binds the blob to the
 * socket itself).
 */
void attls_handoff_ctx(void *ctx);

/* Whether the bytes are a session of the socket fd names now (its st_dev, st_ino). */
bool attls_handoff_of(int fd, const unsigned char *buf, size_t len);

/*
 * A copy of the bytes with one more fork contest (a claim memfd's fd and
 * word index), for a session handed over and not taken up yet when the
 * process forks (shim/inherit.c); NULL without memory or room.
 */
unsigned char *attls_handoff_with_link(const unsigned char *buf, size_t len, int32_t fd,
				       uint32_t idx, size_t *nlen);
/* The memfds of the fork contests the bytes carry (up to max in fds); their count. */
int attls_handoff_claim_fds(const unsigned char *buf, size_t len, int *fds, int max);

/* Scrubs and frees bytes from attls_session_export. */
void attls_handoff_free(unsigned char *buf, size_t len);

#endif
