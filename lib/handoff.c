/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A live session as bytes (handoff.h). wolfSSL's own export
 * (wolfSSL_tls_export, --enable-sessionexport) carries the record layer:
 * options, sequence numbers, write keys and IVs, the cipher spec and the
 * AES-GCM state. It leaves out what attls needs after the handshake and
 * carries here itself, read from wolfSSL's internal header (the one the
 * archive was built with, wolfssl/build):
 *   - the TLS 1.3 traffic secrets (clientSecret, serverSecret), without
 *     which a KeyUpdate from the peer could not be followed, and which
 *     handshake messages were received (msgsReceived: wolfSSL refuses a
 *     KeyUpdate or a NewSessionTicket before a Finished);
 *   - the input wolfSSL had read and not yet processed: the bytes of its
 *     input buffer and, when it had already taken a record's header, that
 *     header rebuilt from curRL (it waits for the body then);
 *   - the plaintext it had decrypted and the program had not read (read
 *     out here, with the socket closed to it);
 *   - attls's own: records not sent, close_notify seen or sent, counts.
 * The blob is versioned, framed and bound to the socket (st_dev, st_ino).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "handoff.h"
#include "session_int.h"
#include "trace.h"

#include <wolfssl/internal.h>

#define MAGIC "ATTLSHO\x01"
#define BLOB_VERSION 3u
/* How long the export may wait to finish a handshake or send what is queued. */
#define SETTLE_MS 3000
/* wolfSSL's ProcessReply states (src/internal.c, enum processReply, with the server side built). */
#define WOLF_PROCESS_INIT 0
#define WOLF_PROCESS_HEADER 2
#define WOLF_PROCESS_DATA 3

enum { F_FRESH = 1, F_PEER_CLOSED = 2, F_NOTIFIED = 4, F_WR_SHUT = 8 };

/* The fixed head of a blob; the variable parts follow, each u32 length first. */
struct head {
	char magic[8];
	uint32_t version, total;
	uint64_t dev, ino;
	uint8_t role, flags, ver_major, ver_minor;
	uint32_t secret_len;
	uint64_t bytes_in, bytes_out;
};

struct out {
	unsigned char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const void *src, size_t n)
{
	if (o->failed || !n)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		unsigned char *np;

		while (cap < o->len + n)
			cap *= 2;
		/* Never realloc: the old copy would hold keys nobody scrubs. */
		if (!(np = malloc(cap))) {
			o->failed = true;
			return;
		}
		if (o->p) {
			memcpy(np, o->p, o->len);
			explicit_bzero(o->p, o->cap);
			free(o->p);
		}
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, src, n);
	o->len += n;
}

static void put_part(struct out *o, const void *src, size_t n)
{
	uint32_t l = (uint32_t)n;

	put(o, &l, sizeof(l));
	put(o, src, n);
}

static int no_peer_get(WOLFSSL *ssl, char *ip, int *ip_len, unsigned short *port, int *fam)
{
	(void)ssl;
	(void)ip;
	*ip_len = 0;
	*port = 0;
	*fam = 0;
	return WOLFSSL_SUCCESS;
}

static int no_peer_set(WOLFSSL *ssl, char *ip, int ip_len, unsigned short port, int fam)
{
	(void)ssl;
	(void)ip;
	(void)ip_len;
	(void)port;
	(void)fam;
	return WOLFSSL_SUCCESS;
}

void attls_handoff_ctx(void *ctx)
{
	wolfSSL_CTX_SetIOGetPeer(ctx, no_peer_get);
	wolfSSL_CTX_SetIOSetPeer(ctx, no_peer_set);
}

