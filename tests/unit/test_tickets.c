/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session tickets: sealed and opened under keys that rotate by the hour
 * along a ratchet, bound to what the handshake proved; the ticket key
 * file; what a ClientHello offers and what a ServerHello chose, and a
 * version mismatch in words.
 */
#include <string.h>

#include "../../lib/protowhy.h"
#include "../../lib/tickets.h"
#include "helpers.h"

struct ticket {
	unsigned char name[WOLFSSL_TICKET_NAME_SZ], iv[WOLFSSL_TICKET_IV_SZ];
	unsigned char mac[WOLFSSL_TICKET_MAC_SZ], data[200];
};

static const uint64_t t0 = 1795000000; /* 400 s into an hour */
static const unsigned char b1[ATTLS_BINDING_SZ] = "binding of descriptor one.......";
static const unsigned char b2[ATTLS_BINDING_SZ] = "binding of descriptor two.......";

static void wolf(void)
{
	char why[160];

	ck_assert_int_eq(attls_wolf_load(why, sizeof(why)), 0);
}

/* wolfSSL, and a fresh random start, as a process without ticket_key_file has. */
static void new_secret(void)
{
	struct attls_policy p = { .file = "test.ini" };
	struct attls_errors errs = { 0 };

	wolf();
	ck_assert_int_eq(attls_tickets_setup(&p, &errs), 0);
}

static void sealed_by(struct ticket *t, uint64_t when, const unsigned char *b)
{
	for (size_t i = 0; i < sizeof(t->data); i++)
		t->data[i] = (unsigned char)i;
	ck_assert_int_eq(attls_ticket_seal(when, b, t->name, t->iv, t->mac, 1, t->data,
					   (int)sizeof(t->data)), WOLFSSL_TICKET_RET_OK);
	ck_assert(t->data[10] != 10 || t->data[11] != 11); /* no longer clear */
}

static void sealed(struct ticket *t, uint64_t when)
{
	sealed_by(t, when, b1);
}

static int opened_by(struct ticket t, uint64_t when, const unsigned char *b)
{
	int r = attls_ticket_seal(when, b, t.name, t.iv, t.mac, 0, t.data, (int)sizeof(t.data));

	if (r == WOLFSSL_TICKET_RET_OK || r == WOLFSSL_TICKET_RET_CREATE)
		for (size_t i = 0; i < sizeof(t.data); i++)
			ck_assert_uint_eq(t.data[i], (unsigned char)i);
	return r;
}

static int opened(struct ticket t, uint64_t when)
{
	return opened_by(t, when, b1);
}

START_TEST(test_rotation)
{
	struct ticket t;

	new_secret();
	sealed(&t, t0);
	ck_assert_int_eq(opened(t, t0 + 10), WOLFSSL_TICKET_RET_OK);
	/* The next hour: still taken, and a new ticket is issued. */
	ck_assert_int_eq(opened(t, t0 + 3600), WOLFSSL_TICKET_RET_CREATE);
	/* Two hours on: its key is gone. */
	ck_assert_int_eq(opened(t, t0 + 7200), WOLFSSL_TICKET_RET_REJECT);
	/* From the future (a clock set back): refused too. */
	ck_assert_int_eq(opened(t, t0 - 3600), WOLFSSL_TICKET_RET_REJECT);
}
END_TEST

START_TEST(test_forged_and_foreign)
{
	struct ticket t, u;

	new_secret();
	sealed(&t, t0);
	u = t;
	u.data[50] ^= 1;
	ck_assert_int_eq(opened(u, t0), WOLFSSL_TICKET_RET_REJECT);
	u = t;
	u.mac[3] ^= 1;
	ck_assert_int_eq(opened(u, t0), WOLFSSL_TICKET_RET_REJECT);
	u = t;
	u.name[0] ^= 1;
	ck_assert_int_eq(opened(u, t0), WOLFSSL_TICKET_RET_REJECT);
	u = t;
	u.name[15] ^= 1; /* another hour named: another key */
	ck_assert_int_eq(opened(u, t0), WOLFSSL_TICKET_RET_REJECT);
	/* Another process's secret (no shared ticket_key_file): refused. */
	new_secret();
	ck_assert_int_eq(opened(t, t0), WOLFSSL_TICKET_RET_REJECT);
}
END_TEST

