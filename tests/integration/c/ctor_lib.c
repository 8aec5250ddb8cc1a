/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A library whose constructor connects to 127.0.0.1:$CTOR_PORT and sends
 * a line, as a linked library may before attls's own constructor ran.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ctor_result = -2;

__attribute__((constructor)) static void ctor_connect(void)
{
	const char *port = getenv("CTOR_PORT");
	static const char line[] = "CTOR-SECRET from a constructor\n";
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	if (!port)
		return;
	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("ctor: connect");
		ctor_result = -1;
	} else if (send(fd, line, sizeof(line) - 1, 0) != (ssize_t)sizeof(line) - 1) {
		perror("ctor: send");
		ctor_result = -1;
	} else {
		ctor_result = 0;
	}
	if (fd >= 0)
		close(fd);
}
