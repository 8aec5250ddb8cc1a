/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Choosing the traffic descriptor for a connection. */
#ifndef ATTLS_MATCH_H
#define ATTLS_MATCH_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "policy.h"

/* Criteria a query leaves open (attls query): they match anything. */
enum attls_unknown {
	ATTLS_UNKNOWN_LPORT = 1,
	ATTLS_UNKNOWN_RPORT = 2,
	ATTLS_UNKNOWN_LADDR = 4,
	ATTLS_UNKNOWN_RADDR = 8,
	ATTLS_UNKNOWN_JOB = 16,
	ATTLS_UNKNOWN_USER = 32,
};

struct attls_match_conn {
	unsigned direction; /* ATTLS_DIR_INBOUND or ATTLS_DIR_OUTBOUND */
	unsigned unknown;   /* enum attls_unknown bits; 0 for a real connection */
	struct sockaddr_storage local, remote;
	const char *jobname;
	const char *user; /* the effective user's name, or NULL if unknown */
	uid_t uid;
};

/*
 * The descriptor a connection maps to, or NULL. Among the descriptors
 * that match, one with enabled = no wins (an exemption); otherwise the
 * highest priority, then the first in the file.
 */
const struct attls_traffic *attls_match(const struct attls_policy *p,
					const struct attls_match_conn *c);

/* Whether one descriptor's criteria all hold for the connection. */
int attls_traffic_matches(const struct attls_traffic *t,
			  const struct attls_match_conn *c);

/*
 * Whether a descriptor with a user name criterion (a glob, not a uid or
 * "*") matches the connection in everything else: when the user's name
 * cannot be looked up, such a connection is refused.
 */
/*
 * Whether any enabled descriptor with a key ring can match a process of
 * job jobname, whatever its user, addresses and ports: when none can, the
 * process never needs a TLS context (engine.c reads no key). The job name
 * is fixed for the life of the process; the user is not (a daemon drops
 * from root), so it is not looked at.
 */
bool attls_job_needs_tls(const struct attls_policy *p, const char *jobname);

bool attls_user_criterion_applies(const struct attls_policy *p,
				  const struct attls_match_conn *c);

/* "addr:port", with IPv6 in brackets. */
const char *attls_format_addr(const struct sockaddr_storage *ss, char *buf,
			      size_t len);

#endif
