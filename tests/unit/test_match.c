/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The matcher: every criterion, priorities, ties and exemptions. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/match.h"
#include "helpers.h"

#define KR "[keyring K]\ncert = @D@/cert.pem\nkey = @D@/key.pem\nca = @D@/ca.pem\n"

static struct attls_match_conn conn(unsigned dir, const char *laddr, int lport,
				   const char *raddr, int rport)
{
	struct attls_match_conn c = { .direction = dir, .jobname = "broker", .user = "wi02usr",
				     .uid = 1234 };

	if (strchr(laddr, ':')) {
		struct sockaddr_in6 *l = (void *)&c.local, *r = (void *)&c.remote;

		l->sin6_family = r->sin6_family = AF_INET6;
		inet_pton(AF_INET6, laddr, &l->sin6_addr);
		inet_pton(AF_INET6, raddr, &r->sin6_addr);
		l->sin6_port = htons((uint16_t)lport);
		r->sin6_port = htons((uint16_t)rport);
	} else {
		struct sockaddr_in *l = (void *)&c.local, *r = (void *)&c.remote;

		l->sin_family = r->sin_family = AF_INET;
		inet_pton(AF_INET, laddr, &l->sin_addr);
		inet_pton(AF_INET, raddr, &r->sin_addr);
		l->sin_port = htons((uint16_t)lport);
		r->sin_port = htons((uint16_t)rport);
	}
	return c;
}

static struct attls_policy *policy(const char *traffic)
{
	struct attls_errors errs = { 0 };
	char text[4096];
	struct attls_policy *p;

