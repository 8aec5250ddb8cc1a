/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cryptodev.h"
#include "linger.h"
#include "peername.h"
#include "peerusage.h"
#include "protowhy.h"
#include "record_state.h"
#include "resume_client.h"
#include "tickets.h"
#include "ticket_timing.h"
#include "session.h"
#include "revoke.h"
#include "session_int.h"
#include "trace.h"
#include "wolf.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

/* What a non-blocking write may leave queued before it says EAGAIN. */
#define OUT_LIMIT (256 * 1024)
/* Plaintext handed to one wolfSSL_write. */
#define WRITE_CHUNK (64 * 1024)
/* How long the end of a connection may take: flush, close_notify, drain. */
#define LINGER_MS 3000

/* The one boundary to the kernel (sysio.h): the real functions, never the hooks. */
#define io attls_io

/* Entries left NULL keep the real function. */
void attls_session_set_io(const struct attls_io *i)
{
	attls_io_resolve();
#define ATTLS_IO_SET(ret, name, args) \
	if (i->name)                  \
		io.name = i->name;
	ATTLS_IO_FUNCS(ATTLS_IO_SET)
#undef ATTLS_IO_SET
	if (i->dupfd)
		io.dupfd = i->dupfd;
}

static void (*notify_change)(int fd);

void attls_session_set_notify(void (*fn)(int fd))
{
	notify_change = fn;
}

uint64_t attls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t out_pending(const struct attls_session *s)
{
	return s->out_len - s->out_off;
}

/*
 * The queue of records is let go when it is empty and the program waits
 * for input without having written since the last look: an idle
 * connection holds no output buffer, a busy one does not reallocate.
 */
static void release_out(struct attls_session *s)
{
	/* A connection that wrote since the last look keeps it: no churn. */
	bool wrote = s->wrote;

	s->wrote = false;
	if (out_pending(s) || !s->out || wrote)
		return;
	free(s->out);
	s->out = NULL;
	s->out_off = s->out_len = s->out_cap = 0;
}

/*
 * Small iovecs are gathered here into one record: one buffer per thread,
 * not per connection, since it is free again when the write returns.
 */
static pthread_key_t stage_key;
static pthread_once_t stage_once = PTHREAD_ONCE_INIT;

static void stage_key_make(void)
{
	pthread_key_create(&stage_key, free);
}

static unsigned char *thread_stage(void)
{
	unsigned char *b;

	pthread_once(&stage_once, stage_key_make);
	if (!(b = pthread_getspecific(stage_key)) && (b = malloc(WRITE_CHUNK)) &&
	    pthread_setspecific(stage_key, b)) {
		free(b);
		b = NULL;
	}
	return b;
}

static int flush(struct attls_session *s, bool wait);

/* wolfSSL's input: the real recv, never blocking. */
static int cb_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct attls_session *s = ctx;
	ssize_t n;

	(void)ssl;
	/* Exported (handoff.c): the socket's bytes are another process's now. */
	if (s->exported)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	/*
	 * During the handshake the peer answers a flight only once it has it
	 * all: the flight goes first, and while part of it waits there is
	 * nothing to read yet.
	 */
	if (s->state == ATTLS_ST_HANDSHAKE && out_pending(s) && flush(s, false) != 0)
		return s->state == ATTLS_ST_FAILED ? WOLFSSL_CBIO_ERR_GENERAL :
						     WOLFSSL_CBIO_ERR_WANT_READ;
	if (s->raw_len) {
		/* Ciphertext the process that handed this session over had read. */
		n = (ssize_t)(s->raw_len - s->raw_off < (size_t)sz ? s->raw_len - s->raw_off :
								   (size_t)sz);
		memcpy(buf, s->raw + s->raw_off, (size_t)n);
		s->raw_off += (size_t)n;
		if (s->raw_off == s->raw_len) {
			explicit_bzero(s->raw, s->raw_len);
			free(s->raw);
			s->raw = NULL;
			s->raw_off = s->raw_len = 0;
		}
		return (int)n;
	}
	n = io.recv(s->fd, buf, (size_t)sz, MSG_DONTWAIT);
	if (n > 0) {
		/* A client keeps the server's first bytes, in case they are not TLS. */
		if (s->role == ATTLS_ROLE_CLIENT && s->first_len < sizeof(s->first)) {
			size_t k = sizeof(s->first) - s->first_len;

			k = k < (size_t)n ? k : (size_t)n;
			memcpy(s->first + s->first_len, buf, k);
			s->first_len += k;
		}
		s->bytes_in += (uint64_t)n;
		if (!s->hello.done)
			attls_hello_feed(&s->hello, (const unsigned char *)buf, (size_t)n);
		return (int)n;
	}
	if (n == 0) {
		s->io_eof = true;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	s->io_errno = errno;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (errno == ECONNRESET)
		return WOLFSSL_CBIO_ERR_CONN_RST;
	return WOLFSSL_CBIO_ERR_GENERAL;
}

const struct attls_hello *attls_session_hello(void *io_ctx)
{
	const struct attls_session *s = io_ctx;

	return s ? &s->hello : NULL;
}

/* wolfSSL's output: into the session's buffer, whole records, never "later". */
static int cb_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct attls_session *s = ctx;
	size_t need = (size_t)sz;

	(void)ssl;
	s->wrote_any = true;
	if (s->out_off && s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (s->out_len + need > s->out_cap && s->out_off) {
		memmove(s->out, s->out + s->out_off, out_pending(s));
		s->out_len -= s->out_off;
		s->out_off = 0;
	}
	if (s->out_len + need > s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap : 16384;
		unsigned char *n;

		while (cap < s->out_len + need)
			cap *= 2;
		n = realloc(s->out, cap);
		if (!n)
			return WOLFSSL_CBIO_ERR_GENERAL;
		s->out = n;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, buf, need);
	s->out_len += need;
	return sz;
}

void attls_session_bind_io(struct attls_session *s)
{
	wolfSSL_SSLSetIORecv(s->ssl, cb_recv);
	wolfSSL_SSLSetIOSend(s->ssl, cb_send);
	wolfSSL_SetIOReadCtx(s->ssl, s);
	wolfSSL_SetIOWriteCtx(s->ssl, s);
}

/*
 * Plaintext for the program: what a session taken up from another
 * process carried in goes first, then wolfSSL's. Same results as
 * wolfSSL_read and wolfSSL_peek.
 */
static int plain_read(struct attls_session *s, void *buf, int n, bool peek)
{
	if (s->plain_len) {
		size_t k = s->plain_len - s->plain_off < (size_t)n ? s->plain_len - s->plain_off :
								      (size_t)n;

		memcpy(buf, s->plain + s->plain_off, k);
		if (!peek && (s->plain_off += k) == s->plain_len) {
			explicit_bzero(s->plain, s->plain_len);
			free(s->plain);
			s->plain = NULL;
			s->plain_off = s->plain_len = 0;
		}
		return (int)k;
	}
	return peek ? wolfSSL_peek(s->ssl, buf, n) : wolfSSL_read(s->ssl, buf, n);
}

int attls_session_plain_pending(struct attls_session *s)
{
	size_t carried = s->plain_len - s->plain_off;
	int w = s->ssl ? wolfSSL_pending(s->ssl) : 0;

	return carried > INT_MAX / 2 ? INT_MAX / 2 : (int)carried + (w > 0 ? w : 0);
}

