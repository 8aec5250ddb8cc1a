/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session resumption. Server side: TLS session tickets sealed with
 * AES-256-GCM under a key derived from a secret and the hour, so keys
 * rotate every hour and a ticket of the hour before is still taken (and
 * replaced). The secret is random per process, or read from the policy's
 * ticket_key_file, which lets several processes or hosts resume each
 * other's sessions. Client side: each peer's latest session is kept per
 * server_name and port, in the process.
 */
#ifndef ATTLS_TICKETS_H
#define ATTLS_TICKETS_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "wolf.h"

/* At policy load: the secret (file or random). 0, or -1 with errs. */
int attls_tickets_setup(const struct attls_policy *p, struct attls_errors *errs);
void attls_tickets_apply_server(WOLFSSL_CTX *ctx);

/*
 * wolfSSL's ticket callback, at time when (seconds): enc seals data in
 * place, else opens it. WOLFSSL_TICKET_RET_OK; _CREATE for a ticket of the
 * hour before (taken, and replaced); _REJECT for an older, forged or
 * foreign one.
 */
int attls_ticket_seal(uint64_t when, unsigned char *name, unsigned char *iv, unsigned char *mac,
		      int enc, unsigned char *data, int len);

/* Client: offers the session kept for key, if any. */
void attls_tickets_offer(WOLFSSL *ssl, const char *key);
/* Client: keeps ssl's session for key (after the handshake, and at the end). */
void attls_tickets_keep(WOLFSSL *ssl, const char *key);

#endif
