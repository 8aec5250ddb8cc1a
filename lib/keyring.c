/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keycheck.h"
#include "keyring.h"
#include "p11uri.h"
#include "pkcs11.h"

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
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

static int load_token_objects(const struct attls_policy *p, const struct attls_keyring *kr,
			      WOLFSSL_CTX *ctx, struct attls_errors *errs)
{
	struct attls_p11uri key, cert = { .slot_id = -1 };
	unsigned char *der = NULL;
	size_t der_len = 0;
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
		if (attls_wolf.wolfSSL_CTX_use_certificate_buffer(ctx, der, (long)der_len,
								  WOLFSSL_FILETYPE_ASN1) !=
		    WOLFSSL_SUCCESS) {
			snprintf(why, sizeof(why), "the token's certificate cannot be read");
			goto fail;
		}
		line = kr->key_line;
	} else if (attls_wolf.wolfSSL_CTX_use_certificate_chain_file(ctx, kr->cert) !=
		   WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->cert_line,
				 "cert: cannot load the PEM certificate chain %s", kr->cert);
		goto out;
	}
	if (open_token(p, &key, &key, &dev, why, sizeof(why)) < 0 ||
	    attls_p11_find(dev, ATTLS_P11_PRIVATE_KEY, &key, NULL, NULL, why, sizeof(why)) < 0)
		goto fail;
	/* The key stays on the token: wolfSSL only keeps its name and device. */
	if ((key.has_id ? attls_wolf.wolfSSL_CTX_use_PrivateKey_Id(ctx, key.id, (long)key.id_len,
								   dev) :
			  attls_wolf.wolfSSL_CTX_use_PrivateKey_Label(ctx, key.object, dev)) !=
	    WOLFSSL_SUCCESS) {
		snprintf(why, sizeof(why), "wolfSSL cannot use the token's key");
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	attls_errors_add(errs, p->file, line, "%s: %s", line == kr->key_line ? "key" : "cert",
			 why);
out:
	free(der);
	attls_p11uri_free(&key);
	attls_p11uri_free(&cert);
	return rc;
}

static int load_files(const struct attls_policy *p, const struct attls_keyring *kr,
		      WOLFSSL_CTX *ctx, struct attls_errors *errs)
{
	char why[128];
	int rc = attls_wolf.wolfSSL_CTX_use_certificate_chain_file(ctx, kr->cert);

	if (rc != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->cert_line,
				 "cert: cannot load the PEM certificate chain %s (%s)", kr->cert,
				 attls_wolf_strerror(rc, why, sizeof(why)));
		return -1;
	}
	rc = attls_wolf.wolfSSL_CTX_use_PrivateKey_file(ctx, kr->key, WOLFSSL_FILETYPE_PEM);
	if (rc != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->key_line,
				 "key: cannot load the PEM private key %s (%s)", kr->key,
				 attls_wolf_strerror(rc, why, sizeof(why)));
		return -1;
	}
	if (attls_wolf.wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
		attls_errors_add(errs, p->file, kr->key_line,
				 "key: %s does not match the certificate in %s", kr->key, kr->cert);
		return -1;
	}
	return 0;
}

int attls_keyring_load(const struct attls_policy *p, const struct attls_keyring *kr,
		       WOLFSSL_CTX *ctx, struct attls_errors *errs)
{
	char why[128];
	int rc;

	if (kr->cert && (attls_p11uri_is(kr->key) ? load_token_objects(p, kr, ctx, errs) :
						    load_files(p, kr, ctx, errs)) < 0)
		return -1;
	if (kr->ca) {
		bool dir = is_dir(kr->ca);

		rc = attls_wolf.wolfSSL_CTX_load_verify_locations(ctx, dir ? NULL : kr->ca,
								  dir ? kr->ca : NULL);
		if (rc != WOLFSSL_SUCCESS) {
			attls_errors_add(errs, p->file, kr->ca_line,
					 "ca: cannot load CA certificates from %s (%s)", kr->ca,
					 attls_wolf_strerror(rc, why, sizeof(why)));
			return -1;
		}
	}
	return 0;
}

int attls_keyring_check(const struct attls_policy *p, const struct attls_keyring *kr,
			WOLFSSL_CTX *ctx, struct attls_errors *errs)
{
	char why[192];

	if (attls_keyring_load(p, kr, ctx, errs) < 0)
		return -1;
	if (kr->cert && attls_keycheck(ctx, why, sizeof(why)) < 0) {
		attls_errors_add(errs, p->file, kr->key_line, "key: %s", why);
		return -1;
	}
	return 0;
}
