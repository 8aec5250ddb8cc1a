/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "namemap.h"

struct attls_namemap_entry {
	uint64_t hash;
	char *key; /* NULL: a free slot */
	size_t len, val;
};

/* FNV-1a, 64 bits. */
static uint64_t hash_of(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* The slot that holds key, or the free one where it would go. */
static struct attls_namemap_entry *slot(const struct attls_namemap *m, const void *key,
					size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct attls_namemap_entry *e = &m->e[i];

		if (!e->key || (e->hash == h && e->len == len && !memcmp(e->key, key, len)))
			return e;
	}
}

static int resize(struct attls_namemap *m)
{
	struct attls_namemap old = *m;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->e = calloc(m->cap, sizeof(*m->e));
	if (!m->e) {
		*m = old;
		return -1;
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.e[i].key)
			*slot(m, old.e[i].key, old.e[i].len, old.e[i].hash) = old.e[i];
	free(old.e);
	return 0;
}

int attls_namemap_put(struct attls_namemap *m, const void *key, size_t len, size_t val,
		      size_t *old)
{
	uint64_t h = hash_of(key, len);
	struct attls_namemap_entry *e;

	if ((m->n + 1) * 2 > m->cap && resize(m) < 0)
		return -1;
	e = slot(m, key, len, h);
	if (e->key) {
		if (old)
			*old = e->val;
		return 0;
	}
	e->key = malloc(len ? len : 1);
	if (!e->key)
		return -1;
	memcpy(e->key, key, len);
	e->hash = h;
	e->len = len;
	e->val = val;
	m->n++;
	return 1;
}

bool attls_namemap_get(const struct attls_namemap *m, const void *key, size_t len,
		       size_t *val)
{
	struct attls_namemap_entry *e;

	if (!m->cap)
		return false;
	e = slot(m, key, len, hash_of(key, len));
	if (!e->key)
		return false;
	*val = e->val;
	return true;
}

void attls_namemap_free(struct attls_namemap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->e[i].key);
	free(m->e);
	m->e = NULL;
	m->n = m->cap = 0;
}