	snprintf(text, sizeof(text), KR "%s", traffic);
	p = load_text(text, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(p);
	return p;
}

static const char *match_name(struct attls_policy *p, struct attls_match_conn c)
{
	const struct attls_traffic *t = attls_match(p, &c);

	return t ? t->name : "none";
}

START_TEST(test_direction)
{
	struct attls_policy *p = policy("[traffic In]\ndirection = inbound\nkeyring = K\n");

	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "127.0.0.1", 7800, "127.0.0.1", 5000)), "In");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_OUTBOUND, "127.0.0.1", 5000, "127.0.0.1", 7800)), "none");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_ports)
{
	struct attls_policy *p = policy(
		"[traffic Single]\ndirection = inbound\nlocal_port = 7800\nkeyring = K\n"
		"[traffic Range]\ndirection = inbound\nlocal_port = 8000-8009\nkeyring = K\n"
		"[traffic List]\ndirection = inbound\nlocal_port = 9001, 9003\nremote_port = 1000-1999\n"
		"keyring = K\n");

	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 7800, "10.0.0.2", 1)), "Single");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 7801, "10.0.0.2", 1)), "none");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 8000, "10.0.0.2", 1)), "Range");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 8009, "10.0.0.2", 1)), "Range");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 8010, "10.0.0.2", 1)), "none");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 9003, "10.0.0.2", 1500)), "List");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 9002, "10.0.0.2", 1500)), "none");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 9001, "10.0.0.2", 2000)), "none");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_addresses)
{
	struct attls_policy *p = policy(
		"[traffic Net]\nremote_addr = 192.168.0.0/16\nlocal_port = 1\nkeyring = K\nserver_name = x\n"
		"[traffic Six]\nremote_addr = 2001:db8::/32\nlocal_port = 1\nkeyring = K\nserver_name = x\n"
		"[traffic Local]\nlocal_addr = 127.0.0.1, ::1\nlocal_port = 2\nkeyring = K\nserver_name = x\n");

	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 1, "192.168.4.5", 9)), "Net");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 1, "192.169.4.5", 9)), "none");
	/* IPv4-mapped IPv6 is IPv4. */
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "::ffff:10.0.0.1", 1, "::ffff:192.168.4.5", 9)),
			 "Net");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "::1", 1, "2001:db8:1::7", 9)), "Six");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "::1", 1, "2001:db9::7", 9)), "none");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_OUTBOUND, "::1", 2, "::1", 9)), "Local");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_OUTBOUND, "127.0.0.1", 2, "127.0.0.1", 9)), "Local");
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_OUTBOUND, "127.0.0.2", 2, "127.0.0.1", 9)), "none");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_jobname_and_user)
{
	struct attls_policy *p = policy(
		"[traffic Job]\ndirection = inbound\njobname = WI02*\nlocal_port = 1\nkeyring = K\n"
		"[traffic Name]\ndirection = inbound\nuser = wi02u?r\nlocal_port = 2\nkeyring = K\n"
		"[traffic Uid]\ndirection = inbound\nuser = 1234\nlocal_port = 3\nkeyring = K\n");
	struct attls_match_conn c = conn(ATTLS_DIR_INBOUND, "10.0.0.1", 1, "10.0.0.2", 9);

	ck_assert_str_eq(match_name(p, c), "none"); /* job "broker" */
	c.jobname = "WI02BRK";
	ck_assert_str_eq(match_name(p, c), "Job");
	c = conn(ATTLS_DIR_INBOUND, "10.0.0.1", 2, "10.0.0.2", 9);
	ck_assert_str_eq(match_name(p, c), "Name");
	c.user = "root";
	ck_assert_str_eq(match_name(p, c), "none");
	c.user = NULL; /* a uid with no name */
	ck_assert_str_eq(match_name(p, c), "none");
	c = conn(ATTLS_DIR_INBOUND, "10.0.0.1", 3, "10.0.0.2", 9);
	ck_assert_str_eq(match_name(p, c), "Uid");
	c.uid = 0;
	ck_assert_str_eq(match_name(p, c), "none");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_priority_and_ties)
{
	struct attls_policy *p = policy(
		"[traffic First]\ndirection = inbound\nkeyring = K\n"
		"[traffic Second]\ndirection = inbound\nkeyring = K\n"
		"[traffic High]\ndirection = inbound\nlocal_port = 7800\npriority = 10\nkeyring = K\n");

	/* Ties: the first in the file. */
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 1, "10.0.0.2", 9)), "First");
	/* The highest priority wins, wherever it stands. */
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 7800, "10.0.0.2", 9)), "High");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_exemption_outranks)
{
	struct attls_policy *p = policy(
		"[traffic Tls]\ndirection = inbound\npriority = 100\nkeyring = K\n"
		"[traffic Exempt]\ndirection = inbound\nremote_addr = 10.9.0.0/16\nenabled = no\n");
	const struct attls_traffic *t;
	struct attls_match_conn c = conn(ATTLS_DIR_INBOUND, "10.0.0.1", 1, "10.9.1.1", 9);

	t = attls_match(p, &c);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "Exempt");
	ck_assert(!t->enabled);
	ck_assert_str_eq(match_name(p, conn(ATTLS_DIR_INBOUND, "10.0.0.1", 1, "10.8.1.1", 9)), "Tls");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_role_from_direction)
{
	struct attls_policy *p = policy("[traffic Both]\nkeyring = K\nserver_name = peer\n");

	ck_assert_int_eq(attls_traffic_role(&p->traffic[0], ATTLS_DIR_INBOUND), ATTLS_ROLE_SERVER);
	ck_assert_int_eq(attls_traffic_role(&p->traffic[0], ATTLS_DIR_OUTBOUND), ATTLS_ROLE_CLIENT);
	attls_policy_free(p);
}
END_TEST

START_TEST(test_query_unknown_criteria)
{
	struct attls_policy *p = policy("[traffic In]\ndirection = inbound\nlocal_port = 7800\n"
					"jobname = WI*\nkeyring = K\n");
	struct attls_match_conn c = { .direction = ATTLS_DIR_INBOUND,
				     .unknown = ATTLS_UNKNOWN_RPORT | ATTLS_UNKNOWN_LADDR |
						ATTLS_UNKNOWN_RADDR | ATTLS_UNKNOWN_JOB |
						ATTLS_UNKNOWN_USER };
	struct sockaddr_in *l = (void *)&c.local;

	l->sin_family = AF_INET;
	l->sin_port = htons(7800);
	ck_assert_str_eq(match_name(p, c), "In");
	l->sin_port = htons(7801);
	ck_assert_str_eq(match_name(p, c), "none");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_format_addr)
{
	struct attls_match_conn c = conn(ATTLS_DIR_INBOUND, "::1", 443, "::ffff:10.1.2.3", 5);
	char buf[64];

	ck_assert_str_eq(attls_format_addr(&c.local, buf, sizeof(buf)), "[::1]:443");
	ck_assert_str_eq(attls_format_addr(&c.remote, buf, sizeof(buf)), "10.1.2.3:5");
}
END_TEST

