/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysio.h"
#include "filetrust.h"
#include "pkcs11.h"
#include "wolf.h"

#include <wolfssl/wolfcrypt/wc_pkcs11.h>

/* Not in wolfSSL's pkcs11.h. */
#define P11_CKO_CERTIFICATE 0x1UL
#define P11_CKR_PIN_INCORRECT 0xA0UL
#define P11_CKR_PIN_LOCKED 0xA4UL
#define P11_CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define P11_CKR_ALREADY_INITIALIZED 0x191UL

/* Device ids for tokens: "P11" and a number. */
#define DEVID_BASE 0x50313100

struct module {
	char *path;
	Pkcs11Dev dev;
	pid_t pid; /* the process that initialised it */
	struct module *next;
};

struct token {
	struct module *m;
	char *label;
	CK_SLOT_ID slot;
	unsigned char *pin; /* lives as long as the token: wolfSSL keeps it */
	size_t pin_len;
	Pkcs11Token tok;
	int dev_id;
	pid_t pid; /* the process whose session tok holds */
	pthread_mutex_t lock; /* the token's session: 9 in shim/locks.h */
	struct token *next;
};

/* modules, tokens: 8 in shim/locks.h; fork: prepare takes it, both let go. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct module *modules;
static struct token *tokens;
static int next_dev = DEVID_BASE;

/*
 * The PIN file is read with no stdio buffer in between: the file's bytes
 * are in one buffer, wiped and freed here, and the PIN in the one returned,
 * which the caller wipes.
 */
char *attls_p11_read_pin(const char *source, char *err, size_t errlen)
{
	const char *path = strncmp(source, "file:", 5) ? source : source + 5;
	char why[384];
	size_t len, n;
	unsigned char *buf = attls_trust_read(path, ATTLS_TRUST_SECRET, 4096, &len, why,
					      sizeof(why));
	char *pin;

	if (!buf) {
		snprintf(err, errlen, "pin-source %s", why);
		return NULL;
	}
	n = strcspn((const char *)buf, "\r\n");
	if (!n) {
		attls_trust_free(buf, len);
		snprintf(err, errlen, "pin-source %s: empty", path);
		return NULL;
	}
	pin = strndup((const char *)buf, n);
	attls_trust_free(buf, len);
	if (!pin)
		snprintf(err, errlen, "pin-source %s: out of memory", path);
	return pin;
}

/*
 * The module is opened and checked once (owned by root or the user, not
 * writable by group or others) and loaded through /proc/self/fd/N of that
 * descriptor, so that what is loaded is what was checked.
 */
static struct module *module_get(const char *path, char *err, size_t errlen)
{
	struct module *m;
	struct stat st, via;
	char why[384], proc[64];
	int rc, fd;

	for (m = modules; m; m = m->next)
		if (!strcmp(m->path, path))
			return m;
	fd = attls_trust_open(path, ATTLS_TRUST_PUBLIC, ATTLS_TRUST_FILE, &st, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "PKCS#11 module %s", why);
		return NULL;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (stat(proc, &via) < 0 || via.st_dev != st.st_dev || via.st_ino != st.st_ino) {
		snprintf(err, errlen, "PKCS#11 module %s: not loaded: /proc is not mounted, and "
			 "a module is only loaded through /proc/self/fd of the file checked", path);
		attls_io.close(fd);
		return NULL;
	}
	if (!(m = calloc(1, sizeof(*m))) || !(m->path = strdup(path))) {
		free(m);
		attls_io.close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = wc_Pkcs11_Initialize(&m->dev, proc, NULL);
	attls_io.close(fd); /* the mapping keeps what was loaded */
	if (rc != 0) {
		snprintf(err, errlen, "PKCS#11 module %s cannot be loaded or initialised (%d)",
			 path, rc);
		free(m->path);
		free(m);
		return NULL;
	}
	m->pid = getpid();
	m->next = modules;
	modules = m;
	return m;
}

/* The slot of the token with this label (blank-padded to 32 in PKCS#11). */
static int find_slot(struct module *m, const char *label, CK_SLOT_ID *slot, char *err,
		     size_t errlen)
{
	CK_ULONG n = 0;
	CK_SLOT_ID *slots;
	size_t len = strlen(label);

	if (m->dev.func->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK || !n ||
	    !(slots = calloc(n, sizeof(*slots)))) {
		snprintf(err, errlen, "no token \"%s\": module %s has no token at all", label,
			 m->path);
		return -1;
	}
	if (m->dev.func->C_GetSlotList(CK_TRUE, slots, &n) == CKR_OK) {
		for (CK_ULONG i = 0; i < n; i++) {
			CK_TOKEN_INFO info;
			size_t end = sizeof(info.label);

			if (m->dev.func->C_GetTokenInfo(slots[i], &info) != CKR_OK)
				continue;
			while (end && info.label[end - 1] == ' ')
				end--;
			if (end == len && !memcmp(info.label, label, len)) {
				*slot = slots[i];
				free(slots);
				return 0;
			}
		}
	}
	free(slots);
	snprintf(err, errlen, "no token labelled \"%s\" in %s", label, m->path);
	return -1;
}

/* Logs in on a session of our own, to tell a wrong PIN from other faults. */
static int check_pin(struct module *m, CK_SLOT_ID slot, const char *name,
		     const unsigned char *pin, size_t len, char *err, size_t errlen)
{
	CK_SESSION_HANDLE h;
	CK_RV rv = m->dev.func->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h);

