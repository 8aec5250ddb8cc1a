/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "tickets.h"

#include <wolfssl/wolfcrypt/hmac.h>

#define SECRET_SZ 32
#define ROTATE_S 3600
#define GCM_IV_SZ 12
#define GCM_TAG_SZ 16
#define CACHE_MAX 64 /* a wolfSSL session is 41 KiB in Debian's build */

static unsigned char secret[SECRET_SZ];
static const unsigned char magic[8] = "attlstk1";

int attls_tickets_setup(const struct attls_policy *p, struct attls_errors *errs)
{
	if (!p->ticket_key_file) {
		if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
			attls_errors_add(errs, p->file, 0, "no randomness for ticket keys: %s",
					 strerror(errno));
			return -1;
		}
		return 0;
	}
	int fd = open(p->ticket_key_file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, secret, sizeof(secret));

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(secret)) {
		attls_errors_add(errs, p->file, p->ticket_key_file_line,
				 "ticket_key_file: %s: %s", p->ticket_key_file,
				 n < 0 ? strerror(errno) : "needs at least 32 bytes of random data");
		return -1;
	}
	return 0;
}

/* The hour's key: HMAC-SHA256(secret, magic || hour). */
static int hour_key(uint64_t hour, unsigned char key[32])
{
	unsigned char msg[16];
	Hmac h;
	int rc;

	memcpy(msg, magic, 8);
	for (int i = 0; i < 8; i++)
		msg[8 + i] = (unsigned char)(hour >> (56 - 8 * i));
	if (attls_wolf.wc_HmacInit(&h, NULL, INVALID_DEVID) != 0)
		return -1;
	rc = attls_wolf.wc_HmacSetKey(&h, WC_SHA256, secret, sizeof(secret)) ||
	     attls_wolf.wc_HmacUpdate(&h, msg, sizeof(msg)) ||
	     attls_wolf.wc_HmacFinal(&h, key);
	attls_wolf.wc_HmacFree(&h);
	return rc ? -1 : 0;
}

int attls_ticket_seal(uint64_t when, unsigned char *name, unsigned char *iv, unsigned char *mac,
		      int enc, unsigned char *data, int len)
{
	uint64_t now = when / ROTATE_S, hour = now;
	unsigned char key[32];
	Aes aes;
	int rc;

	if (enc) {
		memcpy(name, magic, 8);
		for (int i = 0; i < 8; i++)
			name[8 + i] = (unsigned char)(hour >> (56 - 8 * i));
		memset(iv, 0, WOLFSSL_TICKET_IV_SZ);
		if (getrandom(iv, GCM_IV_SZ, 0) != GCM_IV_SZ)
			return WOLFSSL_TICKET_RET_FATAL;
	} else {
		if (memcmp(name, magic, 8))
			return WOLFSSL_TICKET_RET_REJECT;
		hour = 0;
		for (int i = 0; i < 8; i++)
			hour = hour << 8 | name[8 + i];
		if (hour != now && hour + 1 != now)
			return WOLFSSL_TICKET_RET_REJECT; /* expired key */
	}
	if (hour_key(hour, key) < 0 || attls_wolf.wc_AesInit(&aes, NULL, INVALID_DEVID) != 0)
		return WOLFSSL_TICKET_RET_FATAL;
	rc = attls_wolf.wc_AesGcmSetKey(&aes, key, sizeof(key));
	if (!rc && enc) {
		rc = attls_wolf.wc_AesGcmEncrypt(&aes, data, data, (word32)len, iv, GCM_IV_SZ,
						 mac, GCM_TAG_SZ, name, WOLFSSL_TICKET_NAME_SZ);
		memset(mac + GCM_TAG_SZ, 0, WOLFSSL_TICKET_MAC_SZ - GCM_TAG_SZ);
	} else if (!rc) {
		rc = attls_wolf.wc_AesGcmDecrypt(&aes, data, data, (word32)len, iv, GCM_IV_SZ,
						 mac, GCM_TAG_SZ, name, WOLFSSL_TICKET_NAME_SZ);
	}
	attls_wolf.wc_AesFree(&aes);
	explicit_bzero(key, sizeof(key));
	if (rc)
		return enc ? WOLFSSL_TICKET_RET_FATAL : WOLFSSL_TICKET_RET_REJECT;
	/* A ticket of the hour before is taken, and a fresh one issued. */
	return hour == now ? WOLFSSL_TICKET_RET_OK : WOLFSSL_TICKET_RET_CREATE;
}

static int ticket_cb(WOLFSSL *ssl, unsigned char name[WOLFSSL_TICKET_NAME_SZ],
		     unsigned char iv[WOLFSSL_TICKET_IV_SZ],
		     unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc, unsigned char *ticket,
		     int len, int *out_len, void *ctx)
{
	(void)ssl;
	(void)ctx;
	*out_len = len;
	return attls_ticket_seal((uint64_t)time(NULL), name, iv, mac, enc, ticket, len);
}

void attls_tickets_apply_server(WOLFSSL_CTX *ctx)
{
	attls_wolf.wolfSSL_CTX_set_TicketEncCb(ctx, ticket_cb);
	attls_wolf.wolfSSL_CTX_set_TicketHint(ctx, ROTATE_S);
}

/* Client side: the latest session per "server_name:port", most recent first. */
struct kept {
	char *key;
	WOLFSSL_SESSION *sess;
	struct kept *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept *cache;

void attls_tickets_offer(WOLFSSL *ssl, const char *key)
{
	if (!key)
		return;
	pthread_mutex_lock(&cache_lock);
	for (struct kept *k = cache; k; k = k->next) {
		if (!strcmp(k->key, key)) {
			attls_wolf.wolfSSL_set_session(ssl, k->sess);
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
}

void attls_tickets_keep(WOLFSSL *ssl, const char *key)
{
	WOLFSSL_SESSION *sess;
	struct kept **p, *k;
	int n = 0;

	if (!key || !(sess = attls_wolf.wolfSSL_get1_session(ssl)))
		return;
	if (!attls_wolf.wolfSSL_SESSION_has_ticket(sess)) {
		attls_wolf.wolfSSL_SESSION_free(sess);
		return;
	}
	pthread_mutex_lock(&cache_lock);
	for (p = &cache; *p; p = &(*p)->next) {
		if (!strcmp((*p)->key, key)) {
			k = *p;
			*p = k->next;
			attls_wolf.wolfSSL_SESSION_free(k->sess);
			goto reuse;
		}
	}
	if (!(k = calloc(1, sizeof(*k))) || !(k->key = strdup(key))) {
		free(k);
		attls_wolf.wolfSSL_SESSION_free(sess);
		goto out;
	}
reuse:
	k->sess = sess;
	k->next = cache;
	cache = k;
	/* Bounded: the least recent go. */
	for (p = &cache; *p; p = &(*p)->next) {
		if (++n > CACHE_MAX) {
			struct kept *old = *p;

			*p = NULL;
			while (old) {
				struct kept *next = old->next;

				attls_wolf.wolfSSL_SESSION_free(old->sess);
				free(old->key);
				free(old);
				old = next;
			}
			break;
		}
	}
out:
	pthread_mutex_unlock(&cache_lock);
}
