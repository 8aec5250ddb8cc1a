/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sysio.h"
#include "filetrust.h"
#include "protowhy.h"
#include "session.h"
#include "tickets.h"
#include "trace.h"

#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/sha256.h>

#define ROTATE_S 3600
#define GCM_IV_SZ 12
#define GCM_TAG_SZ 16
#define HELLO_MAX 65536
#define NO_HOUR UINT64_MAX

/* Tickets of this format: the name is magic || hour, the AAD name || binding. */
static const unsigned char magic[8] = "attlstk2";

/*
 * The ratchet. ratchet_lock guards everything below it: chain is C(hour),
 * key_now the key of hour, key_prev the key of hour - 1 (if have_prev).
 * It nests under nothing and nothing is called with it held but wolfCrypt's
 * HMAC. A second thread waits for it (a few microseconds, once an hour a
 * few HMACs more). Signal handlers never seal or open tickets. fork: the
 * child inherits the state (so it resumes the parent's sessions) and the
 * lock is taken by fork's prepare (11, the last, in shim/locks.h) so that
 * it is never inherited held; both processes let go.
 */
static pthread_mutex_t ratchet_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char chain[ATTLS_CHAIN_SZ];
static unsigned char key_now[32], key_prev[32];
static uint64_t hour_c = NO_HOUR; /* NO_HOUR: set at first use */
static bool have_keys, have_prev;
/*
 * Whether attls_tickets_start gave the ratchet its C: before, chain is
 * zeros, whose keys anyone can derive, so no ticket is sealed or opened.
 */
static bool started;

void attls_tickets_atfork_prepare(void) { pthread_mutex_lock(&ratchet_lock); }
void attls_tickets_atfork_release(void) { pthread_mutex_unlock(&ratchet_lock); }

