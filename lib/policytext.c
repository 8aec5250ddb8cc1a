// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The policy's text as attls status --policy shows it: the bytes the
 * policy was parsed from, with its secrets hidden. A PIN is a secret
 * (pin_value, and a pkcs11 URI's pin-value attribute); nothing else in a
 * policy is (key files are named, never read here).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

#define HIDDEN "(hidden)"

/* Whether line (len bytes) is "pin_value = ...", blanks allowed; *val: the value's start. */
static bool pin_value_line(const char *line, size_t len, size_t *val)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < 9 || strncasecmp(line + i, "pin_value", 9))
		return false;
	i += 9;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || (line[i] != '=' && line[i] != ':'))
		return false;
	i++;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*val = i;
	return true;
}

/* Appends line to o, each "pin-value=..." attribute's value hidden. */
static size_t hide_uri_pins(char *o, const char *line, size_t len)
{
	size_t n = 0, i = 0;

	while (i < len) {
		if (len - i >= 10 && !strncasecmp(line + i, "pin-value=", 10)) {
			memcpy(o + n, line + i, 10);
			n += 10;
			i += 10;
			memcpy(o + n, HIDDEN, sizeof(HIDDEN) - 1);
			n += sizeof(HIDDEN) - 1;
			/* To the next attribute, a blank or a comment. */
			while (i < len && line[i] != '&' && line[i] != ';' && !isspace((unsigned char)line[i]))
				i++;
			continue;
		}
		o[n++] = line[i++];
	}
	return n;
}

char *attls_policy_text_shown(const char *buf, size_t len, size_t *out_len)
{
	/* A hidden value is never longer than "(hidden)" more per 10 bytes of its name. */
	char *o = malloc(len + len + 1);
	size_t n = 0, i = 0;

	if (!o)
		return NULL;
	while (i < len) {
		const char *e = memchr(buf + i, '\n', len - i);
		size_t ll = e ? (size_t)(e - (buf + i)) : len - i, val;

		if (pin_value_line(buf + i, ll, &val)) {
			memcpy(o + n, buf + i, val);
			n += val;
			memcpy(o + n, HIDDEN, sizeof(HIDDEN) - 1);
			n += sizeof(HIDDEN) - 1;
		} else {
			n += hide_uri_pins(o + n, buf + i, ll);
		}
		i += ll;
		if (e) {
			o[n++] = '\n';
			i++;
		}
	}
	o[n] = 0;
	*out_len = n;
	return o;
}
