/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Trace masks: names, numbers, and which messages each bit lets out. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/logsink.h"
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
	attls_log_start(); /* as if the program had been started with it */
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

/*
 * A line sent to stderr with fd on number 2, as the program's stderr from
 * the start or put there only later; whether it came out of readfd.
 */
static bool stderr_to(int fd, bool start, int readfd)
{
	char buf[256];
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	if (start)
		dup2(fd, STDERR_FILENO);
	attls_log_start();
	if (!start)
		dup2(fd, STDERR_FILENO);
	attls_log_stderr("ATTLS022E handshake failed");
	dup2(saved, STDERR_FILENO);
	close(saved);
	attls_log_start();
	n = recv(readfd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && errno == ENOTSOCK)
		n = read(readfd, buf, sizeof(buf));
	return n > 0;
}

/*
 * attls's lines go to the program's stderr, not to a file of its own that
 * took number 2 after the start, nor to a TCP connection (an inetd
 * program's): clear text there would reach the wire.
 */
START_TEST(test_stderr_only_the_programs)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	char path[] = "/tmp/attls-unit-stderr.XXXXXX";
	int fd = mkstemp(path), l, c, a, p[2];

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert(stderr_to(p[1], true, p[0]));
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	ck_assert(!stderr_to(p[1], false, p[0]));
	ck_assert(!stderr_to(fd, false, fd));
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	l = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	a = accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert(!stderr_to(c, true, a));
	close(a);
	close(c);
	close(l);
	close(p[0]);
	close(p[1]);
	close(fd);
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
	tcase_add_test(tc, test_stderr_only_the_programs);
	suite_add_tcase(s, tc);
	return s;
}
