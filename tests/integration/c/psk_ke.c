/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A TLS 1.3 client on wolfSSL for resumption.sh: three requests to
 * 127.0.0.1:PORT, the second resuming the first's session as clients do
 * (psk_dhe_ke), the third offering it with psk_ke only (no fresh key
 * exchange). Prints "New Reused New" if the server resumed only the
 * second; each word is New or Reused, or "failed" if the request failed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

static const char *request(WOLFSSL_CTX *ctx, int port, WOLFSSL_SESSION **sess, int psk_ke)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	char buf[4096], page[8192] = "";
	size_t have = 0;
	const char *res = "failed";
	WOLFSSL *ssl;
	int fd, n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return res;
	ssl = wolfSSL_new(ctx);
	wolfSSL_set_fd(ssl, fd);
	if (*sess)
		wolfSSL_set_session(ssl, *sess);
	if (psk_ke)
		wolfSSL_no_dhe_psk(ssl);
	if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS ||
	    wolfSSL_write(ssl, req, (int)strlen(req)) != (int)strlen(req))
		goto out;
	while ((n = wolfSSL_read(ssl, buf, sizeof(buf))) > 0 && have + (size_t)n < sizeof(page)) {
		memcpy(page + have, buf, (size_t)n);
		have += (size_t)n;
		page[have] = '\0';
	}
	if (!strstr(page, "200 OK"))
		goto out;
	res = wolfSSL_session_reused(ssl) ? "Reused" : "New";
	if (!*sess)
		*sess = wolfSSL_get1_session(ssl);
out:
	wolfSSL_free(ssl);
	close(fd);
	return res;
}

int main(int argc, char **argv)
{
	WOLFSSL_CTX *ctx;
	WOLFSSL_SESSION *sess = NULL;
	int port;

	if (argc != 3) {
		fprintf(stderr, "usage: psk_ke PORT CAFILE\n");
		return 2;
	}
	port = atoi(argv[1]);
	wolfSSL_Init();
	ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
	if (!ctx || wolfSSL_CTX_load_verify_locations(ctx, argv[2], NULL) != WOLFSSL_SUCCESS)
		return 1;
	printf("%s", request(ctx, port, &sess, 0));
	printf(" %s", request(ctx, port, &sess, 0));
	printf(" %s\n", request(ctx, port, &sess, 1));
	return 0;
}
