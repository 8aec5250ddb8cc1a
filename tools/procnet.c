/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/net/tcp and tcp6, as the kernel prints them (net/ipv4/tcp_ipv4.c,
 * net/ipv6/tcp_ipv6.c): "sl: LOCAL REMOTE st tx:rx tr:when retr uid
 * timeout inode ...", an address being the 32-bit words of the address as
 * they lie in memory, each printed as a native-endian %08X, and the port a
 * host-order %04X.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procnet.h"

/* n hex digits at *s into *v; moves *s past them. */
static int hex_word(const char **s, int n, uint32_t *v)
{
	uint32_t x = 0;

	for (int i = 0; i < n; i++) {
		char c = (*s)[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		x = x << 4 | (uint32_t)d;
	}
	*s += n;
	*v = x;
	return 0;
}

/* "ADDR:PORT" followed by a blank, into ss. */
static int endpoint(const char **s, int family, struct sockaddr_storage *ss)
{
	uint32_t w[4], port;
	int words = family == AF_INET ? 1 : 4;

	for (int i = 0; i < words; i++)
		if (hex_word(s, 8, &w[i]) < 0)
			return -1;
	if (**s != ':')
		return -1;
	(*s)++;
	if (hex_word(s, 4, &port) < 0 || **s != ' ')
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, &w[0], 4);
		s4->sin_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, w, 16);
		s6->sin6_port = htons((uint16_t)port);
	}
	return 0;
}

static const char *blanks(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* A decimal field into *v; moves *s past it and the blanks after it. */
static int decimal(const char **s, unsigned long *v)
{
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	*v = strtoul(*s, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -1;
	*s = blanks(end);
	return 0;
}

/* A field of non-blanks (the queues and timers attls does not need). */
static int skip_field(const char **s)
{
	const char *p = *s;

	while (*p && *p != ' ' && *p != '\n')
		p++;
	if (p == *s)
		return -1;
	*s = blanks(p);
	return 0;
}

int attls_procnet_parse_line(const char *line, int family, struct attls_tcp_sock *out)
{
	const char *s = blanks(line);
	unsigned long sl, uid, timeout, inode;
	uint32_t st;
	char *end;

	if (!strncmp(s, "sl ", 3))
		return 0;
	if (family != AF_INET && family != AF_INET6)
		return -1;
	/* "sl:" then a blank */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	sl = strtoul(s, &end, 10);
	if (errno || *end != ':' || end[1] != ' ')
		return -1;
	s = blanks(end + 1);
	if (endpoint(&s, family, &out->local) < 0)
		return -1;
	s = blanks(s);
	if (endpoint(&s, family, &out->remote) < 0)
		return -1;
	s = blanks(s);
	if (hex_word(&s, 2, &st) < 0 || *s != ' ')
		return -1;
	s = blanks(s);
	/* tx_queue:rx_queue, tr:tm->when, retrnsmt */
	for (int i = 0; i < 3; i++)
		if (skip_field(&s) < 0)
			return -1;
	if (decimal(&s, &uid) < 0 || decimal(&s, &timeout) < 0 || decimal(&s, &inode) < 0)
		return -1;
	(void)sl;
	(void)timeout;
	out->state = st;
	out->uid = (uid_t)uid;
	out->inode = inode;
	return 1;
}

int attls_procnet_read(FILE *f, int family, struct attls_tcp_sock **socks, size_t *n,
		       unsigned *bad_line)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned no = 0;
	int rc = 0;

	while (getline(&line, &cap, f) > 0) {
		struct attls_tcp_sock s;
		int r;

		no++;
		r = attls_procnet_parse_line(line, family, &s);
		if (r < 0) {
			*bad_line = no;
			errno = EINVAL;
			rc = -1;
			break;
		}
		if (r == 0)
			continue;
		struct attls_tcp_sock *more = realloc(*socks, (*n + 1) * sizeof(**socks));

		if (!more) {
			rc = -1;
			break;
		}
		*socks = more;
		(*socks)[(*n)++] = s;
	}
	if (!rc && ferror(f)) {
		errno = EIO;
		rc = -1;
	}
	free(line);
	return rc;
}
