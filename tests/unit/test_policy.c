/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy loader: defaults, values, and every error path. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "../../lib/ciphercheck.h"
#include "../../lib/session.h"
#include "helpers.h"

#define KEYRING "[keyring K]\ncert = @D@/cert.pem\nkey = @D@/key.pem\nca = @D@/ca.pem\n"

START_TEST(test_good_policy_and_defaults)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text(
		"; comment\n# another\n[global]\ntrace = error, event\n"
		"syslog_facility = local3\nhandshake_timeout = 2500ms\n"
		"sessions_from = dovenull, 1000 www-data\n"
		"[crypto]\ndevice = software\n" KEYRING
		"[security S]\nprotocols = TLSv1.3\nclient_auth = required\n"
		"[traffic In]\ndirection = inbound\nlocal_port = 7800-7809, 9000\n"
		"remote_addr = 10.0.0.0/8, ::ffff:192.168.1.1, 2001:db8::/32\n"
		"keyring = K\nsecurity = S\npriority = 5\n"
		"[traffic Out]\nDIRECTION = outbound   ; keys are not case-sensitive\n"
		"remote_port = 7843\nserver_name = partner.example\nkeyring = K\n",
		&errs);

	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->trace, ATTLS_TRACE_ERROR | ATTLS_TRACE_EVENT);
	ck_assert_int_eq(p->syslog_facility, LOG_LOCAL3);
	ck_assert_uint_eq(p->handshake_timeout_ms, 2500);
	ck_assert_uint_eq(p->n_sessions_from, 3);
	ck_assert_str_eq(p->sessions_from[0], "dovenull");
	ck_assert_str_eq(p->sessions_from[1], "1000");
	ck_assert_str_eq(p->sessions_from[2], "www-data");
	ck_assert_int_eq(p->device, ATTLS_DEVICE_SOFTWARE);
	ck_assert_uint_eq(p->n_traffic, 2);
	ck_assert_str_eq(p->traffic[0].name, "In");
	ck_assert_uint_eq(p->traffic[0].local_port.n, 2);
	ck_assert_uint_eq(p->traffic[0].local_port.r[0].lo, 7800);
	ck_assert_uint_eq(p->traffic[0].local_port.r[0].hi, 7809);
	ck_assert(p->traffic[0].remote_port.any);
	ck_assert_uint_eq(p->traffic[0].remote_addr.n, 3);
	/* IPv4-mapped IPv6 is kept as IPv4. */
	ck_assert_int_eq(p->traffic[0].remote_addr.c[1].family, AF_INET);
	ck_assert_uint_eq(p->traffic[0].remote_addr.c[1].prefix, 32);
	ck_assert_ptr_eq(p->traffic[0].security, &p->security[0]);
	ck_assert_int_eq(p->security[0].client_auth, ATTLS_CLIENT_AUTH_REQUIRED);
	ck_assert_uint_eq(p->security[0].protocols, ATTLS_PROTO_TLS13);
	ck_assert_uint_eq(p->traffic[1].direction, ATTLS_DIR_OUTBOUND);
	ck_assert_int_eq(p->traffic[1].trace, -1);
	ck_assert(p->traffic[1].enabled);
	ck_assert_ptr_null(p->traffic[1].security);
	attls_policy_free(p);
}
END_TEST

START_TEST(test_global_defaults)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text("[global]\n[traffic X]\nlocal_port = 1\nenabled = no\n", &errs);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->trace, 2);
	ck_assert_int_eq(p->syslog_facility, LOG_DAEMON);
	ck_assert_uint_eq(p->handshake_timeout_ms, 10000);
	ck_assert_int_eq(p->device, ATTLS_DEVICE_AUTO);
	attls_policy_free(p);
}
END_TEST

START_TEST(test_legacy_allowed_by_name)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text(
		"[security Old]\nprotocols = TLSv1.1, TLSv1.2\nallow_legacy = yes\n"
		"[traffic X]\nlocal_port = 1\nenabled = no\n", &errs);

	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p);
	attls_policy_free(p);
}
END_TEST

START_TEST(test_exemption_needs_no_keyring)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text("[traffic Clear]\nlocal_port = 80\nenabled = no\n", &errs);

	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert(!p->traffic[0].enabled);
	attls_policy_free(p);
}
END_TEST

