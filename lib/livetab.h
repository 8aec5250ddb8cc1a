/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live table: this process's TLS connections, in a file of its own
 * under /run/attls/live (or $XDG_RUNTIME_DIR/attls), mapped shared, for
 * `attls status` to read. A slot is written by its session only (under
 * the session's lock) when the connection begins, when its handshake is
 * done and when it ends; its byte counters are relaxed atomics that the
 * data calls add to without a lock. A reader copies a slot between two
 * equal, even values of its seq and retries otherwise.
 *
 * The layout is shared with tools/livescan.c: change ATTLS_LIVE_VERSION
 * with it.
 */
#ifndef ATTLS_LIVETAB_H
#define ATTLS_LIVETAB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define ATTLS_LIVE_MAGIC "ATTLSLV1"
#define ATTLS_LIVE_VERSION 2u
#define ATTLS_LIVE_SLOTS 4096u

enum attls_live_state {
	ATTLS_LIVE_FREE = 0,
	ATTLS_LIVE_CLAIMED,   /* taken, not yet written: readers skip it */
	ATTLS_LIVE_HANDSHAKE,
	ATTLS_LIVE_SECURE,
	ATTLS_LIVE_CLOSING,
	/* A fork's copy that another process owns: kept, not listed (it is, there). */
	ATTLS_LIVE_LOST,
};

/* What a connection is: written by its session, copied into its slot. */
struct attls_live_info {
	int32_t fd;
	uint32_t direction; /* ATTLS_DIR_INBOUND or ATTLS_DIR_OUTBOUND */
	uint32_t resumed;
	uint32_t role;
	int64_t started_ms; /* CLOCK_REALTIME */
	int64_t not_after;  /* the peer certificate's, seconds since 1970; 0: none */
	struct sockaddr_storage local, remote;
	char descriptor[64];
	char protocol[16];
	char cipher[64];
	char device[200];
	char subject[256];
	char issuer[256];
	char serial[80]; /* hex, colon separated */
};

struct attls_live_slot {
	_Atomic uint32_t seq;   /* odd while info is being written */
	_Atomic uint32_t state; /* enum attls_live_state */
	struct attls_live_info info;
	_Atomic uint64_t bytes_in, bytes_out; /* plaintext, the program's */
	_Atomic int64_t last_ms;              /* CLOCK_REALTIME of the last byte */
};

enum attls_live_policy_state {
	ATTLS_LIVE_POLICY_NONE = 0, /* none loaded: every TCP connect and accept refused */
	ATTLS_LIVE_POLICY_IN_FORCE,
};

struct attls_live_head {
	char magic[8];
	uint32_t version, nslots;
	int32_t pid;
	uint32_t uid;             /* effective, when the table was made */
	uint64_t starttime;       /* /proc/PID/stat field 22: the pid's incarnation */
	uint32_t slots_off;       /* where the slots begin */
	uint32_t policy_cap;      /* room for policy text after the head */
	char jobname[64];
	char user[64];
	char policy[1024];        /* the policy file's path */
	/*
	 * The policy in force, rewritten by a reload: a reader copies these
	 * and the text between two equal, even values of policy_seq.
	 */
	_Atomic uint32_t policy_seq;
	uint32_t policy_state;    /* enum attls_live_policy_state */
	int64_t policy_loaded;    /* seconds since 1970; 0: none loaded */
	int64_t reload_failed;    /* the last reload that failed since; 0: none */
	uint32_t policy_len;      /* bytes of policy text after the head */
	/*
	 * Replaced by another table of the same process (made at fork, before
	 * the child changed user, and made again as that user): readers skip
	 * it, and remove it when they may (the process itself may not).
	 */
	_Atomic uint32_t superseded;
	/*
	 * The policy text is withheld: the process's user now (a worker that
	 * gave up root) may not read the policy file, so its table, which
	 * that user may read, does not hold it either.
	 */
	uint32_t text_withheld;
	uint32_t pad;
};

/*
 * The process: its job name, user name (NULL: its uid stands for it) and
 * policy file, and the policy's text (secrets hidden; NULL when none
 * loaded or too large to keep; when not in force, the errors that kept it
 * out), recorded by the engine when it first
 * loads the policy, whether it loaded or not (in_force). The table is
 * made then, once per process; a forked child makes its own at fork.
 * Failing to make it costs nothing but the listing.
 */
void attls_live_process(const char *jobname, const char *user, const char *policy_file,
			const char *text, size_t len, bool in_force);
/*
 * A reload (under the engine's reload_lock, one writer at a time): a new
 * policy in force, with its text; or one that failed, the one in force
 * kept (text NULL).
 */
void attls_live_policy(const char *text, size_t len);
void attls_live_reload_failed(void);

/* A slot for a new connection, its info written and visible; NULL: none. */
struct attls_live_slot *attls_live_claim(const struct attls_live_info *info,
					 enum attls_live_state st);
/* Rewrites a slot's info and state (its session's lock held). */
void attls_live_update(struct attls_live_slot *sl, const struct attls_live_info *info,
		       enum attls_live_state st);
void attls_live_state(struct attls_live_slot *sl, enum attls_live_state st);
/* Rewrites a slot's info, its state kept (the fd moved to a dup). */
void attls_live_rewrite(struct attls_live_slot *sl, const struct attls_live_info *info);
/* The slot is free again (the session's last reference). */
void attls_live_release(struct attls_live_slot *sl);

int64_t attls_live_now_ms(void);

/* Plaintext that went through: no lock, relaxed. */
static inline void attls_live_count(struct attls_live_slot *sl, uint64_t in, uint64_t out)
{
	if (!sl)
		return;
	if (in)
		atomic_fetch_add_explicit(&sl->bytes_in, in, memory_order_relaxed);
	if (out)
		atomic_fetch_add_explicit(&sl->bytes_out, out, memory_order_relaxed);
	atomic_store_explicit(&sl->last_ms, attls_live_now_ms(), memory_order_relaxed);
}

/*
 * fork, in the child: the parent's table is the parent's (fork.c); the
 * child makes its own, so that a process with no connection yet (a
 * server's master) is listed with its policy.
 */
void attls_live_atfork_child(void);
/* At the end of fork's child handler: the parent's table is unmapped. */
void attls_live_atfork_child_done(void);

/* A new slot with counters carried from elsewhere (a fork's parent, an exec's old image). */
void attls_live_carry(struct attls_live_slot *sl, uint64_t in, uint64_t out, int64_t last_ms);

/* The table's path, for the tests and the trace; "" if none. */
const char *attls_live_path(void);

#endif
