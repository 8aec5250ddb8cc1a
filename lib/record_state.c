/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "record_state.h"

/* The input buffer is wolfSSL's session state, read from its own header. */
#include <wolfssl/internal.h>

bool attls_record_partial(WOLFSSL *ssl)
{
	return ssl->buffers.inputBuffer.length > ssl->buffers.inputBuffer.idx;
}
