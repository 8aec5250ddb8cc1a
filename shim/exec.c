/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec: a TLS fd the program meant to be inherited (not close-on-exec, as
 * it sees it: fdtable.c) goes to the new image with its session. Each
 * call of the family is hooked on its own (glibc's execvp, execl... call
 * an internal execve no hook sees) and all meet in exec_tls().
 *
 * Before the real call, when the new image will load attls (its
 * environment preloads this library, and the file is a dynamically linked
 * program, or a script whose interpreter is one, without set-user-ID,
 * set-group-ID or file capabilities, which make the loader ignore the
 * preload): each session is exported (lib/handoff.c) into one memfd,
 * sealed, its number high and passed as ATTLS_HANDOFF in the envp given
 * to the real call (inherit.c takes it up and removes it before main).
 * The TLS fds' kernel close-on-exec flag is cleared just before the call,
 * as are the fork pipes' write ends this process holds (fork.c: a parent
 * that closes its copy must still see this process's new image as holding
 * one). Otherwise, or where a session cannot be exported, the fd is cut:
 * an unconnected socket takes its number for the new image (ATTLS042E
 * says which, for which program, why); never clear text.
 *
 * If the exec fails, everything is undone: the flags, the cut fds (their
 * sockets come back from a duplicate kept for the purpose), the memfd, the
 * sessions' export, and errno is the exec's.
 *
 * Another thread that uses a handed-over fd between the export and the
 * exec gets EBADF (the session is the new image's from then on); one that
 * uses a cut fd then finds the unconnected socket. A signal handler that
 * execs with TLS fds to hand over runs this code, which allocates: that
 * exec is not async-signal-safe (without TLS fds to hand over, it goes
 * straight to the real call). fork: nothing here outlives the call.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../lib/engine.h"
#include "../lib/handoff.h"
#include "../lib/trace.h"
#include "fdtable.h"
#include "hooks.h"
#include "inherit.h"
#include "locks.h"
#include "real.h"

extern char **environ;

enum how { BY_PATH, BY_AT, BY_FD, BY_SEARCH };

struct target {
	enum how how;
	int dirfd; /* BY_AT: the directory; BY_FD: the file */
	const char *path;
	int flags;
	char *const *argv;
	char *const *envp;
};

static int real_exec(const struct target *t, char *const envp[])
{
	switch (t->how) {
	case BY_PATH:
		return REAL(execve)(t->path, t->argv, envp);
	case BY_AT:
		return REAL(execveat)(t->dirfd, t->path, t->argv, envp, t->flags);
	case BY_FD:
		return REAL(fexecve)(t->dirfd, t->argv, envp);
	default:
		return REAL(execvpe)(t->path, t->argv, envp);
	}
}

/* The file an execvp-style call would run: the first executable in PATH, as glibc finds it. */
static int open_searched(const char *file, char *found, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(file, '/')) {
		snprintf(found, len, "%s", file);
		return REAL(open)(file, O_RDONLY | O_CLOEXEC);
	}
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path;; p++) {
		const char *e = strchrnul(p, ':');
		struct stat st;

		snprintf(found, len, "%.*s%s%s", (int)(e - p), p, e == p ? "" : "/", file);
		if (access(found, X_OK) == 0 && stat(found, &st) == 0 && S_ISREG(st.st_mode))
			return REAL(open)(found, O_RDONLY | O_CLOEXEC);
		if (!*e)
			break;
		p = e;
	}
	errno = ENOENT;
	return -1;
}

/* The file the exec would run, opened for reading; name gets its name for messages. */
static int open_image(const struct target *t, char *name, size_t len)
{
	switch (t->how) {
	case BY_PATH:
		snprintf(name, len, "%s", t->path);
		return REAL(open)(t->path, O_RDONLY | O_CLOEXEC);
	case BY_AT:
		snprintf(name, len, "%s", t->path);
		if (!*t->path && (t->flags & AT_EMPTY_PATH))
			return REAL(fcntl)(t->dirfd, F_DUPFD_CLOEXEC, 0);
		return REAL(openat)(t->dirfd, t->path, O_RDONLY | O_CLOEXEC |
				    (t->flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0));
	case BY_FD:
		snprintf(name, len, "fd %d", t->dirfd);
		return REAL(fcntl)(t->dirfd, F_DUPFD_CLOEXEC, 0);
	default:
		return open_searched(t->path, name, len);
	}
}

