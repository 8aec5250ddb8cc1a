/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Why a client's handshake failed: a server that does not speak TLS, a certificate's names. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/certid.h"
#include "../../lib/clientwhy.h"
#include "helpers.h"

static const char *why(const char *b, size_t n)
{
	static char buf[256];

	return attls_not_tls_reason((const unsigned char *)b, n, buf, sizeof(buf));
}

START_TEST(test_not_tls_text)
{
	const char *http = "HTTP/1.0 400 Bad request version\r\nServer: x\r\n";

	ck_assert_str_eq(why("hello\n", 6),
			 "the server does not speak TLS: it answered with \"hello\" (clear text)");
	/* A first line longer than what is kept: cut, and said to be. */
	ck_assert_str_eq(why(http, 32), "the server does not speak TLS: it answered with "
					"\"HTTP/1.0 400 Bad request version...\" (clear text)");
	ck_assert_str_eq(why(http, strlen(http)), "the server does not speak TLS: it answered "
				"with \"HTTP/1.0 400 Bad request version...\" (clear text)");
	/* What could pass for a field of the log line is escaped. */
	ck_assert_str_eq(why("-ERR \"x\\\"\r\n", 11), "the server does not speak TLS: it "
			 "answered with \"-ERR \\x22x\\x5c\\x22\" (clear text)");
	/* A few bytes are enough: a server that said "+OK" only. */
	ck_assert_str_eq(why("+OK", 3),
			 "the server does not speak TLS: it answered with \"+OK\" (clear text)");
}
END_TEST

START_TEST(test_not_tls_garbage)
{
	static const char b[] = "\x00\xff\x7f\x80\xfe\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
				"\x0c\x0d";
	char many[40];

	ck_assert_str_eq(why(b, 4), "the server does not speak TLS: it answered with "
				    "00 ff 7f 80 (garbage)");
	ck_assert_str_eq(why(b, 18), "the server does not speak TLS: it answered with 00 ff 7f "
				     "80 fe 01 02 03 04 05 06 07 08 09 0a 0b ... (garbage)");
	/* Text up to a byte that is not: garbage, not a line of it. */
	ck_assert_str_eq(why("ab\x01", 3), "the server does not speak TLS: it answered with "
					   "61 62 01 (garbage)");
	/* More than is kept: never more than ATTLS_FIRST_BYTES looked at. */
	memset(many, 'a', sizeof(many));
	ck_assert(strstr(why(many, sizeof(many)), "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""));
}
END_TEST

START_TEST(test_tls_is_not_garbage)
{
	/* Records of TLS: an alert, a handshake, change_cipher_spec, data. */
	ck_assert_ptr_null(why("\x15\x03\x03\x00\x02\x02\x28", 7));
	ck_assert_ptr_null(why("\x16\x03\x03\x00\x40\x02", 6));
	ck_assert_ptr_null(why("\x14\x03\x03\x00\x01\x01", 6));
	ck_assert_ptr_null(why("\x17\x03\x03", 3));
	/* One byte of a record type: too few to tell; none at all either. */
	ck_assert_ptr_null(why("\x16", 1));
	ck_assert_ptr_null(why("", 0));
	/* A type of TLS with another version is not TLS. */
	ck_assert_ptr_nonnull(why("\x16\x48\x54", 3));
}
END_TEST

static void field(struct attls_peer_id *id, enum attls_peer_kind k, const void *v, size_t len)
{
	id->f[id->n].kind = k;
	id->f[id->n].v = v;
	id->f[id->n].len = len;
	id->n++;
}

START_TEST(test_cert_names)
{
	static struct attls_peer_id id;
	unsigned char ip4[4], ip6[16];
	char out[256];

	inet_pton(AF_INET, "127.0.0.1", ip4);
	inet_pton(AF_INET6, "2001:db8::1", ip6);
	memset(&id, 0, sizeof(id));
	/* The order of the certificate: SANs, then the subject's entries. */
	field(&id, ATTLS_PEER_DNS, "localhost", 9);
	field(&id, ATTLS_PEER_IP, ip4, 4);
	field(&id, ATTLS_PEER_URI, "spiffe://x", 10);
	field(&id, ATTLS_PEER_O, "attls test", 10);
	field(&id, ATTLS_PEER_CN, "localhost", 9);
	field(&id, ATTLS_PEER_IP, ip6, 16);
	ck_assert_str_eq(attls_cert_names_str(&id, out, sizeof(out)),
			 "CN=localhost, DNS:localhost, IP:127.0.0.1, IP:2001:db8::1");
	memset(&id, 0, sizeof(id));
	field(&id, ATTLS_PEER_CN, "a \"b\", c", 8);
	ck_assert_str_eq(attls_cert_names_str(&id, out, sizeof(out)), "CN=a\\x20\\x22b\\x22\\x2c\\x20c");
	memset(&id, 0, sizeof(id));
	field(&id, ATTLS_PEER_O, "attls test", 10);
	ck_assert_str_eq(attls_cert_names_str(&id, out, sizeof(out)), "no DNS or IP name and no CN");
	/* Cut where it does not fit. */
	memset(&id, 0, sizeof(id));
	field(&id, ATTLS_PEER_DNS, "a-rather-long-name.example.net", 30);
	ck_assert_str_eq(attls_cert_names_str(&id, out, 20), "DNS:a-rather-lon...");
}
END_TEST

Suite *clientwhy_suite(void)
{
	Suite *s = suite_create("clientwhy");
	TCase *tc = tcase_create("reasons");

	tcase_add_test(tc, test_not_tls_text);
	tcase_add_test(tc, test_not_tls_garbage);
	tcase_add_test(tc, test_tls_is_not_garbage);
	tcase_add_test(tc, test_cert_names);
	suite_add_tcase(s, tc);
	return s;
}
