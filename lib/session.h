/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS session over a program's socket. The socket is always driven
 * without blocking; a program's blocking call is emulated by waiting for
 * readiness with the session unlocked, so another thread can write while
 * one waits to read, and an event loop is never blocked. wolfSSL's output
 * goes to a buffer the session owns: its send callback never answers
 * "want write", and what a write accepted is flushed later if it must.
 */
#ifndef ATTLS_SESSION_H
#define ATTLS_SESSION_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "livetab.h"
#include "policy.h"
#include "sysio.h"

/* The real calls (sysio.h): lib/ never goes through the hooks. Tests may swap them. */
void attls_session_set_io(const struct attls_io *io);
/*
 * Called, unlocked, when a read leaves decrypted plaintext behind or has
 * drained everything (EAGAIN): readiness changed without the kernel.
 */
void attls_session_set_notify(void (*fn)(int fd));

enum attls_state {
	ATTLS_ST_HANDSHAKE,
	ATTLS_ST_OPEN,
	ATTLS_ST_FAILED,
};

struct attls_session;

struct attls_session_params {
	void *ctx; /* WOLFSSL_CTX */
	/*
	 * The policy ctx belongs to, or NULL: the session holds a reference
	 * (attls_policy_hold) until it is freed, so that a reload frees the
	 * old policy only when its last connection is gone.
	 */
	struct attls_policy *policy;
	int fd;
	enum attls_role role;
	const char *server_name; /* client: SNI and the name checked */
	const char *resume_key;  /* client: where its sessions are kept */
	/* The level's protocols (enum attls_proto bits), for the reason of a refusal. */
	unsigned protocols;
	/* allow_peer in force (the policy's, held with it), or NULL. */
	const struct attls_allow *allow;
	bool nonblock;           /* the program's O_NONBLOCK */
	bool connecting;         /* a non-blocking connect is in progress */
	unsigned trace;
	unsigned handshake_timeout_ms;
	const char *who; /* "conn=... job=... user=... rule=..." for tracing */
	/* For attls status and attls_query (livetab.h). */
	const char *descriptor;
	unsigned direction;
	const struct sockaddr_storage *local, *remote;
};

struct attls_session *attls_session_new(const struct attls_session_params *p);
/* A server session's view of its ClientHello (tickets.c), from wolfSSL's IO ctx. */
const struct attls_hello *attls_session_hello(void *io_ctx);

/* The program's calls. They return what the real call would, errno set. */
ssize_t attls_session_recv(struct attls_session *s, void *buf, size_t len, int flags);
ssize_t attls_session_sendv(struct attls_session *s, const struct iovec *iov,
			    int iovcnt, int flags);
/*
 * How many bytes a write would take now without waiting (blocking: no
 * limit), once the handshake is done; -1 with errno (EAGAIN) if none.
 * For data that cannot be given back once read: a pipe's, for splice.
 */
ssize_t attls_session_write_room(struct attls_session *s, int flags);
/* Completes the handshake; if wait, within the handshake timeout. */
int attls_session_handshake(struct attls_session *s, bool wait);
/* shutdown(2): close_notify goes out before SHUT_WR. */
int attls_session_shutdown(struct attls_session *s, int how);
/*
 * The connection ends now, whatever the program's O_NONBLOCK: close_notify
 * and what is queued before it (bounded, 3 s; not from a copy made by fork
 * that this process never used), then both directions of the socket
 * shut, for every process that holds it. For a socket sent whose
 * session cannot be carried (shim/travel_send.c): whoever
 * reads it finds end of file, whoever writes it gets EPIPE. The session's
 * own calls then do the same.
 */
