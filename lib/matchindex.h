/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The descriptors a connection can match, found by its ports: each
 * descriptor is filed under the ports of its local_port set, or else of
 * its remote_port set, when that set is narrow; the others (any port, or
 * wide ranges) are candidates for every connection. A connection's
 * candidates come in file order, so that choosing among them gives what a
 * scan of every descriptor gives.
 */
#ifndef ATTLS_MATCHINDEX_H
#define ATTLS_MATCHINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Below this many descriptors, no index: a scan of them all is as fast. */
#define ATTLS_MATCH_INDEX_MIN 64

/* Built once the policy is valid; NULL under ATTLS_MATCH_INDEX_MIN
 * descriptors or for want of memory (then every descriptor is looked at). */
struct attls_match_index *attls_match_index_build(const struct attls_policy *p);
void attls_match_index_free(struct attls_match_index *ix);

/* The candidates of a connection with these ports, in file order. */
struct attls_match_cand {
	const uint32_t *list[3];
	size_t n[3], at[3];
	size_t last; /* the index given last, SIZE_MAX at first */
};

void attls_match_cand_start(const struct attls_match_index *ix, uint16_t local_port,
			    uint16_t remote_port, struct attls_match_cand *it);
/* The next candidate's index in p->traffic, or SIZE_MAX at the end. */
size_t attls_match_cand_next(struct attls_match_cand *it);

#endif