/* A ticket opens only under the binding it was sealed with. */
START_TEST(test_binding)
{
	struct ticket t;
	unsigned char b3[ATTLS_BINDING_SZ];

	new_secret();
	sealed_by(&t, t0, b1);
	ck_assert_int_eq(opened_by(t, t0, b2), WOLFSSL_TICKET_RET_REJECT);
	memcpy(b3, b1, sizeof(b3));
	b3[31] ^= 0x80; /* one bit apart */
	ck_assert_int_eq(opened_by(t, t0, b3), WOLFSSL_TICKET_RET_REJECT);
	ck_assert_int_eq(opened_by(t, t0, b1), WOLFSSL_TICKET_RET_OK);
	ck_assert_int_eq(opened_by(t, t0 + 3600, b2), WOLFSSL_TICKET_RET_REJECT);
	ck_assert_int_eq(opened_by(t, t0 + 3600, b1), WOLFSSL_TICKET_RET_CREATE);
	sealed_by(&t, t0 + 3600, b2);
	ck_assert_int_eq(opened_by(t, t0 + 3600, b1), WOLFSSL_TICKET_RET_REJECT);
	ck_assert_int_eq(opened_by(t, t0 + 3600, b2), WOLFSSL_TICKET_RET_OK);
}
END_TEST

static void chain_at(unsigned char c[ATTLS_CHAIN_SZ], unsigned steps)
{
	memset(c, 0x5a, ATTLS_CHAIN_SZ);
	for (unsigned i = 0; i < steps; i++)
		ck_assert_int_eq(attls_ratchet_step(c), 0);
}

/*
 * A process started from a file at hour e and one started from the same
 * file rotated to e + k have the same keys from e + k on.
 */
START_TEST(test_ratchet_agrees)
{
	const uint64_t e = t0 / 3600;
	unsigned char c[ATTLS_CHAIN_SZ], c0[ATTLS_CHAIN_SZ];
	struct ticket t, u;

	wolf();
	chain_at(c0, 0);
	chain_at(c, 4);
	ck_assert(memcmp(c, c0, sizeof(c)));
	attls_tickets_start(e, c0);
	sealed(&t, (e + 5) * 3600 + 7); /* five hours on */
	sealed(&u, (e + 6) * 3600 + 7);
	/* Rotated to e + 4, the hour before e + 5. */
	attls_tickets_start(e + 4, c);
	ck_assert_int_eq(opened(t, (e + 5) * 3600 + 100), WOLFSSL_TICKET_RET_OK);
	ck_assert_int_eq(opened(u, (e + 6) * 3600 + 100), WOLFSSL_TICKET_RET_OK);
	ck_assert_int_eq(opened(t, (e + 6) * 3600 + 200), WOLFSSL_TICKET_RET_CREATE);
	/* And the other way round. */
	attls_tickets_start(e + 4, c);
	sealed(&t, (e + 9) * 3600);
	attls_tickets_start(e, c0);
	ck_assert_int_eq(opened(t, (e + 9) * 3600 + 5), WOLFSSL_TICKET_RET_OK);
	/* A different start: nothing opens. */
	chain_at(c, 3);
	attls_tickets_start(e + 4, c);
	ck_assert_int_eq(opened(t, (e + 9) * 3600 + 5), WOLFSSL_TICKET_RET_REJECT);
}
END_TEST

