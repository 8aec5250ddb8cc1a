/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowcheck.h"
#include "certid.h"
#include "peername.h"
#include "trace.h"

static void sha_hex(const unsigned char sha[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", sha[i]);
}

/* Whether the leaf x may talk to us; ATTLS024E when not. */
static bool check_leaf(struct attls_allow_state *st, WOLFSSL_X509 *x)
{
	struct attls_peer_id *id = malloc(sizeof(*id)); /* 3 KiB: off the stack */
	char subject[256], sans[400], hex[65] = "?";
	const unsigned char *der;
	int len = 0;
	size_t which;

	der = x ? wolfSSL_X509_get_der(x, &len) : NULL;
	if (!id || !der || len <= 0 || attls_cert_id(der, (size_t)len, id) < 0) {
		attls_trace(st->trace, ATTLS_MSG_PEER_NOT_ALLOWED, st->who,
			    "allow_peer=%s:%d: the peer's certificate cannot be read%s", st->file,
			    st->allow->line, id ? "" : " (out of memory)");
		free(id);
		st->refused = true;
		return false;
	}
	if (attls_allow_match(st->allow, id, &which)) {
		free(id);
		st->passed = true;
		return true;
	}
	attls_peer_name(wolfSSL_X509_get_subject_name(x), subject, sizeof(subject));
	attls_cert_sans_str(id, sans, sizeof(sans));
	sha_hex(id->sha256, hex);
	free(id);
	attls_trace(st->trace, ATTLS_MSG_PEER_NOT_ALLOWED, st->who,
		    "allow_peer=%s:%d matches none of the peer's names: peer=\"%s\" san=\"%s\" "
		    "sha256=%s", st->file, st->allow->line, subject[0] ? subject : "none",
		    sans, hex);
	st->refused = true;
	return false;
}

int attls_allow_verify_cb(int ok, WOLFSSL_X509_STORE_CTX *store)
{
	struct attls_allow_state *st = store ? store->userCtx : NULL;

	/* Never turns wolfSSL's "no" into a yes; only the leaf is ours to judge. */
	if (!ok || !store)
		return 0;
	if (wolfSSL_X509_STORE_CTX_get_error_depth(store) != 0)
		return ok;
	/* A session without its state cannot be checked: refused. */
	if (!st || !st->allow)
		return 0;
	return check_leaf(st, wolfSSL_X509_STORE_CTX_get_current_cert(store)) ? 1 : 0;
}

void attls_allow_session(WOLFSSL *ssl, struct attls_allow_state *st)
{
	if (st->allow)
		wolfSSL_SetCertCbCtx(ssl, st);
}

bool attls_allow_after(struct attls_allow_state *st, WOLFSSL *ssl)
{
	if (!st->allow || st->passed)
		return true;
	if (st->refused)
		return false;
	if (wolfSSL_session_reused(ssl))
		return true;
	attls_trace(st->trace, ATTLS_MSG_PEER_NOT_ALLOWED, st->who,
		    "allow_peer=%s:%d: the handshake ended with no certificate checked",
		    st->file, st->allow->line);
	st->refused = true;
	return false;
}

void attls_allow_no_cert(struct attls_allow_state *st)
{
	attls_trace(st->trace, ATTLS_MSG_PEER_NOT_ALLOWED, st->who,
		    "allow_peer=%s:%d: the peer sent no certificate, and only a certificate "
		    "can match", st->file, st->allow->line);
	st->refused = true;
}

int attls_allow_bind(unsigned char binding[32], const struct attls_allow *a)
{
	static const char tag[] = "attls allow_peer 1";
	wc_Sha256 sha;
	int rc;

	if (!a)
		return 0;
	if (wc_InitSha256(&sha) != 0)
		return -1;
	rc = wc_Sha256Update(&sha, (const byte *)tag, sizeof(tag)) ||
	     wc_Sha256Update(&sha, binding, 32);
	/* Each pattern whole, its kind first; NULs keep them apart. */
	for (size_t i = 0; !rc && i < a->n; i++) {
		const struct attls_allow_pat *p = &a->pat[i];
		unsigned char k = (unsigned char)p->kind;

		rc = wc_Sha256Update(&sha, &k, 1);
		if (!rc && p->glob)
			rc = wc_Sha256Update(&sha, (const byte *)p->glob,
					     (word32)strlen(p->glob) + 1);
		else if (!rc && p->kind == ATTLS_PEER_IP)
			rc = wc_Sha256Update(&sha, (const byte *)&p->cidr, sizeof(p->cidr));
		else if (!rc)
			rc = wc_Sha256Update(&sha, p->sha256, 32);
	}
	if (!rc)
		rc = wc_Sha256Final(&sha, binding);
	wc_Sha256Free(&sha);
	return rc ? -1 : 0;
}
