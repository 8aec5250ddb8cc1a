/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session resumption. Server side: TLS session tickets sealed with
 * AES-256-GCM under an hourly key. The hourly keys come from a hash
 * ratchet, C(h+1) = HMAC-SHA256(C(h), "attls ratchet"), the key of hour h
 * being HMAC-SHA256(C(h), "attls ticket key" || h): a process holds only
 * C(now) and the keys of now and the hour before, so a key older than two
 * hours cannot be derived from what it holds. The first C is random per
 * process, or read from the policy's ticket_key_file (written and rotated
 * by "attls ticket-key"), which lets several processes or hosts resume
 * each other's sessions.
 *
 * Each ticket is bound to what its handshake proved: the server context's
 * binding (a SHA-256 of the security level's protocols, ciphers and
 * client_auth and of the CA content it trusts) is GCM AAD, so a ticket
 * opens only where the binding is the same. TLS 1.3 resumption is taken
 * only with a fresh (EC)DHE exchange (psk_dhe_ke): the ClientHello is
 * looked at (attls_hello_feed) and a psk_ke-only offer gets a full
 * handshake.
 *
 * The client side is resume_client.c.
 */
#ifndef ATTLS_TICKETS_H
#define ATTLS_TICKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "wolf.h"

#define ATTLS_BINDING_SZ 32
#define ATTLS_CHAIN_SZ 32

/* At policy load: the ratchet's start (file or random). 0, or -1 with errs. */
int attls_tickets_setup(const struct attls_policy *p, struct attls_errors *errs);
/*
 * The same reading and checks, the ratchet left as it is: a policy being
 * reloaded changes the keys only once it is taken.
 */
int attls_tickets_check(const struct attls_policy *p, struct attls_errors *errs);

/*
 * A server context's binding: SHA-256 over the effective protocols (enum
 * attls_proto bits), cipher list and client_auth, and the CA content (the
 * file's bytes; a directory's regular files, names and bytes, in byte
 * order of their names; nothing when ca is NULL). 0, or -1 with why.
 */
int attls_tickets_binding(unsigned protocols, const char *ciphers, int client_auth,
			  const char *ca, unsigned char out[ATTLS_BINDING_SZ], char *why,
			  size_t whylen);

/*
 * Tickets for ctx, bound to binding (which must live as long as ctx); a
 * session-id context from the binding; no server-side session cache, so
 * TLS 1.2 resumes by bound tickets only.
 */
void attls_tickets_apply_server(WOLFSSL_CTX *ctx, const unsigned char *binding);

/*
 * wolfSSL's ticket callback, at time when (seconds), for a context of the
 * given binding: enc seals data in place, else opens it.
 * WOLFSSL_TICKET_RET_OK; _CREATE for a ticket of the hour before (taken,
 * and replaced); _REJECT for an older, forged or foreign one, or one of
 * another binding.
 */
int attls_ticket_seal(uint64_t when, const unsigned char binding[ATTLS_BINDING_SZ],
		      unsigned char *name, unsigned char *iv, unsigned char *mac, int enc,
		      unsigned char *data, int len);

/*
 * The ratchet. attls_tickets_start sets C for hour (0: the hour of first
 * use, as for a random start) and forgets what was held before.
 */
void attls_tickets_start(uint64_t hour, const unsigned char chain[ATTLS_CHAIN_SZ]);
/* c = C(h+1) from c = C(h). 0 or -1. */
int attls_ratchet_step(unsigned char c[ATTLS_CHAIN_SZ]);

/*
 * The ticket key file: one line "attls-ticket-key 1 HOUR HEX64\n", HOUR
 * being hours since the epoch and HEX64 the ratchet's C(HOUR). Parse
 * returns 0, or -1 with why.
 */
int attls_ticketkey_parse(const char *text, size_t len, uint64_t *hour,
			  unsigned char chain[ATTLS_CHAIN_SZ], char *why, size_t whylen);
/* The line for hour and chain into buf (at least 100 bytes); its length. */
size_t attls_ticketkey_format(char *buf, size_t len, uint64_t hour,
			      const unsigned char chain[ATTLS_CHAIN_SZ]);

/*
 * The first handshake message of the peer, learnt from the bytes read
 * before wolfSSL does (fed from the session's receive callback): for a
 * server, what the ClientHello offers; for a client, the version the
 * ServerHello chose.
 */
struct attls_hello {
	unsigned char rec[5];   /* the current record's header */
	unsigned rec_have;      /* bytes of it seen */
	unsigned rec_left;      /* payload bytes still to come */
	unsigned char *msg;     /* handshake bytes gathered */
	size_t msg_len;
	bool done;              /* the first message was seen (or cannot be) */
	bool psk_without_dhe;   /* it offers a TLS 1.3 PSK without psk_dhe_ke */
	unsigned offered;       /* the versions it offers (enum attls_proto bits); 0: unknown */
	unsigned chosen;        /* client: the wire version a ServerHello chose; 0: none read */
};

void attls_hello_feed(struct attls_hello *h, const unsigned char *buf, size_t n);
void attls_hello_free(struct attls_hello *h);
/* Whether a ClientHello message (type 1, with its 4-byte header) offers a
 * TLS 1.3 PSK that could be taken without a fresh key exchange. */
bool attls_hello_psk_without_dhe(const unsigned char *msg, size_t len);
/*
 * The versions a ClientHello message offers (enum attls_proto bits; 0:
 * unreadable); with ATTLS_HELLO_AT_MOST, the one bit is the highest of a
 * client that sent no supported_versions (it may speak older ones).
 */
#define ATTLS_HELLO_AT_MOST 0x100u
unsigned attls_hello_versions(const unsigned char *msg, size_t len);
/*
 * The wire version (0x0303: TLSv1.2) a ServerHello message (type 2, with
 * its 4-byte header) chose; 0: not one, or unreadable.
 */
unsigned attls_server_hello_version(const unsigned char *msg, size_t len);

/* fork: prepare takes the ratchet's lock (shim/locks.h), both processes let go. */
void attls_tickets_atfork_prepare(void);
void attls_tickets_atfork_release(void);

#endif
