/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls run: a program under attls, with its policy and job name. It never
 * starts the program without the library: the library's path must be one
 * LD_PRELOAD can carry, the program must be one ld.so preloads into (an
 * ELF program of our class with an interpreter, not in secure-execution
 * mode), and the library must confirm it is loaded before the program is
 * exec'ed. Both stages exec, so the program keeps attls run's pid and its
 * own exit code. Nor does it start a program whose policy does not load
 * (every connection would be refused): it exits 78, unless --start-anyway.
 */
#include <elf.h>
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../lib/cryptodev.h"
#include "../lib/envtrust.h"
#include "../lib/match.h"
#include "../lib/policy.h"
#include "../lib/tlsctx.h"
#include "../lib/wolf.h"
#include "attls.h"
#include "procscan.h"

#define RUN_USAGE "usage: attls run [-c FILE] [-j JOBNAME] [--start-anyway] -- PROGRAM [ARGS...]\n"
/* Exit codes of attls run itself, as a shell's: found but not run, not found. */
#define RUN_REFUSED 126
#define RUN_NOT_FOUND 127
/* The policy does not load: sysexits.h's EX_CONFIG, as systemd reads it. */
#define RUN_BAD_POLICY 78

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

/*
 * Whether ld.so (glibc) takes the path as it is from LD_PRELOAD: it splits
 * the list at blanks and colons, and substitutes $ORIGIN, $LIB and
 * $PLATFORM (also as ${...}) in a name; anything else is used verbatim.
 */
static const char *preload_unsafe(const char *path)
{
	if (path[0] != '/')
		return "it is not absolute";
	if (strchr(path, ' '))
		return "it has a blank, where ld.so splits LD_PRELOAD";
	if (strchr(path, ':'))
		return "it has a colon, where ld.so splits LD_PRELOAD";
	if (strchr(path, '$'))
		return "it has a \"$\", which ld.so would take for $ORIGIN, $LIB or $PLATFORM";
	return NULL;
}

/* PROGRAM as execvp finds it: a path if it has a slash, else along PATH. */
static int find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *colon;
	struct stat st;
	int err = ENOENT;

	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, len, "%s", name) >= len)
			return ENAMETOOLONG;
		return access(out, X_OK) < 0 ? errno : 0;
	}
	if (!*name)
		return ENOENT;
	if (!path)
		path = "/bin:/usr/bin"; /* glibc's execvp default */
	for (p = path;; p = colon + 1) {
		size_t dl;

		colon = strchr(p, ':');
		dl = colon ? (size_t)(colon - p) : strlen(p);
		if ((size_t)snprintf(out, len, "%.*s%s%s", (int)dl, p, dl ? "/" : "", name) < len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			err = EACCES;
		}
		if (!colon)
			return err;
	}
}

static bool read_ehdr(int fd, ElfW(Ehdr) *eh)
{
	return pread(fd, eh, sizeof(*eh), 0) == (ssize_t)sizeof(*eh) &&
	       !memcmp(eh->e_ident, ELFMAG, SELFMAG);
}

/* The file's PT_INTERP, the dynamic loader the kernel starts it with. */
static bool read_interp(int fd, const ElfW(Ehdr) *eh, char *out, size_t len)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		ElfW(Phdr) ph;
		ssize_t n;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh->e_phoff + (ElfW(Off))i *
						      eh->e_phentsize)) != (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz == 0 || ph.p_filesz >= len)
			return false;
		n = pread(fd, out, ph.p_filesz, (off_t)ph.p_offset);
		if (n != (ssize_t)ph.p_filesz || out[n - 1] != '\0')
			return false;
		return true;
	}
	return false;
}

/* Whether two paths name the same file. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * Whether the kernel would start the file in secure-execution mode, where
 * ld.so ignores LD_PRELOAD paths: set-user-ID or set-group-ID to another
 * user or group, or file capabilities for anyone but root (commoncap's
 * rules); neither counts on a nosuid mount.
 */
