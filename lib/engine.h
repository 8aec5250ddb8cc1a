/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy in force in this process, and the decision for each new TCP
 * connection: clear text, TLS (with a new session), or refused.
 */
#ifndef ATTLS_ENGINE_H
#define ATTLS_ENGINE_H

#include <stdbool.h>
#include <sys/socket.h>

#include "session.h"

/* Set while attls itself runs code that may call hooked functions. */
extern _Thread_local int attls_inside;

/*
 * Loads the policy named by ATTLS_CONFIG once (thread-safe). On failure,
 * the reason is logged and printed once to stderr, and every TCP connect
 * and accept is refused from then on.
 */
void attls_engine_init(void);

/*
 * fork (shim/fork.c): prepare takes reload_lock and policy_lock (6 and 7
 * in shim/locks.h); both processes let go.
 */
void attls_engine_atfork_prepare(void);
void attls_engine_atfork_release(void);

enum attls_verdict { ATTLS_CLEAR, ATTLS_TLS, ATTLS_REFUSE };

struct attls_new_conn {
	int fd;
	unsigned direction; /* ATTLS_DIR_INBOUND or ATTLS_DIR_OUTBOUND */
	const struct sockaddr *remote; /* NULL: ask the socket */
	bool nonblock, connecting;
	/*
	 * A session handed over across exec for this socket (handoff.h): it
	 * is taken up instead of a new handshake, if this process's policy
	 * covers the socket in the same role; otherwise refused, never clear.
	 */
	const unsigned char *handoff;
	size_t handoff_len;
};

/*
 * Decides for a new connection; on ATTLS_TLS, *out is its session, which
 * holds the policy it was made under. First, the reload check (reload.h):
 * a new policy, once in force, is for the connections after it.
 */
enum attls_verdict attls_engine_classify(const struct attls_new_conn *nc,
					 struct attls_session **out);

/*
 * A connected TCP socket this process did not see accepted or connected
 * (inherited across exec, as inetd and systemd's Accept=yes hand one over,
 * or received through SCM_RIGHTS): classified as an accepted (inbound) or
 * connected (outbound) one would be, in that order. ATTLS_TLS with *out,
 * its session, when a descriptor covers it: TLS starts in the role the
 * descriptor says, before the program's first byte (a peer whose TLS began
 * elsewhere fails that handshake: nothing goes out in clear). ATTLS_CLEAR
 * when nothing covers it; ATTLS_REFUSE, logged as ATTLS013E with the
 * reason, when no policy is in force or it cannot be classified.
 */
enum attls_verdict attls_engine_unseen(int fd, const char *how, const unsigned char *handoff,
				       size_t handoff_len, struct attls_session **out);

/*
 * Whether a process of user uid may hand this one TLS sessions through
 * SCM_RIGHTS: root, this process's effective user, or one the policy's
 * sessions_from names (by uid, or by name when it has one).
 */
bool attls_engine_sessions_from(uid_t uid);

/*
 * Whether a program this process execs keeps attls in its LD_PRELOAD: the
 * policy in force's inherit (true when none is, or none was loaded yet).
 * An atomic read: callable from a signal handler that execs.
 */
bool attls_engine_inherit(void);

#endif
