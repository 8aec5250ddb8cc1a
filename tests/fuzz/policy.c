/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy loader on arbitrary INI text: written to a private file
 * (mode 0600, as a policy may be) and loaded with ATTLS_POLICY_NO_FILES,
 * so that no path the text names is opened. Every path out of the loader
 * must free what it took: the leak check counts.
 */
#include <fcntl.h>
#include <unistd.h>

#include "../../lib/policy.h"
#include "fuzz.h"

static char path[64];
static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* In memory where there is /dev/shm: a file on disk costs a write per run. */
	snprintf(path, sizeof(path), "/dev/shm/attls-fuzz-policy.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/attls-fuzz-policy.XXXXXX");
		fd = mkstemp(path);
	}
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return 0;
}

static void removed(void) __attribute__((destructor));
static void removed(void)
{
	if (fd >= 0)
		unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attls_errors errs = { 0 };
	struct attls_policy *p;

	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
		perror(path);
		abort();
	}
	p = attls_policy_load_ex(path, ATTLS_POLICY_NO_FILES, &errs);
	/* A policy, or the reasons there is none: never both, never neither. */
	FUZZ_ASSERT(!p != !errs.n);
	/* A NUL byte would hide the rest of its line: no text policy has one. */
	FUZZ_ASSERT(!p || !memchr(data, '\0', size));
	for (size_t i = 0; i < errs.n; i++)
		FUZZ_ASSERT(!strncmp(errs.msg[i], path, strlen(path)) &&
			    errs.msg[i][strlen(path)] == ':');
	if (p) {
		FUZZ_ASSERT(p->n_traffic > 0);
		for (size_t i = 0; i < p->n_traffic; i++) {
			const struct attls_traffic *t = &p->traffic[i];

			FUZZ_ASSERT(!t->enabled || t->keyring);
			FUZZ_ASSERT(t->direction >= ATTLS_DIR_INBOUND &&
				    t->direction <= ATTLS_DIR_BOTH);
		}
	}
	attls_policy_free(p);
	attls_errors_free(&errs);
	return 0;
}
