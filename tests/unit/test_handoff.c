/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A live session exported and taken up on the same socket (lib/handoff.c),
 * with two in-memory ends: client and server each on a socketpair, and a
 * relay between the pairs that the test drives byte by byte, so that a
 * record can be left half-delivered when the session moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "../../lib/handoff.h"
#include "../../lib/session_int.h"
#include "../../lib/wolf.h"

static const char cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBnjCCAUSgAwIBAgIUB5lTSLUdEhQblfqvws5zgap3vmIwCgYIKoZIzj0EAwIw\n"
	"FzEVMBMGA1UEAwwMaGFuZG9mZi50ZXN0MCAXDTI2MTEzMDE1MTkxMVoYDzIxMjYx\n"
	"MTA2MTUxOTExWjAXMRUwEwYDVQQDDAxoYW5kb2ZmLnRlc3QwWTATBgcqhkjOPQIB\n"
	"BggqhkjOPQMBBwNCAAS2gS3uot7/l7Deb6247eBnZaudTBqpI5VChN6HWI2ZJ0bu\n"
	"cFszE8tpN9cd9XBh3iDaB/mHdypi/xu0T7l7aUa4o2wwajAdBgNVHQ4EFgQU4AWy\n"
	"ttKi6Fw78ci/UT+zXnsXVw8wHwYDVR0jBBgwFoAU4AWyttKi6Fw78ci/UT+zXnsX\n"
	"Vw8wDwYDVR0TAQH/BAUwAwEB/zAXBgNVHREEEDAOggxoYW5kb2ZmLnRlc3QwCgYI\n"
	"KoZIzj0EAwIDSAAwRQIgGxG9lKWyH/mpci9DlCes98W8ba+TyscIsrp6cN3KqVMC\n"
	"IQD0z9L5g4TikDT4XL8rZBS2ho+gsLI/SdYF9lMA+CV+Pg==\n"
	"-----END CERTIFICATE-----\n";
static const char key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1Bwjti/KL8sy2TeB\n"
	"gWTaN2BDeCIx8A25wMKn2vcripehRANCAAS2gS3uot7/l7Deb6247eBnZaudTBqp\n"
	"I5VChN6HWI2ZJ0bucFszE8tpN9cd9XBh3iDaB/mHdypi/xu0T7l7aUa4\n"
	"-----END PRIVATE KEY-----\n";

/* The client's end, the relay's two ends, the server's end. */
static int cfd, rc, rs, sfd;
static WOLFSSL_CTX *cctx, *sctx;

static WOLFSSL_CTX *make_ctx(bool server, bool tls12, const char *suite)
{
	WOLFSSL_CTX *c = wolfSSL_CTX_new(server ? wolfSSLv23_server_method() :
					 tls12 ? wolfTLSv1_2_client_method() :
						 wolfTLSv1_3_client_method());

	ck_assert_ptr_nonnull(c);
	attls_handoff_ctx(c);
	if (server) {
		ck_assert_int_eq(wolfSSL_CTX_use_certificate_buffer(c, (const unsigned char *)cert_pem,
						sizeof(cert_pem) - 1, WOLFSSL_FILETYPE_PEM), 1);
		ck_assert_int_eq(wolfSSL_CTX_use_PrivateKey_buffer(c, (const unsigned char *)key_pem,
						sizeof(key_pem) - 1, WOLFSSL_FILETYPE_PEM), 1);
	} else {
		ck_assert_int_eq(wolfSSL_CTX_load_verify_buffer(c, (const unsigned char *)cert_pem,
						sizeof(cert_pem) - 1, WOLFSSL_FILETYPE_PEM), 1);
		wolfSSL_CTX_set_verify(c, WOLFSSL_VERIFY_PEER, NULL);
	}
	ck_assert_int_eq(wolfSSL_CTX_set_cipher_list(c, suite), 1);
	return c;
}

static struct attls_session *session(int fd, bool server, const unsigned char *blob, size_t n)
{
	struct attls_session_params p = {
		.ctx = server ? sctx : cctx, .fd = fd,
		.role = server ? ATTLS_ROLE_SERVER : ATTLS_ROLE_CLIENT,
		.server_name = server ? NULL : "handoff.test", .nonblock = true,
		.handshake_timeout_ms = 5000, .who = server ? "server" : "client",
	};

