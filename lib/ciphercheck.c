/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "ciphercheck.h"
#include "wolf.h"

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

int attls_ciphers_check(void *ctx, const char *file, int line,
			struct attls_errors *errs)
{
	WOLF_STACK_OF(WOLFSSL_CIPHER) *sk;
	char list[400];
	size_t off = 0;
	int n, bad = 0;
	bool full = false, reported = false;
	char prefix[300];
	WOLFSSL *ssl;

	ssl = attls_wolf.wolfSSL_new(ctx);
	sk = ssl ? attls_wolf.wolfSSL_get_ciphers_compat(ssl) : NULL;
	if (!sk) {
		attls_errors_add(errs, file, line, "ciphers: the suites wolfSSL would offer "
				 "cannot be listed, so they cannot be checked");
		if (ssl)
			attls_wolf.wolfSSL_free(ssl);
		return -1;
	}
	list[0] = '\0';
	n = attls_wolf.wolfSSL_sk_SSL_CIPHER_num(sk);
	for (int i = 0; i < n; i++) {
		const char *name = attls_wolf.wolfSSL_CIPHER_get_name(
			attls_wolf.wolfSSL_sk_SSL_CIPHER_value(sk, i));
		const char *why = name ? attls_cipher_weakness(name) : NULL;
		int w;

		if (!why)
			continue;
		bad++;
		if (full)
			continue;
		w = snprintf(list + off, sizeof(list) - off, "%s%s (%s)", off ? ", " : "",
			     name, why);
		if (w < 0 || (size_t)w >= sizeof(list) - off) {
			list[off] = '\0'; /* the names that fit, then "..." */
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
	if (bad && !reported)
		attls_errors_add(errs, file, line, "ciphers: %d suite%s refused, without "
				 "encryption or without authentication: %s%s", bad,
				 bad == 1 ? "" : "s", list, full ? ", ..." : "");
	attls_wolf.wolfSSL_free(ssl);
	return bad ? -1 : 0;
}
