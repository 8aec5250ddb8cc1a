/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/PID/{fd,maps,status,auxv,environ,cmdline,exe}. A process can end
 * at any point while it is read: each reader says ENOENT then, and the
 * caller skips it.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procscan.h"

/* A file of /proc/PID read whole (at most cap - 1 bytes), NUL-ended. */
static ssize_t read_small(pid_t pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	size_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < cap - 1) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

int attls_proc_sockets(pid_t pid, unsigned long **inodes, size_t *n)
{
	char path[64], link[64];
	struct dirent *e;
	DIR *d;

	*inodes = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((errno = 0, e = readdir(d))) {
		ssize_t len;
		unsigned long ino;
		char *end;

		if (e->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (len < 0) /* closed since readdir */
			continue;
		link[len] = '\0';
		if (strncmp(link, "socket:[", 8))
			continue;
		ino = strtoul(link + 8, &end, 10);
		if (*end != ']')
			continue;
		unsigned long *more = realloc(*inodes, (*n + 1) * sizeof(**inodes));

		if (!more) {
			free(*inodes);
			*inodes = NULL;
			*n = 0;
			closedir(d);
			errno = ENOMEM;
			return -1;
		}
		*inodes = more;
		(*inodes)[(*n)++] = ino;
	}
	if (errno) { /* the process went away while its fds were listed */
		int err = errno;

		closedir(d);
		free(*inodes);
		*inodes = NULL;
		*n = 0;
		errno = err;
		return -1;
	}
	closedir(d);
	return 0;
}

bool attls_proc_is_kthread(pid_t pid)
{
	char stat[1024], *p;
	unsigned long flags;

	if (read_small(pid, "stat", stat, sizeof(stat)) <= 0)
		return false;
	p = strrchr(stat, ')'); /* comm may hold blanks and parentheses */
	/* ") state ppid pgrp session tty_nr tpgid flags" */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x00200000; /* PF_KTHREAD */
}

int attls_proc_has_attls(pid_t pid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (!found && getline(&line, &cap, f) > 0) {
		char *nl = strchr(line, '\n'), *slash;

		if (nl)
			*nl = '\0';
		slash = strrchr(line, '/');
		/* a mapped file's path is the last field; "(deleted)" after a reinstall */
		if (slash && (!strcmp(slash + 1, "libattls.so") ||
			      !strcmp(slash + 1, "libattls.so (deleted)")))
			found = 1;
	}
	if (!found && ferror(f)) {
		free(line);
		fclose(f);
		errno = EIO;
		return -1;
	}
	free(line);
	fclose(f);
	return found;
}

int attls_proc_maps_file(pid_t pid, const char *path, const struct stat *st)
{
	char maps[64], real[PATH_MAX], *line = NULL, *name;
	bool have_real = realpath(path, real) != NULL;
	size_t cap = 0, n;
	unsigned long long ino;
	unsigned ma, mi;
	int found = 0, at;
	FILE *f;

	if (pid)
		snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	else
		snprintf(maps, sizeof(maps), "/proc/self/maps");
	if (!(f = fopen(maps, "re")))
		return -1;
	while (!found && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%*s %*s %*s %x:%x %llu %n", &ma, &mi, &ino, &at) != 3)
			continue;
		found = ino == (unsigned long long)st->st_ino && makedev(ma, mi) == st->st_dev;
		name = line + at;
		n = strcspn(name, "\n");
		if (!found && have_real && n == strlen(real) && !strncmp(name, real, n))
			found = 1;
	}
	free(line);
	fclose(f);
	return found;
}

/* src into out, cut to len - 1 bytes (names are short; a cut one still tells). */
static void set_str(char *out, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(out, src, n);
	out[n] = '\0';
}

void attls_proc_comm(pid_t pid, char *out, size_t len)
{
	char buf[64];

	if (read_small(pid, "comm", buf, sizeof(buf)) <= 0) {
		snprintf(out, len, "?");
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
	set_str(out, len, buf);
}

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The auxiliary vector's AT_SECURE: 1, 0, or -1 when it cannot be read. */
static int proc_secure(pid_t pid)
{
	unsigned long av[256];
	ssize_t got = read_small(pid, "auxv", (char *)av, sizeof(av));

	if (got < 0)
		return -1;
	for (size_t i = 0; i + 1 < (size_t)got / sizeof(av[0]); i += 2) {
		if (av[i] == AT_NULL)
			break;
		if (av[i] == AT_SECURE)
			return av[i + 1] != 0;
	}
	return 0;
}

/* ATTLS_JOBNAME from pid's environment as it was at exec, if set. */
static bool env_jobname(pid_t pid, char *out, size_t len)
{
	static char env[1 << 17];
	ssize_t got = read_small(pid, "environ", env, sizeof(env));

	for (ssize_t i = 0; got > 0 && i < got; i += (ssize_t)strlen(env + i) + 1)
		if (!strncmp(env + i, "ATTLS_JOBNAME=", 14) && env[i + 14]) {
			set_str(out, len, env + i + 14);
			return true;
		}
	return false;
}

int attls_proc_identity(pid_t pid, struct attls_proc_id *id)
{
	char status[4096], link[64], exe[PATH_MAX], cmd[4096], comm[64], *uid_line;
	unsigned long ruid, euid;
	struct passwd *pw;
	ssize_t n;

	memset(id, 0, sizeof(*id));
	if (read_small(pid, "status", status, sizeof(status)) < 0)
		return -1;
	uid_line = strstr(status, "\nUid:");
	if (!uid_line || sscanf(uid_line, "\nUid: %lu %lu", &ruid, &euid) != 2) {
		errno = EINVAL;
		return -1;
	}
	id->uid = (uid_t)euid;
	errno = 0;
	pw = getpwuid(id->uid);
	id->user_known = pw != NULL;
	if (pw)
		set_str(id->user, sizeof(id->user), pw->pw_name);
	else
		snprintf(id->user, sizeof(id->user), "%lu", euid);
	attls_proc_comm(pid, comm, sizeof(comm));
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
			exe[n - 10] = '\0';
		set_str(id->program, sizeof(id->program), last_component(exe));
	} else {
		set_str(id->program, sizeof(id->program), comm);
	}
	id->secure = proc_secure(pid) == 1;
	if (id->secure) {
		set_str(id->jobname, sizeof(id->jobname), id->program);
		return 0;
	}
	if (env_jobname(pid, id->jobname, sizeof(id->jobname)))
		return 0;
	if (read_small(pid, "cmdline", cmd, sizeof(cmd)) > 0 && cmd[0])
		set_str(id->jobname, sizeof(id->jobname), last_component(cmd));
	else
		set_str(id->jobname, sizeof(id->jobname), comm);
	return 0;
}