/* A ticket of an hour older than now - 1 never opens, from any later start. */
START_TEST(test_ratchet_forgets)
{
	const uint64_t e = t0 / 3600;
	unsigned char c[ATTLS_CHAIN_SZ];
	struct ticket t0h, t1h, t2h;

	wolf();
	chain_at(c, 0);
	attls_tickets_start(e, c);
	sealed(&t0h, e * 3600);
	sealed(&t1h, (e + 1) * 3600);
	ck_assert_int_eq(opened(t0h, (e + 1) * 3600 + 1), WOLFSSL_TICKET_RET_CREATE);
	sealed(&t2h, (e + 2) * 3600);
	ck_assert_int_eq(opened(t0h, (e + 2) * 3600), WOLFSSL_TICKET_RET_REJECT);
	ck_assert_int_eq(opened(t1h, (e + 2) * 3600), WOLFSSL_TICKET_RET_CREATE);
	/* Gone for good: the clock going back does not bring it back. */
	ck_assert_int_eq(opened(t0h, (e + 1) * 3600), WOLFSSL_TICKET_RET_REJECT);
	ck_assert_int_eq(opened(t1h, (e + 9) * 3600), WOLFSSL_TICKET_RET_REJECT);
	/* A file rotated to e + 1 gives no key of hour e, whatever the time. */
	chain_at(c, 1);
	for (uint64_t h = e; h < e + 4; h++) {
		attls_tickets_start(e + 1, c);
		ck_assert_int_eq(opened(t0h, h * 3600), WOLFSSL_TICKET_RET_REJECT);
	}
	attls_tickets_start(e + 1, c);
	ck_assert_int_eq(opened(t2h, (e + 2) * 3600 + 9), WOLFSSL_TICKET_RET_OK);
}
END_TEST

START_TEST(test_key_file)
{
	unsigned char c[ATTLS_CHAIN_SZ], d[ATTLS_CHAIN_SZ];
	char line[128], bad[160], why[200];
	uint64_t h;
	size_t n;

	chain_at(c, 0);
	c[0] = 0x01;
	c[31] = 0xfe;
	n = attls_ticketkey_format(line, sizeof(line), 498611, c);
	ck_assert_uint_eq(n, strlen(line));
	ck_assert_str_eq(line, "attls-ticket-key 1 498611 "
			       "01" "5a5a5a5a5a5a5a5a5a5a" "5a5a5a5a5a5a5a5a5a5a"
			       "5a5a5a5a5a5a5a5a5a5a" "fe\n");
	ck_assert_int_eq(attls_ticketkey_parse(line, n, &h, d, why, sizeof(why)), 0);
	ck_assert_uint_eq(h, 498611);
	ck_assert(!memcmp(c, d, sizeof(c)));
	/* Without the newline too. */
	ck_assert_int_eq(attls_ticketkey_parse(line, n - 1, &h, d, why, sizeof(why)), 0);
	/* The old format: 32 random bytes. */
	ck_assert_int_eq(attls_ticketkey_parse((const char *)c, sizeof(c), &h, d, why,
					       sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "old format"));
	/* Damaged: each is refused. */
	const char *damaged[] = {
		"attls-ticket-key 2 498611 ",  /* another version */
		"attls-ticket-key 1 0 ",       /* no hour */
		"attls-ticket-key 1 x98611 ",
		"attls-ticket-key 1 498611  ", /* two blanks */
	};
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		snprintf(bad, sizeof(bad), "%s%s", damaged[i], line + 26);
		ck_assert_int_eq(attls_ticketkey_parse(bad, strlen(bad), &h, d, why, sizeof(why)),
				 -1);
	}
	snprintf(bad, sizeof(bad), "%s", line);
	bad[40] = 'A'; /* upper case is not what we write */
	ck_assert_int_eq(attls_ticketkey_parse(bad, strlen(bad), &h, d, why, sizeof(why)), -1);
	snprintf(bad, sizeof(bad), "%s", line);
	ck_assert_int_eq(attls_ticketkey_parse(bad, strlen(bad) - 3, &h, d, why, sizeof(why)), -1);
	snprintf(bad, sizeof(bad), "%sx", line);
	ck_assert_int_eq(attls_ticketkey_parse(bad, strlen(bad), &h, d, why, sizeof(why)), -1);
}
END_TEST

/*
 * A TLS 1.3 ClientHello with the given extensions: psk (41), the modes of
 * psk_key_exchange_modes (45, NULL: none) and key_share (51).
 */
