/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A program linked with Debian's libwolfssl that uses it itself, in the
 * same process as clear-text connections that attls makes TLS:
 *   own_wolfssl own-first|attls-first|extra-cleanup OWN_PORT ATTLS_PORT CA
 * OWN_PORT is an HTTPS server the policy does not cover, reached with the
 * program's own wolfSSL: wolfSSL_Init, a verified connection, a GET, then
 * wolfSSL_Cleanup. ATTLS_PORT is a TLS line-echo server the policy covers,
 * reached in clear text.
 * own-first: the program's own TLS, then a connection through attls.
 * attls-first: connection A through attls, the program's own TLS, A again,
 * a new connection B, then a last line on A and a return from main with A
 * still open (attls ends it at exit).
 * extra-cleanup: connection A through attls, the program's own TLS, then
 * one wolfSSL_Cleanup more than its wolfSSL_Init (as a library's teardown
 * that runs twice would), A again and a new connection B.
 * Prints "ok ..." lines; on a failure "FAIL ..." and exits 2.
 */
#include <dlfcn.h>
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include "util.h"

static const char *tag;

static void bad(const char *what, const char *detail)
{
	printf("FAIL %s: %s\n", what, detail);
	fflush(stdout);
	exit(2);
}

/* Sends "TAG NAME\n" on fd and expects the same line back. */
static void echo(int fd, const char *name)
{
	char line[256], got[256];
	size_t len, n = 0;

	len = (size_t)snprintf(line, sizeof(line), "%s %s\n", tag, name);
	if (write(fd, line, len) != (ssize_t)len)
		die("write to the attls connection");
	while (n < len) {
		ssize_t r = read(fd, got + n, len - n);

		if (r < 0)
			die("read from the attls connection");
		if (r == 0)
			bad("attls connection", "ended before the echo");
		n += (size_t)r;
	}
	if (memcmp(got, line, len))
		bad("attls connection", "the echo differs");
	printf("ok attls %s echoed\n", name);
	fflush(stdout);
}

static void own_tls(int port, const char *ca)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	char reply[512];
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl;
	Dl_info di;
	int fd, r, n = 0;

	if (wolfSSL_Init() != WOLFSSL_SUCCESS)
		bad("own wolfSSL", "wolfSSL_Init failed");
	if (!dladdr((void *)wolfSSL_new, &di) || !di.dli_fname)
		bad("own wolfSSL", "dladdr(wolfSSL_new) found no object");
	printf("own: wolfSSL_new in %s, wolfSSL %s\n", di.dli_fname, wolfSSL_lib_version());
	ctx = wolfSSL_CTX_new(wolfTLS_client_method());
	if (!ctx)
		bad("own wolfSSL", "wolfSSL_CTX_new failed");
	if (wolfSSL_CTX_load_verify_locations(ctx, ca, NULL) != WOLFSSL_SUCCESS)
		bad("own wolfSSL", "cannot load the CA");
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
	ssl = wolfSSL_new(ctx);
	if (!ssl || wolfSSL_check_domain_name(ssl, "localhost") != WOLFSSL_SUCCESS)
		bad("own wolfSSL", "wolfSSL_new failed");
	fd = dial(port);
	wolfSSL_set_fd(ssl, fd);
	if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
		char e[WOLFSSL_MAX_ERROR_SZ];

		bad("own wolfSSL handshake",
		    wolfSSL_ERR_error_string((unsigned long)wolfSSL_get_error(ssl, 0), e));
	}
	if (wolfSSL_write(ssl, req, sizeof(req) - 1) != (int)sizeof(req) - 1)
		bad("own wolfSSL", "write failed");
	while (n < (int)sizeof(reply) - 1 &&
	       (r = wolfSSL_read(ssl, reply + n, (int)sizeof(reply) - 1 - n)) > 0)
		n += r;
	reply[n] = 0;
	if (strncmp(reply, "HTTP/1.0 200", 12))
		bad("own wolfSSL", "no HTTP/1.0 200 reply");
	printf("ok own wolfSSL: %s %s, %.*s\n", wolfSSL_get_version(ssl),
	       wolfSSL_get_cipher_name(ssl), (int)strcspn(reply, "\r\n"), reply);
	wolfSSL_shutdown(ssl);
	wolfSSL_free(ssl);
	close(fd);
	wolfSSL_CTX_free(ctx);
	if (wolfSSL_Cleanup() != WOLFSSL_SUCCESS)
		bad("own wolfSSL", "wolfSSL_Cleanup failed");
	printf("ok own wolfSSL cleaned up\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int own, port, a, b;

	if (argc != 5)
		return 2;
	own = atoi(argv[2]);
	port = atoi(argv[3]);
	tag = argv[1];
	if (!strcmp(argv[1], "own-first")) {
		own_tls(own, argv[4]);
		a = dial(port);
		echo(a, "A1");
		close(a);
	} else if (!strcmp(argv[1], "attls-first")) {
		a = dial(port);
		echo(a, "A1");
		own_tls(own, argv[4]);
		echo(a, "A2");
		b = dial(port);
		echo(b, "B1");
		close(b);
		/* The peer does not answer "last": nothing is left unread. */
		if (write(a, "last attls-first\n", 17) != 17)
			die("write the last line");
		printf("ok returning with A open\n");
	} else if (!strcmp(argv[1], "extra-cleanup")) {
		a = dial(port);
		echo(a, "A1");
		own_tls(own, argv[4]);
		if (wolfSSL_Cleanup() != WOLFSSL_SUCCESS)
			bad("own wolfSSL", "the extra wolfSSL_Cleanup failed");
		printf("ok one more wolfSSL_Cleanup\n");
		echo(a, "A2");
		b = dial(port);
		echo(b, "B1");
		close(b);
		close(a);
	} else {
		return 2;
	}
	printf("done\n");
	return 0;
}