static const char *secure_exec_reason(int fd, const struct stat *st)
{
	struct statvfs vfs;

	if (fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
		return NULL;
	if ((st->st_mode & S_ISUID) && st->st_uid != getuid())
		return "it is set-user-ID";
	if ((st->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && st->st_gid != getgid())
		return "it is set-group-ID";
	if (getuid() != 0 && fgetxattr(fd, "security.capability", NULL, 0) > 0)
		return "it has file capabilities";
	return NULL;
}

/*
 * Whether ld.so will preload the library into the program at path: an ELF
 * program of attls's class and machine whose interpreter (PT_INTERP) is
 * attls's own dynamic loader, not in secure-execution mode; a #! script is
 * judged by its interpreter. Then the program loads the library as the
 * second stage did. Returns NULL, or why not (the file is named in file).
 */
static const char *program_unfit(const char *path, char *file, size_t len)
{
	static char why[2 * PATH_MAX + 256];
	ElfW(Ehdr) self, eh;
	char cur[PATH_MAX], ld_self[PATH_MAX], ld_prog[PATH_MAX];
	const char *r;
	int depth, fd;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !read_ehdr(fd, &self) || !read_interp(fd, &self, ld_self, sizeof(ld_self))) {
		if (fd >= 0)
			close(fd);
		snprintf(file, len, "%s", "/proc/self/exe");
		return "attls cannot read its own ELF header and interpreter";
	}
	close(fd);
	snprintf(cur, sizeof(cur), "%s", path);
	/* The kernel follows at most 4 levels of #! (BINPRM_MAX_RECURSION). */
	for (depth = 0; depth < 5; depth++) {
		char hdr[256], *s, *e;
		struct stat st;
		ssize_t n;
		bool interp;

		snprintf(file, len, "%s", cur);
		fd = open(cur, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(why, sizeof(why), "cannot open it: %s", strerror(errno));
			return why;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return "it is not a regular file";
		}
		r = secure_exec_reason(fd, &st);
		if (r) {
			close(fd);
			snprintf(why, sizeof(why), "%s: the kernel runs it in secure-execution "
				 "mode, where ld.so does not preload the library from a path", r);
			return why;
		}
		n = pread(fd, hdr, sizeof(hdr) - 1, 0);
		if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
			close(fd);
			hdr[n] = '\0';
			for (s = hdr + 2; *s == ' ' || *s == '\t'; s++)
				;
			e = s + strcspn(s, " \t\n");
			if (e == s || (*e == '\0' && n == (ssize_t)sizeof(hdr) - 1))
				return "it is a #! script whose interpreter cannot be read";
			*e = '\0';
			snprintf(cur, sizeof(cur), "%s", s);
			continue;
		}
		if (!read_ehdr(fd, &eh)) {
			close(fd);
			return "it is neither an ELF program nor a #! script, so whether "
			       "ld.so loads it cannot be told";
		}
		if (eh.e_ident[EI_CLASS] != self.e_ident[EI_CLASS] ||
		    eh.e_ident[EI_DATA] != self.e_ident[EI_DATA] ||
		    eh.e_machine != self.e_machine) {
			close(fd);
			return "it is built for another ELF class or machine than the "
			       "library, which ld.so would skip";
		}
		interp = read_interp(fd, &eh, ld_prog, sizeof(ld_prog));
		close(fd);
		if (!interp)
			return "it is statically linked (no PT_INTERP): no LD_PRELOAD reaches it";
		if (!same_file(ld_prog, ld_self)) {
			snprintf(why, sizeof(why), "its dynamic loader %s is not attls's (%s), "
				 "so whether it preloads the library cannot be told", ld_prog,
				 ld_self);
			return why;
		}
		return NULL;
	}
	return "it is a chain of #! scripts deeper than the kernel follows";
}

/* Whether the file at path is mapped into this process. */
static bool mapped(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && attls_proc_maps_file(0, path, &st) == 1;
}

/*
 * Whether the policy the library will load (ATTLS_CONFIG, else the default)
 * loads as the library loads it, keys, certificates and PKCS#11 modules
 * included, read with attls run's own rights, which the program keeps:
 * every error on stderr, as FILE:LINE: message.
 */
/*
 * A policy that secures some job but cannot match this one (its jobname
 * rules): the program would run with every connection as it is, which is
 * what the policy says, but rarely what a newcomer who forgot -j wants.
 * The job name as the library takes it: ATTLS_JOBNAME, else argv[0]'s
 * last component.
 */
static void say_if_job_unmatched(const struct attls_policy *p, const char *file,
				 const char *argv0)
{
	const char *job = getenv("ATTLS_JOBNAME"), *slash;
	bool any = false;

	if (!job || !*job)
		job = (slash = strrchr(argv0, '/')) ? slash + 1 : argv0;
	for (size_t i = 0; i < p->n_traffic; i++)
		any |= p->traffic[i].enabled && p->traffic[i].keyring;
	if (any && !attls_job_needs_tls(p, job))
		fprintf(stderr, "attls run: no descriptor of %s can match job \"%s\" (their "
			"jobname rules): its connections stay as they are, clear text; name the "
			"job with -j JOBNAME\n", file, job);
}

