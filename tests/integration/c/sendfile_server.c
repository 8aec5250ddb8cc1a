/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A server that sends a file with blocking sendfile, as Python's
 * socket.sendfile() and many daemons do: each call's result is added up
 * until the end of the file, and a 0 before the end is what every such
 * program takes for the end of the file. Serves one connection.
 *   sendfile_server PORT FILE
 * Prints "sent N of SIZE in CALLS calls" or where it stopped and why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct stat st;
	off_t off = 0;
	long calls = 0;
	int ls, c, in, one = 1;

	if (argc != 3)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	in = open(argv[2], O_RDONLY);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (in < 0 || fstat(in, &st) < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 1) < 0) {
		perror("setup");
		return 1;
	}
	c = accept(ls, NULL, NULL);
	if (c < 0) {
		perror("accept");
		return 1;
	}
	while (off < st.st_size) {
		ssize_t n = sendfile(c, in, &off, (size_t)(st.st_size - off));

		calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			printf("stopped at %lld of %lld: sendfile returned %zd (%s)\n",
			       (long long)off, (long long)st.st_size, n, n ? strerror(errno) : "EOF");
			close(c);
			return 1;
		}
	}
	printf("sent %lld of %lld in %ld calls\n", (long long)off, (long long)st.st_size, calls);
	close(c);
	return 0;
}
