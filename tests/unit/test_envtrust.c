/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the environment decides, with secure-execution mode given. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/envtrust.h"
#include "helpers.h"

START_TEST(test_env_ignored_when_secure)
{
	setenv("ATTLS_CONFIG", "/tmp/caller.ini", 1);
	ck_assert_str_eq(attls_env(false, "ATTLS_CONFIG"), "/tmp/caller.ini");
	ck_assert_ptr_null(attls_env(true, "ATTLS_CONFIG"));
	ck_assert(!attls_secure_exec()); /* the unit tests run without privileges gained */
}
END_TEST

START_TEST(test_jobname)
{
	char job[64];
	char *saved = program_invocation_short_name;

	program_invocation_short_name = "chosen-argv0";
	unsetenv("ATTLS_JOBNAME");
	ck_assert_int_eq(attls_jobname(false, job, sizeof(job)), 0);
	ck_assert_str_eq(job, "chosen-argv0");
	setenv("ATTLS_JOBNAME", "chosen-job", 1);
	ck_assert_int_eq(attls_jobname(false, job, sizeof(job)), 0);
	ck_assert_str_eq(job, "chosen-job");
	/* Secure: the file the kernel ran, whatever argv[0] and the environment say. */
	ck_assert_int_eq(attls_jobname(true, job, sizeof(job)), 0);
	ck_assert_str_eq(job, "unit_tests");
	program_invocation_short_name = saved;
	unsetenv("ATTLS_JOBNAME");
}
END_TEST

START_TEST(test_run_marker)
{
	char pid[24];

	ck_assert(!attls_run_marker_clear(false));
	setenv(ATTLS_RUN_MARKER, "1", 1);
	ck_assert(!attls_run_marker_clear(false)); /* another process's marker */
	ck_assert_ptr_null(getenv(ATTLS_RUN_MARKER));
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv(ATTLS_RUN_MARKER, pid, 1);
	ck_assert(!attls_run_marker_clear(true)); /* never in secure mode */
	ck_assert_ptr_null(getenv(ATTLS_RUN_MARKER));
	setenv(ATTLS_RUN_MARKER, pid, 1);
	ck_assert(attls_run_marker_clear(false));
	ck_assert_ptr_null(getenv(ATTLS_RUN_MARKER));
}
END_TEST

Suite *envtrust_suite(void)
{
	Suite *s = suite_create("envtrust");
	TCase *tc = tcase_create("env");

	tcase_add_test(tc, test_env_ignored_when_secure);
	tcase_add_test(tc, test_jobname);
	tcase_add_test(tc, test_run_marker);
	suite_add_tcase(s, tc);
	return s;
}
