/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysio.h"
#include "filetrust.h"
#include "keycheck.h"
#include "keyring.h"
#include "p11uri.h"
#include "pkcs11.h"

#include <wolfssl/wolfcrypt/asn_public.h>

/*
 * Files are read through attls_trust_read (filetrust.h): opened once,
 * checked on the descriptor, and the bytes read there are what wolfSSL
 * gets. Buffers that held a key are wiped.
 */
#define CERT_MAX (1u << 20)
#define CA_MAX (16u << 20)

/*
 * A PEM certificate chain from a trusted file into ctx; the bytes read in
 * *kept (*kept_len), if kept is not NULL, for the key proof (free with
 * attls_trust_free).
 */
static int load_cert_file_kept(const struct attls_policy *p, const struct attls_keyring *kr,
			       WOLFSSL_CTX *ctx, unsigned char **kept, size_t *kept_len,
			       struct attls_errors *errs)
{
	char why[384];
	size_t len;
	unsigned char *buf = attls_trust_read(kr->cert, ATTLS_TRUST_PUBLIC, CERT_MAX, &len, why,
					      sizeof(why));
	int rc;

	if (!buf) {
		attls_errors_add(errs, p->file, kr->cert_line, "cert: %s", why);
		return -1;
	}
	rc = wolfSSL_CTX_use_certificate_chain_buffer(ctx, buf, (long)len);
	if (kept && rc == WOLFSSL_SUCCESS) {
		*kept = buf;
		*kept_len = len;
	} else {
		attls_trust_free(buf, len);
	}
	if (rc != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->cert_line,
				 "cert: cannot load the PEM certificate chain %s (%s)", kr->cert,
				 attls_wolf_strerror(rc, why, sizeof(why)));
		return -1;
	}
	return 0;
}

/* Whether a file holds a PEM certificate at all. */
static bool has_pem_cert(const unsigned char *buf)
{
	return strstr((const char *)buf, "-----BEGIN CERTIFICATE-----") ||
	       strstr((const char *)buf, "-----BEGIN TRUSTED CERTIFICATE-----") ||
	       strstr((const char *)buf, "-----BEGIN X509 CERTIFICATE-----");
}

/* The CAs of an open, checked file; 1 if it held none (skipped in a directory). */
/* What is done with each file of CA certificates: its bytes, read and checked. */
typedef int (*ca_fn)(const struct attls_policy *p, const struct attls_keyring *kr, void *arg,
		     const unsigned char *buf, size_t len, const char *name,
		     struct attls_errors *errs);

/* The CA certificates into the context. */
static int ca_into_ctx(const struct attls_policy *p, const struct attls_keyring *kr, void *arg,
		       const unsigned char *buf, size_t len, const char *name,
		       struct attls_errors *errs)
{
	char why[384];
	/*
	 * A CA's own dates are not checked at load (a store such as
	 * /etc/ssl/certs holds expired roots), as Debian's build did and
	 * OpenSSL does: the peer's chain is checked at each handshake.
	 */
	int rc = wolfSSL_CTX_load_verify_buffer_ex(arg, buf, (long)len, WOLFSSL_FILETYPE_PEM, 0,
						   WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY);

	if (rc != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->ca_line,
				 "ca: cannot load CA certificates from %s (%s)", name,
				 attls_wolf_strerror(rc, why, sizeof(why)));
		return -1;
	}
	return 0;
}

static int load_ca_fd(const struct attls_policy *p, const struct attls_keyring *kr, ca_fn fn,
		      void *arg, int fd, const struct stat *st, const char *name,
		      struct attls_errors *errs)
{
	char why[384];
	size_t len;
	unsigned char *buf = attls_trust_read_fd(fd, name, st, CA_MAX, &len, why, sizeof(why));
	int rc;

	if (!buf) {
		attls_errors_add(errs, p->file, kr->ca_line, "ca: %s", why);
		return -1;
	}
	if (!has_pem_cert(buf)) {
		attls_trust_free(buf, len);
		return 1;
	}
	rc = fn(p, kr, arg, buf, len, name, errs);
	attls_trust_free(buf, len);
	return rc;
}

