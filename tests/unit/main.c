/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static char dir[64];
static char last_file[128];

const char *fixture_dir(void)
{
	static const char *const files[] = { "cert.pem", "key.pem", "ca.pem", "key644.pem" };

	if (dir[0])
		return dir;
	snprintf(dir, sizeof(dir), "/tmp/attls-unit.XXXXXX");
	if (!mkdtemp(dir)) {
		perror(dir);
		exit(2);
	}
	for (size_t i = 0; i < 4; i++) {
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = fopen(path, "w");
		if (!f) {
			perror(path);
			exit(2);
		}
		fputs("-----BEGIN PLACEHOLDER-----\n", f);
		fclose(f);
		chmod(path, i == 1 ? 0600 : 0644);
	}
	return dir;
}

const char *write_policy(const char *text)
{
	static int n;
	FILE *f;

	snprintf(last_file, sizeof(last_file), "%s/policy%d.ini", fixture_dir(), n++);
	f = fopen(last_file, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return last_file;
}

struct attls_policy *load_text(const char *text, struct attls_errors *errs)
{
	char *expanded = malloc(strlen(text) * 2 + 256), *o = expanded;

	/* @D@ stands for the fixture directory. */
	for (const char *s = text; *s; s++) {
		if (!strncmp(s, "@D@", 3)) {
			o += sprintf(o, "%s", fixture_dir());
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	struct attls_policy *p = attls_policy_load(write_policy(expanded), errs);
	free(expanded);
	return p;
}

int has_error(const struct attls_errors *errs, int line, const char *what)
{
	char prefix[192];

	snprintf(prefix, sizeof(prefix), "%s:%d: ", last_file, line);
	for (size_t i = 0; i < errs->n; i++)
		if (!strncmp(errs->msg[i], prefix, strlen(prefix)) && strstr(errs->msg[i], what))
			return 1;
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "  (had: %s)\n", errs->msg[i]);
	return 0;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	char cmd[128];
	int failed;

	fixture_dir(); /* made once, before the tests fork */

	srunner_add_suite(sr, match_suite());
	srunner_add_suite(sr, trace_suite());
	srunner_add_suite(sr, p11uri_suite());
	srunner_add_suite(sr, cryptodev_suite());
	srunner_add_suite(sr, tickets_suite());
	srunner_add_suite(sr, envtrust_suite());
	srunner_add_suite(sr, procnet_suite());
	srunner_add_suite(sr, handoff_suite());
	srunner_add_suite(sr, reload_suite());
	srunner_add_suite(sr, claim_suite());
	srunner_add_suite(sr, livetab_suite());
	srunner_add_suite(sr, allowpeer_suite());
	srunner_add_suite(sr, revoke_suite());
	srunner_add_suite(sr, shadow_suite());
	srunner_add_suite(sr, keyproof_suite());
	srunner_add_suite(sr, clientwhy_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