	return blob ? attls_session_import(&p, blob, n) : attls_session_new(&p);
}

/* Moves what waits between the pairs; to_client: at most that many bytes that way. */
static void relay(size_t to_client)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(rc, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		ck_assert_int_eq(send(rs, buf, (size_t)n, 0), n);
	if (to_client > sizeof(buf))
		to_client = sizeof(buf);
	if (to_client && (n = recv(rs, buf, to_client, MSG_DONTWAIT)) > 0)
		ck_assert_int_eq(send(rc, buf, (size_t)n, 0), n);
}

static void pairs(void)
{
	int a[2], b[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	cfd = a[0];
	rc = a[1];
	rs = b[0];
	sfd = b[1];
}

static void handshake(struct attls_session *c, struct attls_session *s)
{
	for (int i = 0; i < 200; i++) {
		bool cd = attls_session_handshake(c, false) == 0;
		bool sd = attls_session_handshake(s, false) == 0;

		if (cd && sd)
			return;
		relay(SIZE_MAX);
	}
	ck_abort_msg("no handshake");
}

static void send_str(struct attls_session *s, const char *text)
{
	struct iovec iov = { (void *)text, strlen(text) };

	ck_assert_int_eq(attls_session_sendv(s, &iov, 1, 0), (ssize_t)strlen(text));
}

/* Reads exactly strlen(want) bytes, relaying as needed. */
static void expect(struct attls_session *s, const char *want)
{
	char buf[256];
	size_t got = 0, n = strlen(want);

	for (int i = 0; i < 200 && got < n; i++) {
		ssize_t r = attls_session_recv(s, buf + got, n - got, 0);

		if (r > 0)
			got += (size_t)r;
		else
			ck_assert_msg(errno == EAGAIN, "reading \"%s\": %s", want, strerror(errno));
		relay(SIZE_MAX);
	}
	ck_assert_uint_eq(got, n);
	ck_assert_int_eq(memcmp(buf, want, n), 0);
}

/* What the relay holds for the client: the server's records so far. */
static size_t waiting_for_client(void)
{
	int n = 0;

	ck_assert_int_eq(ioctl(rs, FIONREAD, &n), 0);
	return (size_t)n;
}

static struct attls_session *move(struct attls_session *s, int fd, bool server)
{
	unsigned char *blob;
	size_t n;
	struct attls_session *t;

	ck_assert_int_eq(attls_session_export(s, &blob, &n, false), 0);
	/* The exported copy is closed to the program: no more crypto in it. */
	char c;
	ck_assert_int_eq(attls_session_recv(s, &c, 1, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	attls_session_end(s, true);
	attls_session_free(s);
	t = session(fd, server, blob, n);
	attls_handoff_free(blob, n);
	ck_assert_ptr_nonnull(t);
	return t;
}

static void run(bool tls12, const char *suite)
{
	struct attls_session *c, *s;
	char part[4];

	char err[128];
	ck_assert_int_eq(attls_wolf_load(err, sizeof(err)), 0);
	cctx = make_ctx(false, tls12, suite);
	sctx = make_ctx(true, tls12, suite);
	pairs();
	c = session(cfd, false, NULL, 0);
	s = session(sfd, true, NULL, 0);
	handshake(c, s);
	send_str(c, "ping");
	expect(s, "ping");

	/* Three records; the third reaches the client only in part. */
	send_str(s, "first-record;");
	send_str(s, "second-record;");
	relay(0);
	size_t two = waiting_for_client();
	send_str(s, "third-record, which is split");
	relay(0);
	relay(two + (waiting_for_client() - two) - 7);
	ck_assert_int_eq(attls_session_recv(c, part, 4, 0), 4);
	ck_assert_int_eq(memcmp(part, "firs", 4), 0);

	/* The client moves with plaintext pending and a record cut short. */
	c = move(c, cfd, false);
	relay(SIZE_MAX);
	expect(c, "t-record;second-record;third-record, which is split");

	/* The server moves too; then data both ways, a key update each way. */
	s = move(s, sfd, true);
	send_str(c, "after both moved");
	expect(s, "after both moved");
	if (!tls12) {
		ck_assert_int_eq(wolfSSL_update_keys(s->ssl), 1);
		send_str(s, "new keys from the server");
		expect(c, "new keys from the server");
		send_str(c, "answered under the client's new keys");
		expect(s, "answered under the client's new keys");
		/* A NewSessionTicket after the move, then data behind it. */
		ck_assert_int_eq(wolfSSL_send_SessionTicket(s->ssl), 1);
		send_str(s, "behind a ticket");
		expect(c, "behind a ticket");
	}
	/* close_notify from the moved client: the server reads the end. */
	ck_assert_int_eq(attls_session_shutdown(c, SHUT_WR), 0);
	relay(SIZE_MAX);
	char b;
	ssize_t r = -1;
	for (int i = 0; i < 100 && r < 0; i++) {
		r = attls_session_recv(s, &b, 1, 0);
		relay(SIZE_MAX);
	}
	ck_assert_int_eq(r, 0);
	attls_session_end(c, false);
	attls_session_free(c);
	attls_session_end(s, false);
	attls_session_free(s);
	wolfSSL_CTX_free(cctx);
	wolfSSL_CTX_free(sctx);
	close(cfd);
	close(rc);
	close(rs);
	close(sfd);
}

START_TEST(tls13_aes_gcm)
{
	run(false, "TLS13-AES128-GCM-SHA256");
}
END_TEST

START_TEST(tls13_chacha)
{
	run(false, "TLS13-CHACHA20-POLY1305-SHA256");
}
END_TEST

START_TEST(tls12_aes_gcm)
{
	run(true, "ECDHE-ECDSA-AES128-GCM-SHA256");
}
END_TEST

START_TEST(tls12_chacha)
{
	run(true, "ECDHE-ECDSA-CHACHA20-POLY1305");
}
END_TEST

/* A blob refused: another socket, another role, a cut or altered one. */
START_TEST(refused)
{
	struct attls_session *c, *s, *t;
	unsigned char *blob;
	size_t n;
	char err[128];

	ck_assert_int_eq(attls_wolf_load(err, sizeof(err)), 0);
	cctx = make_ctx(false, false, "TLS13-AES128-GCM-SHA256");
	sctx = make_ctx(true, false, "TLS13-AES128-GCM-SHA256");
	pairs();
	c = session(cfd, false, NULL, 0);
	s = session(sfd, true, NULL, 0);
	handshake(c, s);
	ck_assert_int_eq(attls_session_export(c, &blob, &n, true), 0);
	ck_assert_ptr_null(session(rc, false, blob, n));
	ck_assert_int_eq(errno, ESTALE);
	ck_assert_ptr_null(session(cfd, true, blob, n));
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_ptr_null(session(cfd, false, blob, n - 1));
	ck_assert_int_eq(errno, EINVAL);
	blob[0] ^= 1;
	ck_assert_ptr_null(session(cfd, false, blob, n));
	ck_assert_int_eq(errno, EINVAL);
	blob[0] ^= 1;
	/* Undone, the export leaves the session as it was. */
	attls_session_export_undo(c);
	send_str(c, "still here");
	expect(s, "still here");
	t = session(cfd, false, blob, n);
	ck_assert_ptr_nonnull(t);
	attls_handoff_free(blob, n);
	attls_session_end(t, false);
	attls_session_free(t);
	attls_session_end(c, false);
	attls_session_free(c);
	attls_session_end(s, false);
	attls_session_free(s);
	wolfSSL_CTX_free(cctx);
	wolfSSL_CTX_free(sctx);
	close(cfd);
	close(rc);
	close(rs);
	close(sfd);
}
END_TEST

Suite *handoff_suite(void)
{
	Suite *s = suite_create("handoff");
	TCase *tc = tcase_create("export-import");

	tcase_add_test(tc, tls13_aes_gcm);
	tcase_add_test(tc, tls13_chacha);
	tcase_add_test(tc, tls12_aes_gcm);
	tcase_add_test(tc, tls12_chacha);
	tcase_add_test(tc, refused);
	suite_add_tcase(s, tc);
	return s;
}