/* Each bad policy: the line and a part of the message that must be there. */
static const struct {
	const char *text;
	int line;
	const char *what;
} bad[] = {
	{ "[global]\nbogus = 1\n", 2, "unknown key \"bogus\" in [global]" },
	{ "[frobnicate X]\n", 1, "unknown section [frobnicate X]" },
	{ "[traffic]\n", 1, "section [traffic] needs a name" },
	{ "[global extra]\n", 1, "section [global] takes no name" },
	{ "[global]\n[global]\n", 2, "given twice (first at line 1)" },
	{ "[security A]\n[security A]\n", 2, "section [security A] given twice" },
	{ "[traffic a b]\n", 1, "a name has no blanks" },
	{ "[global\n", 1, "malformed section header" },
	/* The second header would be dropped, and enabled = no land in A. */
	{ "[traffic A] [traffic B]\nenabled = no\n", 1, "text after the section header" },
	{ "trace = 2\n", 1, "key outside any section" },
	{ "[global]\njust words\n", 2, "expected \"key = value\"" },
	{ "[global]\ntrace = 2\ntrace = 4\n", 3, "trace: given twice" },
	{ "[global]\ntrace =\n", 2, "trace: empty value" },
	{ "[global]\ntrace = loud\n", 2, "trace: \"loud\" is not a number 0-255" },
	{ "[global]\ntrace = 300\n", 2, "trace: \"300\"" },
	{ "[global]\nsyslog_facility = kernel\n", 2, "syslog_facility: \"kernel\"" },
	{ "[global]\nhandshake_timeout = soon\n", 2, "handshake_timeout: \"soon\"" },
	{ "[global]\nsessions_from = nobody, ../root\n", 2,
	  "sessions_from: \"../root\" is not a user name or uid" },
	{ "[global]\nhandshake_timeout = 0s\n", 2, "handshake_timeout: \"0s\"" },
	/* 18446744073709552 s is 2^64 + 384 ms: it must not wrap to 384 ms. */
	{ "[global]\nhandshake_timeout = 18446744073709552\n", 2,
	  "handshake_timeout: \"18446744073709552\"" },
	{ "[global]\nhandshake_timeout = 307445734561826m\n", 2,
	  "handshake_timeout: \"307445734561826m\"" },
	{ "[global]\nhandshake_timeout = 99999999999999999999999ms\n", 2,
	  "handshake_timeout: \"99999999999999999999999ms\"" },
	{ "[global]\nhandshake_timeout = 3601s\n", 2, "handshake_timeout: \"3601s\"" },
	{ "[global]\nhandshake_timeout = -5s\n", 2, "handshake_timeout: \"-5s\"" },
	{ "[traffic T]\npriority = -0\nenabled = no\n", 2, "priority: \"-0\"" },
	{ "[traffic T]\npriority = +5\nenabled = no\n", 2, "priority: \"+5\"" },
	{ "[traffic T]\npriority = 1000001\nenabled = no\n", 2, "priority: \"1000001\"" },
	{ "[traffic T]\npriority = 18446744073709551617\nenabled = no\n", 2,
	  "priority: \"18446744073709551617\"" },
	{ "[traffic T]\nuser = 99999999999999999999\nenabled = no\n", 2,
	  "user: \"99999999999999999999\" is not a uid" },
	{ "[traffic T]\nuser = 4294967295\nenabled = no\n", 2, "user: \"4294967295\"" },
	{ "[traffic T]\nlocal_port = 18446744073709551696\nenabled = no\n", 2,
	  "local_port: \"18446744073709551696\"" },
	{ "[traffic T]\nlocal_addr = 10.0.0.0/18446744073709551624\nenabled = no\n", 2,
	  "local_addr: \"10.0.0.0/18446744073709551624\"" },
	{ "[global]\ntrace = 18446744073709551618\n", 2, "trace: \"18446744073709551618\"" },
	{ "[crypto]\ndevice = gpu\n", 2, "device: \"gpu\" is not one of auto, cpu, software" },
	{ "[security S]\nprotocols = SSLv3, TLSv1.2\n", 2, "SSLv3 is refused" },
	{ "[security S]\nprotocols = TLSv1.1\n", 2, "refused unless allow_legacy = yes" },
	{ "[security S]\nprotocols = TLSv1, TLSv1.3\n", 2, "refused unless allow_legacy = yes" },
	{ "[security S]\nprotocols = TLSv9\n", 2, "protocols: \"TLSv9\"" },
	{ "[security S]\nclient_auth = maybe\n", 2, "client_auth: \"maybe\"" },
	{ "[security S]\nallow_legacy = perhaps\n", 2, "allow_legacy: \"perhaps\"" },
	{ "[security S]\nkeyring = K\n", 2, "unknown key \"keyring\" in [security]" },
	{ "[traffic T]\ndirection = sideways\nenabled = no\n", 2, "direction: \"sideways\"" },
	{ "[traffic T]\nlocal_port = 70000\nenabled = no\n", 2, "local_port: \"70000\"" },
	{ "[traffic T]\nremote_port = 9-1\nenabled = no\n", 2, "remote_port: \"9-1\"" },
	{ "[traffic T]\nlocal_addr = 10.0.0.0/33\nenabled = no\n", 2, "local_addr: \"10.0.0.0/33\"" },
	{ "[traffic T]\nremote_addr = host.example\nenabled = no\n", 2, "remote_addr: \"host.example\"" },
	{ "[traffic T]\nrole = both\nenabled = no\n", 2, "role: \"both\" is not server or client" },
	{ "[traffic T]\npriority = high\nenabled = no\n", 2, "priority: \"high\"" },
	{ "[traffic T]\nenabled = sometimes\n", 2, "enabled: \"sometimes\"" },
	{ "[traffic T]\ntrace = chatty\nenabled = no\n", 2, "trace: \"chatty\"" },
	{ "[traffic T]\nkeyring = Nope\n", 2, "keyring: no [keyring Nope] in this file" },
	{ KEYRING "[traffic T]\nkeyring = K\nsecurity = Nope\n", 7, "security: no [security Nope]" },
	{ "[traffic T]\nlocal_port = 1\n", 1, "keyring is required" },
	{ "[keyring K]\ncert = @D@/cert.pem\nkey = @D@/key644.pem\n", 3,
	  "key: @D@/key644.pem has mode 0644: a secret must not be accessible to group or others" },
	{ "[keyring K]\ncert = @D@/missing.pem\nkey = @D@/key.pem\n", 2,
	  "cert: @D@/missing.pem: No such file or directory" },
	{ "[keyring K]\ncert = @D@/cert.pem\n", 1, "cert and key go together; key is missing" },
	{ "[keyring K]\n", 1, "[keyring K]: empty" },
	{ "[keyring K]\nca = @D@/ca.pem\n[traffic T]\ndirection = inbound\nkeyring = K\n", 3,
	  "role server needs cert and key" },
	{ "[keyring K]\ncert = @D@/cert.pem\nkey = @D@/key.pem\n"
	  "[traffic T]\ndirection = outbound\nserver_name = x\nkeyring = K\n", 4,
	  "role client needs ca" },
	{ KEYRING "[traffic T]\ndirection = outbound\nkeyring = K\n", 5, "role client needs server_name" },
	{ "[keyring K]\ncert = @D@/cert.pem\nkey = @D@/key.pem\n[security S]\nclient_auth = optional\n"
	  "[traffic T]\ndirection = inbound\nkeyring = K\nsecurity = S\n", 6,
	  "client_auth = optional needs ca" },
	{ "[keyring K]\ncert = @D@/cert.pem\nkey = pkcs11:token=t\n", 3,
	  "key: the URI names no object" },
	{ "[keyring K]\ncert = @D@/cert.pem\nkey = pkcs11:token=t;object=k\n", 3,
	  "key: a PKCS#11 key needs its module" },
	{ "[crypto]\nmodule_path = @D@/ca.pem\n[keyring K]\ncert = @D@/cert.pem\n"
	  "key = pkcs11:token=t;object=k\n", 5, "key: a PKCS#11 key needs its PIN" },
	{ "[keyring K]\ncert = @D@/cert.pem\n"
	  "key = pkcs11:token=t;object=k?module-path=@D@/ca.pem&pin-value=1234\n", 3,
	  "pin-value is only allowed in a policy file of mode 0600" },
	{ "[keyring K]\ncert = @D@/cert.pem\n"
	  "key = pkcs11:token=t;object=k?module-path=@D@/ca.pem&pin-source=file:@D@/key644.pem\n",
	  3, "pin-source: @D@/key644.pem has mode 0644" },
	{ "[keyring K]\ncert = pkcs11:token=t;object=k?module-path=@D@/ca.pem\n"
	  "key = @D@/key.pem\n", 2, "a certificate on a token goes with a key on a token" },
	{ "[crypto]\npin_value = 1234\n", 2, "pin_value: only allowed in a policy file of mode 0600" },
	{ "[crypto]\nmodule_path = @D@/nope.so\n", 2, "module_path: @D@/nope.so: No such file" },
	/* Paths are absolute: a relative one would depend on the program's directory. */
	{ "[keyring K]\ncert = cert.pem\nkey = @D@/key.pem\n", 2,
	  "cert: \"cert.pem\" is not an absolute path" },
	{ "[keyring K]\ncert = @D@/cert.pem\nkey = ./key.pem\n", 3,
	  "key: \"./key.pem\" is not an absolute path" },
	{ "[keyring K]\nca = ../ca.pem\n", 2, "ca: \"../ca.pem\" is not an absolute path" },
	{ "[keyring K]\nca = pkcs11:token=t;object=k\n", 2, "ca: \"pkcs11:token=t;object=k\" is not" },
	{ "[global]\ninherit = maybe\n", 2, "inherit: \"maybe\" is not yes or no" },
	{ "[global]\nticket_key_file = tickets.key\n", 2,
	  "ticket_key_file: \"tickets.key\" is not an absolute path" },
	{ "[crypto]\nmodule_path = libsofthsm2.so\n", 2,
	  "module_path: \"libsofthsm2.so\" is not an absolute path" },
	{ "[crypto]\npin_source = file:pin\n", 2, "pin_source: not an absolute path (its value is not shown" },
	{ "[crypto]\npin_source = pin\n", 2, "pin_source: not an absolute path (its value is not shown" },
	{ "[keyring K]\ncert = file:@D@/cert.pem\nkey = @D@/key.pem\n", 2,
	  "cert: \"file:@D@/cert.pem\" is not an absolute path" },
	{ "[keyring K]\ncert = @D@/cert.pem\n"
	  "key = pkcs11:token=t;object=k?module-path=lib.so&pin-source=file:@D@/key.pem\n", 3,
	  "key: module-path \"lib.so\" is not an absolute path" },
	{ "[keyring K]\ncert = @D@/cert.pem\n"
	  "key = pkcs11:token=t;object=k?module-path=@D@/ca.pem&pin-source=file:pin\n", 3,
	  "key: pin-source is not an absolute path (its value is not shown" },
	/* Named files are checked on the descriptor opened. */
	{ "[keyring K]\nca = @D@/cadir-gw\n", 2,
	  "ca: @D@/cadir-gw has mode 0775: it must not be writable by group" },
	{ "[keyring K]\ncert = @D@/cert.pem\nkey = @D@/nobody.pem\n", 3,
	  "key: @D@/nobody.pem is owned by uid 65534: it must be owned by root" },
	{ "[keyring K]\nca = @D@/ca-nobody.pem\n", 2, "ca: @D@/ca-nobody.pem is owned by uid 65534" },
	{ "[crypto]\nmodule_path = @D@/cert-gw.pem\n", 2,
	  "module_path: @D@/cert-gw.pem has mode 0664: it must not be writable by group" },
	{ "[global]\ntrace = 1111111111111111111111111111111111111111111111111111111111111111111"
	  "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
	  "11111111111111111111111111111111111111111111111111111\n", 2,
	  "is not a number 0-255" }, /* a line past inih's buffer is parsed all the same */
};

