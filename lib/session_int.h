/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session's fields, for the two files that work on them: session.c
 * (the state machine) and handoff.c (a live session as bytes, for the
 * process that takes it up). Nothing else includes this.
 */
#ifndef ATTLS_SESSION_INT_H
#define ATTLS_SESSION_INT_H

#include "allowcheck.h"
#include "claim.h"
#include "clientwhy.h"
#include "livetab.h"
#include "session.h"
#include "tickets.h"
#include "wolf.h"

#define SHUT_HELD_RD 1u
#define SHUT_HELD_WR 2u

struct attls_session {
	/*
	 * Guards every field below. Its place in the lock order: 4 in
	 * shim/locks.h. A second thread waits for it; wait_fd lets it go
	 * while blocked, so a blocked call never holds it. fork: prepare
	 * takes it and both processes let go (attls_session_fork_release).
	 */
	pthread_mutex_t lock;
	WOLFSSL *ssl;
	struct attls_policy *policy; /* its reference, dropped by free (not locked) */
	int fd;
	enum attls_role role;
	enum attls_state state;
	bool nonblock, connecting, hs_started, peer_closed, wr_shut;
	bool so_error_pending, ended;
	/*
	 * Who owns the connection after fork (session.c, "Who owns"): the
	 * claim words of the forks whose contest this copy has not settled
	 * yet, oldest first, each with its fork's pipe in the parent (NULL in
	 * the child). Empty: this process owns it (never forked, or claimed).
	 * lost_to: the pid that won a word instead; the copy is dead for good
	 * (lost_said once ATTLS047E said so). Written with lock held; fork's
	 * prepare (which holds lock, in the parent, before the fork) settles
	 * what it can and appends the new fork's word, so both processes start
	 * from the same chain. The words themselves are shared memory, changed
	 * only by compare-and-swap from 0 to a pid: never back, so a copy
	 * that lost stays lost whatever the owner does later (its sequence
	 * numbers are stale).
	 */
	struct attls_claim_link {
		struct attls_claims *blk;
		atomic_int *word;
		struct attls_fork_gen *gen;
	} chain[ATTLS_CLAIM_CHAIN];
	int nchain;
	bool fresh_link; /* prepare appended chain[nchain - 1] for this fork */
	bool no_link;    /* prepare had no word for this fork: the parent keeps it */
	pid_t lost_to;
	bool lost_said;
	bool khup;      /* the kernel said the socket hung up or has an error */
	bool shut_wr_sent, lingering, free_requested;
	/*
	 * notified, shut_held and kshut_wr, like the fields around them, are
	 * read and written with lock held; they nest under nothing. A second
	 * thread acts on them once it has the lock (a write after the held
	 * shutdown says EPIPE). A signal handler runs either outside attls or
	 * inside wait_fd, where the lock is not held. After fork the child's
	 * copy keeps them and acts on them only if it uses the session.
	 */
	bool notified;   /* close_notify queued (wr_shut: the program shut its side) */
	/*
	 * shutdown(2) asked for during the handshake, held until it is done
	 * (SHUT_HELD_RD, SHUT_HELD_WR): the kernel's sides cannot go before
	 * the handshake's last flight.
	 */
	unsigned shut_held;
	/* The kernel's SHUT_WR waits until the queued records are sent. */
	bool kshut_wr;
	/* Input arrived while plaintext still waits: the kernel is not asked
	 * for input again until the program has read it. */
	bool in_parked;
	bool corked; /* TCP_CORK: records wait for the uncork or the next wait */
	bool wrote;  /* the program wrote since release_out last looked */
	uint64_t linger_deadline;
	unsigned again; /* counts the program's calls that answered EAGAIN */
	int error;    /* errno for the program's calls once failed */
	int io_errno; /* errno of the last real recv in the callback */
	bool io_eof;  /* the last real recv saw end of file */
	uint64_t deadline;
	unsigned hs_timeout, trace;
	unsigned char *out;
	size_t out_off, out_len, out_cap;
	uint64_t bytes_in, bytes_out;
	bool wrote_any;      /* wolfSSL gave cb_send bytes (a handshake flight) */
	char *who;
	char *resume_key;
	bool resume_offered; /* client: a kept session was offered */
	bool ticket_fresh;   /* client: a ticket arrived since the last keep */
	bool ticket_held;    /* server: the TLS 1.3 ticket waits for the first write */
	/*
	 * The peer's first handshake message, read in cb_recv (lock held):
	 * a server's, what the ClientHello offers; a client's, the version
	 * the ServerHello chose. A fork's child has its own copy (its buffer
	 * too); handoff.c does not carry it (a session moves before its
	 * handshake begins, to begin it afresh, or once it is done).
	 */
	struct attls_hello hello;
	/*
	 * Client: the server's first bytes (cb_recv, lock held), to say what
	 * a server that does not speak TLS answered (clientwhy.h); and the
	 * name its certificate must give (its copy, freed with the session).
	 * A fork's child has its own copy.
	 */
	unsigned char first[ATTLS_FIRST_BYTES];
	size_t first_len;
	char *server_name;
	unsigned protocols;       /* the level's (enum attls_proto bits) */
	struct attls_allow_state allow; /* allow_peer's check (allowcheck.h) */
	/*
	 * A session taken up from another process (handoff.c): plaintext it
	 * had decrypted and not yet given the program (read first), and
	 * ciphertext it had read and not yet decrypted (wolfSSL's input reads
	 * it before the socket's). Both scrubbed and freed as they empty.
	 */
	unsigned char *plain, *raw;
	size_t plain_off, plain_len, raw_off, raw_len;
	/*
	 * Exported (handoff.c): its state now belongs to another process, so
	 * this one must never encrypt or decrypt with it again (nonce reuse):
	 * every call fails with EBADF, as on a closed fd, until the export is
	 * undone (the exec failed).
	 */
	bool exported;
	/*
	 * What attls status and attls_query show: info is written under the
	 * lock; live is its slot in this process's table (livetab.h), NULL
	 * when there is none or the session is a fork's copy in the child.
	 * It is freed with the session only, so that a data call still in
	 * flight never counts into a slot another connection took. live is
	 * read without the lock by the data calls' counters; it is written
	 * when the session is made, in a fork's child (one thread), and when
	 * that child claims the connection (under the lock; from NULL to a
	 * slot of its own table): atomic, relaxed, so that the counters need
	 * no lock.
	 */
	struct attls_live_info info;
	struct attls_live_slot *_Atomic live;
	/*
	 * A fork's child: the parent's slot's counters at the fork, carried
	 * into the child's own slot when the child claims the connection
	 * (relist in session.c).
	 */
	uint64_t carry_in, carry_out;
	int64_t carry_last;
};

/*
 * With the lock held: the handshake finished (if it had begun) and the
 * queued records sent, waiting until deadline (CLOCK_MONOTONIC ms) at most,
 * whatever the program's O_NONBLOCK. 0, or -1 with errno.
 */
int attls_session_settle(struct attls_session *s, uint64_t deadline);
/* With the lock held: plaintext ready to read (carried in and wolfSSL's). */
int attls_session_plain_pending(struct attls_session *s);
/*
 * With the lock held: the handshake is done (or the session was taken up
 * done): its protocol, cipher and peer go into info and its slot.
 */
void attls_session_secured(struct attls_session *s);
/* The callbacks a session's WOLFSSL is given (session.c). */
void attls_session_bind_io(struct attls_session *s);

/*
 * With lock held: whether this process owns the session, claiming it if
 * nobody does; *owner: the pid that does instead (handoff.c's export).
 */
bool attls_session_take_locked(struct attls_session *s, pid_t *owner);
/* The same without claiming: false if another process won a contest already. */
bool attls_session_peek_locked(struct attls_session *s, pid_t *owner);

#endif