struct attls_session *attls_session_new(const struct attls_session_params *p)
{
	struct attls_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ssl = wolfSSL_new(p->ctx);
	s->who = strdup(p->who ? p->who : "");
	s->resume_key = p->resume_key ? strdup(p->resume_key) : NULL;
	if (p->role == ATTLS_ROLE_CLIENT && p->server_name)
		s->server_name = strdup(p->server_name);
	if (!s->ssl || !s->who || (p->resume_key && !s->resume_key) ||
	    (p->role == ATTLS_ROLE_CLIENT && p->server_name && !s->server_name)) {
		unsigned char b;
		/*
		 * wolfSSL_new fails for want of memory or of random numbers
		 * (getrandom() refused, by a seccomp filter or an old kernel):
		 * errno says which.
		 */
		int err = s->ssl || getrandom(&b, 1, GRND_NONBLOCK) == 1 ? ENOMEM : errno;

		if (s->ssl)
			wolfSSL_free(s->ssl);
		free(s->who);
		free(s->resume_key);
		free(s->server_name);
		free(s);
		errno = err;
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->policy = p->policy;
	attls_policy_hold(s->policy);
	s->fd = p->fd;
	s->role = p->role;
	s->state = ATTLS_ST_HANDSHAKE;
	s->nonblock = p->nonblock;
	s->connecting = p->connecting;
	s->trace = p->trace;
	s->hs_timeout = p->handshake_timeout_ms;
	attls_session_bind_io(s);
	if (p->role == ATTLS_ROLE_CLIENT && p->server_name) {
		wolfSSL_UseSNI(s->ssl, WOLFSSL_SNI_HOST_NAME, p->server_name,
					  (unsigned short)strlen(p->server_name));
		wolfSSL_check_domain_name(s->ssl, p->server_name);
	}
	/*
	 * A client offers the renegotiation indication (RFC 5746), so that a
	 * server can tell a prefix spliced in front of it; it renegotiates
	 * never (wolfSSL is built without renegotiation).
	 */
	if (p->role == ATTLS_ROLE_CLIENT)
		wolfSSL_UseSecureRenegotiation(s->ssl);
	s->allow.allow = p->allow;
	s->allow.file = p->policy ? p->policy->file : "?";
	s->allow.who = s->who;
	s->allow.trace = s->trace;
	attls_allow_session(s->ssl, &s->allow);
	s->protocols = p->protocols;
	s->resume_offered = attls_resume_offer(s->ssl, s->resume_key, &s->ticket_fresh);
	if (p->role == ATTLS_ROLE_SERVER)
		s->ticket_held = attls_ticket_hold(s->ssl);
	attls_cryptodev_session_start(s->ssl);
	s->info.fd = p->fd;
	s->info.direction = p->direction;
	s->info.role = p->role;
	s->info.started_ms = attls_live_now_ms();
	if (p->local)
		s->info.local = *p->local;
	if (p->remote)
		s->info.remote = *p->remote;
	snprintf(s->info.descriptor, sizeof(s->info.descriptor), "%s",
		 p->descriptor ? p->descriptor : "");
	s->live = attls_live_claim(&s->info, ATTLS_LIVE_HANDSHAKE);
	return s;
}

/*
 * With lock held: whether this process owns its copy, claiming every open
 * contest of a fork for it (see "Who owns" below); say: ATTLS047E once
 * when another process does.
 */
static bool take(struct attls_session *s, bool say);
static void chain_drop(struct attls_session *s, int i);

/* Marks the session failed: the program's calls get err from now on. */
static void fail(struct attls_session *s, int err)
{
	if (s->state == ATTLS_ST_FAILED)
		return;
	/* A handshake that offered a session and failed: the next one is full. */
	if (s->state == ATTLS_ST_HANDSHAKE && s->resume_offered)
		attls_resume_forget(s->resume_key);
	s->state = ATTLS_ST_FAILED;
	s->error = err;
	s->so_error_pending = true;
	/* An alert wolfSSL queued is worth one try; then the socket ends. */
	if (out_pending(s))
		io.send(s->fd, s->out + s->out_off, out_pending(s), MSG_DONTWAIT | MSG_NOSIGNAL);
	s->out_off = s->out_len = 0;
	io.shutdown(s->fd, SHUT_RDWR);
}

/* What an operator should read for the failures a policy most often meets. */
static const char *explain(int err)
{
	switch (err) {
	case ASN_AFTER_DATE_E: return "the peer's certificate has expired";
	case ASN_BEFORE_DATE_E: return "the peer's certificate is not valid yet";
	case ASN_NO_SIGNER_E:
	case ASN_SELF_SIGNED_E:
		return "the peer's certificate is not signed by a CA in the key ring";
	case DOMAIN_NAME_MISMATCH: return "the peer's certificate does not name server_name";
	case VERSION_ERROR:
		return "the peer offers no protocol version the policy allows, or does not speak TLS";
	case PARSE_ERROR:
	case UNKNOWN_RECORD_TYPE:
	case LENGTH_ERROR: /* text whose bytes 4-5 read as a record too long */
		return "the peer does not speak TLS (clear text or garbage?)";
	case FATAL_ERROR: return "the peer sent a fatal alert (it refused us)";
	case MATCH_SUITE_ERROR: return "no cipher suite (or key exchange group) in common with the peer";
	case NO_PEER_CERT: return "the peer sent no certificate and one is required";
	case ASN_VERSION_E:
		return "the peer's certificate, or one in its chain, is X.509 version 1, which is "
		       "not accepted from a peer (it cannot say what it may be used for): issue "
		       "a version 3 certificate";
	default: return NULL;
	}
}

/*
 * A client's handshake that failed: said in terms of protocol versions
 * where they are its cause, or may be (protowhy.h); NULL otherwise.
 */
static const char *client_version_reason(struct attls_session *s, char *buf, size_t len)
{
	WOLFSSL_ALERT_HISTORY h = { .last_rx = { -1, -1 }, .last_tx = { -1, -1 } };
	struct attls_client_view v = {
		.protocols = s->protocols,
		.chosen = s->hello.chosen,
		.alert = -1,
		.said_nothing = s->bytes_in == 0,
	};

	if (s->role != ATTLS_ROLE_CLIENT || s->state != ATTLS_ST_HANDSHAKE)
		return NULL;
	if (wolfSSL_get_alert_history(s->ssl, &h) == WOLFSSL_SUCCESS &&
	    h.last_rx.level == alert_fatal)
		v.alert = h.last_rx.code;
	if (s->io_eof)
		v.end = "the peer closed the connection";
	else if (s->io_errno == ECONNRESET)
		v.end = strerror(ECONNRESET);
	return attls_client_version_reason(&v, buf, len);
}

/*
 * A client whose server answered something other than TLS: wolfSSL read a
 * record header's worth of it; what more has arrived is read now (the
 * connection fails anyway), so the reason can quote a line of it.
 */
static const char *not_tls_reason(struct attls_session *s, char *buf, size_t len)
{
	if (s->role != ATTLS_ROLE_CLIENT || s->state != ATTLS_ST_HANDSHAKE || !s->first_len ||
	    !attls_not_tls_reason(s->first, s->first_len, buf, len))
		return NULL;
	while (s->first_len < sizeof(s->first)) {
		ssize_t n = io.recv(s->fd, s->first + s->first_len,
				    sizeof(s->first) - s->first_len, MSG_DONTWAIT);

		if (n <= 0)
			break;
		s->first_len += (size_t)n;
	}
	return attls_not_tls_reason(s->first, s->first_len, buf, len);
}

/*
 * A server whose client ended the handshake after reading the server's
 * flight (its certificate): most often because it does not accept that
 * certificate, which only its own log says. Said so, with the alert it
 * sent, instead of wolfSSL's words for a record it could not read (a TLS
 * 1.3 client that has not switched keys yet sends its alert in plain).
 * NULL for a failure before the server answered, or of another kind.
 */
static const char *server_refused_reason(struct attls_session *s, int err, char *buf,
					 size_t len)
{
	WOLFSSL_ALERT_HISTORY h = { .last_rx = { -1, -1 }, .last_tx = { -1, -1 } };
	const char *how;

	if (s->role != ATTLS_ROLE_SERVER || s->state != ATTLS_ST_HANDSHAKE || !s->hello.done ||
	    !s->hello.offered || !s->wrote_any)
		return NULL;
	if (err == FATAL_ERROR && wolfSSL_get_alert_history(s->ssl, &h) == WOLFSSL_SUCCESS &&
	    h.last_rx.level == alert_fatal) {
		snprintf(buf, len, "the client refused the handshake after our certificate with "
			 "a fatal alert: %s (%d) (its own log says why)",
			 wolfSSL_alert_desc_string_long(h.last_rx.code), h.last_rx.code);
		return buf;
	}
	if (s->io_eof)
		how = "it closed the connection";
	else if (s->io_errno == ECONNRESET)
		how = "it reset the connection";
	else if (err == PARSE_ERROR || err == UNKNOWN_RECORD_TYPE || err == LENGTH_ERROR)
		how = "it sent a record we could not read, as a plain alert is";
	else
		return NULL;
	snprintf(buf, len, "the client ended the handshake after our certificate (%s): it may "
		 "not accept the certificate (expired, not signed by a CA it trusts, not the name "
		 "it asked for); its own log says why", how);
	return buf;
}

static const char *ssl_reason(struct attls_session *s, int ret, char *buf, size_t len)
{
	int err = wolfSSL_get_error(s->ssl, ret);
	const char *why = explain(err);
	size_t off;

	if (attls_revoke_reason(s->policy, s->ssl, err, buf, len))
		return buf;
	/* A client says what a server that does not speak TLS answered. */
	if (not_tls_reason(s, buf, len))
		return buf;
	/* And which names the certificate of the wrong server gives. */
	if (err == DOMAIN_NAME_MISMATCH && s->role == ATTLS_ROLE_CLIENT &&
	    attls_name_mismatch_reason(s->ssl, s->server_name, buf, len))
		return buf;
	if (client_version_reason(s, buf, len))
		return buf;
	if (server_refused_reason(s, err, buf, len))
		return buf;

	if (s->io_eof)
		return "the peer closed the connection";
	if (err == WOLFSSL_ERROR_SYSCALL || err == SOCKET_ERROR_E)
		return s->io_errno ? strerror(s->io_errno) : "socket error";
	/* wolfSSL stops reading a chain at its limit, then misses the signer. */
	if (wolfSSL_get_verify_result(s->ssl) == X509_V_ERR_CERT_CHAIN_TOO_LONG)
		why = "the peer's certificate chain is too long";
	/* A server knows what the client offered: both sides said. */
	if ((err == VERSION_ERROR || err == MATCH_SUITE_ERROR) && s->role == ATTLS_ROLE_SERVER &&
	    s->hello.offered &&
	    s->protocols && !(s->hello.offered & s->protocols)) {
		char offered[64], allowed[64];

		attls_proto_names(s->hello.offered, offered, sizeof(offered));
		attls_proto_names(s->protocols, allowed, sizeof(allowed));
		snprintf(buf, len, "no protocol version in common: the client offers %s%s, the "
			 "descriptor's security level allows %s (protocols)", offered,
			 s->hello.offered & ATTLS_HELLO_AT_MOST ? " at most" : "", allowed);
		return buf;
	}
	off = why ? (size_t)snprintf(buf, len, "%s: ", why) : 0;
	if (off >= len)
		return buf;
	wolfSSL_ERR_error_string_n((unsigned long)err, buf + off, len - off);
	snprintf(buf + strlen(buf), len - strlen(buf), " (%d)", err);
	return buf;
}

/* Signals a fault raises: never held back, or the kernel kills at once. */
static bool sync_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGTRAP || sig == SIGSYS;
}

