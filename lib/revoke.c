/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filetrust.h"
#include "keyring.h"
#include "peername.h"
#include "ocsp_http.h"
#include "revoke.h"
#include "session.h"
#include "staple.h"
#include "sysio.h"
#include "trace.h"

/* The CRL number (CRL_Entry), which the API does not give. */
#include <wolfssl/internal.h>

#define CRL_MAX (64u << 20)

/*
 * Why the last OCSP request made by this thread failed, for the reason of
 * the handshake it failed. Thread-local: the I/O callback runs inside the
 * handshake step of the thread that reads it next, under the session's
 * lock; a fork copies the calling thread's; no signal handler touches it.
 */
static _Thread_local char ocsp_why[256];

/*
 * Whether a CRL has expired: its nextUpdate, read without the checks (a
 * parse alone), has passed. when gets it, and *next (0: none read).
 */
static bool crl_expired(const unsigned char *buf, size_t len, bool pem, char *when,
			size_t whenlen, time_t *next)
{
	WOLFSSL_X509_CRL *crl = NULL;
	WOLFSSL_ASN1_TIME *t;
	bool expired = false;
	struct tm tm;

	if (pem) {
		WOLFSSL_BIO *b = wolfSSL_BIO_new_mem_buf(buf, (int)len);

		crl = b ? wolfSSL_PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
		wolfSSL_BIO_free(b);
	} else {
		crl = wolfSSL_d2i_X509_CRL(NULL, buf, (int)len);
	}
	if (crl && (t = wolfSSL_X509_CRL_get_nextUpdate(crl)) &&
	    wolfSSL_ASN1_TIME_to_tm(t, &tm) == WOLFSSL_SUCCESS) {
		strftime(when, whenlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
		*next = timegm(&tm);
		expired = *next <= time(NULL);
	}
	if (crl)
		wolfSSL_X509_CRL_free(crl);
	return expired;
}

static void note_expired(const struct attls_policy *p, struct attls_keyring *kr,
			 const char *name, const char *when, bool log)
{
	char *n;

	if (log && kr->crl_expired == ATTLS_CRL_EXPIRED_WARN)
		attls_trace(p->trace, ATTLS_MSG_CRL_EXPIRED, NULL,
			    "[keyring %s] crl: %s: its next update was %s: used anyway "
			    "(crl_expired = warn): certificates it lists are refused, the others "
			    "accepted", kr->name, name, when);
	else if (log)
		attls_trace(p->trace, ATTLS_MSG_CRL_EXPIRED, NULL,
			    "[keyring %s] crl: %s: its next update was %s: certificates it "
			    "covers are refused until a new CRL is in place", kr->name, name, when);
	if (kr->crl_note && strstr(kr->crl_note, name))
		return;
	if (asprintf(&n, "%s%s%s (next update %s)", kr->crl_note ? kr->crl_note : "",
		     kr->crl_note ? ", " : "", name, when) < 0)
		return;
	free(kr->crl_note);
	kr->crl_note = n;
}

/* One CRL's bytes into ctx: 0 loaded, 1 not a CRL (skipped in a directory), -1 error. */
static int load_one_crl(const struct attls_policy *p, struct attls_keyring *kr,
			WOLFSSL_CTX *ctx, const unsigned char *buf, size_t len, const char *name,
			bool log, struct attls_errors *errs)
{
	bool pem = strstr((const char *)buf, "-----BEGIN X509 CRL-----") != NULL;
	char why[256], when[64];
	time_t next = 0;
	int rc;

	if (!pem) {
		/* DER: a SEQUENCE that parses as a CRL. */
		WOLFSSL_X509_CRL *crl = len && buf[0] == 0x30 ?
			wolfSSL_d2i_X509_CRL(NULL, buf, (int)len) : NULL;

		if (!crl)
			return 1;
		wolfSSL_X509_CRL_free(crl);
	}
	rc = wolfSSL_CTX_LoadCRLBuffer(ctx, buf, (long)len,
				       pem ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1);
	if (rc == WOLFSSL_SUCCESS) {
		/*
		 * crl_expired = warn: loaded past its next update (verified),
		 * or current: the first to expire is said when it does.
		 */
		if (kr->crl_expired == ATTLS_CRL_EXPIRED_WARN &&
		    crl_expired(buf, len, pem, when, sizeof(when), &next))
			note_expired(p, kr, name, when, log);
		else if (kr->crl_expired == ATTLS_CRL_EXPIRED_WARN && next &&
			 (!kr->crl_warn_next || next < kr->crl_warn_next))
			kr->crl_warn_next = next;
		return 0;
	}
	/*
	 * wolfSSL refuses an expired CRL, with CRL_CERT_DATE_ERR or (its ASN
	 * template) a parse error: not loaded, its issuer then has no CRL,
	 * and each certificate it issued is refused (crl_expired = refuse).
	 * Under warn, the dates are not checked: a CRL refused is a bad one.
	 */
	if (kr->crl_expired == ATTLS_CRL_EXPIRED_REFUSE &&
	    crl_expired(buf, len, pem, when, sizeof(when), &next)) {
		note_expired(p, kr, name, when, log);
		return 0;
	}
	if (rc == ASN_CRL_NO_SIGNER_E)
		snprintf(why, sizeof(why), "its issuer is not among the CAs of ca");
	else if (rc == ASN_CRL_CONFIRM_E || rc == ASN_SIG_CONFIRM_E)
		snprintf(why, sizeof(why), "its signature does not verify with its issuer's key");
	else
		attls_wolf_strerror(rc, why, sizeof(why));
	attls_errors_add(errs, p->file, kr->crl_line, "crl: cannot load the CRL %s (%s)", name,
			 why);
	return -1;
}

#define PEM_CRL_BEGIN "-----BEGIN X509 CRL-----"
#define PEM_CRL_END "-----END X509 CRL-----"

/*
 * The CRLs of a crl file or directory, the newest of each issuer only:
 * wolfSSL checks a certificate against the last CRL of its issuer it was
 * given, whichever is newer, so an older one that comes later in a file,
 * or in a directory's order, would undo a revocation. Newest: the later
 * thisUpdate, then the higher CRL number.
 */
struct crl_pick {
	char issuer[512];
	time_t this_update;
	int number;
	unsigned char *buf;
	size_t len;
	char name[4352];
};

struct crl_set {
	struct crl_pick *v;
	size_t n;
};

static void crl_set_free(struct crl_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		explicit_bzero(set->v[i].buf, set->v[i].len);
		free(set->v[i].buf);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

/* One CRL's bytes into the set: 0 kept or older, 1 not a CRL, -1 out of memory. */
static int crl_collect(struct crl_set *set, const unsigned char *buf, size_t len,
		       const char *name)
{
	bool pem = len > 24 && !memcmp(buf, PEM_CRL_BEGIN, sizeof(PEM_CRL_BEGIN) - 1);
	WOLFSSL_X509_CRL *crl = NULL;
	struct crl_pick c = { 0 }, *slot = NULL;
	WOLFSSL_ASN1_TIME *t;
	struct tm tm;

	if (pem) {
		WOLFSSL_BIO *b = wolfSSL_BIO_new_mem_buf(buf, (int)len);

		crl = b ? wolfSSL_PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
		wolfSSL_BIO_free(b);
	} else if (len && buf[0] == 0x30) {
		crl = wolfSSL_d2i_X509_CRL(NULL, buf, (int)len);
	}
	if (!crl)
		return 1;
	attls_peer_name(wolfSSL_X509_CRL_get_issuer_name(crl), c.issuer, sizeof(c.issuer));
	if ((t = wolfSSL_X509_CRL_get_lastUpdate(crl)) &&
	    wolfSSL_ASN1_TIME_to_tm(t, &tm) == WOLFSSL_SUCCESS)
		c.this_update = timegm(&tm);
	c.number = crl->crlList ? crl->crlList->crlNumber : 0;
	wolfSSL_X509_CRL_free(crl);
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].issuer, c.issuer)) {
			if (c.this_update < set->v[i].this_update ||
			    (c.this_update == set->v[i].this_update && c.number <= set->v[i].number))
				return 0; /* older: it decides nothing */
			slot = &set->v[i];
			explicit_bzero(slot->buf, slot->len);
			free(slot->buf);
			break;
		}
	if (!slot) {
		struct crl_pick *more = realloc(set->v, (set->n + 1) * sizeof(*more));

		if (!more)
			return -1;
		set->v = more;
		slot = &set->v[set->n++];
	}
	if (!(c.buf = malloc(len))) {
		*slot = set->v[--set->n]; /* the last moved into the hole */
		return -1;
	}
	memcpy(c.buf, buf, len);
	c.len = len;
	snprintf(c.name, sizeof(c.name), "%s", name);
	*slot = c;
	return 0;
}

