/* SPDX-License-Identifier: GPL-2.0-or-later */
/* allow_peer: the pattern parser, the matcher, and the certificate reader. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/allowcheck.h"
#include "../../lib/allowpeer.h"
#include "../../lib/certid.h"
#include "helpers.h"

#define KEYRING "[keyring K]\ncert = @D@/cert.pem\nkey = @D@/key.pem\nca = @D@/ca.pem\n"

static struct attls_peer_id id;

static void field(enum attls_peer_kind k, const char *v)
{
	id.f[id.n].kind = k;
	id.f[id.n].v = (const unsigned char *)v;
	id.f[id.n].len = strlen(v);
	id.n++;
}

static void ip_field(const char *a)
{
	static unsigned char buf[8][16];
	static int used;
	unsigned char *b = buf[used++ % 8];
	bool v4 = inet_pton(AF_INET, a, b) == 1;

	if (!v4)
		ck_assert_int_eq(inet_pton(AF_INET6, a, b), 1);
	id.f[id.n].kind = ATTLS_PEER_IP;
	id.f[id.n].v = b;
	id.f[id.n].len = v4 ? 4 : 16;
	id.n++;
}

/* Whether value (one allow_peer) lets id in; it must parse. */
static bool allows(const char *value)
{
	struct attls_allow a = { 0 };
	char why[256];
	size_t which;
	bool ok;

	if (attls_allow_parse(value, &a, why, sizeof(why)) < 0)
		ck_abort_msg("\"%s\" did not parse: %s", value, why);
	ok = attls_allow_match(&a, &id, &which);
	attls_allow_free(&a);
	return ok;
}

/* Whether value is refused, with why containing what. */
static bool refused(const char *value, const char *what)
{
	struct attls_allow a = { 0 };
	char why[256] = "";

	if (attls_allow_parse(value, &a, why, sizeof(why)) == 0) {
		attls_allow_free(&a);
		return false;
	}
	if (!strstr(why, what))
		fprintf(stderr, "  (\"%s\": %s)\n", value, why);
	return strstr(why, what) != NULL;
}

START_TEST(test_parse)
{
	struct attls_allow a = { 0 };
	char why[256], s[512];

	ck_assert_int_eq(attls_allow_parse(" cn=broker-* , SAN:dns=*.Example.NET,"
					   "SAN:IP=10.1.0.0/16, SAN:IP=::ffff:10.9.9.9,"
					   "O=Example\\, Inc.,SHA256:AB:cd" "000000000000000000000000"
					   "000000000000000000000000000000000000",
					   &a, why, sizeof(why)), 0);
	ck_assert_uint_eq(a.n, 6);
	ck_assert_int_eq(a.pat[0].kind, ATTLS_PEER_CN);
	ck_assert_str_eq(a.pat[0].glob, "broker-*");
	ck_assert_int_eq(a.pat[1].kind, ATTLS_PEER_DNS);
	ck_assert_str_eq(a.pat[1].glob, "*.example.net"); /* kept in lower case */
	ck_assert_int_eq(a.pat[2].cidr.family, AF_INET);
	ck_assert_uint_eq(a.pat[2].cidr.prefix, 16);
	ck_assert_int_eq(a.pat[3].cidr.family, AF_INET); /* mapped: IPv4 */
	ck_assert_str_eq(a.pat[4].glob, "Example, Inc.");
	ck_assert_uint_eq(a.pat[5].sha256[0], 0xab);
	ck_assert_uint_eq(a.pat[5].sha256[1], 0xcd);
	ck_assert_str_eq(attls_allow_str(&a, s, sizeof(s)),
			 "CN=broker-*, SAN:DNS=*.example.net, SAN:IP=10.1.0.0/16, "
			 "SAN:IP=10.9.9.9/32, O=Example\\, Inc., SHA256:abcd"
			 "000000000000000000000000000000000000000000000000000000000000");
	attls_allow_free(&a);

	ck_assert(refused("XN=a", "is not one of CN="));
	ck_assert(refused("CN=", "no value after CN="));
	ck_assert(refused("CN=a,,CN=b", "an empty pattern"));
	ck_assert(refused("CN=a,", "an empty pattern"));
	ck_assert(refused("CN=a\\b", "a backslash escapes only"));
	ck_assert(refused("SAN:DNS=a..b", "an empty label"));
	ck_assert(refused("SAN:DNS=a b.example", "letters, digits"));
	ck_assert(refused("SAN:EMAIL=nobody", "with one @"));
	ck_assert(refused("SAN:EMAIL=a@b@c", "with one @"));
	ck_assert(refused("SAN:EMAIL=a@b..c", "an empty label"));
	ck_assert(refused("SAN:IP=10.0.0.0/33", "SAN:IP= takes one"));
	ck_assert(refused("SAN:IP=*", "SAN:IP= takes one"));
	ck_assert(refused("SAN:IP=example.net", "SAN:IP= takes one"));
	/* Host bits past the prefix: the host, or its network? Neither is guessed. */
	ck_assert(refused("SAN:IP=10.1.2.3/8", "write 10.0.0.0/8 for the network"));
	ck_assert(refused("SAN:IP=10.1.2.1/31", "write 10.1.2.0/31 for the network"));
	ck_assert(refused("SAN:IP=2001:db8::1/32", "write 2001:db8::/32 for the network"));
	ck_assert(refused("SHA256:abcd", "64 hex digits"));
	ck_assert(refused("SHA256:" "0000000000000000000000000000000000000000000000000000000000000000"
			  "00", "64 hex digits"));
	ck_assert(refused("SHA256:" "000000000000000000000000000000000000000000000000000000000000000g",
			  "64 hex digits"));
}
END_TEST

