/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowcheck.h"
#include "ciphercheck.h"
#include "cryptodev.h"
#include "keyring.h"
#include "namemap.h"
#include "revoke.h"
#include "tickets.h"
#include "handoff.h"
#include "tlsctx.h"
#include "wolf.h"

/* AEAD only; AES-GCM first because it can be offloaded (cryptodev.c). */
const char attls_default_ciphers[] =
	"TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:"
	"TLS13-CHACHA20-POLY1305-SHA256:"
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/*
 * X25519 first: wolfSSL's P-256 is the slower of the two here. P-521 too,
 * because TLS 1.2's ECDHE takes every curve wolfSSL has: both versions
 * offer the same groups.
 */
static int default_groups[] = { WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1,
				WOLFSSL_ECC_SECP384R1, WOLFSSL_ECC_SECP521R1 };

static const struct attls_security default_security = {
	.name = "(default)",
	.protocols = ATTLS_PROTO_TLS12 | ATTLS_PROTO_TLS13,
	.client_auth = ATTLS_CLIENT_AUTH_NONE,
};

static int proto_version(unsigned bit)
{
	switch (bit) {
	case ATTLS_PROTO_TLS10: return TLS1_VERSION;
	case ATTLS_PROTO_TLS11: return TLS1_1_VERSION;
	case ATTLS_PROTO_TLS12: return TLS1_2_VERSION;
	default: return TLS1_3_VERSION;
	}
}

/* A level's protocols and cipher suites on ctx: 0, or -1 with the errors added. */
static int set_level(WOLFSSL_CTX *ctx, const struct attls_policy *p,
		     const struct attls_security *sec, struct attls_errors *errs)
{
	unsigned lo = 0, hi = 0;

#ifdef NO_OLD_TLS
	/*
	 * This wolfSSL has no TLS before 1.2: a range from TLSv1.0 to TLSv1.2
	 * would otherwise be clipped without a word, and its old clients
	 * refused with a vague reason.
	 */
	if (sec->protocols & (ATTLS_PROTO_TLS10 | ATTLS_PROTO_TLS11)) {
		attls_errors_add(errs, p->file, sec->protocols_line,
				 "protocols: TLSv1.0 and TLSv1.1 are not in this build (its "
				 "wolfSSL has no TLS before 1.2): name TLSv1.2 and TLSv1.3 only");
		return -1;
	}
#endif
	for (unsigned b = ATTLS_PROTO_TLS10; b <= ATTLS_PROTO_TLS13; b <<= 1)
		if (sec->protocols & b) {
			lo = lo ? lo : b;
			hi = b;
		}
	if (wolfSSL_CTX_set_min_proto_version(ctx, proto_version(lo)) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_max_proto_version(ctx, proto_version(hi)) != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, sec->protocols_line,
				 "protocols: not supported by this wolfSSL");
		return -1;
	}
	if (wolfSSL_CTX_set_cipher_list(ctx, sec->ciphers ? sec->ciphers :
						   attls_default_ciphers) != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, sec->ciphers_line,
				 "ciphers: \"%s\" names no cipher suite this wolfSSL knows",
				 sec->ciphers ? sec->ciphers : attls_default_ciphers);
		return -1;
	}
	if (attls_ciphers_check(ctx, sec->ciphers ? sec->ciphers : attls_default_ciphers,
				sec->protocols, p->file, sec->ciphers_line, errs) < 0)
		return -1;
	return 0;
}

/*
 * The protocols and cipher lists of every security level, used or not, on
 * a scratch context: `attls check --no-keys` (which builds no context) and
 * the levels no enabled descriptor names (no context is built for them) would
 * otherwise let a list that refuses every connection pass.
 */
int attls_tlsctx_check_levels(const struct attls_policy *p, bool unused_only,
			      struct attls_errors *errs)
{
	int rc = 0;

	for (size_t i = 0; i < p->n_security; i++) {
		const struct attls_security *sec = &p->security[i];
		bool used = false;
		WOLFSSL_CTX *ctx;

		for (size_t j = 0; j < p->n_traffic && !used; j++)
			used = p->traffic[j].security == sec && p->traffic[j].enabled;
		/* Its own lines were errors (a policy attls check goes on with). */
		if ((unused_only && used) || sec->broken)
			continue;
		if (!(ctx = wolfSSL_CTX_new(wolfSSLv23_client_method()))) {
			attls_errors_add(errs, p->file, sec->line,
					 "[security %s]: cannot create a TLS context", sec->name);
			return -1;
		}
		if (set_level(ctx, p, sec, errs) < 0)
			rc = -1;
		wolfSSL_CTX_free(ctx);
	}
	return rc;
}

