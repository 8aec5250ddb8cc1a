/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * allow_peer in the handshake. The check runs in wolfSSL's verify
 * callback on the peer's leaf certificate, once wolfSSL has verified it:
 * a peer that matches no pattern fails the handshake there, wolfSSL sends
 * it a fatal bad_certificate alert, and nothing of the program's moves.
 * A resumed session shows no certificate: the server's tickets are bound
 * to the allow-list (attls_allow_bind), so that only a session made under
 * the same list resumes, and a client offers only sessions its rule made
 * (resume_client.h, keyed by rule, forgotten at reload).
 */
#ifndef ATTLS_ALLOWCHECK_H
#define ATTLS_ALLOWCHECK_H

#include <stdbool.h>

#include "allowpeer.h"
#include "wolf.h"

/*
 * One session's check. Written by the verify callback inside wolfSSL's
 * handshake call, which runs with the session's lock held, and read under
 * the same lock: a second thread never sees it half done. It is the
 * session's: a fork's copy carries it, and it is not looked at once the
 * handshake is over. No signal handler touches it.
 */
struct attls_allow_state {
	const struct attls_allow *allow; /* NULL: no allow_peer */
	const char *file;                /* the policy, for FILE:LINE */
	const char *who;
	unsigned trace;
	bool passed;  /* the leaf matched a pattern */
	bool refused; /* ATTLS024E was written */
};

/* The verify callback a context with an allow-list gets. */
int attls_allow_verify_cb(int ok, WOLFSSL_X509_STORE_CTX *store);
/* Points ssl's verify callback at st (which must outlive the handshake). */
void attls_allow_session(WOLFSSL *ssl, struct attls_allow_state *st);
/*
 * Once the handshake is done: whether the peer may go on. A full
 * handshake must have passed the callback; a resumed one stands on its
 * binding. Refusing, it writes ATTLS024E.
 */
bool attls_allow_after(struct attls_allow_state *st, WOLFSSL *ssl);
/* The handshake failed for want of the peer's certificate: ATTLS024E says so. */
void attls_allow_no_cert(struct attls_allow_state *st);
/* Mixes a's patterns into a server context's ticket binding (32 bytes). 0 or -1. */
int attls_allow_bind(unsigned char binding[32], const struct attls_allow *a);

#endif
