/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every parser of a value that comes from a policy, a command line, a
 * file or a peer's first bytes, one per first input byte (mod the count):
 * numbers, trace masks, port and address lists, directions, durations,
 * the ticket key file, cipher lists (with wolfSSL, as the loader checks
 * them), the escaping of logged text, a certificate's subject as the log
 * names it, and the ClientHello a server looks at before wolfSSL does. Each result is checked against what the parser
 * promises.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <sys/types.h>

#include "../../lib/ciphercheck.h"
#include "../../lib/peername.h"
#include "../../lib/policy.h"
#include "../../lib/tickets.h"
#include "../../lib/trace.h"
#include "../../lib/wolf.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[128];

	(void)argc;
	(void)argv;
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		exit(2);
	}
	return 0;
}

static void number(const char *s, unsigned sel)
{
	static const unsigned long maxes[] = { 0, 9, 255, 65535, 1000000, 3600000,
					       (uid_t)-2, LONG_MAX, ULONG_MAX };
	unsigned long max = maxes[sel % (sizeof(maxes) / sizeof(maxes[0]))], v = 0;
	const char *end = NULL;

	if (attls_parse_number(s, max, &v, (sel & 16) ? &end : NULL) == 0) {
		FUZZ_ASSERT(v <= max);
		FUZZ_ASSERT(!end || (end > s && end <= s + strlen(s)));
	}
}

static void ports(const char *s)
{
	struct attls_port_set p = { 0 };

	if (attls_parse_ports(s, &p) == 0) {
		FUZZ_ASSERT(p.any || p.n > 0);
		for (size_t i = 0; i < p.n; i++)
			FUZZ_ASSERT(p.r[i].lo <= p.r[i].hi);
	}
	attls_port_set_free(&p);
}

static void addrs(const char *s)
{
	struct attls_addr_set a = { 0 };

	if (attls_parse_addrs(s, &a) == 0) {
		FUZZ_ASSERT(a.any || a.n > 0);
		for (size_t i = 0; i < a.n; i++)
			FUZZ_ASSERT((a.c[i].family == AF_INET && a.c[i].prefix <= 32) ||
				    (a.c[i].family == AF_INET6 && a.c[i].prefix <= 128));
	}
	attls_addr_set_free(&a);
}

static void duration(const char *s)
{
	unsigned ms = 0;

	if (attls_parse_duration_ms(s, &ms) == 0)
		FUZZ_ASSERT(ms >= 1 && ms <= 3600000);
}

static void ticket_key(const uint8_t *d, size_t n)
{
	unsigned char c[ATTLS_CHAIN_SZ], again[ATTLS_CHAIN_SZ];
	char why[160], text[200];
	uint64_t hour = 0, h2 = 0;
	size_t len;

	if (attls_ticketkey_parse((const char *)d, n, &hour, c, why, sizeof(why)) < 0) {
		FUZZ_ASSERT(memchr(why, '\0', sizeof(why)));
		return;
	}
	/* What parses, formatted again, parses to the same. */
	len = attls_ticketkey_format(text, sizeof(text), hour, c);
	FUZZ_ASSERT(len > 0);
	FUZZ_ASSERT(attls_ticketkey_parse(text, len, &h2, again, why, sizeof(why)) == 0);
	FUZZ_ASSERT(h2 == hour && !memcmp(c, again, sizeof(c)));
}

