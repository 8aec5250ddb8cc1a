/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whether wolfSSL holds part of a record the peer has not finished: the
 * difference between a peer that ended its data (EOF between records) and
 * one whose connection broke in the middle of a record, which a program
 * must see as a reset (ECONNRESET), never as a clean end.
 */
#ifndef ATTLS_RECORD_STATE_H
#define ATTLS_RECORD_STATE_H

#include <stdbool.h>

#include "wolf.h"

/* Input bytes received and not yet processed: a record header or part of one. */
bool attls_record_partial(WOLFSSL *ssl);

#endif