START_TEST(test_match_names)
{
	memset(&id, 0, sizeof(id));
	field(ATTLS_PEER_CN, "broker-a");
	field(ATTLS_PEER_O, "Example, Inc.");
	field(ATTLS_PEER_DNS, "Broker-A.Example.NET");
	field(ATTLS_PEER_URI, "spiffe://example.net/broker/a");
	field(ATTLS_PEER_EMAIL, "Ops@Example.NET");

	ck_assert(allows("CN=broker-a"));
	ck_assert(allows("CN=broker-*"));
	ck_assert(allows("CN=*"));
	ck_assert(allows("CN=b*r-?,CN=*-a")); /* ? is a plain character: the second */
	ck_assert(!allows("CN=broker-?"));
	ck_assert(!allows("CN=Broker-a")); /* subject values: case counts */
	ck_assert(!allows("CN=broker"));
	ck_assert(!allows("O=broker-a"));	  /* another attribute */
	ck_assert(allows("O=Example\\, Inc."));
	ck_assert(allows("O=Example\\,*"));
	ck_assert(!allows("O=Example"));

	/* DNS: case ignored, * within one label. */
	ck_assert(allows("SAN:DNS=broker-a.example.net"));
	ck_assert(allows("SAN:DNS=*.example.net"));
	ck_assert(allows("SAN:DNS=broker-*.EXAMPLE.net"));
	ck_assert(!allows("SAN:DNS=*.net"));
	ck_assert(!allows("SAN:DNS=*"));
	ck_assert(!allows("SAN:DNS=example.net"));
	ck_assert(!allows("SAN:DNS=*.broker-a.example.net"));

	/* URI: byte for byte, * never crosses a slash. */
	ck_assert(allows("SAN:URI=spiffe://example.net/broker/*"));
	ck_assert(allows("SAN:URI=spiffe://example.net/*/a"));
	ck_assert(!allows("SAN:URI=spiffe://example.net/*"));
	ck_assert(!allows("SAN:URI=SPIFFE://example.net/broker/a"));
	ck_assert(!allows("SAN:URI=spiffe://example.net/broker/a/*"));

	/* EMAIL: local part exact, domain case ignored. */
	ck_assert(allows("SAN:EMAIL=Ops@example.net"));
	ck_assert(allows("SAN:EMAIL=*@EXAMPLE.NET"));
	ck_assert(!allows("SAN:EMAIL=ops@example.net"));
	ck_assert(allows("SAN:EMAIL=*@*.net"));
	ck_assert(!allows("SAN:EMAIL=*@*.example.net"));
	ck_assert(!allows("SAN:EMAIL=*@*"));
	ck_assert(allows("SAN:EMAIL=*@*.*"));

	/* A kind the certificate does not have never matches. */
	ck_assert(!allows("SAN:IP=0.0.0.0/0"));
	ck_assert(!allows("OU=*"));
}
END_TEST