static size_t client_hello(unsigned char *m, bool psk, const char *modes, bool share)
{
	size_t i = 0, ext;

	m[i++] = 1;
	i += 3;
	m[i++] = 3;
	m[i++] = 3;
	memset(m + i, 0xaa, 32);
	i += 32;
	m[i++] = 0;                     /* session id */
	m[i++] = 0; m[i++] = 2;         /* one suite */
	m[i++] = 0x13; m[i++] = 0x01;
	m[i++] = 1; m[i++] = 0;         /* null compression */
	ext = i;
	i += 2;
	m[i++] = 0; m[i++] = 43;        /* supported_versions */
	m[i++] = 0; m[i++] = 3; m[i++] = 2; m[i++] = 3; m[i++] = 4;
	if (share) {
		m[i++] = 0; m[i++] = 51; m[i++] = 0; m[i++] = 38;
		m[i++] = 0; m[i++] = 36; m[i++] = 0; m[i++] = 29; m[i++] = 0; m[i++] = 32;
		memset(m + i, 0x11, 32);
		i += 32;
	}
	if (modes) {
		size_t n = strlen(modes);

		m[i++] = 0; m[i++] = 45; m[i++] = 0; m[i++] = (unsigned char)(n + 1);
		m[i++] = (unsigned char)n;
		for (size_t k = 0; k < n; k++)
			m[i++] = (unsigned char)(modes[k] - '0');
	}
	if (psk) {              /* one identity of 8 bytes, one binder of 32 */
		m[i++] = 0; m[i++] = 41; m[i++] = 0; m[i++] = 2 + 2 + 8 + 4 + 2 + 1 + 32;
		m[i++] = 0; m[i++] = 14; m[i++] = 0; m[i++] = 8;
		memset(m + i, 0x22, 8 + 4);
		i += 12;
		m[i++] = 0; m[i++] = 33; m[i++] = 32;
		memset(m + i, 0x33, 32);
		i += 32;
	}
	m[ext] = (unsigned char)((i - ext - 2) >> 8);
	m[ext + 1] = (unsigned char)(i - ext - 2);
	m[1] = 0;
	m[2] = (unsigned char)((i - 4) >> 8);
	m[3] = (unsigned char)(i - 4);
	return i;
}

/* Fed as records of rec bytes, in reads of chunk bytes. */
static bool fed(const unsigned char *m, size_t len, size_t rec, size_t chunk)
{
	unsigned char wire[1024];
	struct attls_hello h = { 0 };
	size_t w = 0;

	for (size_t off = 0; off < len; off += rec) {
		size_t n = len - off < rec ? len - off : rec;

		wire[w++] = 22;
		wire[w++] = 3;
		wire[w++] = 1;
		wire[w++] = (unsigned char)(n >> 8);
		wire[w++] = (unsigned char)n;
		memcpy(wire + w, m + off, n);
		w += n;
	}
	for (size_t off = 0; off < w; off += chunk)
		attls_hello_feed(&h, wire + off, w - off < chunk ? w - off : chunk);
	ck_assert(h.done);
	attls_hello_free(&h);
	return h.psk_without_dhe;
}

START_TEST(test_client_hello)
{
	unsigned char m[512];
	size_t n;

	n = client_hello(m, true, "1", true);
	ck_assert(!attls_hello_psk_without_dhe(m, n));
	ck_assert(!fed(m, n, 1000, 1000));
	ck_assert(!fed(m, n, 7, 1));
	n = client_hello(m, true, "01", true);  /* both modes: dhe is taken */
	ck_assert(!fed(m, n, 50, 3));
	n = client_hello(m, true, "0", true);   /* psk_ke only */
	ck_assert(attls_hello_psk_without_dhe(m, n));
	ck_assert(fed(m, n, 1000, 1000));
	ck_assert(fed(m, n, 7, 1));
	n = client_hello(m, true, "1", false);  /* no key share */
	ck_assert(fed(m, n, 1000, 5));
	n = client_hello(m, true, NULL, true);  /* no modes */
	ck_assert(fed(m, n, 1000, 5));
	n = client_hello(m, false, "0", true);  /* no PSK: nothing to refuse */
	ck_assert(!fed(m, n, 1000, 5));
	n = client_hello(m, true, "1", true);
	ck_assert(attls_hello_psk_without_dhe(m, n - 10)); /* cut short */
}
END_TEST

