/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What /proc says about a process: its sockets, attls, who it runs as. */
#ifndef ATTLS_PROCSCAN_H
#define ATTLS_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The socket inodes pid's descriptors hold, into *inodes (*n of them,
 * malloc'ed). Returns 0, or -1 with errno (ENOENT: the process is gone;
 * EACCES: not ours to read).
 */
int attls_proc_sockets(pid_t pid, unsigned long **inodes, size_t *n);

/* Whether pid is a kernel thread (no program attls could be loaded into). */
bool attls_proc_is_kthread(pid_t pid);

/*
 * Whether pid maps a file named libattls.so (any directory): 1 or 0, or
 * -1 with errno.
 */
int attls_proc_has_attls(pid_t pid);

struct stat;
/*
 * Whether pid (0: this process) maps the file at path, whose stat is *st:
 * by device and inode, or by canonical path. On overlayfs (a container's
 * root) maps shows the inode of the layer below, not the one stat() sees,
 * while its path is the overlay's. 1 or 0, or -1 with errno when pid's maps
 * cannot be read.
 */
int attls_proc_maps_file(pid_t pid, const char *path, const struct stat *st);

struct attls_proc_id {
	uid_t uid;        /* effective */
	bool user_known;  /* user holds the name of uid */
	bool secure;      /* started in secure-execution mode (AT_SECURE) */
	char user[64];    /* the name, or the uid in decimal */
	char program[64]; /* the last component of the file it runs, or comm */
	char jobname[64]; /* as attls would name it (lib/envtrust.h) */
};

/*
 * Who pid is, as attls inside it would see it: the effective uid and its
 * name; the job name is ATTLS_JOBNAME from its environment, else argv[0]'s
 * last component, and in secure-execution mode the name of its file.
 * Returns 0, or -1 with errno when its status cannot be read.
 */
int attls_proc_identity(pid_t pid, struct attls_proc_id *id);

/* The process's comm (its short name), "?" if it cannot be read. */
void attls_proc_comm(pid_t pid, char *out, size_t len);

#endif
