/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wolfSSL, built from Debian's source for attls (wolfssl/build) and linked
 * into the library with every one of its names hidden: a program's own
 * OpenSSL or wolfSSL is another library that attls never shares state with.
 */
#ifndef ATTLS_WOLF_H
#define ATTLS_WOLF_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfio.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/cryptocb.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/wc_pkcs11.h>

/*
 * Initialises wolfSSL once (thread-safe). Returns 0, or -1 with a reason in
 * err (NUL-terminated, at most errlen bytes).
 */
int attls_wolf_load(char *err, size_t errlen);

/* A readable text for a wolfSSL error code. */
const char *attls_wolf_strerror(int code, char *buf, size_t len);

/* "5.5.4 (Debian 5.5.4-2+deb12u3)": the wolfSSL built in. */
const char *attls_wolf_version(void);

#endif
