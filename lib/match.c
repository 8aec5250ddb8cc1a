/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "matchindex.h"

/* The address and port of ss; IPv4-mapped IPv6 comes back as IPv4. */
static int addr_of(const struct sockaddr_storage *ss, int *family,
		   uint8_t addr[16], uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		*family = AF_INET;
		memcpy(addr, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		*port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*family = AF_INET;
			memcpy(addr, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, s6->sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

static int port_in(const struct attls_port_set *ps, uint16_t port)
{
	if (ps->any)
		return 1;
	for (size_t i = 0; i < ps->n; i++)
		if (port >= ps->r[i].lo && port <= ps->r[i].hi)
			return 1;
	return 0;
}

static int prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes))
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (a[bytes] & mask) == (b[bytes] & mask);
	}
	return 1;
}

static int addr_in(const struct attls_addr_set *as, int family,
		   const uint8_t *addr)
{
	if (as->any)
		return 1;
	for (size_t i = 0; i < as->n; i++)
		if (as->c[i].family == family &&
		    prefix_equal(as->c[i].addr, addr, as->c[i].prefix))
			return 1;
	return 0;
}

static int user_matches(const char *pattern, const struct attls_match_conn *c)
{
	const char *p = pattern;

	if (!strcmp(pattern, "*"))
		return 1;
	while (isdigit((unsigned char)*p))
		p++;
	if (!*p) /* a uid */
		return strtoul(pattern, NULL, 10) == (unsigned long)c->uid;
	return c->user && fnmatch(pattern, c->user, 0) == 0;
}

int attls_traffic_matches(const struct attls_traffic *t,
			  const struct attls_match_conn *c)
{
	int lf = 0, rf = 0;
	uint8_t la[16] = { 0 }, ra[16] = { 0 };
	uint16_t lp = 0, rp = 0;

	if (!(t->direction & c->direction))
		return 0;
	if (addr_of(&c->local, &lf, la, &lp) < 0 && !(c->unknown & ATTLS_UNKNOWN_LADDR))
		return 0;
	if (addr_of(&c->remote, &rf, ra, &rp) < 0 && !(c->unknown & ATTLS_UNKNOWN_RADDR))
		return 0;
	if (!(c->unknown & ATTLS_UNKNOWN_LPORT) && !port_in(&t->local_port, lp))
		return 0;
	if (!(c->unknown & ATTLS_UNKNOWN_RPORT) && !port_in(&t->remote_port, rp))
		return 0;
	if (!(c->unknown & ATTLS_UNKNOWN_LADDR) && !addr_in(&t->local_addr, lf, la))
		return 0;
	if (!(c->unknown & ATTLS_UNKNOWN_RADDR) && !addr_in(&t->remote_addr, rf, ra))
		return 0;
	if (!(c->unknown & ATTLS_UNKNOWN_JOB) && t->jobname &&
	    fnmatch(t->jobname, c->jobname ? c->jobname : "", 0))
		return 0;
	if (!(c->unknown & ATTLS_UNKNOWN_USER) && t->user && !user_matches(t->user, c))
		return 0;
	return 1;
}

bool attls_job_needs_tls(const struct attls_policy *p, const char *jobname)
{
	for (size_t i = 0; i < p->n_traffic; i++) {
		const struct attls_traffic *t = &p->traffic[i];

		if (t->enabled && t->keyring &&
		    (!t->jobname || fnmatch(t->jobname, jobname ? jobname : "", 0) == 0))
			return true;
	}
	return false;
}

static bool user_is_name(const char *pattern)
{
	const char *p = pattern;

	if (!strcmp(pattern, "*"))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return *p != '\0';
}

/*
 * The descriptors that can match c, in file order: those its ports find
 * in the index, or every one (no index, or a port a query leaves open).
 */
struct cands {
	const struct attls_policy *p;
	struct attls_match_cand it;
	bool all;
	size_t i;
};

static void cands_start(struct cands *cs, const struct attls_policy *p,
			const struct attls_match_conn *c)
{
	int family;
	uint8_t a[16];
	uint16_t lp = 0, rp = 0;

	cs->p = p;
	cs->i = 0;
	cs->all = !p->match_index || (c->unknown & (ATTLS_UNKNOWN_LPORT | ATTLS_UNKNOWN_RPORT));
	if (cs->all)
		return;
	/* The ports attls_traffic_matches compares (0 where it finds none). */
	if (addr_of(&c->local, &family, a, &lp) < 0)
		lp = 0;
	if (addr_of(&c->remote, &family, a, &rp) < 0)
		rp = 0;
	attls_match_cand_start(p->match_index, lp, rp, &cs->it);
}

static const struct attls_traffic *cands_next(struct cands *cs)
{
	size_t i;

	if (cs->all)
		return cs->i < cs->p->n_traffic ? &cs->p->traffic[cs->i++] : NULL;
	i = attls_match_cand_next(&cs->it);
	return i == SIZE_MAX ? NULL : &cs->p->traffic[i];
}

bool attls_user_criterion_applies(const struct attls_policy *p,
				  const struct attls_match_conn *c)
{
	struct attls_match_conn open = *c;
	const struct attls_traffic *t;
	struct cands cs;

	open.unknown |= ATTLS_UNKNOWN_USER;
	cands_start(&cs, p, &open);
	while ((t = cands_next(&cs)))
		if (t->user && user_is_name(t->user) && attls_traffic_matches(t, &open))
			return true;
	return false;
}

static const struct attls_traffic *choose(struct cands *cs, const struct attls_match_conn *c)
{
	const struct attls_traffic *best = NULL, *t;

	while ((t = cands_next(cs))) {
		if (!attls_traffic_matches(t, c))
			continue;
		if (!t->enabled && (!best || best->enabled || t->priority > best->priority))
			best = t;
		else if (!best || (best->enabled && t->priority > best->priority))
			best = t;
	}
	return best;
}

const struct attls_traffic *attls_match(const struct attls_policy *p,
					const struct attls_match_conn *c)
{
	struct cands cs;

	cands_start(&cs, p, c);
	return choose(&cs, c);
}

const char *attls_format_addr(const struct sockaddr_storage *ss, char *buf,
			      size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int family = AF_INET;
	uint8_t a[16];
	uint16_t port = 0;

	if (addr_of(ss, &family, a, &port) == 0)
		inet_ntop(family, a, host, sizeof(host));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
	return buf;
}
