/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shadowed descriptors (attls check's warning): what covers what, who
 * outranks whom, and that a descriptor found shadowed is never the one
 * attls_match chooses.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/checkwarn.h"
#include "../../lib/match.h"
#include "../../lib/shadow.h"
#include "helpers.h"

#define KR "[keyring K]\ncert = @D@/cert.pem\nkey = @D@/key.pem\nca = @D@/ca.pem\n"

static struct attls_policy *policy(const char *traffic)
{
	struct attls_errors errs = { 0 };
	static char text[1 << 17];
	struct attls_policy *p;

	snprintf(text, sizeof(text), KR "%s", traffic);
	p = load_text(text, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	attls_errors_free(&errs);
	ck_assert_ptr_nonnull(p);
	return p;
}

static const struct attls_traffic *find(const struct attls_policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_traffic; i++)
		if (!strcmp(p->traffic[i].name, name))
			return &p->traffic[i];
	ck_abort_msg("no [traffic %s]", name);
	return NULL;
}

/* The name of the descriptor that shadows name, or "-". */
static const char *shadow_of(const struct attls_policy *p, const char *name)
{
	const struct attls_traffic *a = attls_traffic_shadow(p, find(p, name));

	return a ? a->name : "-";
}

#define IN "direction = inbound\nkeyring = K\n"

START_TEST(test_port_sets)
{
	struct attls_policy *p = policy(
		"[traffic Union]\n" IN "local_port = 8000-8099, 8100-8199\n"
		"[traffic Inside]\n" IN "local_port = 8050-8150\n"
		"[traffic Edge]\n" IN "local_port = 8199\n"
		"[traffic Beyond]\n" IN "local_port = 8150-8200\n"
		"[traffic Remote]\n" IN "local_port = 8100\nremote_port = 5\n"
		"[traffic Any]\n" IN "local_port = *\n"
		"[traffic Full]\n" IN "local_port = 0-65535\npriority = 9\n"
		"[traffic Star]\n" IN "priority = 8\n");

	ck_assert_str_eq(shadow_of(p, "Inside"), "Union");
	ck_assert_str_eq(shadow_of(p, "Edge"), "Union");
	ck_assert(!attls_traffic_covers(find(p, "Union"), find(p, "Beyond")));
	ck_assert_str_eq(shadow_of(p, "Beyond"), "Full");
	/* Union's remote port is "*": it covers any remote port. */
	ck_assert_str_eq(shadow_of(p, "Remote"), "Union");
	/* 0-65535 is proven to hold a list of ports, and "*" only by "*". */
	ck_assert_str_eq(shadow_of(p, "Union"), "Full");
	ck_assert_str_eq(shadow_of(p, "Any"), "Star");
	ck_assert_str_eq(shadow_of(p, "Star"), "-");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_address_sets)
{
	struct attls_policy *p = policy(
		"[traffic Ten]\n" IN "local_addr = 10.0.0.0/8, 2001:db8::/32\n"
		"[traffic Sub]\n" IN "local_addr = 10.1.0.0/16\n"
		"[traffic Host]\n" IN "local_addr = 10.9.9.9, 2001:db8::1\n"
		"[traffic Other]\n" IN "local_addr = 10.1.0.0/16, 11.0.0.1\n"
		"[traffic V6]\n" IN "local_addr = ::1\n"
		"[traffic Halves]\n" IN "remote_addr = 192.0.2.0/25, 192.0.2.128/25\n"
		"[traffic Whole]\n" IN "remote_addr = 192.0.2.0/24\n");

	ck_assert_str_eq(shadow_of(p, "Sub"), "Ten");
	ck_assert_str_eq(shadow_of(p, "Host"), "Ten");
	ck_assert_str_eq(shadow_of(p, "Other"), "-");
	ck_assert_str_eq(shadow_of(p, "V6"), "-");
	/* Two halves that only together hold a /24 are not proven: no warning. */
	ck_assert_str_eq(shadow_of(p, "Whole"), "-");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_globs_users_direction)
{
	struct attls_policy *p = policy(
		"[traffic Web]\n" IN "local_port = 80\njobname = web*\n"
		"[traffic Web2]\n" IN "local_port = 80\njobname = web*\nuser = www-data\n"
		"[traffic App]\n" IN "local_port = 80\njobname = webapp\n"
		"[traffic Uid]\n" IN "local_port = 81\nuser = 33\n"
		"[traffic Uid2]\n" IN "local_port = 81\nuser = 33\njobname = x\n"
		"[traffic Name]\n" IN "local_port = 81\nuser = www-data\n"
		"[traffic Both]\nlocal_port = 90\nkeyring = K\nserver_name = x\n"
		"[traffic In90]\n" IN "local_port = 90\n"
		"[traffic In91]\n" IN "local_port = 91\n"
		"[traffic Both91]\nlocal_port = 91\nkeyring = K\nserver_name = x\n");

	ck_assert_str_eq(shadow_of(p, "Web2"), "Web");
	/* web* holds webapp, but globs are not compared beyond "*" and equal text. */
	ck_assert_str_eq(shadow_of(p, "App"), "-");
	ck_assert_str_eq(shadow_of(p, "Uid2"), "Uid");
	ck_assert_str_eq(shadow_of(p, "Name"), "-");
	ck_assert_str_eq(shadow_of(p, "In90"), "Both");
	ck_assert_str_eq(shadow_of(p, "Both91"), "-");
	attls_policy_free(p);
}
END_TEST

START_TEST(test_ranks)
{
	struct attls_policy *p = policy(
		"[traffic Low]\n" IN "local_port = 100\npriority = 1\n"
		"[traffic High]\n" IN "local_port = 100\npriority = 2\n"
		"[traffic First]\n" IN "local_port = 200\n"
		"[traffic Second]\n" IN "local_port = 200\n"
		"[traffic Top]\n" IN "local_port = 300\npriority = 1000000\n"
		"[traffic Exempt]\ndirection = inbound\nlocal_port = 300\nenabled = no\n"
		"[traffic Exempt2]\ndirection = inbound\nlocal_port = 300\nenabled = no\npriority = 3\n");

	ck_assert(attls_traffic_outranks(find(p, "High"), find(p, "Low")));
	ck_assert_str_eq(shadow_of(p, "Low"), "High");
	ck_assert_str_eq(shadow_of(p, "High"), "-");
	ck_assert_str_eq(shadow_of(p, "Second"), "First");
	ck_assert_str_eq(shadow_of(p, "First"), "-");
	/* enabled = no outranks any priority; among exemptions, priority again. */
	ck_assert_str_eq(shadow_of(p, "Top"), "Exempt");
	ck_assert_str_eq(shadow_of(p, "Exempt"), "Exempt2");
	ck_assert_str_eq(shadow_of(p, "Exempt2"), "-");
	attls_policy_free(p);
}
END_TEST

static struct attls_match_conn conn(unsigned dir, const char *laddr, int lport,
				   const char *raddr, int rport, const char *job,
				   const char *user, uid_t uid)
{
	struct attls_match_conn c = { .direction = dir, .jobname = job, .user = user,
				     .uid = uid };
	struct sockaddr_in *l = (void *)&c.local, *r = (void *)&c.remote;

	l->sin_family = r->sin_family = AF_INET;
	inet_pton(AF_INET, laddr, &l->sin_addr);
	inet_pton(AF_INET, raddr, &r->sin_addr);
	l->sin_port = htons((uint16_t)lport);
	r->sin_port = htons((uint16_t)rport);
	return c;
}

/*
 * Random small policies: a descriptor found shadowed is never the match
 * of any connection, and the warning is not vacuous (some are found, and
 * every one that is never chosen in the sample is at least plausible).
 */
START_TEST(test_shadowed_never_chosen)
{
	static const char *const jobs[] = { "*", "web*", "webapp", "db" };
	static const char *const users[] = { "*", "www-data", "33", "root" };
	static const char *const nets[] = { "*", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3",
					    "192.0.2.0/24" };
	static char text[1 << 16];
	unsigned seed = 11;
	size_t found = 0;

	for (int round = 0; round < 20; round++) {
		size_t off = 0;
		struct attls_policy *p;
		int conns = getenv("ATTLS_UNIT_QUICK") ? 500 : 5000;

		for (int i = 0; i < 40; i++) {
			int lo = 1000 + rand_r(&seed) % 20, span = rand_r(&seed) % 3 ? 0 : rand_r(&seed) % 8;
			int d = rand_r(&seed) % 3;

			off += (size_t)snprintf(text + off, sizeof(text) - off,
				"[traffic t%d]\ndirection = %s\nlocal_port = %s%d-%d\n"
				"local_addr = %s\nremote_addr = %s\njobname = %s\nuser = %s\n"
				"priority = %d\nkeyring = K\nserver_name = x\n%s",
				i, d == 0 ? "inbound" : d == 1 ? "outbound" : "both",
				rand_r(&seed) % 4 ? "" : "1030, ", lo, lo + span,
				nets[rand_r(&seed) % 5], nets[rand_r(&seed) % 5],
				jobs[rand_r(&seed) % 4], users[rand_r(&seed) % 4],
				rand_r(&seed) % 3, rand_r(&seed) % 10 ? "" : "enabled = no\n");
		}
		p = policy(text);
		for (size_t i = 0; i < p->n_traffic; i++)
			found += attls_traffic_shadow(p, &p->traffic[i]) != NULL;
		for (int k = 0; k < conns; k++) {
			static const char *const addrs[] = { "10.1.2.3", "10.1.9.9", "10.7.0.1",
							     "192.0.2.7", "198.51.100.1" };
			static const char *const cj[] = { "web", "webapp", "db", "mail" };
			static const char *const cu[] = { "www-data", "root", "nobody" };
			int u = rand_r(&seed) % 3;
			struct attls_match_conn c = conn(
				rand_r(&seed) % 2 ? ATTLS_DIR_INBOUND : ATTLS_DIR_OUTBOUND,
				addrs[rand_r(&seed) % 5], 998 + rand_r(&seed) % 34,
				addrs[rand_r(&seed) % 5], 5000, cj[rand_r(&seed) % 4], cu[u],
				u == 0 ? 33 : u == 1 ? 0 : 65534);
			const struct attls_traffic *t = attls_match(p, &c);

			ck_assert_msg(!t || !attls_traffic_shadow(p, t),
				      "round %d: [traffic %s] was chosen but is warned shadowed by "
				      "[traffic %s]", round, t ? t->name : "", t ?
				      attls_traffic_shadow(p, t)->name : "");
		}
		attls_policy_free(p);
	}
	ck_assert_msg(found > 10, "only %zu shadowed descriptors in 800", found);
}
END_TEST

/* The policy warnings: shadowed and unused, each at its line. */
START_TEST(test_policy_warnings)
{
	struct attls_errors w = { 0 };
	struct attls_policy *p = policy(
		"[keyring Spare]\nca = @D@/ca.pem\n"           /* line 5 */
		"[security Unused]\nclient_auth = none\n"      /* 7 */
		"[security Off]\nclient_auth = none\n"         /* 9 */
		"[traffic A]\n" IN "local_port = 1-100\n"      /* 11 */
		"[traffic B]\n" IN "local_port = 50\n"         /* 15 */
		"[traffic C]\ndirection = inbound\nlocal_port = 999\nkeyring = Spare\n"
		"security = Off\nenabled = no\n");

	attls_warn_policy(p, &w);
	ck_assert_uint_eq(w.n, 4);
	ck_assert(has_error(&w, 15, "warning: [traffic B] can never be chosen: [traffic A] (line 11)"));
	ck_assert(has_error(&w, 5, "warning: [keyring Spare] is not used"));
	ck_assert(has_error(&w, 7, "warning: [security Unused] is not used"));
	/* Named only by a disabled descriptor: unused too. */
	ck_assert(has_error(&w, 9, "warning: [security Off] is not used"));
	attls_errors_free(&w);
	attls_policy_free(p);
}
END_TEST

static size_t count_ocsp_warnings(const struct attls_errors *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n; i++)
		n += strstr(w->msg[i], "longer than handshake_timeout") != NULL;
	return n;
}

