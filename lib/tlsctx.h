/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wolfSSL contexts built from the policy when it loads. */
#ifndef ATTLS_TLSCTX_H
#define ATTLS_TLSCTX_H

#include <stdbool.h>

#include "policy.h"

/*
 * Builds the context of each enabled descriptor, for each role it can
 * take: certificates, keys and CAs are read here, so that a bad file is
 * reported when the policy loads, with its line. Descriptors with the
 * same key ring, security level and role share one context (p->ctxs).
 * The ticket key file is read and checked, but the ratchet is not started
 * (attls_tickets_setup does that, once the policy is taken).
 * Returns 0 or -1.
 */
int attls_tlsctx_build(struct attls_policy *p, struct attls_errors *errs);
void attls_tlsctx_free(struct attls_policy *p);
/*
 * Every key ring that is not broken (policy.h) loaded and its key proven
 * on a scratch context, its CRLs read: 0, or -1 with the errors added.
 * attls_tlsctx_build does it first; attls check does it alone for a
 * policy with errors (ATTLS_POLICY_KEEP_BROKEN), so one run lists them all.
 */
int attls_tlsctx_check_keyrings(struct attls_policy *p, struct attls_errors *errs);
/*
 * Every security level's protocols and ciphers on a scratch context (all,
 * or only those no descriptor names): 0, or -1 with the errors added.
 */
int attls_tlsctx_check_levels(const struct attls_policy *p, bool unused_only,
			      struct attls_errors *errs);

/* The context for a connection that maps to t in the given role. */
void *attls_tlsctx_get(const struct attls_traffic *t, enum attls_role role);

/* The AEAD-only default cipher list. */
extern const char attls_default_ciphers[];

#endif
