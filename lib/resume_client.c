/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "resume_client.h"

#define CACHE_MAX 64 /* a wolfSSL session is 41 KiB in Debian's build */

struct kept {
	char *key;
	WOLFSSL_SESSION *sess; /* a copy of its own, never changed once kept */
	struct kept *next;
};

/*
 * cache_lock guards the list (most recent first) and the sessions in it.
 * It nests under a session's own lock (offer and keep are called with it
 * held) and nothing nests under it but wolfSSL's copy and free. No signal
 * handler takes it. 10 in the lock order of shim/locks.h: fork's prepare
 * takes it, so a child never inherits it held by a thread that does not
 * exist there, and both processes let go.
 */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept *cache;

void attls_resume_atfork_prepare(void)
{
	pthread_mutex_lock(&cache_lock);
}

void attls_resume_atfork_release(void)
{
	pthread_mutex_unlock(&cache_lock);
}

static void lock(void)
{
	pthread_mutex_lock(&cache_lock);
}

/* wolfSSL calls this when a NewSessionTicket has been taken in. */
static int ticket_arrived(WOLFSSL *ssl, const unsigned char *ticket, int len, void *ctx)
{
	(void)ssl;
	(void)ticket;
	if (len > 0)
		*(bool *)ctx = true;
	return 0;
}

static void kept_free(struct kept *k)
{
	wolfSSL_SESSION_free(k->sess);
	free(k->key);
	free(k);
}

/* Unlinks and returns key's entry, or NULL. Under cache_lock. */
static struct kept *unlink_key(const char *key)
{
	for (struct kept **p = &cache; *p; p = &(*p)->next) {
		if (!strcmp((*p)->key, key)) {
			struct kept *k = *p;

			*p = k->next;
			return k;
		}
	}
	return NULL;
}

bool attls_resume_offer(WOLFSSL *ssl, const char *key, bool *fresh)
{
	bool offered = false;

	if (!key)
		return false;
	*fresh = false;
	wolfSSL_set_SessionTicket_cb(ssl, ticket_arrived, fresh);
	lock();
	for (struct kept *k = cache; k; k = k->next) {
		if (!strcmp(k->key, key)) {
			/* wolfSSL copies it into ssl: the kept one stays as it is. */
			offered = wolfSSL_set_session(ssl, k->sess) == WOLFSSL_SUCCESS;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return offered;
}

void attls_resume_keep(WOLFSSL *ssl, const char *key, bool *fresh)
{
	WOLFSSL_SESSION *live, *copy;
	struct kept *k, **p;
	int n = 0;

	if (!key || !*fresh)
		return;
	*fresh = false;
	if (!(live = wolfSSL_get1_session(ssl)))
		return;
	copy = wolfSSL_SESSION_has_ticket(live) ?
		       wolfSSL_SESSION_dup(live) : NULL;
	wolfSSL_SESSION_free(live);
	if (!copy)
		return;
	lock();
	if ((k = unlink_key(key))) {
		wolfSSL_SESSION_free(k->sess);
	} else if (!(k = calloc(1, sizeof(*k))) || !(k->key = strdup(key))) {
		free(k);
		wolfSSL_SESSION_free(copy);
		goto out;
	}
	k->sess = copy;
	k->next = cache;
	cache = k;
	/* Bounded: the least recent go. */
	for (p = &cache; *p; p = &(*p)->next) {
		if (++n > CACHE_MAX) {
			struct kept *old = *p;

			*p = NULL;
			while (old) {
				struct kept *next = old->next;

				kept_free(old);
				old = next;
			}
			break;
		}
	}
out:
	pthread_mutex_unlock(&cache_lock);
}

void attls_resume_forget(const char *key)
{
	struct kept *k;

	if (!key)
		return;
	lock();
	k = unlink_key(key);
	pthread_mutex_unlock(&cache_lock);
	if (k)
		kept_free(k);
}

void attls_resume_forget_all(void)
{
	struct kept *k;

	lock();
	k = cache;
	cache = NULL;
	pthread_mutex_unlock(&cache_lock);
	while (k) {
		struct kept *next = k->next;

		kept_free(k);
		k = next;
	}
}