START_TEST(test_match_escapes_and_bytes)
{
	memset(&id, 0, sizeof(id));
	field(ATTLS_PEER_CN, "a*b\\c");
	ck_assert(allows("CN=a\\*b\\\\c"));
	ck_assert(allows("CN=a\\**"));
	ck_assert(!allows("CN=a\\*x*"));

	/* A NUL or another control byte in a value: it matches nothing. */
	static const unsigned char nul[] = { 'b', 'r', 'o', 'k', 'e', 'r', '-', 'a', 0, 'x' };

	memset(&id, 0, sizeof(id));
	id.f[0].kind = ATTLS_PEER_CN;
	id.f[0].v = nul;
	id.f[0].len = sizeof(nul);
	id.n = 1;
	ck_assert(!allows("CN=broker-*"));
	ck_assert(!allows("CN=*"));
	memset(&id, 0, sizeof(id));
	field(ATTLS_PEER_DNS, "evil.example.net\n");
	ck_assert(!allows("SAN:DNS=*.example.net"));
	/* Many stars against a long value: an answer, not a wait. */
	memset(&id, 0, sizeof(id));
	field(ATTLS_PEER_CN, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
	ck_assert(!allows("CN=*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c"));
	ck_assert(allows("CN=*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"));
}
END_TEST

START_TEST(test_match_ip_and_sha)
{
	memset(&id, 0, sizeof(id));
	ip_field("10.1.2.3");
	ip_field("::ffff:192.0.2.9");
	ip_field("2001:db8::7");
	memset(id.sha256, 0x5a, sizeof(id.sha256));

	ck_assert(allows("SAN:IP=10.1.2.3"));
	ck_assert(allows("SAN:IP=10.1.0.0/16"));
	ck_assert(allows("SAN:IP=10.1.2.0/23"));
	ck_assert(!allows("SAN:IP=10.2.0.0/16"));
	ck_assert(!allows("SAN:IP=10.1.2.4"));
	ck_assert(allows("SAN:IP=192.0.2.0/24")); /* a mapped SAN counts as IPv4 */
	ck_assert(allows("SAN:IP=2001:db8::/32"));
	ck_assert(!allows("SAN:IP=2001:db9::/32"));
	ck_assert(allows("SAN:IP=::/0")); /* every IPv6 SAN */
	ck_assert(allows("SHA256:5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"));
	ck_assert(allows("SHA256:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:"
			 "5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A"));
	ck_assert(!allows("SHA256:5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5b"));
}
END_TEST

/* A certificate made by openssl (tests/unit/fixtures/allow_peer.der). */
START_TEST(test_cert_reader)
{
	static const char *const want[] = {
		"C=DE", "ST=Bavaria", "L=Munich", "O=Example, Inc.", "OU=Ops", "CN=broker-a",
		"CN=second", "SAN:DNS=Broker-A.Example.NET", "SAN:URI=spiffe://example.net/broker/a",
		"SAN:IP=", "SAN:IP=", "SAN:EMAIL=ops@Example.NET", "SAN:DNS=*.wild.example.net",
	};
	unsigned char der[4096];
	char sans[512];
	FILE *f = fopen("fixtures/allow_peer.der", "rb");
	size_t len;

	ck_assert_ptr_nonnull(f);
	len = fread(der, 1, sizeof(der), f);
	fclose(f);
	ck_assert_int_eq(attls_cert_id(der, len, &id), 0);
	ck_assert_uint_eq(id.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < id.n; i++) {
		char got[160];

		snprintf(got, sizeof(got), "%s%.*s", attls_peer_kind_prefix(id.f[i].kind),
			 id.f[i].kind == ATTLS_PEER_IP ? 0 : (int)id.f[i].len,
			 (const char *)id.f[i].v);
		ck_assert_msg(!strcmp(got, want[i]), "field %zu: %s, not %s", i, got, want[i]);
	}
	ck_assert_uint_eq(id.f[9].len, 4);
	ck_assert_uint_eq(id.f[10].len, 16);
	ck_assert_str_eq(attls_cert_sans_str(&id, sans, sizeof(sans)),
			 "DNS:Broker-A.Example.NET,URI:spiffe://example.net/broker/a,IP:10.1.2.3,"
			 "IP:2001:db8::7,EMAIL:ops@Example.NET,DNS:*.wild.example.net");
	/* openssl x509 -fingerprint -sha256 of the same file */
	ck_assert(allows("SHA256:a2f2970e15a783eec57ccc782963133a5463bf5b126ee4883a935be72988ca05"));
	ck_assert(allows("SAN:IP=2001:db8::/64"));
	ck_assert(allows("OU=Ops"));
	ck_assert(allows("CN=second"));
	/* A wildcard certificate's name is a name like any: * covers its star. */
	ck_assert(allows("SAN:DNS=*.wild.example.net"));
	ck_assert(!allows("SAN:DNS=a.wild.example.net"));

	/* Cut anywhere, the reader says no rather than read past the end. */
	for (size_t cut = 0; cut < len; cut++)
		ck_assert_int_eq(attls_cert_id(der, cut, &id), -1);
	/* Not a certificate. */
	ck_assert_int_eq(attls_cert_id((const unsigned char *)"\x30\x03\x02\x01\x00", 5, &id), -1);
}
END_TEST

START_TEST(test_sans_escaped)
{
	char out[64];

	memset(&id, 0, sizeof(id));
	field(ATTLS_PEER_CN, "not a SAN");
	field(ATTLS_PEER_DNS, "a,b\"c\\d e");
	ck_assert_str_eq(attls_cert_sans_str(&id, out, sizeof(out)),
			 "DNS:a\\x2cb\\x22c\\x5cd\\x20e");
	field(ATTLS_PEER_URI, "https://a-very-long-name.example.net/and/a/path/that/goes/on");
	attls_cert_sans_str(&id, out, sizeof(out));
	ck_assert(strlen(out) < sizeof(out));
	ck_assert(strstr(out, "..."));
}
END_TEST

START_TEST(test_bind)
{
	struct attls_allow a = { 0 }, b = { 0 };
	unsigned char x[32] = { 0 }, y[32] = { 0 }, z[32] = { 0 };
	char why[128];

	ck_assert_int_eq(attls_allow_parse("CN=broker-*", &a, why, sizeof(why)), 0);
	ck_assert_int_eq(attls_allow_parse("CN=broker-a", &b, why, sizeof(why)), 0);
	ck_assert_int_eq(attls_allow_bind(x, &a), 0);
	ck_assert_int_eq(attls_allow_bind(y, &b), 0);
	ck_assert_int_eq(attls_allow_bind(z, NULL), 0); /* none: the binding stays */
	ck_assert(memcmp(x, y, 32));
	ck_assert(!memcmp(z, (unsigned char[32]){ 0 }, 32));
	memset(y, 0, 32);
	ck_assert_int_eq(attls_allow_bind(y, &a), 0);
	ck_assert(!memcmp(x, y, 32));
	attls_allow_free(&a);
	attls_allow_free(&b);
}
END_TEST

START_TEST(test_policy_key)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text(
		KEYRING "[security S]\nclient_auth = required\nallow_peer = CN=lvl\n"
		"[security O]\nclient_auth = optional\nallow_peer = CN=opt\n"
		"[traffic Own]\ndirection = inbound\nlocal_port = 1\nkeyring = K\nsecurity = S\n"
		"allow_peer = SAN:DNS=*.example.net, CN=x\n"
		"[traffic Level]\ndirection = inbound\nlocal_port = 2\nkeyring = K\nsecurity = S\n"
		"[traffic Opt]\ndirection = inbound\nlocal_port = 3\nkeyring = K\nsecurity = O\n"
		"[traffic Client]\ndirection = outbound\nremote_port = 4\nkeyring = K\n"
		"server_name = a.example\nALLOW_PEER = SAN:URI=spiffe://x/*\n"
		"[traffic None]\ndirection = outbound\nremote_port = 5\nkeyring = K\n"
		"server_name = a.example\n",
		&errs);

	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p);
	/* A descriptor's own replaces its level's. */
	ck_assert_ptr_eq(attls_traffic_allow(&p->traffic[0]), p->traffic[0].allow_peer);
	ck_assert_uint_eq(attls_traffic_allow(&p->traffic[0])->n, 2);
	ck_assert_int_eq(attls_traffic_allow(&p->traffic[0])->line, 16);
	ck_assert_ptr_eq(attls_traffic_allow(&p->traffic[1]), p->security[0].allow_peer);
	ck_assert_int_eq(attls_traffic_allow(&p->traffic[1])->line, 7);
	ck_assert_ptr_nonnull(attls_traffic_allow(&p->traffic[2]));
	ck_assert_ptr_nonnull(attls_traffic_allow(&p->traffic[3]));
	ck_assert_ptr_null(attls_traffic_allow(&p->traffic[4]));
	attls_policy_free(p);
}
END_TEST

