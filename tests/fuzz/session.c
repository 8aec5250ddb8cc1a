/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS input path: a session (lib/session.c) made as the engine makes
 * one, with the contexts the policy loader and tlsctx build, over one end
 * of a socketpair. A real wolfSSL peer in this process, on the other end,
 * drives the handshake up to a stage the input chooses; then the input's
 * bytes go to the session as the peer's, and the session is driven on
 * through the calls the shim makes (recv, poll, epoll readiness, close).
 *
 * The input: three bytes of choices, then the payload.
 *   byte 0, bit 0:   the session is the client (else the server)
 *           bit 1:   the peer speaks TLS 1.2 at most (else 1.3)
 *           bit 2:   the server asks for the client's certificate
 *           bits 3-4: how the payload goes in:
 *                    0 raw bytes, in place of the peer's next records
 *                    1 the body of a clear record of type byte 2
 *                    2 the body of a record of type byte 2 sealed with the
 *                      peer's keys, in place of its next message (with
 *                      that message's sequence number), as the peer
 *                      would send it; the peer then goes on
 *                    3 the peer's next record, changed: payload bytes 0-1
 *                      are an offset into it, the rest is XORed in there
 *           bits 5-6: how the session is driven: the program's recv,
 *                    poll, epoll readiness, or peek and FIONREAD
 *           bit 7:   a full handshake first, so that this one resumes
 *   byte 1: the stage: how many of the peer's records go first, as sent
 *           (the peer sends one message per step, so a stage may fall
 *           inside a flight)
 *   byte 2: the record type for modes 1 and 2
 *
 * Two rules are checked on every run: the program's bytes never reach
 * the wire in clear, and the program reads only what the peer sent
 * through TLS (what it sealed itself, in mode 2; else "from the peer").
 * The full handshake before a resumed one must complete.
 *
 * What is random in the handshake (wolfSSL's RNG, the peer's key shares)
 * makes a run differ from the last a little: a record changed in place
 * lands on other bytes of a key share, never on other structure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../lib/cryptodev.h"
#include "../../lib/policy.h"
#include "../../lib/resume_client.h"
#include "../../lib/session.h"
#include "../../lib/sysio.h"
#include "../../lib/tickets.h"
#include "../../lib/tlsctx.h"
#include "../../lib/trace.h"
#include "../../lib/wolf.h"
#include <wolfssl/internal.h>

#include "fuzz.h"

/* The PKI tests/fuzz/make-pki made, beside this program (build/fuzz/pki). */
static char pki[PATH_MAX];
static struct attls_policy *policy;
/* The session's contexts: server (no client certificate, or required), client. */
static void *ctx_srv, *ctx_srv_auth, *ctx_cli;
/* The peer's: a client with a certificate, a server. */
static WOLFSSL_CTX *peer_cli, *peer_srv;
/* syslog's lines land here, and are checked: one line of printable ASCII each. */
static int log_sink = -1;
static struct sockaddr_un log_addr;
static socklen_t log_addr_len;
/* ATTLS_FUZZ_VERBOSE=1: each connection says how far it went, and what it logged. */
static bool verbose;

#define RESUME_KEY "fuzz|fuzz.server|peer"
#define FROM_PEER "from the peer\n"
#define FROM_PROGRAM "from the program\n"

/*
 * The trace's connect to /dev/log goes to the sink instead, without
 * blocking: a full sink drops lines (the run drains it between steps).
 */
static int sink_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	/* Only /dev/log: journald's socket, tried first, is left absent. */
	if (sa->sa_family == AF_UNIX &&
	    !strcmp(((const struct sockaddr_un *)sa)->sun_path, "/dev/log")) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		return connect(fd, (const struct sockaddr *)&log_addr, log_addr_len);
	}
	return connect(fd, sa, len);
}

