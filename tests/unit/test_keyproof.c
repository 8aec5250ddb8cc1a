/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The key proof (lib/keyproof.c): one signature, one verification, for
 * RSA and ECDSA keys that match their certificate and keys that do not;
 * and which jobs need TLS at all (lib/match.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/keycheck.h"
#include "../../lib/match.h"
#include "../../lib/wolf.h"
#include "helpers.h"

#include <wolfssl/wolfcrypt/asn_public.h>

static unsigned char *slurp(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	unsigned char *buf = malloc(65536);

	snprintf(path, sizeof(path), "fixtures/%s", name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* attls_keyproof of the key file against the certificate file. */
static int prove(const char *cert, const char *key, char *why, size_t whylen)
{
	size_t cl, kl;
	unsigned char *c = slurp(cert, &cl), *k = slurp(key, &kl), *der = malloc(kl);
	int n = wc_KeyPemToDer(k, (int)kl, der, (int)kl, NULL), rc;

	ck_assert_int_gt(n, 0);
	why[0] = '\0';
	rc = attls_keyproof(c, cl, der, (size_t)n, why, whylen);
	free(c);
	free(k);
	free(der);
	return rc;
}

static const struct {
	const char *cert, *key;
	int rc;
	const char *why;
} cases[] = {
	{ "kp_rsa.pem", "kp_rsa.key", 0, "" },
	{ "kp_rsa.pem", "kp_rsa_pkcs8.key", 0, "" },
	{ "kp_ec.pem", "kp_ec.key", 0, "" },
	{ "kp_ec.pem", "kp_ec_pkcs8.key", 0, "" },
	{ "kp_rsa.pem", "kp_rsa2.key", -1, "does not match the certificate" },
	{ "kp_ec.pem", "kp_ec2.key", -1, "does not match the certificate" },
	/* A key of another type than the certificate's. */
	{ "kp_rsa.pem", "kp_ec.key", -1, "another type of key" },
	{ "kp_ec.pem", "kp_rsa.key", -1, "another type of key" },
};

START_TEST(test_keyproof)
{
	char why[256];
	int rc;

	attls_wolf_load(why, sizeof(why));
	rc = prove(cases[_i].cert, cases[_i].key, why, sizeof(why));
	ck_assert_msg(rc == cases[_i].rc, "%s with %s: %d (%s)", cases[_i].cert, cases[_i].key, rc,
		      why);
	ck_assert_msg(strstr(why, cases[_i].why), "%s with %s: \"%s\"", cases[_i].cert,
		      cases[_i].key, why);
}
END_TEST

START_TEST(test_job_needs_tls)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text(
		"[keyring K]\ncert = @D@/cert.pem\nkey = @D@/key.pem\n"
		"[traffic X]\njobname = X\nlocal_port = 1\ndirection = inbound\nkeyring = K\n"
		"[traffic Off]\njobname = true\nlocal_port = 2\nenabled = no\n"
		"[traffic Srv]\njobname = srv-*\nlocal_port = 3\ndirection = inbound\nkeyring = K\n",
		&errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(p);
	ck_assert(p->inherit);
	ck_assert(attls_job_needs_tls(p, "X"));
	ck_assert(attls_job_needs_tls(p, "srv-a"));
	/* Only an exemption names it: no context is ever needed. */
	ck_assert(!attls_job_needs_tls(p, "true"));
	ck_assert(!attls_job_needs_tls(p, "python3"));
	attls_policy_free(p);
	/* A descriptor without jobname covers every job. */
	p = load_text("[global]\ninherit = no\n[keyring K]\ncert = @D@/cert.pem\n"
		      "key = @D@/key.pem\n[traffic All]\nlocal_port = 1\ndirection = inbound\nkeyring = K\n", &errs);
	ck_assert_ptr_nonnull(p);
	ck_assert(!p->inherit);
	ck_assert(attls_job_needs_tls(p, "true"));
	attls_policy_free(p);
	attls_errors_free(&errs);
}
END_TEST

Suite *keyproof_suite(void)
{
	Suite *s = suite_create("keyproof");
	TCase *tc = tcase_create("keyproof");

	tcase_add_loop_test(tc, test_keyproof, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_job_needs_tls);
	suite_add_tcase(s, tc);
	return s;
}
