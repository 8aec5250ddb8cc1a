/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls check [--no-keys] FILE: every error with its line; exit 1 on any.
 * Plain check builds every context, as a program under attls would: it
 * reads the keys and loads the PKCS#11 modules the policy names, so it is
 * for policies one trusts. --no-keys checks the policy alone (syntax,
 * values, references, path forms, protocols and cipher lists of every
 * security level, and the trust of the policy file) and opens no file it names: no key, certificate, CA or PIN is read, and no
 * module is loaded.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../lib/cryptodev.h"
#include "../lib/policy.h"
#include "../lib/tlsctx.h"
#include "../lib/wolf.h"
#include "attls.h"

int cmd_check(int argc, char **argv)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p;
	char why[256], device[256];
	bool no_keys = argc == 3 && !strcmp(argv[1], "--no-keys");
	const char *file = argv[argc - 1];
	char abs[4352];
	int rc = 0;

	if (argc != 2 + no_keys || file[0] == '-') {
		fprintf(stderr, "usage: attls check [--no-keys] FILE\n");
		return 2;
	}
	file = attls_abs_path(file, abs, sizeof(abs));
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		fprintf(stderr, "attls: %s\n", why);
		return 1;
	}
	p = attls_policy_load_ex(file, no_keys ? ATTLS_POLICY_NO_FILES : 0, &errs);
	if (p && !no_keys) {
		attls_cryptodev_setup(p->device, p->trace, device, sizeof(device));
		attls_tlsctx_build(p, &errs);
	}
	/* Levels no context was built for: all of them with --no-keys. */
	if (p)
		attls_tlsctx_check_levels(p, !no_keys, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (errs.n) {
		fprintf(stderr, "%s: %zu error%s\n", file, errs.n, errs.n == 1 ? "" : "s");
		rc = 1;
	} else {
		printf("%s: ok: %zu traffic descriptors, %zu key rings, %zu security levels",
		       file, p->n_traffic, p->n_keyrings, p->n_security);
		if (!no_keys)
			printf(", %zu TLS contexts", p->n_ctxs);
		printf("\n");
		if (no_keys)
			printf("keys not checked (--no-keys): no key, certificate, CA or PIN file "
			       "was read and no PKCS#11 module loaded\n");
		else
			printf("crypto device: %s\n", device);
		for (size_t i = 0; !no_keys && i < p->n_keyrings; i++)
			if (p->keyrings[i].crl_note)
				printf("[keyring %s] crl: CRL expired: %s: certificates it covers "
				       "are refused\n", p->keyrings[i].name, p->keyrings[i].crl_note);
	}
	if (p) {
		if (!no_keys)
			attls_tlsctx_free(p);
		attls_policy_free(p);
	}
	attls_errors_free(&errs);
	return rc;
}