/* Files that must not be trusted, in the fixture directory (made once). */
static void untrusted_fixtures(void)
{
	static const struct {
		const char *name;
		mode_t mode;
		uid_t uid;
	} f[] = {
		{ "nobody.pem", 0600, 65534 },
		{ "ca-nobody.pem", 0644, 65534 },
		{ "cert-gw.pem", 0664, 0 },
	};
	char path[256];

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", fixture_dir(), f[i].name);
		fp = fopen(path, "w");
		ck_assert_ptr_nonnull(fp);
		fputs("-----BEGIN PLACEHOLDER-----\n", fp);
		fclose(fp);
		ck_assert_int_eq(chmod(path, f[i].mode), 0);
		ck_assert_int_eq(chown(path, f[i].uid, (gid_t)-1), 0);
	}
	snprintf(path, sizeof(path), "%s/cadir-gw", fixture_dir());
	mkdir(path, 0700);
	ck_assert_int_eq(chmod(path, 0775), 0);
}

START_TEST(test_bad_policy)
{
	struct attls_errors errs = { 0 };
	char what[256];
	const char *d = strstr(bad[_i].what, "@D@");
	struct attls_policy *p;

	untrusted_fixtures();
	p = load_text(bad[_i].text, &errs);

	if (d)
		snprintf(what, sizeof(what), "%.*s%s%s", (int)(d - bad[_i].what), bad[_i].what,
			 fixture_dir(), d + 3);
	else
		snprintf(what, sizeof(what), "%s", bad[_i].what);
	ck_assert_ptr_null(p);
	ck_assert_msg(has_error(&errs, bad[_i].line, what), "case %d: no error at line %d with \"%s\"",
		      _i, bad[_i].line, what);
	attls_errors_free(&errs);
}
END_TEST