/*
 * A CA directory, as /etc/ssl/certs: the directory is checked (owned by
 * root or the user, not writable by group or others: no one else can add
 * or replace an entry), then each entry is opened relative to it (openat,
 * following symbolic links, which is what /etc/ssl/certs is made of) and
 * the file opened is checked. Regular files are loaded, anything else
 * (subdirectories, devices) is skipped, and so is a regular file that
 * holds no PEM certificate (a README, a CRL); a file that holds one and
 * cannot be loaded is an error, and so is a directory with no CA at all.
 * A file reached through several names (the hash links) is read once.
 */
struct ca_dir {
	const struct attls_policy *p;
	const struct attls_keyring *kr;
	ca_fn fn;
	void *arg;
	struct attls_errors *errs;
};

static int ca_dir_file(int fd, const struct stat *st, const char *name, void *arg)
{
	struct ca_dir *c = arg;

	return load_ca_fd(c->p, c->kr, c->fn, c->arg, fd, st, name, c->errs);
}

static int load_ca_dir(const struct attls_policy *p, const struct attls_keyring *kr, ca_fn fn,
		       void *arg, int dfd, struct attls_errors *errs)
{
	struct ca_dir c = { p, kr, fn, arg, errs };
	char why[384];
	int n = attls_trust_each_file(dfd, kr->ca, ATTLS_TRUST_PUBLIC, ca_dir_file, &c, why,
				      sizeof(why));

	if (n < 0 && why[0])
		attls_errors_add(errs, p->file, kr->ca_line, "ca: %s", why);
	if (n == 0)
		attls_errors_add(errs, p->file, kr->ca_line,
				 "ca: %s holds no PEM CA certificate", kr->ca);
	return n > 0 ? 0 : -1;
}

static int each_ca(const struct attls_policy *p, const struct attls_keyring *kr, ca_fn fn,
		   void *arg, struct attls_errors *errs)
{
	char why[384];
	struct stat st;
	int rc, fd = attls_trust_open(kr->ca, ATTLS_TRUST_PUBLIC, ATTLS_TRUST_ANY, &st, why,
				      sizeof(why));

	if (fd < 0) {
		attls_errors_add(errs, p->file, kr->ca_line, "ca: %s", why);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = load_ca_dir(p, kr, fn, arg, fd, errs);
	} else {
		rc = load_ca_fd(p, kr, fn, arg, fd, &st, kr->ca, errs);
		if (rc == 1) {
			attls_errors_add(errs, p->file, kr->ca_line,
					 "ca: %s holds no PEM certificate", kr->ca);
			rc = -1;
		}
	}
	attls_io.close(fd);
	return rc;
}

int attls_keyring_each_ca(const struct attls_policy *p, const struct attls_keyring *kr,
			  int (*fn)(const struct attls_policy *p, const struct attls_keyring *kr,
				    void *arg, const unsigned char *buf, size_t len,
				    const char *name, struct attls_errors *errs),
			  void *arg, struct attls_errors *errs)
{
	return kr->ca ? each_ca(p, kr, fn, arg, errs) : 0;
}

/*
 * The token a URI names, opened: its module and PIN come from the URI,
 * else from the key's URI (for a certificate), else from [crypto].
 */
static int open_token(const struct attls_policy *p, const struct attls_p11uri *u,
		      const struct attls_p11uri *key, int *dev, char *err, size_t errlen)
{
	const char *module = u->module_path ? u->module_path :
			     key->module_path ? key->module_path : p->p11_module;
	const char *value = u->pin_value ? u->pin_value : key->pin_value;
	const char *source = u->pin_source ? u->pin_source : key->pin_source;
	char *pin = NULL;
	int rc;

	if (!value && !source) {
		value = p->p11_pin_value;
		source = p->p11_pin_source;
	}
	if (!value && !(pin = attls_p11_read_pin(source, err, errlen)))
		return -1;
	rc = attls_p11_open(module, u, value ? value : pin, dev, err, errlen);
	if (pin) {
		explicit_bzero(pin, strlen(pin));
		free(pin);
	}
	return rc;
}

