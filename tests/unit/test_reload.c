/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reload: the files' stamps (lib/stamps.c), the request file and the
 * one-second limit (lib/reload.c), and a policy's references
 * (lib/policyref.c): a session keeps the policy it was made under after
 * the engine has let it go, and the last one frees it (valgrind, in
 * "make unit", says whether it was freed, and freed once).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "../../lib/reload.h"
#include "../../lib/session.h"
#include "../../lib/stamps.h"
#include "../../lib/tlsctx.h"
#include "../../lib/wolf.h"

static const char cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBnjCCAUSgAwIBAgIUB5lTSLUdEhQblfqvws5zgap3vmIwCgYIKoZIzj0EAwIw\n"
	"FzEVMBMGA1UEAwwMaGFuZG9mZi50ZXN0MCAXDTI2MTEzMDE1MTkxMVoYDzIxMjYx\n"
	"MTA2MTUxOTExWjAXMRUwEwYDVQQDDAxoYW5kb2ZmLnRlc3QwWTATBgcqhkjOPQIB\n"
	"BggqhkjOPQMBBwNCAAS2gS3uot7/l7Deb6247eBnZaudTBqpI5VChN6HWI2ZJ0bu\n"
	"cFszE8tpN9cd9XBh3iDaB/mHdypi/xu0T7l7aUa4o2wwajAdBgNVHQ4EFgQU4AWy\n"
	"ttKi6Fw78ci/UT+zXnsXVw8wHwYDVR0jBBgwFoAU4AWyttKi6Fw78ci/UT+zXnsX\n"
	"Vw8wDwYDVR0TAQH/BAUwAwEB/zAXBgNVHREEEDAOggxoYW5kb2ZmLnRlc3QwCgYI\n"
	"KoZIzj0EAwIDSAAwRQIgGxG9lKWyH/mpci9DlCes98W8ba+TyscIsrp6cN3KqVMC\n"
	"IQD0z9L5g4TikDT4XL8rZBS2ho+gsLI/SdYF9lMA+CV+Pg==\n"
	"-----END CERTIFICATE-----\n";
static const char key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1Bwjti/KL8sy2TeB\n"
	"gWTaN2BDeCIx8A25wMKn2vcripehRANCAAS2gS3uot7/l7Deb6247eBnZaudTBqp\n"
	"I5VChN6HWI2ZJ0bucFszE8tpN9cd9XBh3iDaB/mHdypi/xu0T7l7aUa4\n"
	"-----END PRIVATE KEY-----\n";

static void put_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void set_mtime(const char *path, time_t sec, long nsec)
{
	struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };

	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

START_TEST(stamps_see_rename_and_size_not_same_time)
{
	char a[160], tmp[160];
	struct attls_stamps st = { 0 };
	const char *which = NULL;

	snprintf(a, sizeof(a), "%s/stamped.pem", fixture_dir());
	snprintf(tmp, sizeof(tmp), "%s/stamped.new", fixture_dir());
	put_file(a, "one\n", 0644);
	set_mtime(a, 1000000000, 5);
	ck_assert_int_eq(attls_stamps_add(&st, a), 0);
	ck_assert_int_eq(attls_stamps_add(&st, a), 0); /* once only */
	ck_assert_uint_eq(st.n, 1);
	ck_assert(!attls_stamps_changed(&st, &which));
	/* Rewritten in place, same size, its time put back: not seen, by design. */
	put_file(a, "two\n", 0644);
	set_mtime(a, 1000000000, 5);
	ck_assert(!attls_stamps_changed(&st, &which));
	/* A nanosecond later is a change. */
	set_mtime(a, 1000000000, 6);
	ck_assert(attls_stamps_changed(&st, &which));
	ck_assert_str_eq(which, a);
	attls_stamps_free(&st);
	/* Another file renamed into place, with the same size and time. */
	ck_assert_int_eq(attls_stamps_add(&st, a), 0);
	put_file(tmp, "two\n", 0644);
	set_mtime(tmp, 1000000000, 6);
	ck_assert_int_eq(rename(tmp, a), 0);
	ck_assert(attls_stamps_changed(&st, NULL));
	attls_stamps_free(&st);
	/* The size alone, and the file gone. */
	ck_assert_int_eq(attls_stamps_add(&st, a), 0);
	put_file(a, "three\n", 0644);
	set_mtime(a, 1000000000, 6);
	ck_assert(attls_stamps_changed(&st, NULL));
	attls_stamps_free(&st);
	ck_assert_int_eq(attls_stamps_add(&st, a), 0);
	unlink(a);
	ck_assert(attls_stamps_changed(&st, NULL));
	attls_stamps_free(&st);
	ck_assert_uint_eq(st.n, 0);
}
END_TEST