/*
 * Whether one of the signals in set, delivered inside the program's
 * blocking send or recv, would have made it fail with EINTR. The kernel
 * restarts such a call after a handler installed with SA_RESTART, unless
 * the socket has SO_SNDTIMEO or SO_RCVTIMEO for it (timed: then EINTR,
 * sock_intr_errno() in the kernel), or the call already moved bytes (the
 * callers pass timed then too: the kernel returns the partial count after
 * any handler); any other handler gives EINTR; a
 * signal without a handler (ignored, ignored by default, stop, continue)
 * interrupts nothing.
 */
static bool interrupts(const sigset_t *set, bool timed)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sigismember(set, sig) != 1 || sigaction(sig, NULL, &sa) < 0 ||
		    sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
			continue;
		if (timed || !(sa.sa_flags & SA_RESTART))
			return true;
	}
	return false;
}

/*
 * The internal wait of a blocking call: for events on the fd, with the
 * session unlocked (another thread may read or write meanwhile), until
 * deadline (CLOCK_MONOTONIC ms, 0: none). 0 when ready; -1 with errno:
 * timeout_errno at the deadline, EINTR where the kernel would have said
 * it (see interrupts(); timed: the program set SO_SNDTIMEO or SO_RCVTIMEO
 * for this call), EBADF if the session ended meanwhile.
 *
 * poll() alone cannot tell an SA_RESTART handler from another: it says
 * EINTR after any. So the signals this thread had unblocked are blocked
 * for the wait and watched through a signalfd in the same poll. When one
 * is pending, its number (sigpending) and its disposition (sigaction
 * query) say what the kernel would have done; then the thread's own mask
 * comes back and the handlers run, outside the session lock, before the
 * call goes on or returns, as they would have inside the real call. The
 * signal mask is the calling thread's: another thread is not affected. A
 * signal sent to the process while this thread holds it back goes to a
 * thread that does not, as the kernel chooses; if none does, it stays
 * pending until the wait sees it. Without a signalfd (no fd left), the
 * wait is a plain poll and an EINTR restarts it only if every handler
 * the thread can receive has SA_RESTART. Nothing here survives the call:
 * fork and a second thread see no state of it.
 */
static int wait_fd(struct attls_session *s, short events, uint64_t deadline, int timeout_errno,
		   bool timed)
{
	struct pollfd pfd[2] = { { .fd = s->fd, .events = events }, { .fd = -1, .events = POLLIN } };
	sigset_t all, old, watch, pending;
	int r, err = 0;

	pthread_mutex_unlock(&s->lock);
	sigfillset(&all);
	for (int sig = 1; sig < NSIG; sig++)
		if (sync_signal(sig))
			sigdelset(&all, sig);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	sigemptyset(&watch);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&all, sig) == 1 && sigismember(&old, sig) == 0)
			sigaddset(&watch, sig);
	pfd[1].fd = io.signalfd(-1, &watch, SFD_NONBLOCK | SFD_CLOEXEC);
	if (pfd[1].fd < 0)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (;;) {
		int ms = -1;

		if (deadline) {
			uint64_t now = attls_now_ms();

			if (now >= deadline) {
				err = timeout_errno;
				break;
			}
			ms = deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now);
		}
		r = io.poll(pfd, pfd[1].fd >= 0 ? 2 : 1, ms);
		if (r < 0 && errno == EINTR && pfd[1].fd < 0) {
			/* The handler already ran: only its kind is known. */
			if (interrupts(&watch, timed)) {
				err = EINTR;
				break;
			}
			continue;
		}
		if (r < 0 && errno != EINTR) {
			err = errno;
			break;
		}
		if (r > 0 && pfd[0].revents)
			break;
		if (r > 0 && pfd[1].revents) {
			sigpending(&pending);
			sigandset(&pending, &pending, &watch);
			if (interrupts(&pending, timed)) {
				err = EINTR;
				break;
			}
			/* Its handler runs now; the call goes on, as restarted. */
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			pthread_sigmask(SIG_BLOCK, &all, NULL);
		}
	}
	if (pfd[1].fd >= 0) {
		io.close(pfd[1].fd);
		/* What is pending is delivered here, its handler outside the lock. */
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_mutex_lock(&s->lock);
	if (s->ended || s->exported) {
		errno = EBADF;
		return -1;
	}
	/* A call that waited across a fork goes on here: this process uses it. */
	if (!take(s, true)) {
		errno = EPIPE;
		return -1;
	}
	errno = err;
	return err ? -1 : 0;
}

/*
 * The deadline SO_RCVTIMEO or SO_SNDTIMEO sets for a call starting now
 * (0 if none); *timed says whether one is set.
 */
static uint64_t sock_deadline(struct attls_session *s, int opt, bool *timed)
{
	struct timeval tv = { 0 };
	socklen_t len = sizeof(tv);

	*timed = false;
	if (io.getsockopt(s->fd, SOL_SOCKET, opt, &tv, &len) < 0 ||
	    (tv.tv_sec == 0 && tv.tv_usec == 0))
		return 0;
	*timed = true;
	return attls_now_ms() + (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;
}

/* A failed handshake: the reason logged, the error the program's calls get. */
static void handshake_failed(struct attls_session *s, enum attls_msg m, const char *why)
{
	attls_trace(s->trace, m, s->who, "%s", why);
	fail(s, m == ATTLS_MSG_HS_TIMEOUT ? ETIMEDOUT :
		s->role == ATTLS_ROLE_CLIENT ? EACCES : ECONNRESET);
}

/* allow_peer refused the peer (ATTLS024E said so): as a failed handshake. */
static void peer_refused(struct attls_session *s)
{
	fail(s, s->role == ATTLS_ROLE_CLIENT ? EACCES : ECONNRESET);
}

/* When a call's waits for output end: SO_SNDTIMEO counts for the whole call. */
struct out_timeout {
	bool asked, timed;
	bool moved; /* the call already took bytes: any handler ends its wait */
	int terr;
	uint64_t deadline;
};

/*
 * Sends queued records as far as the kernel takes them, and with wait,
 * waits until no more than keep bytes are left. 0: all sent; 1: some left;
 * -1: error. Waiting, it ends at SO_SNDTIMEO (EAGAIN) or, during the
 * handshake, at its deadline (ETIMEDOUT), whichever comes first; EINTR
 * as wait_fd says. t carries the call's deadline from one send_out to the
 * next (NULL: this one only).
 */
static int send_out(struct attls_session *s, bool wait, size_t keep, struct out_timeout *t)
{
	struct out_timeout mine = { 0 };

	if (!t)
		t = &mine;
	while (out_pending(s)) {
		ssize_t n = io.send(s->fd, s->out + s->out_off, out_pending(s),
				    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			s->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait || out_pending(s) <= keep)
				return 1;
			if (!t->asked) {
				t->asked = true;
				t->terr = EAGAIN;
				t->deadline = sock_deadline(s, SO_SNDTIMEO, &t->timed);
				if (s->state == ATTLS_ST_HANDSHAKE && s->deadline &&
				    (!t->deadline || s->deadline < t->deadline)) {
					t->deadline = s->deadline;
					t->terr = ETIMEDOUT;
				}
			}
			if (wait_fd(s, POLLOUT, t->deadline, t->terr, t->timed || t->moved) < 0)
				return -1;
			continue;
		}
		int err = errno;

		/* A flight that cannot go (a reset): the handshake failed, as any other way. */
		if (s->state == ATTLS_ST_HANDSHAKE) {
			handshake_failed(s, ATTLS_MSG_HS_FAILED, strerror(err));
		} else {
			attls_trace(s->trace, ATTLS_MSG_CONN_ERROR, s->who, "send: %s",
				    strerror(err));
			fail(s, err == EPIPE ? EPIPE : ECONNRESET);
		}
		errno = s->error;
		return -1;
	}
	s->out_off = s->out_len = 0;
	if (s->kshut_wr) {
		/* A shutdown(SHUT_WR) waited for these records: now it goes. */
		s->kshut_wr = false;
		s->shut_wr_sent = true;
		io.shutdown(s->fd, SHUT_WR);
	}
	return 0;
}

/* Sends queued records. 0: all sent; 1: some left (!wait); -1: error. */
static int flush(struct attls_session *s, bool wait)
{
	return send_out(s, wait, 0, NULL);
}

static int send_close_notify(struct attls_session *s, bool wait);

/* A shutdown(2) held during the handshake goes now, behind its last flight. */
static void shutdown_held(struct attls_session *s)
{
	unsigned held = s->shut_held;

	s->shut_held = 0;
	if (held & SHUT_HELD_RD)
		io.shutdown(s->fd, SHUT_RD);
	if (held & SHUT_HELD_WR) {
		s->kshut_wr = true;
		if (send_close_notify(s, false) < 0)
			return;
		flush(s, false);
	}
}

