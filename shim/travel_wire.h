/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sessions that travel with their sockets through SCM_RIGHTS: one
 * sealed memfd named "attls-handoff", the first fd of a carrier's message
 * (travel_carrier.h), holding a header (magic, version, the sender's pid)
 * and, per socket, its device and inode and its session as bytes
 * (lib/handoff.h). The receiver reads it only from a carrier, and checks
 * its seals, its magic and the inodes, which must be those of the sockets
 * carried with it.
 */
#ifndef ATTLS_TRAVEL_WIRE_H
#define ATTLS_TRAVEL_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ATTLS_HANDOFF_NAME "attls-handoff"

struct attls_travel_entry {
	uint64_t dev, ino;  /* the socket's */
	unsigned char *blob; /* its session (attls_session_export) */
	size_t len;
};

/*
 * A sealed memfd (close-on-exec) holding the n entries; -1 with errno.
 * The caller closes it once sent.
 */
int attls_travel_seal(const struct attls_travel_entry *e, size_t n);

/*
 * Whether fd is a handoff memfd: 1 with *e (n entries, blobs malloc'ed:
 * attls_travel_free scrubs and frees them) and *pid, the sender; 0 if it
 * is anything else (left as it is); -1 with errno when reading it failed.
 */
int attls_travel_read(int fd, struct attls_travel_entry **e, size_t *n, pid_t *pid);
void attls_travel_free(struct attls_travel_entry *e, size_t n);

#endif
