/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls check's warnings: what loads and runs, but will fail or does
 * nothing. Each is "FILE:LINE: warning: message" in warns, at the line of
 * the key or section it is about. Only attls check calls these, in one
 * thread that does not fork: a program under attls never does. The only
 * shared state they reach is pkcs11.c's table of open tokens (a key ring's
 * certificate on a token), under that file's own lock.
 */
#ifndef ATTLS_CHECKWARN_H
#define ATTLS_CHECKWARN_H

#include "policy.h"

/* The days before a certificate's end that it is warned about. */
#define ATTLS_WARN_EXPIRY_DAYS 30
/* The most descriptors compared pairwise for shadowing (n^2/2 pairs). */
#define ATTLS_WARN_SHADOW_MAX 5000

/*
 * From the policy alone (--no-keys too): descriptors shadowed entirely
 * by one that wins over them, and key rings and security levels no
 * enabled descriptor names.
 */
void attls_warn_policy(const struct attls_policy *p, struct attls_errors *warns);

/*
 * From the certificates (reads the files and tokens the key rings name):
 * expired or expiring within ATTLS_WARN_EXPIRY_DAYS, RSA keys under 2048
 * bits, SHA-1 signatures, and the server certificate's names.
 */
void attls_warn_certs(const struct attls_policy *p, struct attls_errors *warns);

#endif
