/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificate warnings for attls check. What is checked, each certificate
 * of a key ring's cert (leaf and chain, from the file or the token) and of
 * its ca file:
 *   - its end date: past, or within ATTLS_WARN_EXPIRY_DAYS;
 *   - an RSA key under 2048 bits;
 *   - a SHA-1 signature, except on a self-signed certificate (a root's
 *     signature on itself is not what a peer relies on);
 * and for a key ring some enabled descriptor uses in the server role, the
 * leaf's names: a subjectAltName at all, and every server_name a
 * server-only descriptor (role server, or direction = inbound) gives.
 * A ca directory (a system store such as /etc/ssl/certs) is not looked at.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "checkwarn.h"
#include "filetrust.h"
#include "keyring.h"
#include "p11uri.h"
#include "wolf.h"

#include <wolfssl/openssl/evp.h>
#include <wolfssl/wolfcrypt/asn.h>

#define PEM_MAX (16u << 20)

/* Where a certificate is: "ca: /x/ca.pem: certificate 2 (/CN=...)". */
struct where {
	const struct attls_policy *p;
	int line;
	const char *key; /* "cert" or "ca" */
	const char *path;
	size_t index;    /* 1-based, in the file or the chain */
	char subject[160];
};

static void warn(struct attls_errors *w, const struct where *at, const char *what)
{
	attls_errors_add(w, at->p->file, at->line, "warning: %s: %s: certificate %zu (%s) %s",
			 at->key, at->path, at->index, at->subject, what);
}

static void check_dates(const struct where *at, WOLFSSL_X509 *x, time_t now,
			struct attls_errors *w)
{
	const WOLFSSL_ASN1_TIME *na = wolfSSL_X509_get_notAfter(x);
	struct tm tm = { 0 };
	char date[32], msg[128];
	time_t end;
	long days;

	if (!na || wolfSSL_ASN1_TIME_to_tm(na, &tm) != WOLFSSL_SUCCESS) {
		warn(w, at, "has an end date that cannot be read");
		return;
	}
	end = timegm(&tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end <= now) {
		days = (long)((now - end) / 86400);
		snprintf(msg, sizeof(msg), "expired on %s (%ld day%s ago): every handshake "
			 "with it fails", date, days, days == 1 ? "" : "s");
		warn(w, at, msg);
	} else if (end - now < (time_t)ATTLS_WARN_EXPIRY_DAYS * 86400) {
		days = (long)((end - now) / 86400);
		snprintf(msg, sizeof(msg), "expires on %s (in %ld day%s)", date, days,
			 days == 1 ? "" : "s");
		warn(w, at, msg);
	}
}

static void check_strength(const struct where *at, WOLFSSL_X509 *x, struct attls_errors *w)
{
	int sig = wolfSSL_X509_get_signature_type(x);
	char msg[96];

	if (wolfSSL_X509_get_pubkey_type(x) == RSAk) {
		WOLFSSL_EVP_PKEY *k = wolfSSL_X509_get_pubkey(x);
		int bits = k ? wolfSSL_EVP_PKEY_bits(k) : 0;

		if (bits > 0 && bits < 2048) {
			snprintf(msg, sizeof(msg), "has an RSA key of %d bits, under 2048", bits);
			warn(w, at, msg);
		}
		if (k)
			wolfSSL_EVP_PKEY_free(k);
	}
	/* A root's signature on itself is not checked by its peers. */
	if ((sig == CTC_SHAwRSA || sig == CTC_SHAwECDSA || sig == CTC_SHAwDSA) &&
	    wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x),
				  wolfSSL_X509_get_issuer_name(x)) != 0)
		warn(w, at, "is signed with SHA-1, which current TLS peers refuse");
}

static void check_one(struct where *at, WOLFSSL_X509 *x, time_t now, struct attls_errors *w)
{
	if (!wolfSSL_X509_NAME_oneline(wolfSSL_X509_get_subject_name(x), at->subject,
				       (int)sizeof(at->subject)))
		snprintf(at->subject, sizeof(at->subject), "no subject");
	check_dates(at, x, now, w);
	check_strength(at, x, w);
}