/* This library, as a file: what LD_PRELOAD must name. */
static bool is_this_library(const char *path)
{
	static struct stat self;
	static bool known;
	struct stat st;

	if (!known) {
		Dl_info di;

		if (!dladdr((void *)is_this_library, &di) || !di.dli_fname ||
		    stat(di.dli_fname, &self) < 0)
			return false;
		known = true;
	}
	return stat(path, &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino;
}

static bool preloads_attls(char *const envp[])
{
	for (char *const *e = envp; e && *e; e++) {
		char list[4096], *save = NULL;

		if (strncmp(*e, "LD_PRELOAD=", 11))
			continue;
		snprintf(list, sizeof(list), "%s", *e + 11);
		for (char *p = strtok_r(list, ": ", &save); p; p = strtok_r(NULL, ": ", &save))
			if (is_this_library(p))
				return true;
	}
	return false;
}

/*
 * inherit = no: a copy of envp whose LD_PRELOAD entries name every
 * preload but this library (an entry left empty goes), the entries in
 * *store (one allocation, freed by the caller); the program's own environ
 * and every other variable, ATTLS_CONFIG and ATTLS_JOBNAME included, stay
 * as they are. NULL if there is no memory: the exec then goes on with
 * envp as given (the new image loads attls, which is not less safe).
 */
static char **without_attls(char *const envp[], char **store)
{
	size_t n = 0, bytes = 0, k = 0;
	char **e, *out;

	while (envp && envp[n]) {
		if (!strncmp(envp[n], "LD_PRELOAD=", 11))
			bytes += strlen(envp[n]) + 1;
		n++;
	}
	*store = NULL;
	e = malloc((n + 1) * sizeof(*e) + bytes + 1);
	if (!e)
		return NULL;
	out = (char *)(e + n + 1);
	*store = (char *)e;
	for (size_t i = 0; i < n; i++) {
		char *list, *save = NULL, *start = out;

		if (strncmp(envp[i], "LD_PRELOAD=", 11)) {
			e[k++] = envp[i];
			continue;
		}
		if (!(list = strdup(envp[i] + 11))) {
			free(e);
			*store = NULL;
			return NULL;
		}
		out += sprintf(out, "LD_PRELOAD=");
		for (char *p = strtok_r(list, ": ", &save); p; p = strtok_r(NULL, ": ", &save))
			if (!is_this_library(p))
				out += sprintf(out, "%s%s", out[-1] == '=' ? "" : ":", p);
		free(list);
		if (out[-1] != '=')
			e[k++] = start;
		*out++ = '\0';
	}
	e[k] = NULL;
	return e;
}

/* The ELF class and machine of this library: a new image must share them to load it. */
static bool same_machine(const unsigned char *ident, uint16_t machine)
{
	const ElfW(Ehdr) *self = NULL;
	Dl_info di;

	if (dladdr((void *)same_machine, &di) && di.dli_fbase)
		self = di.dli_fbase;
	return self && ident[EI_CLASS] == self->e_ident[EI_CLASS] &&
	       ident[EI_DATA] == self->e_ident[EI_DATA] && machine == self->e_machine;
}

/* Whether the ELF file has a program interpreter (PT_INTERP): dynamically linked. */
static bool has_interp(int fd, const ElfW(Ehdr) *eh)
{
	for (unsigned i = 0; i < eh->e_phnum && i < 256; i++) {
		ElfW(Phdr) ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh->e_phoff + (ElfW(Off))i * eh->e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

/*
 * Whether the file fd will run with this library loaded (the environment
 * is checked by the caller); if not, why says so. A script: its interpreter.
 */
static bool loads_attls(int fd, int depth, char *why, size_t len)
{
	unsigned char head[256];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0) {
		snprintf(why, len, "it cannot be read: %s", strerror(errno));
		return false;
	}
	if (st.st_mode & S_ISUID) {
		snprintf(why, len, "it is set-user-ID (the loader ignores LD_PRELOAD's path)");
		return false;
	}
	if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP)) {
		snprintf(why, len, "it is set-group-ID (the loader ignores LD_PRELOAD's path)");
		return false;
	}
	if (fgetxattr(fd, "security.capability", NULL, 0) >= 0) {
		snprintf(why, len, "it has file capabilities (the loader ignores LD_PRELOAD's path)");
		return false;
	}
	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n < 0) {
		snprintf(why, len, "it cannot be read: %s", strerror(errno));
		return false;
	}
	head[n] = '\0';
	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		char interp[256], *p = (char *)head + 2;
		int ifd;
		bool ok;

		if (depth >= 4) {
			snprintf(why, len, "its interpreters nest too deep");
			return false;
		}
		p += strspn(p, " \t");
		snprintf(interp, sizeof(interp), "%.*s", (int)strcspn(p, " \t\n"), p);
		if ((ifd = REAL(open)(interp, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(why, len, "its interpreter %.100s cannot be opened: %s", interp,
				 strerror(errno));
			return false;
		}
		ok = loads_attls(ifd, depth + 1, why, len);
		REAL(close)(ifd);
		if (!ok) {
			char inner[200];

			snprintf(inner, sizeof(inner), "%s", why);
			snprintf(why, len, "its interpreter %.50s: %.150s", interp, inner);
		}
		return ok;
	}
	if (n < (ssize_t)sizeof(ElfW(Ehdr)) || memcmp(head, ELFMAG, SELFMAG)) {
		snprintf(why, len, "it is neither an ELF program nor a script");
		return false;
	}
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)head;

	if (!same_machine(eh->e_ident, eh->e_machine)) {
		snprintf(why, len, "it is built for another machine or ELF class than attls");
		return false;
	}
	if (!has_interp(fd, eh)) {
		snprintf(why, len, "it is statically linked (no program interpreter)");
		return false;
	}
	return true;
}

