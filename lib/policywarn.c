/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "checkwarn.h"
#include "revoke.h"
#include "shadow.h"

static void warn_shadowed(const struct attls_policy *p, struct attls_errors *w)
{
	if (p->n_traffic > ATTLS_WARN_SHADOW_MAX) {
		attls_errors_add(w, p->file, 0,
				 "warning: shadowed descriptors not looked for: %zu descriptors, "
				 "more than %d", p->n_traffic, ATTLS_WARN_SHADOW_MAX);
		return;
	}
	for (size_t i = 0; i < p->n_traffic; i++) {
		const struct attls_traffic *b = &p->traffic[i];
		const struct attls_traffic *a = attls_traffic_shadow(p, b);

		if (!a)
			continue;
		attls_errors_add(w, p->file, b->line,
				 "warning: [traffic %s] can never be chosen: [traffic %s] (line %d) "
				 "matches every connection it would and wins (%s)", b->name, a->name,
				 a->line,
				 a->enabled != b->enabled ? "enabled = no outranks every match" :
				 a->priority != b->priority ? "higher priority" :
				 "same priority, earlier in the file");
	}
}

/* Marked in one pass over the descriptors: large policies stay linear. */
static void warn_unused(const struct attls_policy *p, struct attls_errors *w)
{
	bool *kr_used = calloc(p->n_keyrings + 1, sizeof(bool));
	bool *sec_used = calloc(p->n_security + 1, sizeof(bool));

	if (!kr_used || !sec_used) {
		attls_errors_add(w, p->file, 0, "warning: unused sections not looked for: "
				 "out of memory");
		goto out;
	}
	for (size_t j = 0; j < p->n_traffic; j++) {
		const struct attls_traffic *t = &p->traffic[j];

		if (!t->enabled)
			continue;
		if (t->keyring)
			kr_used[t->keyring - p->keyrings] = true;
		if (t->security)
			sec_used[t->security - p->security] = true;
	}
	for (size_t i = 0; i < p->n_keyrings; i++)
		if (!kr_used[i])
			attls_errors_add(w, p->file, p->keyrings[i].line,
					 "warning: [keyring %s] is not used: no enabled descriptor "
					 "names it", p->keyrings[i].name);
	for (size_t i = 0; i < p->n_security; i++)
		if (!sec_used[i])
			attls_errors_add(w, p->file, p->security[i].line,
					 "warning: [security %s] is not used: no enabled descriptor "
					 "names it", p->security[i].name);
out:
	free(kr_used);
	free(sec_used);
}

/* A client's OCSP request runs inside its handshake: handshake_timeout cuts it short. */
static void warn_ocsp_timeout(const struct attls_policy *p, struct attls_errors *w)
{
	for (size_t i = 0; i < p->n_keyrings; i++) {
		const struct attls_keyring *kr = &p->keyrings[i];
		unsigned ms = kr->ocsp_timeout_ms ? kr->ocsp_timeout_ms :
			      ATTLS_OCSP_TIMEOUT_DEFAULT_MS;

		if (kr->ocsp == ATTLS_OCSP_RESPONDER && ms > p->handshake_timeout_ms)
			attls_errors_add(w, p->file, kr->ocsp_timeout_line ? kr->ocsp_timeout_line :
					 kr->line,
					 "warning: [keyring %s] ocsp_timeout (%u ms) is longer than "
					 "handshake_timeout (%u ms): an OCSP fetch waits no longer "
					 "than what is left of the handshake's time", kr->name, ms,
					 p->handshake_timeout_ms);
	}
}

void attls_warn_policy(const struct attls_policy *p, struct attls_errors *warns)
{
	warn_shadowed(p, warns);
	warn_unused(p, warns);
	warn_ocsp_timeout(p, warns);
}
