/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON output shared by the attls status commands. */
#include <stdio.h>

#include "attls.h"

/* s as a JSON string on stdout: quotes and backslashes escaped, anything not printable ASCII as \u00XX. */
void attls_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}