/* A number near the fd limit (as fork.c places its pipe), close-on-exec. */
static int move_high(int fd)
{
	struct rlimit rl;
	int hi;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 256)
		return fd;
	hi = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, (int)(rl.rlim_cur > 4096 ? 4096 : rl.rlim_cur) - 96);
	if (hi < 0)
		return fd;
	REAL(close)(fd);
	return hi;
}

/*
 * One TLS fd the program meant the new image to have: its connection's
 * (c), or one whose session came across the last exec and waits still
 * (c NULL: its bytes are passed on as they came).
 */
struct item {
	int fd;
	struct attls_conn *c;
	int first;      /* index of the first item with the same connection */
	unsigned char *blob; /* on the first of its connection: its export */
	size_t len;
	int saved;      /* cut: its socket, kept to come back if the exec fails */
};

struct plan {
	struct item *it;
	size_t n;
	int memfd;
	char **envp;
	char var[32];
	bool held_cleared;
	bool failed; /* no memory for a waiting session's items */
};

static void add_waiting(void *arg, const int *fds, size_t nfds, const unsigned char *blob,
			size_t len);

static int collect(struct plan *p)
{
	size_t cap = 0;

	for (int fd = attls_fd_next_tls(0); fd >= 0; fd = attls_fd_next_tls(fd + 1)) {
		struct attls_conn *c;

		if (attls_fd_cloexec_meant(fd) || !(c = attls_fd_get(fd)))
			continue;
		if (p->n == cap) {
			struct item *ni = realloc(p->it, (cap = cap ? cap * 2 : 8) * sizeof(*ni));

			if (!ni) {
				attls_conn_put(c);
				return -1;
			}
			p->it = ni;
		}
		struct item *i = &p->it[p->n];

		*i = (struct item){ .fd = fd, .c = c, .first = (int)p->n, .saved = -1 };
		for (size_t k = 0; k < p->n; k++)
			if (p->it[k].c == c) {
				i->first = (int)k;
				break;
			}
		p->n++;
	}
	attls_inherit_each(add_waiting, p);
	return p->failed ? -1 : 0;
}

/* A session still waiting from the last exec: its fds become items, with a copy of its bytes. */
static void add_waiting(void *arg, const int *fds, size_t nfds, const unsigned char *blob,
			size_t len)
{
	struct plan *p = arg;
	struct item *ni = realloc(p->it, (p->n + nfds) * sizeof(*ni));
	unsigned char *copy = malloc(len);

	if (!ni || !copy) {
		free(copy);
		if (ni)
			p->it = ni;
		p->failed = true;
		return;
	}
	p->it = ni;
	memcpy(copy, blob, len);
	for (size_t k = 0; k < nfds; k++)
		p->it[p->n + k] = (struct item){ .fd = fds[k], .first = (int)p->n, .saved = -1,
						 .blob = k ? NULL : copy, .len = k ? 0 : len };
	p->n += nfds;
}

