/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Descriptors that can never be chosen (attls check's warnings): one that
 * wins over another and matches every connection the other would.
 */
#ifndef ATTLS_SHADOW_H
#define ATTLS_SHADOW_H

#include <stdbool.h>

#include "policy.h"

/*
 * Whether a's criteria hold for every connection b's do: direction,
 * ports and addresses as sets (a port set as the union of its ranges; a
 * CIDR of b inside one CIDR of a), jobname and user globs only when a's is
 * "*" or the same text as b's. False whenever it cannot be proven.
 */
bool attls_traffic_covers(const struct attls_traffic *a, const struct attls_traffic *b);

/*
 * Whether a wins over b when both match, as attls_match chooses: enabled =
 * no first, then the higher priority, then the first in the file (a and b
 * are in the same policy's array).
 */
bool attls_traffic_outranks(const struct attls_traffic *a, const struct attls_traffic *b);

/*
 * The first descriptor, in file order, that outranks and covers b, or
 * NULL.
 */
const struct attls_traffic *attls_traffic_shadow(const struct attls_policy *p,
						 const struct attls_traffic *b);

#endif