int attls_keyring_token_cert(const struct attls_policy *p, const struct attls_keyring *kr,
			     unsigned char **der, size_t *der_len, char *why, size_t whylen)
{
	struct attls_p11uri key = { .slot_id = -1 }, cert = { .slot_id = -1 };
	int dev, rc = -1;

	*der = NULL;
	/* The key's URI gives the module and PIN the certificate's may leave out. */
	if (kr->key && attls_p11uri_is(kr->key) &&
	    attls_p11uri_parse(kr->key, &key, why, whylen) < 0)
		return -1;
	if (attls_p11uri_parse(kr->cert, &cert, why, whylen) == 0 &&
	    open_token(p, &cert, &key, &dev, why, whylen) == 0 &&
	    attls_p11_find(dev, ATTLS_P11_CERTIFICATE, &cert, der, der_len, why, whylen) == 0)
		rc = 0;
	attls_p11uri_free(&key);
	attls_p11uri_free(&cert);
	return rc;
}

/*
 * The certificate and the token's key into ctx; with prove, the key is
 * proven (keycheck.h). 0, -1 with the error added, or 1: a key type only
 * a handshake can prove.
 */
static int load_token_objects(const struct attls_policy *p, const struct attls_keyring *kr,
			      WOLFSSL_CTX *ctx, bool prove, struct attls_errors *errs)
{
	struct attls_p11uri key, cert = { .slot_id = -1 };
	unsigned char *der = NULL, *pem = NULL;
	size_t der_len = 0, pem_len = 0;
	char why[256];
	int dev, rc = -1, line = kr->key_line;

	if (attls_p11uri_parse(kr->key, &key, why, sizeof(why)) < 0)
		goto fail;
	if (attls_p11uri_is(kr->cert)) {
		line = kr->cert_line;
		if (attls_p11uri_parse(kr->cert, &cert, why, sizeof(why)) < 0 ||
		    open_token(p, &cert, &key, &dev, why, sizeof(why)) < 0 ||
		    attls_p11_find(dev, ATTLS_P11_CERTIFICATE, &cert, &der, &der_len, why,
				   sizeof(why)) < 0)
			goto fail;
		if (wolfSSL_CTX_use_certificate_buffer(ctx, der, (long)der_len,
								  WOLFSSL_FILETYPE_ASN1) !=
		    WOLFSSL_SUCCESS) {
			snprintf(why, sizeof(why), "the token's certificate cannot be read");
			goto fail;
		}
		line = kr->key_line;
	} else if (load_cert_file_kept(p, kr, ctx, prove ? &pem : NULL, &pem_len, errs) < 0) {
		goto out;
	}
	if (open_token(p, &key, &key, &dev, why, sizeof(why)) < 0 ||
	    attls_p11_find(dev, ATTLS_P11_PRIVATE_KEY, &key, NULL, NULL, why, sizeof(why)) < 0)
		goto fail;
	/* The key stays on the token: wolfSSL only keeps its name and device. */
	if ((key.has_id ? wolfSSL_CTX_use_PrivateKey_Id(ctx, key.id, (long)key.id_len,
								   dev) :
			  wolfSSL_CTX_use_PrivateKey_Label(ctx, key.object, dev)) !=
	    WOLFSSL_SUCCESS) {
		snprintf(why, sizeof(why), "wolfSSL cannot use the token's key");
		goto fail;
	}
	rc = 0;
	if (prove) {
		rc = attls_keyproof_token(der ? der : pem, der ? der_len : pem_len,
					  der ? WOLFSSL_FILETYPE_ASN1 : WOLFSSL_FILETYPE_PEM,
					  key.has_id ? key.id : NULL, key.id_len,
					  key.has_id ? NULL : key.object, dev, why, sizeof(why));
		if (rc < 0)
			goto fail;
	}
	goto out;
fail:
	attls_errors_add(errs, p->file, line, "%s: %s", line == kr->key_line ? "key" : "cert",
			 why);
out:
	free(der);
	if (pem)
		attls_trust_free(pem, pem_len);
	attls_p11uri_free(&key);
	attls_p11uri_free(&cert);
	return rc;
}