static bool put(int fd, const void *buf, size_t n)
{
	for (const char *b = buf; n;) {
		ssize_t w = REAL(write)(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

/* The memfd with every exported session and the held fork pipes; -1 if it cannot be made. */
static int write_memfd(struct plan *p, const int *held, int nheld)
{
	struct attls_handoff_head h = { .nheld = (uint32_t)nheld };
	int fd;
	bool ok;

	memcpy(h.magic, ATTLS_HANDOFF_MAGIC, sizeof(h.magic));
	for (size_t i = 0; i < p->n; i++)
		h.nconn += p->it[i].first == (int)i && p->it[i].blob;
	fd = REAL(memfd_create)("attls-handoff", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	ok = put(fd, &h, sizeof(h));
	for (int k = 0; ok && k < nheld; k++)
		ok = put(fd, &(int32_t){ held[k] }, sizeof(int32_t));
	for (size_t i = 0; ok && i < p->n; i++) {
		uint32_t nfds = 0;

		if (p->it[i].first != (int)i || !p->it[i].blob)
			continue;
		for (size_t k = i; k < p->n; k++)
			nfds += p->it[k].first == (int)i;
		ok = put(fd, &nfds, sizeof(nfds));
		for (size_t k = i; ok && k < p->n; k++)
			if (p->it[k].first == (int)i)
				ok = put(fd, &(int32_t){ p->it[k].fd }, sizeof(int32_t));
		ok = ok && put(fd, &(uint32_t){ (uint32_t)p->it[i].len }, sizeof(uint32_t)) &&
		     put(fd, p->it[i].blob, p->it[i].len);
	}
	if (!ok || REAL(fcntl)(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
						   F_SEAL_SEAL) < 0) {
		REAL(close)(fd);
		return -1;
	}
	return move_high(fd);
}

/* envp with ATTLS_HANDOFF=memfd instead of any such entry it had. */
static char **with_var(struct plan *p, char *const envp[])
{
	size_t n = 0, k = 0;
	char **e;

	while (envp && envp[n])
		n++;
	if (!(e = malloc((n + 2) * sizeof(*e))))
		return NULL;
	snprintf(p->var, sizeof(p->var), "%s=%d", ATTLS_HANDOFF_ENV, p->memfd);
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], ATTLS_HANDOFF_ENV "=", sizeof(ATTLS_HANDOFF_ENV)))
			e[k++] = envp[i];
	e[k++] = p->var;
	e[k] = NULL;
	return e;
}

/* An unconnected socket takes fd's number for the new image; the socket is kept in saved. */
static void cut(struct item *i, const char *prog, const char *why)
{
	int domain = AF_INET, dead;
	socklen_t len = sizeof(domain);

	attls_trace(attls_trace_mask(), ATTLS_MSG_EXEC_CUT, NULL,
		    "fd=%d program=%s: %s; the new image gets an unconnected socket on fd %d",
		    i->fd, prog, why, i->fd);
	REAL(getsockopt)(i->fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
	i->saved = REAL(fcntl)(i->fd, F_DUPFD_CLOEXEC, 0);
	dead = REAL(socket)(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* Not close-on-exec: the program meant the number inherited. */
	if (dead < 0 || REAL(dup3)(dead, i->fd, 0) < 0)
		REAL(close)(i->fd); /* closed rather than handed over in clear */
	if (dead >= 0)
		REAL(close)(dead);
}

/*
 * The claim memfds (lib/claim.h) the blobs name, open across the exec
 * (cloexec false) or not: the new image claims the fork contests its
 * sessions carry when it uses them.
 */
static void claim_fds_inherit(struct plan *p, bool on)
{
	for (size_t k = 0; k < p->n; k++) {
		int fds[8], n = p->it[k].blob ?
			attls_handoff_claim_fds(p->it[k].blob, p->it[k].len, fds, 8) : 0;

		for (int j = 0; j < n; j++)
			REAL(fcntl)(fds[j], F_SETFD, on ? 0 : FD_CLOEXEC);
	}
}

/* Everything back as it was (the exec failed, or was never made). */
static void undo(struct plan *p, const int *held, int nheld)
{
	if (p->held_cleared)
		claim_fds_inherit(p, false);
	for (size_t k = 0; k < p->n; k++) {
		struct item *i = &p->it[k];

		if (i->saved >= 0) {
			/* A waiting session's fd: the kernel's flag is the program's (clear). */
			REAL(dup3)(i->saved, i->fd, i->c ? O_CLOEXEC : 0);
			REAL(close)(i->saved);
		} else if (i->c) {
			REAL(fcntl)(i->fd, F_SETFD, FD_CLOEXEC);
		}
		if (i->blob) {
			if (i->c)
				attls_session_export_undo(i->c->s);
			attls_handoff_free(i->blob, i->len);
		}
		if (i->c)
			attls_conn_put(i->c);
	}
	if (p->held_cleared)
		for (int k = 0; k < nheld; k++)
			REAL(fcntl)(held[k], F_SETFD, FD_CLOEXEC);
	if (p->memfd >= 0)
		REAL(close)(p->memfd);
	free(p->envp);
	free(p->it);
}

static int exec_plain(const struct target *t)
{
	struct plan p = { .memfd = -1 };
	char prog[512], why[256] = "";
	const int *held;
	int nheld = attls_fork_held(&held), img, r, err;
	bool loads = false;

	if (!atomic_load(&attls_tls_fds) && !attls_inherit_any())
		return real_exec(t, t->envp);
	if (collect(&p) < 0) {
		/* Without memory nothing can go: the kernel closes the TLS fds; the waiting are cut. */
		p.failed = false;
		for (size_t k = 0; k < p.n; k++)
			if (!p.it[k].c)
				cut(&p.it[k], "(exec)", "out of memory");
		r = real_exec(t, t->envp);
		err = errno;
		undo(&p, held, 0);
		errno = err;
		return r;
	}
	if (!p.n) {
		/* None to hand over: the kernel closes the TLS fds (close-on-exec). */
		undo(&p, held, 0);
		return real_exec(t, t->envp);
	}
	img = open_image(t, prog, sizeof(prog));
	if (img < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP ||
			errno == ENAMETOOLONG)) {
		/* No such program: the exec fails as well (were it to run, the fds close). */
		undo(&p, held, 0);
		return real_exec(t, t->envp);
	}
	if (img < 0) {
		/* The exec will fail the same way, or run what attls could not look at. */
		snprintf(why, sizeof(why), "the program cannot be read: %s", strerror(errno));
	} else if (!preloads_attls(t->envp)) {
		snprintf(why, sizeof(why), "%s", attls_engine_inherit() ?
			 "its environment does not preload attls (LD_PRELOAD)" :
			 "the policy says inherit = no: attls goes from its LD_PRELOAD");
	} else {
		loads = loads_attls(img, 0, why, sizeof(why));
	}
	if (img >= 0)
		REAL(close)(img);
	for (size_t k = 0; loads && k < p.n; k++)
		if (p.it[k].first == (int)k && p.it[k].c &&
		    attls_session_export(p.it[k].c->s, &p.it[k].blob, &p.it[k].len, false) < 0)
			p.it[k].blob = NULL; /* handoff.c said why */
	if (loads && (p.memfd = write_memfd(&p, held, nheld)) >= 0 &&
	    (p.envp = with_var(&p, t->envp))) {
		REAL(fcntl)(p.memfd, F_SETFD, 0);
		p.held_cleared = true;
		for (int k = 0; k < nheld; k++)
			REAL(fcntl)(held[k], F_SETFD, 0);
		claim_fds_inherit(&p, true);
	} else if (loads) {
		snprintf(why, sizeof(why), "its session cannot be handed over: %s", strerror(errno));
		for (size_t k = 0; k < p.n; k++)
			if (p.it[k].blob) {
				if (p.it[k].c)
					attls_session_export_undo(p.it[k].c->s);
				attls_handoff_free(p.it[k].blob, p.it[k].len);
				p.it[k].blob = NULL;
			}
	}
	for (size_t k = 0; k < p.n; k++) {
		struct item *i = &p.it[k];

		if (p.envp && p.it[i->first].blob)
			REAL(fcntl)(i->fd, F_SETFD, 0);
		else
			cut(i, prog, why[0] ? why : "its session cannot be exported");
	}
	r = real_exec(t, p.envp ? p.envp : t->envp);
	err = errno;
	undo(&p, held, nheld);
	errno = err;
	return r;
}

/*
 * inherit = no: the exec gets envp without attls in LD_PRELOAD, so a TLS
 * fd to hand over finds a new image that will not load attls, and is cut
 * (ATTLS042E), as for any such image. Allocates: an exec from a signal
 * handler under inherit = no is not async-signal-safe.
 */
static int exec_tls(const struct target *t)
{
	struct target nt;
	char *store = NULL;
	int r, err;

	if (attls_engine_inherit())
		return exec_plain(t);
	nt = *t;
	nt.envp = without_attls(t->envp, &store);
	if (!nt.envp)
		return exec_plain(t);
	r = exec_plain(&nt);
	err = errno;
	free(store);
	errno = err;
	return r;
}

ATTLS_HOOK int execve(const char *path, char *const argv[], char *const envp[])
{
	struct target t = { .how = BY_PATH, .path = path, .argv = argv, .envp = envp };

	return exec_tls(&t);
}

ATTLS_HOOK int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
			int flags)
{
	struct target t = { .how = BY_AT, .dirfd = dirfd, .path = path, .flags = flags,
			    .argv = argv, .envp = envp };

	return exec_tls(&t);
}

ATTLS_HOOK int fexecve(int fd, char *const argv[], char *const envp[])
{
	struct target t = { .how = BY_FD, .dirfd = fd, .argv = argv, .envp = envp };

	return exec_tls(&t);
}

ATTLS_HOOK int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

ATTLS_HOOK int execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct target t = { .how = BY_SEARCH, .path = file, .argv = argv, .envp = envp };

	return exec_tls(&t);
}

