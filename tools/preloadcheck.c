/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whether the attls library that this process's LD_PRELOAD names is
 * loaded in it. A unit's Environment= applies to its ExecStartPre= too, so
 * an "attls check" there runs with the service's LD_PRELOAD: when ld.so
 * could not preload the library (a package removed, a typo in the path, a
 * noexec mount), it only says so on stderr and starts the program without
 * it. The check makes that an error, so that the unit does not start.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attls.h"
#include "procscan.h"

/*
 * Whether entry is attls's library: its name, or (a path: ld.so looks a
 * bare name up along its own search path) the file attls run preloads.
 */
static bool names_attls(const char *entry, const struct stat *run_lib, bool have_run_lib)
{
	const char *base = strrchr(entry, '/');
	struct stat st;

	if (!strcmp(base ? base + 1 : entry, "libattls.so"))
		return true;
	return base && have_run_lib && stat(entry, &st) == 0 && st.st_dev == run_lib->st_dev &&
	       st.st_ino == run_lib->st_ino;
}

/*
 * Whether the entry is mapped here: NULL, or why not. A name without a
 * slash (looked up by ld.so along its search path) or with a "$" (which
 * ld.so expands) has no path of ours to compare: any mapped libattls.so
 * counts for it.
 */
static const char *not_loaded(const char *entry, char *buf, size_t len)
{
	struct stat st;
	int r;

	if (!strchr(entry, '/') || strchr(entry, '$')) {
		r = attls_proc_has_attls(getpid());
	} else {
		if (stat(entry, &st) < 0)
			return strerror(errno);
		if (access(entry, R_OK) < 0)
			return strerror(errno);
		r = attls_proc_maps_file(0, entry, &st);
	}
	if (r < 0) {
		snprintf(buf, len, "whether it did cannot be told: /proc/self/maps: %s",
			 strerror(errno));
		return buf;
	}
	return r ? NULL : "ld.so did not map it into this process";
}

int attls_preload_check(char *why, size_t len)
{
	const char *pre = getenv("LD_PRELOAD"), *p;
	char run_path[PATH_MAX], entry[PATH_MAX], buf[160];
	struct stat run_lib;
	bool have_run_lib;

	if (!pre || !*pre)
		return 0;
	have_run_lib = attls_run_library(run_path, sizeof(run_path)) == 0 &&
		       stat(run_path, &run_lib) == 0;
	/* ld.so splits the list at blanks and colons, and skips empty entries. */
	for (p = pre; *p; ) {
		size_t n = strcspn(p, " :");
		const char *r;

		/* Longer than any path: ld.so cannot open it either. */
		if (n >= sizeof(entry) && n >= 11 && !memcmp(p + n - 11, "libattls.so", 11)) {
			snprintf(why, len, "LD_PRELOAD names a libattls.so whose path is longer "
				 "than %zu bytes, which did not load: a program started with this "
				 "environment runs without attls", sizeof(entry) - 1);
			return -1;
		}
		if (n && n < sizeof(entry)) {
			memcpy(entry, p, n);
			entry[n] = '\0';
			if (names_attls(entry, &run_lib, have_run_lib) &&
			    (r = not_loaded(entry, buf, sizeof(buf)))) {
				snprintf(why, len, "LD_PRELOAD names %s, which did not load (%s): a "
					 "program started with this environment runs without attls",
					 entry, r);
				return -1;
			}
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}
