/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "peername.h"

/* Appends c (escaped when it must be) at *o; false when it does not fit. */
static bool put(char *out, size_t len, size_t *o, unsigned char c, bool value)
{
	static const char hex[] = "0123456789abcdef";
	bool plain = c >= 0x20 && c < 0x7f &&
		     (!value || (c != '"' && c != '\\' && c != '/' && c != '='));
	size_t need = plain ? 1 : 4;

	if (*o + need + 4 > len) /* room kept for "..." and the NUL */
		return false;
	if (plain) {
		out[(*o)++] = (char)c;
	} else {
		out[(*o)++] = '\\';
		out[(*o)++] = 'x';
		out[(*o)++] = hex[c >> 4];
		out[(*o)++] = hex[c & 15];
	}
	return true;
}

const char *attls_peer_name(WOLFSSL_X509_NAME *name, char *out, size_t len)
{
	int n = name ? wolfSSL_X509_NAME_entry_count(name) : 0;
	size_t o = 0;

	if (len < 8) {
		if (len)
			out[0] = '\0';
		return out;
	}
	for (int i = 0; i < n; i++) {
		WOLFSSL_X509_NAME_ENTRY *e = wolfSSL_X509_NAME_get_entry(name, i);
		WOLFSSL_ASN1_STRING *v = e ? wolfSSL_X509_NAME_ENTRY_get_data(e) : NULL;
		const char *sn = e ? wolfSSL_OBJ_nid2sn(wolfSSL_OBJ_obj2nid(
					     wolfSSL_X509_NAME_ENTRY_get_object(e))) :
				     NULL;
		const unsigned char *d = v ? wolfSSL_ASN1_STRING_data(v) : NULL;
		int dl = v ? wolfSSL_ASN1_STRING_length(v) : 0;

		if (!put(out, len, &o, '/', false))
			goto cut;
		for (const char *c = sn ? sn : "?"; *c; c++)
			if (!put(out, len, &o, (unsigned char)*c, true))
				goto cut;
		if (!put(out, len, &o, '=', false))
			goto cut;
		for (int j = 0; d && j < dl; j++)
			if (!put(out, len, &o, d[j], true))
				goto cut;
	}
	out[o] = '\0';
	return out;
cut:
	memcpy(out + o, "...", 4);
	return out;
}
