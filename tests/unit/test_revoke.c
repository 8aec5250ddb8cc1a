/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The revocation keys of a key ring: their parsers and their errors. */
#include <check.h>
#include <stdio.h>

#include "helpers.h"

START_TEST(test_revoke_parsers)
{
	enum attls_crl_expired ce = ATTLS_CRL_EXPIRED_WARN;
	enum attls_ocsp o = ATTLS_OCSP_OFF;

	ck_assert_int_eq(attls_parse_crl_expired("refuse", &ce), 0);
	ck_assert_int_eq(ce, ATTLS_CRL_EXPIRED_REFUSE);
	ck_assert_int_eq(attls_parse_crl_expired("WARN", &ce), 0);
	ck_assert_int_eq(ce, ATTLS_CRL_EXPIRED_WARN);
	ck_assert_int_eq(attls_parse_crl_expired("ignore", &ce), -1);
	ck_assert_int_eq(attls_parse_crl_expired("", &ce), -1);

	ck_assert_int_eq(attls_parse_ocsp("off", &o), 0);
	ck_assert_int_eq(o, ATTLS_OCSP_OFF);
	ck_assert_int_eq(attls_parse_ocsp("stapled", &o), 0);
	ck_assert_int_eq(o, ATTLS_OCSP_STAPLED);
	ck_assert_int_eq(attls_parse_ocsp("Required-Stapled", &o), 0);
	ck_assert_int_eq(o, ATTLS_OCSP_REQUIRED_STAPLED);
	ck_assert_int_eq(attls_parse_ocsp("responder", &o), 0);
	ck_assert_int_eq(o, ATTLS_OCSP_RESPONDER);
	ck_assert_int_eq(attls_parse_ocsp("required", &o), -1);
	ck_assert_int_eq(attls_parse_ocsp("stapled ", &o), -1);
	ck_assert_str_eq(attls_ocsp_name(ATTLS_OCSP_REQUIRED_STAPLED), "required-stapled");

	ck_assert_int_eq(attls_parse_ocsp_url("http://ocsp.example"), 0);
	ck_assert_int_eq(attls_parse_ocsp_url("http://ocsp.example/"), 0);
	ck_assert_int_eq(attls_parse_ocsp_url("HTTP://127.0.0.1:8080/ocsp/x"), 0);
	ck_assert_int_eq(attls_parse_ocsp_url("http://[::1]:2560/"), 0);
	ck_assert_int_eq(attls_parse_ocsp_url("http://[::1]"), 0);
	ck_assert_int_eq(attls_parse_ocsp_url("https://ocsp.example/"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("ocsp.example"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http:///path"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://[]/"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://h:0/"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://h:65536/"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://h:/"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://h:80x/"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://h_x/"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://user@h/"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://h/a b"), -1);
	ck_assert_int_eq(attls_parse_ocsp_url("http://h/\x7f"), -1);
}
END_TEST

#define TAIL "[traffic t]\ndirection = outbound\nserver_name = x\nkeyring = k\n"

/* Each bad key ring: the line and a part of the message that must be there. */
static const struct {
	const char *text;
	int line;
	const char *what;
} bad[] = {
	{ "[keyring k]\nca = @D@/ca.pem\ncrl = crl.pem\n" TAIL, 3,
	  "crl: \"crl.pem\" is not an absolute path" },
	{ "[keyring k]\nca = @D@/ca.pem\ncrl = @D@/none.crl\n" TAIL, 3, "crl: " },
	{ "[keyring k]\ncert = @D@/cert.pem\nkey = @D@/key.pem\ncrl = @D@/ca.pem\n" TAIL, 4,
	  "crl: [keyring k] has no ca" },
	{ "[keyring k]\nca = @D@/ca.pem\ncrl_expired = later\n" TAIL, 3,
	  "crl_expired: \"later\" is not one of refuse, warn" },
	{ "[keyring k]\nca = @D@/ca.pem\ncrl_expired = sometimes\n" TAIL, 3,
	  "crl_expired: \"sometimes\" is not one of refuse, warn" },
	{ "[keyring k]\nca = @D@/ca.pem\ncrl_expired = refuse\ncrl_expired = refuse\n" TAIL, 4,
	  "crl_expired: given twice" },
	{ "[keyring k]\nca = @D@/ca.pem\nocsp = yes\n" TAIL, 3,
	  "ocsp: \"yes\" is not one of off, stapled, required-stapled, responder" },
	{ "[keyring k]\ncert = @D@/cert.pem\nkey = @D@/key.pem\nocsp = stapled\n" TAIL, 4,
	  "ocsp: [keyring k] has no ca" },
	{ "[keyring k]\nca = @D@/ca.pem\ncrl = @D@/ca.pem\nocsp = responder\n" TAIL, 4,
	  "ocsp: [keyring k] has crl too" },
	{ "[keyring k]\nca = @D@/ca.pem\nocsp_url = https://o/\n" TAIL, 3,
	  "ocsp_url: \"https://o/\" is not an http:// URL" },
	{ "[keyring k]\nca = @D@/ca.pem\nocsp_timeout = 0\n" TAIL, 3,
	  "ocsp_timeout: \"0\" is not a duration from 1ms to 60s" },
	{ "[keyring k]\nca = @D@/ca.pem\nocsp_timeout = 61s\n" TAIL, 3,
	  "ocsp_timeout: \"61s\"" },
	{ "[keyring k]\nca = @D@/ca.pem\nocsp_timeout = soon\n" TAIL, 3,
	  "ocsp_timeout: \"soon\"" },
	{ "[keyring k]\nca = @D@/ca.pem\nocsp_staple = maybe\n" TAIL, 3,
	  "ocsp_staple: \"maybe\" is not yes or no" },
	{ "[keyring k]\nca = @D@/ca.pem\nocsp_staple = yes\n" TAIL, 3,
	  "ocsp_staple: [keyring k] has no cert" },
	{ "[keyring k]\ncert = @D@/cert.pem\nkey = @D@/key.pem\nocsp_staple = yes\n" TAIL, 4,
	  "ocsp_staple: [keyring k] has no ca" },
	{ "[security s]\nocsp = stapled\n", 2, "unknown key \"ocsp\" in [security" },
};

START_TEST(test_revoke_bad)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text(bad[_i].text, &errs);

	ck_assert_ptr_null(p);
	ck_assert_msg(has_error(&errs, bad[_i].line, bad[_i].what),
		      "case %d: no error at line %d with \"%s\"", _i, bad[_i].line, bad[_i].what);
	attls_errors_free(&errs);
}
END_TEST

START_TEST(test_revoke_good)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text("[keyring k]\ncert = @D@/cert.pem\nkey = @D@/key.pem\n"
					   "ca = @D@/ca.pem\nocsp = Responder\n"
					   "ocsp_url = http://127.0.0.1:2560/\nocsp_timeout = 1500ms\n"
					   "ocsp_staple = yes\ncrl_expired = refuse\n" TAIL, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->keyrings[0].ocsp, ATTLS_OCSP_RESPONDER);
	ck_assert_str_eq(p->keyrings[0].ocsp_url, "http://127.0.0.1:2560/");
	ck_assert_uint_eq(p->keyrings[0].ocsp_timeout_ms, 1500);
	ck_assert(p->keyrings[0].ocsp_staple);
	ck_assert_int_eq(p->keyrings[0].crl_expired, ATTLS_CRL_EXPIRED_REFUSE);
	ck_assert_ptr_null(p->keyrings[0].crl);
	attls_policy_free(p);
}
END_TEST

/* crl_expired = warn is a policy like any other (the CRL is checked at load). */
START_TEST(test_revoke_warn)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text("[keyring k]\nca = @D@/ca.pem\ncrl_expired = Warn\n"
					   TAIL, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->keyrings[0].crl_expired, ATTLS_CRL_EXPIRED_WARN);
	attls_policy_free(p);
}
END_TEST

Suite *revoke_suite(void)
{
	Suite *s = suite_create("revoke");
	TCase *tc = tcase_create("keys");

	tcase_add_test(tc, test_revoke_parsers);
	tcase_add_loop_test(tc, test_revoke_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_revoke_good);
	tcase_add_test(tc, test_revoke_warn);
	suite_add_tcase(s, tc);
	return s;
}
