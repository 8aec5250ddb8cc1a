/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A program linked with OpenSSL that uses it itself, in the same process
 * as clear-text connections that attls makes TLS:
 *   own_openssl plain|cleanup-exit OWN_PORT ATTLS_PORT CA
 * OWN_PORT is an HTTPS server the policy does not cover, reached with the
 * program's own OpenSSL (a verified connection and a GET). ATTLS_PORT is
 * a TLS line-echo server the policy covers, reached in clear text.
 * plain: connection A through attls, the program's own TLS, A again, then
 * A closed.
 * cleanup-exit: the same, then a new connection B, a last line on A,
 * OPENSSL_cleanup() and a return from main with A still open (attls ends
 * it at exit).
 * Prints "ok ..." lines; on a failure "FAIL ..." and exits 2.
 */
#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
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
	SSL_CTX *ctx;
	SSL *ssl;
	Dl_info di;
	int fd, r, n = 0;

	if (!dladdr((void *)SSL_new, &di) || !di.dli_fname)
		bad("own OpenSSL", "dladdr(SSL_new) found no object");
	printf("own: SSL_new in %s, %s\n", di.dli_fname, OpenSSL_version(OPENSSL_VERSION));
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		bad("own OpenSSL", "cannot set up the context");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set1_host(ssl, "localhost") != 1 ||
	    SSL_set_tlsext_host_name(ssl, "localhost") != 1)
		bad("own OpenSSL", "SSL_new failed");
	fd = dial(port);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		bad("own OpenSSL handshake", ERR_error_string(ERR_get_error(), NULL));
	if (SSL_write(ssl, req, sizeof(req) - 1) != (int)sizeof(req) - 1)
		bad("own OpenSSL", "write failed");
	while (n < (int)sizeof(reply) - 1 &&
	       (r = SSL_read(ssl, reply + n, (int)sizeof(reply) - 1 - n)) > 0)
		n += r;
	reply[n] = 0;
	if (strncmp(reply, "HTTP/1.0 200", 12))
		bad("own OpenSSL", "no HTTP/1.0 200 reply");
	printf("ok own OpenSSL: %s %s, %.*s\n", SSL_get_version(ssl),
	       SSL_get_cipher_name(ssl), (int)strcspn(reply, "\r\n"), reply);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
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
	if (strcmp(tag, "plain") && strcmp(tag, "cleanup-exit"))
		return 2;
	a = dial(port);
	echo(a, "A1");
	own_tls(own, argv[4]);
	echo(a, "A2");
	if (!strcmp(tag, "plain")) {
		close(a);
		printf("done\n");
		return 0;
	}
	b = dial(port);
	echo(b, "B1");
	close(b);
	/* The peer does not answer "last": nothing is left unread. */
	if (write(a, "last cleanup-exit\n", 18) != 18)
		die("write the last line");
	OPENSSL_cleanup();
	printf("ok OPENSSL_cleanup done, returning with A open\n");
	printf("done\n");
	return 0;
}