/* The policy file itself: whoever may write it decides what attls does. */
static const struct {
	mode_t mode;
	uid_t uid;
	const char *what;
} bad_policy_files[] = {
	{ 0666, 0, "has mode 0666: it must not be writable by group or others" },
	{ 0620, 0, "has mode 0620: it must not be writable by group or others" },
	{ 0602, 0, "has mode 0602" },
	{ 0644, 65534, "is owned by uid 65534: it must be owned by root" },
};

/*
 * A policy file of its own (write_policy's names are reused by the next
 * test, which must not inherit this one's mode or owner).
 */
static const char *own_policy(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	unlink(path);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(test_untrusted_policy_file)
{
	struct attls_errors errs = { 0 };
	char name[32], want[512];
	const char *file;

	snprintf(name, sizeof(name), "untrusted%d.ini", _i);
	file = own_policy(name, "[global]\ntrace = error\n");

	ck_assert_int_eq(chmod(file, bad_policy_files[_i].mode), 0);
	ck_assert_int_eq(chown(file, bad_policy_files[_i].uid, (gid_t)-1), 0);
	ck_assert_ptr_null(attls_policy_load(file, &errs));
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want), "%s: cannot open policy: %s %s", file, file,
		 bad_policy_files[_i].what);
	ck_assert_msg(!strncmp(errs.msg[0], want, strlen(want)), "got \"%s\"", errs.msg[0]);
	attls_errors_free(&errs);
}
END_TEST

START_TEST(test_relative_policy_refused)
{
	struct attls_errors errs = { 0 };
	char back[4096];

	/* back where it was after: without CK_FORK the tests share one cwd */
	ck_assert_ptr_nonnull(getcwd(back, sizeof(back)));
	ck_assert_int_eq(chdir(fixture_dir()), 0);
	write_policy("[global]\n");
	ck_assert_ptr_null(attls_policy_load("policy0.ini", &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], "policy0.ini: cannot open policy: the path must be absolute");
	attls_errors_free(&errs);
	ck_assert_int_eq(chdir(back), 0);
}
END_TEST

/* pin_value is allowed in a policy of mode 0600: the mode of the file read. */
START_TEST(test_private_policy_pin_value)
{
	struct attls_errors errs = { 0 };
	const char *file = own_policy("private.ini", "[crypto]\npin_value = 1234\n[traffic X]\nlocal_port = 1\nenabled = no\n");
	struct attls_policy *p;

	ck_assert_int_eq(chmod(file, 0600), 0);
	p = attls_policy_load(file, &errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->p11_pin_value, "1234");
	attls_policy_free(p);
}
END_TEST

