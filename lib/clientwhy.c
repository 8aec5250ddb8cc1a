/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certid.h"
#include "clientwhy.h"

static bool text_byte(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t';
}

const char *attls_not_tls_reason(const unsigned char *b, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char shown[4 * ATTLS_FIRST_BYTES + 4];
	size_t o = 0, i;
	bool text = true;

	if (!n || !len)
		return NULL;
	if (n > ATTLS_FIRST_BYTES)
		n = ATTLS_FIRST_BYTES;
	/* A record header: a type of TLS (alerts too) and major version 3. */
	if (b[0] >= 20 && b[0] <= 23 && (n < 2 || b[1] == 3))
		return NULL;
	/* Text: a first line of printable ASCII (what follows may be anything). */
	for (i = 0; i < n && b[i] != '\r' && b[i] != '\n'; i++)
		text = text && text_byte(b[i]);
	o = 0;
	if (text && i > 0) {
		/* Its first line: what an operator would recognise. */
		for (i = 0; i < n && b[i] != '\r' && b[i] != '\n'; i++) {
			unsigned char c = b[i];

			if (c == '"' || c == '\\' || c == '\t') {
				shown[o++] = '\\';
				shown[o++] = 'x';
				shown[o++] = hex[c >> 4];
				shown[o++] = hex[c & 15];
			} else {
				shown[o++] = (char)c;
			}
		}
		shown[o] = '\0';
		/* The line may go on past what was kept. */
		snprintf(buf, len, "the server does not speak TLS: it answered with \"%s%s\" "
			 "(clear text)", shown, i == ATTLS_FIRST_BYTES ? "..." : "");
		return buf;
	}
	/* Not text: its first bytes in hex, a few only. */
	for (i = 0; i < n && i < 16; i++) {
		shown[o++] = hex[b[i] >> 4];
		shown[o++] = hex[b[i] & 15];
		shown[o++] = ' ';
	}
	shown[o ? o - 1 : 0] = '\0';
	snprintf(buf, len, "the server does not speak TLS: it answered with %s%s (garbage)",
		 shown, n > 16 ? " ..." : "");
	return buf;
}

const char *attls_name_mismatch_reason(WOLFSSL *ssl, const char *server_name, char *buf,
				       size_t len)
{
	WOLFSSL_X509 *x = wolfSSL_get_peer_certificate(ssl);
	struct attls_peer_id *id = x ? malloc(sizeof(*id)) : NULL; /* 3 KiB: off the stack */
	const unsigned char *der;
	char names[256];
	int dl = 0;

	der = x ? wolfSSL_X509_get_der(x, &dl) : NULL;
	if (!id || !der || dl <= 0 || attls_cert_id(der, (size_t)dl, id) < 0) {
		free(id);
		if (x)
			wolfSSL_X509_free(x);
		return NULL;
	}
	attls_cert_names_str(id, names, sizeof(names));
	free(id);
	wolfSSL_X509_free(x);
	snprintf(buf, len, "the server's certificate does not name \"%s\" (server_name): it "
		 "names %s", server_name ? server_name : "?", names);
	return buf;
}