/* An OCSP fetch runs inside the handshake: ocsp_timeout past handshake_timeout is warned. */
START_TEST(test_ocsp_timeout_warning)
{
	struct attls_errors w = { 0 };
	struct attls_policy *p = policy(
		"[keyring Slow]\nca = @D@/ca.pem\nocsp = responder\n"   /* line 5 */
		"ocsp_timeout = 15s\n"                                    /* 8 */
		"[keyring Quick]\nca = @D@/ca.pem\nocsp = responder\n"  /* 9 */
		"ocsp_timeout = 1s\n"
		"[traffic A]\ndirection = outbound\nremote_port = 1\nserver_name = x\n"
		"keyring = Slow\n"
		"[traffic B]\ndirection = outbound\nremote_port = 2\nserver_name = x\n"
		"keyring = Quick\n");

	p->handshake_timeout_ms = 2000;
	attls_warn_policy(p, &w);
	ck_assert_uint_eq(count_ocsp_warnings(&w), 1);
	ck_assert(has_error(&w, 8, "warning: [keyring Slow] ocsp_timeout (15000 ms) is longer "
			    "than handshake_timeout (2000 ms)"));
	attls_errors_free(&w);
	/* The default (5s) is longer than a 2s handshake too. */
	p->keyrings[2].ocsp_timeout_ms = 0; /* Quick: K, Slow, Quick */
	attls_warn_policy(p, &w);
	ck_assert_uint_eq(count_ocsp_warnings(&w), 2);
	attls_errors_free(&w);
	attls_policy_free(p);
}
END_TEST

