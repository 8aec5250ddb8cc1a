/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Claim words: which process owns a connection copied by fork. Each fork
 * that has TLS sessions maps one shared anonymous block (MAP_SHARED, so
 * the parent and the child write the same memory) with one word per
 * session; a word holds 0 while nobody has used the copy since that
 * fork, then the pid of the process that did (compare-and-swap: exactly
 * one wins). lib/session.c says who claims when.
 */
#ifndef ATTLS_CLAIM_H
#define ATTLS_CLAIM_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

struct attls_claims;

/* Forks a copy may go through unused before a new child gets no share of it. */
#define ATTLS_CLAIM_CHAIN 8

/*
 * A block of n words, with one reference for the caller; NULL without
 * memory. Made in fork's prepare, before the fork, so both processes map
 * it. Each session holding a word holds a reference (per process: the
 * count is private memory, copied by fork with the sessions that hold it).
 */
struct attls_claims *attls_claims_new(int n);
/* The block's next free word, with a reference; NULL when all are given. */
atomic_int *attls_claims_take(struct attls_claims *b);
/*
 * Across exec: the word index of the memfd fd the old image handed over
 * (*bp: a block of its own, one reference); NULL if fd is not one.
 */
atomic_int *attls_claims_open(int fd, uint32_t index, struct attls_claims **bp);
/* The memfds open in this process (up to max in fds): their count. */
int attls_claims_fds(int *fds, int max);
/* The memfd's number and w's index in it, for the handoff. */
int attls_claims_fd(const struct attls_claims *b, const atomic_int *w, uint32_t *index);
void attls_claims_put(struct attls_claims *b);

/*
 * Claims w for me: 0 if it was free or already mine, else the pid that
 * holds it.
 */
pid_t attls_claim(atomic_int *w, pid_t me);

#endif
