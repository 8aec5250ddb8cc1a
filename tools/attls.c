/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The attls command: run a program under attls, check and query policies,
 * find what escaped it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attls.h"
#include "../lib/cryptodev.h"
#include "../lib/wolf.h"

#ifndef ATTLS_VERSION
#define ATTLS_VERSION "unknown"
#endif

/* What a bug report needs: attls's version and the TLS and crypto inside. */
static int version(void)
{
	char why[160];
	const char *gcrypt = attls_cryptodev_gcrypt_version(why, sizeof(why));

	printf("attls %s\n", ATTLS_VERSION);
	printf("wolfSSL %s, built in\n", attls_wolf_version());
	if (gcrypt)
		printf("libgcrypt %s, a private copy (device = cpu)\n", gcrypt);
	else
		printf("libgcrypt: none (%s)\n", why);
	return 0;
}

/*
 * The library, when LD_PRELOAD carries it into this command (a unit's
 * Environment= applies to its ExecStartPre=, attls check), finds this
 * symbol in the program and leaves its policy for the first connection,
 * as in attls run's second stage: attls check's output is its own, and no
 * table of attls status lists the command. Exported by the link
 * (--export-dynamic-symbol, Makefile).
 */
__attribute__((visibility("default"), used)) const char attls_command[] = "attls";

static int usage(FILE *out)
{
	fprintf(out,
		"usage: attls run [-c FILE] [-j JOBNAME] [--start-anyway] -- PROGRAM [ARGS...]\n"
		"       attls check [--no-keys] [--strict] [--user USER] [--preloaded] FILE\n"
		"       attls query FILE --direction inbound|outbound [--local-port P]\n"
		"                   [--remote-port P] [--local-addr A] [--remote-addr A]\n"
		"                   [--jobname J] [--user U]\n"
		"       attls ticket-key new|rotate FILE\n"
		"       attls status [--json | --prometheus] [--pid PID] [--jobname GLOB]\n"
		"                    [--descriptor GLOB]\n"
		"       attls status --policy PID\n"
		"       attls status --uncovered [--config FILE] [--json]\n"
		"       attls reload PID...|--all\n"
		"       attls --version\n");
	return out == stdout ? 0 : 2;
}

const char *attls_abs_path(const char *file, char *buf, size_t len)
{
	char cwd[4096];
	int n;

	if (file[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return file;
	n = snprintf(buf, len, "%s/%s", cwd, file);
	return n < 0 || (size_t)n >= len ? file : buf;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "query"))
		return cmd_query(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "reload"))
		return cmd_reload(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ticket-key"))
		return cmd_ticketkey(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return version();
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	fprintf(stderr, "attls: unknown command \"%s\"\n", argv[1]);
	return usage(stderr);
}