static void wipe(void)
{
	explicit_bzero(chain, sizeof(chain));
	explicit_bzero(key_now, sizeof(key_now));
	explicit_bzero(key_prev, sizeof(key_prev));
	have_keys = have_prev = false;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static int hmac(const unsigned char key[32], const void *msg, size_t len, unsigned char out[32])
{
	Hmac h;
	int rc;

	if (wc_HmacInit(&h, NULL, INVALID_DEVID) != 0)
		return -1;
	rc = wc_HmacSetKey(&h, WC_SHA256, key, 32) ||
	     wc_HmacUpdate(&h, msg, (word32)len) ||
	     wc_HmacFinal(&h, out);
	wc_HmacFree(&h);
	explicit_bzero(&h, sizeof(h));
	return rc ? -1 : 0;
}

int attls_ratchet_step(unsigned char c[ATTLS_CHAIN_SZ])
{
	static const char label[] = "attls ratchet";
	unsigned char next[ATTLS_CHAIN_SZ];

	if (hmac(c, label, sizeof(label) - 1, next) < 0)
		return -1;
	memcpy(c, next, sizeof(next));
	explicit_bzero(next, sizeof(next));
	return 0;
}

/* The key of hour h from C(h). */
static int hour_key(const unsigned char c[ATTLS_CHAIN_SZ], uint64_t h, unsigned char key[32])
{
	unsigned char msg[24];

	memcpy(msg, "attls ticket key", 16);
	put64(msg + 16, h);
	return hmac(c, msg, sizeof(msg), key);
}

void attls_tickets_start(uint64_t hour, const unsigned char c[ATTLS_CHAIN_SZ])
{
	pthread_mutex_lock(&ratchet_lock);
	wipe();
	memcpy(chain, c, sizeof(chain));
	started = true;
	hour_c = hour ? hour : NO_HOUR;
	pthread_mutex_unlock(&ratchet_lock);
}

/*
 * Moves the ratchet to hour now (never back), with the keys of now and the
 * hour before; what is left behind is wiped. Called with ratchet_lock.
 */
static int advance(uint64_t now)
{
	unsigned char prev[32] = { 0 };

	if (!started)
		return -1;
	if (hour_c == NO_HOUR) {
		hour_c = now;
		have_keys = have_prev = false;
	}
	if (now <= hour_c && have_keys)
		return 0;
	if (now < hour_c)
		now = hour_c;
	have_prev = false;
	if (now > hour_c && have_keys && now == hour_c + 1) {
		memcpy(prev, key_now, sizeof(prev));
		have_prev = true;
	}
	while (hour_c < now) {
		if (hour_c + 1 == now && !have_prev) {
			if (hour_key(chain, hour_c, prev) < 0)
				goto fail;
			have_prev = true;
		}
		if (attls_ratchet_step(chain) < 0)
			goto fail;
		hour_c++;
	}
	if (hour_key(chain, hour_c, key_now) < 0)
		goto fail;
	memcpy(key_prev, prev, sizeof(key_prev));
	explicit_bzero(prev, sizeof(prev));
	have_keys = true;
	return 0;
fail:
	explicit_bzero(prev, sizeof(prev));
	have_keys = have_prev = false;
	return -1;
}

int attls_ticketkey_parse(const char *text, size_t len, uint64_t *hour,
			  unsigned char c[ATTLS_CHAIN_SZ], char *why, size_t whylen)
{
	static const char head[] = "attls-ticket-key 1 ";
	const char *p = text, *end = text + len;
	uint64_t h = 0;
	int digits = 0;

	if (len < sizeof(head) - 1 || memcmp(p, head, sizeof(head) - 1)) {
		if (len > 17 && !memcmp(p, head, 17))
			snprintf(why, whylen, "a ticket key file of a version this attls does "
					      "not read (it reads version 1)");
		else
			snprintf(why, whylen, "not an attls ticket key file (the old format of "
					      "random bytes is not read any more)");
		return -1;
	}
	p += sizeof(head) - 1;
	for (; p < end && *p >= '0' && *p <= '9' && digits < 16; p++, digits++)
		h = h * 10 + (uint64_t)(*p - '0');
	if (!digits || p >= end || *p != ' ' || h == 0 || h > UINT64_MAX / ROTATE_S)
		goto bad;
	p++;
	for (size_t i = 0; i < ATTLS_CHAIN_SZ * 2; i++, p++) {
		int v;

		if (p >= end)
			goto bad;
		v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (v < 0)
			goto bad;
		c[i / 2] = (unsigned char)(i % 2 ? c[i / 2] | v : v << 4);
	}
	if (p < end && *p == '\n')
		p++;
	if (p != end)
		goto bad;
	*hour = h;
	return 0;
bad:
	explicit_bzero(c, ATTLS_CHAIN_SZ);
	snprintf(why, whylen, "not of the form \"attls-ticket-key 1 HOUR HEX64\"");
	return -1;
}

size_t attls_ticketkey_format(char *buf, size_t len, uint64_t hour,
			      const unsigned char c[ATTLS_CHAIN_SZ])
{
	int n = snprintf(buf, len, "attls-ticket-key 1 %" PRIu64 " ", hour);

	if (n < 0 || (size_t)n + ATTLS_CHAIN_SZ * 2 + 2 > len)
		return 0;
	for (size_t i = 0; i < ATTLS_CHAIN_SZ; i++)
		snprintf(buf + n + 2 * i, 3, "%02x", c[i]);
	n += ATTLS_CHAIN_SZ * 2;
	buf[n++] = '\n';
	buf[n] = '\0';
	return (size_t)n;
}

/* Reads p's ticket key file (or draws a random start); with start, begins the ratchet there. */
static int tickets_read(const struct attls_policy *p, bool start, struct attls_errors *errs)
{
	unsigned char c[ATTLS_CHAIN_SZ];
	unsigned char *text;
	uint64_t hour, now = (uint64_t)time(NULL) / ROTATE_S;
	size_t len;
	char why[320];

	if (!p->ticket_key_file) {
		if (getrandom(c, sizeof(c), 0) != (ssize_t)sizeof(c)) {
			attls_errors_add(errs, p->file, 0, "no randomness for ticket keys: %s",
					 strerror(errno));
			return -1;
		}
		if (start)
			attls_tickets_start(0, c);
		explicit_bzero(c, sizeof(c));
		return 0;
	}
	text = attls_trust_read(p->ticket_key_file, ATTLS_TRUST_SECRET, 4096, &len, why,
				sizeof(why));
	if (!text) {
		attls_errors_add(errs, p->file, p->ticket_key_file_line, "ticket_key_file: %s", why);
		return -1;
	}
	if (attls_ticketkey_parse((const char *)text, len, &hour, c, why, sizeof(why)) < 0) {
		attls_errors_add(errs, p->file, p->ticket_key_file_line,
				 "ticket_key_file: %s: %s; make one with \"attls ticket-key new %s\"",
				 p->ticket_key_file, why, p->ticket_key_file);
		attls_trust_free(text, len);
		return -1;
	}
	attls_trust_free(text, len);
	if (hour > now + 1) {
		attls_errors_add(errs, p->file, p->ticket_key_file_line,
				 "ticket_key_file: %s: its hour %" PRIu64 " is in the future (now %"
				 PRIu64 "): is the clock right?", p->ticket_key_file, hour, now);
		explicit_bzero(c, sizeof(c));
		return -1;
	}
	if (hour + 2 < now && start)
		attls_trace(p->trace, ATTLS_MSG_TICKET_KEY_OLD, NULL,
			    "%s: last rotated %" PRIu64 " hours ago; run \"attls ticket-key rotate %s\" "
			    "every hour", p->ticket_key_file, now - hour, p->ticket_key_file);
	if (start)
		attls_tickets_start(hour, c);
	explicit_bzero(c, sizeof(c));
	return 0;
}

int attls_tickets_setup(const struct attls_policy *p, struct attls_errors *errs)
{
	return tickets_read(p, true, errs);
}

int attls_tickets_check(const struct attls_policy *p, struct attls_errors *errs)
{
	return tickets_read(p, false, errs);
}

/* SHA-256 of a file's bytes, read from fd. */
static int hash_fd(int fd, unsigned char out[32])
{
	unsigned char buf[16384];
	wc_Sha256 sha;
	ssize_t n;
	int rc = wc_InitSha256(&sha);

	while (!rc && ((n = attls_io.read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			rc = wc_Sha256Update(&sha, buf, (word32)n);
	if (!rc && n < 0)
		rc = -1;
	if (!rc)
		rc = wc_Sha256Final(&sha, out);
	wc_Sha256Free(&sha);
	return rc ? -1 : 0;
}

/* Byte order, not the locale's: every process must agree. */
static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* The CA's content into sha: "file" H, or "dir" (name NUL H)..., or "none". */
static int hash_ca(wc_Sha256 *sha, const char *ca, char *why, size_t whylen)
{
	unsigned char h[32];
	struct stat st;
	struct dirent **ents = NULL;
	int fd, n, rc = 0;

	if (!ca)
		return wc_Sha256Update(sha, (const byte *)"none", 5) ? -1 : 0;
	fd = attls_io.open(ca, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, whylen, "ca: %s: %s", ca, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		if (hash_fd(fd, h) < 0) {
			snprintf(why, whylen, "ca: %s: %s", ca, strerror(errno));
			goto fail;
		}
		attls_io.close(fd);
		return wc_Sha256Update(sha, (const byte *)"file", 5) ||
		       wc_Sha256Update(sha, h, sizeof(h)) ? -1 : 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "ca: %s is not a regular file or directory", ca);
		goto fail;
	}
	n = scandirat(fd, ".", &ents, not_dots, name_order);
	if (n < 0) {
		snprintf(why, whylen, "ca: %s: %s", ca, strerror(errno));
		goto fail;
	}
	rc = wc_Sha256Update(sha, (const byte *)"dir", 4) ? -1 : 0;
	for (int i = 0; i < n; i++) {
		/* Followed, as wolfSSL follows c_rehash's links; regular files only. */
		int f = rc ? -1 : attls_io.openat(fd, ents[i]->d_name,
					 O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

		if (f >= 0 && fstat(f, &st) == 0 && S_ISREG(st.st_mode)) {
			if (hash_fd(f, h) < 0 ||
			    wc_Sha256Update(sha, (const byte *)ents[i]->d_name,
						       (word32)strlen(ents[i]->d_name) + 1) ||
			    wc_Sha256Update(sha, h, sizeof(h))) {
				snprintf(why, whylen, "ca: %s/%s: cannot be read", ca,
					 ents[i]->d_name);
				rc = -1;
			}
		}
		if (f >= 0)
			attls_io.close(f);
		free(ents[i]);
	}
	free(ents);
	attls_io.close(fd);
	return rc;
fail:
	if (fd >= 0)
		attls_io.close(fd);
	return -1;
}

int attls_tickets_binding(unsigned protocols, const char *ciphers, int client_auth,
			  const char *ca, unsigned char out[ATTLS_BINDING_SZ], char *why,
			  size_t whylen)
{
	char desc[64];
	wc_Sha256 sha;
	int rc, n;

	/* Lengths and NULs keep the description unambiguous. */
	n = snprintf(desc, sizeof(desc), "attls binding 1\nprotocols %u\nclient_auth %d\nciphers %zu\n",
		     protocols, client_auth, strlen(ciphers));
	if (n < 0 || (size_t)n >= sizeof(desc) || wc_InitSha256(&sha) != 0) {
		snprintf(why, whylen, "cannot compute the session binding");
		return -1;
	}
	rc = wc_Sha256Update(&sha, (const byte *)desc, (word32)n) ||
	     wc_Sha256Update(&sha, (const byte *)ciphers, (word32)strlen(ciphers) + 1);
	if (rc)
		snprintf(why, whylen, "cannot compute the session binding");
	else
		rc = hash_ca(&sha, ca, why, whylen);
	if (!rc)
		rc = wc_Sha256Final(&sha, out);
	wc_Sha256Free(&sha);
	return rc ? -1 : 0;
}

int attls_ticket_seal(uint64_t when, const unsigned char binding[ATTLS_BINDING_SZ],
		      unsigned char *name, unsigned char *iv, unsigned char *mac,
		      int enc, unsigned char *data, int len)
{
	uint64_t now = when / ROTATE_S, hour = 0;
	unsigned char key[32], aad[WOLFSSL_TICKET_NAME_SZ + ATTLS_BINDING_SZ];
	bool prev = false;
	Aes aes;
	int rc;

	if (!enc) {
		if (memcmp(name, magic, 8))
			return WOLFSSL_TICKET_RET_REJECT;
		for (int i = 0; i < 8; i++)
			hour = hour << 8 | name[8 + i];
		if (hour > now)
			return WOLFSSL_TICKET_RET_REJECT; /* from the future */
	}
	pthread_mutex_lock(&ratchet_lock);
	if (advance(now) < 0) {
		pthread_mutex_unlock(&ratchet_lock);
		return enc ? WOLFSSL_TICKET_RET_FATAL : WOLFSSL_TICKET_RET_REJECT;
	}
	if (enc) {
		hour = hour_c;
	} else if (hour + 1 == hour_c && have_prev) {
		prev = true;
	} else if (hour != hour_c) {
		pthread_mutex_unlock(&ratchet_lock);
		return WOLFSSL_TICKET_RET_REJECT; /* its key is gone */
	}
	memcpy(key, prev ? key_prev : key_now, sizeof(key));
	pthread_mutex_unlock(&ratchet_lock);

	if (enc) {
		memcpy(name, magic, 8);
		put64(name + 8, hour);
		memset(iv, 0, WOLFSSL_TICKET_IV_SZ);
		if (getrandom(iv, GCM_IV_SZ, 0) != GCM_IV_SZ) {
			explicit_bzero(key, sizeof(key));
			return WOLFSSL_TICKET_RET_FATAL;
		}
	}
	memcpy(aad, name, WOLFSSL_TICKET_NAME_SZ);
	memcpy(aad + WOLFSSL_TICKET_NAME_SZ, binding, ATTLS_BINDING_SZ);
	if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0) {
		explicit_bzero(key, sizeof(key));
		return WOLFSSL_TICKET_RET_FATAL;
	}
	rc = wc_AesGcmSetKey(&aes, key, sizeof(key));
	if (!rc && enc) {
		rc = wc_AesGcmEncrypt(&aes, data, data, (word32)len, iv, GCM_IV_SZ,
						 mac, GCM_TAG_SZ, aad, sizeof(aad));
		memset(mac + GCM_TAG_SZ, 0, WOLFSSL_TICKET_MAC_SZ - GCM_TAG_SZ);
	} else if (!rc) {
		rc = wc_AesGcmDecrypt(&aes, data, data, (word32)len, iv, GCM_IV_SZ,
						 mac, GCM_TAG_SZ, aad, sizeof(aad));
	}
	wc_AesFree(&aes);
	explicit_bzero(&aes, sizeof(aes));
	explicit_bzero(key, sizeof(key));
	if (rc)
		return enc ? WOLFSSL_TICKET_RET_FATAL : WOLFSSL_TICKET_RET_REJECT;
	/* A ticket of the hour before is taken, and a fresh one issued. */
	return prev ? WOLFSSL_TICKET_RET_CREATE : WOLFSSL_TICKET_RET_OK;
}

/* The ClientHello's extensions: a PSK (41) without psk_dhe_ke (45) and a key share (51)? */
bool attls_hello_psk_without_dhe(const unsigned char *m, size_t len)
{
	size_t i = 4 + 2 + 32, n, end;
	bool psk = false, dhe_mode = false, share = false;

	if (len < i + 1 || m[0] != 1)
		return false; /* not a ClientHello: wolfSSL refuses it anyway */
	i += 1 + m[i];                                  /* session id */
	if (i + 2 > len)
		return true;
	i += 2 + ((size_t)m[i] << 8 | m[i + 1]);        /* cipher suites */
	if (i + 1 > len)
		return true;
	i += 1 + m[i];                                  /* compression */
	if (i + 2 > len)
		return i != len; /* no extensions: no PSK */
	end = i + 2 + ((size_t)m[i] << 8 | m[i + 1]);
	if (end > len)
		return true;
	for (i += 2; i + 4 <= end; i += n) {
		unsigned type = (unsigned)m[i] << 8 | m[i + 1];

		n = (size_t)m[i + 2] << 8 | m[i + 3];
		i += 4;
		if (i + n > end)
			return true;
		if (type == 41)
			psk = true;
		else if (type == 51)
			share = true;
		else if (type == 45 && n >= 1)
			for (size_t k = 1; k <= m[i] && k < n; k++)
				dhe_mode |= m[i + k] == 1;
	}
	return psk && (!dhe_mode || !share);
}

/*
 * supported_versions (43) when it is there; else legacy_version, the
 * highest the client speaks, with ATTLS_HELLO_AT_MOST.
 */
unsigned attls_hello_versions(const unsigned char *m, size_t len)
{
	size_t i = 4 + 2 + 32, n, end;
	unsigned legacy, bits = 0;

	if (len < i + 1 || m[0] != 1)
		return 0;
	legacy = (unsigned)m[4] << 8 | m[5];
	i += 1 + m[i];
	if (i + 2 > len)
		return 0;
	i += 2 + ((size_t)m[i] << 8 | m[i + 1]);
	if (i + 1 > len)
		return 0;
	i += 1 + m[i];
	end = i + 2 <= len ? i + 2 + ((size_t)m[i] << 8 | m[i + 1]) : i;
	for (i += 2; end <= len && i + 4 <= end; i += n) {
		unsigned type = (unsigned)m[i] << 8 | m[i + 1];

		n = (size_t)m[i + 2] << 8 | m[i + 3];
		i += 4;
		if (i + n > end)
			return 0;
		if (type == 43 && n >= 1)
			for (size_t k = 1; k + 1 <= m[i] && k + 1 < n; k += 2)
				bits |= attls_proto_bit((unsigned)m[i + k] << 8 | m[i + k + 1]);
	}
	if (bits)
		return bits;
	/* No list: the highest it speaks, and perhaps versions below. */
	bits = attls_proto_bit(legacy > 0x0303 ? 0x0303 : legacy);
	return bits ? bits | ATTLS_HELLO_AT_MOST : 0;
}

/*
 * supported_versions (43) when it is there (a HelloRetryRequest has it
 * too), else legacy_version; 0 when unreadable.
 */
unsigned attls_server_hello_version(const unsigned char *m, size_t len)
{
	size_t i = 4 + 2 + 32, n, end;
	unsigned legacy;

	if (len < i + 1 || m[0] != 2)
		return 0;
	legacy = (unsigned)m[4] << 8 | m[5];
	i += 1 + m[i] + 2 + 1;                          /* session id, suite, compression */
	if (i + 2 > len)
		return i == len ? legacy : 0;           /* no extensions */
	end = i + 2 + ((size_t)m[i] << 8 | m[i + 1]);
	if (end > len)
		return 0;
	for (i += 2; i + 4 <= end; i += n) {
		unsigned type = (unsigned)m[i] << 8 | m[i + 1];

		n = (size_t)m[i + 2] << 8 | m[i + 3];
		i += 4;
		if (i + n > end)
			return 0;
		if (type == 43)
			return n == 2 ? (unsigned)m[i] << 8 | m[i + 1] : 0;
	}
	return legacy;
}

void attls_hello_feed(struct attls_hello *h, const unsigned char *buf, size_t n)
{
	while (n && !h->done) {
		if (h->rec_have < 5) {
			h->rec[h->rec_have++] = *buf++;
			n--;
			if (h->rec_have == 5) {
				h->rec_left = (unsigned)h->rec[3] << 8 | h->rec[4];
				if (h->rec[0] != 22) /* not a handshake record */
					h->done = true;
			}
			continue;
		}
		size_t take = n < h->rec_left ? n : h->rec_left;
		unsigned char *m;

		if (h->msg_len + take > HELLO_MAX) {
			h->done = h->psk_without_dhe = true; /* too big to judge: no resumption */
			break;
		}
		m = realloc(h->msg, h->msg_len + take + 1);
		if (!m) {
			h->done = h->psk_without_dhe = true;
			break;
		}
		h->msg = m;
		memcpy(h->msg + h->msg_len, buf, take);
		h->msg_len += take;
		buf += take;
		n -= take;
		h->rec_left -= (unsigned)take;
		if (!h->rec_left)
			h->rec_have = 0;
		if (h->msg_len >= 4) {
			size_t want = 4 + ((size_t)h->msg[1] << 16 | (size_t)h->msg[2] << 8 | h->msg[3]);

			if (want > HELLO_MAX) {
				h->done = h->psk_without_dhe = true;
			} else if (h->msg_len >= want) {
				h->psk_without_dhe = attls_hello_psk_without_dhe(h->msg, want);
				h->offered = attls_hello_versions(h->msg, want);
				h->chosen = attls_server_hello_version(h->msg, want);
				h->done = true;
			}
		}
	}
	if (h->done) {
		free(h->msg);
		h->msg = NULL;
		h->msg_len = 0;
	}
}

void attls_hello_free(struct attls_hello *h)
{
	free(h->msg);
	h->msg = NULL;
	h->msg_len = 0;
}

static int ticket_cb(WOLFSSL *ssl, unsigned char name[WOLFSSL_TICKET_NAME_SZ],
		     unsigned char iv[WOLFSSL_TICKET_IV_SZ],
		     unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc, unsigned char *ticket,
		     int len, int *out_len, void *ctx)
{
	const struct attls_hello *h = attls_session_hello(wolfSSL_GetIOReadCtx(ssl));

	*out_len = len;
	/* TLS 1.3 resumption only with a fresh key exchange: else a full handshake. */
	if (!enc && (!h || !h->done || h->psk_without_dhe))
		return WOLFSSL_TICKET_RET_REJECT;
	return attls_ticket_seal((uint64_t)time(NULL), ctx, name, iv, mac, enc, ticket, len);
}

void attls_tickets_apply_server(WOLFSSL_CTX *ctx, const unsigned char *binding)
{
	wolfSSL_CTX_set_TicketEncCb(ctx, ticket_cb);
	wolfSSL_CTX_set_TicketEncCtx(ctx, (void *)binding);
	wolfSSL_CTX_set_TicketHint(ctx, ROTATE_S);
	/*
	 * wolfSSL 5.5.4 keeps the session-id context but does not compare it
	 * when a TLS 1.2 session id comes back (its cache is the process's, not
	 * the context's): the server's cache is off, and TLS 1.2 resumes by the
	 * bound tickets only (resume_bound.sh shows both).
	 */
	wolfSSL_CTX_set_session_id_context(ctx, binding, ATTLS_BINDING_SZ);
	wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
}
