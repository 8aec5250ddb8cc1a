/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wolf.h"
#include <wolfssl/ocsp.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "ocsp_http.h"
#include "policy.h"
#include "revoke.h"
#include "staple.h"
#include "trace.h"

/* A failed refresh is not tried again for this long (seconds). */
#define RETRY_S 60

/* The I/O context of one server context: its key ring and its CAs. */
struct staple_ctx {
	struct staple_ctx *next;
	const struct attls_keyring *kr;
	WOLFSSL_CERT_MANAGER *cm;
};

/* One response, never changed once published. */
struct snap {
	struct snap *next; /* on the retired list */
	time_t this_upd, next_upd, refresh_at;
	int reqlen, len;
	unsigned char *req; /* the request it answers (in the same block) */
	unsigned char resp[];
};

/*
 * No lock: the handshakes of any thread read it at once, a fork may come
 * at any point, and no lock of shim/locks.h is held across a fetch.
 *  - cur is published by an atomic exchange and read under readers: a
 *    reader counts itself in, loads cur, copies it and counts itself out;
 *    a response replaced goes on the retired list, freed only by a thread
 *    that finds no reader in (so none can still hold it). A fork's child
 *    whose parent had a reader in keeps its retired responses (a bounded
 *    leak: one per refresh), never frees one in use.
 *  - refresher elects the one thread that refreshes (pid << 32 | the time
 *    its fetch must be over): a token of another process (a fork's parent)
 *    or past its time is free again, so a child, or a thread that lost its
 *    way, never stops the refreshes.
 *  - retry_at and failed_said: plain atomics.
 * No signal handler runs a handshake.
 */
struct attls_staple {
	struct staple_ctx *ctxs; /* written while the policy is built, then read */
	_Atomic(struct snap *) cur;
	_Atomic(struct snap *) retired;
	atomic_int readers;
	atomic_uint_least64_t refresher;
	atomic_llong retry_at;
	atomic_bool failed_said;
};

struct attls_staple *attls_staple_new(void)
{
	return calloc(1, sizeof(struct attls_staple));
}

static void free_list(struct snap *s)
{
	while (s) {
		struct snap *n = s->next;

		free(s);
		s = n;
	}
}

void attls_staple_free(struct attls_staple *s)
{
	if (!s)
		return;
	free(atomic_load(&s->cur));
	free_list(atomic_load(&s->retired));
	while (s->ctxs) {
		struct staple_ctx *n = s->ctxs->next;

		free(s->ctxs);
		s->ctxs = n;
	}
	free(s);
}

void *attls_staple_ctx(struct attls_keyring *kr, WOLFSSL_CTX *ctx)
{
	struct staple_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->kr = kr;
	c->cm = wolfSSL_CTX_GetCertManager(ctx);
	c->next = kr->staple->ctxs;
	kr->staple->ctxs = c;
	return c;
}

static unsigned timeout_of(const struct attls_keyring *kr)
{
	return kr->ocsp_timeout_ms ? kr->ocsp_timeout_ms : ATTLS_OCSP_TIMEOUT_DEFAULT_MS;
}

/* An OCSP date (GeneralizedTime, as wolfSSL keeps it: the text alone). */
static bool time_of(const byte *date, byte format, time_t *out)
{
	struct tm tm;
	size_t len = strnlen((const char *)date, MAX_DATE_SIZE);

	if (!len || wc_GetDateAsCalendarTime(date, (int)len, format, &tm) != 0)
		return false;
	*out = timegm(&tm);
	return true;
}

/*
 * A fetched response worth keeping: decoded and verified by wolfSSL with
 * the context's CAs (signed by the issuer, or by a responder it
 * delegated to), successful, with a next update, its dates current.
 * Whatever its status: a revoked one is stapled as the fresher truth.
 * wolfSSL checks it again (and its certificate id) at each handshake.
 */
static struct snap *snap_of(WOLFSSL_CERT_MANAGER *cm, unsigned char *resp, int len,
			    const unsigned char *req, int reqlen, time_t now)
{
	OcspResponse r;
	OcspEntry one;
	CertStatus cs;
	struct snap *s = NULL;
	time_t t, n;

	memset(&one, 0, sizeof(one));
	memset(&cs, 0, sizeof(cs));
	InitOcspResponse(&r, &one, &cs, resp, (word32)len, NULL);
	if (OcspResponseDecode(&r, cm, NULL, 0) == 0 && r.responseStatus == OCSP_SUCCESSFUL &&
	    r.single && r.single->status && r.single->status->nextDate[0] &&
	    time_of(r.single->status->thisDate, r.single->status->thisDateFormat, &t) &&
	    time_of(r.single->status->nextDate, r.single->status->nextDateFormat, &n) &&
	    t <= now + 300 && now < n && (s = malloc(sizeof(*s) + (size_t)len + (size_t)reqlen))) {
		s->next = NULL;
		s->this_upd = t;
		s->next_upd = n;
		/* Halfway: time enough to retry while the old one still holds. */
		s->refresh_at = t + (n - t) / 2;
		s->len = len;
		s->reqlen = reqlen;
		memcpy(s->resp, resp, (size_t)len);
		s->req = s->resp + len;
		memcpy(s->req, req, (size_t)reqlen);
	}
	FreeOcspResponse(&r);
	return s;
}

