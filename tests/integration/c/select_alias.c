/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * select with one fd_set passed for write and for except, as Perl's
 * IO::Socket::IP does for a connect with a timeout (the restrict
 * qualifiers of select forbid it; programs do it all the same): a non-blocking
 * connect, then select(n, NULL, &set, &set, 5 s). Prints the count
 * select returned and whether the fd is still set, then writes a request
 * and prints the first line of the reply.
 *   select_alias PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { 5, 0 };
	char buf[256];
	fd_set set;
	int fd, r, err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (argc != 2)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		perror("connect");
		return 1;
	}
	FD_ZERO(&set);
	FD_SET(fd, &set);
	r = select(fd + 1, NULL, &set, &set, &tv);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	printf("select=%d set=%d so_error=%d\n", r, FD_ISSET(fd, &set) ? 1 : 0, err);
	fcntl(fd, F_SETFL, 0);
	if (write(fd, "GET / HTTP/1.0\r\n\r\n", 18) != 18) {
		perror("write");
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	printf("reply=%s\n", buf);
	return 0;
}