/* Serial bytes as "0a:1b:..." */
static void serial_hex(WOLFSSL_X509 *x, char *out, size_t len)
{
	unsigned char b[32];
	int n = sizeof(b);
	size_t o = 0;

	out[0] = 0;
	if (wolfSSL_X509_get_serial_number(x, b, &n) != WOLFSSL_SUCCESS)
		return;
	for (int i = 0; i < n && o + 4 <= len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%02x", i ? ":" : "", b[i]);
}

void attls_session_secured(struct attls_session *s)
{
	WOLFSSL_X509 *peer = wolfSSL_get_peer_certificate(s->ssl);
	struct attls_live_info *i = &s->info;

	snprintf(i->protocol, sizeof(i->protocol), "%s", wolfSSL_get_version(s->ssl));
	snprintf(i->cipher, sizeof(i->cipher), "%s", wolfSSL_get_cipher_name(s->ssl));
	attls_cryptodev_session(s->ssl, i->device, sizeof(i->device));
	i->resumed = wolfSSL_session_reused(s->ssl) ? 1 : 0;
	if (peer) {
		struct tm tm;
		WOLFSSL_ASN1_TIME *na = wolfSSL_X509_get_notAfter(peer);

		attls_peer_name(wolfSSL_X509_get_subject_name(peer), i->subject,
				sizeof(i->subject));
		attls_peer_name(wolfSSL_X509_get_issuer_name(peer), i->issuer,
				sizeof(i->issuer));
		serial_hex(peer, i->serial, sizeof(i->serial));
		if (na && wolfSSL_ASN1_TIME_to_tm(na, &tm) == WOLFSSL_SUCCESS)
			i->not_after = (int64_t)timegm(&tm);
		wolfSSL_X509_free(peer);
	}
	attls_live_update(s->live, i, ATTLS_LIVE_SECURE);
}

static void handshake_done(struct attls_session *s)
{
	s->state = ATTLS_ST_OPEN;
	attls_session_secured(s);
	if (s->shut_held)
		shutdown_held(s);
	attls_resume_keep(s->ssl, s->resume_key, &s->ticket_fresh);
	if (attls_trace_on(s->trace, ATTLS_MSG_HS_DONE))
		attls_trace(s->trace, ATTLS_MSG_HS_DONE, s->who,
			    "protocol=%s cipher=%s resumed=%s peer=\"%s\" device=\"%s\"",
			    s->info.protocol, s->info.cipher, s->info.resumed ? "yes" : "no",
			    s->info.subject[0] ? s->info.subject : "none", s->info.device);
}

/* One step of the handshake, without blocking: 0 done, 1 wants input, -1 failed. */
static int handshake_step(struct attls_session *s)
{
	char why[512];
	int ret, err;

	if (!s->deadline)
		s->deadline = attls_now_ms() + s->hs_timeout;
	if (!s->hs_started) {
		s->hs_started = true;
		attls_trace(s->trace, ATTLS_MSG_HS_START, s->who, "role=%s",
			    attls_role_name(s->role));
	}
	s->io_eof = false;
	s->io_errno = 0;
	/* An OCSP fetch inside the step waits no longer than the handshake may. */
	attls_revoke_deadline(s->deadline);
	ret = s->role == ATTLS_ROLE_SERVER ? wolfSSL_accept(s->ssl) :
					     wolfSSL_connect(s->ssl);
	attls_revoke_deadline(0);
	attls_revoke_step(s->policy, s->ssl);
	if (ret == WOLFSSL_SUCCESS) {
		const char *refused = attls_peer_usage_refused(s->ssl);

		if (!attls_allow_after(&s->allow, s->ssl)) {
			/*
			 * Said (ATTLS024E). Never reached when the callback
			 * ran; what is queued (a ticket) must not go.
			 */
			s->out_off = s->out_len = 0;
			peer_refused(s);
			return -1;
		}
		if (refused) {
			/* Nothing of the program's has moved yet: it never will. */
			handshake_failed(s, ATTLS_MSG_HS_FAILED, refused);
			return -1;
		}
		if (flush(s, false) < 0)
			return -1;
		handshake_done(s);
		return 0;
	}
	err = wolfSSL_get_error(s->ssl, ret);
	if (flush(s, false) < 0)
		return -1;
	if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
		return 1;
	/* allow_peer refused it: ATTLS024E said why (an alert went to the peer). */
	if (s->allow.allow && (s->allow.refused || err == NO_PEER_CERT)) {
		if (!s->allow.refused)
			attls_allow_no_cert(&s->allow);
		peer_refused(s);
		return -1;
	}
	handshake_failed(s, ATTLS_MSG_HS_FAILED, ssl_reason(s, ret, why, sizeof(why)));
	return -1;
}

static int check_deadline(struct attls_session *s)
{
	if (s->state == ATTLS_ST_HANDSHAKE && s->deadline && attls_now_ms() >= s->deadline) {
		char why[64];

		snprintf(why, sizeof(why), "no progress within %u ms", s->hs_timeout);
		handshake_failed(s, ATTLS_MSG_HS_TIMEOUT, why);
		return -1;
	}
	return 0;
}

/* Drives the handshake; with wait, until done, failed or the deadline. */
static int handshake(struct attls_session *s, bool wait)
{
	for (;;) {
		int r;

		if (s->state == ATTLS_ST_OPEN)
			return 0;
		/* The deadline runs from the first attempt, a connect's wait included. */
		if (s->state == ATTLS_ST_HANDSHAKE && !s->deadline)
			s->deadline = attls_now_ms() + s->hs_timeout;
		if (s->state == ATTLS_ST_FAILED || check_deadline(s) < 0) {
			errno = s->error;
			return -1;
		}
		if (s->connecting) {
			/* A connect still under way (non-blocking, or interrupted). */
			int err = 0;
			socklen_t len = sizeof(err);

			if (!wait) {
				errno = EAGAIN;
				return -1;
			}
			if (wait_fd(s, POLLOUT, s->deadline, ETIMEDOUT, false) < 0) {
				if (errno == ETIMEDOUT)
					continue;
				return -1;
			}
			s->connecting = false;
			io.getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err) {
				/* TCP itself failed: the program sees its error. */
				s->state = ATTLS_ST_FAILED;
				s->error = err;
				errno = err;
				return -1;
			}
		}
		r = handshake_step(s);
		if (r == 0)
			return wait && flush(s, true) < 0 && errno != ETIMEDOUT ? -1 : 0;
		if (r < 0) {
			errno = s->error;
			return -1;
		}
		if (!wait) {
			errno = EAGAIN;
			return -1;
		}
		if (flush(s, true) < 0 && errno != ETIMEDOUT)
			return -1;
		if (s->state == ATTLS_ST_HANDSHAKE &&
		    wait_fd(s, POLLIN, s->deadline, ETIMEDOUT, false) < 0 && errno != ETIMEDOUT)
			return -1;
	}
}

int attls_session_settle(struct attls_session *s, uint64_t deadline)
{
	bool nb = s->nonblock;
	int r = 0;

	if (s->state == ATTLS_ST_HANDSHAKE && s->hs_started) {
		/* Waits within the handshake's own deadline, at most. */
		s->nonblock = false;
		r = handshake(s, true);
		s->nonblock = nb;
		if (r < 0)
			return -1;
	}
	if (s->state == ATTLS_ST_FAILED) {
		errno = s->error;
		return -1;
	}
	while (out_pending(s) && (r = flush(s, false)) == 1) {
		uint64_t now = attls_now_ms();
		struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

		if (now >= deadline || io.poll(&pfd, 1, (int)(deadline - now)) < 0)
			break;
	}
	return r < 0 ? -1 : 0;
}

int attls_session_handshake(struct attls_session *s, bool wait)
{
	int r;

	pthread_mutex_lock(&s->lock);
	if (take(s, true)) {
		r = handshake(s, wait);
	} else {
		errno = EPIPE;
		r = -1;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void trace_data(struct attls_session *s, const char *dir, const void *buf, size_t n)
{
	char hex[2 * 48 + 1];
	size_t show = n < 48 ? n : 48;

	if (!(s->trace & ATTLS_TRACE_DATA))
		return;
	for (size_t i = 0; i < show; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)buf)[i]);
	hex[2 * show] = '\0';
	attls_trace(s->trace, ATTLS_MSG_DATA_RECORD, s->who, "%s %zu bytes: %s%s", dir, n,
		    hex, show < n ? "..." : "");
}

/*
 * Why the peer's end is a broken connection rather than the end of its
 * data: a reset, or an end in the middle of a record. NULL for a clean end.
 * With s->lock held, as by every reader of io_errno and of the wolfSSL
 * object: the answer is about the read that just failed in this thread.
 */
static const char *abrupt_end(struct attls_session *s)
{
	if (s->io_errno == ECONNRESET)
		return "connection reset by the peer";
	if (attls_record_partial(s->ssl))
		return "the peer ended the connection in the middle of a record";
	return NULL;
}

/* The end of the peer's data: close_notify, or EOF without it. */
static void peer_ended(struct attls_session *s, bool notified)
{
	s->peer_closed = true;
	attls_trace(s->trace, ATTLS_MSG_FLOW_CALL, s->who, "read: end of data (%s)",
		    notified ? "close_notify" : "connection closed without close_notify");
}