void attls_handoff_free(unsigned char *buf, size_t len)
{
	if (!buf)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

/* Appends wolfSSL's decrypted plaintext to s->plain; the socket is not read (exported). */
static int read_out_plain(struct attls_session *s)
{
	unsigned char tmp[4096];

	for (;;) {
		int n = wolfSSL_read(s->ssl, tmp, sizeof(tmp)), err;

		if (n > 0) {
			unsigned char *np = malloc(s->plain_len - s->plain_off + (size_t)n);

			if (!np) {
				explicit_bzero(tmp, sizeof(tmp));
				errno = ENOMEM;
				return -1;
			}
			if (s->plain)
				memcpy(np, s->plain + s->plain_off, s->plain_len - s->plain_off);
			memcpy(np + s->plain_len - s->plain_off, tmp, (size_t)n);
			if (s->plain) {
				explicit_bzero(s->plain, s->plain_len);
				free(s->plain);
			}
			s->plain_len = s->plain_len - s->plain_off + (size_t)n;
			s->plain_off = 0;
			s->plain = np;
			continue;
		}
		explicit_bzero(tmp, sizeof(tmp));
		err = wolfSSL_get_error(s->ssl, n);
		if (err == WOLFSSL_ERROR_WANT_READ)
			return 0;
		if (err == WOLFSSL_ERROR_ZERO_RETURN || err == SOCKET_PEER_CLOSED_E) {
			s->peer_closed = true;
			return 0;
		}
		errno = EPROTO;
		return -1;
	}
}

/*
 * After the head: the fork contests the session has not settled
 * (session.c), as uint32_t n and n times int32_t memfd, uint32_t index:
 * the memfds go over with the exec, and the new image claims the words
 * when it uses the session. Through SCM_RIGHTS the export claims them
 * (the receiver owns the session), so none goes.
 */
static void put_links(struct out *o, struct attls_session *s)
{
	put(o, &(uint32_t){ (uint32_t)s->nchain }, sizeof(uint32_t));
	for (int i = 0; i < s->nchain; i++) {
		uint32_t idx;
		int32_t fd = attls_claims_fd(s->chain[i].blk, s->chain[i].word, &idx);

		put(o, &fd, sizeof(fd));
		put(o, &idx, sizeof(idx));
	}
}

/*
 * What attls status and attls_query show of the connection, which the
 * new process cannot learn again: when it began, the peer's certificate
 * (wolfSSL's export leaves it out), whether it resumed, and the program's
 * bytes so far.
 */
struct carried {
	int64_t started_ms, not_after, last_ms;
	uint64_t bytes_in, bytes_out;
	uint32_t resumed, pad;
	char subject[sizeof(((struct attls_live_info *)0)->subject)];
	char issuer[sizeof(((struct attls_live_info *)0)->issuer)];
	char serial[sizeof(((struct attls_live_info *)0)->serial)];
};

static void put_carried(struct out *o, const struct attls_session *s)
{
	struct attls_live_slot *sl = atomic_load_explicit(&s->live, memory_order_relaxed);
	struct carried c = {
		.started_ms = s->info.started_ms,
		.not_after = s->info.not_after,
		.resumed = s->info.resumed,
		.bytes_in = s->carry_in,
		.bytes_out = s->carry_out,
		.last_ms = s->carry_last,
	};

	if (sl) {
		c.bytes_in = atomic_load_explicit(&sl->bytes_in, memory_order_relaxed);
		c.bytes_out = atomic_load_explicit(&sl->bytes_out, memory_order_relaxed);
		c.last_ms = atomic_load_explicit(&sl->last_ms, memory_order_relaxed);
	}
	memcpy(c.subject, s->info.subject, sizeof(c.subject));
	memcpy(c.issuer, s->info.issuer, sizeof(c.issuer));
	memcpy(c.serial, s->info.serial, sizeof(c.serial));
	put_part(o, &c, sizeof(c));
}

static int export_locked(struct attls_session *s, struct out *o, pid_t *owner, bool claim)
{
	struct head h = { .version = BLOB_VERSION };
	struct stat st;
	WOLFSSL *ssl = s->ssl;
	unsigned char hdr[RECORD_HEADER_SZ];
	size_t hdr_len = 0;
	unsigned wsz = 0;

	if (s->ended || s->exported || !ssl) {
		errno = EBADF;
		return -1;
	}
	/*
	 * A handshake under way is finished here: a use, as any send of the
	 * queue. Otherwise an exec's new image claims at its first use (an
	 * exec'd program that never uses it leaves it to the other process).
	 */
	if (s->state == ATTLS_ST_HANDSHAKE && s->hs_started)
		claim = true;
	if (!(claim ? attls_session_take_locked(s, owner) : attls_session_peek_locked(s, owner))) {
		/* Another process owns it since a fork: two writers of one record sequence. */
		errno = EPERM;
		return -1;
	}
	if (fstat(s->fd, &st) < 0)
		return -1;
	memcpy(h.magic, MAGIC, sizeof(h.magic));
	h.dev = st.st_dev;
	h.ino = st.st_ino;
	h.role = (uint8_t)s->role;
	h.bytes_in = s->bytes_in;
	h.bytes_out = s->bytes_out;
	if (s->state == ATTLS_ST_HANDSHAKE && !s->hs_started && !s->bytes_in &&
	    !(s->out_len - s->out_off)) {
		/* Nothing said yet: the other process begins the handshake itself. */
		h.flags = F_FRESH;
		s->exported = true;
		put(o, &h, sizeof(h));
		put_links(o, s);
		return 0;
	}
	if (attls_session_settle(s, attls_now_ms() + SETTLE_MS) < 0)
		return -1;
	if (s->state != ATTLS_ST_OPEN) {
		errno = EPROTO;
		return -1;
	}
	/* From here the socket is closed to wolfSSL (cb_recv) and to the program. */
	s->exported = true;
	if (!s->peer_closed && read_out_plain(s) < 0)
		return -1;
	if (ssl->options.processReply == WOLF_PROCESS_DATA) {
		/* The header was taken, the body not all there: the header goes again. */
		hdr[0] = ssl->curRL.type;
		hdr[1] = ssl->curRL.pvMajor;
		hdr[2] = ssl->curRL.pvMinor;
		hdr[3] = ssl->curRL.length[0];
		hdr[4] = ssl->curRL.length[1];
		hdr_len = sizeof(hdr);
	} else if (ssl->options.processReply != WOLF_PROCESS_INIT &&
		   ssl->options.processReply != WOLF_PROCESS_HEADER) {
		errno = EPROTO;
		return -1;
	}
	h.flags = (uint8_t)((s->peer_closed ? F_PEER_CLOSED : 0) | (s->notified ? F_NOTIFIED : 0) |
			    (s->wr_shut ? F_WR_SHUT : 0));
	h.ver_major = ssl->version.major;
	h.ver_minor = ssl->version.minor;
	h.secret_len = SECRET_LEN;
	if (wolfSSL_tls_export(ssl, NULL, &wsz) != LENGTH_ONLY_E || !wsz) {
		errno = EPROTO;
		return -1;
	}
	unsigned char *w = malloc(wsz);
	int r;

	if (!w) {
		errno = ENOMEM;
		return -1;
	}
	r = wolfSSL_tls_export(ssl, w, &wsz);
	put(o, &h, sizeof(h));
	put_links(o, s);
	put(o, ssl->clientSecret, SECRET_LEN);
	put(o, ssl->serverSecret, SECRET_LEN);
	put_part(o, &ssl->msgsReceived, sizeof(ssl->msgsReceived));
	put_carried(o, s);
	if (r > 0)
		put_part(o, w, (size_t)r);
	explicit_bzero(w, wsz);
	free(w);
	if (r <= 0) {
		errno = EPROTO;
		return -1;
	}
	put_part(o, s->plain + s->plain_off, s->plain_len - s->plain_off);
	size_t in_len = ssl->buffers.inputBuffer.length - ssl->buffers.inputBuffer.idx;

	put(o, &(uint32_t){ (uint32_t)(hdr_len + in_len + s->raw_len - s->raw_off) },
	    sizeof(uint32_t));
	put(o, hdr, hdr_len);
	put(o, ssl->buffers.inputBuffer.buffer + ssl->buffers.inputBuffer.idx, in_len);
	put(o, s->raw + s->raw_off, s->raw_len - s->raw_off);
	put_part(o, s->out + s->out_off, s->out_len - s->out_off);
	return 0;
}

int attls_session_export(struct attls_session *s, unsigned char **buf, size_t *len, bool claim)
{
	struct out o = { 0 };
	pid_t owner = 0;
	int r, err;

	pthread_mutex_lock(&s->lock);
	/* The export claims it: the image or the receiver it goes to owns it. */
	r = export_locked(s, &o, &owner, claim);
	err = errno;
	if (r < 0 || o.failed)
		s->exported = false; /* nothing left the process: it goes on */
	pthread_mutex_unlock(&s->lock);
	if (r == 0 && o.failed) {
		r = -1;
		err = ENOMEM;
	}
	if (r < 0) {
		attls_handoff_free(o.p, o.cap);
		if (err == EPERM)
			attls_trace(s->trace, ATTLS_MSG_EXEC_CUT, s->who,
				    "its state cannot be exported: process %d owns it since a fork "
				    "(it used its copy first, or had records queued at fork)",
				    (int)owner);
		else
			attls_trace(s->trace, ATTLS_MSG_EXEC_CUT, s->who,
				    "its state cannot be exported: %s", strerror(err));
		errno = err;
		return -1;
	}
	((struct head *)o.p)->total = (uint32_t)o.len;
	*buf = o.p;
	*len = o.len;
	return 0;
}

unsigned char *attls_handoff_with_link(const unsigned char *buf, size_t len, int32_t fd,
				       uint32_t idx, size_t *nlen)
{
	const size_t at = sizeof(struct head);
	unsigned char *nb;
	uint32_t n;

	if (len < at + 4)
		return NULL;
	memcpy(&n, buf + at, 4);
	if (n >= ATTLS_CLAIM_CHAIN || len < at + 4 + (size_t)n * 8 || !(nb = malloc(len + 8)))
		return NULL;
	memcpy(nb, buf, at + 4 + (size_t)n * 8);
	n++;
	memcpy(nb + at, &n, 4);
	memcpy(nb + at + 4 + (size_t)(n - 1) * 8, &fd, 4);
	memcpy(nb + at + 4 + (size_t)(n - 1) * 8 + 4, &idx, 4);
	memcpy(nb + at + 4 + (size_t)n * 8, buf + at + 4 + (size_t)(n - 1) * 8,
	       len - (at + 4 + (size_t)(n - 1) * 8));
	((struct head *)nb)->total = (uint32_t)(len + 8);
	*nlen = len + 8;
	return nb;
}

int attls_handoff_claim_fds(const unsigned char *buf, size_t len, int *fds, int max)
{
	const unsigned char *q = buf + sizeof(struct head);
	uint32_t n;
	int k = 0;

	if (len < sizeof(struct head) + 4)
		return 0;
	memcpy(&n, q, 4);
	q += 4;
	for (uint32_t i = 0; i < n && (size_t)(q + 8 - buf) <= len && k < max; i++, q += 8) {
		int32_t fd;

		memcpy(&fd, q, 4);
		fds[k++] = fd;
	}
	return k;
}

void attls_session_export_undo(struct attls_session *s)
{
	pthread_mutex_lock(&s->lock);
	s->exported = false;
	pthread_mutex_unlock(&s->lock);
}

bool attls_handoff_of(int fd, const unsigned char *buf, size_t len)
{
	struct head h;
	struct stat st;

	if (len < sizeof(h))
		return false;
	memcpy(&h, buf, sizeof(h));
	return fstat(fd, &st) == 0 && st.st_dev == h.dev && st.st_ino == h.ino;
}

/* A part of the blob: its length, then its bytes. */
static bool get_part(const unsigned char **p, const unsigned char *end, const unsigned char **part,
		     size_t *n)
{
	uint32_t l;

	if ((size_t)(end - *p) < sizeof(l))
		return false;
	memcpy(&l, *p, sizeof(l));
	*p += sizeof(l);
	if ((size_t)(end - *p) < l)
		return false;
	*part = *p;
	*n = l;
	*p += l;
	return true;
}

static unsigned char *copy(const unsigned char *src, size_t n)
{
	unsigned char *d = n ? malloc(n) : NULL;

	if (d)
		memcpy(d, src, n);
	return d;
}

static struct attls_session *refuse(const struct attls_session_params *p, struct attls_session *s,
				    int err, const char *why)
{
	attls_trace(p->trace, ATTLS_MSG_CONN_REFUSED, p->who,
		    "fd=%d: the TLS session handed over with it cannot be taken up: %s", p->fd,
		    why);
	if (s) {
		attls_session_end(s, false);
		attls_session_free(s);
	}
	errno = err;
	return NULL;
}

/* The old image's open fork contests, as put_links wrote them. */
static bool get_links(const unsigned char **q, const unsigned char *end, struct attls_session *s)
{
	uint32_t n, idx;
	int32_t fd;

	if (end - *q < 4)
		return false;
	memcpy(&n, *q, 4);
	*q += 4;
	if (n > ATTLS_CLAIM_CHAIN || (size_t)(end - *q) < n * 8u)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		struct attls_claim_link *l = &s->chain[s->nchain];

		memcpy(&fd, *q, 4);
		memcpy(&idx, *q + 4, 4);
		*q += 8;
		if (!(l->word = attls_claims_open(fd, idx, &l->blk)))
			return false;
		l->gen = NULL;
		s->nchain++;
	}
	return true;
}

