/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls check --user USER: the check made as the service's user, which is
 * who loads its policy (a unit's User=, ExecStartPre= included). The
 * attls process itself becomes that user, for good, before it reads
 * anything: ownership and readability are then judged by the kernel and
 * by lib/filetrust.c exactly as for the program.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attls.h"

int attls_become_user(const char *spec, char *why, size_t len)
{
	struct passwd *pw;
	char name[256], *end;
	uid_t uid;
	gid_t gid;

	errno = 0;
	pw = getpwnam(spec);
	if (!pw && spec[0] >= '0' && spec[0] <= '9') {
		unsigned long v;

		errno = 0;
		v = strtoul(spec, &end, 10);
		if (!errno && !*end && v == (uid_t)v)
			pw = getpwuid((uid_t)v);
	}
	if (!pw) {
		snprintf(why, len, "--user %s: no such user%s%s", spec, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return 2;
	}
	/* The next NSS call may reuse pw's buffer. */
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if ((size_t)snprintf(name, sizeof(name), "%s", pw->pw_name) >= sizeof(name)) {
		snprintf(why, len, "--user %s: the user's name is too long", spec);
		return 2;
	}
	if (geteuid() != 0) {
		if (uid == geteuid() && uid == getuid())
			return 0; /* already that user */
		snprintf(why, len, "--user %s: only root checks as another user", spec);
		return 2;
	}
	if (uid == 0)
		return 0;
	/* Groups first: setuid would take the right to change them. */
	if (initgroups(name, gid) < 0) {
		snprintf(why, len, "--user %s: initgroups: %s", spec, strerror(errno));
		return 1;
	}
	if (setgid(gid) < 0) {
		snprintf(why, len, "--user %s: setgid(%u): %s", spec, (unsigned)gid, strerror(errno));
		return 1;
	}
	if (setuid(uid) < 0) {
		snprintf(why, len, "--user %s: setuid(%u): %s", spec, (unsigned)uid, strerror(errno));
		return 1;
	}
	/* Irreversible: root is gone, or the check would not be the user's. */
	if (setuid(0) == 0 || getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid) {
		snprintf(why, len, "--user %s: the switch to uid %u did not hold", spec,
			 (unsigned)uid);
		return 1;
	}
	return 0;
}