/* binding = SHA-256(binding || the CRLs' contents, hashed as a CA's are). */
static int crl_binding(const char *crl, unsigned char *binding, char *why, size_t whylen)
{
	unsigned char both[2 * ATTLS_BINDING_SZ];

	memcpy(both, binding, ATTLS_BINDING_SZ);
	if (attls_tickets_binding(0, "crl", 0, crl, both + ATTLS_BINDING_SZ, why, whylen) < 0)
		return -1;
	if (wc_Sha256Hash(both, sizeof(both), binding) != 0) {
		snprintf(why, whylen, "cannot compute the session binding");
		return -1;
	}
	return 0;
}

static WOLFSSL_CTX *build_one(const struct attls_policy *p, const struct attls_traffic *t,
			      bool server, unsigned char *binding, struct attls_errors *errs)
{
	const struct attls_keyring *kr = t->keyring;
	const struct attls_security *sec = t->security ? t->security : &default_security;
	const struct attls_allow *allow = attls_traffic_allow(t);
	WOLFSSL_CTX *ctx;
	int mode;

	ctx = wolfSSL_CTX_new(server ? wolfSSLv23_server_method() :
						  wolfSSLv23_client_method());
	if (!ctx) {
		attls_errors_add(errs, p->file, t->line, "[traffic %s]: cannot create a TLS context",
				 t->name);
		return NULL;
	}
	attls_handoff_ctx(ctx);
	/*
	 * Debian's wolfSSL retries a read that would block up to ten times
	 * during the handshake, before the flight it answers is even sent: a
	 * busy loop. The session waits for input itself.
	 */
	wolfSSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
	if (set_level(ctx, p, sec, errs) < 0)
		goto fail;
	wolfSSL_CTX_set_groups(ctx, default_groups,
					  (int)(sizeof(default_groups) / sizeof(default_groups[0])));
	if (attls_keyring_load(p, kr, ctx, errs) < 0 || (server && !kr->cert) ||
	    attls_revoke_setup(p, t->keyring, ctx, server, false, errs) < 0)
		goto fail;
	if (!server)
		mode = WOLFSSL_VERIFY_PEER;
	else if (sec->client_auth == ATTLS_CLIENT_AUTH_REQUIRED)
		mode = WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	else if (sec->client_auth == ATTLS_CLIENT_AUTH_OPTIONAL)
		mode = WOLFSSL_VERIFY_PEER;
	else
		mode = WOLFSSL_VERIFY_NONE;
	/*
	 * allow_peer: only a certificate can match, so a server asks for one
	 * and refuses a client without (optional acts as required), before
	 * any ticket is sent; the callback judges the verified leaf.
	 */
	if (allow && server)
		mode = WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	wolfSSL_CTX_set_verify(ctx, mode, allow ? attls_allow_verify_cb : NULL);
	if (server) {
		char why[320];

		/* Contents, not paths: hosts sharing a ticket_key_file agree when
		 * their descriptors mean the same. */
		if (attls_tickets_binding(sec->protocols, sec->ciphers ? sec->ciphers :
					  attls_default_ciphers, (int)sec->client_auth,
					  kr->ca, binding, why, sizeof(why)) < 0) {
			attls_errors_add(errs, p->file, kr->ca_line ? kr->ca_line : t->line,
					 "[traffic %s]: %s", t->name, why);
			goto fail;
		}
		/* A session resumes only under the allow-list it was checked by. */
		if (attls_allow_bind(binding, allow) < 0) {
			attls_errors_add(errs, p->file, t->line,
					 "[traffic %s]: cannot compute the session binding", t->name);
			goto fail;
		}
		/*
		 * A ticket skips the certificate check, and so the CRL: it
		 * opens only under the very CRLs it was issued under, and a
		 * new CRL sends every client through a full handshake.
		 */
		if (kr->crl && crl_binding(kr->crl, binding, why, sizeof(why)) < 0) {
			attls_errors_add(errs, p->file, kr->crl_line, "[traffic %s]: %s", t->name,
					 why);
			goto fail;
		}
		attls_tickets_apply_server(ctx, binding);
	} else
		wolfSSL_CTX_UseSessionTicket(ctx);
	attls_cryptodev_apply(ctx);
	return ctx;
fail:
	wolfSSL_CTX_free(ctx);
	return NULL;
}

/*
 * The context of t in one role. What goes into a context is the key ring,
 * the security level, the role and the allow-list in force (by its
 * contents), nothing else of the descriptor's own: so descriptors that
 * share them share one context (ctxs maps the four to it, or to NULL when
 * it could not be built, which is reported once).
 * Many descriptors over a few key rings and levels cost a few contexts,
 * and each key ring is read a few times, not once per descriptor.
 */
