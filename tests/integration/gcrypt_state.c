/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A program with libgcrypt of its own, set up as GnuPG sets it up: it prints
 * its libgcrypt's state, which must be the same with attls and without.
 *
 *   gcrypt_state [fips] [connect PORT...]
 *
 * connect: first fetches "GET /" over each PORT on 127.0.0.1 (through attls,
 * TLS), from a thread of its own each, and once more from a forked child,
 * printing "reply PORT: FIRST LINE" to stderr; then initialises libgcrypt.
 * fips: asks for FIPS mode before initialising.
 */
#include <arpa/inet.h>
#include <gcrypt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int fetch(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	struct timeval tv = { .tv_sec = 10 };
	const char req[] = "GET / HTTP/1.0\r\n\r\n";
	char buf[256];
	ssize_t n;
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		fprintf(stderr, "reply %d: none (connect or write failed)\n", port);
		return -1;
	}
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	fprintf(stderr, "reply %d: %s\n", port, buf);
	close(fd);
	return strncmp(buf, "HTTP/1.0 200", 12) ? -1 : 0;
}

/* How many copies of libgcrypt the process has loaded (its own, attls's). */
static int copies(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');

		/* The first mapping of each copy has file offset 0. */
		if (strstr(line, "/libgcrypt.so") && sp && !strncmp(sp + 6, "00000000 ", 9))
			n++;
	}
	if (f)
		fclose(f);
	return n;
}

static void *fetch_thread(void *port)
{
	return (void *)(long)fetch(*(int *)port);
}

int main(int argc, char **argv)
{
	int ports[16], nports = 0, fips = 0, bad = 0;
	pthread_t t[16];
	void *p;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "fips"))
			fips = 1;
		else if (!strcmp(argv[i], "connect"))
			continue;
		else if (nports < 16)
			ports[nports++] = atoi(argv[i]);
	}
	for (int i = 0; i < nports; i++)
		bad |= pthread_create(&t[i], NULL, fetch_thread, &ports[i]) != 0;
	for (int i = 0; i < nports; i++) {
		void *r = NULL;

		bad |= pthread_join(t[i], &r) != 0 || r != NULL;
	}
	if (nports) {
		pid_t pid = fork();
		int st = 0;

		if (pid == 0)
			_exit(fetch(ports[0]) ? 1 : 0);
		bad |= pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st);
		fprintf(stderr, "connections: %s\n", bad ? "failed" : "ok");
	}

	/* What GnuPG does, and what a program wanting FIPS mode does first. */
	fprintf(stderr, "libgcrypt copies: %d\n", copies());
	printf("initialised before: %d\n", !!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P));
	printf("any initialisation before: %d\n", !!gcry_control(GCRYCTL_ANY_INITIALIZATION_P));
	if (fips)
		printf("force fips: %u\n", gcry_err_code(gcry_control(GCRYCTL_FORCE_FIPS_MODE, 0)));
	printf("version: %s\n", gcry_check_version(GCRYPT_VERSION) ? "ok" : "refused");
	printf("init secmem: %u\n", gcry_err_code(gcry_control(GCRYCTL_INIT_SECMEM, 32768, 0)));
	printf("finished: %u\n", gcry_err_code(gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0)));
	p = gcry_malloc_secure(64);
	printf("malloc_secure: %s, is_secure: %d\n", p ? "ok" : "failed", p ? gcry_is_secure(p) : -1);
	gcry_free(p);
	printf("fips mode: %d\n", !!gcry_control(GCRYCTL_FIPS_MODE_P));
	printf("initialised after: %d\n", !!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P));
	return bad;
}