/*
 * A file's CRLs: a PEM file may hold several (wolfSSL's loader would take
 * the first and drop the others without a word, revoked serials with
 * them), each loaded on its own; DER holds one. buf ends with a NUL
 * (attls_trust_read_fd).
 */
static int load_crl_buf(const struct attls_policy *p, struct attls_keyring *kr,
			struct crl_set *set, const unsigned char *buf, size_t len, const char *name,
			struct attls_errors *errs)
{
	const char *at = strstr((const char *)buf, PEM_CRL_BEGIN), *end;
	int n = 0, rc;

	if (!at) {
		rc = crl_collect(set, buf, len, name);
		goto out;
	}
	for (; at; at = strstr(end, PEM_CRL_BEGIN)) {
		end = strstr(at, PEM_CRL_END);
		if (!end) {
			attls_errors_add(errs, p->file, kr->crl_line,
					 "crl: %s: a PEM CRL without its end line", name);
			return -1;
		}
		end += sizeof(PEM_CRL_END) - 1;
		rc = crl_collect(set, (const unsigned char *)at, (size_t)(end - at), name);
		if (rc == 1) {
			attls_errors_add(errs, p->file, kr->crl_line,
					 "crl: %s: CRL %d cannot be read", name, n + 1);
			return -1;
		}
		if (rc < 0)
			goto out;
		n++;
	}
	rc = 0;
out:
	if (rc < 0)
		attls_errors_add(errs, p->file, kr->crl_line, "crl: out of memory");
	return rc;
}

