/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ticket_timing.h"

/* The flags below are wolfSSL's session options, read from its own header. */
#include <wolfssl/internal.h>

bool attls_ticket_hold(WOLFSSL *ssl)
{
	if (ssl->options.side != WOLFSSL_SERVER_END || !ssl->options.verifyPeer ||
	    !ssl->ctx->ticketEncCb || ssl->options.noTicketTls13)
		return false;
	ssl->options.noTicketTls13 = 1;
	return true;
}

void attls_ticket_release(WOLFSSL *ssl)
{
	ssl->options.noTicketTls13 = 0;
	/* TLS 1.2 (its ticket went in the handshake) or a resumption: no-op. */
	if (IsAtLeastTLSv1_3(ssl->version))
		(void)wolfSSL_send_SessionTicket(ssl);
}
