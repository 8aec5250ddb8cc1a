/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "logsink.h"
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

/*
 * The mask and the facility: written by attls_trace_setup (at the start,
 * or when a policy is loaded, before connections use them) and read by
 * every trace call; relaxed atomics, as either value is a valid one.
 */
static unsigned trace_mask = ATTLS_TRACE_DEFAULT;
static int trace_facility = LOG_DAEMON;

void attls_trace_setup(unsigned mask, int facility)
{
	__atomic_store_n(&trace_mask, mask, __ATOMIC_RELAXED);
	__atomic_store_n(&trace_facility, facility, __ATOMIC_RELAXED);
}

/* One line to the log (logsink.h), with the policy's facility. */
static bool log_line(int severity, enum attls_msg m, const char *msg)
{
	int facility = __atomic_load_n(&trace_facility, __ATOMIC_RELAXED);

	return attls_log_send((facility & LOG_FACMASK) | severity, catalogue[m].id, msg,
			      severity == LOG_ERR);
}

unsigned attls_trace_mask(void)
{
	return __atomic_load_n(&trace_mask, __ATOMIC_RELAXED);
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
		bool logged = (mask & ATTLS_TRACE_ERROR) && log_line(LOG_ERR, m, esc);

		/* An error no log socket took goes to stderr: never lost. */
		if ((mask & ATTLS_TRACE_ERROR_STDERR) || ((mask & ATTLS_TRACE_ERROR) && !logged))
			attls_log_stderr(esc);
	} else {
		log_line(catalogue[m].bit >= ATTLS_TRACE_FLOW ? LOG_DEBUG : LOG_INFO, m, esc);
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
