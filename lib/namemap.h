/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A hash table from byte strings to indexes, for the policy loader: a
 * section found by its name, a TLS context by what it is built from, in
 * constant time, so that a policy of n sections loads in O(n).
 */
#ifndef ATTLS_NAMEMAP_H
#define ATTLS_NAMEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct attls_namemap_entry;

struct attls_namemap {
	size_t n, cap; /* cap: 0 or a power of two, at most half full */
	struct attls_namemap_entry *e;
};

/*
 * Adds key -> val. Returns 1 if added, 0 if key was there (*old gets its
 * value, nothing changes), -1 for want of memory.
 */
int attls_namemap_put(struct attls_namemap *m, const void *key, size_t len, size_t val,
		      size_t *old);
/* Whether key is there; *val gets its value. */
bool attls_namemap_get(const struct attls_namemap *m, const void *key, size_t len,
		       size_t *val);
void attls_namemap_free(struct attls_namemap *m);

#endif
