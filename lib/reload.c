/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "envtrust.h"
#include "reload.h"

#define CHECK_EVERY_MS 1000

/*
 * Written once by attls_reload_setup (under the engine's pthread_once),
 * read only after. The seen words and the next check's time are atomics:
 * threads race for them by compare-and-exchange and one wins; a fork
 * copies them as they are, and a child (another pid, another request
 * file) starts with its own file's first time as a request only if it is
 * new.
 */
static char dirs[2][256];
static size_t n_dirs;
static uint64_t seen[2];
static uint64_t next_check_ms;

int attls_reload_path(const char *dir, pid_t pid, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/reload.%d", dir, (int)pid);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The request file's time and inode as one word; 0 when there is none. */
static uint64_t request_word(size_t i)
{
	char path[300];
	struct stat st;

	if (attls_reload_path(dirs[i], getpid(), path, sizeof(path)) < 0 || stat(path, &st) < 0)
		return 0;
	return ((uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec) ^
	       ((uint64_t)st.st_ino << 32);
}

void attls_reload_setup(bool secure)
{
	const char *xdg = attls_env(secure, "XDG_RUNTIME_DIR");

	n_dirs = 0;
	snprintf(dirs[n_dirs++], sizeof(dirs[0]), "%s", ATTLS_RUN_DIR);
	if (xdg && xdg[0] == '/' && strlen(xdg) + sizeof("/attls") <= sizeof(dirs[0]))
		snprintf(dirs[n_dirs++], sizeof(dirs[0]), "%s/attls", xdg);
	for (size_t i = 0; i < n_dirs; i++)
		__atomic_store_n(&seen[i], request_word(i), __ATOMIC_RELAXED);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	/* The vDSO's coarse clock: no system call, a few ms of precision. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int attls_reload_due(void)
{
	uint64_t now, next;

	for (size_t i = 0; i < n_dirs; i++) {
		uint64_t w = request_word(i), old = __atomic_load_n(&seen[i], __ATOMIC_RELAXED);

		/* A file gone is no request; a new time is, for the thread that takes it. */
		if (w != old && __atomic_compare_exchange_n(&seen[i], &old, w, false,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED) && w)
			return ATTLS_RELOAD_ASKED;
	}
	now = now_ms();
	next = __atomic_load_n(&next_check_ms, __ATOMIC_RELAXED);
	if (now < next)
		return ATTLS_RELOAD_NONE;
	return __atomic_compare_exchange_n(&next_check_ms, &next, now + CHECK_EVERY_MS, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED) ?
		       ATTLS_RELOAD_TIMER : ATTLS_RELOAD_NONE;
}

void attls_reload_again(void)
{
	/* The file's word differs from 0: the next call takes it as new. */
	for (size_t i = 0; i < n_dirs; i++)
		__atomic_store_n(&seen[i], 0, __ATOMIC_RELAXED);
}