/*
 * wolfSSL is not instrumented: what it decided reaches libFuzzer through
 * counters of its own (libFuzzer's extra counters), one per distinct
 * outcome: each message's id with the wolfSSL error it names, and how far
 * each connection went. So an input that makes wolfSSL fail elsewhere is
 * kept, though attls's own code ran the same.
 */
#define OUTCOMES 8192
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t outcomes[OUTCOMES];

static void outcome(const void *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ ((const uint8_t *)key)[i]) * 16777619u;
	if (outcomes[h % OUTCOMES] < 255)
		outcomes[h % OUTCOMES]++;
}

/* "<PRI>date attls[pid]: ATTLS022E handshake failed ...: reason (-313)" */
static void log_outcome(const char *line, size_t n)
{
	const char *id = memmem(line, n, "]: ATTLS", 8), *code = NULL;
	char key[24];

	if (!id)
		return;
	id += 3;
	for (const char *c = line; c + 2 < line + n; c++)
		if (c[0] == '(' && c[1] == '-' && c[2] >= '0' && c[2] <= '9')
			code = c;
	snprintf(key, sizeof(key), "%.9s%.6s", id, code ? code : "");
	outcome(key, strlen(key));
}

static void drain_log(void)
{
	char line[2048];
	ssize_t n;

	while ((n = recv(log_sink, line, sizeof(line) - 1, MSG_DONTWAIT)) > 0) {
		line[n] = '\0'; /* for log_outcome's %.Ns */
		for (ssize_t i = 0; i < n; i++)
			FUZZ_ASSERT(line[i] >= 0x20 && line[i] <= 0x7e);
		log_outcome(line, (size_t)n);
		if (verbose)
			fprintf(stderr, "  %.*s\n", (int)n, line);
	}
}

static void sink_make(void)
{
	static const struct attls_io io = { .connect = sink_connect };

	log_sink = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&log_addr, 0, sizeof(log_addr));
	log_addr.sun_family = AF_UNIX;
	/* An abstract name: nothing on disk to remove. */
	int n = snprintf(log_addr.sun_path + 1, sizeof(log_addr.sun_path) - 1,
			 "attls-fuzz-log-%d", (int)getpid());
	log_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if (log_sink < 0 || bind(log_sink, (struct sockaddr *)&log_addr, log_addr_len) < 0) {
		perror("log sink");
		exit(2);
	}
	attls_session_set_io(&io);
}

static void find_pki(void)
{
	char exe[PATH_MAX], ok[PATH_MAX + 8];
	const char *env = getenv("ATTLS_FUZZ_PKI");
	ssize_t n;

	if (env) {
		snprintf(pki, sizeof(pki), "%s", env);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0) {
			perror("/proc/self/exe");
			exit(2);
		}
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(pki, sizeof(pki), "%s/pki", exe);
	}
	snprintf(ok, sizeof(ok), "%s/ok", pki);
	if (access(ok, F_OK) < 0) {
		fprintf(stderr, "%s: no PKI (make build/fuzz/pki/ok, or set ATTLS_FUZZ_PKI)\n",
			pki);
		exit(2);
	}
}

