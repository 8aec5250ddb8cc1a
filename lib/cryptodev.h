/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Crypto devices: AES-GCM for the record layer on the processor's crypto
 * instructions through a private copy of libgcrypt (dlmopen'ed into a link
 * namespace of its own, so the program's libgcrypt is never touched),
 * behind wolfSSL's crypto callbacks. Everything else stays with wolfSSL.
 */
#ifndef ATTLS_CRYPTODEV_H
#define ATTLS_CRYPTODEV_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "wolf.h"

#define ATTLS_CRYPTODEV_ID 0x41544c53 /* "ATLS" */

/*
 * Chooses the device the policy asks for (after attls_wolf_load). desc
 * says which one and why, for example "cpu: libgcrypt 1.10.1, aesni+pclmul".
 * Returns the device in use: ATTLS_DEVICE_CPU or ATTLS_DEVICE_SOFTWARE.
 */
enum attls_device attls_cryptodev_setup(enum attls_device want, unsigned trace, char *desc,
					size_t len);

/*
 * device = auto where both wolfSSL and libgcrypt have AES assembly: the
 * figures of each (bytes per second sealing AES-128-GCM records of 16 KiB
 * and of 1 KiB), measured once per process (at its first session when the
 * engine defers the choice). libgcrypt is preferred only
 * when it seals an even mix (16 KiB as one record, 16 KiB as sixteen of
 * 1 KiB) more than 5% faster: closer than that is noise, and wolfSSL's
 * own code needs no callback. A figure <= 0 is a failed measurement.
 */
struct attls_gcm_speed {
	double big, small;
};
bool attls_cryptodev_prefer_gcrypt(const struct attls_gcm_speed *wolf,
				   const struct attls_gcm_speed *gcrypt);

/*
 * The choice left to the first session (a program's start under attls
 * then costs no measurement and no libgcrypt): defer records what the
 * policy wants; choose (the engine calls it before each new session, the
 * first call chooses, logging ATTLS070I) makes it; session_start puts
 * each session on the device chosen. A reload does not change it.
 */
void attls_cryptodev_defer(enum attls_device want, unsigned trace);
void attls_cryptodev_choose(void);

/* Puts a context's sessions on the device in use, if any (not when deferred). */
void attls_cryptodev_apply(WOLFSSL_CTX *ctx);

/*
 * A device that fails at run time (ATTLS071W, once) before it wrote any
 * output leaves the operation to wolfSSL's software; one that fails after
 * (the tag, say) fails that record with WC_HW_E, its output wiped. Either
 * way sessions that start later do not use it: session_start takes a new
 * session off a failed device.
 */
void attls_cryptodev_session_start(WOLFSSL *ssl);
bool attls_cryptodev_usable(void);

/* For tests: the device fails as a broken accelerator would, from now on. */
enum attls_cryptodev_fault {
	ATTLS_DEVICE_WORKS,
	ATTLS_DEVICE_FAILS,	     /* every operation, before any output */
	ATTLS_DEVICE_FAILS_GETTAG,   /* encryption: the tag, after the output */
	ATTLS_DEVICE_FAILS_CHECKTAG, /* decryption: the tag check (not a bad tag) */
};
void attls_cryptodev_break(enum attls_cryptodev_fault f);

/* What a session's cipher runs on, and why: "cpu: libgcrypt ..." or "software: ...". */
const char *attls_cryptodev_session(WOLFSSL *ssl, char *buf, size_t len);

/*
 * The version of attls's private libgcrypt ("1.10.1"), loading it if it is
 * not yet loaded, or NULL with the reason in why.
 */
const char *attls_cryptodev_gcrypt_version(char *why, size_t len);

#endif