static int load_crl_fd(const struct attls_policy *p, struct attls_keyring *kr,
		       struct crl_set *set, int fd, const struct stat *st, const char *name,
		       struct attls_errors *errs)
{
	char why[384];
	size_t len;
	unsigned char *buf = attls_trust_read_fd(fd, name, st, CRL_MAX, &len, why, sizeof(why));
	int rc;

	if (!buf) {
		attls_errors_add(errs, p->file, kr->crl_line, "crl: %s", why);
		return -1;
	}
	rc = load_crl_buf(p, kr, set, buf, len, name, errs);
	attls_trust_free(buf, len);
	return rc;
}

/*
 * A CRL directory, as a CA directory (keyring.c): the directory and each
 * file opened in it are checked; regular files that hold a CRL (PEM or
 * DER) are loaded, others skipped; a directory with no CRL is an error.
 */
struct crl_dir {
	const struct attls_policy *p;
	struct attls_keyring *kr;
	struct crl_set *set;
	struct attls_errors *errs;
};

static int crl_dir_file(int fd, const struct stat *st, const char *name, void *arg)
{
	struct crl_dir *c = arg;

	return load_crl_fd(c->p, c->kr, c->set, fd, st, name, c->errs);
}

static int load_crl_dir(const struct attls_policy *p, struct attls_keyring *kr,
			struct crl_set *set, int dfd, struct attls_errors *errs)
{
	struct crl_dir c = { p, kr, set, errs };
	char why[384];
	int n = attls_trust_each_file(dfd, kr->crl, ATTLS_TRUST_PUBLIC, crl_dir_file, &c, why,
				      sizeof(why));

	if (n < 0 && why[0])
		attls_errors_add(errs, p->file, kr->crl_line, "crl: %s", why);
	if (n == 0)
		attls_errors_add(errs, p->file, kr->crl_line, "crl: %s holds no CRL", kr->crl);
	return n > 0 ? 0 : -1;
}