/* The session's side, from a policy, as the engine builds it. */
static void load_policy(void)
{
	char path[] = "/tmp/attls-fuzz-session.XXXXXX";
	struct attls_errors errs = { 0 };
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		perror(path);
		exit(2);
	}
	fprintf(f,
		"[global]\ntrace = error, info, event, flow, data\n"
		"[keyring Srv]\ncert = %1$s/server.pem\nkey = %1$s/server.key\nca = %1$s/ca.pem\n"
		"[keyring Cli]\ncert = %1$s/client.pem\nkey = %1$s/client.key\nca = %1$s/ca.pem\n"
		"[security Auth]\nclient_auth = required\n"
		"[traffic In]\ndirection = inbound\nlocal_port = 1\nkeyring = Srv\n"
		"[traffic InAuth]\ndirection = inbound\nlocal_port = 2\nkeyring = Srv\n"
		"security = Auth\n"
		"[traffic Out]\ndirection = outbound\nkeyring = Cli\nserver_name = fuzz.server\n",
		pki);
	fclose(f);
	policy = attls_policy_load(path, &errs);
	unlink(path);
	if (policy) {
		attls_cryptodev_setup(ATTLS_DEVICE_SOFTWARE, 0, path, 0);
		if (attls_tlsctx_build(policy, &errs) < 0 ||
		    attls_tickets_setup(policy, &errs) < 0) {
			attls_policy_free(policy);
			policy = NULL;
		}
	}
	if (!policy) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		exit(2);
	}
	ctx_srv = attls_tlsctx_get(&policy->traffic[0], ATTLS_ROLE_SERVER);
	ctx_srv_auth = attls_tlsctx_get(&policy->traffic[1], ATTLS_ROLE_SERVER);
	ctx_cli = attls_tlsctx_get(&policy->traffic[2], ATTLS_ROLE_CLIENT);
	if (!ctx_srv || !ctx_srv_auth || !ctx_cli) {
		fprintf(stderr, "no context built\n");
		exit(2);
	}
}

static WOLFSSL_CTX *peer_ctx(bool server)
{
	char cert[PATH_MAX + 16], key[PATH_MAX + 16], ca[PATH_MAX + 16];
	WOLFSSL_CTX *c = wolfSSL_CTX_new(server ? wolfSSLv23_server_method() :
						  wolfSSLv23_client_method());

	snprintf(cert, sizeof(cert), "%s/%s.pem", pki, server ? "server" : "client");
	snprintf(key, sizeof(key), "%s/%s.key", pki, server ? "server" : "client");
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	if (!c || wolfSSL_CTX_use_certificate_chain_file(c, cert) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_use_PrivateKey_file(c, key, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_load_verify_locations(c, ca, NULL) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "peer context: %s\n", cert);
		exit(2);
	}
	/* Both ends verify: a session that sends a bad certificate fails at the peer. */
	wolfSSL_CTX_set_verify(c, WOLFSSL_VERIFY_PEER, NULL);
	if (!server)
		wolfSSL_CTX_UseSessionTicket(c);
	return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[128];

	(void)argc;
	(void)argv;
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		exit(2);
	}
	verbose = getenv("ATTLS_FUZZ_VERBOSE");
	find_pki();
	sink_make();
	load_policy();
	peer_srv = peer_ctx(true);
	peer_cli = peer_ctx(false);
	return 0;
}

/* The peer: a WOLFSSL whose records are held here until the stage says. */
struct peer {
	WOLFSSL *ssl;
	int fd;
	bool server, done, failed;
	bool sent;     /* it sent in this step */
	bool app_sent; /* FROM_PEER is written */
	bool unthrottled; /* at the end: it may send all it has */
	unsigned char *out;
	size_t out_len, out_cap;
	size_t got;       /* bytes it read from the session */
	unsigned records; /* records sent on to the session */
	char tail[sizeof(FROM_PROGRAM)]; /* the last bytes read, for a match across reads */
};

/* The program's bytes in clear on the wire would be a leak. */
static void wire_check(struct peer *p, const char *buf, size_t n)
{
	size_t keep = sizeof(p->tail) - 1, t = strlen(p->tail);
	char *w = malloc(t + n);

	if (!w)
		abort();
	memcpy(w, p->tail, t);
	memcpy(w + t, buf, n);
	FUZZ_ASSERT(!memmem(w, t + n, FROM_PROGRAM, strlen(FROM_PROGRAM)));
	/* The tail never holds a NUL: the marker has none either. */
	t += n;
	n = t < keep ? t : keep;
	memcpy(p->tail, w + t - n, n);
	p->tail[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!p->tail[i])
			p->tail[i] = ' ';
	free(w);
}

