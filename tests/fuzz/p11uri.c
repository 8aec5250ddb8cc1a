/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PKCS#11 URI parser (RFC 7512), on arbitrary text: a parse either
 * succeeds with a token and an object named, or fails with a reason and
 * nothing held (the leak check counts).
 */
#include "../../lib/p11uri.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attls_p11uri u;
	char err[160];
	char *s = fuzz_str(data, size);

	err[0] = '\0';
	if (attls_p11uri_parse(s, &u, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(attls_p11uri_is(s));
		FUZZ_ASSERT(u.token || u.slot_id >= 0);
		FUZZ_ASSERT(u.object || u.has_id);
		FUZZ_ASSERT(!u.has_id || (u.id_len > 0 && u.id_len <= ATTLS_P11_ID_MAX));
		FUZZ_ASSERT(!u.token || *u.token);
		FUZZ_ASSERT(!u.pin_value || *u.pin_value);
	} else {
		FUZZ_ASSERT(err[0] && memchr(err, '\0', sizeof(err)));
		FUZZ_ASSERT(!u.token && !u.object && !u.type && !u.module_path &&
			    !u.pin_source && !u.pin_value);
	}
	attls_p11uri_free(&u);
	free(s);
	return 0;
}
