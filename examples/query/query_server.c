// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * query_server PORT: a TCP server on 127.0.0.1:PORT that logs, for each
 * client, what attls made of its connection: the client certificate's
 * subject when attls runs TLS on it. It answers each client one line,
 * "hello SUBJECT" ("hello (no client certificate)" when the client sent
 * none; "hello" in clear text), and closes.
 *
 * It asks attls through the dynamic linker, so it runs unchanged, and
 * says so, without attls loaded: build it with -ldl only.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../include/attls.h"

typedef int (*query_fn)(int, struct attls_conn_info *);

static const char *state_name(int st)
{
	static const char *const names[] = { "none", "handshaking", "secure", "closing",
					     "failed", "refused" };

	return st >= 0 && st <= ATTLS_CONN_REFUSED ? names[st] : "?";
}

int main(int argc, char **argv)
{
	query_fn query = (query_fn)dlsym(RTLD_DEFAULT, "attls_query");
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, ls;

	if (argc != 2) {
		fprintf(stderr, "usage: query_server PORT\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 16) < 0) {
		perror("query_server");
		return 1;
	}
	printf("attls_query %s\n", query ? "found: attls is loaded" : "not found: no attls");
	for (;;) {
		struct attls_conn_info ci;
		char line[512], buf[256];
		int c = accept(ls, NULL, NULL);
		ssize_t n;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			return 1;
		}
		if (!query) {
			printf("client: clear text (attls not loaded)\n");
			snprintf(line, sizeof(line), "hello\n");
		} else if (query(c, &ci) < 0) {
			printf("client: attls_query: %s\n", strerror(errno));
			snprintf(line, sizeof(line), "hello\n");
		} else if (!ci.under_policy) {
			printf("client: not under policy (clear text)\n");
			snprintf(line, sizeof(line), "hello\n");
		} else {
			/* A read first: the handshake is done once data comes. */
			n = read(c, buf, sizeof(buf));
			query(c, &ci);
			printf("client: descriptor=%s state=%s protocol=%s cipher=%s subject=\"%s\" "
			       "serial=%s\n", ci.descriptor, state_name(ci.state), ci.protocol,
			       ci.cipher, ci.peer_subject, ci.peer_serial);
			/* No certificate: the policy does not ask one of clients. */
			snprintf(line, sizeof(line), "hello %s\n",
				 ci.peer_subject[0] ? ci.peer_subject :
				 ci.resumed ? "(a resumed session: its certificate is not shown again)" :
				 "(no client certificate)");
			if (n <= 0) {
				close(c);
				continue;
			}
		}
		if (write(c, line, strlen(line)) < 0)
			perror("write");
		close(c);
	}
}