/* attls check --no-keys: no file the policy names is opened. */
START_TEST(test_no_files)
{
	struct attls_errors errs = { 0 };
	char text[1024];
	const char *d = fixture_dir(), *file;
	struct attls_policy *p;

	snprintf(text, sizeof(text),
		 "[global]\nticket_key_file = %s/absent.key\n"
		 "[crypto]\nmodule_path = %s/absent.so\npin_source = file:%s/key644.pem\n"
		 "[keyring K]\ncert = %s/absent.pem\nkey = pkcs11:token=t;object=k\n"
		 "ca = %s/absent-ca\n"
		 "[traffic T]\nkeyring = K\nserver_name = x\n",
		 d, d, d, d, d);
	file = write_policy(text);
	ck_assert_ptr_null(attls_policy_load(file, &errs));
	ck_assert_uint_ge(errs.n, 4);
	attls_errors_free(&errs);
	p = attls_policy_load_ex(file, ATTLS_POLICY_NO_FILES, &errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p);
	attls_policy_free(p);
	/* Path forms and the policy file itself are still checked. */
	snprintf(text, sizeof(text), "[keyring K]\ncert = c.pem\nkey = %s/k.pem\n", d);
	ck_assert_ptr_null(attls_policy_load_ex(write_policy(text), ATTLS_POLICY_NO_FILES, &errs));
	ck_assert(has_error(&errs, 2, "cert: \"c.pem\" is not an absolute path"));
	attls_errors_free(&errs);
	file = own_policy("nofiles-0646.ini", "[global]\n");
	ck_assert_int_eq(chmod(file, 0646), 0);
	ck_assert_ptr_null(attls_policy_load_ex(file, ATTLS_POLICY_NO_FILES, &errs));
	ck_assert_uint_eq(errs.n, 1);
	attls_errors_free(&errs);
}
END_TEST

START_TEST(test_every_error_reported)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text("[global]\ntrace = x\nbogus = 1\n[nope]\n[crypto]\ndevice = y\n",
					   &errs);

	ck_assert_ptr_null(p);
	ck_assert_uint_eq(errs.n, 5);
	ck_assert(strstr(errs.msg[4], ": no traffic descriptor: nothing would be protected"));
	ck_assert(has_error(&errs, 2, "trace"));
	ck_assert(has_error(&errs, 3, "bogus"));
	ck_assert(has_error(&errs, 4, "[nope]"));
	ck_assert(has_error(&errs, 6, "device"));
	attls_errors_free(&errs);
}
END_TEST

