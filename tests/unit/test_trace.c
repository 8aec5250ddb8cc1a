/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Trace masks: names, numbers, and which messages each bit lets out. */
#include <string.h>
#include <unistd.h>

#include "../../lib/trace.h"
#include "helpers.h"

START_TEST(test_parse_names_and_numbers)
{
	unsigned m;

	ck_assert_int_eq(attls_parse_trace("error, event", &m), 0);
	ck_assert_uint_eq(m, 2 | 8);
	ck_assert_int_eq(attls_parse_trace("255", &m), 0);
	ck_assert_uint_eq(m, 255);
	ck_assert_int_eq(attls_parse_trace("ERROR-STDERR info,flow data", &m), 0);
	ck_assert_uint_eq(m, 1 | 4 | 16 | 32);
	ck_assert_int_eq(attls_parse_trace("none", &m), 0);
	ck_assert_uint_eq(m, 0);
	ck_assert_int_eq(attls_parse_trace("2, event", &m), 0);
	ck_assert_uint_eq(m, 10);
	ck_assert_int_eq(attls_parse_trace("256", &m), -1);
	ck_assert_int_eq(attls_parse_trace("verbose", &m), -1);
	ck_assert_int_eq(attls_parse_trace("", &m), -1);
	ck_assert_int_eq(attls_parse_trace("-1", &m), -1);
}
END_TEST

START_TEST(test_bits_gate_messages)
{
	ck_assert(attls_trace_on(ATTLS_TRACE_ERROR, ATTLS_MSG_HS_FAILED));
	ck_assert(attls_trace_on(ATTLS_TRACE_ERROR_STDERR, ATTLS_MSG_HS_FAILED));
	ck_assert(!attls_trace_on(ATTLS_TRACE_ERROR, ATTLS_MSG_HS_DONE));
	ck_assert(attls_trace_on(ATTLS_TRACE_EVENT, ATTLS_MSG_HS_DONE));
	ck_assert(!attls_trace_on(ATTLS_TRACE_EVENT, ATTLS_MSG_CONN_MAPPED));
	ck_assert(attls_trace_on(ATTLS_TRACE_INFO, ATTLS_MSG_CONN_MAPPED));
	ck_assert(attls_trace_on(ATTLS_TRACE_FLOW, ATTLS_MSG_CONN_NOMATCH));
	ck_assert(!attls_trace_on(ATTLS_TRACE_FLOW, ATTLS_MSG_DATA_RECORD));
	ck_assert(attls_trace_on(ATTLS_TRACE_DATA, ATTLS_MSG_DATA_RECORD));
	ck_assert(!attls_trace_on(0, ATTLS_MSG_HS_FAILED));
}
END_TEST

START_TEST(test_catalogue_ids_unique_and_stable)
{
	for (int i = 0; i < ATTLS_MSG_COUNT; i++) {
		const char *id = attls_msg_id((enum attls_msg)i);

		ck_assert_uint_eq(strlen(id), 9);
		ck_assert(!strncmp(id, "ATTLS", 5));
		ck_assert(strchr("IEW", id[8]));
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(id, attls_msg_id((enum attls_msg)j));
	}
	ck_assert_str_eq(attls_msg_id(ATTLS_MSG_HS_FAILED), "ATTLS022E");
	ck_assert_str_eq(attls_msg_id(ATTLS_MSG_POLICY_REFUSED), "ATTLS003E");
}
END_TEST

START_TEST(test_escape_control_and_high_bytes)
{
	char out[64];

	ck_assert_str_eq(attls_escape("CN=evil\x1b[31mred\x07", out, sizeof(out)),
			 "CN=evil\\x1b[31mred\\x07");
	ck_assert_str_eq(attls_escape("a\nb\rc\td\\e\x7f\xc3\xa9", out, sizeof(out)),
			 "a\\x0ab\\x0dc\\x09d\\e\\x7f\\xc3\\xa9");
	/* Cut at the end, never in the middle of an escape. */
	ck_assert_str_eq(attls_escape("ab\x1b", out, 6), "ab");
	ck_assert_str_eq(attls_escape("abcdefgh", out, 4), "abc");
}
END_TEST

/* An error line on stderr carries no raw control byte. */
START_TEST(test_trace_line_escaped_on_stderr)
{
	char buf[512] = { 0 };
	int p[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	dup2(p[1], STDERR_FILENO);
	attls_trace(ATTLS_TRACE_ERROR_STDERR, ATTLS_MSG_HS_FAILED, "peer=\x1b]0;owned\x07",
		    "%s", "subject=/CN=\x1b[2J");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(buf, "peer=\\x1b]0;owned\\x07"));
	ck_assert_ptr_nonnull(strstr(buf, "subject=/CN=\\x1b[2J"));
	for (ssize_t i = 0; i < n - 1; i++)
		ck_assert(buf[i] >= 0x20 && buf[i] < 0x7f);
	ck_assert_int_eq(buf[n - 1], '\n');
}
END_TEST

Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("mask");

	tcase_add_test(tc, test_parse_names_and_numbers);
	tcase_add_test(tc, test_bits_gate_messages);
	tcase_add_test(tc, test_catalogue_ids_unique_and_stable);
	tcase_add_test(tc, test_escape_control_and_high_bytes);
	tcase_add_test(tc, test_trace_line_escaped_on_stderr);
	suite_add_tcase(s, tc);
	return s;
}
