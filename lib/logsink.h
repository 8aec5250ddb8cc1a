/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where attls's lines go (trace.h formats them): journald's native socket,
 * /run/systemd/journal/socket, where it exists; else syslog's /dev/log;
 * else, for error lines, the program's stderr. Never blocks the program:
 * a socket whose queue is full counts as one that does not answer.
 */
#ifndef ATTLS_LOGSINK_H
#define ATTLS_LOGSINK_H

#include <stdbool.h>

#define ATTLS_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define ATTLS_SYSLOG_SOCKET "/dev/log"

/*
 * Sends one line (printable ASCII) with its priority (facility | severity)
 * and message id. Returns whether a log socket took it. When none took an
 * error line (error: the caller writes it to stderr then), the first time
 * for each reason (no socket, a full queue, another send error) in this
 * process (a fork's child does not repeat it) a line on stderr says why
 * and what becomes of the lines. Other lines no socket takes are dropped
 * without a word: a program that has no error gets nothing of attls on
 * its stderr, nor does each child it execs.
 */
bool attls_log_send(int pri, const char *msgid, const char *line, bool error);

/* Notes what fd 2 is when the program starts (the engine's first step). */
void attls_log_start(void);
/* The program made another file its stderr (dup2 or dup3 onto 2): lines follow it. */
void attls_log_stderr_moved(void);

/*
 * "attls[pid]: line" on the program's stderr: only while fd 2 is still
 * the file it was at the start or that the program dup2'd onto it, and
 * not a TCP socket (a program started
 * by inetd): clear text must not reach the wire, nor attls's lines a file
 * of the program's that took number 2 after it closed its stderr.
 */
void attls_log_stderr(const char *line);

#endif
