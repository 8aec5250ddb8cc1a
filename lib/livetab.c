// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live table (livetab.h): one file per process, mapped shared.
 *
 * Threads: the table is made once, without a lock: a thread that finds
 * none makes one and installs it by compare-and-swap (a loser removes its
 * own). Slots are taken by compare-and-swap of their state (FREE to
 * CLAIMED), from a moving hint; only the slot's session writes its info,
 * under the session's lock (4 in shim/locks.h), so no lock of its own.
 *
 * fork: the child's copy of the mapping is the parent's table; the child
 * forgets it (attls_live_atfork_child) and its sessions forget their
 * slots (attls_session_fork_release), so it never writes there: a
 * connection it has from its parent stays listed under the parent. Its
 * own connections go into a table it makes on the first one.
 *
 * exec: the mapping does not survive it. The new image makes a table of
 * its own; sessions handed across exec are listed there. The old file,
 * which no process maps any more, is removed by the next reader.
 *
 * A signal handler never reaches this file: it runs at connect, accept,
 * handshake, close and in the data calls' counters, which are atomic.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "livetab.h"
#include "policy.h"
#include "sysio.h"

struct table {
	struct attls_live_head *head;
	struct attls_live_slot *slots;
	size_t size;
	pid_t pid;
	atomic_bool used; /* a slot was ever taken */
	char path[4200];
};

static _Atomic(struct table *) table;
static atomic_uint hint;
/* Written once by attls_live_process (the engine's pthread_once), then only read. */
static char p_jobname[64], p_user[64], p_policy[1024];
static uid_t p_uid;
static char p_xdg[1024]; /* $XDG_RUNTIME_DIR when the policy loaded, "" if none */
static atomic_bool p_known;
/*
 * The policy in force, for the tables made later (a fork's child): written
 * by attls_live_process and by reloads, one writer at a time (the
 * engine's pthread_once, then its reload_lock, which fork's prepare
 * holds, so a child's copy is whole), read by table_make between two
 * equal, even values of p_seq. No lock: a connect in a signal handler
 * that interrupted a writer gets no table (the copy gives up), never a
 * wait. The text is a fixed buffer, never freed under a reader; its
 * untouched pages cost nothing.
 */
static atomic_uint p_seq;
static char p_text[ATTLS_POLICY_TEXT_MAX];
static size_t p_text_len;
static uint32_t p_state;
static int64_t p_loaded, p_failed;

int64_t attls_live_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = attls_io.open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got < len && (n = attls_io.read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	attls_io.close(fd);
	return (ssize_t)got;
}

/* Field 22 of /proc/self/stat: when this pid began, in clock ticks. */
static uint64_t starttime(void)
{
	char st[1024], *p;
	ssize_t n = read_file("/proc/self/stat", st, sizeof(st) - 1);
	unsigned long long v = 0;

	if (n <= 0)
		return 0;
	st[n] = 0;
	p = strrchr(st, ')'); /* comm may hold blanks and parentheses */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &v) != 1)
		return 0;
	return v;
}

/*
 * Where the table goes: root's under /run/attls/live (mode 1777, so that a
 * process that runs as another user, such as a server's worker, may put
 * its own there and nobody may remove another's; /run/attls itself stays
 * root's alone); others' under $XDG_RUNTIME_DIR/attls, else
 * /run/attls/live if it exists. The directories are made only when the
 * policy loads (make): a later table, a forked child's, goes only into the
 * directory found then (same device and inode), so that a child that
 * chrooted or changed user since makes none rather than files where the
 * program would see them.
 */
static dev_t dir_dev;
static ino_t dir_ino;

