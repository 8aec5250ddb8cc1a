/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A TLS 1.3 client (OpenSSL) that floods its server with KeyUpdates:
 *   keyupdate_storm PORT CA COUNT
 * After the handshake it sends COUNT KeyUpdate messages, each asking the
 * server to update its keys too, then one line, and reads until the line
 * comes back (after the server's greeting) or the connection ends.
 * Prints "echoed after N key updates" or "ended after N key updates:
 * REASON"; exits 0 either way, 2 if the handshake itself failed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char line[] = "after the storm\n";

static void ended(int n, const char *why)
{
	char err[256];

	ERR_error_string_n(ERR_get_error(), err, sizeof(err));
	printf("ended after %d key updates: %s (%s)\n", n, why, err);
	exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 10 };
	char buf[4096];
	size_t have = 0;
	int fd, n, count;
	SSL_CTX *ctx;
	SSL *ssl;

	if (argc != 4) {
		fprintf(stderr, "usage: keyupdate_storm PORT CA COUNT\n");
		return 2;
	}
	count = atoi(argv[3]);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		return 2;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_load_verify_locations(ctx, argv[2], NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	SSL_set_tlsext_host_name(ssl, "localhost");
	SSL_set1_host(ssl, "localhost");
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		printf("handshake failed\n");
		return 2;
	}
	for (n = 0; n < count; n++) {
		/* SSL_do_handshake sends the KeyUpdate SSL_key_update queued. */
		if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1 || SSL_do_handshake(ssl) != 1)
			ended(n, "sending a KeyUpdate failed");
	}
	if (SSL_write(ssl, line, (int)strlen(line)) != (int)strlen(line))
		ended(n, "write failed");
	/* Reading also takes the server's KeyUpdates in answer. */
	while (!memmem(buf, have, line, strlen(line))) {
		int r;

		if (have == sizeof(buf))
			have = 0;
		r = SSL_read(ssl, buf + have, (int)(sizeof(buf) - have));
		if (r <= 0)
			ended(n, "read ended before the echo");
		have += (size_t)r;
	}
	printf("echoed after %d key updates\n", n);
	SSL_shutdown(ssl);
	close(fd);
	return 0;
}