ssize_t attls_session_recv(struct attls_session *s, void *buf, size_t len, int flags)
{
	bool nb, timed = false, asked = false;
	uint64_t deadline = 0;
	size_t got = 0;
	ssize_t ret = -1;

	pthread_mutex_lock(&s->lock);
	if (s->ended || s->exported) {
		errno = EBADF;
		goto out;
	}
	if (!take(s, true)) {
		errno = ENOTCONN; /* as on the unconnected socket _Fork's child gets */
		goto out;
	}
	nb = s->nonblock || (flags & MSG_DONTWAIT);
	/*
	 * Queued records go as far as they can without waiting: a read never
	 * waits for output, which another thread may be writing while the
	 * peer waits for this one to read. The rest goes during the wait.
	 */
	if (handshake(s, !nb) < 0 || flush(s, false) < 0) {
		s->again += errno == EAGAIN;
		goto out;
	}
	for (;;) {
		int n, err, want = len - got > INT_MAX ? INT_MAX : (int)(len - got);
		char why[256];

		if (s->state == ATTLS_ST_FAILED) {
			/* A reset seen by a send first: a read says so as the kernel does. */
			errno = s->error == EPIPE ? ECONNRESET : s->error;
			break;
		}
		if (s->peer_closed || want == 0) {
			ret = (ssize_t)got;
			break;
		}
		s->io_eof = false;
		s->io_errno = 0;
		n = plain_read(s, (char *)buf + got, want, flags & MSG_PEEK);
		if (n > 0) {
			trace_data(s, "in", (char *)buf + got, (size_t)n);
			got += (size_t)n;
			if (!(flags & MSG_WAITALL) || (flags & MSG_PEEK) || got == len) {
				ret = (ssize_t)got;
				break;
			}
			continue;
		}
		err = wolfSSL_get_error(s->ssl, n);
		if (err == WOLFSSL_ERROR_WANT_READ) {
			if (nb) {
				/* MSG_WAITALL on a non-blocking socket may return short. */
				if (got) {
					ret = (ssize_t)got;
				} else {
					errno = EAGAIN;
					s->again++;
					release_out(s);
				}
				break;
			}
			if (!asked) {
				asked = true;
				deadline = sock_deadline(s, SO_RCVTIMEO, &timed);
			}
			/* After bytes moved, any handler ends the call, as in the kernel. */
			if (wait_fd(s, (short)(POLLIN | (out_pending(s) ? POLLOUT : 0)), deadline,
				    EAGAIN, timed || got) < 0) {
				if (got)
					ret = (ssize_t)got;
				break;
			}
			if (out_pending(s))
				flush(s, false);
			continue;
		}
		if (err == WOLFSSL_ERROR_ZERO_RETURN) {
			peer_ended(s, true);
			continue;
		}
		const char *broken = NULL;

		if ((s->io_eof || err == SOCKET_PEER_CLOSED_E) && !(broken = abrupt_end(s))) {
			peer_ended(s, false);
			continue;
		}
		attls_trace(s->trace, ATTLS_MSG_CONN_ERROR, s->who, "read: %s",
			    broken ? broken : ssl_reason(s, n, why, sizeof(why)));
		fail(s, ECONNRESET);
		if (got) {
			ret = (ssize_t)got;
			break;
		}
		errno = ECONNRESET;
		break;
	}
out:;
	/*
	 * Plaintext left over, or all drained: what epoll must ask the kernel
	 * for has changed, and another thread may be waiting there.
	 */
	bool changed = ret > 0 ? s->ssl && attls_session_plain_pending(s) > 0 :
				 ret < 0 && errno == EAGAIN;
	int fd = s->fd, err = errno;

	pthread_mutex_unlock(&s->lock);
	if (changed && notify_change) {
		notify_change(fd);
		errno = err;
	}
	/* A peek reads nothing: the bytes are counted when they are read. */
	if (ret > 0 && !(flags & MSG_PEEK))
		attls_live_count(atomic_load_explicit(&s->live, memory_order_relaxed),
				 (uint64_t)ret, 0);
	return ret;
}

/* Encrypts len bytes from the iovecs, starting at (*iv, *off), into records. */
static int encrypt_from(struct attls_session *s, const struct iovec *iov, int iovcnt,
			int *iv, size_t *off, size_t len)
{
	if (len && s->ticket_held && s->state == ATTLS_ST_OPEN) {
		/* The held ticket goes first, in the same segment as these bytes. */
		s->ticket_held = false;
		attls_ticket_release(s->ssl);
	}
	while (len) {
		const char *src;
		size_t n, left = iov[*iv].iov_len - *off;

		if (left == 0) {
			(*iv)++;
			*off = 0;
			continue;
		}
		if (left >= len || left >= WRITE_CHUNK || *iv == iovcnt - 1) {
			/* Straight from the program's buffer. */
			n = left < len ? left : len;
			if (n > WRITE_CHUNK)
				n = WRITE_CHUNK;
			src = (const char *)iov[*iv].iov_base + *off;
			*off += n;
		} else {
			/* Small pieces: gathered so that they go out as one record. */
			unsigned char *stage = thread_stage();

			if (!stage) {
				errno = ENOMEM;
				return -1;
			}
			n = 0;
			while (n < WRITE_CHUNK && n < len && *iv < iovcnt) {
				size_t take = iov[*iv].iov_len - *off;

				if (take > WRITE_CHUNK - n)
					take = WRITE_CHUNK - n;
				if (take > len - n)
					take = len - n;
				memcpy(stage + n, (const char *)iov[*iv].iov_base + *off, take);
				n += take;
				*off += take;
				if (*off == iov[*iv].iov_len) {
					(*iv)++;
					*off = 0;
				}
			}
			src = (const char *)stage;
		}
		trace_data(s, "out", src, n);
		int w = wolfSSL_write(s->ssl, src, (int)n);
		if (w != (int)n) {
			char why[256];

			attls_trace(s->trace, ATTLS_MSG_CONN_ERROR, s->who, "write: %s",
				    ssl_reason(s, w, why, sizeof(why)));
			fail(s, ECONNRESET);
			errno = ECONNRESET;
			return -1;
		}
		s->bytes_out += n;
		len -= n;
	}
	return 0;
}

/*
 * What a write may take now, with the lock held: the handshake done (or
 * waited for), the queue flushed unless corked. SSIZE_MAX on a blocking
 * socket; -1 with errno (EAGAIN when the queue is full).
 */
static ssize_t write_start(struct attls_session *s, int flags)
{
	bool nb = s->nonblock || (flags & MSG_DONTWAIT);
	bool corked = s->corked || (flags & MSG_MORE);

	if (s->ended || s->exported) {
		errno = EBADF;
		return -1;
	}
	if (!take(s, true)) {
		errno = EPIPE;
		return -1;
	}
	if (s->state == ATTLS_ST_FAILED) {
		errno = s->error == ETIMEDOUT || s->error == EACCES ? ECONNRESET : s->error;
		return -1;
	}
	if (s->wr_shut) {
		errno = EPIPE;
		return -1;
	}
	if (handshake(s, !nb) < 0) {
		s->again += errno == EAGAIN;
		return -1;
	}
	if (!nb)
		return SSIZE_MAX;
	/* Corked, queued records wait for the rest unless the queue is full. */
	if ((!corked || out_pending(s) >= OUT_LIMIT) && flush(s, false) < 0)
		return -1;
	if (out_pending(s) >= OUT_LIMIT) {
		errno = EAGAIN;
		s->again++;
		return -1;
	}
	return (ssize_t)(OUT_LIMIT - out_pending(s));
}

ssize_t attls_session_sendv(struct attls_session *s, const struct iovec *iov, int iovcnt,
			    int flags)
{
	struct out_timeout t = { 0 };
	size_t total = 0, done = 0, off = 0;
	ssize_t ret = -1, room;
	int iv = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	pthread_mutex_lock(&s->lock);
	if ((room = write_start(s, flags)) < 0)
		goto out;
	s->wrote = true;
	if (room != SSIZE_MAX) {
		bool corked = s->corked || (flags & MSG_MORE);

		/* Accept what fits under the limit; it is sent, in order, later. */
		size_t take = total < (size_t)room ? total : (size_t)room;

		/* What follows joins these records in one send. */
		bool hold = corked && out_pending(s) + take < OUT_LIMIT;

		if (encrypt_from(s, iov, iovcnt, &iv, &off, take) < 0 || (!hold && flush(s, false) < 0))
			goto out;
		ret = (ssize_t)take;
		goto out;
	}
	/*
	 * Blocking. Records a past call left queued (it was interrupted, or
	 * timed out) are what the kernel's full buffer would be: they go
	 * first, and until they have, nothing is taken (EAGAIN at SO_SNDTIMEO,
	 * EINTR after a handler that would interrupt the real call).
	 */
	if (out_pending(s) && send_out(s, true, 0, &t) < 0)
		goto out;
	while (done < total) {
		size_t n = total - done < WRITE_CHUNK ? total - done : WRITE_CHUNK;

		if (encrypt_from(s, iov, iovcnt, &iv, &off, n) < 0)
			break;
		/* Encrypted is written: the records go out whatever comes next. */
		done += n;
		t.moved = true;
		/* Up to OUT_LIMIT queued between chunks; nothing when it returns. */
		if (send_out(s, true, done < total ? OUT_LIMIT - WRITE_CHUNK : 0, &t) < 0)
			break;
	}
	/* Bytes taken are reported, as the kernel does after a partial send. */
	if (done || total == 0)
		ret = (ssize_t)done;
out:;
	/*
	 * Records left queued, or an error (EAGAIN counts for an edge): what
	 * epoll must ask the kernel for has changed.
	 */
	bool changed = ret < 0 || out_pending(s) > 0;
	int fd = s->fd, err = errno;

	pthread_mutex_unlock(&s->lock);
	if (changed && notify_change) {
		notify_change(fd);
		errno = err;
	}
	if (ret > 0)
		attls_live_count(atomic_load_explicit(&s->live, memory_order_relaxed), 0,
				 (uint64_t)ret);
	return ret;
}

