/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "shadow.h"

/* Whether the union of a's ranges holds every port of lo-hi. */
static bool ports_hold(const struct attls_port_set *a, unsigned lo, unsigned hi)
{
	unsigned x = lo;

	while (x <= hi) {
		unsigned next = x;

		for (size_t i = 0; i < a->n; i++)
			if (a->r[i].lo <= x && a->r[i].hi >= x && a->r[i].hi + 1u > next)
				next = a->r[i].hi + 1u;
		if (next == x)
			return false;
		x = next;
	}
	return true;
}

static bool ports_cover(const struct attls_port_set *a, const struct attls_port_set *b)
{
	if (a->any)
		return true;
	if (b->any) /* "*" also takes port 0 (an address without one): a never does */
		return false;
	for (size_t i = 0; i < b->n; i++)
		if (!ports_hold(a, b->r[i].lo, b->r[i].hi))
			return false;
	return true;
}

static bool prefix_equal(const uint8_t *x, const uint8_t *y, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(x, y, bytes))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (x[bytes] & mask) == (y[bytes] & mask);
	}
	return true;
}

/* A CIDR of b inside one of a's: several of a's that only together hold it are not seen. */
static bool addrs_cover(const struct attls_addr_set *a, const struct attls_addr_set *b)
{
	if (a->any)
		return true;
	if (b->any)
		return false;
	for (size_t i = 0; i < b->n; i++) {
		const struct attls_cidr *c = &b->c[i];
		bool in = false;

		for (size_t j = 0; j < a->n && !in; j++)
			in = a->c[j].family == c->family && a->c[j].prefix <= c->prefix &&
			     prefix_equal(a->c[j].addr, c->addr, a->c[j].prefix);
		if (!in)
			return false;
	}
	return true;
}

static bool glob_any(const char *g)
{
	return !g || !strcmp(g, "*");
}

/* Globs are not compared as languages: "*" or the same text only. */
static bool glob_covers(const char *a, const char *b)
{
	return glob_any(a) || (!glob_any(b) && !strcmp(a, b));
}

bool attls_traffic_covers(const struct attls_traffic *a, const struct attls_traffic *b)
{
	return !(b->direction & ~a->direction) &&
	       ports_cover(&a->local_port, &b->local_port) &&
	       ports_cover(&a->remote_port, &b->remote_port) &&
	       addrs_cover(&a->local_addr, &b->local_addr) &&
	       addrs_cover(&a->remote_addr, &b->remote_addr) &&
	       glob_covers(a->jobname, b->jobname) && glob_covers(a->user, b->user);
}

bool attls_traffic_outranks(const struct attls_traffic *a, const struct attls_traffic *b)
{
	if (a->enabled != b->enabled)
		return !a->enabled;
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a < b;
}

const struct attls_traffic *attls_traffic_shadow(const struct attls_policy *p,
						 const struct attls_traffic *b)
{
	for (size_t i = 0; i < p->n_traffic; i++) {
		const struct attls_traffic *a = &p->traffic[i];

		if (a != b && attls_traffic_outranks(a, b) && attls_traffic_covers(a, b))
			return a;
	}
	return NULL;
}
