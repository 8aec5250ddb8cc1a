/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keys on PKCS#11 tokens. Each token is opened once per process with one
 * persistent, logged-in session, and registered as a wolfSSL crypto device
 * of its own: the private key never leaves it, and every call to it is
 * serialised. A forked child re-initialises the module and logs in again
 * at its first use.
 */
#ifndef ATTLS_PKCS11_H
#define ATTLS_PKCS11_H

#include <stddef.h>

#include "p11uri.h"

enum attls_p11_class { ATTLS_P11_PRIVATE_KEY, ATTLS_P11_CERTIFICATE };

/*
 * Opens (or finds already open) the token the URI names, in module, with
 * pin. *dev_id gets its wolfSSL device. 0, or -1 with why in err.
 */
int attls_p11_open(const char *module, const struct attls_p11uri *u, const char *pin,
		   int *dev_id, char *err, size_t errlen);

/*
 * Finds the object the URI names on the token of dev_id. A certificate's
 * DER goes to *der (malloc'ed). 0, or -1 with why in err.
 */
int attls_p11_find(int dev_id, enum attls_p11_class cls, const struct attls_p11uri *u,
		   unsigned char **der, size_t *der_len, char *err, size_t errlen);

/* The PIN from a pin-source ("file:PATH" or PATH): first line, malloc'ed. */
char *attls_p11_read_pin(const char *source, char *err, size_t errlen);

/* fork: prepare takes the locks (shim/locks.h), parent and child let go;
 * a child's tokens reopen on first use. */
void attls_p11_atfork_prepare(void);
void attls_p11_atfork_release(void);

#endif
