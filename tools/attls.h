/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ATTLS_TOOL_H
#define ATTLS_TOOL_H

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_ticketkey(int argc, char **argv);

#endif
