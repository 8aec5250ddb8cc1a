/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A certificate's subject as one log field: "/CN=value/O=value", built
 * entry by entry from the certificate's own bytes. In a value, every byte
 * that is not printable ASCII and each of " \ / = is written \xNN, so a
 * subject can neither add fields to a log line, nor cut itself short with
 * a NUL, nor pose as another name. A name that does not fit ends in "...".
 */
#ifndef ATTLS_PEERNAME_H
#define ATTLS_PEERNAME_H

#include <stddef.h>

#include "wolf.h"

const char *attls_peer_name(WOLFSSL_X509_NAME *name, char *out, size_t len);

#endif
