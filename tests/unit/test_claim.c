/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/claim.h"
#include "helpers.h"

/* One word, two processes: the first claim wins, in both, and stays. */
START_TEST(test_claim_across_fork)
{
	struct attls_claims *b = attls_claims_new(2);
	atomic_int *w, *w2;
	int status, p[2];
	pid_t child;
	char go;

	ck_assert_ptr_nonnull(b);
	w = attls_claims_take(b);
	w2 = attls_claims_take(b);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(w2);
	ck_assert_ptr_null(attls_claims_take(b)); /* two words, no more */
	ck_assert_int_eq(pipe(p), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		/* The child claims w; w2 is the parent's. */
		_exit(attls_claim(w, getpid()) == 0 && read(p[0], &go, 1) == 1 &&
		      attls_claim(w2, getpid()) == getppid() ? 0 : 1);
	}
	while (atomic_load(w) == 0)
		usleep(1000);
	ck_assert_int_eq(attls_claim(w, getpid()), child); /* the child's */
	ck_assert_int_eq(attls_claim(w2, getpid()), 0);
	ck_assert_int_eq(attls_claim(w2, getpid()), 0); /* claimed already: still ours */
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The owner gone: the word still names it (a copy behind never takes over). */
	ck_assert_int_eq(attls_claim(w, getpid()), child);
	attls_claims_put(b);
	attls_claims_put(b);
	attls_claims_put(b);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A memfd handed over (exec): the same word, through its number. */
START_TEST(test_claim_open)
{
	struct attls_claims *b = attls_claims_new(4), *o;
	atomic_int *w, *ow;
	uint32_t idx;
	int fd, all[64], n;

	ck_assert_ptr_nonnull(b);
	attls_claims_take(b);
	w = attls_claims_take(b);
	fd = attls_claims_fd(b, w, &idx);
	ck_assert_int_eq(idx, 1);
	n = attls_claims_fds(all, 64);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_null(attls_claims_open(fd, 4, &o)); /* past its end */
	ck_assert_ptr_null(attls_claims_open(0, 0, &o));  /* not a memfd of words */
	ow = attls_claims_open(fd, idx, &o);
	ck_assert_ptr_nonnull(ow);
	ck_assert_int_eq(attls_claim(ow, 4242), 0);
	ck_assert_int_eq(atomic_load(w), 4242);
	attls_claims_put(o);
	ck_assert_int_ge(fcntl(fd, F_GETFD), 0); /* not its fd to close */
	attls_claims_put(b);
	attls_claims_put(b);
	attls_claims_put(b);
	ck_assert_int_lt(fcntl(fd, F_GETFD), 0);
}
END_TEST

Suite *claim_suite(void)
{
	Suite *s = suite_create("claim");
	TCase *tc = tcase_create("words");

	tcase_add_test(tc, test_claim_across_fork);
	tcase_add_test(tc, test_claim_open);
	suite_add_tcase(s, tc);
	return s;
}
