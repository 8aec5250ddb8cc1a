/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls query: which descriptor a connection would map to, and what it
 * would do. Criteria not given match anything. Exit 0 on a match, 1 on no
 * match, 2 on bad input.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/allowpeer.h"
#include "../lib/match.h"
#include "../lib/policy.h"
#include "attls.h"

static int parse_endpoint(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	unsigned long p = 0;

	if (port && attls_parse_number(port, 65535, &p, NULL) < 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (!addr || inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		return 0;
	}
	return -1;
}

static void print_trace(unsigned mask)
{
	static const char *const names[] = { "error-stderr", "error", "info",
					     "event", "flow", "data" };
	const char *sep = "";

	printf("  trace: %u (", mask);
	for (int i = 0; i < 6; i++)
		if (mask & (1u << i)) {
			printf("%s%s", sep, names[i]);
			sep = ", ";
		}
	printf("%s)\n", mask ? "" : "none");
}

static void print_ports(const char *key, const char *opt, const struct attls_port_set *s)
{
	if (s->any || !s->n)
		return;
	printf("  if %s is", key);
	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].lo == s->r[i].hi)
			printf("%s %u", i ? "," : "", s->r[i].lo);
		else
			printf("%s %u-%u", i ? "," : "", s->r[i].lo, s->r[i].hi);
	}
	printf(" (not asked: %s)\n", opt);
}

static void print_addrs(const char *key, const char *opt, const struct attls_addr_set *s)
{
	char a[INET6_ADDRSTRLEN];

	if (s->any || !s->n)
		return;
	printf("  if %s is", key);
	for (size_t i = 0; i < s->n; i++) {
		inet_ntop(s->c[i].family, s->c[i].addr, a, sizeof(a));
		printf("%s %s/%u", i ? "," : "", a, s->c[i].prefix);
	}
	printf(" (not asked: %s)\n", opt);
}

static bool any_glob(const char *g)
{
	return !g || !strcmp(g, "*");
}

/*
 * The descriptor's conditions on what the question left out: it matched
 * because they were taken as met, so the answer holds only where they are.
 */
static void print_unasked(const struct attls_traffic *t, const struct attls_match_conn *ci)
{
	if (ci->unknown & ATTLS_UNKNOWN_LPORT)
		print_ports("local_port", "--local-port", &t->local_port);
	if (ci->unknown & ATTLS_UNKNOWN_RPORT)
		print_ports("remote_port", "--remote-port", &t->remote_port);
	if (ci->unknown & ATTLS_UNKNOWN_LADDR)
		print_addrs("local_addr", "--local-addr", &t->local_addr);
	if (ci->unknown & ATTLS_UNKNOWN_RADDR)
		print_addrs("remote_addr", "--remote-addr", &t->remote_addr);
	if ((ci->unknown & ATTLS_UNKNOWN_JOB) && !any_glob(t->jobname))
		printf("  if jobname is %s (not asked: --jobname)\n", t->jobname);
	if ((ci->unknown & ATTLS_UNKNOWN_USER) && !any_glob(t->user))
		printf("  if user is %s (not asked: --user)\n", t->user);
}

int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "direction", required_argument, NULL, 'd' },
		{ "local-port", required_argument, NULL, 'l' },
		{ "remote-port", required_argument, NULL, 'r' },
		{ "local-addr", required_argument, NULL, 'L' },
		{ "remote-addr", required_argument, NULL, 'R' },
		{ "jobname", required_argument, NULL, 'j' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lport = NULL, *rport = NULL, *laddr = NULL, *raddr = NULL;
	struct attls_match_conn ci = { 0 };
	struct attls_errors errs = { 0 };
	const struct attls_traffic *t;
	struct attls_policy *p;
	int o;

	ci.unknown = ATTLS_UNKNOWN_LPORT | ATTLS_UNKNOWN_RPORT | ATTLS_UNKNOWN_LADDR |
		     ATTLS_UNKNOWN_RADDR | ATTLS_UNKNOWN_JOB | ATTLS_UNKNOWN_USER;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			if (attls_parse_direction(optarg, &ci.direction) < 0 ||
			    ci.direction == ATTLS_DIR_BOTH) {
				fprintf(stderr, "attls query: --direction is inbound or outbound\n");
				return 2;
			}
			break;
		case 'l': lport = optarg; ci.unknown &= ~ATTLS_UNKNOWN_LPORT; break;
		case 'r': rport = optarg; ci.unknown &= ~ATTLS_UNKNOWN_RPORT; break;
		case 'L': laddr = optarg; ci.unknown &= ~ATTLS_UNKNOWN_LADDR; break;
		case 'R': raddr = optarg; ci.unknown &= ~ATTLS_UNKNOWN_RADDR; break;
		case 'j': ci.jobname = optarg; ci.unknown &= ~ATTLS_UNKNOWN_JOB; break;
		case 'u': {
			unsigned long uid;

			ci.user = optarg;
			ci.uid = attls_parse_number(optarg, (uid_t)-2, &uid, NULL) == 0 ?
					 (uid_t)uid : (uid_t)-1;
			ci.unknown &= ~ATTLS_UNKNOWN_USER;
			break;
		}
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || !ci.direction) {
		fprintf(stderr, "usage: attls query FILE --direction inbound|outbound "
				"[--local-port P] [--remote-port P] [--local-addr A] "
				"[--remote-addr A] [--jobname J] [--user U]\n");
		return 2;
	}
	if (parse_endpoint(laddr, lport, &ci.local) < 0 ||
	    parse_endpoint(raddr, rport, &ci.remote) < 0) {
		fprintf(stderr, "attls query: bad address or port\n");
		return 2;
	}
	char abs[4352];

	/* What would match needs no key material: no file the policy names is opened. */
	p = attls_policy_load_ex(attls_abs_path(argv[optind], abs, sizeof(abs)), ATTLS_POLICY_NO_FILES,
				 &errs);
	if (!p) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		attls_errors_free(&errs);
		return 2;
	}
	t = attls_match(p, &ci);
	if (!t) {
		printf("no match: the connection stays clear text\n");
		attls_policy_free(p);
		return 1;
	}
	printf("match: %s (%s:%d)\n", t->name, p->file, t->line);
	print_unasked(t, &ci);
	if (!t->enabled) {
		printf("  action: clear text (enabled = no)\n");
	} else {
		enum attls_role role = attls_traffic_role(t, ci.direction);

		printf("  action: TLS\n");
		printf("  role: %s\n", attls_role_name(role));
		printf("  keyring: %s\n", t->keyring->name);
		printf("  security: %s\n", t->security ? t->security->name : "(default)");
		if (role == ATTLS_ROLE_CLIENT)
			printf("  server_name: %s\n", t->server_name);
		if (role == ATTLS_ROLE_SERVER)
			printf("  client_auth: %s\n", attls_client_auth_name(
				t->security ? t->security->client_auth : ATTLS_CLIENT_AUTH_NONE));
		const struct attls_allow *allow = attls_traffic_allow(t);

		if (allow) {
			char list[4096];

			printf("  allow_peer: %s (%s:%d)\n", attls_allow_str(allow, list, sizeof(list)),
			       p->file, allow->line);
		}
	}
	printf("  priority: %ld\n", t->priority);
	print_trace(t->trace >= 0 ? (unsigned)t->trace : p->trace);
	attls_policy_free(p);
	return 0;
}