static bool policy_loads(const char *argv0)
{
	struct attls_errors errs = { 0 };
	const char *file = getenv("ATTLS_CONFIG");
	struct attls_policy *p = NULL;
	char why[256], device[256];

	if (!file || !*file)
		file = ATTLS_DEFAULT_CONFIG;
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		fprintf(stderr, "attls run: %s\n", why);
	} else {
		p = attls_policy_load(file, &errs);
		if (p) {
			attls_cryptodev_setup(p->device, p->trace, device, sizeof(device));
			attls_tlsctx_build(p, &errs);
			if (!errs.n)
				say_if_job_unmatched(p, file, argv0);
		}
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "attls run: %s\n", errs.msg[i]);
	}
	if (p) {
		attls_tlsctx_free(p);
		attls_policy_free(p);
	}
	if (!p || errs.n) {
		fprintf(stderr, "attls run: the policy %s does not load: the program is not "
			"started (--start-anyway starts it with every TCP connect and accept "
			"refused)\n", file);
		attls_errors_free(&errs);
		return false;
	}
	attls_errors_free(&errs);
	return true;
}

/*
 * The second stage: attls itself, exec'ed by the first with LD_PRELOAD and
 * the marker. The library's constructor removed the marker if it loaded.
 * argv: PATH ARGV0 [ARGS...].
 */
static int stage2(int argc, char **argv)
{
	char lib[PATH_MAX];

	if (argc < 2) {
		fprintf(stderr, RUN_USAGE);
		return 2;
	}
	if (getenv(ATTLS_RUN_MARKER) || find_library(lib, sizeof(lib)) < 0 || !mapped(lib)) {
		const char *pre = getenv("LD_PRELOAD");

		fprintf(stderr, "attls run: the library did not load from LD_PRELOAD=\"%s\"; "
			"%s is not started\n", pre ? pre : "", argv[1]);
		return RUN_REFUSED;
	}
	execv(argv[0], argv + 1);
	fprintf(stderr, "attls run: %s: %s\n", argv[0], strerror(errno));
	return errno == ENOENT ? RUN_NOT_FOUND : RUN_REFUSED;
}

int cmd_run(int argc, char **argv)
{
	char lib[PATH_MAX], conf[PATH_MAX], prog[PATH_MAX], file[PATH_MAX], pid[24];
	char **av, *preload;
	const char *old, *why;
	static const struct option longopts[] = {
		{ "start-anyway", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	bool anyway = false;
	int o, err;

	if (argc >= 2 && !strcmp(argv[1], "--stage2"))
		return stage2(argc - 2, argv + 2);
	optind = 1;
	while ((o = getopt_long(argc, argv, "+c:j:", longopts, NULL)) != -1) {
		switch (o) {
		case 'A':
			anyway = true;
			break;
		case 'c':
			/*
			 * Made absolute, not resolved: a file that is missing is the
			 * policy's error (exit 78, or started anyway), said as the
			 * library would say it.
			 */
			setenv("ATTLS_CONFIG", attls_abs_path(optarg, conf, sizeof(conf)), 1);
			break;
		case 'j':
			setenv("ATTLS_JOBNAME", optarg, 1);
			break;
		default:
			fprintf(stderr, RUN_USAGE);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, RUN_USAGE);
		return 2;
	}
	if (find_library(lib, sizeof(lib)) < 0) {
		fprintf(stderr, "attls run: cannot find libattls.so (looked in %s)\n", lib);
		return 2;
	}
	why = preload_unsafe(lib);
	if (why) {
		fprintf(stderr, "attls run: the library's path \"%s\" cannot go into LD_PRELOAD: "
			"%s; install attls under a path without blanks, colons or \"$\"\n",
			lib, why);
		return RUN_REFUSED;
	}
	err = find_program(argv[optind], prog, sizeof(prog));
	if (err) {
		fprintf(stderr, "attls run: %s: %s\n", argv[optind], strerror(err));
		return err == ENOENT ? RUN_NOT_FOUND : RUN_REFUSED;
	}
	why = program_unfit(prog, file, sizeof(file));
	if (why) {
		fprintf(stderr, "attls run: %s cannot run under attls: %s: %s\n",
			argv[optind], file, why);
		return RUN_REFUSED;
	}
	if (!anyway && !policy_loads(argv[optind]))
		return RUN_BAD_POLICY;
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
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv(ATTLS_RUN_MARKER, pid, 1);
	/* attls run --stage2 PATH ARGV0 [ARGS...] */
	av = calloc((size_t)(argc - optind) + 5, sizeof(*av));
	if (!av)
		return 2;
	av[0] = "attls";
	av[1] = "run";
	av[2] = "--stage2";
	av[3] = prog;
	memcpy(av + 4, argv + optind, (size_t)(argc - optind) * sizeof(*av));
	execv("/proc/self/exe", av);
	fprintf(stderr, "attls run: cannot exec attls again: %s\n", strerror(errno));
	return RUN_REFUSED;
}

/* For attls check (tools/preloadcheck.c): the same library as run's. */
int attls_run_library(char *out, size_t len)
{
	return find_library(out, len);
}