/* direction = both over a key ring fit for one role: one error, with the direction to set. */
START_TEST(test_direction_hint)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text(
		"[keyring C]\nca = @D@/ca.pem\n"
		"[keyring S]\ncert = @D@/cert.pem\nkey = @D@/key.pem\n"
		"[traffic Cli]\nremote_port = 443\nserver_name = x\nkeyring = C\n"   /* 6 */
		"[traffic Srv]\ndirection = both\nlocal_port = 443\nkeyring = S\n"   /* 10 */
		"[traffic Out]\ndirection = outbound\nserver_name = x\nkeyring = C\n"
		"[traffic In]\ndirection = inbound\nkeyring = S\n"
		"[traffic Role]\nrole = client\nserver_name = x\nkeyring = C\n", &errs);

	ck_assert_ptr_null(p);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert(has_error(&errs, 6, "[traffic Cli]: direction = both makes it a server too, but "
			    "[keyring C] has no cert and key: it can only be a client; set "
			    "direction = outbound"));
	ck_assert(has_error(&errs, 10, "[traffic Srv]: direction = both makes it a client too, but "
			    "[keyring S] has no ca (a client verifies the server with it): it can "
			    "only be a server; set direction = inbound"));
	attls_errors_free(&errs);
}
END_TEST

Suite *shadow_suite(void)
{
	Suite *s = suite_create("shadow");
	TCase *tc = tcase_create("shadow");

	tcase_add_test(tc, test_port_sets);
	tcase_add_test(tc, test_address_sets);
	tcase_add_test(tc, test_globs_users_direction);
	tcase_add_test(tc, test_ranks);
	tcase_add_test(tc, test_shadowed_never_chosen);
	tcase_add_test(tc, test_policy_warnings);
	tcase_add_test(tc, test_direction_hint);
	tcase_add_test(tc, test_ocsp_timeout_warning);
	suite_add_tcase(s, tc);
	return s;
}
