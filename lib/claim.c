/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <sys/mman.h>

#include "claim.h"

struct attls_claims {
	atomic_int *words; /* shared: MAP_SHARED | MAP_ANONYMOUS */
	size_t len;
	int n, next;       /* next: written in prepare only, by the forking thread */
	atomic_int refs;   /* private to each process */
};

struct attls_claims *attls_claims_new(int n)
{
	struct attls_claims *b = malloc(sizeof(*b));

	if (!b || n <= 0) {
		free(b);
		return NULL;
	}
	b->len = (size_t)n * sizeof(atomic_int);
	/* mmap, not a hook: safe with every attls lock held. */
	b->words = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b->words == MAP_FAILED) {
		free(b);
		return NULL;
	}
	b->n = n;
	b->next = 0;
	atomic_init(&b->refs, 1);
	return b;
}

atomic_int *attls_claims_take(struct attls_claims *b)
{
	if (!b || b->next >= b->n)
		return NULL;
	atomic_fetch_add(&b->refs, 1);
	return &b->words[b->next++];
}

void attls_claims_get(struct attls_claims *b)
{
	if (b)
		atomic_fetch_add(&b->refs, 1);
}

void attls_claims_put(struct attls_claims *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		munmap(b->words, b->len);
		free(b);
	}
}

pid_t attls_claim(atomic_int *w, pid_t me)
{
	int seen = 0;

	if (atomic_compare_exchange_strong(w, &seen, (int)me) || seen == (int)me)
		return 0;
	return (pid_t)seen;
}
