/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the environment may decide. In secure-execution mode (the kernel's
 * AT_SECURE: set-user-ID, set-group-ID, file capabilities, an LSM
 * transition) the caller chose the environment and argv[0] and gained
 * rights by the exec, so neither is believed: the policy is the default
 * one and the job name is the name of the file the kernel ran.
 */
#ifndef ATTLS_ENVTRUST_H
#define ATTLS_ENVTRUST_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the kernel started this program in secure-execution mode. */
bool attls_secure_exec(void);

/* getenv(name), or NULL when secure. */
const char *attls_env(bool secure, const char *name);

/*
 * The job name, in out (len bytes): ATTLS_JOBNAME if set and not empty,
 * else argv[0]'s last component; when secure, the last component of
 * /proc/self/exe, whatever the environment and argv[0] say. Returns 0, or
 * -1 (out empty) when secure and /proc/self/exe cannot be read.
 */
int attls_jobname(bool secure, char *out, size_t len);

/*
 * attls run's proof that the library is loaded (tools/cmd_run.c): it sets
 * this variable to its pid and execs itself with LD_PRELOAD; the library's
 * constructor removes it, so the second stage sees it gone, and neither the
 * program nor its children ever see it.
 */
#define ATTLS_RUN_MARKER "ATTLS_RUN_PENDING"

/*
 * Called once by the constructor: removes the marker (unsetenv, no lock:
 * before main there is one thread; a program that dlopens the library
 * while another thread reads the environment could race only if it was
 * itself started with the marker, which attls run never lets through). Returns true if this
 * process is attls run's own second stage (marker equal to our pid, not
 * secure), which execs the program next and needs no policy of its own.
 */
bool attls_run_marker_clear(bool secure);

#endif
