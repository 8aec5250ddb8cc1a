/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secure_probe LIB PORT: loads the attls library with dlopen (ld.so takes
 * no LD_PRELOAD path in secure-execution mode, dlopen takes one), then
 * connects to 127.0.0.1:PORT through the library's hooks and writes
 * "hello\n". Prints AT_SECURE and the outcome.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int (*conn)(int, const struct sockaddr *, socklen_t);
	ssize_t (*wr)(int, const void *, size_t);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	void *h;
	int fd;

	if (argc != 3)
		return 2;
	printf("secure=%lu\n", getauxval(AT_SECURE));
	fflush(stdout);
	h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 2;
	}
	conn = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(h, "connect");
	wr = (ssize_t (*)(int, const void *, size_t))dlsym(h, "write");
	if (!conn || !wr)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || conn(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		printf("connect failed\n");
		return 1;
	}
	printf("write=%zd\n", wr(fd, "hello\n", 6));
	return 0;
}
