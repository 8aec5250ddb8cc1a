/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OCSP over HTTP for wolfSSL (its CbOCSPIO): a POST of the request to the
 * responder, the body of a 200 answer back. attls's own connection, made
 * with the real socket calls (sysio.h) so that it never meets attls's
 * hooks, and bounded as a whole by a timeout.
 */
#ifndef ATTLS_OCSP_HTTP_H
#define ATTLS_OCSP_HTTP_H

#include <stddef.h>

/*
 * POSTs req to url (http://host[:port][/path], urlsz bytes, not NUL-terminated)
 * and waits at most timeout_ms in all. Returns the body's length with
 * *resp (malloc'd), or -1 with a reason in why.
 */
int attls_ocsp_http(const char *url, int urlsz, const unsigned char *req, int reqsz,
		    unsigned timeout_ms, unsigned char **resp, char *why, size_t whylen);

#endif