struct attls_session *attls_session_import(const struct attls_session_params *p,
					   const unsigned char *buf, size_t len)
{
	const unsigned char *q = buf + sizeof(struct head), *end = buf + len, *w, *pl, *raw, *out;
	size_t wn, pn, rn, on;
	struct carried c;
	struct attls_session *s;
	struct head h;
	struct stat st;

	if (len < sizeof(h))
		return refuse(p, NULL, EINVAL, "it is too short");
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, MAGIC, sizeof(h.magic)) || h.version != BLOB_VERSION || h.total != len)
		return refuse(p, NULL, EINVAL, "not a session of this version of attls");
	if (fstat(p->fd, &st) < 0 || st.st_dev != h.dev || st.st_ino != h.ino)
		return refuse(p, NULL, ESTALE, "it belongs to another socket");
	if (h.role != p->role)
		return refuse(p, NULL, EPROTO, h.role == ATTLS_ROLE_SERVER ?
			      "it is a server's, and this process's policy makes it a client" :
			      "it is a client's, and this process's policy makes it a server");
	if (!(s = attls_session_new(p)))
		return refuse(p, NULL, errno, "no session: out of memory or random numbers");
	if (!get_links(&q, end, s))
		return refuse(p, s, EINVAL, "its fork claims cannot be read");
	if (h.flags & F_FRESH)
		return q == end ? s : refuse(p, s, EINVAL, "it is too long");
	if (h.secret_len != SECRET_LEN || (size_t)(end - q) < 2 * SECRET_LEN)
		return refuse(p, s, EINVAL, "its secrets are not wolfSSL's size");
	memcpy(s->ssl->clientSecret, q, SECRET_LEN);
	memcpy(s->ssl->serverSecret, q + SECRET_LEN, SECRET_LEN);
	q += 2 * SECRET_LEN;
	if (!get_part(&q, end, &w, &wn) || wn != sizeof(s->ssl->msgsReceived))
		return refuse(p, s, EINVAL, "it is cut short");
	memcpy(&s->ssl->msgsReceived, w, wn);
	if (!get_part(&q, end, &w, &wn) || wn != sizeof(c))
		return refuse(p, s, EINVAL, "it is cut short");
	memcpy(&c, w, sizeof(c));
	if (!get_part(&q, end, &w, &wn) || !get_part(&q, end, &pl, &pn) ||
	    !get_part(&q, end, &raw, &rn) || !get_part(&q, end, &out, &on) || q != end)
		return refuse(p, s, EINVAL, "it is cut short");
	/* wolfSSL checks the protocol against its own: the new one is made the blob's. */
	s->ssl->version.major = h.ver_major;
	s->ssl->version.minor = h.ver_minor;
	int r = wolfSSL_tls_import(s->ssl, w, (unsigned)wn);

	if (r <= 0) {
		char why[128], e[80];

		snprintf(why, sizeof(why), "wolfSSL refuses it: %s",
			 attls_wolf_strerror(r, e, sizeof(e)));
		return refuse(p, s, EPROTO, why);
	}
	/* The carried input is fed from its first byte: a record from its header. */
	s->ssl->options.processReply = WOLF_PROCESS_INIT;
	if ((pn && !(s->plain = copy(pl, pn))) || (rn && !(s->raw = copy(raw, rn))))
		return refuse(p, s, ENOMEM, "out of memory");
	s->plain_len = pn;
	s->raw_len = rn;
	if (on) {
		if (!(s->out = copy(out, on)))
			return refuse(p, s, ENOMEM, "out of memory");
		s->out_len = s->out_cap = on;
	}
	s->state = ATTLS_ST_OPEN;
	s->hs_started = true;
	s->peer_closed = h.flags & F_PEER_CLOSED;
	s->notified = h.flags & F_NOTIFIED;
	s->wr_shut = h.flags & F_WR_SHUT;
	s->bytes_in = h.bytes_in;
	s->bytes_out = h.bytes_out;
	/* Its ticket, if held, went with the first process's handshake, or never will. */
	s->ticket_held = false;
	/* Its resumption state stayed behind: nothing of it is kept for a resumption. */
	free(s->resume_key);
	s->resume_key = NULL;
	s->resume_offered = false;
	/* As the first process showed it (another process's strings: terminated here). */
	s->info.started_ms = c.started_ms;
	s->info.not_after = c.not_after;
	c.subject[sizeof(c.subject) - 1] = c.issuer[sizeof(c.issuer) - 1] = 0;
	c.serial[sizeof(c.serial) - 1] = 0;
	memcpy(s->info.subject, c.subject, sizeof(c.subject));
	memcpy(s->info.issuer, c.issuer, sizeof(c.issuer));
	memcpy(s->info.serial, c.serial, sizeof(c.serial));
	attls_live_carry(atomic_load_explicit(&s->live, memory_order_relaxed), c.bytes_in,
			 c.bytes_out, c.last_ms);
	attls_session_secured(s);
	if (s->info.resumed != (c.resumed != 0)) {
		s->info.resumed = c.resumed != 0;
		attls_live_rewrite(atomic_load_explicit(&s->live, memory_order_relaxed), &s->info);
	}
	attls_trace(p->trace, ATTLS_MSG_EXEC_HANDOFF, p->who,
		    "fd=%d taken up: protocol=%s cipher=%s carried plaintext=%zu ciphertext=%zu "
		    "queued=%zu", p->fd, wolfSSL_get_version(s->ssl),
		    wolfSSL_get_cipher_name(s->ssl), pn, rn, on);
	return s;
}
