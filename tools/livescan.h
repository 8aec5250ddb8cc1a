/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The live tables of running processes (lib/livetab.h), as attls status reads them. */
#ifndef ATTLS_LIVESCAN_H
#define ATTLS_LIVESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/livetab.h"

struct live_conn {
	struct attls_live_info info;
	uint32_t state; /* enum attls_live_state */
	uint64_t bytes_in, bytes_out;
	int64_t last_ms;
};

struct live_proc {
	pid_t pid;
	uid_t uid;
	char jobname[64], user[64], policy[1024];
	uint32_t policy_state; /* enum attls_live_policy_state */
	int64_t policy_loaded, reload_failed; /* 0: none */
	char *policy_text; /* policy_len bytes, NUL after them */
	size_t policy_len;
	bool policy_busy;  /* a reload was being written whenever it was read */
	bool text_withheld; /* its user may not read the policy file: no text */
	struct live_conn *conns;
	size_t n_conns;
	char path[4200];
};

struct live_scan {
	struct live_proc *procs;
	size_t n_procs;
	unsigned unreadable; /* tables of other users (run as root to read them) */
	unsigned removed;    /* tables of processes gone, removed */
};

/*
 * Every table this user may read: under /run/attls/live, $XDG_RUNTIME_DIR/attls
 * and, for root, /run/user/UID/attls and wherever a process maps one
 * (/proc/PID/maps: another $XDG_RUNTIME_DIR). A table whose process is gone (its
 * pid ended, was reused, or exec'd another image) is removed when this
 * user may. Returns 0, or -1 (out of memory).
 */
int attls_live_scan(struct live_scan *sc);
void attls_live_scan_free(struct live_scan *sc);

#endif