START_TEST(test_policy_errors)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text(
		KEYRING "[security N]\nclient_auth = none\nallow_peer = CN=a\n"
		"[security Bad]\nallow_peer = CN=a, XY=b\n"
		"[traffic Srv]\ndirection = inbound\nlocal_port = 1\nkeyring = K\nsecurity = N\n"
		"[traffic Def]\ndirection = both\nlocal_port = 2\nkeyring = K\n"
		"server_name = a.example\nallow_peer = SHA256:12\n"
		"[traffic Def2]\ndirection = inbound\nlocal_port = 3\nkeyring = K\n"
		"allow_peer = CN=b\nallow_peer = CN=c\n"
		"[traffic Exempt]\nlocal_port = 4\nenabled = no\nallow_peer = CN=b\n"
		"[traffic Emp]\ndirection = outbound\nremote_port = 5\nkeyring = K\n"
		"server_name = a.example\nallow_peer = ,\n",
		&errs);

	ck_assert_ptr_null(p);
	ck_assert(has_error(&errs, 7, "allow_peer: [traffic Srv] is a server with client_auth "
				      "= none (security N)"));
	ck_assert(has_error(&errs, 9, "allow_peer: \"XY=b\" is not one of"));
	ck_assert(has_error(&errs, 20, "allow_peer: \"SHA256:12\": SHA256: takes"));
	ck_assert(has_error(&errs, 26, "allow_peer: given twice"));
	/* direction = both, default level: a server with client_auth none. */
	ck_assert(has_error(&errs, 25, "allow_peer: [traffic Def2] is a server with client_auth "
				       "= none (security (default))"));
	ck_assert(has_error(&errs, 36, "allow_peer: an empty pattern"));
	attls_errors_free(&errs);
}
END_TEST

Suite *allowpeer_suite(void)
{
	Suite *s = suite_create("allowpeer");
	TCase *tc = tcase_create("allowpeer");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_match_names);
	tcase_add_test(tc, test_match_escapes_and_bytes);
	tcase_add_test(tc, test_match_ip_and_sha);
	tcase_add_test(tc, test_cert_reader);
	tcase_add_test(tc, test_sans_escaped);
	tcase_add_test(tc, test_bind);
	tcase_add_test(tc, test_policy_key);
	tcase_add_test(tc, test_policy_errors);
	suite_add_tcase(s, tc);
	return s;
}
