/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the peer's certificate allows its key to do. Every suite attls
 * negotiates authenticates the peer by a signature (ECDHE, TLS 1.3
 * CertificateVerify), so a certificate whose keyUsage extension leaves
 * out digitalSignature does not vouch for this use of its key (RFC 5280
 * 4.2.1.3). wolfSSL checks this only for TLS 1.2 suites whose cipher names
 * a signature algorithm: the check is made here for every handshake, once
 * it is done and before any of the program's data moves. (The extended
 * key usage, serverAuth or clientAuth, wolfSSL checks itself.)
 */
#ifndef ATTLS_PEERUSAGE_H
#define ATTLS_PEERUSAGE_H

#include "wolf.h"

/* NULL when the peer's certificate (if any) allows signatures; else why not. */
const char *attls_peer_usage_refused(WOLFSSL *ssl);

#endif