/* Every PEM certificate of buf checked; the first is returned (NULL: none). */
static WOLFSSL_X509 *check_pem(struct where *at, const unsigned char *buf, size_t len,
			       time_t now, struct attls_errors *w)
{
	WOLFSSL_BIO *bio = wolfSSL_BIO_new_mem_buf(buf, (int)len);
	WOLFSSL_X509 *first = NULL, *x;

	if (!bio)
		return NULL;
	for (at->index = 1; (x = wolfSSL_PEM_read_bio_X509(bio, NULL, NULL, NULL)); at->index++) {
		check_one(at, x, now, w);
		if (!first)
			first = x;
		else
			wolfSSL_X509_free(x);
	}
	wolfSSL_BIO_free(bio);
	return first;
}

/* A file's certificates; the first is returned when keep is set. */
static WOLFSSL_X509 *check_file(struct where *at, bool keep, time_t now,
				struct attls_errors *w)
{
	char why[384];
	size_t len;
	unsigned char *buf = attls_trust_read(at->path, ATTLS_TRUST_PUBLIC, PEM_MAX, &len, why,
					      sizeof(why));
	WOLFSSL_X509 *first;

	if (!buf) {
		attls_errors_add(w, at->p->file, at->line, "warning: %s: not checked: %s",
				 at->key, why);
		return NULL;
	}
	first = check_pem(at, buf, len, now, w);
	attls_trust_free(buf, len);
	if (first && !keep) {
		wolfSSL_X509_free(first);
		first = NULL;
	}
	return first;
}

/* The key ring's certificates and CAs; its leaf is returned, or NULL. */
static WOLFSSL_X509 *check_keyring(const struct attls_policy *p,
				   const struct attls_keyring *kr, time_t now,
				   struct attls_errors *w)
{
	struct where at = { .p = p, .line = kr->cert_line, .key = "cert", .path = kr->cert };
	WOLFSSL_X509 *leaf = NULL;
	struct stat st;

	if (kr->cert && attls_p11uri_is(kr->cert)) {
		unsigned char *der;
		size_t len;
		char why[256];

		at.path = "the token";
		at.index = 1;
		if (attls_keyring_token_cert(p, kr, &der, &len, why, sizeof(why)) < 0) {
			attls_errors_add(w, p->file, kr->cert_line,
					 "warning: cert: not checked on the token: %s", why);
		} else {
			leaf = wolfSSL_X509_load_certificate_buffer(der, (int)len,
								    WOLFSSL_FILETYPE_ASN1);
			if (leaf)
				check_one(&at, leaf, now, w);
			free(der);
		}
	} else if (kr->cert) {
		leaf = check_file(&at, true, now, w);
	}
	if (kr->ca && stat(kr->ca, &st) == 0 && !S_ISDIR(st.st_mode)) {
		struct where ca = { .p = p, .line = kr->ca_line, .key = "ca", .path = kr->ca };

		check_file(&ca, false, now, w);
	}
	return leaf;
}

static bool takes_server_role(const struct attls_traffic *t)
{
	return t->role == ATTLS_ROLE_SERVER ||
	       (t->role == ATTLS_ROLE_DEFAULT && (t->direction & ATTLS_DIR_INBOUND));
}

/*
 * A descriptor that is only ever a server: a server_name there is the
 * name its clients reach it by (attls itself does not use it), so the
 * certificate it serves should name it. Where the descriptor can be a
 * client too, server_name is the remote server's name, not ours.
 */
static bool server_only(const struct attls_traffic *t)
{
	return t->role == ATTLS_ROLE_SERVER ||
	       (t->role == ATTLS_ROLE_DEFAULT && t->direction == ATTLS_DIR_INBOUND);
}

