/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Session tickets: sealed and opened, keys that rotate by the hour. */
#include <string.h>

#include "../../lib/tickets.h"
#include "helpers.h"

struct ticket {
	unsigned char name[WOLFSSL_TICKET_NAME_SZ], iv[WOLFSSL_TICKET_IV_SZ];
	unsigned char mac[WOLFSSL_TICKET_MAC_SZ], data[200];
};

static const uint64_t t0 = 1795000000; /* 400 s into an hour */

/* wolfSSL, and a fresh random secret, as a process without ticket_key_file has. */
static void new_secret(void)
{
	struct attls_policy p = { .file = "test.ini" };
	struct attls_errors errs = { 0 };
	char why[160];

	ck_assert_int_eq(attls_wolf_load(why, sizeof(why)), 0);
	ck_assert_int_eq(attls_tickets_setup(&p, &errs), 0);
}

static void sealed(struct ticket *t, uint64_t when)
{
	for (size_t i = 0; i < sizeof(t->data); i++)
		t->data[i] = (unsigned char)i;
	ck_assert_int_eq(attls_ticket_seal(when, t->name, t->iv, t->mac, 1, t->data,
					   (int)sizeof(t->data)), WOLFSSL_TICKET_RET_OK);
	ck_assert(t->data[10] != 10 || t->data[11] != 11); /* no longer clear */
}

static int opened(struct ticket t, uint64_t when)
{
	int r = attls_ticket_seal(when, t.name, t.iv, t.mac, 0, t.data, (int)sizeof(t.data));

	if (r == WOLFSSL_TICKET_RET_OK || r == WOLFSSL_TICKET_RET_CREATE)
		for (size_t i = 0; i < sizeof(t.data); i++)
			ck_assert_uint_eq(t.data[i], (unsigned char)i);
	return r;
}

START_TEST(test_rotation)
{
	struct ticket t;

	new_secret();
	sealed(&t, t0);
	ck_assert_int_eq(opened(t, t0 + 10), WOLFSSL_TICKET_RET_OK);
	/* The next hour: still taken, and a new ticket is issued. */
	ck_assert_int_eq(opened(t, t0 + 3600), WOLFSSL_TICKET_RET_CREATE);
	/* Two hours on: its key is gone. */
	ck_assert_int_eq(opened(t, t0 + 7200), WOLFSSL_TICKET_RET_REJECT);
	/* From the future (a clock set back): refused too. */
	ck_assert_int_eq(opened(t, t0 - 3600), WOLFSSL_TICKET_RET_REJECT);
}
END_TEST

START_TEST(test_forged_and_foreign)
{
	struct ticket t, u;

	new_secret();
	sealed(&t, t0);
	u = t;
	u.data[50] ^= 1;
	ck_assert_int_eq(opened(u, t0), WOLFSSL_TICKET_RET_REJECT);
	u = t;
	u.mac[3] ^= 1;
	ck_assert_int_eq(opened(u, t0), WOLFSSL_TICKET_RET_REJECT);
	u = t;
	u.name[0] ^= 1;
	ck_assert_int_eq(opened(u, t0), WOLFSSL_TICKET_RET_REJECT);
	/* Another process's secret (no shared ticket_key_file): refused. */
	new_secret();
	ck_assert_int_eq(opened(t, t0), WOLFSSL_TICKET_RET_REJECT);
}
END_TEST

Suite *tickets_suite(void)
{
	Suite *s = suite_create("tickets");
	TCase *tc = tcase_create("seal");

	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_forged_and_foreign);
	suite_add_tcase(s, tc);
	return s;
}
