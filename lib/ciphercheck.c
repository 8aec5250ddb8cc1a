/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "ciphercheck.h"
#include "wolf.h"

/*
 * The suite list of a session, read from wolfSSL's own structures: the
 * library is built with attls (wolfssl/build), so its internal header is
 * the one the archive was compiled with.
 */
#include <wolfssl/internal.h>

/* Whether the "-"-separated name has the token tok. */
static bool has_token(const char *name, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *s = name; s; s = strchr(s, '-'), s = s ? s + 1 : NULL)
		if (!strncmp(s, tok, n) && (s[n] == '-' || s[n] == '\0'))
			return true;
	return false;
}

const char *attls_cipher_weakness(const char *name)
{
	/* TLS13-SHA256-SHA256, TLS13-SHA384-SHA384 (RFC 9150): integrity only. */
	if (!strncmp(name, "TLS13-SHA", 9))
		return "no encryption";
	if (has_token(name, "NULL"))
		return "no encryption";
	if (has_token(name, "ADH") || has_token(name, "AECDH") || has_token(name, "anon"))
		return "anonymous";
	if (has_token(name, "PSK"))
		return "pre-shared key only";
	return NULL;
}

/*
 * Each name of the list, alone, must be one wolfSSL knows: given a list,
 * wolfSSL drops the names it does not know without a word, so a typo
 * would silently narrow the suites.
 */
static int check_names(const char *list, const char *file, int line, struct attls_errors *errs)
{
	WOLFSSL_CTX *scratch = wolfSSL_CTX_new(wolfSSLv23_server_method());
	char buf[1024], *save = NULL;
	int rc = 0;

	if (!scratch)
		return 0; /* the list itself is checked below */
	snprintf(buf, sizeof(buf), "%s", list);
	if (!strtok_r(buf, ":", &save)) {
		attls_errors_add(errs, file, line, "ciphers: \"%s\" names no cipher suite", list);
		rc = -1;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (strchr("!+-@", tok[0])) {
			attls_errors_add(errs, file, line, "ciphers: \"%s\": this wolfSSL takes no "
					 "operators (! + - @): list the suites to use", tok);
			rc = -1;
		} else if (!strcmp(tok, "eNULL") || !strcmp(tok, "NULL")) {
			attls_errors_add(errs, file, line, "ciphers: \"%s\" asks for suites without "
					 "encryption (no encryption): refused", tok);
			rc = -1;
		} else if (wolfSSL_CTX_set_cipher_list(scratch, tok) != WOLFSSL_SUCCESS) {
			attls_errors_add(errs, file, line, "ciphers: \"%s\" is no cipher suite "
					 "this wolfSSL knows", tok);
			rc = -1;
		}
	}
	wolfSSL_CTX_free(scratch);
	return rc;
}

/*
 * The name of a suite a context's sessions would offer, or NULL for a placeholder
 * (the renegotiation SCSV) and for a suite outside the session's protocol
 * range, as OpenSSL's SSL_get_ciphers() leaves them out.
 */
static const char *offered_suite(const WOLFSSL_CTX *ctx, byte s0, byte s1)
{
	const char *name;
	bool tls13;

	if (s0 == CIPHER_BYTE && s1 == TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
		return NULL;
	name = GetCipherNameInternal(s0, s1);
	if (!name || !strcmp(name, "None"))
		return NULL;
	tls13 = !strncmp(name, "TLS13-", 6);
	if (tls13 && (ctx->mask & WOLFSSL_OP_NO_TLSv1_3))
		return NULL;
	if (!tls13 && (ctx->minDowngrade > TLSv1_2_MINOR || (ctx->mask & WOLFSSL_OP_NO_TLSv1_2)))
		return NULL;
	return name;
}

/*
 * The suites a context's sessions offer. A list wolfSSL takes as "its
 * defaults" ("ALL", "DEFAULT", "HIGH") sets none on the context: each
 * session then makes them from its key. A client session (it needs no key)
 * of a scratch context with the same protocol bounds has them all.
 */
static const Suites *context_suites(WOLFSSL_CTX *ctx, WOLFSSL **scratch)
{
	WOLFSSL_CTX *c;

	if (ctx->suites && ctx->suites->suiteSz)
		return ctx->suites;
	c = wolfSSL_CTX_new(wolfSSLv23_client_method());
	if (!c)
		return NULL;
	c->minDowngrade = ctx->minDowngrade;
	c->mask = ctx->mask;
	*scratch = wolfSSL_new(c);
	wolfSSL_CTX_free(c); /* the session holds its own reference */
	if (!*scratch)
		return NULL;
	if ((*scratch)->suites && !(*scratch)->suites->suiteSz &&
	    InitSSL_Suites(*scratch) != WOLFSSL_SUCCESS)
		return NULL;
	return (*scratch)->suites;
}

int attls_ciphers_check(void *ctx, const char *list, unsigned protocols, const char *file,
			int line, struct attls_errors *errs)
{
	const Suites *suites;
	WOLFSSL *scratch = NULL;
	char refused[400];
	size_t off = 0;
	int bad = 0, n13 = 0, n12 = 0;
	bool full = false, reported = false;
	char prefix[300];

	suites = context_suites(ctx, &scratch);
	if (!suites || !suites->suiteSz) {
		attls_errors_add(errs, file, line, "ciphers: \"%s\" leaves no suite wolfSSL can "
				 "use with the protocols of this security level", list);
		if (scratch)
			wolfSSL_free(scratch);
		return -1;
	}
	refused[0] = '\0';
	for (int i = 0; i + 1 < suites->suiteSz; i += 2) {
		const char *name = offered_suite(ctx, suites->suites[i], suites->suites[i + 1]);
		const char *why = name ? attls_cipher_weakness(name) : NULL;
		int w;

		if (!name)
			continue;
		if (!strncmp(name, "TLS13-", 6))
			n13++;
		else
			n12++;

		if (!why)
			continue;
		bad++;
		if (full)
			continue;
		w = snprintf(refused + off, sizeof(refused) - off, "%s%s (%s)", off ? ", " : "",
			     name, why);
		if (w < 0 || (size_t)w >= sizeof(refused) - off) {
			refused[off] = '\0'; /* the names that fit, then "..." */
			full = true;
			continue;
		}
		off += (size_t)w;
	}
	/* One error per line of the file, however many descriptors use it. */
	snprintf(prefix, sizeof(prefix), "%s:%d: ciphers:", file, line);
	for (size_t i = 0; bad && i < errs->n; i++)
		if (!strncmp(errs->msg[i], prefix, strlen(prefix)))
			reported = true;
	if (scratch)
		wolfSSL_free(scratch);
	if (bad && !reported)
		attls_errors_add(errs, file, line, "ciphers: %d suite%s refused, without "
				 "encryption or without authentication: %s%s", bad,
				 bad == 1 ? "" : "s", refused, full ? ", ..." : "");
	if (bad)
		return -1;
	if (check_names(list, file, line, errs) < 0)
		return -1;
	/* A level whose protocols have no suite in the list can never connect. */
	if (!((protocols & ATTLS_PROTO_TLS13) && n13) &&
	    !((protocols & (ATTLS_PROTO_TLS10 | ATTLS_PROTO_TLS11 | ATTLS_PROTO_TLS12)) && n12)) {
		attls_errors_add(errs, file, line, "ciphers: \"%s\" leaves no suite for the "
				 "protocols of this security level (%d for TLS 1.3, %d for TLS 1.2 "
				 "and older)", list, n13, n12);
		return -1;
	}
	return 0;
}