static int peer_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct peer *p = ctx;
	ssize_t n = recv(p->fd, buf, (size_t)sz, MSG_DONTWAIT);

	(void)ssl;
	if (n > 0) {
		p->got += (size_t)n;
		wire_check(p, buf, (size_t)n);
		return (int)n;
	}
	if (n == 0)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	return errno == EAGAIN ? WOLFSSL_CBIO_ERR_WANT_READ : WOLFSSL_CBIO_ERR_GENERAL;
}

static void held_add(struct peer *p, const void *buf, size_t n)
{
	if (p->out_len + n > p->out_cap) {
		size_t cap = p->out_cap ? p->out_cap * 2 : 16384;

		while (cap < p->out_len + n)
			cap *= 2;
		p->out = realloc(p->out, cap);
		if (!p->out)
			abort();
		p->out_cap = cap;
	}
	memcpy(p->out + p->out_len, buf, n);
	p->out_len += n;
}

/*
 * One send per step, as a socket that is full now and then: wolfSSL then
 * stops after each message it builds, so that a stage can fall between
 * two messages of one flight, and a sealed record can take the place of
 * the next one (inject_sealed).
 */
static int peer_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct peer *p = ctx;

	(void)ssl;
	if (p->sent && !p->unthrottled)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	p->sent = true;
	held_add(p, buf, (size_t)sz);
	return sz;
}

/* The length of the first whole record held, 0 if none. */
static size_t held_record(const struct peer *p)
{
	size_t n;

	if (p->out_len < 5)
		return 0;
	n = 5 + ((size_t)p->out[3] << 8 | p->out[4]);
	return n <= p->out_len ? n : 0;
}

static void held_drop(struct peer *p, size_t n)
{
	memmove(p->out, p->out + n, p->out_len - n);
	p->out_len -= n;
}

static void to_session(struct peer *p, const void *buf, size_t n)
{
	/* The socketpair's buffer holds far more than a run sends. */
	(void)!send(p->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void forward_record(struct peer *p)
{
	size_t n = held_record(p);

	to_session(p, p->out, n);
	held_drop(p, n);
	p->records++;
}

/* What the session sent that the peer will not read: checked, dropped. */
static void wire_drain(struct peer *p)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		wire_check(p, buf, (size_t)n);
}

static void peer_step(struct peer *p)
{
	char buf[4096];
	int r;

	p->sent = false;
	if (p->failed) {
		wire_drain(p);
		return;
	}
	if (!p->done) {
		r = p->server ? wolfSSL_accept(p->ssl) : wolfSSL_connect(p->ssl);
		if (r == WOLFSSL_SUCCESS) {
			p->done = true;
		} else {
			r = wolfSSL_get_error(p->ssl, r);
			p->failed = r != WOLFSSL_ERROR_WANT_READ && r != WOLFSSL_ERROR_WANT_WRITE;
		}
		return;
	}
	/* Data from the peer, for the session's read path (again after "later"). */
	if (!p->app_sent) {
		r = wolfSSL_write(p->ssl, FROM_PEER, (int)strlen(FROM_PEER));
		p->app_sent = r > 0;
		if (r <= 0) {
			r = wolfSSL_get_error(p->ssl, r);
			p->failed = r != WOLFSSL_ERROR_WANT_READ && r != WOLFSSL_ERROR_WANT_WRITE;
			return;
		}
	}
	/* Tickets and data from the session. */
	while ((r = wolfSSL_read(p->ssl, buf, sizeof(buf))) > 0)
		;
	r = wolfSSL_get_error(p->ssl, r);
	p->failed = r != WOLFSSL_ERROR_WANT_READ && r != WOLFSSL_ERROR_WANT_WRITE;
}

/* The session, driven as the shim drives it for a program's calls. */
struct run {
	struct attls_session *s;
	int fd;
	unsigned drive;
	bool wrote;
	bool any_data; /* the peer may seal what it likes (mode 2) */
	size_t read;   /* bytes the program read */
};

static void session_read(struct run *r, int flags)
{
	char buf[4096];
	ssize_t n;

	for (int i = 0; i < 8; i++) {
		n = attls_session_recv(r->s, buf, sizeof(buf), flags | MSG_DONTWAIT);
		if (n <= 0)
			break;
		/* Only what the peer sent through TLS, in order. */
		FUZZ_ASSERT(r->any_data || (r->read + (size_t)n <= strlen(FROM_PEER) &&
					    !memcmp(buf, &FROM_PEER[r->read], (size_t)n)));
		if (!(flags & MSG_PEEK))
			r->read += (size_t)n;
	}
}

static short kernel_events(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, 0) == 1 ? pfd.revents : 0;
}

