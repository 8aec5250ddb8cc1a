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

#endif
