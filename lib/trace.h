/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tracing to syslog, with AT-TLS's trace bits: attls writes its lines
 * itself (logsink.h: journald's native socket, else /dev/log, else errors
 * to stderr), with ident "attls[pid]" and the policy's facility, whatever
 * the program does with openlog, closelog or LOG_PERROR. Every
 * message is one line that starts with a stable id from the catalogue
 * below (documented in README.md).
 */
#ifndef ATTLS_TRACE_H
#define ATTLS_TRACE_H

#include <stdbool.h>

#include "policy.h"

/* The message catalogue: id, trace bit, text. */
#define ATTLS_MESSAGES(X)                                                              \
	X(POLICY_LOADED, "ATTLS001I", ATTLS_TRACE_EVENT, "policy loaded")              \
	X(POLICY_ERROR, "ATTLS002E", ATTLS_TRACE_ERROR, "policy error")                \
	X(POLICY_REFUSED, "ATTLS003E", ATTLS_TRACE_ERROR,                              \
	  "no policy in force: TCP connects and accepts are refused")                  \
	X(LIB_ERROR, "ATTLS004E", ATTLS_TRACE_ERROR, "cannot start")                   \
	X(NOTHING_TO_DO, "ATTLS005I", ATTLS_TRACE_EVENT,                               \
	  "nothing to do: no descriptor can match this job, no key is read")           \
	X(CONN_MAPPED, "ATTLS010I", ATTLS_TRACE_INFO, "connection mapped")             \
	X(CONN_EXEMPT, "ATTLS011I", ATTLS_TRACE_INFO,                                  \
	  "connection exempted (enabled = no): clear text")                            \
	X(CONN_NOMATCH, "ATTLS012I", ATTLS_TRACE_FLOW,                                 \
	  "connection matched no descriptor: clear text")                              \
	X(CONN_REFUSED, "ATTLS013E", ATTLS_TRACE_ERROR, "connection refused")          \
	X(HS_START, "ATTLS020I", ATTLS_TRACE_EVENT, "handshake started")               \
	X(HS_DONE, "ATTLS021I", ATTLS_TRACE_EVENT, "handshake done")                   \
	X(HS_FAILED, "ATTLS022E", ATTLS_TRACE_ERROR, "handshake failed")               \
	X(HS_TIMEOUT, "ATTLS023E", ATTLS_TRACE_ERROR, "handshake timed out")           \
	X(PEER_NOT_ALLOWED, "ATTLS024E", ATTLS_TRACE_ERROR, "peer not allowed")        \
	X(CRL_EXPIRED, "ATTLS025W", ATTLS_TRACE_ERROR,                                \
	  "CRL expired")                                                               \
	X(CONN_CLOSED, "ATTLS030I", ATTLS_TRACE_EVENT, "connection closed")            \
	X(CONN_ERROR, "ATTLS031E", ATTLS_TRACE_ERROR, "connection failed")             \
	X(CONN_LOST, "ATTLS032E", ATTLS_TRACE_ERROR,                                   \
	  "close could not deliver everything")                                        \
	X(EXEC_CUT, "ATTLS042E", ATTLS_TRACE_ERROR,                                    \
	  "a TLS socket cut at exec: its session cannot go with it")                   \
	X(EXEC_HANDOFF, "ATTLS043I", ATTLS_TRACE_EVENT,                                \
	  "a TLS session taken up (across exec or through SCM_RIGHTS)")                \
	X(TLS_FD_SENT, "ATTLS041I", ATTLS_TRACE_INFO,                                  \
	  "a TLS socket sent through SCM_RIGHTS: its session went with it")            \
	X(TLS_FD_REFUSED, "ATTLS044E", ATTLS_TRACE_ERROR,                              \
	  "a TLS socket sent whose session cannot be carried: its connection ended")   \
	X(TLS_FD_NOT_TAKEN, "ATTLS045E", ATTLS_TRACE_ERROR,                            \
	  "a TLS socket received whose session cannot be taken up")                    \
	X(NO_FD, "ATTLS046W", ATTLS_TRACE_ERROR,                                       \
	  "no descriptor for attls's own use")                                         \
	X(FORK_NOT_OWNER, "ATTLS047E", ATTLS_TRACE_ERROR,                              \
	  "a copy of a TLS socket made by fork is another process's: its calls fail")  \
	X(FLOW_CALL, "ATTLS050I", ATTLS_TRACE_FLOW, "tls call")                        \
	X(DATA_RECORD, "ATTLS060I", ATTLS_TRACE_DATA, "data")                          \
	X(DEVICE, "ATTLS070I", ATTLS_TRACE_EVENT, "crypto device")                     \
	X(DEVICE_FAILED, "ATTLS071W", ATTLS_TRACE_ERROR,                               \
	  "crypto device failed: new sessions use software")                          \
	X(STAPLE_FAILED, "ATTLS072W", ATTLS_TRACE_ERROR,                              \
	  "OCSP staple not fetched: the server serves without one, or with the one "  \
	  "it keeps")                                                                  \
	X(TICKET_KEY_OLD, "ATTLS080W", ATTLS_TRACE_ERROR,                              \
	  "ticket_key_file not rotated for more than two hours")                     \
	X(LOG_FALLBACK, "ATTLS090W", ATTLS_TRACE_ERROR,                                \
	  "no log socket takes attls's lines: errors go to stderr, other lines are not written") \
	X(POLICY_RELOADED, "ATTLS091I", ATTLS_TRACE_EVENT,                             \
	  "policy reloaded: new connections use it")                                   \
	X(RELOAD_FAILED, "ATTLS092E", ATTLS_TRACE_ERROR,                               \
	  "policy not reloaded")                                                       \
	X(RELOAD_DENIED, "ATTLS093E", ATTLS_TRACE_ERROR,                               \
	  "policy not reloaded: a file it names is not readable by this process")

enum attls_msg {
#define ATTLS_MSG_ENUM(sym, id, bit, text) ATTLS_MSG_##sym,
	ATTLS_MESSAGES(ATTLS_MSG_ENUM)
#undef ATTLS_MSG_ENUM
	ATTLS_MSG_COUNT
};

/* Sets where messages go; mask is the global trace mask. */
void attls_trace_setup(unsigned mask, int facility);
unsigned attls_trace_mask(void);

/* Whether message m would be written under the mask. */
bool attls_trace_on(unsigned mask, enum attls_msg m);

/*
 * Writes message m if mask allows it: "ID text: details". who names the
 * connection (may be NULL). Errors also go to stderr when bit 1 is set,
 * and instead of the log when no log socket takes them.
 */
void attls_trace(unsigned mask, enum attls_msg m, const char *who,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The catalogue, for documentation and tests. */
const char *attls_msg_id(enum attls_msg m);
const char *attls_msg_text(enum attls_msg m);
unsigned attls_msg_bit(enum attls_msg m);

/*
 * in as one line of printable ASCII in out (at most len bytes with the
 * NUL): every byte outside 0x20-0x7e as \xNN. What does not fit is cut.
 * Backslashes are left as they are: fields a peer chooses (a certificate
 * subject, see peername.h) escape their own. Returns out.
 */
const char *attls_escape(const char *in, char *out, size_t len);

#endif