ATTLS_HOOK int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/*
 * posix_spawn, posix_spawnp: hooked for inherit = no only, which gives the
 * child the environment without attls as an exec would get it; the rest is
 * libc's (its child execs through libc's own execve, which no hook sees, so
 * no session goes with it: README, limits). They return an error number.
 */
ATTLS_HOOK int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	char *store = NULL, **e;
	int r;

	if (attls_engine_inherit() || !(e = without_attls(envp, &store)))
		return REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
	r = REAL(posix_spawn)(pid, path, fa, attr, argv, e);
	free(store);
	return r;
}

ATTLS_HOOK int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	char *store = NULL, **e;
	int r;

	if (attls_engine_inherit() || !(e = without_attls(envp, &store)))
		return REAL(posix_spawnp)(pid, file, fa, attr, argv, envp);
	r = REAL(posix_spawnp)(pid, file, fa, attr, argv, e);
	free(store);
	return r;
}

/*
 * execl, execle, execlp: the arguments into an array on the stack, as
 * glibc does. ap stands after arg; it is left after the NULL that ends
 * the list (execle's envp follows).
 */
#define LIST_ARGS(arg, ap, argv)                                \
	va_list c_;                                             \
	size_t n_ = 1;                                          \
	va_copy(c_, ap);                                        \
	while (va_arg(c_, char *))                              \
		n_++;                                           \
	va_end(c_);                                             \
	char *argv[n_ + 1];                                     \
	argv[0] = (char *)(arg);                                \
	for (size_t i_ = 1; i_ < n_; i_++)                      \
		argv[i_] = va_arg(ap, char *);                  \
	argv[n_] = NULL;                                        \
	(void)va_arg(ap, char *)

ATTLS_HOOK int execl(const char *path, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	LIST_ARGS(arg, ap, argv);
	va_end(ap);
	return execve(path, argv, environ);
}

ATTLS_HOOK int execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	LIST_ARGS(arg, ap, argv);
	va_end(ap);
	return execvpe(file, argv, environ);
}

ATTLS_HOOK int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;

	va_start(ap, arg);
	LIST_ARGS(arg, ap, argv);
	envp = va_arg(ap, char *const *);
	va_end(ap);
	return execve(path, argv, envp);
}