	if (rv != CKR_OK) {
		snprintf(err, errlen, "token \"%s\": cannot open a session (CKR 0x%lx)", name,
			 (unsigned long)rv);
		return -1;
	}
	rv = m->dev.func->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)len);
	m->dev.func->C_CloseSession(h);
	if (rv == CKR_OK || rv == P11_CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	if (rv == P11_CKR_PIN_INCORRECT)
		snprintf(err, errlen, "token \"%s\": the PIN is wrong", name);
	else if (rv == P11_CKR_PIN_LOCKED)
		snprintf(err, errlen, "token \"%s\": the PIN is locked", name);
	else
		snprintf(err, errlen, "token \"%s\": cannot log in (CKR 0x%lx)", name,
			 (unsigned long)rv);
	return -1;
}

/*
 * In a forked child the module and the session are the parent's: the
 * child initialises the module again and opens its own session.
 */
static int reopen_if_forked(struct token *t)
{
	pid_t me = getpid();

	if (t->pid == me)
		return 0;
	if (t->m->pid != me) {
		CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
		CK_FUNCTION_LIST *f = t->m->dev.func;
		CK_RV rv = f->C_Initialize(&args);

		/* A module with no fork detection still holds the parent's state. */
		if (rv == P11_CKR_ALREADY_INITIALIZED) {
			f->C_Finalize(NULL);
			rv = f->C_Initialize(&args);
		}
		if (rv != CKR_OK)
			return -1;
		t->m->pid = me;
	}
	t->tok.handle = 0;
	if (wc_Pkcs11Token_Open(&t->tok, 0) != 0)
		return -1;
	t->pid = me;
	return 0;
}