/*
 * A ServerHello: legacy_version, and supported_versions (43) holding sv
 * unless sv is 0; exts: whether it has extensions at all.
 */
static size_t server_hello(unsigned char *m, unsigned legacy, unsigned sv, bool exts)
{
	size_t i = 0, ext;

	m[i++] = 2;
	i += 3;
	m[i++] = (unsigned char)(legacy >> 8);
	m[i++] = (unsigned char)legacy;
	memset(m + i, 0xbb, 32);
	i += 32;
	m[i++] = 32;                    /* session id, echoed */
	memset(m + i, 0xcc, 32);
	i += 32;
	m[i++] = 0xc0; m[i++] = 0x2f;   /* the suite */
	m[i++] = 0;                     /* null compression */
	if (exts) {
		ext = i;
		i += 2;
		m[i++] = 0xff; m[i++] = 0x01; m[i++] = 0; m[i++] = 1; m[i++] = 0; /* reneg. info */
		if (sv) {
			m[i++] = 0; m[i++] = 43; m[i++] = 0; m[i++] = 2;
			m[i++] = (unsigned char)(sv >> 8);
			m[i++] = (unsigned char)sv;
		}
		m[ext] = (unsigned char)((i - ext - 2) >> 8);
		m[ext + 1] = (unsigned char)(i - ext - 2);
	}
	m[1] = 0;
	m[2] = (unsigned char)((i - 4) >> 8);
	m[3] = (unsigned char)(i - 4);
	return i;
}

/* What the feed learns of m sent as one record in reads of chunk bytes. */
static struct attls_hello fed_hello(const unsigned char *m, size_t len, size_t chunk)
{
	unsigned char wire[600];
	struct attls_hello h = { 0 };

	wire[0] = 22;
	wire[1] = 3;
	wire[2] = 3;
	wire[3] = (unsigned char)(len >> 8);
	wire[4] = (unsigned char)len;
	memcpy(wire + 5, m, len);
	for (size_t off = 0; off < len + 5; off += chunk)
		attls_hello_feed(&h, wire + off, len + 5 - off < chunk ? len + 5 - off : chunk);
	attls_hello_free(&h);
	return h;
}

START_TEST(test_server_hello)
{
	unsigned char m[512];
	size_t n;

	n = server_hello(m, 0x0303, 0, false);          /* TLS 1.2, no extensions */
	ck_assert_uint_eq(attls_server_hello_version(m, n), 0x0303);
	ck_assert_uint_eq(attls_server_hello_version(m, n - 1), 0);
	n = server_hello(m, 0x0303, 0, true);           /* TLS 1.2, extensions */
	ck_assert_uint_eq(attls_server_hello_version(m, n), 0x0303);
	n = server_hello(m, 0x0301, 0, true);
	ck_assert_uint_eq(attls_server_hello_version(m, n), 0x0301);
	n = server_hello(m, 0x0303, 0x0304, true);      /* TLS 1.3 */
	ck_assert_uint_eq(attls_server_hello_version(m, n), 0x0304);
	ck_assert_uint_eq(attls_server_hello_version(m, n - 1), 0); /* cut short */
	ck_assert(fed_hello(m, n, 1000).done);
	ck_assert_uint_eq(fed_hello(m, n, 1000).chosen, 0x0304);
	ck_assert_uint_eq(fed_hello(m, n, 1).chosen, 0x0304);
	ck_assert_uint_eq(fed_hello(m, n, 1).offered, 0);
	n = server_hello(m, 0x0303, 0, true);
	ck_assert_uint_eq(fed_hello(m, n, 3).chosen, 0x0303);
	/* A ClientHello chooses nothing; a ServerHello offers nothing. */
	n = client_hello(m, false, NULL, true);
	ck_assert_uint_eq(attls_server_hello_version(m, n), 0);
	ck_assert_uint_eq(fed_hello(m, n, 1000).chosen, 0);
	ck_assert_uint_eq(fed_hello(m, n, 1000).offered, ATTLS_PROTO_TLS13);
}
END_TEST

