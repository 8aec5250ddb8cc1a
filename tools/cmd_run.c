/* SPDX-License-Identifier: GPL-2.0-or-later */
/* attls run: a program under attls, with its policy and job name. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attls.h"

/* The library: installed beside the command's LIBDIR, or next to it in build/. */
static int find_library(char *out, size_t len)
{
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;

	snprintf(out, len, "%s/libattls.so", ATTLS_LIBDIR);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, len, "%s/libattls.so", exe);
			if (access(out, R_OK) == 0)
				return 0;
			snprintf(out, len, "%s/../lib/attls/libattls.so", exe);
			if (access(out, R_OK) == 0)
				return 0;
		}
	}
	snprintf(out, len, "%s/libattls.so", ATTLS_LIBDIR);
	return access(out, R_OK);
}

int cmd_run(int argc, char **argv)
{
	char lib[PATH_MAX], conf[PATH_MAX], *preload;
	const char *old;
	int o;

	optind = 1;
	while ((o = getopt(argc, argv, "+c:j:")) != -1) {
		switch (o) {
		case 'c':
			if (!realpath(optarg, conf)) {
				perror(optarg);
				return 2;
			}
			setenv("ATTLS_CONFIG", conf, 1);
			break;
		case 'j':
			setenv("ATTLS_JOBNAME", optarg, 1);
			break;
		default:
			fprintf(stderr, "usage: attls run [-c FILE] [-j JOBNAME] -- PROGRAM [ARGS...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: attls run [-c FILE] [-j JOBNAME] -- PROGRAM [ARGS...]\n");
		return 2;
	}
	if (find_library(lib, sizeof(lib)) < 0) {
		fprintf(stderr, "attls: cannot find libattls.so (looked in %s)\n", lib);
		return 2;
	}
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		size_t len = strlen(old) + strlen(lib) + 2;

		preload = malloc(len);
		if (!preload)
			return 2;
		snprintf(preload, len, "%s:%s", old, lib);
	} else {
		preload = lib;
	}
	setenv("LD_PRELOAD", preload, 1);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "attls: %s: %s\n", argv[optind], strerror(errno));
	return 127;
}
