/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "envtrust.h"

bool attls_secure_exec(void)
{
	return getauxval(AT_SECURE) != 0;
}

const char *attls_env(bool secure, const char *name)
{
	return secure ? NULL : getenv(name);
}

int attls_jobname(bool secure, char *out, size_t len)
{
	char exe[PATH_MAX];
	const char *job, *base;
	ssize_t n;

	if (!secure) {
		job = getenv("ATTLS_JOBNAME");
		snprintf(out, len, "%s", job && *job ? job : program_invocation_short_name);
		return 0;
	}
	/* Not argv[0], not AT_EXECFN: the caller chose both. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		if (len)
			out[0] = '\0';
		return -1;
	}
	exe[n] = '\0';
	base = strrchr(exe, '/');
	snprintf(out, len, "%s", base ? base + 1 : exe);
	return 0;
}

bool attls_run_marker_clear(bool secure)
{
	const char *v = getenv(ATTLS_RUN_MARKER);
	char *end;
	long pid;

	if (!v)
		return false;
	errno = 0;
	pid = strtol(v, &end, 10);
	unsetenv(ATTLS_RUN_MARKER);
	return !secure && !errno && end != v && !*end && pid == (long)getpid();
}