/* The kept response for req, copied into *out, when it is still valid; its refresh point. */
static int read_cur(struct attls_staple *st, const unsigned char *req, int reqlen, time_t now,
		    unsigned char **out, time_t *refresh_at, time_t *next_upd)
{
	struct snap *s;
	int n = -1;

	atomic_fetch_add(&st->readers, 1);
	s = atomic_load(&st->cur);
	if (s && s->reqlen == reqlen && !memcmp(s->req, req, (size_t)reqlen) &&
	    now < s->next_upd && (*out = malloc((size_t)s->len))) {
		memcpy(*out, s->resp, (size_t)s->len);
		*refresh_at = s->refresh_at;
		*next_upd = s->next_upd;
		n = s->len;
	}
	atomic_fetch_sub(&st->readers, 1);
	return n;
}

static void publish(struct attls_staple *st, struct snap *s)
{
	struct snap *old = atomic_exchange(&st->cur, s), *list;

	if (old) {
		old->next = atomic_load(&st->retired);
		while (!atomic_compare_exchange_weak(&st->retired, &old->next, old))
			;
	}
	/* Taken off first, then no reader in: none can hold what was taken. */
	list = atomic_exchange(&st->retired, NULL);
	if (!list)
		return;
	if (atomic_load(&st->readers) == 0) {
		free_list(list);
		return;
	}
	while (list) {
		struct snap *n = list->next;

		list->next = atomic_load(&st->retired);
		while (!atomic_compare_exchange_weak(&st->retired, &list->next, list))
			;
		list = n;
	}
}

static uint64_t token(time_t until)
{
	return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)until;
}

/* Whether this thread is now the one refreshing. */
static bool elect(struct attls_staple *st, time_t now, unsigned timeout_ms, uint64_t *mine)
{
	uint64_t cur = atomic_load(&st->refresher);

	if (cur && (uint32_t)(cur >> 32) == (uint32_t)getpid() && (time_t)(uint32_t)cur > now)
		return false;
	*mine = token(now + (time_t)(timeout_ms / 1000) + 2);
	return atomic_compare_exchange_strong(&st->refresher, &cur, *mine);
}

static void resign(struct attls_staple *st, uint64_t mine)
{
	atomic_compare_exchange_strong(&st->refresher, &mine, 0);
}

static int try_later(unsigned char **resp)
{
	/* wolfSSL serves without a staple on tryLater (see revoke.c). */
	static const unsigned char later[] = { 0x30, 0x03, 0x0a, 0x01, 0x03 };

	*resp = malloc(sizeof(later));
	if (!*resp)
		return -1;
	memcpy(*resp, later, sizeof(later));
	return (int)sizeof(later);
}

int attls_staple_io(void *ioctx, const char *url, int urlsz, unsigned char *req, int reqsz,
		    unsigned char **resp)
{
	const struct staple_ctx *c = ioctx;
	const struct attls_keyring *kr = c->kr;
	struct attls_staple *st = kr->staple;
	time_t now = time(NULL), refresh_at = 0, next_upd = 0;
	unsigned char *old = NULL, *got = NULL;
	int oldlen = -1, n;
	uint64_t mine = 0;
	bool elected;
	char why[200], when[32];
	struct snap *s;
	struct tm tm;

	if (!st)
		return try_later(resp);
	oldlen = read_cur(st, req, reqsz, now, &old, &refresh_at, &next_upd);
	if (oldlen >= 0 && (now < refresh_at || now < atomic_load(&st->retry_at))) {
		*resp = old;
		return oldlen;
	}
	/*
	 * Past the refresh point, with the old one still valid: one thread
	 * refreshes, in its handshake (bounded by ocsp_timeout); the others
	 * staple the old one meanwhile. With none valid, each fetches, as
	 * the first handshakes do.
	 */
	elected = elect(st, now, timeout_of(kr), &mine);
	if (oldlen >= 0 && !elected) {
		*resp = old;
		return oldlen;
	}
	n = attls_ocsp_http(url, url ? urlsz : 0, req, reqsz, timeout_of(kr), &got, why,
			    sizeof(why));
	s = n >= 0 ? snap_of(c->cm, got, n, req, reqsz, time(NULL)) : NULL;
	if (n >= 0 && !s)
		snprintf(why, sizeof(why), "the response does not verify, or is not current "
			 "(no next update, or its dates are past)");
	if (s) {
		if (elected)
			publish(st, s);
		else
			free(s);
		atomic_store(&st->failed_said, false);
		atomic_store(&st->retry_at, 0);
	} else if (oldlen >= 0) {
		atomic_store(&st->retry_at, (long long)now + RETRY_S);
	}
	if (elected)
		resign(st, mine);
	if (s || (n >= 0 && oldlen < 0)) {
		/* A new one, or what the responder said when there was none. */
		free(old);
		*resp = got;
		return n;
	}
	free(got);
	if (oldlen >= 0) {
		gmtime_r(&next_upd, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (!atomic_exchange(&st->failed_said, true))
			attls_trace(attls_trace_mask(), ATTLS_MSG_STAPLE_FAILED, NULL,
				    "[keyring %s] %.*s: %s: refresh failed: stapling the response "
				    "kept until its next update %s, tried again at most once a "
				    "minute (said once, until a fetch works again)", kr->name,
				    url ? urlsz : 6, url ? url : "no URL", why, when);
		*resp = old;
		return oldlen;
	}
	if (!atomic_exchange(&st->failed_said, true))
		attls_trace(attls_trace_mask(), ATTLS_MSG_STAPLE_FAILED, NULL,
			    "[keyring %s] %.*s: %s: serving without a staple (said once, until "
			    "a fetch works again)", kr->name, url ? urlsz : 6, url ? url : "no URL",
			    why);
	return try_later(resp);
}
