/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ATTLS_TOOL_H
#define ATTLS_TOOL_H

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_ticketkey(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_status_live(int argc, char **argv);
/* s as a JSON string on stdout (jsonout.c). */
void attls_json_str(const char *s);

#include <stddef.h>
/*
 * A policy named on the command line, made absolute against the current
 * directory (the library takes absolute paths only). Returns file itself
 * if it is absolute, buf otherwise, or file if it does not fit.
 */
const char *attls_abs_path(const char *file, char *buf, size_t len);

/* The library attls run preloads, in out: 0, or -1 if it is not readable. */
int attls_run_library(char *out, size_t len);

/*
 * Whether an attls library that LD_PRELOAD names (its last component is
 * libattls.so, or it is the file attls run preloads) is mapped into this
 * process (tools/preloadcheck.c). 0 (none named counts as loaded), or -1
 * with the reason in why.
 */
int attls_preload_check(char *why, size_t len);

/*
 * This process becomes USER (a name, or a uid with a passwd entry) for
 * good: initgroups, setgid, setuid (tools/asuser.c). Only root may name
 * another user; anyone may name himself (nothing changes). 0, or 2 on a
 * usage error (unknown user, not root), 1 when a switch failed; why says it.
 */
int attls_become_user(const char *spec, char *why, size_t len);

#endif
