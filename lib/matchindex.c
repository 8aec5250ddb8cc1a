/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "matchindex.h"

/* A set of more ports than this is not filed port by port. */
#define NARROW 64

#define PORTS 65536

struct attls_match_index {
	/* [0]: by local port, [1]: by remote port. start has PORTS + 1 offsets. */
	uint32_t *start[2], *ids[2];
	uint32_t *always;
	size_t n_always;
};

static size_t width(const struct attls_port_set *ps)
{
	size_t w = 0;

	if (ps->any)
		return SIZE_MAX;
	for (size_t i = 0; i < ps->n; i++)
		w += (size_t)ps->r[i].hi - ps->r[i].lo + 1;
	return w;
}

/* 0: filed by local port, 1: by remote port, 2: a candidate always. */
static int dim_of(const struct attls_traffic *t)
{
	if (width(&t->local_port) <= NARROW)
		return 0;
	if (width(&t->remote_port) <= NARROW)
		return 1;
	return 2;
}

static const struct attls_port_set *set_of(const struct attls_traffic *t, int d)
{
	return d == 0 ? &t->local_port : &t->remote_port;
}

void attls_match_index_free(struct attls_match_index *ix)
{
	if (!ix)
		return;
	for (int d = 0; d < 2; d++) {
		free(ix->start[d]);
		free(ix->ids[d]);
	}
	free(ix->always);
	free(ix);
}

struct attls_match_index *attls_match_index_build(const struct attls_policy *p)
{
	struct attls_match_index *ix;
	size_t total[2] = { 0, 0 };

	/* A few descriptors are scanned faster than the index (512 KiB) is built. */
	if (p->n_traffic < ATTLS_MATCH_INDEX_MIN || p->n_traffic > UINT32_MAX)
		return NULL;
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	for (int d = 0; d < 2; d++)
		if (!(ix->start[d] = calloc(PORTS + 1, sizeof(uint32_t))))
			goto fail;
	ix->always = malloc((p->n_traffic ? p->n_traffic : 1) * sizeof(uint32_t));
	if (!ix->always)
		goto fail;
	/* Counted per port (start[d][port + 1]), then summed into offsets. */
	for (size_t i = 0; i < p->n_traffic; i++) {
		const struct attls_traffic *t = &p->traffic[i];
		int d = dim_of(t);

		if (d == 2) {
			ix->always[ix->n_always++] = (uint32_t)i;
			continue;
		}
		for (size_t k = 0; k < set_of(t, d)->n; k++) {
			const struct attls_port_range *r = &set_of(t, d)->r[k];

			for (uint32_t port = r->lo; port <= r->hi; port++)
				ix->start[d][port + 1]++;
			total[d] += (size_t)r->hi - r->lo + 1;
		}
	}
	for (int d = 0; d < 2; d++) {
		if (total[d] > UINT32_MAX)
			goto fail;
		for (size_t port = 0; port < PORTS; port++)
			ix->start[d][port + 1] += ix->start[d][port];
		if (!(ix->ids[d] = malloc((total[d] ? total[d] : 1) * sizeof(uint32_t))))
			goto fail;
	}
	/* Filled in file order: each port's list is sorted. */
	uint32_t *fill[2];

	for (int d = 0; d < 2; d++) {
		if (!(fill[d] = malloc(PORTS * sizeof(uint32_t)))) {
			if (d)
				free(fill[0]);
			goto fail;
		}
		for (size_t port = 0; port < PORTS; port++)
			fill[d][port] = ix->start[d][port];
	}
	for (size_t i = 0; i < p->n_traffic; i++) {
		const struct attls_traffic *t = &p->traffic[i];
		int d = dim_of(t);

		for (size_t k = 0; d < 2 && k < set_of(t, d)->n; k++) {
			const struct attls_port_range *r = &set_of(t, d)->r[k];

			for (uint32_t port = r->lo; port <= r->hi; port++)
				ix->ids[d][fill[d][port]++] = (uint32_t)i;
		}
	}
	free(fill[0]);
	free(fill[1]);
	return ix;
fail:
	attls_match_index_free(ix);
	return NULL;
}

void attls_match_cand_start(const struct attls_match_index *ix, uint16_t local_port,
			    uint16_t remote_port, struct attls_match_cand *it)
{
	uint16_t port[2] = { local_port, remote_port };

	for (int d = 0; d < 2; d++) {
		it->list[d] = ix->ids[d] + ix->start[d][port[d]];
		it->n[d] = ix->start[d][port[d] + 1] - ix->start[d][port[d]];
		it->at[d] = 0;
	}
	it->list[2] = ix->always;
	it->n[2] = ix->n_always;
	it->at[2] = 0;
	it->last = SIZE_MAX;
}

size_t attls_match_cand_next(struct attls_match_cand *it)
{
	for (;;) {
		size_t best = SIZE_MAX;
		int from = -1;

		for (int k = 0; k < 3; k++)
			if (it->at[k] < it->n[k] && it->list[k][it->at[k]] < best) {
				best = it->list[k][it->at[k]];
				from = k;
			}
		if (from < 0)
			return SIZE_MAX;
		it->at[from]++;
		/* A set with overlapping ranges files a descriptor twice. */
		if (best != it->last) {
			it->last = best;
			return best;
		}
	}
}
