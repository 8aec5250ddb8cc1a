/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /proc/net/tcp and tcp6 parser of attls status (tools/procnet.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/procnet.h"
#include "helpers.h"

static void read_fixture(const char *name, int family, struct attls_tcp_sock **s, size_t *n)
{
	unsigned bad = 0;
	FILE *f = fopen(name, "r");

	ck_assert_ptr_nonnull(f);
	*s = NULL;
	*n = 0;
	ck_assert_int_eq(attls_procnet_read(f, family, s, n, &bad), 0);
	fclose(f);
}

static const char *addr4(const struct sockaddr_storage *ss, char *buf)
{
	const struct sockaddr_in *s4 = (const void *)ss;

	ck_assert_int_eq(ss->ss_family, AF_INET);
	inet_ntop(AF_INET, &s4->sin_addr, buf, INET_ADDRSTRLEN);
	sprintf(buf + strlen(buf), ":%u", ntohs(s4->sin_port));
	return buf;
}

static const char *addr6(const struct sockaddr_storage *ss, char *buf)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;

	ck_assert_int_eq(ss->ss_family, AF_INET6);
	buf[0] = '[';
	inet_ntop(AF_INET6, &s6->sin6_addr, buf + 1, INET6_ADDRSTRLEN);
	sprintf(buf + strlen(buf), "]:%u", ntohs(s6->sin6_port));
	return buf;
}

/* The fixtures are as an x86-64 (little-endian) kernel prints them. */
START_TEST(test_tcp4_fixture)
{
	struct attls_tcp_sock *s;
	char b[64];
	size_t n;

	read_fixture("fixtures/proc_net_tcp", AF_INET, &s, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(addr4(&s[0].local, b), "127.0.0.1:7800");
	ck_assert_str_eq(addr4(&s[0].remote, b), "0.0.0.0:0");
	ck_assert_uint_eq(s[0].state, ATTLS_TCP_LISTEN);
	ck_assert_uint_eq(s[0].inode, 41234);
	ck_assert_uint_eq(s[0].uid, 0);
	ck_assert_str_eq(addr4(&s[1].remote, b), "127.0.0.1:41394");
	ck_assert_uint_eq(s[1].state, ATTLS_TCP_ESTABLISHED);
	ck_assert_uint_eq(s[1].uid, 65534);
	ck_assert_uint_eq(s[1].inode, 41240);
	/* TIME_WAIT: no inode, no holder */
	ck_assert_str_eq(addr4(&s[2].local, b), "192.0.2.2:59852");
	ck_assert_str_eq(addr4(&s[2].remote, b), "203.0.113.80:80");
	ck_assert_uint_eq(s[2].state, 6);
	ck_assert_uint_eq(s[2].inode, 0);
	/* two-digit slot numbers shift the columns */
	ck_assert_str_eq(addr4(&s[3].local, b), "0.0.0.0:7802");
	ck_assert_uint_eq(s[3].uid, 108);
	ck_assert_uint_eq(s[3].inode, 41299);
	free(s);
}
END_TEST

START_TEST(test_tcp6_fixture)
{
	struct attls_tcp_sock *s;
	char b[80];
	size_t n;

	read_fixture("fixtures/proc_net_tcp6", AF_INET6, &s, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(addr6(&s[0].local, b), "[::]:8080");
	ck_assert_uint_eq(s[0].state, ATTLS_TCP_LISTEN);
	ck_assert_uint_eq(s[0].inode, 5678);
	ck_assert_str_eq(addr6(&s[1].local, b), "[::1]:8080");
	ck_assert_str_eq(addr6(&s[1].remote, b), "[::1]:54321");
	ck_assert_uint_eq(s[1].uid, 1000);
	ck_assert_str_eq(addr6(&s[2].local, b), "[::ffff:127.0.0.1]:8081");
	ck_assert_str_eq(addr6(&s[2].remote, b), "[2001:db8::5]:443");
	ck_assert_uint_eq(s[2].inode, 5701);
	free(s);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = {
		"   0: 0100007F:1E78 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0",
		"   0: 0100007G:1E78 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1",
		"   0: 0100007F-1E78 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1",
		"   0: 0100007F:1E78 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x 1",
		"   0 0100007F:1E78 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1",
		"   0: 0100007F:1E7 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1",
		"", "garbage",
	};
	struct attls_tcp_sock s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(attls_procnet_parse_line(bad[i], AF_INET, &s) == -1, "%s", bad[i]);
	/* an IPv4 line is not an IPv6 one */
	ck_assert_int_eq(attls_procnet_parse_line("   0: 0100007F:1E78 00000000:0000 0A "
						  "00000000:00000000 00:00000000 00000000 0 0 1 1",
						  AF_INET6, &s), -1);
	ck_assert_int_eq(attls_procnet_parse_line("  sl  local_address rem_address", AF_INET, &s),
			 0);
}
END_TEST

START_TEST(test_malformed_file)
{
	char path[160];
	struct attls_tcp_sock *s = NULL;
	size_t n = 0;
	unsigned bad = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tcp_bad", fixture_dir());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("  sl  local_address rem_address   st\n"
	      "   0: 0100007F:1E78 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7 1\n"
	      "   1: truncated\n", f);
	fclose(f);
	f = fopen(path, "r");
	ck_assert_int_eq(attls_procnet_read(f, AF_INET, &s, &n, &bad), -1);
	ck_assert_uint_eq(bad, 3);
	fclose(f);
	free(s);
}
END_TEST

/* The running kernel's table holds a socket just made, under its inode. */
START_TEST(test_live_kernel)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct attls_tcp_sock *s = NULL;
	struct stat st;
	unsigned bad = 0;
	size_t n = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), found = 0;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	f = fopen("/proc/net/tcp", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(attls_procnet_read(f, AF_INET, &s, &n, &bad), 0);
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		const struct sockaddr_in *l = (const void *)&s[i].local;

		if (s[i].inode != st.st_ino)
			continue;
		found = 1;
		ck_assert_uint_eq(s[i].state, ATTLS_TCP_LISTEN);
		ck_assert_uint_eq(l->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
		ck_assert_uint_eq(l->sin_port, a.sin_port);
		ck_assert_uint_eq(s[i].uid, geteuid());
	}
	ck_assert(found);
	free(s);
	close(fd);
}
END_TEST

Suite *procnet_suite(void)
{
	Suite *s = suite_create("procnet");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tcp4_fixture);
	tcase_add_test(tc, test_tcp6_fixture);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_malformed_file);
	tcase_add_test(tc, test_live_kernel);
	suite_add_tcase(s, tc);
	return s;
}
