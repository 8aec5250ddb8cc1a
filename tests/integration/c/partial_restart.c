/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A blocking recv(MSG_WAITALL) of 1 MiB on 127.0.0.1:PORT while the peer
 * sends 64 KiB and then waits, and a one-shot timer fires at 300 ms with
 * a handler installed with SA_RESTART: the kernel restarts nothing once
 * bytes moved, it returns them. Prints "recv=N after_ms=M".
 *   partial_restart PORT
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval it = { { 0, 0 }, { 0, 300000 } };
	static char buf[1 << 20];
	struct timespec t0, t1;
	ssize_t n;
	int fd;

	if (argc != 2)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		return 1;
	}
	sigaction(SIGALRM, &act, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setitimer(ITIMER_REAL, &it, NULL);
	n = recv(fd, buf, sizeof(buf), MSG_WAITALL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("recv=%zd after_ms=%ld\n", n,
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	close(fd);
	return 0;
}
