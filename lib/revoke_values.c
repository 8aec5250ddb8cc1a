/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for the revocation keys of a key ring (crl_expired, ocsp, ocsp_url). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

int attls_parse_crl_expired(const char *s, enum attls_crl_expired *out)
{
	if (!strcasecmp(s, "refuse"))
		*out = ATTLS_CRL_EXPIRED_REFUSE;
	else if (!strcasecmp(s, "warn"))
		*out = ATTLS_CRL_EXPIRED_WARN;
	else
		return -1;
	return 0;
}

static const char *const ocsp_names[] = {
	[ATTLS_OCSP_OFF] = "off",
	[ATTLS_OCSP_STAPLED] = "stapled",
	[ATTLS_OCSP_REQUIRED_STAPLED] = "required-stapled",
	[ATTLS_OCSP_RESPONDER] = "responder",
};

int attls_parse_ocsp(const char *s, enum attls_ocsp *out)
{
	for (size_t i = 0; i < sizeof(ocsp_names) / sizeof(ocsp_names[0]); i++)
		if (!strcasecmp(s, ocsp_names[i])) {
			*out = (enum attls_ocsp)i;
			return 0;
		}
	return -1;
}

const char *attls_ocsp_name(enum attls_ocsp o)
{
	return (unsigned)o < sizeof(ocsp_names) / sizeof(ocsp_names[0]) ? ocsp_names[o] : "?";
}

/*
 * http://host[:port][/path]: host a name or an IPv4 address, or an IPv6
 * address in brackets; port 1-65535. The request goes in clear, as OCSP
 * does (the response is signed); https is refused rather than sent clear.
 */
int attls_parse_ocsp_url(const char *s)
{
	const char *h, *e;
	unsigned long port;

	if (strncasecmp(s, "http://", 7))
		return -1;
	h = s + 7;
	if (*h == '[') {
		e = strchr(h, ']');
		if (!e || e == h + 1)
			return -1;
		e++;
	} else {
		e = h + strcspn(h, ":/");
		if (e == h)
			return -1;
		for (const char *c = h; c < e; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
				return -1;
	}
	if (*e == ':') {
		const char *end;

		if (attls_parse_number(e + 1, 65535, &port, &end) < 0 || !port)
			return -1;
		e = end;
	}
	if (*e && *e != '/')
		return -1;
	for (; *e; e++)
		if ((unsigned char)*e <= 0x20 || (unsigned char)*e >= 0x7f)
			return -1;
	return 0;
}
