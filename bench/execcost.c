/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cost of an exec: runs PROGRAM N times (fork, execve, wait4) with
 * this environment plus the VAR=VALUE given, and prints the median wall
 * time of one run in ms and the median max RSS of the child in KiB. Small
 * on purpose: a child's max RSS counts its parent's pages up to the exec.
 *
 * usage: execcost N PROGRAM [VAR=VALUE]...
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0, nenv = 0, extra = argc - 3;
	double *ms, *rss;
	char **env;

	if (n <= 0) {
		fprintf(stderr, "usage: execcost N PROGRAM [VAR=VALUE]...\n");
		return 2;
	}
	while (environ[nenv])
		nenv++;
	env = calloc((size_t)(nenv + extra + 1), sizeof(*env));
	ms = calloc((size_t)n, sizeof(*ms));
	rss = calloc((size_t)n, sizeof(*rss));
	if (!env || !ms || !rss)
		return 2;
	memcpy(env, environ, (size_t)nenv * sizeof(*env));
	memcpy(env + nenv, argv + 3, (size_t)extra * sizeof(*env));
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		struct rusage ru;
		int st;
		pid_t pid;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		pid = fork();
		if (pid == 0) {
			char *args[] = { argv[2], NULL };

			execve(argv[2], args, env);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			fprintf(stderr, "execcost: %s failed\n", argv[2]);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		rss[i] = (double)ru.ru_maxrss;
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp);
	qsort(rss, (size_t)n, sizeof(*rss), cmp);
	printf("%.2f %.0f\n", ms[n / 2], rss[n / 2]);
	return 0;
}
