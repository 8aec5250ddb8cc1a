/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a leaf certificate says of its holder, for allow_peer: the
 * subject's CN, O, OU, C, ST and L entries and the subjectAltName's DNS,
 * URI, email and IP names, read from the certificate's DER (the bytes the
 * peer sent and wolfSSL verified), and its SHA-256. Read here rather than
 * from wolfSSL's X509 object because this build of wolfSSL keeps no IP
 * SANs, and one reader gives one answer whatever wolfSSL is built with.
 * The fields point into der, which must outlive id.
 */
#ifndef ATTLS_CERTID_H
#define ATTLS_CERTID_H

#include <stddef.h>

#include "allowpeer.h"

/* 0, or -1 when der is not a certificate this reader can walk. */
int attls_cert_id(const unsigned char *der, size_t len, struct attls_peer_id *id);

/*
 * The SANs of id as one log field, "DNS:a,URI:b,IP:10.0.0.1,EMAIL:c":
 * printable ASCII, each of " \ , and every byte outside 0x21-0x7e in a
 * value written \xNN; cut with "..." if it does not fit.
 */
const char *attls_cert_sans_str(const struct attls_peer_id *id, char *out, size_t len);

/*
 * The names a server's certificate could be checked against, as one log
 * field: its subject's CNs, then its DNS and IP SANs, "CN=a, DNS:b,
 * IP:10.0.0.1", escaped as attls_cert_sans_str escapes a value; "no DNS
 * or IP name and no CN" when it has none.
 */
const char *attls_cert_names_str(const struct attls_peer_id *id, char *out, size_t len);

#endif
