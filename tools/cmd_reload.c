/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls reload PID...|--all: asks processes under attls (each PID and the
 * processes under it) to read their policy again at their next connect or
 * accept, whatever their files'
 * times say (lib/reload.h): a new time on reload.PID under /run/attls
 * (root) or $XDG_RUNTIME_DIR/attls (anyone else). No signal is sent: the
 * program's signals are its own. Stale files of processes that are gone
 * are removed.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/reload.h"
#include "attls.h"
#include "procscan.h"

static int request_dir(char *dir, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0) {
		snprintf(dir, len, "%s", ATTLS_RUN_DIR);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			goto fail;
		return 0;
	}
	if (!xdg || xdg[0] != '/') {
		dir[0] = '\0'; /* each process's own, from its environment (ask) */
		return 0;
	}
	if ((size_t)snprintf(dir, len, "%s/attls", xdg) >= len) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "attls reload: %s: %s\n", dir, strerror(errno));
	return -1;
}

/* Removes reload.PID files of processes that no longer exist. */
static void sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(e->d_name, "reload.", 7) || !isdigit((unsigned char)e->d_name[7]))
			continue;
		pid = strtol(e->d_name + 7, &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/*
 * The XDG_RUNTIME_DIR pid started with (where it looks for requests,
 * besides /run/attls): 1 with it in out, 0 when it had none, -1 when its
 * environment cannot be read.
 */
static int target_xdg(pid_t pid, char *out, size_t len)
{
	char path[64], *env = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd, found = 0;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	for (;;) {
		if (n + 4096 > cap) {
			char *more = realloc(env, cap + 65536);

			if (!more)
				break;
			env = more;
			cap += 65536;
		}
		r = read(fd, env + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!env)
		return -1;
	env[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(env + i) + 1)
		if (!strncmp(env + i, "XDG_RUNTIME_DIR=/", 17) &&
		    (size_t)snprintf(out, len, "%s/attls", env + i + 16) < len)
			found = 1;
	free(env);
	return found;
}

static int ask(const char *dir, pid_t pid, bool quiet)
{
	char path[4352], own[4200];
	struct timespec now[2];
	int fd, has = attls_proc_has_attls(pid);

	if (has != 1) {
		if (!quiet)
			fprintf(stderr, "attls reload: %d: %s\n", (int)pid,
				has == 0 ? "attls is not loaded in it" : strerror(errno));
		return -1;
	}
	/*
	 * Not root: a process of this user looks under the XDG_RUNTIME_DIR it
	 * started with, if it had one; /run/attls is root's alone.
	 */
	if (geteuid() != 0) {
		int x = target_xdg(pid, own, sizeof(own));

		if (x == 0 || (x < 0 && !dir[0])) {
			if (!quiet)
				fprintf(stderr, "attls reload: %d: it started without "
					"XDG_RUNTIME_DIR, so it looks for requests only under %s, "
					"where only root may write: run attls reload as root\n",
					(int)pid, ATTLS_RUN_DIR);
			return -1;
		}
		if (x > 0) {
			if (mkdir(own, 0700) < 0 && errno != EEXIST) {
				fprintf(stderr, "attls reload: %s: %s\n", own, strerror(errno));
				return -1;
			}
			dir = own;
		}
	}
	if (attls_reload_path(dir, pid, path, sizeof(path)) < 0) {
		fprintf(stderr, "attls reload: %s: name too long\n", dir);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
	/* The time to the nanosecond: each request differs from the one before. */
	clock_gettime(CLOCK_REALTIME, &now[0]);
	now[1] = now[0];
	if (fd < 0 || futimens(fd, now) < 0) {
		fprintf(stderr, "attls reload: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	printf("%d: reload asked; it takes effect at its next connect or accept (ATTLS091I "
	       "or ATTLS092E in its log)\n", (int)pid);
	return 0;
}

/* pid's parent, from /proc/PID/stat; -1 if it cannot be read. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	int ppid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	/* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses. */
	if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')))
		sscanf(close_paren + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Whether pid descends from root (a child, a child's child...). */
static bool descends(pid_t pid, pid_t root)
{
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		pid = parent_of(pid);
		if (pid == root)
			return true;
	}
	return false;
}

/*
 * Every process under pid with attls loaded: the workers of a server
 * whose master does not accept (nginx, apache2, postfix). Quiet about
 * those it may not see.
 */
static int ask_children(const char *dir, pid_t root, int *asked)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int failed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 1 || pid == root || !descends((pid_t)pid, root) ||
		    attls_proc_has_attls((pid_t)pid) != 1)
			continue;
		if (ask(dir, (pid_t)pid, true) < 0)
			failed++;
		else
			(*asked)++;
	}
	closedir(d);
	return failed;
}

static int ask_all(const char *dir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0, failed = 0;

	if (!d) {
		fprintf(stderr, "attls reload: /proc: %s\n", strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid() || attls_proc_has_attls((pid_t)pid) != 1)
			continue;
		/* Not quiet: each process with attls that this user sees is
		 * reached, or named with the reason (one only root may reach). */
		if (ask(dir, (pid_t)pid, false) < 0)
			failed++;
		else
			n++;
	}
	closedir(d);
	if (!n && !failed)
		printf("no process of %s with attls loaded\n",
		       geteuid() ? "this user" : "this host");
	return failed ? 1 : 0;
}

int cmd_reload(int argc, char **argv)
{
	char dir[4096];
	int rc = 0;

	if (argc < 2 || (!strcmp(argv[1], "--all") && argc != 2)) {
		fprintf(stderr, "usage: attls reload PID...|--all\n");
		return 2;
	}
	for (int i = 1; i < argc && strcmp(argv[1], "--all"); i++) {
		char *end;
		long pid = strtol(argv[i], &end, 10);

		if (!*argv[i] || *end || pid <= 0) {
			fprintf(stderr, "attls reload: \"%s\" is not a process id\n", argv[i]);
			return 2;
		}
	}
	if (request_dir(dir, sizeof(dir)) < 0)
		return 1;
	if (dir[0])
		sweep(dir);
	if (!strcmp(argv[1], "--all"))
		return ask_all(dir);
	for (int i = 1; i < argc; i++) {
		pid_t pid = (pid_t)strtol(argv[i], NULL, 10);
		int has = attls_proc_has_attls(pid), asked = 0, err = errno;

		if (has < 0) {
			if (err == ENOENT)
				fprintf(stderr, "attls reload: %d: no such process\n", (int)pid);
			else if ((err == EACCES || err == EPERM) && geteuid() != 0)
				fprintf(stderr, "attls reload: %d: %s (another user's process: run as "
					"root or as its user)\n", (int)pid, strerror(err));
			else if (err == EACCES || err == EPERM)
				fprintf(stderr, "attls reload: %d: cannot tell whether attls is loaded "
					"in it (/proc/%d/maps: %s): nothing asked\n", (int)pid,
					(int)pid, strerror(err));
			else
				fprintf(stderr, "attls reload: %d: %s\n", (int)pid, strerror(err));
			rc = 1;
			continue;
		}
		if (has && ask(dir, pid, false) < 0)
			rc = 1;
		if (ask_children(dir, pid, &asked))
			rc = 1;
		if (!has && !asked) {
			fprintf(stderr, "attls reload: %d: attls is not loaded in it nor in any "
				"process under it\n", (int)pid);
			rc = 1;
		}
	}
	return rc;
}
