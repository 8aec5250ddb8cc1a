/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's table of TCP sockets: /proc/net/tcp and /proc/net/tcp6. */
#ifndef ATTLS_PROCNET_H
#define ATTLS_PROCNET_H

#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The states attls status looks at (the kernel's TCP_* numbers). */
enum {
	ATTLS_TCP_ESTABLISHED = 0x01,
	ATTLS_TCP_LISTEN = 0x0a,
};

struct attls_tcp_sock {
	struct sockaddr_storage local, remote;
	unsigned state;      /* the kernel's TCP state number */
	unsigned long inode; /* 0 for a socket no fd holds (TIME_WAIT) */
	uid_t uid;           /* the socket's creator */
};

/*
 * One line of /proc/net/tcp (family AF_INET) or tcp6 (AF_INET6) into
 * *out. Returns 1 for a socket, 0 for the header line, -1 for a line that
 * is neither (the file is not what it should be).
 */
int attls_procnet_parse_line(const char *line, int family, struct attls_tcp_sock *out);

/*
 * Every socket of f, appended to *socks (*n of them, realloc'ed). Returns
 * 0, or -1 with errno (EINVAL: a malformed line, *bad_line its number).
 */
int attls_procnet_read(FILE *f, int family, struct attls_tcp_sock **socks, size_t *n,
		       unsigned *bad_line);

#endif