void attls_session_cut(struct attls_session *s);
/* "conn=... job=... user=... rule=..." for tracing; valid while s is. */
const char *attls_session_who(struct attls_session *s);
/* SO_ERROR: a handshake failure, once; 0 otherwise. */
int attls_session_so_error(struct attls_session *s);
/* FIONREAD: plaintext ready to read. */
int attls_session_readable_bytes(struct attls_session *s);
/* The fd to use when the one it was made for is closed but a dup lives. */
void attls_session_set_fd(struct attls_session *s, int fd);
void attls_session_set_nonblock(struct attls_session *s, bool nonblock);
/*
 * TCP_CORK: while on, records of non-blocking writes wait, so that what
 * the program writes in pieces leaves in one send; they go when it is
 * turned off, when the program waits (poll, select, epoll) or reads.
 */
int attls_session_set_cork(struct attls_session *s, bool on);
enum attls_state attls_session_state(struct attls_session *s);
/*
 * What attls_query tells of the session (livetab.h), copied under its
 * lock. Returns its state.
 */
enum attls_state attls_session_info(struct attls_session *s, struct attls_live_info *out);

/*
 * Readiness. prepare says what is ready at once (returned) and which
 * kernel events the session needs (*kernel); complete turns what the
 * kernel reported into what the program is told. deadline_ms gets the
 * handshake deadline (CLOCK_MONOTONIC ms) when one is running, else 0.
 */
short attls_session_poll_prepare(struct attls_session *s, short want,
				 short *kernel, uint64_t *deadline_ms);
short attls_session_poll_complete(struct attls_session *s, short want,
				  short kernel_revents);

/*
 * Readiness for epoll, where the kernel is asked level-triggered only for
 * what TLS needs, so that nothing spins. krev: what the kernel reported
 * (0: nothing, only look). level: what a call would find ready now.
 * again counts the program's calls that answered EAGAIN, so that an
 * edge-triggered registration knows the program has drained.
 */
struct attls_readiness {
	short level;
	short kernel;
	unsigned again;
	uint64_t deadline; /* the handshake's, 0 if none */
};
void attls_session_readiness(struct attls_session *s, short want, short krev,
			     struct attls_readiness *r);

/*
 * The end. The owner flushes, sends close_notify and drains what the peer
 * still sends, bounded in time, so that closing never makes the kernel
 * reset the connection. A copy shared through fork and never used is
 * only freed (see attls_session_fork_release). Does not close the fd.
 */
void attls_session_end(struct attls_session *s, bool owner);

/*
 * The end of a non-blocking socket's connection goes on in the background
 * (linger.c), on an fd of its own, so that an event loop's close returns
 * at once. step does what can be done now and says which events it still
 * waits for (0: done); finish ends it, expired or not.
 */
short attls_session_linger_step(struct attls_session *s);
int attls_session_linger_fd(struct attls_session *s);
uint64_t attls_session_linger_deadline(struct attls_session *s);
void attls_session_linger_finish(struct attls_session *s);

/* Frees the memory, after attls_session_end and the last reference. */
void attls_session_free(struct attls_session *s);

/*
 * fork: the lock is taken before (in the order of shim/locks.h), and the
 * release marks each process's copy: output queued at fork time stays the
 * parent's, which keeps owning the connection; otherwise both copies are
 * shared and unused (session.c says why).
 */
void attls_session_fork_lock(struct attls_session *s);
/*
 * In prepare, with the lock held (before the fork, in the parent): settles
 * the copy's earlier contests where it can and gives it a word of blk for
 * this fork's (claim.h).
 */
struct attls_claims;
void attls_session_fork_prepare(struct attls_session *s, struct attls_claims *blk);
/*
 * gen: in the parent, the fork's pipe (read end), which tells when the
 * child has exited or exec'd without a session; NULL in the child. Each
 * session holds a reference to the last one; new takes the caller's, put
 * closes the fd at the last.
 */
struct attls_fork_gen;
struct attls_fork_gen *attls_fork_gen_new(int fd);
void attls_fork_gen_put(struct attls_fork_gen *g);
void attls_session_fork_release(struct attls_session *s, bool child, struct attls_fork_gen *gen);
/* Whether this process owns the session (it claimed it since the last fork, or never forked). */
bool attls_session_owned(struct attls_session *s);

uint64_t attls_now_ms(void);

#endif