ssize_t attls_session_write_room(struct attls_session *s, int flags)
{
	ssize_t ret;

	pthread_mutex_lock(&s->lock);
	ret = write_start(s, flags);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* Sends close_notify once (and everything before it). */
static int send_close_notify(struct attls_session *s, bool wait)
{
	if (s->notified || s->state != ATTLS_ST_OPEN)
		return 0;
	s->notified = true;
	s->wr_shut = true;
	wolfSSL_shutdown(s->ssl);
	attls_trace(s->trace, ATTLS_MSG_FLOW_CALL, s->who, "close_notify sent");
	return flush(s, wait);
}

/*
 * shutdown(2) never fails for TLS's sake. During the handshake it is held
 * (the handshake still needs both directions) and done when the handshake
 * is: close_notify, then the kernel's side. Once open, close_notify is
 * queued behind what the program wrote and, on a blocking socket, waited
 * for as a write would (SO_SNDTIMEO); what is still queued after that (a
 * timeout, a signal, a non-blocking socket) goes with a later call, a wait
 * or the close, and the kernel's write side is shut behind it.
 */
int attls_session_shutdown(struct attls_session *s, int how)
{
	bool held = false, now = true;

	pthread_mutex_lock(&s->lock);
	if (s->exported) {
		pthread_mutex_unlock(&s->lock);
		errno = EBADF;
		return -1;
	}
	if (!take(s, true)) {
		/* Not even the kernel's: its socket is the owner's connection too. */
		pthread_mutex_unlock(&s->lock);
		errno = ENOTCONN;
		return -1;
	}
	if (s->state == ATTLS_ST_HANDSHAKE && (how == SHUT_RD || how == SHUT_WR || how == SHUT_RDWR)) {
		/* Writes say EPIPE from now on, as on the kernel's socket. */
		if (how != SHUT_RD)
			s->wr_shut = true;
		s->shut_held |= how == SHUT_RD ? SHUT_HELD_RD :
				 how == SHUT_WR ? SHUT_HELD_WR : SHUT_HELD_RD | SHUT_HELD_WR;
		held = true;
	} else if (how != SHUT_RD && s->state == ATTLS_ST_OPEN) {
		int saved = errno;

		s->wr_shut = true;
		if (!s->notified)
			send_close_notify(s, !s->nonblock);
		if (out_pending(s) && s->state == ATTLS_ST_OPEN) {
			/* Interrupted, timed out or non-blocking: the rest follows. */
			s->kshut_wr = true;
			now = false;
		}
		errno = saved;
	}
	pthread_mutex_unlock(&s->lock);
	if (held)
		return 0;
	if (!now) {
		int saved = errno;

		/* close_notify waits in the queue: epoll must ask for output. */
		if (notify_change)
			notify_change(s->fd);
		errno = saved;
		return how == SHUT_RDWR ? io.shutdown(s->fd, SHUT_RD) : 0;
	}
	return io.shutdown(s->fd, how);
}

void attls_session_cut(struct attls_session *s)
{
	pthread_mutex_lock(&s->lock);
	attls_live_state(s->live, ATTLS_LIVE_CLOSING);
	/*
	 * A copy from fork this process does not own (nobody claimed it, or
	 * another process did) may be behind the one the other process writes
	 * with: its close_notify would not decrypt. Then the socket is only
	 * shut, and not even that if another process owns it.
	 */
	if (!s->ended && s->state == ATTLS_ST_OPEN && !s->lost_to && !s->nchain) {
		uint64_t deadline = attls_now_ms() + LINGER_MS;

		send_close_notify(s, false);
		while (out_pending(s) && flush(s, false) == 1) {
			uint64_t now = attls_now_ms();
			struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

			if (now >= deadline || io.poll(&pfd, 1, (int)(deadline - now)) <= 0)
				break;
		}
		s->wr_shut = true;
		s->kshut_wr = false;
		s->shut_wr_sent = true;
	} else if (!s->ended && s->state == ATTLS_ST_HANDSHAKE) {
		/* No keys yet, so no close_notify: the handshake ends here. */
		fail(s, EPIPE);
	}
	/* Another process's connection since a fork: this copy only lets go. */
	if (!s->ended && !s->lost_to)
		io.shutdown(s->fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->lock);
}

const char *attls_session_who(struct attls_session *s)
{
	return s->who;
}

int attls_session_so_error(struct attls_session *s)
{
	int e = 0;

	pthread_mutex_lock(&s->lock);
	if (s->so_error_pending) {
		s->so_error_pending = false;
		e = s->error;
	}
	pthread_mutex_unlock(&s->lock);
	return e;
}

int attls_session_readable_bytes(struct attls_session *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->state == ATTLS_ST_OPEN ? attls_session_plain_pending(s) : 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void attls_session_set_fd(struct attls_session *s, int fd)
{
	pthread_mutex_lock(&s->lock);
	s->fd = fd;
	s->info.fd = fd; /* attls status names the fd the program still has */
	attls_live_rewrite(s->live, &s->info);
	pthread_mutex_unlock(&s->lock);
}

int attls_session_set_cork(struct attls_session *s, bool on)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	s->corked = on;
	if (!on && s->state == ATTLS_ST_OPEN && out_pending(s))
		r = flush(s, !s->nonblock) < 0 && errno != EAGAIN && errno != EINTR ? -1 : 0;
	bool left = out_pending(s) > 0;
	int fd = s->fd, err = errno;

	pthread_mutex_unlock(&s->lock);
	/* Records still queued: epoll must ask the kernel for output. */
	if (left && notify_change) {
		notify_change(fd);
		errno = err;
	}
	return r;
}

void attls_session_set_nonblock(struct attls_session *s, bool nonblock)
{
	pthread_mutex_lock(&s->lock);
	s->nonblock = nonblock;
	pthread_mutex_unlock(&s->lock);
}

enum attls_state attls_session_info(struct attls_session *s, struct attls_live_info *out)
{
	enum attls_state st;

	pthread_mutex_lock(&s->lock);
	*out = s->info;
	st = s->state;
	pthread_mutex_unlock(&s->lock);
	return st;
}

enum attls_state attls_session_state(struct attls_session *s)
{
	return s->state;
}

static short failed_events(short want)
{
	return (short)(POLLERR | POLLHUP | (want & (POLLIN | POLLOUT)));
}

/*
 * What the kernel must report for the handshake to go on: the end of a
 * connect, room for queued records, input; and room for the ClientHello
 * of a client that has not sent it: waiting for input first, as the
 * client of a server that speaks first does, it would wait for a server
 * that waits for the hello.
 */
static short handshake_events(const struct attls_session *s)
{
	short k = s->connecting ? POLLOUT : POLLIN;

	if (out_pending(s) || (s->role == ATTLS_ROLE_CLIENT && !s->hs_started))
		k |= POLLOUT;
	return k;
}

short attls_session_poll_prepare(struct attls_session *s, short want, short *kernel,
				 uint64_t *deadline_ms)
{
	short ready = 0, k = 0;

	pthread_mutex_lock(&s->lock);
	*deadline_ms = 0;
	/* The program waits: records held back by a cork go now. */
	if (!s->ended && !s->exported && s->state == ATTLS_ST_OPEN && out_pending(s))
		flush(s, false);
	if (s->ended || s->exported) {
		ready = POLLNVAL;
	} else if (s->state == ATTLS_ST_HANDSHAKE) {
		if (!s->deadline)
			s->deadline = attls_now_ms() + s->hs_timeout;
		if (check_deadline(s) == 0) {
			k = handshake_events(s);
			*deadline_ms = s->deadline;
		}
	} else if (s->state == ATTLS_ST_OPEN) {
		if ((want & POLLIN) &&
		    (s->peer_closed || attls_session_plain_pending(s) > 0))
			ready |= POLLIN;
		k = want & (POLLIN | POLLOUT | POLLPRI | POLLRDHUP);
		if (out_pending(s))
			k |= POLLOUT;
	}
	if (s->state == ATTLS_ST_FAILED)
		ready = failed_events(want);
	*kernel = k;
	pthread_mutex_unlock(&s->lock);
	return ready;
}

/* Whether a read would return at once; consumes records with no data. */
static bool input_ready(struct attls_session *s)
{
	char c, why[256];
	int n, err;

	if (s->peer_closed || attls_session_plain_pending(s) > 0)
		return true;
	s->io_eof = false;
	s->io_errno = 0;
	n = plain_read(s, &c, 1, true);
	if (n > 0)
		return true;
	err = wolfSSL_get_error(s->ssl, n);
	if (err == WOLFSSL_ERROR_WANT_READ)
		return false;
	const char *broken = NULL;

	if (err == WOLFSSL_ERROR_ZERO_RETURN) {
		peer_ended(s, true);
		return true;
	}
	if ((s->io_eof || err == SOCKET_PEER_CLOSED_E) && !(broken = abrupt_end(s))) {
		peer_ended(s, false);
		return true;
	}
	attls_trace(s->trace, ATTLS_MSG_CONN_ERROR, s->who, "read: %s",
		    broken ? broken : ssl_reason(s, n, why, sizeof(why)));
	fail(s, ECONNRESET);
	return true;
}

/*
 * Acts on what the kernel reported: finishes a connect, drives the
 * handshake, flushes, and decrypts the next record when the program wants
 * input. Returns whether the handshake completed here.
 */
static bool progress(struct attls_session *s, short want, short krev)
{
	bool opened = false;

	if (s->state == ATTLS_ST_HANDSHAKE) {
		if (!take(s, true))
			return false;
		if (s->connecting) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (!(krev & (POLLOUT | POLLERR | POLLHUP)))
				return false;
			s->connecting = false;
			io.getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err) {
				/* TCP itself failed: the program sees its error. */
				s->state = ATTLS_ST_FAILED;
				s->error = err;
				s->so_error_pending = true;
				return false;
			}
		}
		if ((krev & POLLOUT) && flush(s, false) < 0)
			return false;
		if (handshake_step(s) != 0)
			return false;
		opened = true;
	}
	if (s->state != ATTLS_ST_OPEN)
		return opened;
	if ((krev & POLLOUT) && out_pending(s) && flush(s, false) < 0)
		return opened;
	if ((want & POLLIN) && (krev & (POLLIN | POLLHUP | POLLERR) || opened) && take(s, true))
		input_ready(s);
	return opened;
}

