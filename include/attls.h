/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls's interface for programs that want to know what attls made of a
 * socket. Call it through the dynamic linker, so that the program runs
 * unchanged without attls:
 *
 *   int (*q)(int, struct attls_conn_info *) =
 *           (int (*)(int, struct attls_conn_info *))dlsym(RTLD_DEFAULT, "attls_query");
 *   struct attls_conn_info ci;
 *   if (q && q(fd, &ci) == 0 && ci.state == ATTLS_CONN_SECURE)
 *           printf("%s\n", ci.peer_subject);
 *
 * Nothing here calls into attls or links with it.
 */
#ifndef ATTLS_H
#define ATTLS_H

#ifdef __cplusplus
extern "C" {
#endif

#define ATTLS_QUERY_VERSION 1

enum attls_conn_state {
	ATTLS_CONN_NONE = 0,  /* not under policy: clear text, exempt, not a TCP socket */
	ATTLS_CONN_HANDSHAKE, /* under policy, the handshake not done yet */
	ATTLS_CONN_SECURE,    /* under policy, records flowing */
	ATTLS_CONN_CLOSING,   /* under policy, its end has begun */
	ATTLS_CONN_FAILED,    /* under policy, the handshake or a record failed */
	ATTLS_CONN_REFUSED,   /* under policy, refused: its calls fail with ECONNRESET */
};

enum attls_conn_direction {
	ATTLS_CONN_INBOUND = 1,
	ATTLS_CONN_OUTBOUND = 2,
};

struct attls_conn_info {
	int version;          /* ATTLS_QUERY_VERSION */
	int under_policy;     /* 1: a descriptor covers it and attls runs its TLS */
	int state;            /* enum attls_conn_state */
	int direction;        /* enum attls_conn_direction, 0 if not under policy */
	int resumed;          /* 1: the handshake resumed a session */
	char descriptor[64];  /* the traffic descriptor's name */
	char protocol[16];    /* "TLSv1.3" */
	char cipher[64];      /* "TLS_AES_128_GCM_SHA256" */
	/*
	 * "CN=client,O=Example"; "" when the peer sent none, or when the
	 * session was resumed (resumed = 1): a resumed session's peer shows no
	 * certificate again; it was verified, and checked against allow_peer,
	 * by the handshake that made the session, to which tickets are bound.
	 */
	char peer_subject[256];
	char peer_serial[80]; /* hex, colon separated */
};

/*
 * What attls knows of fd, into *out (all of it written). Returns 0, or -1
 * with errno: EBADF when fd is not an open descriptor, EFAULT when out is
 * NULL.
 */
int attls_query(int fd, struct attls_conn_info *out);

#ifdef __cplusplus
}
#endif

#endif