static int load_crls(const struct attls_policy *p, struct attls_keyring *kr, WOLFSSL_CTX *ctx,
		     bool log, struct attls_errors *errs)
{
	struct crl_set set = { 0 };
	char why[384];
	struct stat st;
	int rc, fd;

	/*
	 * Every certificate of the peer's chain is checked, each against the
	 * CRL of its issuer; one whose issuer has no (current) CRL is refused.
	 */
	if (wolfSSL_CTX_EnableCRL(ctx, WOLFSSL_CRL_CHECKALL) != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->crl_line, "crl: cannot enable CRLs");
		return -1;
	}
	/*
	 * crl_expired = warn: an expired CRL is loaded (its signature still
	 * verified, wolfssl/patches/revocation-switches.patch) and its
	 * serials looked up, at load and at each check.
	 */
	if (kr->crl_expired == ATTLS_CRL_EXPIRED_WARN &&
	    wolfSSL_CertManagerAcceptExpiredCRL(wolfSSL_CTX_GetCertManager(ctx), 1) !=
	    WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->crl_expired_line,
				 "crl_expired: cannot set warn in wolfSSL");
		return -1;
	}
	fd = attls_trust_open(kr->crl, ATTLS_TRUST_PUBLIC, ATTLS_TRUST_ANY, &st, why, sizeof(why));
	if (fd < 0) {
		attls_errors_add(errs, p->file, kr->crl_line, "crl: %s", why);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = load_crl_dir(p, kr, &set, fd, errs);
	} else {
		rc = load_crl_fd(p, kr, &set, fd, &st, kr->crl, errs);
		if (rc == 1) {
			attls_errors_add(errs, p->file, kr->crl_line,
					 "crl: %s holds no CRL (PEM or DER)", kr->crl);
			rc = -1;
		}
	}
	attls_io.close(fd);
	/* The newest of each issuer, into the context. */
	for (size_t i = 0; rc == 0 && i < set.n; i++)
		if (load_one_crl(p, kr, ctx, set.v[i].buf, set.v[i].len, set.v[i].name, log,
				 errs) != 0)
			rc = -1;
	crl_set_free(&set);
	return rc;
}

static unsigned timeout_of(const struct attls_keyring *kr)
{
	return kr->ocsp_timeout_ms ? kr->ocsp_timeout_ms : ATTLS_OCSP_TIMEOUT_DEFAULT_MS;
}

/*
 * The deadline of the handshake step this thread runs (0: none): set by
 * the session around wolfSSL's connect or accept, which call the OCSP I/O
 * below on the same thread. Thread-local: each thread its own handshake;
 * a fork copies the caller's (0 outside a step); no signal handler
 * touches it.
 */
static _Thread_local uint64_t hs_deadline;

void attls_revoke_deadline(uint64_t deadline)
{
	hs_deadline = deadline;
	/*
	 * A step starts: a signer refused in an earlier one on this thread
	 * (a handshake that did not fail for it) is not this one's reason.
	 */
	if (deadline)
		wc_OcspSignerRefusedClear();
}

/*
 * How long a fetch may wait: ocsp_timeout, cut to what is left of the
 * handshake's own deadline (handshake_timeout); *cut says it was.
 */
static unsigned wait_of(const struct attls_keyring *kr, bool *cut)
{
	unsigned ms = timeout_of(kr);
	uint64_t now = attls_now_ms();

	*cut = false;
	if (hs_deadline && hs_deadline - (now < hs_deadline ? now : hs_deadline) < ms) {
		ms = now < hs_deadline ? (unsigned)(hs_deadline - now) : 0;
		*cut = true;
	}
	return ms;
}

/*
 * wolfSSL's OCSP I/O (CbOCSPIO), for a client's responder check (a
 * server's staple: staple.c). It runs inside the handshake, on the thread that
 * drives it, and blocks that thread (and that connection) for at most
 * ocsp_timeout, cut to what is left of the handshake's deadline (wait_of);
 * other connections go on. ctx is the key ring.
 */