/* As the loader checks a [security] ciphers value on a context (tlsctx.c). */
static void ciphers(const char *s, unsigned sel)
{
	static const unsigned protos[] = { ATTLS_PROTO_TLS12 | ATTLS_PROTO_TLS13,
					   ATTLS_PROTO_TLS13, ATTLS_PROTO_TLS12 };
	unsigned pr = protos[sel % 3];
	struct attls_errors errs = { 0 };
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new((sel & 4) ? wolfSSLv23_client_method() :
						       wolfSSLv23_server_method());

	if (!ctx)
		return;
	wolfSSL_CTX_set_min_proto_version(ctx, pr & ATTLS_PROTO_TLS12 ? TLS1_2_VERSION :
									   TLS1_3_VERSION);
	wolfSSL_CTX_set_max_proto_version(ctx, pr & ATTLS_PROTO_TLS13 ? TLS1_3_VERSION :
									   TLS1_2_VERSION);
	if (wolfSSL_CTX_set_cipher_list(ctx, s) == WOLFSSL_SUCCESS &&
	    attls_ciphers_check(ctx, s, pr, "fuzz.ini", 1, &errs) == 0)
		FUZZ_ASSERT(errs.n == 0);
	else if (errs.n == 0)
		FUZZ_ASSERT(wolfSSL_CTX_set_cipher_list(ctx, s) != WOLFSSL_SUCCESS);
	attls_errors_free(&errs);
	wolfSSL_CTX_free(ctx);
}

static void escape(const char *s, unsigned sel)
{
	size_t len = sel % 64 + 1;
	char *out = malloc(len);
	const char *r;

	if (!out)
		abort();
	r = attls_escape(s, out, len);
	FUZZ_ASSERT(r == out && strlen(out) < len);
	for (const char *c = out; *c; c++)
		FUZZ_ASSERT(*c >= 0x20 && *c <= 0x7e);
	free(out);
}

/* Fed in pieces of sel's size, as the receive callback gets them. */
static void hello(const uint8_t *d, size_t n, unsigned sel)
{
	struct attls_hello h = { 0 };
	size_t step = sel % 7 + 1;

	for (size_t i = 0; i < n && !h.done; i += step)
		attls_hello_feed(&h, d + i, n - i < step ? n - i : step);
	FUZZ_ASSERT(!h.done || !h.msg);
	attls_hello_free(&h);
	(void)attls_hello_psk_without_dhe(d, n);
}

/* A certificate (DER) whose subject is logged: one field per entry, escaped. */
static void subject(const uint8_t *d, size_t n, unsigned sel)
{
	WOLFSSL_X509 *x = wolfSSL_X509_d2i(NULL, d, (int)n);
	size_t len = sel * 4 % 600;
	char *out = malloc(len ? len : 1);
	int fields = 0;

	if (!out)
		abort();
	attls_peer_name(x ? wolfSSL_X509_get_subject_name(x) : NULL, out, len);
	if (len) {
		FUZZ_ASSERT(strlen(out) < len);
		for (const char *c = out; *c; c++) {
			FUZZ_ASSERT(*c >= 0x20 && *c <= 0x7e);
			fields += *c == '/';
		}
		/* Each entry starts one field, and nothing else does (unless cut short). */
		if (x && len >= 8 && !strstr(out, "..."))
			FUZZ_ASSERT(fields ==
				    wolfSSL_X509_NAME_entry_count(wolfSSL_X509_get_subject_name(x)));
	}
	free(out);
	if (x)
		wolfSSL_X509_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;
	char *s;

	if (size < 2)
		return 0;
	sel = data[1];
	data += 2;
	size -= 2;
	s = fuzz_str(data, size);
	switch (data[-2] % 12) {
	case 0: number(s, sel); break;
	case 1: {
		unsigned m = 0;

		if (attls_parse_trace(s, &m) == 0)
			FUZZ_ASSERT(m <= 255);
		break;
	}
	case 2: ports(s); break;
	case 3: addrs(s); break;
	case 4: {
		unsigned d = 0;

		if (attls_parse_direction(s, &d) == 0)
			FUZZ_ASSERT(d >= ATTLS_DIR_INBOUND && d <= ATTLS_DIR_BOTH);
		break;
	}
	case 5: duration(s); break;
	case 6: ticket_key(data, size); break;
	case 7: ciphers(s, sel); break;
	case 8: escape(s, sel); break;
	case 9: hello(data, size, sel); break;
	case 10: subject(data, size, sel); break;
	default: {
		/* What a weakness is said of: a suite name from wolfSSL's list, or any. */
		const char *w = attls_cipher_weakness(s);

		FUZZ_ASSERT(!w || strlen(w) < 40);
		break;
	}
	}
	free(s);
	return 0;
}
