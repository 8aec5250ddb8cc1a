// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading the live tables (lib/livetab.c says how they are written). A
 * table is believed only when its process is alive and is the one that
 * made it: the pid's start time is the table's, the process maps the
 * file (an exec since made a new image, which has a table of its own),
 * and the file belongs to root or to one of the process's uids (a user
 * cannot pass a table off as another's process).
 */
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "livescan.h"
#include "procscan.h"

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	return (ssize_t)got;
}

static int pid_starttime(pid_t pid, unsigned long long *v)
{
	char path[64], st[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, st, sizeof(st)) <= 0)
		return -1;
	p = strrchr(st, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", v) != 1)
		return -1;
	return 0;
}

/* Whether uid is one of pid's (real, effective, saved, filesystem). */
/* The process's uids (real, effective, saved, fs); -1 when it cannot be read. */
static int uids_of(pid_t pid, unsigned u[4])
{
	char path[64], st[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, st, sizeof(st)) <= 0 || !(p = strstr(st, "\nUid:")) ||
	    sscanf(p + 5, "%u %u %u %u", &u[0], &u[1], &u[2], &u[3]) != 4)
		return -1;
	return 0;
}

static bool uid_of(pid_t pid, uid_t uid)
{
	unsigned u[4];

	if (uids_of(pid, u) < 0)
		return false;
	for (int i = 0; i < 4; i++)
		if (u[i] == uid)
			return true;
	return false;
}

static void copy_slot(const struct attls_live_slot *sl, struct live_conn *c, bool *ok)
{
	*ok = false;
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t q1 = atomic_load_explicit(&sl->seq, memory_order_acquire), q2;

		if (q1 & 1)
			continue;
		memcpy(&c->info, (const void *)&sl->info, sizeof(c->info));
		atomic_thread_fence(memory_order_acquire);
		q2 = atomic_load_explicit(&sl->seq, memory_order_relaxed);
		if (q1 != q2)
			continue;
		c->state = atomic_load_explicit(&sl->state, memory_order_acquire);
		c->bytes_in = atomic_load_explicit(&sl->bytes_in, memory_order_relaxed);
		c->bytes_out = atomic_load_explicit(&sl->bytes_out, memory_order_relaxed);
		c->last_ms = atomic_load_explicit(&sl->last_ms, memory_order_relaxed);
		*ok = c->state >= ATTLS_LIVE_HANDSHAKE && c->state <= ATTLS_LIVE_CLOSING;
		return;
	}
}

/* The policy fields and text, between two equal, even values of policy_seq. */
static bool copy_policy(const struct attls_live_head *h, struct live_proc *p)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t q1 = atomic_load_explicit(&h->policy_seq, memory_order_acquire), q2;

		if (q1 & 1) {
			sched_yield();
			continue;
		}
		p->policy_state = h->policy_state;
		p->policy_loaded = h->policy_loaded;
		p->reload_failed = h->reload_failed;
		p->text_withheld = h->text_withheld != 0;
		p->policy_len = h->policy_len <= h->policy_cap ? h->policy_len : 0;
		memcpy(p->policy_text, h + 1, p->policy_len);
		atomic_thread_fence(memory_order_acquire);
		q2 = atomic_load_explicit(&h->policy_seq, memory_order_relaxed);
		if (q1 == q2)
			return true;
	}
	return false;
}

static int read_table(struct live_scan *sc, const char *path, pid_t pid)
{
	const struct attls_live_head *h;
	struct live_proc *p, *more;
	unsigned long long start;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		if (errno == EACCES)
			sc->unreadable++;
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < sizeof(*h)) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	h = map;
	/* Every version begins with magic, version, nslots, pid, uid and starttime. */
	if (memcmp(h->magic, ATTLS_LIVE_MAGIC, sizeof(h->magic)) || h->pid != (int32_t)pid)
		goto out; /* being made */
	if (pid_starttime(pid, &start) < 0 || start != h->starttime || attls_proc_maps_file(pid, path, &st) == 0) {
		/* Its process is gone, or exec'd: nobody will write it again. */
		if (unlink(path) == 0)
			sc->removed++;
		goto out;
	}
	if (h->version != ATTLS_LIVE_VERSION)
		goto out; /* a process of another version of attls */
	if (atomic_load_explicit(&h->superseded, memory_order_acquire)) {
		/* Its process has another, made as the user it became. */
		if (unlink(path) == 0)
			sc->removed++;
		goto out;
	}
	if (st.st_uid != 0 && !uid_of(pid, st.st_uid))
		goto out;
	if ((size_t)h->slots_off + (size_t)h->nslots * sizeof(struct attls_live_slot) >
		    (size_t)st.st_size ||
	    sizeof(*h) + h->policy_cap > h->slots_off)
		goto out;
	more = realloc(sc->procs, (sc->n_procs + 1) * sizeof(*more));
	if (!more) {
		rc = -1;
		goto out;
	}
	sc->procs = more;
	p = &sc->procs[sc->n_procs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	/* Its effective user now (a worker made by fork changes user after its table was made). */
	{
		unsigned u[4];

		p->uid = uids_of(pid, u) == 0 ? u[1] : h->uid;
	}
	memcpy(p->jobname, h->jobname, sizeof(p->jobname) - 1);
	/* Its name now; the one it recorded if the uid has none here. */
	struct passwd *pw = getpwuid(p->uid);

	if (pw)
		snprintf(p->user, sizeof(p->user), "%s", pw->pw_name);
	else if (p->uid == h->uid)
		memcpy(p->user, h->user, sizeof(p->user) - 1);
	else
		snprintf(p->user, sizeof(p->user), "%u", (unsigned)p->uid);
	memcpy(p->policy, h->policy, sizeof(p->policy) - 1);
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->policy_text = malloc((size_t)h->policy_cap + 1);
	p->conns = calloc(h->nslots ? h->nslots : 1, sizeof(*p->conns));
	if (!p->policy_text || !p->conns) {
		free(p->policy_text);
		free(p->conns);
		rc = -1;
		goto out;
	}
	if (!copy_policy(h, p)) {
		/* A reload that does not end (its process stopped in it): the text is not shown. */
		p->policy_len = 0;
		p->policy_busy = true;
	}
	p->policy_text[p->policy_len] = 0;
	const struct attls_live_slot *slots =
		(const void *)((const char *)map + h->slots_off);

	for (uint32_t i = 0; i < h->nslots; i++) {
		bool ok;

		if (atomic_load_explicit(&slots[i].state, memory_order_relaxed) < ATTLS_LIVE_HANDSHAKE)
			continue;
		copy_slot(&slots[i], &p->conns[p->n_conns], &ok);
		if (ok) {
			struct attls_live_info *in = &p->conns[p->n_conns].info;

			/* Strings from another process: terminated here, whatever it wrote. */
			in->descriptor[sizeof(in->descriptor) - 1] = 0;
			in->protocol[sizeof(in->protocol) - 1] = 0;
			in->cipher[sizeof(in->cipher) - 1] = 0;
			in->device[sizeof(in->device) - 1] = 0;
			in->subject[sizeof(in->subject) - 1] = 0;
			in->issuer[sizeof(in->issuer) - 1] = 0;
			in->serial[sizeof(in->serial) - 1] = 0;
			p->n_conns++;
		}
	}
	sc->n_procs++;
out:
	munmap(map, (size_t)st.st_size);
	return rc;
}

