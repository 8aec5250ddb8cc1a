/* SPDX-License-Identifier: GPL-2.0-or-later */
/* attls check FILE: every error with its line; exit 1 on any. */
#include <stdio.h>

#include "../lib/cryptodev.h"
#include "../lib/policy.h"
#include "../lib/tlsctx.h"
#include "../lib/wolf.h"
#include "attls.h"

int cmd_check(int argc, char **argv)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p;
	char why[256], device[160];
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: attls check FILE\n");
		return 2;
	}
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		fprintf(stderr, "attls: %s\n", why);
		return 1;
	}
	p = attls_policy_load(argv[1], &errs);
	if (p) {
		attls_cryptodev_setup(p->device, p->trace, device, sizeof(device));
		attls_tlsctx_build(p, &errs);
	}
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (errs.n) {
		fprintf(stderr, "%s: %zu error%s\n", argv[1], errs.n, errs.n == 1 ? "" : "s");
		rc = 1;
	} else {
		printf("%s: ok: %zu traffic descriptors, %zu key rings, %zu security levels\n",
		       argv[1], p->n_traffic, p->n_keyrings, p->n_security);
		printf("crypto device: %s\n", device);
	}
	if (p) {
		attls_tlsctx_free(p);
		attls_policy_free(p);
	}
	attls_errors_free(&errs);
	return rc;
}