START_TEST(request_file_and_once_a_second)
{
	char xdg[128], dir[160], req[200];

	snprintf(xdg, sizeof(xdg), "%s/xdg", fixture_dir());
	mkdir(xdg, 0700);
	snprintf(dir, sizeof(dir), "%s/attls", xdg);
	mkdir(dir, 0700);
	ck_assert_int_eq(attls_reload_path(dir, getpid(), req, sizeof(req)), 0);
	/* A request left from before the start is not a new one. */
	put_file(req, "", 0644);
	set_mtime(req, 1000000000, 1);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	attls_reload_setup(false);
	/* The first check is due at once, the next not within the second. */
	ck_assert_int_eq(attls_reload_due(), ATTLS_RELOAD_TIMER);
	ck_assert_int_eq(attls_reload_due(), ATTLS_RELOAD_NONE);
	/* A new time on the request: asked, once, within the second. */
	set_mtime(req, 1000000000, 2);
	ck_assert_int_eq(attls_reload_due(), ATTLS_RELOAD_ASKED);
	ck_assert_int_eq(attls_reload_due(), ATTLS_RELOAD_NONE);
	set_mtime(req, 1000000000, 3);
	ck_assert_int_eq(attls_reload_due(), ATTLS_RELOAD_ASKED);
	/* The request removed is no request. */
	unlink(req);
	ck_assert_int_eq(attls_reload_due(), ATTLS_RELOAD_NONE);
	/* After the second, the timer's turn again, for one caller. */
	usleep(1100 * 1000);
	ck_assert_int_eq(attls_reload_due(), ATTLS_RELOAD_TIMER);
	ck_assert_int_eq(attls_reload_due(), ATTLS_RELOAD_NONE);
	unsetenv("XDG_RUNTIME_DIR");
	rmdir(dir);
	rmdir(xdg);
}
END_TEST

/* A policy with one server context from real key files. */
static struct attls_policy *built_policy(void)
{
	char cert[160], key[160], text[600];
	struct attls_errors errs = { 0 };
	struct attls_policy *p;
	char why[128];

	ck_assert_int_eq(attls_wolf_load(why, sizeof(why)), 0);
	snprintf(cert, sizeof(cert), "%s/reload_cert.pem", fixture_dir());
	snprintf(key, sizeof(key), "%s/reload_key.pem", fixture_dir());
	put_file(cert, cert_pem, 0644);
	put_file(key, key_pem, 0600);
	snprintf(text, sizeof(text),
		 "[keyring k]\ncert = %s\nkey = %s\n"
		 "[traffic in]\ndirection = inbound\nlocal_port = 1\nkeyring = k\n", cert, key);
	p = load_text(text, &errs);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(attls_tlsctx_build(p, &errs), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p->traffic[0].ctx_server);
	return p;
}

static struct attls_session *session_of(struct attls_policy *p, int fd)
{
	struct attls_session_params sp = {
		.ctx = p->traffic[0].ctx_server, .policy = p, .fd = fd,
		.role = ATTLS_ROLE_SERVER, .nonblock = true, .handshake_timeout_ms = 1000,
		.who = "reload test",
	};

	return attls_session_new(&sp);
}

START_TEST(sessions_keep_their_policy)
{
	struct attls_policy *p = built_policy();
	struct attls_session *s1, *s2;
	int sv[2];

	ck_assert_uint_eq(p->refs, 1); /* the engine's, while in force */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s1 = session_of(p, sv[0]);
	s2 = session_of(p, sv[0]);
	ck_assert_ptr_nonnull(s1);
	ck_assert_ptr_nonnull(s2);
	ck_assert_uint_eq(p->refs, 3);
	/* Another policy in force: the engine lets this one go. */
	attls_policy_drop(p);
	ck_assert_uint_eq(p->refs, 2);
	/* Its sessions still work on its contexts: a handshake can begin. */
	ck_assert_int_eq(attls_session_state(s1), ATTLS_ST_HANDSHAKE);
	attls_session_end(s1, false);
	attls_session_free(s1);
	ck_assert_uint_eq(p->refs, 1);
	attls_session_end(s2, false);
	attls_session_free(s2); /* the last: the policy and its contexts go */
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(a_failed_session_holds_nothing)
{
	struct attls_policy *p = built_policy();
	struct attls_session_params sp = { .ctx = NULL, .policy = p, .fd = -1 };

	/* wolfSSL_new refuses a NULL context: no session, no reference taken. */
	ck_assert_ptr_null(attls_session_new(&sp));
	ck_assert_uint_eq(p->refs, 1);
	attls_policy_drop(p);
	attls_policy_drop(NULL);
}
END_TEST

Suite *reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("reload");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, stamps_see_rename_and_size_not_same_time);
	tcase_add_test(tc, request_file_and_once_a_second);
	tcase_add_test(tc, sessions_keep_their_policy);
	tcase_add_test(tc, a_failed_session_holds_nothing);
	suite_add_tcase(s, tc);
	return s;
}