static int ocsp_io_client(void *ctx, const char *url, int urlsz, unsigned char *req, int reqsz,
			  unsigned char **resp)
{
	const struct attls_keyring *kr = ctx;
	char why[200];
	unsigned ms;
	bool cut;
	int n;

	if (kr->ocsp != ATTLS_OCSP_RESPONDER) {
		/* The stapled modes never ask a responder themselves. */
		snprintf(ocsp_why, sizeof(ocsp_why), "no staple, and ocsp = %s asks no responder",
			 attls_ocsp_name(kr->ocsp));
		return -1;
	}
	ocsp_why[0] = '\0';
	ms = wait_of(kr, &cut);
	n = attls_ocsp_http(url, url ? urlsz : 0, req, reqsz, ms, resp, why, sizeof(why));
	if (n < 0)
		snprintf(ocsp_why, sizeof(ocsp_why), "%.*s: %s%s", url ? urlsz : 6,
			 url ? url : "no URL", why,
			 cut ? " (the wait cut to what was left of handshake_timeout)" : "");
	return n;
}


static void ocsp_free(void *ctx, unsigned char *resp)
{
	(void)ctx;
	free(resp);
}

static int setup_ocsp(const struct attls_policy *p, struct attls_keyring *kr, WOLFSSL_CTX *ctx,
		      bool server, struct attls_errors *errs)
{
	int opts = kr->ocsp_url ? WOLFSSL_OCSP_URL_OVERRIDE : 0;
	bool client_check = !server && kr->ocsp != ATTLS_OCSP_OFF;
	bool staple = server && kr->ocsp_staple;
	int ok = WOLFSSL_SUCCESS;

	if (!client_check && !staple)
		return 0;
	if (staple && !kr->staple && !(kr->staple = attls_staple_new())) {
		attls_errors_add(errs, p->file, kr->ocsp_staple_line, "ocsp_staple: out of memory");
		return -1;
	}
	if (staple || kr->ocsp == ATTLS_OCSP_STAPLED || kr->ocsp == ATTLS_OCSP_REQUIRED_STAPLED) {
		ok &= wolfSSL_CTX_EnableOCSPStapling(ctx) == WOLFSSL_SUCCESS;
		/* The staple is attls's to keep and refresh (staple.c). */
		if (staple)
			ok &= wolfSSL_CertManagerStaplingAlwaysAsk(wolfSSL_CTX_GetCertManager(ctx),
								  1) == WOLFSSL_SUCCESS;
		if (!server)
			ok &= wolfSSL_CTX_UseOCSPStapling(ctx, WOLFSSL_CSR_OCSP, 0) ==
			      WOLFSSL_SUCCESS;
		if (kr->ocsp == ATTLS_OCSP_REQUIRED_STAPLED)
			ok &= wolfSSL_CTX_EnableOCSPMustStaple(ctx) == WOLFSSL_SUCCESS;
	}
	if (kr->ocsp_url || (!server && kr->ocsp == ATTLS_OCSP_RESPONDER)) {
		/* A staple is one response for every client: no nonce in it. */
		ok &= wolfSSL_CTX_EnableOCSP(ctx, opts | (server ? WOLFSSL_OCSP_NO_NONCE : 0)) ==
		      WOLFSSL_SUCCESS;
		if (kr->ocsp_url)
			ok &= wolfSSL_CTX_SetOCSP_OverrideURL(ctx, kr->ocsp_url) == WOLFSSL_SUCCESS;
		/*
		 * A server only wanted the URL: its clients' certificates
		 * are not looked up (ocsp is a client's key).
		 */
		if (server || kr->ocsp != ATTLS_OCSP_RESPONDER)
			ok &= wolfSSL_CTX_DisableOCSP(ctx) == WOLFSSL_SUCCESS;
	}
	/*
	 * After every Enable, each of which sets wolfSSL's own socket code:
	 * that would reach attls's hooks. Only attls's own I/O runs.
	 */
	/*
	 * A server's staple (staple.c): wolfSSL 5.5.4 serves without one when
	 * the responder answers tryLater, but fails the handshake when the
	 * fetch itself fails: a failed fetch with no response kept is handed
	 * to it as that answer.
	 */
	if (server) {
		void *io = staple ? attls_staple_ctx(kr, ctx) : NULL;

		ok &= staple && io && wolfSSL_CTX_SetOCSP_Cb(ctx, attls_staple_io, ocsp_free,
							      io) == WOLFSSL_SUCCESS;
	} else {
		ok &= wolfSSL_CTX_SetOCSP_Cb(ctx, ocsp_io_client, ocsp_free, kr) ==
		      WOLFSSL_SUCCESS;
	}
	if (!ok) {
		attls_errors_add(errs, p->file, staple ? kr->ocsp_staple_line : kr->ocsp_line,
				 "%s: cannot enable OCSP in wolfSSL", staple ? "ocsp_staple" : "ocsp");
		return -1;
	}
	return 0;
}

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_CERT_END "-----END CERTIFICATE-----"