short attls_session_poll_complete(struct attls_session *s, short want, short krev)
{
	short r = 0;
	bool opened;

	pthread_mutex_lock(&s->lock);
	if (s->ended || s->exported || (krev & POLLNVAL)) {
		r = POLLNVAL;
		goto out;
	}
	if (s->state == ATTLS_ST_HANDSHAKE && !krev)
		goto out;
	opened = progress(s, want, krev);
	if (s->state != ATTLS_ST_OPEN)
		goto out;
	if ((want & POLLOUT) && (krev & POLLOUT || opened) && out_pending(s) < OUT_LIMIT)
		r |= POLLOUT;
	if ((want & POLLIN) && (krev & (POLLIN | POLLHUP | POLLERR) || opened) &&
	    (s->peer_closed || attls_session_plain_pending(s) > 0))
		r |= POLLIN;
	r |= krev & (POLLHUP | POLLERR | (want & (POLLPRI | POLLRDHUP)));
out:
	if (s->state == ATTLS_ST_FAILED)
		r = failed_events(want);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void attls_session_readiness(struct attls_session *s, short want, short krev,
			     struct attls_readiness *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&s->lock);
	if (s->ended || s->exported) {
		r->level = POLLHUP | POLLERR;
		goto out;
	}
	if (krev & (POLLHUP | POLLERR))
		s->khup = true;
	if (krev) {
		bool had = s->state == ATTLS_ST_OPEN &&
			   (s->peer_closed || attls_session_plain_pending(s) > 0);

		progress(s, want, krev);
		if (had && (krev & POLLIN))
			s->in_parked = true;
		/* Back to waiting: an idle connection keeps no output buffer. */
		release_out(s);
	}
	/* The program waits: records held back by a cork go now. */
	if (!krev && s->state == ATTLS_ST_OPEN && out_pending(s))
		flush(s, false);
	if (s->state == ATTLS_ST_HANDSHAKE) {
		if (!s->deadline)
			s->deadline = attls_now_ms() + s->hs_timeout;
		if (check_deadline(s) == 0) {
			r->kernel = handshake_events(s);
			r->deadline = s->deadline;
		}
	}
	if (s->state == ATTLS_ST_OPEN) {
		/* Whether a read returns at once: then the kernel is not asked. */
		bool readable = s->peer_closed || s->khup ||
				attls_session_plain_pending(s) > 0;

		/*
		 * Input stays asked for while plaintext waits (a request and its
		 * answer then cost no epoll_ctl), unless more arrived meanwhile:
		 * level-triggered, the kernel would report it again and again.
		 */
		if (!readable)
			s->in_parked = false;
		if (want & POLLIN) {
			if (readable)
				r->level |= POLLIN;
			if (!readable || (!s->in_parked && !s->peer_closed && !s->khup))
				r->kernel |= POLLIN;
		}
		if ((want & POLLOUT) && out_pending(s) < OUT_LIMIT)
			r->level |= POLLOUT;
		if (out_pending(s) && !s->khup)
			r->kernel |= POLLOUT;
		if (s->peer_closed)
			r->level |= POLLRDHUP & want;
		if (s->khup)
			r->level |= POLLHUP;
		r->kernel |= want & POLLPRI;
	}
	if (s->state == ATTLS_ST_FAILED) {
		r->level = failed_events(want);
		r->kernel = 0;
	}
out:
	r->again = s->again;
	pthread_mutex_unlock(&s->lock);
}

/* Drops the peer's data: 0 at its end or on an error, 1 if more may come. */
static int drain_now(struct attls_session *s, size_t *dropped)
{
	char scratch[4096];

	while (!s->peer_closed && s->state == ATTLS_ST_OPEN) {
		int n, err;

		s->io_eof = false;
		n = plain_read(s, scratch, sizeof(scratch), false);
		if (n > 0) {
			*dropped += (size_t)n;
			continue;
		}
		err = wolfSSL_get_error(s->ssl, n);
		if (err == WOLFSSL_ERROR_WANT_READ)
			return 1;
		break;
	}
	return 0;
}

/* Reads and drops what the peer still sends, up to its end or the deadline. */
static void drain(struct attls_session *s, uint64_t deadline)
{
	size_t dropped = 0;

	while (drain_now(s, &dropped)) {
		uint64_t now = attls_now_ms();
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

		if (now >= deadline || io.poll(&pfd, 1, (int)(deadline - now)) <= 0)
			break;
	}
	if (dropped)
		attls_trace(s->trace, ATTLS_MSG_FLOW_CALL, s->who,
			    "close: dropped %zu bytes the program never read", dropped);
}

short attls_session_linger_step(struct attls_session *s)
{
	size_t dropped = 0;
	short ev = 0;

	pthread_mutex_lock(&s->lock);
	if (s->state != ATTLS_ST_OPEN)
		goto out;
	if (out_pending(s)) {
		int r = flush(s, false);

		if (r != 0) {
			ev = r > 0 ? POLLOUT : 0;
			goto out;
		}
	}
	if (!s->notified && send_close_notify(s, false) != 0) {
		ev = out_pending(s) ? POLLOUT : 0;
		goto out;
	}
	if (!s->shut_wr_sent) {
		s->shut_wr_sent = true;
		io.shutdown(s->fd, SHUT_WR);
	}
	if (drain_now(s, &dropped))
		ev = POLLIN;
	if (dropped)
		attls_trace(s->trace, ATTLS_MSG_FLOW_CALL, s->who,
			    "close: dropped %zu bytes the program never read", dropped);
out:
	pthread_mutex_unlock(&s->lock);
	return ev;
}

int attls_session_linger_fd(struct attls_session *s)
{
	return s->fd;
}

uint64_t attls_session_linger_deadline(struct attls_session *s)
{
	return s->linger_deadline;
}

static void closed(struct attls_session *s)
{
	/* TLS 1.3 tickets come after the handshake: the latest is kept. */
	if (s->state == ATTLS_ST_OPEN)
		attls_resume_keep(s->ssl, s->resume_key, &s->ticket_fresh);
	if (out_pending(s))
		attls_trace(s->trace, ATTLS_MSG_CONN_LOST, s->who,
			    "%zu bytes not sent: the peer did not read within %d ms",
			    out_pending(s), LINGER_MS);
	attls_trace(s->trace, ATTLS_MSG_CONN_CLOSED, s->who, "bytes_in=%llu bytes_out=%llu",
		    (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out);
}

void attls_session_linger_finish(struct attls_session *s)
{
	bool free_now;

	pthread_mutex_lock(&s->lock);
	closed(s);
	wolfSSL_free(s->ssl);
	s->ssl = NULL;
	io.close(s->fd);
	s->lingering = false;
	free_now = s->free_requested;
	pthread_mutex_unlock(&s->lock);
	if (free_now)
		attls_session_free(s);
}

/*
 * A non-blocking socket's end is handed to the linger thread when it
 * cannot finish now: on a dup of the fd, so that the program's fd closes
 * at once and the kernel still keeps the connection. true if handed over.
 */
static bool linger_in_background(struct attls_session *s)
{
	int fd, err, own = s->fd;

	s->linger_deadline = attls_now_ms() + LINGER_MS;
	pthread_mutex_unlock(&s->lock);
	short ev = attls_session_linger_step(s);
	pthread_mutex_lock(&s->lock);
	if (!ev)
		return false;
	fd = io.dupfd(s->fd);
	if (fd < 0) {
		err = errno;
		goto sync;
	}
	s->fd = fd;
	s->lingering = true;
	s->ended = true;
	/* errno: the linger thread's eventfd or pthread_create. */
	if (attls_linger_adopt(s, ev) == 0)
		return true;
	err = errno;
	s->lingering = false;
	s->ended = false;
	/* The program's own number again: the dup goes, the close goes on. */
	s->fd = own;
	io.close(fd);
sync:
	/*
	 * Out of descriptors (EMFILE, ENFILE) or threads: said as it is, and
	 * the end is made inside the program's close, bounded by LINGER_MS.
	 */
	attls_trace(s->trace, ATTLS_MSG_NO_FD, s->who,
		    "close: the end of the connection cannot go to the background (%s): "
		    "it is made in the program's close, within %d ms", strerror(err), LINGER_MS);
	return false;
}

static bool close_owner(struct attls_session *s);

void attls_session_end(struct attls_session *s, bool owner)
{
	pthread_mutex_lock(&s->lock);
	if (s->ended) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	attls_live_state(s->live, ATTLS_LIVE_CLOSING);
	if (owner && !close_owner(s))
		owner = false; /* another process goes on, or may, with it */
	if (s->exported)
		owner = false; /* another process goes on with it */
	if (owner && s->state == ATTLS_ST_OPEN && s->nonblock && linger_in_background(s)) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (owner && s->state == ATTLS_ST_OPEN) {
		uint64_t deadline = attls_now_ms() + LINGER_MS;
		int saved = s->nonblock;

		/* Bounded: the fd goes away, whatever the peer does. */
		s->nonblock = false;
		while (out_pending(s) && flush(s, false) == 1) {
			uint64_t now = attls_now_ms();
			struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

			if (now >= deadline || io.poll(&pfd, 1, (int)(deadline - now)) <= 0)
				break;
		}
		if (!out_pending(s) && send_close_notify(s, false) == 0) {
			io.shutdown(s->fd, SHUT_WR);
			drain(s, deadline);
		}
		s->nonblock = saved;
	}
	if (owner)
		closed(s);
	s->ended = true;
	wolfSSL_free(s->ssl);
	s->ssl = NULL;
	pthread_mutex_unlock(&s->lock);
}

void attls_session_free(struct attls_session *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->lingering) {
		/* The linger thread frees it when it is done. */
		s->free_requested = true;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	pthread_mutex_unlock(&s->lock);
	attls_live_release(s->live);
	if (s->ssl)
		wolfSSL_free(s->ssl);
	pthread_mutex_destroy(&s->lock);
	free(s->out);
	if (s->plain)
		explicit_bzero(s->plain, s->plain_len);
	if (s->raw)
		explicit_bzero(s->raw, s->raw_len);
	free(s->plain);
	free(s->raw);
	free(s->who);
	free(s->resume_key);
	free(s->server_name);
	attls_hello_free(&s->hello);
	while (s->nchain)
		chain_drop(s, s->nchain - 1);
	/* After wolfSSL_free: the contexts it used are the policy's. */
	attls_policy_drop(s->policy);
	free(s);
}

/*
 * fork (shim/fork.c): prepare takes the lock in the order of shim/locks.h
 * and gives the copy its claim word for this fork; the release marks each
 * process's copy and lets go.
 *
 * Who owns a connection after fork: exactly one process, written down in
 * the fork's claim word (claim.h), shared by the parent and the child:
 * - output queued at fork time belongs to the parent: prepare writes its
 *   pid in the word (its close flushes it, sends close_notify and drains);
 *   the child's copy starts with none;
 * - otherwise the word is 0, and the first process to use its copy (a
 *   read, a write, a wait, a shutdown, the export of an exec or of
 *   SCM_RIGHTS: take) writes its pid there by compare-and-swap; a call in
 *   progress in another thread at fork time that goes on in the parent is
 *   a use (wait_fd);
 * - the copy of every other process is dead from then on, for good: its
 *   wolfSSL state is behind the owner's (sequence numbers, nonces), so it
 *   never takes over, even when the owner exits. Its calls fail as on the
 *   unconnected socket a child of _Fork gets (a write EPIPE, a read
 *   ENOTCONN), ATTLS047E names the owner once, and its close only lets go;
 * - an exec hands the session over unclaimed, with its open words (their
 *   memfds go with it, handoff.c and shim/exec.c): the new image, whose
 *   pid is the same, claims them at its first use, and one that never
 *   uses it (a shell's `sleep`) leaves it to the other process; a
 *   handshake under way is finished by the export, which claims first;
 *   SCM_RIGHTS gives the receiver a session of its own, claimed by the
 *   sender's export;
 * - a fork of a copy whose earlier contest is still open keeps that word
 *   and adds the new one: to own it, a process wins every word, oldest
 *   first; words this process won are settled and dropped at the next fork,
 *   which then is a contest between the owner and its new child only;
 * - a parent that closes a copy it did not use owns it (claims it) if
 *   every child that shares a word with it can no longer hold a copy: it
 *   has exited, or exec'd without handing a session over, which the fork's
 *   pipe tells (its write end lives, close-on-exec, in the child and its
 *   children only; an exec that hands sessions over hands the write end
 *   over too, shim/exec.c). A child that claimed first (an exec that took
 *   the session along) keeps it even when the pipe says gone (a program
 *   may close the pipe's end with close_range). So system(), popen() and
 *   fork + exec of a program that takes no session lose nothing, and a
 *   forking server's parent, closing the connection its living child (or
 *   the program the child exec'd) serves, only lets go of its copy;
 * - a child's copy it did not use is only let go;
 * - without a word (no memory, or more than ATTLS_CLAIM_CHAIN forks of
 *   a copy nobody used) the parent keeps it and the child's copy is dead.
 */
struct attls_fork_gen {
	int fd; /* the read end of the fork's pipe, in the parent */
	atomic_int refs;
};

struct attls_fork_gen *attls_fork_gen_new(int fd)
{
	struct attls_fork_gen *g = malloc(sizeof(*g));

	if (g) {
		g->fd = fd;
		atomic_init(&g->refs, 1);
	}
	return g;
}

void attls_fork_gen_put(struct attls_fork_gen *g)
{
	if (g && atomic_fetch_sub(&g->refs, 1) == 1) {
		io.close(g->fd);
		free(g);
	}
}

/* Whether every process made by that fork has exec'd or exited. */
static bool fork_gen_gone(struct attls_fork_gen *g)
{
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };

	return io.poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR));
}