/* A DER length at *p (before end), *p moved past it: the length, or -1. */
static long der_len(const unsigned char **p, const unsigned char *end)
{
	size_t n, l = 0;

	if (*p >= end)
		return -1;
	n = *(*p)++;
	if (n < 0x80)
		return (long)n <= end - *p ? (long)n : -1;
	n &= 0x7f;
	if (!n || n > 3 || (size_t)(end - *p) < n)
		return -1;
	while (n--)
		l = l << 8 | *(*p)++;
	return (long)l <= end - *p ? (long)l : -1;
}

/*
 * Whether the certificate's subjectAltName holds the IP address a: this
 * wolfSSL build keeps no iPAddress names (no WOLFSSL_IP_ALT_NAME), so the
 * extension is read from the DER here. The extension is found by its OID's
 * bytes; anything that does not parse is "no", which warns.
 */
static bool san_has_ip(WOLFSSL_X509 *x, const unsigned char *a, size_t alen)
{
	static const unsigned char oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x11 };
	int len = 0;
	const unsigned char *der = wolfSSL_X509_get_der(x, &len), *p, *end;
	long l;

	if (!der || len <= 0 || !(p = memmem(der, (size_t)len, oid, sizeof(oid))))
		return false;
	end = der + len;
	p += sizeof(oid);
	if (p < end && *p == 0x01) { /* critical = TRUE */
		p++;
		if ((l = der_len(&p, end)) < 0)
			return false;
		p += l;
	}
	if (p >= end || *p++ != 0x04 || (l = der_len(&p, end)) < 0)
		return false;
	end = p + l;
	if (p >= end || *p++ != 0x30 || (l = der_len(&p, end)) < 0)
		return false;
	end = p + l;
	while (p < end) {
		unsigned char tag = *p++;

		if ((l = der_len(&p, end)) < 0)
			return false;
		if (tag == 0x87 && (size_t)l == alen && !memcmp(p, a, alen))
			return true;
		p += l;
	}
	return false;
}

static bool names(WOLFSSL_X509 *x, const char *name)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, name, a) == 1)
		return san_has_ip(x, a, 4);
	if (inet_pton(AF_INET6, name, a) == 1)
		return san_has_ip(x, a, 16);
	return wolfSSL_X509_check_host(x, name, strlen(name), 0, NULL) == WOLFSSL_SUCCESS;
}

void attls_warn_certs(const struct attls_policy *p, struct attls_errors *warns)
{
	WOLFSSL_X509 **leaf = calloc(p->n_keyrings + 1, sizeof(*leaf));
	bool *served = calloc(p->n_keyrings + 1, sizeof(*served));
	time_t now = time(NULL);

	if (!leaf || !served) {
		attls_errors_add(warns, p->file, 0, "warning: certificates not checked: "
				 "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->n_keyrings; i++)
		leaf[i] = check_keyring(p, &p->keyrings[i], now, warns);
	for (size_t j = 0; j < p->n_traffic; j++) {
		const struct attls_traffic *t = &p->traffic[j];
		size_t i;

		if (!t->enabled || !t->keyring || !takes_server_role(t))
			continue;
		i = (size_t)(t->keyring - p->keyrings);
		served[i] = true;
		if (leaf[i] && server_only(t) && t->server_name && !names(leaf[i], t->server_name))
			attls_errors_add(warns, p->file, t->server_name_line,
					 "warning: [traffic %s]: server_name %s is not a name of "
					 "[keyring %s]'s certificate", t->name, t->server_name,
					 t->keyring->name);
	}
	for (size_t i = 0; i < p->n_keyrings; i++)
		if (served[i] && leaf[i] &&
		    wolfSSL_X509_get_ext_by_NID(leaf[i], NID_subject_alt_name, -1) < 0)
			attls_errors_add(warns, p->file, p->keyrings[i].cert_line,
					 "warning: cert: [keyring %s]'s certificate serves "
					 "connections but has no subjectAltName: clients that "
					 "ignore the subject's CN (browsers, Go) refuse it",
					 p->keyrings[i].name);
out:
	for (size_t i = 0; leaf && i < p->n_keyrings; i++)
		if (leaf[i])
			wolfSSL_X509_free(leaf[i]);
	free(leaf);
	free(served);
}