static void *shared_ctx(struct attls_policy *p, struct attls_namemap *ctxs,
			const struct attls_traffic *t, bool server, struct attls_errors *errs)
{
	/* The key ring's and level's indexes, the role, the allow-list's digest. */
	size_t key[3 + 32 / sizeof(size_t)] = { (size_t)(t->keyring - p->keyrings),
		  t->security ? (size_t)(t->security - p->security) + 1 : 0, server };
	struct attls_tlsctx *c, **a;
	size_t i;
	int put;

	if (attls_traffic_allow(t) &&
	    attls_allow_bind((unsigned char *)&key[3], attls_traffic_allow(t)) < 0)
		goto oom;
	if (attls_namemap_get(ctxs, key, sizeof(key), &i))
		return i == SIZE_MAX ? NULL : p->ctxs[i]->ctx;
	/* The array doubles when full: n_ctxs zero or a power of two. */
	if (!(p->n_ctxs & (p->n_ctxs - 1))) {
		a = realloc(p->ctxs, (p->n_ctxs ? 2 * p->n_ctxs : 1) * sizeof(*a));
		if (!a)
			goto oom;
		p->ctxs = a;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto oom;
	c->ctx = build_one(p, t, server, c->binding, errs);
	if (!c->ctx) {
		free(c);
		(void)attls_namemap_put(ctxs, key, sizeof(key), SIZE_MAX, NULL);
		return NULL;
	}
	put = attls_namemap_put(ctxs, key, sizeof(key), p->n_ctxs, NULL);
	p->ctxs[p->n_ctxs++] = c;
	if (put < 0)
		goto oom;
	return c->ctx;
oom:
	attls_errors_add(errs, p->file, t->line, "[traffic %s]: out of memory", t->name);
	return NULL;
}

int attls_tlsctx_check_keyrings(struct attls_policy *p, struct attls_errors *errs)
{
	size_t before = errs->n;

	/* Every key ring is read, used or not: a bad file is reported now. */
	for (size_t i = 0; i < p->n_keyrings; i++) {
		WOLFSSL_CTX *ctx;

		/* Its own lines were errors: said once, there. */
		if (p->keyrings[i].broken)
			continue;
		ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
		if (ctx) {
			/* Its CRLs too, and an expired one is logged once, here. */
			if (attls_keyring_check(p, &p->keyrings[i], ctx, errs) == 0)
				attls_revoke_setup(p, &p->keyrings[i], ctx, true, true, errs);
			wolfSSL_CTX_free(ctx);
		}
	}
	return errs->n == before ? 0 : -1;
}

int attls_tlsctx_build(struct attls_policy *p, struct attls_errors *errs)
{
	struct attls_namemap ctxs = { 0 };
	size_t before = errs->n;

	/* The ticket key file and every key ring: all their errors at once. */
	attls_tickets_check(p, errs);
	attls_tlsctx_check_keyrings(p, errs);
	if (errs->n != before)
		return -1;

	for (size_t i = 0; i < p->n_traffic; i++) {
		struct attls_traffic *t = &p->traffic[i];
		bool server, client;

		if (!t->enabled || !t->keyring)
			continue;
		server = t->role == ATTLS_ROLE_SERVER ||
			 (t->role == ATTLS_ROLE_DEFAULT && (t->direction & ATTLS_DIR_INBOUND));
		client = t->role == ATTLS_ROLE_CLIENT ||
			 (t->role == ATTLS_ROLE_DEFAULT && (t->direction & ATTLS_DIR_OUTBOUND));
		if (server)
			t->ctx_server = shared_ctx(p, &ctxs, t, true, errs);
		if (client && (!server || t->ctx_server))
			t->ctx_client = shared_ctx(p, &ctxs, t, false, errs);
	}
	attls_namemap_free(&ctxs);
	if (errs->n != before) {
		attls_tlsctx_free(p);
		return -1;
	}
	/* The handshakes' cheap test for a CRL expired since (revoke.h). */
	for (size_t i = 0; i < p->n_keyrings; i++) {
		time_t t = p->keyrings[i].crl_warn_next;

		if (t && (!p->crl_warn_next || t < p->crl_warn_next))
			p->crl_warn_next = t;
	}
	return 0;
}

void attls_tlsctx_free(struct attls_policy *p)
{
	for (size_t i = 0; i < p->n_traffic; i++)
		p->traffic[i].ctx_server = p->traffic[i].ctx_client = NULL;
	for (size_t i = 0; i < p->n_ctxs; i++) {
		wolfSSL_CTX_free(p->ctxs[i]->ctx);
		free(p->ctxs[i]);
	}
	free(p->ctxs);
	p->ctxs = NULL;
	p->n_ctxs = 0;
}

void *attls_tlsctx_get(const struct attls_traffic *t, enum attls_role role)
{
	return role == ATTLS_ROLE_CLIENT ? t->ctx_client : t->ctx_server;
}
