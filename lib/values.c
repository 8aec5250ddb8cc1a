/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for policy values: trace masks, ports, addresses, durations. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

/* Splits s on commas (and blanks) into tokens; calls fn on each. */
static int for_each_token(const char *s, int (*fn)(const char *tok, void *arg),
			  void *arg)
{
	char buf[64];
	int n = 0;
	bool comma = false; /* a comma with no item after it yet */

	while (*s) {
		size_t len;

		while (isspace((unsigned char)*s))
			s++;
		if (*s == ',') {
			/* An empty item ("1,,2", a leading or trailing comma) is a typo. */
			if (comma || !n)
				return -1;
			comma = true;
			s++;
			continue;
		}
		if (!*s)
			break;
		comma = false;
		len = strcspn(s, ", \t");
		if (len >= sizeof(buf))
			return -1;
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (fn(buf, arg) < 0)
			return -1;
		n++;
		s += len;
	}
	return n > 0 && !comma ? 0 : -1;
}

int attls_parse_number(const char *s, unsigned long max, unsigned long *out,
		       const char **end)
{
	unsigned long v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > max / 10 || d > max - v * 10)
			return -1;
		v = v * 10 + d;
	}
	if (end)
		*end = p;
	else if (*p)
		return -1;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} trace_names[] = {
	{ "error-stderr", ATTLS_TRACE_ERROR_STDERR },
	{ "error", ATTLS_TRACE_ERROR },
	{ "info", ATTLS_TRACE_INFO },
	{ "event", ATTLS_TRACE_EVENT },
	{ "flow", ATTLS_TRACE_FLOW },
	{ "data", ATTLS_TRACE_DATA },
	{ "none", 0 },
};

static int trace_token(const char *tok, void *arg)
{
	unsigned *mask = arg;
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(trace_names) / sizeof(trace_names[0]); i++) {
		if (!strcasecmp(tok, trace_names[i].name)) {
			*mask |= trace_names[i].bit;
			return 0;
		}
	}
	if (attls_parse_number(tok, 255, &v, NULL) < 0)
		return -1;
	*mask |= (unsigned)v;
	return 0;
}

int attls_parse_trace(const char *s, unsigned *out)
{
	unsigned mask = 0;

	if (for_each_token(s, trace_token, &mask) < 0)
		return -1;
	*out = mask;
	return 0;
}

static int parse_port(const char *s, const char **end, uint16_t *out)
{
	unsigned long v;

	if (attls_parse_number(s, 65535, &v, end) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int port_token(const char *tok, void *arg)
{
	struct attls_port_set *p = arg;
	struct attls_port_range r, *nr;
	const char *e;

	if (!strcmp(tok, "*")) {
		p->any = true;
		return 0;
	}
	if (parse_port(tok, &e, &r.lo) < 0)
		return -1;
	r.hi = r.lo;
	if (*e == '-' && parse_port(e + 1, &e, &r.hi) < 0)
		return -1;
	if (*e || r.hi < r.lo)
		return -1;
	nr = realloc(p->r, (p->n + 1) * sizeof(*nr));
	if (!nr)
		return -1;
	p->r = nr;
	p->r[p->n++] = r;
	return 0;
}

void attls_port_set_free(struct attls_port_set *p)
{
	free(p->r);
	memset(p, 0, sizeof(*p));
}

int attls_parse_ports(const char *s, struct attls_port_set *out)
{
	struct attls_port_set p = { 0 };

	if (for_each_token(s, port_token, &p) < 0) {
		attls_port_set_free(&p);
		return -1;
	}
	attls_port_set_free(out);
	*out = p;
	return 0;
}

/* An IPv4-mapped IPv6 address is kept as the IPv4 address it carries. */
static void cidr_unmap(struct attls_cidr *c)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (c->family == AF_INET6 && !memcmp(c->addr, mapped, 12) &&
	    c->prefix >= 96) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->prefix -= 96;
	}
}

static int addr_token(const char *tok, void *arg)
{
	struct attls_addr_set *a = arg;
	struct attls_cidr c = { 0 }, *nc;
	char host[64];
	const char *slash;
	size_t hl;

	if (!strcmp(tok, "*")) {
		a->any = true;
		return 0;
	}
	slash = strchr(tok, '/');
	hl = slash ? (size_t)(slash - tok) : strlen(tok);
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, tok, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, c.addr) == 1) {
		c.family = AF_INET;
		c.prefix = 32;
	} else if (inet_pton(AF_INET6, host, c.addr) == 1) {
		c.family = AF_INET6;
		c.prefix = 128;
	} else {
		return -1;
	}
	if (slash) {
		unsigned long v;

		if (attls_parse_number(slash + 1, c.prefix, &v, NULL) < 0)
			return -1;
		c.prefix = (unsigned)v;
	}
	cidr_unmap(&c);
	nc = realloc(a->c, (a->n + 1) * sizeof(*nc));
	if (!nc)
		return -1;
	a->c = nc;
	a->c[a->n++] = c;
	return 0;
}

void attls_addr_set_free(struct attls_addr_set *a)
{
	free(a->c);
	memset(a, 0, sizeof(*a));
}

int attls_parse_addrs(const char *s, struct attls_addr_set *out)
{
	struct attls_addr_set a = { 0 };

	if (for_each_token(s, addr_token, &a) < 0) {
		attls_addr_set_free(&a);
		return -1;
	}
	attls_addr_set_free(out);
	*out = a;
	return 0;
}

int attls_parse_direction(const char *s, unsigned *out)
{
	if (!strcasecmp(s, "inbound"))
		*out = ATTLS_DIR_INBOUND;
	else if (!strcasecmp(s, "outbound"))
		*out = ATTLS_DIR_OUTBOUND;
	else if (!strcasecmp(s, "both"))
		*out = ATTLS_DIR_BOTH;
	else
		return -1;
	return 0;
}

/* "10s", "500ms", "2m" or a bare number of seconds: 1 ms to 1 hour. */
int attls_parse_duration_ms(const char *s, unsigned *out)
{
	const unsigned long limit = 3600000;
	unsigned long v, unit;
	const char *e;

	if (attls_parse_number(s, limit, &v, &e) < 0)
		return -1;
	if (!*e || !strcasecmp(e, "s"))
		unit = 1000;
	else if (!strcasecmp(e, "m"))
		unit = 60000;
	else if (!strcasecmp(e, "ms"))
		unit = 1;
	else
		return -1;
	if (v == 0 || v > limit / unit) /* checked before it is multiplied */
		return -1;
	*out = (unsigned)(v * unit);
	return 0;
}

const char *attls_role_name(enum attls_role r)
{
	return r == ATTLS_ROLE_SERVER ? "server" :
	       r == ATTLS_ROLE_CLIENT ? "client" : "default";
}

const char *attls_direction_name(unsigned d)
{
	return d == ATTLS_DIR_INBOUND ? "inbound" :
	       d == ATTLS_DIR_OUTBOUND ? "outbound" : "both";
}

const char *attls_client_auth_name(enum attls_client_auth a)
{
	return a == ATTLS_CLIENT_AUTH_REQUIRED ? "required" :
	       a == ATTLS_CLIENT_AUTH_OPTIONAL ? "optional" : "none";
}

enum attls_role attls_traffic_role(const struct attls_traffic *t,
				   unsigned conn_direction)
{
	if (t->role != ATTLS_ROLE_DEFAULT)
		return t->role;
	return conn_direction == ATTLS_DIR_OUTBOUND ? ATTLS_ROLE_CLIENT :
						      ATTLS_ROLE_SERVER;
}
