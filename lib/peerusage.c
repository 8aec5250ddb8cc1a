/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peerusage.h"

#include <wolfssl/wolfcrypt/asn.h>

const char *attls_peer_usage_refused(WOLFSSL *ssl)
{
	WOLFSSL_X509 *peer = wolfSSL_get_peer_certificate(ssl);
	const char *why = NULL;

	if (!peer)
		return NULL;
	/* No keyUsage extension: any use (RFC 5280). */
	if (wolfSSL_X509_ext_isSet_by_NID(peer, NID_key_usage) &&
	    !(wolfSSL_X509_get_keyUsage(peer) & KEYUSE_DIGITAL_SIG))
		why = "the peer's certificate does not allow digital signatures (keyUsage)";
	wolfSSL_X509_free(peer);
	return why;
}