/* The token's crypto device: one call at a time on its one session. */
static int token_cb(int dev_id, wc_CryptoInfo *info, void *ctx)
{
	struct token *t = ctx;
	int rc;

	pthread_mutex_lock(&t->lock);
	rc = reopen_if_forked(t) < 0 ? WC_HW_E :
				       wc_Pkcs11_CryptoDevCb(dev_id, info, &t->tok);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

static struct token *token_by_dev(int dev_id)
{
	for (struct token *t = tokens; t; t = t->next)
		if (t->dev_id == dev_id)
			return t;
	return NULL;
}

int attls_p11_open(const char *module, const struct attls_p11uri *u, const char *pin,
		   int *dev_id, char *err, size_t errlen)
{
	const char *name = u->token ? u->token : "(slot)";
	struct module *m;
	struct token *t;
	CK_SLOT_ID slot;
	int rc = -1;

	pthread_mutex_lock(&reg_lock);
	if (!(m = module_get(module, err, errlen)))
		goto out;
	if (u->slot_id >= 0)
		slot = (CK_SLOT_ID)u->slot_id;
	else if (find_slot(m, u->token, &slot, err, errlen) < 0)
		goto out;
	for (t = tokens; t; t = t->next) {
		if (t->m == m && t->slot == slot) {
			if (t->pin_len != strlen(pin) || memcmp(t->pin, pin, t->pin_len)) {
				snprintf(err, errlen, "token \"%s\": given two different PINs", name);
				goto out;
			}
			*dev_id = t->dev_id;
			rc = 0;
			goto out;
		}
	}
	if (check_pin(m, slot, name, (const unsigned char *)pin, strlen(pin), err, errlen) < 0)
		goto out;
	if (!(t = calloc(1, sizeof(*t))) || !(t->pin = (unsigned char *)strdup(pin)) ||
	    !(t->label = strdup(name))) {
		if (t)
			free(t->pin);
		free(t);
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	t->m = m;
	t->slot = slot;
	t->pin_len = strlen(pin);
	t->dev_id = next_dev++;
	pthread_mutex_init(&t->lock, NULL);
	if (wc_Pkcs11Token_Init(&t->tok, &m->dev, (int)slot, u->token, t->pin,
					   (int)t->pin_len) != 0 ||
	    wc_Pkcs11Token_Open(&t->tok, 0) != 0 ||
	    wc_CryptoCb_RegisterDevice(t->dev_id, token_cb, t) != 0) {
		snprintf(err, errlen, "token \"%s\": cannot open its session", name);
		explicit_bzero(t->pin, t->pin_len);
		free(t->pin);
		free(t->label);
		free(t);
		goto out;
	}
	t->pid = getpid();
	t->next = tokens;
	tokens = t;
	*dev_id = t->dev_id;
	rc = 0;
out:
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

static const char *describe(const struct attls_p11uri *u, char *buf, size_t len)
{
	if (u->object)
		snprintf(buf, len, "object=%s", u->object);
	else
		snprintf(buf, len, "id of %zu bytes", u->id_len);
	return buf;
}

int attls_p11_find(int dev_id, enum attls_p11_class cls, const struct attls_p11uri *u,
		   unsigned char **der, size_t *der_len, char *err, size_t errlen)
{
	CK_OBJECT_CLASS klass = cls == ATTLS_P11_CERTIFICATE ? P11_CKO_CERTIFICATE :
							       CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[3] = { { CKA_CLASS, &klass, sizeof(klass) } };
	CK_ULONG n = 1, found = 0;
	CK_OBJECT_HANDLE obj;
	CK_FUNCTION_LIST *f;
	struct token *t;
	char what[96];
	int rc = -1;

	pthread_mutex_lock(&reg_lock);
	t = token_by_dev(dev_id);
	pthread_mutex_unlock(&reg_lock);
	if (!t) {
		snprintf(err, errlen, "no such token");
		return -1;
	}
	if (u->object)
		tmpl[n++] = (CK_ATTRIBUTE){ CKA_LABEL, u->object, strlen(u->object) };
	if (u->has_id)
		tmpl[n++] = (CK_ATTRIBUTE){ CKA_ID, (void *)u->id, u->id_len };
	pthread_mutex_lock(&t->lock);
	f = t->tok.func;
	if (reopen_if_forked(t) == 0 && f->C_FindObjectsInit(t->tok.handle, tmpl, n) == CKR_OK) {
		if (f->C_FindObjects(t->tok.handle, &obj, 1, &found) != CKR_OK)
			found = 0;
		f->C_FindObjectsFinal(t->tok.handle);
	}
	if (!found) {
		snprintf(err, errlen, "token \"%s\" has no %s with %s", t->label,
			 cls == ATTLS_P11_CERTIFICATE ? "certificate" : "private key",
			 describe(u, what, sizeof(what)));
		goto out;
	}
	if (cls == ATTLS_P11_CERTIFICATE) {
		CK_ATTRIBUTE value = { CKA_VALUE, NULL, 0 };

		if (f->C_GetAttributeValue(t->tok.handle, obj, &value, 1) != CKR_OK ||
		    !(value.pValue = malloc(value.ulValueLen)) ||
		    f->C_GetAttributeValue(t->tok.handle, obj, &value, 1) != CKR_OK) {
			free(value.pValue);
			snprintf(err, errlen, "token \"%s\": cannot read the certificate", t->label);
			goto out;
		}
		*der = value.pValue;
		*der_len = value.ulValueLen;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* fork: 8 and 9 in shim/locks.h; the child reopens its tokens at first use. */
void attls_p11_atfork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
	for (struct token *t = tokens; t; t = t->next)
		pthread_mutex_lock(&t->lock);
}

void attls_p11_atfork_release(void)
{
	for (struct token *t = tokens; t; t = t->next)
		pthread_mutex_unlock(&t->lock);
	pthread_mutex_unlock(&reg_lock);
}
