/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "p11uri.h"
#include "stamps.h"

static void stamp_now(struct attls_stamp *s)
{
	struct stat st;

	/* Symbolic links followed: a link switched to a new target is a change. */
	if (stat(s->path, &st) < 0) {
		s->err = errno;
		s->dev = 0;
		s->ino = 0;
		s->size = 0;
		s->mtime_s = 0;
		s->mtime_ns = 0;
		return;
	}
	s->err = 0;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime_s = st.st_mtim.tv_sec;
	s->mtime_ns = st.st_mtim.tv_nsec;
}

int attls_stamps_add(struct attls_stamps *out, const char *path)
{
	struct attls_stamp *a;

	if (!path)
		return 0;
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->s[i].path, path))
			return 0;
	a = realloc(out->s, (out->n + 1) * sizeof(*a));
	if (!a)
		return -1;
	out->s = a;
	a = &out->s[out->n];
	memset(a, 0, sizeof(*a));
	a->path = strdup(path);
	if (!a->path)
		return -1;
	stamp_now(a);
	out->n++;
	return 0;
}

/* A key ring's cert or key may be a PKCS#11 URI: no file to watch. */
static int add_file(struct attls_stamps *out, const char *path)
{
	return path && !attls_p11uri_is(path) ? attls_stamps_add(out, path) : 0;
}

int attls_stamps_add_policy(struct attls_stamps *out, const struct attls_policy *p)
{
	int rc = 0;

	for (size_t i = 0; i < p->n_keyrings; i++) {
		const struct attls_keyring *kr = &p->keyrings[i];

		rc |= add_file(out, kr->cert);
		rc |= add_file(out, kr->key);
		rc |= add_file(out, kr->ca);
		rc |= add_file(out, kr->crl);
	}
	rc |= add_file(out, p->ticket_key_file);
	rc |= add_file(out, p->p11_pin_source);
	return rc ? -1 : 0;
}

bool attls_stamps_changed(const struct attls_stamps *st, const char **path)
{
	for (size_t i = 0; i < st->n; i++) {
		struct attls_stamp now = { .path = st->s[i].path };
		const struct attls_stamp *was = &st->s[i];

		stamp_now(&now);
		if (now.err != was->err || now.dev != was->dev || now.ino != was->ino ||
		    now.size != was->size || now.mtime_s != was->mtime_s ||
		    now.mtime_ns != was->mtime_ns) {
			if (path)
				*path = was->path;
			return true;
		}
	}
	return false;
}

void attls_stamps_free(struct attls_stamps *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->s[i].path);
	free(st->s);
	st->s = NULL;
	st->n = 0;
}