static void chain_drop(struct attls_session *s, int i)
{
	attls_fork_gen_put(s->chain[i].gen);
	attls_claims_put(s->chain[i].blk);
	memmove(&s->chain[i], &s->chain[i + 1], (size_t)(s->nchain - i - 1) * sizeof(s->chain[0]));
	s->nchain--;
}

/*
 * A copy from fork that this process (the child) has just claimed: listed
 * in its own table from now on, its counters going on from the parent's.
 */
static void relist(struct attls_session *s)
{
	struct attls_live_slot *sl;
	enum attls_live_state st = s->state == ATTLS_ST_HANDSHAKE ? ATTLS_LIVE_HANDSHAKE :
				   s->state == ATTLS_ST_OPEN ? ATTLS_LIVE_SECURE :
				   ATTLS_LIVE_CLOSING;

	if (atomic_load_explicit(&s->live, memory_order_relaxed) || s->ended || s->exported)
		return;
	sl = attls_live_claim(&s->info, st);
	attls_live_carry(sl, s->carry_in, s->carry_out, s->carry_last);
	atomic_store_explicit(&s->live, sl, memory_order_relaxed);
}

static bool take(struct attls_session *s, bool say)
{
	if (!s->lost_to && s->nchain) {
		pid_t me = getpid();

		while (s->nchain) {
			pid_t other = attls_claim(s->chain[0].word, me);

			if (other) {
				s->lost_to = other;
				break;
			}
			chain_drop(s, 0);
		}
		if (!s->lost_to)
			relist(s);
	}
	if (!s->lost_to)
		return true;
	attls_live_state(atomic_load_explicit(&s->live, memory_order_relaxed), ATTLS_LIVE_LOST);
	/* Dead, without fail(): its shutdown would end the owner's connection. */
	s->state = ATTLS_ST_FAILED;
	s->error = EPIPE;
	s->out_off = s->out_len = 0;
	if (say && !s->lost_said) {
		s->lost_said = true;
		attls_trace(s->trace, ATTLS_MSG_FORK_NOT_OWNER, s->who,
			    "fd %d: process %d owns the connection since a fork; this copy's calls "
			    "fail (a write EPIPE, a read ENOTCONN) and its close lets go",
			    s->fd, (int)s->lost_to);
	}
	return false;
}

bool attls_session_take_locked(struct attls_session *s, pid_t *owner)
{
	bool r = take(s, false);

	*owner = s->lost_to;
	return r;
}

bool attls_session_peek_locked(struct attls_session *s, pid_t *owner)
{
	pid_t me = getpid();

	for (int i = 0; i < s->nchain && !s->lost_to; i++) {
		int v = atomic_load(s->chain[i].word);

		if (v && v != (int)me)
			s->lost_to = v;
	}
	*owner = s->lost_to;
	return !s->lost_to;
}

/* At close: it owns it, or nobody claimed and every other holder is gone. */
static bool close_owner(struct attls_session *s)
{
	if (s->lost_to)
		return false;
	for (int i = 0; i < s->nchain; i++)
		if (!s->chain[i].gen || !fork_gen_gone(s->chain[i].gen))
			return false;
	return take(s, false);
}

void attls_session_fork_lock(struct attls_session *s)
{
	pthread_mutex_lock(&s->lock);
}

void attls_session_fork_prepare(struct attls_session *s, struct attls_claims *blk)
{
	pid_t me = getpid();
	atomic_int *w;

	s->fresh_link = s->no_link = false;
	if (s->ended || s->lost_to)
		return; /* a dead copy: dead in the child too */
	for (int i = 0; i < s->nchain;) {
		int v = atomic_load(s->chain[i].word);

		/*
		 * Won, or nobody's and every other holder gone (its children
		 * exited or exec'd without it): settled for this process, so
		 * a parent that forks again and again (system()) without using
		 * its copy does not pile up contests.
		 */
		if (v == (int)me || (!v && s->chain[i].gen && fork_gen_gone(s->chain[i].gen) &&
				     !attls_claim(s->chain[i].word, me))) {
			chain_drop(s, i);
		} else if (v) {
			s->lost_to = v; /* said at its next use */
			return;
		} else {
			i++;
		}
	}
	if (s->nchain == ATTLS_CLAIM_CHAIN || !(w = attls_claims_take(blk))) {
		s->no_link = true;
		return;
	}
	atomic_store(w, out_pending(s) > 0 ? (int)me : 0);
	s->chain[s->nchain++] = (struct attls_claim_link){ .blk = blk, .word = w };
	s->fresh_link = true;
}

void attls_session_fork_release(struct attls_session *s, bool child, struct attls_fork_gen *gen)
{
	if (child) {
		struct attls_live_slot *sl = atomic_load_explicit(&s->live, memory_order_relaxed);

		/* The parent's slot, still mapped here: its counters so far, then forgotten. */
		if (sl) {
			s->carry_in = atomic_load_explicit(&sl->bytes_in, memory_order_relaxed);
			s->carry_out = atomic_load_explicit(&sl->bytes_out, memory_order_relaxed);
			s->carry_last = atomic_load_explicit(&sl->last_ms, memory_order_relaxed);
		}
		atomic_store_explicit(&s->live, NULL, memory_order_relaxed);
		/* The parent's records: its word names it, the child's copy is dead. */
		s->out_off = 0;
		s->out_len = 0;
		if (s->no_link && !s->lost_to)
			s->lost_to = getppid();
		for (int i = 0; i < s->nchain; i++) {
			/* The parent's pipes: the child cannot tell when they are gone. */
			attls_fork_gen_put(s->chain[i].gen);
			s->chain[i].gen = NULL;
		}
	} else if (s->fresh_link && gen) {
		s->chain[s->nchain - 1].gen = gen;
		atomic_fetch_add(&gen->refs, 1);
	}
	s->fresh_link = s->no_link = false;
	pthread_mutex_unlock(&s->lock);
}

bool attls_session_owned(struct attls_session *s)
{
	return !s->lost_to && !s->nchain;
}
