/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PKCS#11 URIs (RFC 7512), as a key ring names a key or certificate on a
 * token: pkcs11:token=attls;object=WI02BRK?pin-source=file:/etc/attls/pin
 */
#ifndef ATTLS_P11URI_H
#define ATTLS_P11URI_H

#include <stdbool.h>
#include <stddef.h>

#define ATTLS_P11_ID_MAX 64

struct attls_p11uri {
	char *token;        /* the token's label */
	char *object;       /* the object's label (CKA_LABEL) */
	unsigned char id[ATTLS_P11_ID_MAX]; /* CKA_ID */
	size_t id_len;
	bool has_id;
	long slot_id;       /* -1: not given */
	char *type;         /* "private", "cert", ... or NULL */
	char *module_path;  /* query attributes */
	char *pin_source;
	char *pin_value;
};

bool attls_p11uri_is(const char *s);
/* 0, or -1 with why (for "key: ..." messages) in err. */
int attls_p11uri_parse(const char *s, struct attls_p11uri *u, char *err, size_t errlen);
void attls_p11uri_free(struct attls_p11uri *u);

#endif
