/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ATTLS_TEST_HELPERS_H
#define ATTLS_TEST_HELPERS_H

#include <check.h>

#include "../../lib/policy.h"

/* Writes text to a fresh policy file; returns its path (static buffer). */
const char *write_policy(const char *text);
/* Loads text as a policy; errs gets the errors. */
struct attls_policy *load_text(const char *text, struct attls_errors *errs);
/* Whether some error is at "FILE:LINE:" and contains what. */
int has_error(const struct attls_errors *errs, int line, const char *what);
/* A directory with cert.pem, key.pem (0600), ca.pem and key644.pem (0644). */
const char *fixture_dir(void);

Suite *policy_suite(void);
Suite *match_suite(void);
Suite *trace_suite(void);
Suite *p11uri_suite(void);
Suite *cryptodev_suite(void);
Suite *tickets_suite(void);
Suite *envtrust_suite(void);
Suite *procnet_suite(void);
Suite *handoff_suite(void);
Suite *reload_suite(void);
Suite *claim_suite(void);
Suite *livetab_suite(void);
Suite *allowpeer_suite(void);
Suite *revoke_suite(void);
Suite *shadow_suite(void);
Suite *keyproof_suite(void);
Suite *clientwhy_suite(void);

#endif