static void session_step(struct run *r)
{
	enum attls_state st = attls_session_state(r->s);

	if (st == ATTLS_ST_OPEN && !r->wrote) {
		/* The program's first write: a server's held ticket goes with it. */
		struct iovec iov = { .iov_base = FROM_PROGRAM, .iov_len = strlen(FROM_PROGRAM) };

		r->wrote = true;
		attls_session_sendv(r->s, &iov, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	switch (r->drive) {
	case 0:
		if (st == ATTLS_ST_HANDSHAKE)
			attls_session_handshake(r->s, false);
		else
			session_read(r, 0);
		break;
	case 1: {
		uint64_t deadline;
		short kernel = 0, ready;

		ready = attls_session_poll_prepare(r->s, POLLIN | POLLOUT, &kernel, &deadline);
		if (!ready && kernel)
			ready = attls_session_poll_complete(r->s, POLLIN | POLLOUT,
							    kernel_events(r->fd, kernel));
		if (ready & POLLIN)
			session_read(r, 0);
		break;
	}
	case 2: {
		struct attls_readiness rd;

		attls_session_readiness(r->s, POLLIN | POLLOUT, 0, &rd);
		if (rd.kernel)
			attls_session_readiness(r->s, POLLIN | POLLOUT,
						kernel_events(r->fd, rd.kernel), &rd);
		if (rd.level & POLLIN)
			session_read(r, 0);
		break;
	}
	default:
		if (st == ATTLS_ST_HANDSHAKE)
			attls_session_handshake(r->s, false);
		(void)attls_session_readable_bytes(r->s);
		session_read(r, MSG_PEEK);
		session_read(r, 0);
		(void)attls_session_so_error(r->s);
		break;
	}
}

/* What changes when anything moves: the loop stops once nothing does. */
static size_t moved(const struct run *r, const struct peer *p)
{
	return p->got + p->out_len + p->records + (size_t)p->done + (size_t)p->failed +
	       (size_t)attls_session_state(r->s) * 1000003;
}

enum mode { RAW, CLEAR_RECORD, SEALED_RECORD, CHANGED_RECORD };

struct choice {
	bool client, tls12, auth, resume;
	enum mode mode;
	unsigned drive, stage, type;
	const uint8_t *payload;
	size_t len;
};

/* The payload as a record of the peer's, with its current keys. */
static void inject_sealed(struct peer *p, const struct choice *c)
{
	WOLFSSL *ssl = p->ssl;
	size_t len = c->len > 16000 ? 16000 : c->len;
	int out_sz = (int)len + 512, n;
	byte *out = malloc((size_t)out_sz);

	if (!out)
		abort();
	bufferStatic *ob = &ssl->buffers.outputBuffer;
	word32 lo = ssl->keys.sequence_number_lo, hi = ssl->keys.sequence_number_hi;
	unsigned unsent = 0;

	/* What the peer sent goes first: the record follows it in sequence. */
	while (held_record(p))
		forward_record(p);
	/*
	 * The message wolfSSL built but could not send yet (peer_send) took a
	 * sequence number: the record takes its place, and its number.
	 */
	for (word32 i = 0; i + 5 <= ob->length;
	     i += 5 + ((word32)ob->buffer[ob->idx + i + 3] << 8 | ob->buffer[ob->idx + i + 4]))
		unsent++;
	if (unsent && lo >= unsent)
		ssl->keys.sequence_number_lo = lo - unsent;
	if (verbose)
		fprintf(stderr, "sealed: %u records sent, %u unsent, sequence %u, %s\n", p->records,
			unsent, ssl->keys.sequence_number_lo,
			IsEncryptionOn(ssl, 1) ? "encrypted" : "clear");
	if (ssl->options.tls1_3 && IsEncryptionOn(ssl, 1))
		n = BuildTls13Message(ssl, out, out_sz, c->payload, (int)len, (int)c->type, 0, 0,
				      0);
	else if (IsEncryptionOn(ssl, 1))
		n = BuildMessage(ssl, out, out_sz, c->payload, (int)len, (int)c->type, 0, 0, 0,
				 CUR_ORDER);
	else
		n = -1;
	ssl->keys.sequence_number_lo = lo;
	ssl->keys.sequence_number_hi = hi;
	/* The record replaces those messages: they never go. */
	ob->idx = ob->length = 0;
	if (n > 0) {
		to_session(p, out, (size_t)n);
	} else {
		/* Nothing to seal with yet: a clear record, as the peer would send. */
		unsigned char h[5] = { (unsigned char)c->type, 3, 3, (unsigned char)(len >> 8),
				       (unsigned char)len };

		to_session(p, h, 5);
		to_session(p, c->payload, len);
	}
	free(out);
}

static void inject(struct peer *p, const struct choice *c)
{
	size_t n;

	switch (c->mode) {
	case RAW:
		p->out_len = 0;
		to_session(p, c->payload, c->len);
		break;
	case CLEAR_RECORD: {
		unsigned char h[5] = { (unsigned char)c->type, 3, 3, (unsigned char)(c->len >> 8),
				       (unsigned char)c->len };

		p->out_len = 0;
		to_session(p, h, 5);
		to_session(p, c->payload, c->len);
		break;
	}
	case SEALED_RECORD:
		inject_sealed(p, c);
		break;
	case CHANGED_RECORD:
		n = held_record(p);
		if (!n || c->len < 2) {
			p->out_len = 0;
			to_session(p, c->payload, c->len);
			break;
		}
		for (size_t i = 2, at = ((size_t)c->payload[0] << 8 | c->payload[1]) % n;
		     i < c->len && at < n; i++, at++)
			p->out[at] ^= c->payload[i];
		forward_record(p);
		break;
	}
}

/* Session and peer take turns until the stage is reached or nothing moves. */
static void exchange(struct run *r, struct peer *p, unsigned stage, bool forward)
{
	for (int i = 0; i < 64; i++) {
		size_t before = moved(r, p);

		session_step(r);
		drain_log();
		peer_step(p);
		while (held_record(p) && p->records < stage) {
			if (forward)
				forward_record(p);
			else
				held_drop(p, held_record(p));
		}
		if (p->records >= stage && held_record(p))
			return;
		if (moved(r, p) == before)
			return;
	}
}

static struct attls_session *session_make(int fd, const struct choice *c)
{
	struct attls_session_params sp = {
		.ctx = c->client ? ctx_cli : c->auth ? ctx_srv_auth : ctx_srv,
		.fd = fd,
		.role = c->client ? ATTLS_ROLE_CLIENT : ATTLS_ROLE_SERVER,
		.server_name = c->client ? "fuzz.server" : NULL,
		.resume_key = c->client ? RESUME_KEY : NULL,
		.trace = policy->trace,
		.handshake_timeout_ms = policy->handshake_timeout_ms,
		.who = "conn=fuzz job=fuzz user=fuzz rule=fuzz",
	};

	return attls_session_new(&sp);
}

/*
 * One connection. With c NULL-payload and stage UINT_MAX: an honest one,
 * whose session a resuming peer takes (*keep).
 */
static void connection(const struct choice *c, WOLFSSL_SESSION **keep)
{
	struct peer p = { .server = c->client };
	struct run r = { .drive = c->drive, .any_data = c->payload && c->mode == SEALED_RECORD };
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		abort();
	}
	r.fd = sv[0];
	p.fd = sv[1];
	r.s = session_make(r.fd, c);
	p.ssl = wolfSSL_new(p.server ? peer_srv : peer_cli);
	if (!r.s || !p.ssl)
		abort();
	wolfSSL_SSLSetIORecv(p.ssl, peer_recv);
	wolfSSL_SSLSetIOSend(p.ssl, peer_send);
	wolfSSL_SetIOReadCtx(p.ssl, &p);
	wolfSSL_SetIOWriteCtx(p.ssl, &p);
	if (c->tls12)
		wolfSSL_set_max_proto_version(p.ssl, TLS1_2_VERSION);
	if (!p.server) {
		wolfSSL_UseSNI(p.ssl, WOLFSSL_SNI_HOST_NAME, "fuzz.server", 11);
		if (keep && *keep)
			wolfSSL_set_session(p.ssl, *keep);
	}
	if (c->payload) {
		exchange(&r, &p, c->stage, true);
		inject(&p, c);
		/* Records the peer sends next still make sense after a sealed or changed one. */
		exchange(&r, &p, UINT_MAX, c->mode >= SEALED_RECORD);
	} else {
		exchange(&r, &p, UINT_MAX, true);
		/* Nothing in the way: the handshake completes, however the session is driven. */
		FUZZ_ASSERT(p.done && attls_session_state(r.s) == ATTLS_ST_OPEN);
		if (keep && !p.server && p.done) {
			if (*keep)
				wolfSSL_SESSION_free(*keep);
			*keep = wolfSSL_get1_session(p.ssl);
		}
	}
	int end[] = { c->client, c->tls12, c->mode, (int)attls_session_state(r.s), p.done,
		      p.failed, p.ssl->error, p.ssl->options.serverState,
		      p.ssl->options.clientState };

	outcome(end, sizeof(end));
	if (verbose)
		fprintf(stderr, "%s %s: %u records from the peer, peer %s, session %s\n",
			c->payload ? "fuzzed" : "honest", c->client ? "client" : "server",
			p.records, p.done ? "done" : p.failed ? "failed" : "waiting",
			(const char *[]){ "handshake", "open", "failed" }[attls_session_state(r.s)]);
	/*
	 * The peer's end of data, then the program's close: close_notify and
	 * the drain, which ends at the peer's end of data without waiting.
	 */
	shutdown(p.fd, SHUT_WR);
	session_step(&r);
	attls_session_end(r.s, true);
	attls_session_free(r.s);
	close(r.fd);
	wire_drain(&p);
	close(p.fd);
	/*
	 * wolfSSL 5.5.4 leaks the buffer of a ServerKeyExchange whose send
	 * said "later" if the WOLFSSL is freed then: the peer finishes what
	 * it was writing first. (attls's own send callback never says later.)
	 */
	if (!p.done && !p.failed) {
		p.unthrottled = true;
		peer_step(&p);
	}
	wolfSSL_free(p.ssl);
	free(p.out);
	drain_log();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	WOLFSSL_SESSION *kept = NULL;
	struct choice c;

	if (size < 3)
		return 0;
	c = (struct choice){
		.client = data[0] & 1,
		.tls12 = data[0] & 2,
		.auth = data[0] & 4,
		.mode = (enum mode)(data[0] >> 3 & 3),
		.drive = data[0] >> 5 & 3,
		.resume = data[0] & 128,
		.stage = data[1],
		.type = data[2],
		.payload = data + 3,
		.len = size - 3,
	};
	if (c.resume) {
		struct choice honest = c;

		honest.payload = NULL;
		honest.mode = RAW;
		connection(&honest, &kept);
	}
	connection(&c, &kept);
	if (kept)
		wolfSSL_SESSION_free(kept);
	/* Each input starts from no kept session: what one leaves, the next does not see. */
	attls_resume_forget(RESUME_KEY);
	return 0;
}
