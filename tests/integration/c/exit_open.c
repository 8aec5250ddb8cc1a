/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes FILE to 127.0.0.1:PORT, then ends without closing the socket:
 * "exit" calls exit(0), "return" returns from main. Natively the kernel
 * closes the socket and the peer gets every byte, then the end.
 *   exit_open PORT FILE exit|return
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static char buf[65536];
	ssize_t n;
	int fd, in;

	if (argc != 4)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	in = open(argv[2], O_RDONLY);
	if (in < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("setup");
		return 1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));

			if (w < 0) {
				perror("write");
				return 1;
			}
			off += w;
		}
	printf("wrote all, ending with %s, the socket open\n", argv[3]);
	fflush(stdout);
	if (!strcmp(argv[3], "exit"))
		exit(0);
	return 0;
}
