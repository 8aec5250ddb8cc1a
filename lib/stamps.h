/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the policy's files looked like when it was read: device, inode,
 * size and modification time of the policy file and of every file it
 * names (certificates, keys, CAs, the ticket key file, the PIN source),
 * so that a change, or a new file renamed into place, is seen by stat
 * alone. A CA directory is stamped as the directory: a file added,
 * removed or renamed into it changes its time.
 */
#ifndef ATTLS_STAMPS_H
#define ATTLS_STAMPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

struct attls_stamp {
	char *path;
	int err; /* stat's errno, 0 if it answered */
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_s;
	long mtime_ns;
};

struct attls_stamps {
	size_t n;
	struct attls_stamp *s;
};

/* Stamps path now into out. 0, or -1 (ENOMEM). */
int attls_stamps_add(struct attls_stamps *out, const char *path);
/* Stamps every file p names (URIs excluded). 0, or -1 (ENOMEM). */
int attls_stamps_add_policy(struct attls_stamps *out, const struct attls_policy *p);
/* Whether a file is no longer as stamped; *path says which (valid while st is). */
bool attls_stamps_changed(const struct attls_stamps *st, const char **path);
void attls_stamps_free(struct attls_stamps *st);

#endif