/*
 * Each CA certificate of a file of ca, checked against the CRLs loaded: a
 * CA in ca is a trust anchor, and a chain that stops at it (a peer that
 * leaves the intermediate out) is never checked above it. So a CA that
 * its issuer's CRL revokes must not be one: the policy does not load
 * (a reload keeps the policy in force and says why). A root (self-issued)
 * has no issuer to revoke it; a CA whose issuer has no CRL here is not
 * checked. arg: the context, its CRLs loaded.
 */
static int ca_not_revoked(const struct attls_policy *p, const struct attls_keyring *kr,
			  void *arg, const unsigned char *buf, size_t len, const char *name,
			  struct attls_errors *errs)
{
	WOLFSSL_CERT_MANAGER *cm = wolfSSL_CTX_GetCertManager(arg);
	const char *at = strstr((const char *)buf, PEM_CERT_BEGIN), *end;
	unsigned char *der = malloc(len);
	int rc = 0;

	if (!der) {
		attls_errors_add(errs, p->file, kr->crl_line, "crl: out of memory");
		return -1;
	}
	for (; rc == 0 && at && (end = strstr(at, PEM_CERT_END)); at = strstr(end, PEM_CERT_BEGIN)) {
		WOLFSSL_X509 *x;
		char subject[256];
		int n;

		end += sizeof(PEM_CERT_END) - 1;
		n = wc_CertPemToDer((const unsigned char *)at, (int)(end - at), der, (int)len,
				    CERT_TYPE);
		if (n <= 0 || !(x = wolfSSL_X509_load_certificate_buffer(der, n,
									  WOLFSSL_FILETYPE_ASN1)))
			continue; /* loading it said what was wrong, or will */
		if (wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x),
					  wolfSSL_X509_get_issuer_name(x)) != 0 &&
		    wolfSSL_CertManagerCheckCRL(cm, der, n) == CRL_CERT_REVOKED) {
			attls_peer_name(wolfSSL_X509_get_subject_name(x), subject, sizeof(subject));
			attls_errors_add(errs, p->file, kr->crl_line,
					 "crl: the CA %s of ca (%s) is revoked by its issuer's CRL: "
					 "a revoked CA must not be trusted; take it out of ca",
					 subject, name);
			rc = -1;
		}
		wolfSSL_X509_free(x);
	}
	free(der);
	return rc;
}

int attls_revoke_setup(const struct attls_policy *p, struct attls_keyring *kr,
		       WOLFSSL_CTX *ctx, bool server, bool log, struct attls_errors *errs)
{
	if (kr->crl && (load_crls(p, kr, ctx, log, errs) < 0 ||
			attls_keyring_each_ca(p, kr, ca_not_revoked, ctx, errs) < 0))
		return -1;
	return setup_ocsp(p, kr, ctx, server, errs);
}

/* The key ring ctx was built from (a failed handshake only: a scan of the descriptors). */
static const struct attls_keyring *keyring_of(const struct attls_policy *p, WOLFSSL_CTX *ctx)
{
	for (size_t i = 0; p && ctx && i < p->n_traffic; i++)
		if (p->traffic[i].ctx_server == ctx || p->traffic[i].ctx_client == ctx)
			return p->traffic[i].keyring;
	return NULL;
}