/* No [traffic] at all: nothing would be protected, so it is no policy. */
START_TEST(test_no_traffic_descriptor)
{
	struct attls_errors errs = { 0 };

	ck_assert_ptr_null(load_text("[global]\ntrace = error\n", &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_msg(strstr(errs.msg[0], ".ini: no traffic descriptor: nothing would be protected"),
		      "got \"%s\"", errs.msg[0]);
	attls_errors_free(&errs);
	ck_assert_ptr_null(load_text("", &errs));
	ck_assert_uint_eq(errs.n, 1);
	attls_errors_free(&errs);
}
END_TEST

/* More than ATTLS_POLICY_MAX bytes: refused before a byte is read. */
START_TEST(test_policy_too_large)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p;
	const char *file = write_policy("[traffic X]\nlocal_port = 1\nenabled = no\n");

	ck_assert_int_eq(truncate(file, (off_t)ATTLS_POLICY_MAX + 1), 0);
	ck_assert_ptr_null(attls_policy_load(file, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_msg(strstr(errs.msg[0], "cannot read policy: 16777217 bytes, more than the 16 MiB"),
		      "got \"%s\"", errs.msg[0]);
	attls_errors_free(&errs);
	/* Exactly the limit is read, and loads: a long comment fills it (a NUL would not). */
	FILE *f = fopen(file, "w");
	static const char head[] = "[traffic X]\nlocal_port = 1\nenabled = no\n;";
	char *pad = malloc(ATTLS_POLICY_MAX);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(pad);
	memset(pad, 'x', ATTLS_POLICY_MAX);
	memcpy(pad, head, sizeof(head) - 1);
	pad[ATTLS_POLICY_MAX - 1] = '\n';
	ck_assert_uint_eq(fwrite(pad, 1, ATTLS_POLICY_MAX, f), ATTLS_POLICY_MAX);
	fclose(f);
	free(pad);
	p = attls_policy_load(file, &errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->n_traffic, 1);
	attls_policy_free(p);
}
END_TEST

/* A read that fails part-way is an error, not an end of file. */
static int reads;
static ssize_t failing_read(int fd, void *buf, size_t len)
{
	if (reads++ == 0) {
		ssize_t n = read(fd, buf, len > 16 ? 16 : len);

		return n;
	}
	errno = EIO;
	return -1;
}

START_TEST(test_policy_read_error)
{
	struct attls_errors errs = { 0 };
	const char *file = write_policy("[traffic X]\nlocal_port = 1\nenabled = no\n"
					"[traffic Y]\nlocal_port = 2\nenabled = no\n");
	struct attls_io fail = { .read = failing_read }, real = { .read = read };

	reads = 0;
	attls_session_set_io(&fail);
	ck_assert_ptr_null(attls_policy_load(file, &errs));
	attls_session_set_io(&real);
	ck_assert_int_ge(reads, 2);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_msg(strstr(errs.msg[0], "cannot read policy: Input/output error"),
		      "got \"%s\"", errs.msg[0]);
	attls_errors_free(&errs);
}
END_TEST

START_TEST(test_missing_file)
{
	struct attls_errors errs = { 0 };

	ck_assert_ptr_null(attls_policy_load("/nonexistent/attls.ini", &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], "/nonexistent/attls.ini: cannot open policy: No such file or directory");
	attls_errors_free(&errs);
}
END_TEST

START_TEST(test_value_parsers)
{
	struct attls_port_set ps = { 0 };
	struct attls_addr_set as = { 0 };
	unsigned v;

	ck_assert_int_eq(attls_parse_ports("*", &ps), 0);
	ck_assert(ps.any);
	ck_assert_int_eq(attls_parse_ports("1,2 , 3-4", &ps), 0);
	ck_assert_uint_eq(ps.n, 3);
	ck_assert_int_eq(attls_parse_ports("", &ps), -1);
	ck_assert_int_eq(attls_parse_ports("80-", &ps), -1);
	ck_assert_int_eq(attls_parse_ports("-1", &ps), -1);
	/* An empty item is a typo, not nothing. */
	ck_assert_int_eq(attls_parse_ports("1,,2", &ps), -1);
	ck_assert_int_eq(attls_parse_ports(",80", &ps), -1);
	ck_assert_int_eq(attls_parse_ports("80,", &ps), -1);
	ck_assert_int_eq(attls_parse_ports("80 443", &ps), 0);
	ck_assert_int_eq(attls_parse_addrs("::1,,127.0.0.1", &as), -1);
	ck_assert_int_eq(attls_parse_addrs("::1, 127.0.0.1/8", &as), 0);
	ck_assert_uint_eq(as.n, 2);
	ck_assert_int_eq(as.c[0].family, AF_INET6);
	ck_assert_uint_eq(as.c[1].prefix, 8);
	ck_assert_int_eq(attls_parse_addrs("::ffff:0:0/96", &as), 0);
	ck_assert_int_eq(as.c[0].family, AF_INET);
	ck_assert_uint_eq(as.c[0].prefix, 0);
	ck_assert_int_eq(attls_parse_duration_ms("10", &v), 0);
	ck_assert_uint_eq(v, 10000);
	ck_assert_int_eq(attls_parse_duration_ms("2m", &v), 0);
	ck_assert_uint_eq(v, 120000);
	ck_assert_int_eq(attls_parse_duration_ms("2h", &v), -1);
	ck_assert_int_eq(attls_parse_duration_ms("500ms", &v), 0);
	ck_assert_uint_eq(v, 500);
	ck_assert_int_eq(attls_parse_duration_ms("60m", &v), 0);
	ck_assert_uint_eq(v, 3600000);
	v = 7;
	ck_assert_int_eq(attls_parse_duration_ms("18446744073709552", &v), -1);
	ck_assert_int_eq(attls_parse_duration_ms("4294968", &v), -1); /* 2^32 + 704 ms */
	ck_assert_int_eq(attls_parse_duration_ms("", &v), -1);
	ck_assert_int_eq(attls_parse_duration_ms("s", &v), -1);
	ck_assert_int_eq(attls_parse_duration_ms("10x", &v), -1);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(attls_parse_ports("+80", &ps), -1);
	ck_assert_int_eq(attls_parse_ports("80-18446744073709551696", &ps), -1);
	{
		unsigned long n;
		const char *end;

		ck_assert_int_eq(attls_parse_number("18446744073709551615", ULONG_MAX, &n, NULL), 0);
		ck_assert_uint_eq(n, ULONG_MAX);
		ck_assert_int_eq(attls_parse_number("18446744073709551616", ULONG_MAX, &n, NULL), -1);
		ck_assert_int_eq(attls_parse_number("256", 255, &n, NULL), -1);
		ck_assert_int_eq(attls_parse_number("255", 255, &n, NULL), 0);
		ck_assert_int_eq(attls_parse_number("", 255, &n, NULL), -1);
		ck_assert_int_eq(attls_parse_number(" 1", 255, &n, NULL), -1);
		ck_assert_int_eq(attls_parse_number("-1", 255, &n, NULL), -1);
		ck_assert_int_eq(attls_parse_number("1 ", 255, &n, NULL), -1);
		ck_assert_int_eq(attls_parse_number("12ms", 255, &n, &end), 0);
		ck_assert_str_eq(end, "ms");
	}
	ck_assert_int_eq(attls_parse_direction("BOTH", &v), 0);
	ck_assert_uint_eq(v, ATTLS_DIR_BOTH);
	attls_port_set_free(&ps);
	attls_addr_set_free(&as);
}
END_TEST

START_TEST(test_cipher_names)
{
	static const char *const refused[] = {
		"TLS13-SHA256-SHA256", "TLS13-SHA384-SHA384", "ECDHE-ECDSA-NULL-SHA",
		"DHE-PSK-NULL-SHA384", "WDM-NULL-SHA256", "ADH-AES128-SHA",
		"ADH-AES256-GCM-SHA384", "AECDH-AES128-SHA", "PSK-CHACHA20-POLY1305",
		"ECDHE-PSK-AES128-GCM-SHA256", "DHE-PSK-AES256-GCM-SHA384",
	};
	static const char *const taken[] = {
		"TLS13-AES128-GCM-SHA256", "TLS13-CHACHA20-POLY1305-SHA256",
		"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
		"DHE-RSA-AES256-GCM-SHA384",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(attls_cipher_weakness(refused[i]), "%s taken", refused[i]);
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		ck_assert_msg(!attls_cipher_weakness(taken[i]), "%s refused", taken[i]);
}
END_TEST

/*
 * A policy of 100,000 sections (10,000 under valgrind): many descriptors
 * over a few key rings and levels, each reference resolved to its own
 * section; a name given twice and a reference to no section are found
 * at the end of it, with their lines.
 */
static char *large_policy(size_t n, size_t *lines, const char *tail)
{
	size_t cap = n * 160 + 1024, off = 0;
	char *text = malloc(cap);
	const char *d = fixture_dir();

	ck_assert_ptr_nonnull(text);
	*lines = 0;
	for (int k = 0; k < 3; k++) {
		off += (size_t)snprintf(text + off, cap - off,
					"[keyring ring%d]\ncert = %s/cert.pem\nkey = %s/key.pem\n"
					"ca = %s/ca.pem\n", k, d, d, d);
		*lines += 4;
	}
	for (int s = 0; s < 2; s++) {
		off += (size_t)snprintf(text + off, cap - off, "[security level%d]\n"
					"client_auth = %s\n", s, s ? "required" : "none");
		*lines += 2;
	}
	for (size_t i = 0; i < n - 5; i++) {
		off += (size_t)snprintf(text + off, cap - off,
					"[traffic t%zu]\ndirection = inbound\nlocal_port = %zu\nkeyring = ring%zu\n"
					"security = level%zu\npriority = %zu\n",
					i, 1 + i % 65535, i % 3, i % 2, i % 1000);
		*lines += 6;
	}
	snprintf(text + off, cap - off, "%s", tail);
	return text;
}

START_TEST(test_large_policy)
{
	size_t n = getenv("ATTLS_UNIT_QUICK") ? 10000 : 100000, lines;
	struct attls_errors errs = { 0 };
	struct attls_policy *p;
	char *text = large_policy(n, &lines, ""), tail[128];

	p = attls_policy_load(write_policy(text), &errs);
	free(text);
	for (size_t i = 0; i < errs.n && i < 5; i++)
		fprintf(stderr, "  %s\n", errs.msg[i]);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->n_keyrings, 3);
	ck_assert_uint_eq(p->n_security, 2);
	ck_assert_uint_eq(p->n_traffic, n - 5);
	for (size_t i = 0; i < p->n_traffic; i++) {
		char name[32];

		snprintf(name, sizeof(name), "t%zu", i);
		ck_assert_str_eq(p->traffic[i].name, name);
		ck_assert_int_eq(p->traffic[i].line, (int)(17 + 6 * i));
		ck_assert_ptr_eq(p->traffic[i].keyring, &p->keyrings[i % 3]);
		ck_assert_ptr_eq(p->traffic[i].security, &p->security[i % 2]);
		ck_assert_int_eq(p->traffic[i].priority, (long)(i % 1000));
	}
	attls_policy_free(p);

	/* The first descriptor's name again, and a key ring no section has. */
	snprintf(tail, sizeof(tail), "[traffic t0]\nlocal_port = 1\n"
		 "[traffic last]\nlocal_port = 1\nkeyring = ring3\n");
	text = large_policy(n, &lines, tail);
	ck_assert_ptr_null(attls_policy_load(write_policy(text), &errs));
	free(text);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert(has_error(&errs, (int)lines + 1, "section [traffic t0] given twice "
						    "(first at line 17)"));
	ck_assert(has_error(&errs, (int)lines + 5, "keyring: no [keyring ring3] in this file"));
	attls_errors_free(&errs);
}
END_TEST

/* attls status --policy: the text as parsed, every PIN hidden. */
START_TEST(test_text_shown)
{
	static const char in[] =
		"[crypto]\n"
		"  PIN_VALUE = 1234 ; a comment\n"
		"pin_value=9876\n"
		"pin_values = kept\n"
		"[keyring k]\n"
		"key = pkcs11:token=t;object=k?module-path=/m.so&pin-value=5555&x=y\n"
		"cert = pkcs11:token=t;object=k?pin-value=4444\n"
		"# pin-value=3333 in a comment\n"
		"last = no newline";
	static const char want[] =
		"[crypto]\n"
		"  PIN_VALUE = (hidden)\n"
		"pin_value=(hidden)\n"
		"pin_values = kept\n"
		"[keyring k]\n"
		"key = pkcs11:token=t;object=k?module-path=/m.so&pin-value=(hidden)&x=y\n"
		"cert = pkcs11:token=t;object=k?pin-value=(hidden)\n"
		"# pin-value=(hidden) in a comment\n"
		"last = no newline";
	size_t n;
	char *o = attls_policy_text_shown(in, strlen(in), &n);

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(o, want);
	ck_assert_uint_eq(n, strlen(want));
	free(o);
	/* A PIN of every length: never longer than twice the text. */
	o = attls_policy_text_shown("pin-value=", 10, &n);
	ck_assert_str_eq(o, "pin-value=(hidden)");
	free(o);
}
END_TEST

/*
 * A value refused is one error: what depends on it is not checked as if
 * it were absent or at its default.
 */
START_TEST(test_refused_value_one_error)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p = load_text(
		"[keyring k]\ncert = @D@/cert.pem\nkey = key.pem\n"          /* 1-3 */
		"[keyring c]\nca = @D@/ca.pem\n"                             /* 4-5 */
		"[keyring e]\ncert = @D@/cert.pem\nkey =\n"                   /* 6-8 */
		"[traffic in]\ndirection = in\nkeyring = k\n"                 /* 9-11 */
		"[traffic r]\nrole = bogus\nkeyring = c\n"                    /* 12-14 */
		"[traffic n]\ndirection = inbound\nkeyring = a b\n"           /* 15-17 */
		"[security s]\nclient_auth = sometimes\n"                     /* 18-19 */
		"[traffic t]\ndirection = inbound\nkeyring = k\nsecurity = s\n" /* 20-23 */
		"allow_peer = CN=x\n"                                         /* 24 */
		"[keyring o]\nca = ca.pem\nocsp = responder\n"                /* 25-27 */
		"[traffic o]\ndirection = outbound\nserver_name = x\nkeyring = o\n" /* 28-31 */
		"[traffic d]\nenabled = maybe\n",                             /* 32-33 */
		&errs);

	ck_assert_ptr_null(p);
	ck_assert(has_error(&errs, 3, "key: \"key.pem\" is not an absolute path"));
	ck_assert(has_error(&errs, 8, "key: empty value"));
	ck_assert(has_error(&errs, 10, "direction: \"in\""));
	ck_assert(has_error(&errs, 13, "role: \"bogus\""));
	ck_assert(has_error(&errs, 17, "keyring: \"a b\" is not a section name"));
	ck_assert(has_error(&errs, 19, "client_auth: \"sometimes\""));
	ck_assert(has_error(&errs, 26, "ca: \"ca.pem\" is not an absolute path"));
	ck_assert(has_error(&errs, 33, "enabled: \"maybe\""));
	/* And nothing else: no key missing, no direction = both, no keyring required... */
	ck_assert_uint_eq(errs.n, 8);
	attls_errors_free(&errs);
}
END_TEST

/*
 * ATTLS_POLICY_KEEP_BROKEN: the policy comes back with its errors, each
 * section saying whether its own lines were errors and which keys were
 * refused (attls check proves only the key rings that passed).
 */
START_TEST(test_keep_broken)
{
	struct attls_errors errs = { 0 };
	const char *file;
	struct attls_policy *p;

	file = write_policy("[global]\ntrace = loud\n"
			    "[keyring good]\nca = /etc/hostname\n"
			    "[keyring bad]\nca = /etc/hostname\nocsp = maybe\n"
			    "[keyring odd]\nca = /etc/hostname\nwhat = 1\n"
			    "[security s]\nprotocols = TLSv1.4\n"
			    "[traffic t]\ndirection = in\nkeyring = good\n");
	p = attls_policy_load_ex(file, ATTLS_POLICY_NO_FILES | ATTLS_POLICY_KEEP_BROKEN, &errs);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(errs.n, 5);
	ck_assert(!p->keyrings[0].broken);
	ck_assert(p->keyrings[1].broken);
	ck_assert(attls_refused(p->keyrings[1].refused, "keyring", "ocsp"));
	ck_assert(!attls_refused(p->keyrings[1].refused, "keyring", "ca"));
	/* An unknown key: the section is broken, no key of it refused. */
	ck_assert(p->keyrings[2].broken);
	ck_assert_uint_eq(p->keyrings[2].refused, 0);
	ck_assert(p->security[0].broken);
	ck_assert(attls_refused(p->security[0].refused, "security", "protocols"));
	ck_assert(attls_refused(p->traffic[0].refused, "traffic", "DIRECTION"));
	ck_assert(!attls_refused(p->traffic[0].refused, "traffic", "keyring"));
	attls_policy_free(p);
	attls_errors_free(&errs);
	/* Without the flag: no policy, as ever. */
	ck_assert_ptr_null(attls_policy_load_ex(file, ATTLS_POLICY_NO_FILES, &errs));
	attls_errors_free(&errs);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, test_good_policy_and_defaults);
	tcase_add_test(tc, test_global_defaults);
	tcase_add_test(tc, test_legacy_allowed_by_name);
	tcase_add_test(tc, test_exemption_needs_no_keyring);
	tcase_add_loop_test(tc, test_bad_policy, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_loop_test(tc, test_untrusted_policy_file, 0,
			    (int)(sizeof(bad_policy_files) / sizeof(bad_policy_files[0])));
	tcase_add_test(tc, test_relative_policy_refused);
	tcase_add_test(tc, test_private_policy_pin_value);
	tcase_add_test(tc, test_no_files);
	tcase_add_test(tc, test_every_error_reported);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_no_traffic_descriptor);
	tcase_add_test(tc, test_policy_too_large);
	tcase_add_test(tc, test_policy_read_error);
	tcase_add_test(tc, test_value_parsers);
	tcase_add_test(tc, test_cipher_names);
	tcase_add_test(tc, test_large_policy);
	tcase_add_test(tc, test_text_shown);
	tcase_add_test(tc, test_refused_value_one_error);
	tcase_add_test(tc, test_keep_broken);
	suite_add_tcase(s, tc);
	return s;
}
