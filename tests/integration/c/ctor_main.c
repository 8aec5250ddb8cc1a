/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linked with ctor_lib.so: says what its constructor's connect gave. */
#include <stdio.h>

extern int ctor_result;

int main(void)
{
	printf("ctor_result=%d\n", ctor_result);
	return 0;
}
