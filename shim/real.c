/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "real.h"

struct attls_real attls_real;

void attls_real_init(void)
{
	struct attls_real r;

#define ATTLS_REAL_RESOLVE(ret, name, args) r.name = (ret(*) args)dlsym(RTLD_NEXT, #name);
	ATTLS_REAL_FUNCS(ATTLS_REAL_RESOLVE)
#undef ATTLS_REAL_RESOLVE
	if (!r.fcntl64)
		r.fcntl64 = r.fcntl;
	if (!r.sendfile64)
		r.sendfile64 = r.sendfile;
	if (!r.read || !r.write || !r.close || !r.poll || !r.connect) {
		static const char msg[] = "attls: cannot resolve the libc socket functions\n";

		(void)!syscall(1 /* SYS_write */, 2, msg, sizeof(msg) - 1);
		abort();
	}
	attls_real = r;
}