/*
 * The key file's key proven against the certificate (keycheck.h): 0, -1
 * with the error added, 1 when only a handshake can prove it.
 */
static int prove_file_key(const struct attls_policy *p, const struct attls_keyring *kr,
			  const unsigned char *cert, size_t cert_len, const unsigned char *pem,
			  size_t len, struct attls_errors *errs)
{
	unsigned char *der = malloc(len);
	char why[192];
	int n, rc = 1;

	if (!der) {
		attls_errors_add(errs, p->file, kr->key_line, "key: out of memory");
		return -1;
	}
	n = wc_KeyPemToDer(pem, (int)len, der, (int)len, NULL);
	if (n > 0) {
		rc = attls_keyproof(cert, cert_len, der, (size_t)n, why, sizeof(why));
		if (rc < 0)
			attls_errors_add(errs, p->file, kr->key_line, "key: %s: %s (%s)", kr->key,
					 why, kr->cert);
	}
	explicit_bzero(der, len);
	free(der);
	return rc;
}

static int load_files(const struct attls_policy *p, const struct attls_keyring *kr,
		      WOLFSSL_CTX *ctx, bool prove, struct attls_errors *errs)
{
	char why[384];
	unsigned char *key, *cert = NULL;
	size_t len, cert_len = 0;
	int rc;

	if (load_cert_file_kept(p, kr, ctx, prove ? &cert : NULL, &cert_len, errs) < 0)
		return -1;
	key = attls_trust_read(kr->key, ATTLS_TRUST_SECRET, CERT_MAX, &len, why, sizeof(why));
	if (!key) {
		attls_errors_add(errs, p->file, kr->key_line, "key: %s", why);
		rc = -1;
		goto out;
	}
	rc = wolfSSL_CTX_use_PrivateKey_buffer(ctx, key, (long)len,
							  WOLFSSL_FILETYPE_PEM);
	if (rc != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->key_line,
				 "key: cannot load the PEM private key %s (%s)", kr->key,
				 attls_wolf_strerror(rc, why, sizeof(why)));
		rc = -1;
	} else if (prove) {
		/* The signature proves more than wolfSSL's comparison: that is skipped. */
		rc = prove_file_key(p, kr, cert, cert_len, key, len, errs);
	} else if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->key_line,
				 "key: %s does not match the certificate in %s", kr->key, kr->cert);
		rc = -1;
	} else {
		rc = 0;
	}
	attls_trust_free(key, len);
out:
	if (cert)
		attls_trust_free(cert, cert_len);
	return rc;
}

/* 1: the key is loaded and still to be proven by a handshake (a token's, or another type). */
static int keyring_load(const struct attls_policy *p, const struct attls_keyring *kr,
			WOLFSSL_CTX *ctx, bool prove, struct attls_errors *errs)
{
	int rc = 0;

	if (kr->cert) {
		if (attls_p11uri_is(kr->key))
			rc = load_token_objects(p, kr, ctx, prove, errs);
		else
			rc = load_files(p, kr, ctx, prove, errs);
		if (rc < 0)
			return -1;
	}
	if (kr->ca && each_ca(p, kr, ca_into_ctx, ctx, errs) < 0)
		return -1;
	return rc;
}

int attls_keyring_load(const struct attls_policy *p, const struct attls_keyring *kr,
		       WOLFSSL_CTX *ctx, struct attls_errors *errs)
{
	return keyring_load(p, kr, ctx, false, errs) < 0 ? -1 : 0;
}

int attls_keyring_check(const struct attls_policy *p, const struct attls_keyring *kr,
			WOLFSSL_CTX *ctx, struct attls_errors *errs)
{
	char why[192];
	int rc = keyring_load(p, kr, ctx, true, errs);

	if (rc < 0)
		return -1;
	/* A key of a type the signature proof does not know (keycheck.h). */
	if (rc == 1 && attls_keycheck(ctx, why, sizeof(why)) < 0) {
		attls_errors_add(errs, p->file, kr->key_line, "key: %s", why);
		return -1;
	}
	return 0;
}
