/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The live table: what a process writes is what attls status reads. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/livetab.h"
#include "../../lib/policy.h"
#include "../../tools/livescan.h"
#include "helpers.h"

static const struct live_proc *mine(const struct live_scan *sc)
{
	for (size_t i = 0; i < sc->n_procs; i++)
		if (sc->procs[i].pid == getpid())
			return &sc->procs[i];
	return NULL;
}

START_TEST(test_written_and_read)
{
	static const char text[] = "[global]\n# the policy's text, as it was loaded\n";
	const char *pol = write_policy(text);
	struct attls_live_slot *sl, *extra[8];
	struct attls_live_info in = { 0 };
	const struct live_proc *p;
	struct live_scan sc;
	int64_t loaded;
	size_t n = 0;

	/* Once per process: the engine records it once. */
	attls_live_process("unitjob", "unituser", pol, text, strlen(text), true);
	ck_assert_str_ne(attls_live_path(), "");
	in.fd = 5;
	in.direction = ATTLS_DIR_INBOUND;
	in.started_ms = attls_live_now_ms();
	snprintf(in.descriptor, sizeof(in.descriptor), "d1");
	sl = attls_live_claim(&in, ATTLS_LIVE_HANDSHAKE);
	ck_assert_ptr_nonnull(sl);
	attls_live_count(sl, 10, 0);
	attls_live_count(sl, 0, 20);
	attls_live_count(sl, 5, 0);
	snprintf(in.protocol, sizeof(in.protocol), "TLSv1.3");
	attls_live_update(sl, &in, ATTLS_LIVE_SECURE);

	ck_assert_int_eq(attls_live_scan(&sc), 0);
	p = mine(&sc);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->jobname, "unitjob");
	ck_assert_str_eq(p->policy, pol);
	ck_assert_uint_eq(p->policy_len, strlen(text));
	ck_assert_str_eq(p->policy_text, text);
	ck_assert_uint_eq(p->policy_state, ATTLS_LIVE_POLICY_IN_FORCE);
	ck_assert_int_eq(p->reload_failed, 0);
	ck_assert_uint_eq(p->n_conns, 1);
	ck_assert_str_eq(p->conns[0].info.descriptor, "d1");
	ck_assert_str_eq(p->conns[0].info.protocol, "TLSv1.3");
	ck_assert_int_eq(p->conns[0].info.fd, 5);
	ck_assert_uint_eq(p->conns[0].state, ATTLS_LIVE_SECURE);
	ck_assert_uint_eq(p->conns[0].bytes_in, 15);
	ck_assert_uint_eq(p->conns[0].bytes_out, 20);
	loaded = p->policy_loaded;
	attls_live_scan_free(&sc);

	/* Closing, then gone; a slot taken again starts from zero. */
	attls_live_state(sl, ATTLS_LIVE_CLOSING);
	attls_live_release(sl);
	ck_assert_int_eq(attls_live_scan(&sc), 0);
	ck_assert_uint_eq(mine(&sc)->n_conns, 0);
	attls_live_scan_free(&sc);

	/* A full table: the connection is not listed, and nothing breaks. */
	for (unsigned i = 0; i < ATTLS_LIVE_SLOTS; i++) {
		struct attls_live_slot *s = attls_live_claim(&in, ATTLS_LIVE_SECURE);

		ck_assert_ptr_nonnull(s);
		if (n < 8)
			extra[n++] = s;
	}
	ck_assert_ptr_null(attls_live_claim(&in, ATTLS_LIVE_SECURE));
	ck_assert_int_eq(attls_live_scan(&sc), 0);
	ck_assert_uint_eq(mine(&sc)->n_conns, ATTLS_LIVE_SLOTS);
	ck_assert_uint_eq(mine(&sc)->conns[0].bytes_in, 0);
	attls_live_scan_free(&sc);
	attls_live_release(extra[0]);
	ck_assert_ptr_nonnull(attls_live_claim(&in, ATTLS_LIVE_SECURE));

	/* A reload: the new text in force; a failed one: marked, the text kept. */
	static const char text2[] = "[global]\n# reloaded\n";
	attls_live_policy(text2, strlen(text2));
	ck_assert_int_eq(attls_live_scan(&sc), 0);
	ck_assert_str_eq(mine(&sc)->policy_text, text2);
	ck_assert_int_ge(mine(&sc)->policy_loaded, loaded);
	ck_assert_int_eq(mine(&sc)->reload_failed, 0);
	attls_live_scan_free(&sc);
	attls_live_reload_failed();
	ck_assert_int_eq(attls_live_scan(&sc), 0);
	ck_assert_str_eq(mine(&sc)->policy_text, text2);
	ck_assert_int_gt(mine(&sc)->reload_failed, 0);
	ck_assert_uint_eq(mine(&sc)->policy_state, ATTLS_LIVE_POLICY_IN_FORCE);
	attls_live_scan_free(&sc);
}
END_TEST

Suite *livetab_suite(void)
{
	Suite *s = suite_create("livetab");
	TCase *tc = tcase_create("livetab");

	tcase_add_test(tc, test_written_and_read);
	suite_add_tcase(s, tc);
	return s;
}