/*
 * The port index gives what a scan of every descriptor gives: a random
 * policy of 3,000 descriptors (single ports, lists, ranges that overlap,
 * ranges too wide to file port by port, any port; priorities, ties,
 * exemptions, addresses, user names) and 20,000 random connections (2,000
 * under valgrind), each
 * matched with the index and without it; the user criterion likewise.
 */
START_TEST(test_index_same_as_scan)
{
	size_t n = 3000, cap = n * 200 + 4096, off = 0;
	char *text = malloc(cap);
	struct attls_errors errs = { 0 };
	struct attls_policy *p;
	unsigned seed = 7;

	ck_assert_ptr_nonnull(text);
	off += (size_t)snprintf(text + off, cap - off, KR);
	for (size_t i = 0; i < n; i++) {
		int base = 1000 + rand_r(&seed) % 200, r = rand_r(&seed) % 100;
		int kind = r < 40 ? 0 : r < 70 ? 1 : r < 90 ? 2 : r < 95 ? 3 : r < 97 ? 4 : 5;
		/* Catch-alls rank low, as they do in a policy; ports of their own win. */
		int prio = kind < 3 ? rand_r(&seed) % 1000 : rand_r(&seed) % 500;
		char ports[64];
		const char *dim = rand_r(&seed) % 2 ? "local_port" : "remote_port";

		switch (kind) {
		case 0: snprintf(ports, sizeof(ports), "%d", base); break;
		case 1: snprintf(ports, sizeof(ports), "%d, %d", base, base + 7); break;
		case 2: snprintf(ports, sizeof(ports), "%d-%d, %d", base, base + 5, base + 2); break;
		case 3: snprintf(ports, sizeof(ports), "%d-%d", base, base + 100); break;
		case 4: snprintf(ports, sizeof(ports), "0-65535"); break;
		default: snprintf(ports, sizeof(ports), "*"); break;
		}
		off += (size_t)snprintf(text + off, cap - off,
					"[traffic t%zu]\ndirection = %s\n%s = %s\nkeyring = K\n"
					"server_name = peer\npriority = %d\n%s%s%s",
					i, rand_r(&seed) % 3 ? "inbound" : "both", dim, ports,
					prio, rand_r(&seed) % 30 ? "" : "enabled = no\n",
					rand_r(&seed) % 4 ? "" : "remote_addr = 10.0.0.0/8\n",
					rand_r(&seed) % 8 ? "" : "user = wi0*\n");
	}
	p = load_text(text, &errs);
	free(text);
	for (size_t i = 0; i < errs.n && i < 5; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(p->match_index);
	int conns = getenv("ATTLS_UNIT_QUICK") ? 2000 : 20000;

	for (int k = 0; k < conns; k++) {
		struct attls_match_conn c = conn(rand_r(&seed) % 2 ? ATTLS_DIR_INBOUND : ATTLS_DIR_OUTBOUND,
						"127.0.0.1", 990 + rand_r(&seed) % 330,
						rand_r(&seed) % 2 ? "10.1.2.3" : "192.0.2.1",
						990 + rand_r(&seed) % 330);
		struct attls_match_index *ix = p->match_index;
		const struct attls_traffic *with = attls_match(p, &c), *without;
		bool uw = attls_user_criterion_applies(p, &c), uwo;

		p->match_index = NULL;
		without = attls_match(p, &c);
		uwo = attls_user_criterion_applies(p, &c);
		p->match_index = ix;
		ck_assert_msg(with == without, "connection %d: %s with the index, %s without", k,
			      with ? with->name : "none", without ? without->name : "none");
		ck_assert_int_eq(uw, uwo);
	}
	attls_policy_free(p);
}
END_TEST

Suite *match_suite(void)
{
	Suite *s = suite_create("match");
	TCase *tc = tcase_create("criteria");

	tcase_add_test(tc, test_direction);
	tcase_add_test(tc, test_ports);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_jobname_and_user);
	tcase_add_test(tc, test_priority_and_ties);
	tcase_add_test(tc, test_exemption_outranks);
	tcase_add_test(tc, test_role_from_direction);
	tcase_add_test(tc, test_query_unknown_criteria);
	tcase_add_test(tc, test_format_addr);
	tcase_add_test(tc, test_index_same_as_scan);
	suite_add_tcase(s, tc);
	return s;
}