void attls_revoke_step(const struct attls_policy *p, WOLFSSL *ssl)
{
	struct attls_keyring *kr;
	char when[32];
	struct tm tm;
	time_t now;

	if (!p || !p->crl_warn_next || (now = time(NULL)) < p->crl_warn_next)
		return;
	/* Rare: a CRL of the policy has expired since it loaded. */
	kr = (struct attls_keyring *)keyring_of(p, wolfSSL_get_SSL_CTX(ssl));
	if (!kr || !kr->crl_warn_next || now < kr->crl_warn_next ||
	    atomic_exchange(&kr->crl_late_said, true))
		return;
	gmtime_r(&kr->crl_warn_next, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	attls_trace(p->trace, ATTLS_MSG_CRL_EXPIRED, NULL,
		    "[keyring %s] crl: %s: a CRL of it passed its next update %s while in "
		    "force: used anyway (crl_expired = warn) until a new one is in place: "
		    "certificates it lists are refused, the others accepted", kr->name, kr->crl,
		    when);
}

const char *attls_revoke_reason(const struct attls_policy *p, WOLFSSL *ssl, int err, char *buf,
				size_t len)
{
	const struct attls_keyring *kr = keyring_of(p, wolfSSL_get_SSL_CTX(ssl));
	const char *signer = wc_OcspSignerRefused();

	/*
	 * wolfSSL (wolfssl/patches/ocsp-responder-authority.patch) refused
	 * the signer of an OCSP response this thread decoded (RFC 6960
	 * 4.2.2.2); a stapled one fails as a bad status, a fetched one as a
	 * bad responder.
	 */
	if (signer[0] && err != CRL_CERT_REVOKED && err != CRL_MISSING) {
		snprintf(buf, len, "OCSP: the response is signed by %s, which is neither the "
			 "issuer nor a responder it delegated (a certificate the issuer "
			 "issued, with OCSPSigning)", signer);
		wc_OcspSignerRefusedClear();
		ocsp_why[0] = '\0';
		return buf;
	}
	/* This thread's handshake asked a responder and got nothing back. */
	if (ocsp_why[0] && err != CRL_CERT_REVOKED && err != CRL_MISSING &&
	    err != OCSP_CERT_REVOKED) {
		snprintf(buf, len, "OCSP: no response: %s", ocsp_why);
		ocsp_why[0] = '\0';
		return buf;
	}
	switch (err) {
	case CRL_CERT_REVOKED:
		snprintf(buf, len, "revoked: a certificate of the peer's chain is on its "
			 "issuer's CRL");
		break;
	case CRL_MISSING:
		if (kr && kr->crl_note && kr->crl_expired == ATTLS_CRL_EXPIRED_REFUSE)
			snprintf(buf, len, "CRL expired: %s; a certificate of the peer's chain "
				 "has no current CRL for its issuer", kr->crl_note);
		else
			snprintf(buf, len, "no CRL for the issuer of a certificate of the "
				 "peer's chain (crl must cover every CA that issues one)");
		break;
	case ASN_CRL_CONFIRM_E:
	case ASN_CRL_NO_SIGNER_E:
		snprintf(buf, len, "a CRL cannot be verified with its issuer's key");
		break;
	case OCSP_CERT_REVOKED:
		snprintf(buf, len, "revoked: OCSP says the peer's certificate is revoked");
		break;
	case OCSP_CERT_UNKNOWN:
		if (kr && kr->ocsp == ATTLS_OCSP_REQUIRED_STAPLED)
			snprintf(buf, len, "OCSP: no good stapled response, and ocsp = "
				 "required-stapled needs one");
		else
			snprintf(buf, len, "OCSP: the responder does not know the peer's "
				 "certificate");
		break;
	case OCSP_LOOKUP_FAIL:
		snprintf(buf, len, "OCSP: no response: %s", ocsp_why[0] ? ocsp_why :
			 "the responder could not be asked");
		break;
	case OCSP_NEED_URL:
		snprintf(buf, len, "OCSP: the peer's certificate names no responder (AIA) "
			 "and ocsp_url is not set");
		break;
	case OCSP_INVALID_STATUS:
	case ASN_OCSP_CONFIRM_E:
	case BAD_OCSP_RESPONDER:
	case BAD_CERTIFICATE_STATUS_ERROR:
		snprintf(buf, len, "OCSP: the response is not valid (signature, signer, "
			 "dates or certificate)");
		break;
	default:
		return NULL;
	}
	ocsp_why[0] = '\0';
	return buf;
}