static const char *why(unsigned protocols, unsigned chosen, int alert, bool nothing,
		       const char *end)
{
	static char buf[300];
	struct attls_client_view v = { protocols, chosen, alert, nothing, end };

	return attls_client_version_reason(&v, buf, sizeof(buf));
}

START_TEST(test_version_reason)
{
	const unsigned t12 = ATTLS_PROTO_TLS12, t13 = ATTLS_PROTO_TLS13;
	const char *closed = "the peer closed the connection";
	char small[20];
	struct attls_client_view v = { t13, 0x0303, -1, false, NULL };

	/* The server chose a version outside the level. */
	ck_assert_str_eq(why(t13, 0x0303, -1, false, NULL),
			 "no protocol version in common: the server chose TLSv1.2, the "
			 "descriptor's security level allows TLSv1.3 (protocols)");
	ck_assert_str_eq(why(t12, 0x0304, 40, false, NULL),
			 "no protocol version in common: the server chose TLSv1.3, the "
			 "descriptor's security level allows TLSv1.2 (protocols)");
	ck_assert_ptr_nonnull(strstr(why(t12 | t13, 0x0300, -1, false, NULL), "chose SSLv3,"));
	ck_assert_ptr_nonnull(strstr(why(t12, 0x7f1c, -1, false, NULL), "chose version 0x7f1c,"));
	ck_assert_ptr_nonnull(strstr(why(t12 | t13, 0x0301, -1, false, NULL),
				     "allows TLSv1.3, TLSv1.2 (protocols)"));
	/* One inside it: the failure is another one. */
	ck_assert_ptr_null(why(t12 | t13, 0x0303, -1, false, NULL));
	ck_assert_ptr_null(why(t13, 0x0304, 70, false, closed));
	/* It refused every version offered, by name. */
	ck_assert_str_eq(why(t13, 0, 70, false, NULL),
			 "no protocol version in common: the server refused every version "
			 "offered (TLSv1.3, as the descriptor's security level allows "
			 "(protocols)) with a protocol_version alert");
	ck_assert_ptr_nonnull(strstr(why(t12 | t13, 0, 70, false, closed),
				     "offered (TLSv1.3, TLSv1.2, as"));
	/* The range from the lowest to the highest is what goes out. */
	ck_assert_ptr_nonnull(strstr(why(ATTLS_PROTO_TLS10 | t12, 0, 70, false, NULL),
				     "offered (TLSv1.2, TLSv1.1, TLSv1.0, as"));
	/* Another alert is not read as a version's. */
	ck_assert_ptr_null(why(t13, 0, 40, false, NULL));
	ck_assert_ptr_null(why(t13, 0, -1, false, NULL));
	/* Closed without a word: a possibility, and what was offered. */
	ck_assert_str_eq(why(t13, 0, -1, true, closed),
			 "the peer closed the connection before answering the ClientHello (a "
			 "server that speaks none of the versions offered, TLSv1.3 as the "
			 "descriptor's security level allows (protocols), may do that)");
	ck_assert_ptr_nonnull(strstr(why(t12, 0, -1, true, "Connection reset by peer"),
				     "Connection reset by peer before answering the ClientHello"));
	/* It had answered something, or had not ended the connection: no guess. */
	ck_assert_ptr_null(why(t13, 0, -1, false, closed));
	ck_assert_ptr_null(why(t13, 0, -1, true, NULL));
	ck_assert_ptr_null(why(0, 0x0303, 70, true, closed));
	/* A short buffer is cut, never overrun. */
	ck_assert_ptr_nonnull(attls_client_version_reason(&v, small, sizeof(small)));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

Suite *tickets_suite(void)
{
	Suite *s = suite_create("tickets");
	TCase *tc = tcase_create("seal");

	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_forged_and_foreign);
	tcase_add_test(tc, test_binding);
	tcase_add_test(tc, test_ratchet_agrees);
	tcase_add_test(tc, test_ratchet_forgets);
	tcase_add_test(tc, test_key_file);
	tcase_add_test(tc, test_client_hello);
	tcase_add_test(tc, test_server_hello);
	tcase_add_test(tc, test_version_reason);
	suite_add_tcase(s, tc);
	return s;
}
