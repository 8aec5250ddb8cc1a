/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the libFuzzer targets share: the entry points and small helpers. */
#ifndef ATTLS_FUZZ_H
#define ATTLS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of the input, in a buffer of its exact size (ASan sees over-reads). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A property a parser promises did not hold: a finding, as a crash would be. */
#define FUZZ_ASSERT(c)                                                               \
	do {                                                                         \
		if (!(c)) {                                                          \
			fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                     \
		}                                                                    \
	} while (0)

#endif