static int scan_dir(struct live_scan *sc, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4200];

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		size_t l = strlen(e->d_name);

		if (pid <= 0 || *end != '.' || l < 5 || strcmp(e->d_name + l - 4, ".tab"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (read_table(sc, path, (pid_t)pid) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int by_pid(const void *a, const void *b)
{
	const struct live_proc *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Directories scanned already (a handful: a linear search will do). */
struct dirset;
static int scan_all(struct live_scan *sc, struct dirset *ds);

struct dirset {
	char **d;
	size_t n;
};

static bool dirset_add(struct dirset *ds, const char *dir)
{
	char **more;

	for (size_t i = 0; i < ds->n; i++)
		if (!strcmp(ds->d[i], dir))
			return false;
	more = realloc(ds->d, (ds->n + 1) * sizeof(*more));
	if (!more || !(more[ds->n] = strdup(dir))) {
		ds->d = more ? more : ds->d;
		return false;
	}
	ds->d = more;
	ds->n++;
	return true;
}

static int scan_new_dir(struct live_scan *sc, struct dirset *ds, const char *dir)
{
	return dirset_add(ds, dir) ? scan_dir(sc, dir) : 0;
}

/*
 * root: the tables processes map, wherever their $XDG_RUNTIME_DIR put
 * them (/proc/PID/maps names the file): each one's directory is read as
 * the others are, a table's process checked the same way.
 */
static int scan_maps(struct live_scan *sc, struct dirset *ds)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], line[4608];
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/maps", e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		while (rc == 0 && fgets(line, sizeof(line), f)) {
			char *file = strchr(line, '/'), *slash;
			size_t l;

			if (!file)
				continue;
			file[strcspn(file, "\n")] = 0;
			l = strlen(file);
			if (l < 11 || strcmp(file + l - 4, ".tab") || !(slash = strrchr(file, '/')) ||
			    slash - file < 6 || strncmp(slash - 6, "/attls", 6))
				continue;
			*slash = 0;
			rc = scan_new_dir(sc, ds, file);
		}
		fclose(f);
	}
	closedir(d);
	return rc;
}

int attls_live_scan(struct live_scan *sc)
{
	struct dirset ds = { 0 };
	int rc = scan_all(sc, &ds);

	for (size_t i = 0; i < ds.n; i++)
		free(ds.d[i]);
	free(ds.d);
	if (rc == 0)
		qsort(sc->procs, sc->n_procs, sizeof(*sc->procs), by_pid);
	return rc;
}

static int scan_all(struct live_scan *sc, struct dirset *ds)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char dir[4200];

	memset(sc, 0, sizeof(*sc));
	if (scan_new_dir(sc, ds, "/run/attls/live") < 0)
		return -1;
	if (geteuid() == 0) {
		DIR *d = opendir("/run/user");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(dir, sizeof(dir), "/run/user/%s/attls", e->d_name);
			if (scan_new_dir(sc, ds, dir) < 0) {
				closedir(d);
				return -1;
			}
		}
		if (d)
			closedir(d);
	}
	if (xdg && *xdg == '/') {
		snprintf(dir, sizeof(dir), "%s/attls", xdg);
		if (scan_new_dir(sc, ds, dir) < 0)
			return -1;
	}
	/* A user's own login-session directory, whatever this shell's environment. */
	if (geteuid() != 0) {
		snprintf(dir, sizeof(dir), "/run/user/%u/attls", (unsigned)geteuid());
		if (scan_new_dir(sc, ds, dir) < 0)
			return -1;
	}
	return geteuid() == 0 ? scan_maps(sc, ds) : 0;
}

void attls_live_scan_free(struct live_scan *sc)
{
	for (size_t i = 0; i < sc->n_procs; i++) {
		free(sc->procs[i].policy_text);
		free(sc->procs[i].conns);
	}
	free(sc->procs);
	memset(sc, 0, sizeof(*sc));
}
