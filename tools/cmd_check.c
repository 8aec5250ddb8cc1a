/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls check [--no-keys] [--strict] [--user USER] [--preloaded] FILE: every error with
 * its line, then every warning (checkwarn.h); exit 1 on any error, or with
 * --strict on any warning.
 * Plain check builds every context, as a program under attls would: it
 * reads the keys and loads the PKCS#11 modules the policy names, so it is
 * for policies one trusts. --no-keys checks the policy alone (syntax,
 * values, references, path forms, protocols and cipher lists of every
 * security level, and the trust of the policy file) and opens no file it names: no key, certificate, CA or PIN is read, and no
 * module is loaded.
 * --user (root only) checks as the service's user would load it: the
 * process becomes that user first (tools/asuser.c). And when LD_PRELOAD
 * names attls's library, as a unit's Environment= does for its
 * ExecStartPre=, the library must be loaded here, or the service would run
 * without it (tools/preloadcheck.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/checkwarn.h"
#include "../lib/cryptodev.h"
#include "../lib/filetrust.h"
#include "../lib/policy.h"
#include "../lib/tlsctx.h"
#include "../lib/wolf.h"
#include "attls.h"
#include "procscan.h"

/* The warnings, after the errors, and what was not looked at. */
static void print_warnings(const char *file, const struct attls_errors *warns)
{
	for (size_t i = 0; i < warns->n; i++)
		fprintf(stderr, "%s\n", warns->msg[i]);
	if (warns->n)
		fprintf(stderr, "%s: %zu warning%s\n", file, warns->n, warns->n == 1 ? "" : "s");
}

int cmd_check(int argc, char **argv)
{
	struct attls_errors errs = { 0 }, warns = { 0 };
	struct attls_policy *p;
	char why[256], device[256], msg[4608];
	bool no_keys = false, strict = false, preloaded = false;
	const char *file = argv[argc - 1], *user = NULL;
	char abs[4352];
	int rc = 0, i;

	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--no-keys") && !no_keys)
			no_keys = true;
		else if (!strcmp(argv[i], "--strict") && !strict)
			strict = true;
		else if (!strcmp(argv[i], "--preloaded") && !preloaded)
			preloaded = true;
		else if (!strcmp(argv[i], "--user") && !user && i + 1 < argc - 1)
			user = argv[++i];
		else
			break;
	}
	if (argc < 2 || i != argc - 1 || file[0] == '-') {
		fprintf(stderr, "usage: attls check [--no-keys] [--strict] [--user USER] [--preloaded] FILE\n");
		return 2;
	}
	file = attls_abs_path(file, abs, sizeof(abs));
	/* This process's own mappings, before anything else is loaded or changed. */
	if (attls_preload_check(msg, sizeof(msg)) < 0) {
		fprintf(stderr, "attls check: %s\n", msg);
		rc = 1;
	} else if (preloaded && attls_proc_has_attls(getpid()) != 1) {
		/*
		 * --preloaded (a unit's ExecStartPre=): the library must be in
		 * this process, as ld.so will put it into the program, whatever
		 * went wrong: a misspelt file name or variable, a removed package.
		 */
		const char *pre = getenv("LD_PRELOAD");

		fprintf(stderr, "attls check: --preloaded: attls's library is not loaded into this "
			"process (LD_PRELOAD=%s%s%s): a program started with this environment runs "
			"without attls\n", pre ? "\"" : "", pre ? pre : "unset", pre ? "\"" : "");
		rc = 1;
	}
	if (user) {
		int r = attls_become_user(user, msg, sizeof(msg));

		if (r) {
			fprintf(stderr, "attls check: %s\n", msg);
			if (r == 2)
				fprintf(stderr, "usage: attls check [--no-keys] [--strict] "
					"[--user USER] [--preloaded] FILE\n");
			return r;
		}
	} else if (geteuid() == 0) {
		attls_trust_explain_owner(true);
	}
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		fprintf(stderr, "attls: %s\n", why);
		return 1;
	}
	p = attls_policy_load_ex(file, (no_keys ? ATTLS_POLICY_NO_FILES : 0) |
				 ATTLS_POLICY_KEEP_BROKEN, &errs);
	/*
	 * A policy with errors: the key rings and security levels whose own
	 * lines passed are checked all the same, so one run lists every error.
	 */
	if (p && errs.n) {
		if (!no_keys)
			attls_tlsctx_check_keyrings(p, &errs);
		attls_tlsctx_check_levels(p, false, &errs);
		attls_policy_free(p);
		p = NULL;
	}
	if (p && !no_keys) {
		attls_cryptodev_setup(p->device, p->trace, device, sizeof(device));
		attls_tlsctx_build(p, &errs);
	}
	/* Levels no context was built for: all of them with --no-keys. */
	if (p)
		attls_tlsctx_check_levels(p, !no_keys, &errs);
	if (p) {
		attls_warn_policy(p, &warns);
		/* A file the loader could not read is already an error. */
		if (!no_keys && !errs.n)
			attls_warn_certs(p, &warns);
		/* An expired CRL loads (the policy is in force) but refuses what it covers. */
		for (size_t k = 0; !no_keys && k < p->n_keyrings; k++)
			if (p->keyrings[k].crl_note &&
			    p->keyrings[k].crl_expired == ATTLS_CRL_EXPIRED_WARN)
				attls_errors_add(&warns, p->file, p->keyrings[k].crl_line,
						 "warning: [keyring %s] crl: CRL expired: %s: used "
						 "anyway (crl_expired = warn): certificates it lists "
						 "are refused, the others accepted",
						 p->keyrings[k].name, p->keyrings[k].crl_note);
			else if (p->keyrings[k].crl_note)
				attls_errors_add(&warns, p->file, p->keyrings[k].crl_line,
						 "warning: [keyring %s] crl: CRL expired: %s: the "
						 "certificates it covers are refused",
						 p->keyrings[k].name, p->keyrings[k].crl_note);
	}
	for (size_t j = 0; j < errs.n; j++)
		fprintf(stderr, "%s\n", errs.msg[j]);
	if (errs.n) {
		fprintf(stderr, "%s: %zu error%s\n", file, errs.n, errs.n == 1 ? "" : "s");
		rc = 1;
	}
	print_warnings(file, &warns);
	if (strict && warns.n) {
		fprintf(stderr, "%s: warnings are errors (--strict)\n", file);
		rc = 1;
	}
	if (!rc) {
		printf("%s: ok: %zu traffic descriptors, %zu key rings, %zu security levels",
		       file, p->n_traffic, p->n_keyrings, p->n_security);
		if (!no_keys)
			printf(", %zu TLS contexts", p->n_ctxs);
		printf("\n");
		if (no_keys)
		{
			printf("keys not checked (--no-keys): no key, certificate, CA or PIN file "
			       "was read and no PKCS#11 module loaded\n");
			printf("warnings not looked for (--no-keys): certificate dates, RSA key "
			       "sizes, SHA-1 signatures, server certificate names\n");
		}
		else
			printf("crypto device: %s\n", device);
	}
	if (p) {
		if (!no_keys)
			attls_tlsctx_free(p);
		attls_policy_free(p);
	}
	attls_errors_free(&errs);
	attls_errors_free(&warns);
	return rc;
}
