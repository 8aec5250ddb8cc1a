/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "trace.h"

static const struct {
	const char *id;
	unsigned bit;
	const char *text;
} catalogue[] = {
#define ATTLS_MSG_ROW(sym, id, bit, text) { id, bit, text },
	ATTLS_MESSAGES(ATTLS_MSG_ROW)
#undef ATTLS_MSG_ROW
};

static unsigned trace_mask = ATTLS_TRACE_DEFAULT;
static int trace_facility = LOG_DAEMON;
static int trace_open;

void attls_trace_setup(unsigned mask, int facility)
{
	trace_mask = mask;
	if (!trace_open || facility != trace_facility) {
		trace_facility = facility;
		openlog("attls", LOG_PID, facility);
		trace_open = 1;
	}
}

unsigned attls_trace_mask(void)
{
	return trace_mask;
}

bool attls_trace_on(unsigned mask, enum attls_msg m)
{
	unsigned bit = catalogue[m].bit;

	if (bit == ATTLS_TRACE_ERROR)
		return mask & (ATTLS_TRACE_ERROR | ATTLS_TRACE_ERROR_STDERR);
	return mask & bit;
}

const char *attls_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!len)
		return out;
	for (const unsigned char *c = (const unsigned char *)in; *c; c++) {
		bool plain = *c >= 0x20 && *c < 0x7f;

		if (o + (plain ? 1 : 4) >= len)
			break;
		if (plain) {
			out[o++] = (char)*c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*c >> 4];
			out[o++] = hex[*c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

void attls_trace(unsigned mask, enum attls_msg m, const char *who,
		 const char *fmt, ...)
{
	char line[1024], esc[1024];
	int off, saved = errno;
	va_list ap;

	if (!attls_trace_on(mask, m))
		return;
	off = snprintf(line, sizeof(line), "%s %s%s%s", catalogue[m].id,
		       catalogue[m].text, who ? " " : "", who ? who : "");
	if (fmt && off > 0 && (size_t)off < sizeof(line) - 2) {
		line[off++] = ':';
		line[off++] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
		va_end(ap);
	}
	/* One line of printable ASCII, whatever a peer put in a certificate. */
	attls_escape(line, esc, sizeof(esc));
	if (catalogue[m].bit == ATTLS_TRACE_ERROR) {
		if (mask & ATTLS_TRACE_ERROR)
			syslog(LOG_ERR, "%s", esc);
		if (mask & ATTLS_TRACE_ERROR_STDERR)
			dprintf(STDERR_FILENO, "attls[%d]: %s\n", (int)getpid(), esc);
	} else {
		syslog(catalogue[m].bit >= ATTLS_TRACE_FLOW ? LOG_DEBUG : LOG_INFO,
		       "%s", esc);
	}
	errno = saved;
}

const char *attls_msg_id(enum attls_msg m)
{
	return catalogue[m].id;
}

const char *attls_msg_text(enum attls_msg m)
{
	return catalogue[m].text;
}

unsigned attls_msg_bit(enum attls_msg m)
{
	return catalogue[m].bit;
}
