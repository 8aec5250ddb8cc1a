/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "../../lib/p11uri.h"
#include "helpers.h"

START_TEST(test_label_and_query)
{
	struct attls_p11uri u;
	char err[128];

	ck_assert_int_eq(attls_p11uri_parse("pkcs11:token=attls;object=WI02BRK%20key;type=private"
					    "?module-path=/usr/lib/softhsm/libsofthsm2.so"
					    "&pin-source=file:/etc/attls/pin",
					    &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.token, "attls");
	ck_assert_str_eq(u.object, "WI02BRK key");
	ck_assert_str_eq(u.type, "private");
	ck_assert_str_eq(u.module_path, "/usr/lib/softhsm/libsofthsm2.so");
	ck_assert_str_eq(u.pin_source, "file:/etc/attls/pin");
	ck_assert_ptr_null(u.pin_value);
	ck_assert(!u.has_id);
	ck_assert_int_eq(u.slot_id, -1);
	attls_p11uri_free(&u);
}
END_TEST

START_TEST(test_id_bytes)
{
	struct attls_p11uri u;
	char err[128];

	ck_assert_int_eq(attls_p11uri_parse("PKCS11:token=t;id=%01%a0%FF?pin-value=1234",
					    &u, err, sizeof(err)), 0);
	ck_assert(u.has_id);
	ck_assert_uint_eq(u.id_len, 3);
	ck_assert_uint_eq(u.id[0], 0x01);
	ck_assert_uint_eq(u.id[1], 0xa0);
	ck_assert_uint_eq(u.id[2], 0xff);
	ck_assert_str_eq(u.pin_value, "1234");
	attls_p11uri_free(&u);
	ck_assert_int_eq(attls_p11uri_parse("pkcs11:slot-id=3;object=k", &u, err, sizeof(err)), 0);
	ck_assert_int_eq(u.slot_id, 3);
	attls_p11uri_free(&u);
}
END_TEST

START_TEST(test_errors)
{
	static const struct {
		const char *uri, *why;
	} bad[] = {
		{ "/etc/key.pem", "not a pkcs11: URI" },
		{ "pkcs11:object=k", "names no token" },
		{ "pkcs11:token=t", "names no object" },
		{ "pkcs11:token=t;objekt=k", "unknown path attribute \"objekt\"" },
		{ "pkcs11:token=t;object=k?pin=1", "unknown query attribute \"pin\"" },
		{ "pkcs11:token=t;id=%0", "id:" },
		{ "pkcs11:token=t;id=%zz", "id:" },
		{ "pkcs11:token=%00;object=k", "token: bad or empty value" },
		{ "pkcs11:token=t;object=", "object: bad or empty value" },
		{ "pkcs11:token;object=k", "is not name=value" },
		{ "pkcs11:slot-id=x;object=k", "slot-id" },
		{ "pkcs11:slot-id=99999999999999999999;object=k", "slot-id" },
		{ "pkcs11:slot-id=+3;object=k", "slot-id" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct attls_p11uri u;
		char err[128] = "";

		ck_assert_msg(attls_p11uri_parse(bad[i].uri, &u, err, sizeof(err)) < 0, "%s",
			      bad[i].uri);
		ck_assert_msg(strstr(err, bad[i].why), "%s: got \"%s\"", bad[i].uri, err);
	}
}
END_TEST

Suite *p11uri_suite(void)
{
	Suite *s = suite_create("p11uri");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_label_and_query);
	tcase_add_test(tc, test_id_bytes);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}
