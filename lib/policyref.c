/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A policy's lifetime. A reload puts a new policy in force for new
 * connections while the old one's sessions go on with its contexts (and
 * the ticket bindings those contexts point to): each session holds a
 * reference, the engine holds one while the policy is in force, and the
 * last one gone frees it. The count is atomic and takes no lock, so a
 * session may drop its reference under any lock of shim/locks.h:
 * freeing takes none either.
 */
#include "policy.h"
#include "tlsctx.h"

void attls_policy_hold(struct attls_policy *p)
{
	if (p)
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

void attls_policy_drop(struct attls_policy *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL))
		return;
	attls_tlsctx_free(p);
	attls_policy_free(p);
}