static int table_dir(char *dir, size_t len, bool make)
{
	const char *xdg = p_xdg[0] ? p_xdg : NULL;
	struct stat st;

	if (p_uid != 0 && xdg) {
		snprintf(dir, len, "%s/attls", xdg);
		if (make && mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -1;
	} else {
		if (make && p_uid == 0 && mkdir("/run/attls", 0755) < 0 && errno != EEXIST)
			return -1;
		snprintf(dir, len, "/run/attls/live");
		if (make && mkdir(dir, 01777) == 0)
			chmod(dir, 01777); /* whatever the umask */
		else if (make && errno != EEXIST)
			return -1;
	}
	/* Not a directory attls made (a link, or another user's): not used. */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return -1;
	if (!xdg || p_uid == 0) {
		if (st.st_uid != 0 || (st.st_mode & 07777) != 01777)
			return -1;
	} else if (st.st_uid != p_uid || (st.st_mode & 077)) {
		return -1;
	}
	if (make) {
		dir_dev = st.st_dev;
		dir_ino = st.st_ino;
	} else if (st.st_dev != dir_dev || st.st_ino != dir_ino) {
		return -1;
	}
	return 0;
}

/*
 * Tables of this pid left by an image it exec'd from (its mapping did not
 * survive the exec) or by a process that had the pid before: removed when
 * the policy loads, before this image makes its own, so that a chain of
 * execs does not leave one file per image.
 */
static void sweep_own(const char *dir, pid_t pid)
{
	char prefix[32], path[4400];
	struct dirent *e;
	size_t pl;
	DIR *d = opendir(dir);

	if (!d)
		return;
	pl = (size_t)snprintf(prefix, sizeof(prefix), "%d.", (int)pid);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (!strncmp(e->d_name, prefix, pl) && l > 4 && !strcmp(e->d_name + l - 4, ".tab")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/*
 * Whether the policy's text may go into a table this process's user can
 * read: the user that loaded it, or one that may read the file itself.
 */
static bool text_allowed(void)
{
	return geteuid() == p_uid || faccessat(AT_FDCWD, p_policy, R_OK, AT_EACCESS) == 0;
}

/*
 * Copies the policy fields into a head (its policy_seq odd around it).
 * This and head_policy_copy are never inlined: GCC's -fsanitize=thread
 * build (tsan.sh) refuses the fences of a seqlock inlined twice (-Wtsan).
 */
__attribute__((noinline)) static void head_policy_write(struct attls_live_head *h, const char *text, size_t len,
			      uint32_t state, int64_t loaded, int64_t failed)
{
	uint32_t q = atomic_load_explicit(&h->policy_seq, memory_order_relaxed);

	atomic_store_explicit(&h->policy_seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	h->policy_state = state;
	h->policy_loaded = loaded;
	h->reload_failed = failed;
	if (text) {
		h->text_withheld = !text_allowed();
		if (len > h->policy_cap || h->text_withheld)
			len = 0;
		memcpy(h + 1, text, len);
		h->policy_len = (uint32_t)len;
	}
	atomic_store_explicit(&h->policy_seq, q + 2, memory_order_release);
}

/* p_* into a new table's head; false when a writer kept it busy. */
__attribute__((noinline)) static bool head_policy_copy(struct attls_live_head *h)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned q1 = atomic_load_explicit(&p_seq, memory_order_acquire), q2;

		if (q1 & 1)
			continue;
		h->policy_state = p_state;
		h->policy_loaded = p_loaded;
		h->reload_failed = p_failed;
		h->policy_len = (uint32_t)p_text_len;
		h->text_withheld = !text_allowed();
		if (p_text_len <= h->policy_cap && !h->text_withheld)
			memcpy(h + 1, p_text, p_text_len);
		else
			h->policy_len = 0;
		atomic_thread_fence(memory_order_acquire);
		q2 = atomic_load_explicit(&p_seq, memory_order_relaxed);
		if (q1 == q2)
			return true;
	}
	return false;
}

static struct table *table_make(bool first)
{
	struct table *t = calloc(1, sizeof(*t));
	unsigned char rnd[4];
	char dir[4096];
	size_t off;
	int fd;

	if (!t)
		return NULL;
	if (table_dir(dir, sizeof(dir), first) < 0 || getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != 4)
		goto fail;
	t->pid = getpid();
	if (first)
		sweep_own(dir, t->pid);
	snprintf(t->path, sizeof(t->path), "%s/%d.%02x%02x%02x%02x.tab", dir, (int)t->pid,
		 rnd[0], rnd[1], rnd[2], rnd[3]);
	/* Room for the largest text kept, for a reload's: sparse until written. */
	off = (sizeof(struct attls_live_head) + ATTLS_POLICY_TEXT_MAX + 63) & ~(size_t)63;
	t->size = off + (size_t)ATTLS_LIVE_SLOTS * sizeof(struct attls_live_slot);
	fd = attls_io.open(t->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	/* The pages stay sparse until a slot is used. */
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)t->size) < 0) {
		attls_io.close(fd);
		unlink(t->path);
		goto fail;
	}
	t->head = mmap(NULL, t->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	attls_io.close(fd);
	if (t->head == MAP_FAILED) {
		unlink(t->path);
		goto fail;
	}
	t->slots = (struct attls_live_slot *)((char *)t->head + off);
	t->head->version = ATTLS_LIVE_VERSION;
	t->head->nslots = ATTLS_LIVE_SLOTS;
	t->head->pid = (int32_t)t->pid;
	t->head->uid = (uint32_t)geteuid();
	t->head->starttime = starttime();
	t->head->slots_off = (uint32_t)off;
	t->head->policy_cap = ATTLS_POLICY_TEXT_MAX;
	memcpy(t->head->jobname, p_jobname, sizeof(p_jobname));
	/* The name if given and still ours (not a worker's that changed user), else the uid. */
	if (p_user[0] && geteuid() == p_uid)
		memcpy(t->head->user, p_user, sizeof(p_user));
	else
		snprintf(t->head->user, sizeof(t->head->user), "%u", (unsigned)geteuid());
	memcpy(t->head->policy, p_policy, sizeof(p_policy));
	if (!head_policy_copy(t->head)) {
		munmap(t->head, t->size);
		unlink(t->path);
		goto fail;
	}
	/* The magic last: a reader takes nothing before it. */
	atomic_thread_fence(memory_order_release);
	memcpy(t->head->magic, ATTLS_LIVE_MAGIC, sizeof(t->head->magic));
	return t;
fail:
	free(t);
	return NULL;
}

static void table_drop(struct table *t)
{
	unlink(t->path);
	munmap(t->head, t->size);
	free(t);
}

/*
 * This process's table, made on first use. One whose pid is not ours is
 * the parent's, seen by a child made by _Fork (which runs no fork
 * handler): the child makes its own and never writes the parent's.
 */
static struct table *table_get(void)
{
	struct table *t = atomic_load_explicit(&table, memory_order_acquire), *mine;

	if (t && t->pid == getpid()) {
		if (t->head->uid == (uint32_t)geteuid() || atomic_load(&t->used))
			return t;
		/*
		 * Made at fork, before the child changed user (a server's
		 * worker), and no slot taken yet: made again, as the user it is
		 * now, so that its user may read it. The old file goes; its
		 * mapping stays (a thread may have it in hand).
		 */
		if ((mine = table_make(false))) {
			if (atomic_compare_exchange_strong(&table, &t, mine)) {
				atomic_store_explicit(&t->head->superseded, 1, memory_order_release);
				unlink(t->path); /* EPERM when it was root's: readers remove it */
				return mine;
			}
			table_drop(mine);
		}
		return t;
	}
	if (!atomic_load_explicit(&p_known, memory_order_acquire) || !(mine = table_make(false)))
		return NULL;
	if (!atomic_compare_exchange_strong(&table, &t, mine)) {
		table_drop(mine); /* another thread's is in place */
		return t;
	}
	return mine;
}

/* One writer at a time (see p_seq). */
static void set_policy(const char *text, size_t len, uint32_t state, int64_t loaded,
		       int64_t failed)
{
	unsigned q = atomic_load_explicit(&p_seq, memory_order_relaxed);
	struct table *t;

	atomic_store_explicit(&p_seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	p_state = state;
	p_loaded = loaded;
	p_failed = failed;
	if (text) {
		p_text_len = len <= sizeof(p_text) ? len : 0;
		memcpy(p_text, text, p_text_len);
	}
	atomic_store_explicit(&p_seq, q + 2, memory_order_release);
	t = atomic_load_explicit(&table, memory_order_acquire);
	if (t && t->pid == getpid())
		head_policy_write(t->head, text, text ? p_text_len : 0, state, loaded, failed);
}

void attls_live_process(const char *jobname, const char *user, const char *policy_file,
			const char *text, size_t len, bool in_force)
{
	snprintf(p_jobname, sizeof(p_jobname), "%s", jobname ? jobname : "");
	snprintf(p_user, sizeof(p_user), "%s", user ? user : "");
	snprintf(p_policy, sizeof(p_policy), "%s", policy_file ? policy_file : "");
	p_uid = geteuid();
	/* Not in force: the text is why (the errors). */
	set_policy(text ? text : "", text ? len : 0,
		   in_force ? ATTLS_LIVE_POLICY_IN_FORCE : ATTLS_LIVE_POLICY_NONE,
		   in_force ? (int64_t)time(NULL) : 0, 0);
	{
		const char *xdg = secure_getenv("XDG_RUNTIME_DIR");

		if (xdg && *xdg == '/' && strlen(xdg) < sizeof(p_xdg))
			snprintf(p_xdg, sizeof(p_xdg), "%s", xdg);
	}
	{
		struct table *t = table_make(true), *none = NULL;

		if (t && !atomic_compare_exchange_strong(&table, &none, t))
			table_drop(t);
	}
	atomic_store_explicit(&p_known, true, memory_order_release);
}

void attls_live_policy(const char *text, size_t len)
{
	set_policy(text ? text : "", text ? len : 0, ATTLS_LIVE_POLICY_IN_FORCE,
		   (int64_t)time(NULL), 0);
}

void attls_live_reload_failed(void)
{
	set_policy(NULL, 0, p_state, p_loaded, (int64_t)time(NULL));
}

static void write_info(struct attls_live_slot *sl, const struct attls_live_info *info)
{
	uint32_t q = atomic_load_explicit(&sl->seq, memory_order_relaxed);

	atomic_store_explicit(&sl->seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(&sl->info, info, sizeof(*info));
	atomic_store_explicit(&sl->seq, q + 2, memory_order_release);
}

struct attls_live_slot *attls_live_claim(const struct attls_live_info *info,
					 enum attls_live_state st)
{
	struct table *t = table_get();
	unsigned start;

	if (!t)
		return NULL;
	atomic_store_explicit(&t->used, true, memory_order_relaxed);
	start = atomic_fetch_add_explicit(&hint, 1, memory_order_relaxed);
	for (unsigned i = 0; i < ATTLS_LIVE_SLOTS; i++) {
		struct attls_live_slot *sl = &t->slots[(start + i) % ATTLS_LIVE_SLOTS];
		uint32_t free_st = ATTLS_LIVE_FREE;

		if (atomic_load_explicit(&sl->state, memory_order_relaxed) != ATTLS_LIVE_FREE ||
		    !atomic_compare_exchange_strong(&sl->state, &free_st, ATTLS_LIVE_CLAIMED))
			continue;
		atomic_store_explicit(&sl->bytes_in, 0, memory_order_relaxed);
		atomic_store_explicit(&sl->bytes_out, 0, memory_order_relaxed);
		atomic_store_explicit(&sl->last_ms, info->started_ms, memory_order_relaxed);
		write_info(sl, info);
		atomic_store_explicit(&sl->state, st, memory_order_release);
		return sl;
	}
	return NULL; /* full: the connection works, unlisted */
}

void attls_live_update(struct attls_live_slot *sl, const struct attls_live_info *info,
		       enum attls_live_state st)
{
	if (!sl)
		return;
	write_info(sl, info);
	atomic_store_explicit(&sl->state, st, memory_order_release);
}

void attls_live_rewrite(struct attls_live_slot *sl, const struct attls_live_info *info)
{
	if (sl)
		write_info(sl, info);
}

void attls_live_state(struct attls_live_slot *sl, enum attls_live_state st)
{
	if (sl)
		atomic_store_explicit(&sl->state, st, memory_order_release);
}

void attls_live_release(struct attls_live_slot *sl)
{
	if (sl)
		atomic_store_explicit(&sl->state, ATTLS_LIVE_FREE, memory_order_release);
}

/* The parent's table, still mapped in a fork's child until its handler ends. */
static struct table *parents;

void attls_live_atfork_child(void)
{
	struct table *t = atomic_load_explicit(&table, memory_order_relaxed), *mine;

	/*
	 * The parent's mapping stays (a thread of the parent's may be in a
	 * slot's write: none here). The child's own is made now, so that it
	 * is listed, with its policy, before any connection of its own: a
	 * file made and its fd closed again, the fd numbers as they were. A
	 * child that execs at once has it removed by the new image.
	 */
	atomic_store_explicit(&table, NULL, memory_order_relaxed);
	parents = t && t->pid != getpid() ? t : NULL;
	if (t && atomic_load_explicit(&p_known, memory_order_acquire) && (mine = table_make(false)))
		atomic_store_explicit(&table, mine, memory_order_release);
}

void attls_live_atfork_child_done(void)
{
	/*
	 * The sessions have read their counters from it (fork_release): the
	 * parent's table is unmapped, so that a child that becomes another
	 * user (a worker) cannot write what attls status shows of its parent.
	 */
	if (parents) {
		munmap(parents->head, parents->size);
		free(parents);
		parents = NULL;
	}
}

void attls_live_carry(struct attls_live_slot *sl, uint64_t in, uint64_t out, int64_t last_ms)
{
	if (!sl)
		return;
	atomic_fetch_add_explicit(&sl->bytes_in, in, memory_order_relaxed);
	atomic_fetch_add_explicit(&sl->bytes_out, out, memory_order_relaxed);
	if (last_ms)
		atomic_store_explicit(&sl->last_ms, last_ms, memory_order_relaxed);
}

const char *attls_live_path(void)
{
	struct table *t = atomic_load_explicit(&table, memory_order_acquire);

	return t ? t->path : "";
}

/* A process that exits leaves no table behind (one killed does: the reader removes it). */
__attribute__((destructor)) static void live_exit(void)
{
	struct table *t = atomic_load_explicit(&table, memory_order_acquire);

	if (t && t->pid == getpid())
		unlink(t->path);
}
