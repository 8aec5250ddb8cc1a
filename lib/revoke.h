/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Revocation for a key ring's contexts: CRLs (crl, crl_expired), a client's
 * OCSP check of its server (ocsp, ocsp_url, ocsp_timeout) and a server's
 * stapled OCSP response for its own certificate (ocsp_staple).
 */
#ifndef ATTLS_REVOKE_H
#define ATTLS_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "wolf.h"

/* The ocsp_timeout when the key ring gives none. */
#define ATTLS_OCSP_TIMEOUT_DEFAULT_MS 5000u

/*
 * Sets up ctx (the CAs already loaded) for kr's revocation checks, for a
 * server context or a client one: loads the CRLs (each checked against
 * its issuer among the CAs), and OCSP. An expired CRL is no error; it is
 * noted in kr->crl_note and, when log is set, logged (ATTLS025W).
 * Returns 0, or -1 with the errors added.
 */
int attls_revoke_setup(const struct attls_policy *p, struct attls_keyring *kr,
		       WOLFSSL_CTX *ctx, bool server, bool log, struct attls_errors *errs);

/*
 * After each handshake step of ssl (made from p): under crl_expired =
 * warn, says (ATTLS025W) once per key ring and load that a CRL current
 * when the policy loaded has passed its next update since, and is used
 * on. Cheap when none has: a time comparison.
 */
void attls_revoke_step(const struct attls_policy *p, WOLFSSL *ssl);

/*
 * The reason a handshake of ssl (made from p) failed with wolfSSL error err, when it is
 * a revocation check's ("revoked: ...", "CRL expired: ...", "OCSP: ..."),
 * in buf; else NULL.
 */
const char *attls_revoke_reason(const struct attls_policy *p, WOLFSSL *ssl, int err, char *buf,
				size_t len);

/*
 * The deadline (attls_now_ms) of the handshake step this thread is about
 * to run, 0 after it: an OCSP fetch inside it waits no longer, and the
 * reason of a failed step is this step's own.
 */
void attls_revoke_deadline(uint64_t deadline);

#endif
