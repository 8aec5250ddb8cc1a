/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When to look at the policy's files again. At connect and accept: once a
 * second at most, by stat (stamps.h), and at once when "attls reload"
 * asks. It asks through a file, since no signal is attls's to take and
 * no thread of attls's runs in the program: reload.PID under /run/attls,
 * or under $XDG_RUNTIME_DIR/attls for a user's processes. A new time on
 * that file (the command sets it to the nanosecond) is a request, seen
 * by the next connect or accept, whatever the one-second limit says; the
 * policy is then read again even if no file looks changed.
 */
#ifndef ATTLS_RELOAD_H
#define ATTLS_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ATTLS_RUN_DIR "/run/attls"

enum { ATTLS_RELOAD_NONE, ATTLS_RELOAD_TIMER, ATTLS_RELOAD_ASKED };

/* The request file of pid under dir (dir/reload.PID). 0, or -1 if too long. */
int attls_reload_path(const char *dir, pid_t pid, char *buf, size_t len);

/*
 * Once, when the policy is first read: where requests may come from
 * ($XDG_RUNTIME_DIR only when the environment may choose), and the
 * request files' times now, so that an old one is not taken as new.
 */
void attls_reload_setup(bool secure);

/*
 * ATTLS_RELOAD_ASKED once per new request; else ATTLS_RELOAD_TIMER to one
 * caller a second; else ATTLS_RELOAD_NONE. Lock-free: atomics only; a
 * stat or two of the request files, which cost a connection little.
 */
int attls_reload_due(void);
/* A request taken by attls_reload_due and not served: asked again at the next call. */
void attls_reload_again(void);

#endif
