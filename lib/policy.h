/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy: an INI file turned into validated descriptors. */
#ifndef ATTLS_POLICY_H
#define ATTLS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ATTLS_NAME_MAX 64

/* Trace bits, with AT-TLS's meanings. */
enum attls_trace_bit {
	ATTLS_TRACE_ERROR_STDERR = 1,
	ATTLS_TRACE_ERROR = 2,
	ATTLS_TRACE_INFO = 4,
	ATTLS_TRACE_EVENT = 8,
	ATTLS_TRACE_FLOW = 16,
	ATTLS_TRACE_DATA = 32,
};
#define ATTLS_TRACE_DEFAULT ATTLS_TRACE_ERROR

enum attls_direction {
	ATTLS_DIR_INBOUND = 1,  /* accepted */
	ATTLS_DIR_OUTBOUND = 2, /* connected */
	ATTLS_DIR_BOTH = 3,
};

enum attls_role { ATTLS_ROLE_DEFAULT, ATTLS_ROLE_SERVER, ATTLS_ROLE_CLIENT };

enum attls_client_auth {
	ATTLS_CLIENT_AUTH_NONE,
	ATTLS_CLIENT_AUTH_OPTIONAL,
	ATTLS_CLIENT_AUTH_REQUIRED,
};

enum attls_device { ATTLS_DEVICE_AUTO, ATTLS_DEVICE_CPU, ATTLS_DEVICE_SOFTWARE };

/* Protocol bits for [security] protocols. */
enum attls_proto {
	ATTLS_PROTO_TLS10 = 1,
	ATTLS_PROTO_TLS11 = 2,
	ATTLS_PROTO_TLS12 = 4,
	ATTLS_PROTO_TLS13 = 8,
};

struct attls_port_range {
	uint16_t lo, hi;
};

struct attls_port_set {
	bool any;
	size_t n;
	struct attls_port_range *r;
};

struct attls_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

struct attls_addr_set {
	bool any;
	size_t n;
	struct attls_cidr *c;
};

struct attls_allow; /* allowpeer.h */
/* What an expired CRL does (crl_expired). */
enum attls_crl_expired { ATTLS_CRL_EXPIRED_REFUSE, ATTLS_CRL_EXPIRED_WARN };

/* How a client checks its server's certificate with OCSP (ocsp). */
enum attls_ocsp {
	ATTLS_OCSP_OFF,
	ATTLS_OCSP_STAPLED,          /* a staple sent is checked; none: accepted */
	ATTLS_OCSP_REQUIRED_STAPLED, /* no good staple: refused */
	ATTLS_OCSP_RESPONDER,        /* the responder is asked (ocsp_url or AIA) */
};

struct attls_keyring {
	char name[ATTLS_NAME_MAX];
	int line;
	char *cert, *key, *ca;
	int cert_line, key_line, ca_line;
	/* Revocation (revoke.h). */
	char *crl;      /* CRL file or directory; NULL: none */
	char *ocsp_url; /* overrides the certificates' AIA; NULL: the AIA's */
	int crl_line, crl_expired_line, ocsp_line, ocsp_url_line, ocsp_timeout_line;
	int ocsp_staple_line;
	enum attls_crl_expired crl_expired;
	enum attls_ocsp ocsp;
	unsigned ocsp_timeout_ms; /* 0: the default */
	bool ocsp_staple;         /* role server: staple our own certificate's status */
	/*
	 * Written when the contexts are built (revoke.c), before the policy
	 * is in force, and only read after: the CRLs found expired, for the
	 * reason a refused handshake gives. NULL: none.
	 */
	char *crl_note;
	/*
	 * ocsp_staple: the response kept (staple.h), made with the first
	 * server context, freed with the policy; its own atomics.
	 */
	struct attls_staple *staple;
	/*
	 * crl_expired = warn: the earliest next update of the CRLs that were
	 * current at load (0: none), written when the contexts are built;
	 * whether its passing was said (atomic: any handshake's thread; a
	 * fork's child does not say again what its parent said).
	 */
	time_t crl_warn_next;
	_Atomic bool crl_late_said;
	/*
	 * Parse-time: the keys of this section whose value was refused (bit
	 * i: the i-th key of its kind in policy.c; see attls_refused), and
	 * whether any of its own lines was an error. The checks after the
	 * parse skip what depends on a refused value (one error per
	 * mistake); attls check proves only key rings that are not broken.
	 */
	unsigned long refused;
	bool broken;
};

struct attls_security {
	char name[ATTLS_NAME_MAX];
	int line;
	unsigned protocols; /* enum attls_proto bits */
	int protocols_line;
	bool allow_legacy;
	char *ciphers; /* wolfSSL cipher list; NULL: the AEAD default */
	int ciphers_line;
	enum attls_client_auth client_auth;
	struct attls_allow *allow_peer; /* NULL: any verified peer */
	/*
	 * Parse-time: the keys of this section whose value was refused (bit
	 * i: the i-th key of its kind in policy.c; see attls_refused), and
	 * whether any of its own lines was an error. The checks after the
	 * parse skip what depends on a refused value (one error per
	 * mistake); attls check proves only key rings that are not broken.
	 */
	unsigned long refused;
	bool broken;
};

struct attls_traffic {
	char name[ATTLS_NAME_MAX];
	int line;
	unsigned direction;
	struct attls_port_set local_port, remote_port;
	struct attls_addr_set local_addr, remote_addr;
	char *jobname; /* glob */
	char *user;    /* glob on the name, or a uid */
	enum attls_role role;
	char *server_name;
	int server_name_line;
	struct attls_keyring *keyring;
	struct attls_security *security;
	long priority;
	bool enabled;
	int trace; /* -1: the global one */
	/* Its own allow_peer, which replaces its level's; NULL: the level's. */
	struct attls_allow *allow_peer;
	/* Parse-time only: the names referred to and their lines. */
	char keyring_ref[ATTLS_NAME_MAX], security_ref[ATTLS_NAME_MAX];
	int keyring_line, security_line;
	/*
	 * Built when the policy loads (tlsctx.c): one per role it can take,
	 * shared by every descriptor with the same key ring and security
	 * level, and owned by the policy's ctxs.
	 */
	void *ctx_server, *ctx_client;
	/*
	 * Parse-time: the keys of this section whose value was refused (bit
	 * i: the i-th key of its kind in policy.c; see attls_refused), and
	 * whether any of its own lines was an error. The checks after the
	 * parse skip what depends on a refused value (one error per
	 * mistake); attls check proves only key rings that are not broken.
	 */
	unsigned long refused;
	bool broken;
};

/* A wolfSSL context and what its server sessions' tickets are bound to. */
struct attls_tlsctx {
	void *ctx;
	unsigned char binding[32];
};

struct attls_policy {
	char *file;
	unsigned trace;
	int syslog_facility;
	unsigned handshake_timeout_ms;
	char *ticket_key_file; /* shared ticket keys; NULL: random per process */
	int ticket_key_file_line;
	/*
	 * sessions_from: users (names or numeric uids) whose processes may
	 * hand this process TLS sessions through SCM_RIGHTS, besides root and
	 * its own user; NULL: none.
	 */
	char **sessions_from;
	size_t n_sessions_from;
	/*
	 * inherit: whether programs this one execs keep attls in LD_PRELOAD
	 * (shim/exec.c); yes by default.
	 */
	bool inherit;
	enum attls_device device;
	/* PKCS#11 defaults for key rings whose URIs do not say ([crypto]). */
	char *p11_module, *p11_pin_source, *p11_pin_value;
	int p11_module_line, p11_pin_source_line, p11_pin_value_line;
	size_t n_keyrings, n_security, n_traffic;
	struct attls_keyring *keyrings;
	struct attls_security *security;
	struct attls_traffic *traffic;
	/* The earliest of the key rings' crl_warn_next (0: none), set with them. */
	time_t crl_warn_next;
	/* The contexts tlsctx.c built, each once (attls_tlsctx_free). */
	size_t n_ctxs;
	struct attls_tlsctx **ctxs;
	/* The descriptors by port (matchindex.h); NULL: match looks at all. */
	struct attls_match_index *match_index;
	/*
	 * References (policyref.c): the engine's while it is in force, and
	 * one per session made from it, whose contexts and ticket bindings
	 * it holds; 1 when loaded. Atomic: the last drop frees it, from
	 * whichever thread ends the last connection.
	 */
	unsigned long refs;
	/*
	 * With ATTLS_POLICY_KEEP_TEXT: the text it was parsed from, secrets
	 * hidden (attls_policy_text_shown), NUL-terminated; NULL when the
	 * file is larger than ATTLS_POLICY_TEXT_MAX. For attls status.
	 */
	char *text;
	size_t text_len;
};

/* Errors, each "FILE:LINE: message", in file order. */
struct attls_errors {
	size_t n;
	char **msg;
};

void attls_errors_add(struct attls_errors *e, const char *file, int line,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void attls_errors_free(struct attls_errors *e);

/* The largest policy file read, in bytes. */
#define ATTLS_POLICY_MAX (16u << 20)

/* The policy file when ATTLS_CONFIG names none. */
#define ATTLS_DEFAULT_CONFIG "/etc/attls/attls.ini"

/*
 * Reads and validates a policy file: a regular file (after symbolic
 * links) of at most ATTLS_POLICY_MAX bytes, read whole (a read error is
 * an error), with at least one [traffic] descriptor. Returns NULL and
 * fills errs on any error. Checks the key files' modes but does not load certificates: that
 * is attls_tlsctx_build's job.
 */
struct attls_policy *attls_policy_load(const char *file,
				       struct attls_errors *errs);

/* With ATTLS_POLICY_NO_FILES: no file the policy names is opened (attls
 * check --no-keys); only the policy itself is, and checked. */
#define ATTLS_POLICY_NO_FILES 1u
/*
 * The files a policy loaded with ATTLS_POLICY_NO_FILES names, checked as
 * a load without the flag checks them: 0, or -1 with the errors added.
 */
int attls_policy_check_files(struct attls_policy *p, struct attls_errors *errs);
/* Keeps the text parsed (struct attls_policy's text). */
#define ATTLS_POLICY_KEEP_TEXT 2u
/* The largest text kept. */
#define ATTLS_POLICY_TEXT_MAX (256u * 1024u)
/*
 * The policy's text with every PIN (pin_value, a URI's pin-value) shown
 * as "(hidden)": malloc'd and NUL-terminated, *out_len bytes; NULL
 * without memory.
 */
char *attls_policy_text_shown(const char *buf, size_t len, size_t *out_len);
struct attls_policy *attls_policy_load_ex(const char *file, unsigned flags,
					  struct attls_errors *errs);
/*
 * With ATTLS_POLICY_KEEP_BROKEN: a policy with errors is returned all the
 * same (errs says so), for attls check to go on checking the key rings
 * whose own lines passed (attls_tlsctx_check_keyrings). Never put in
 * force; free it with attls_policy_free.
 */
#define ATTLS_POLICY_KEEP_BROKEN 4u
/*
 * Whether key (of a section of the kind kind: "keyring", "security",
 * "traffic") had its value refused, by that section's refused mask.
 */
bool attls_refused(unsigned long refused, const char *kind, const char *key);
void attls_policy_free(struct attls_policy *p);
/*
 * A reference more; or one less, the last freeing the policy and its
 * contexts (attls_tlsctx_free). NULL is let be.
 */
void attls_policy_hold(struct attls_policy *p);
void attls_policy_drop(struct attls_policy *p);

/* Value parsers, shared with the command line. Return 0 or -1. */
/*
 * A decimal number: digits only (no sign, no blank, not empty), at most
 * max, checked before it can overflow. With end, *end gets what follows
 * the digits; without, nothing may follow.
 */
int attls_parse_number(const char *s, unsigned long max, unsigned long *out,
		       const char **end);
int attls_parse_trace(const char *s, unsigned *out);
int attls_parse_ports(const char *s, struct attls_port_set *out);
int attls_parse_addrs(const char *s, struct attls_addr_set *out);
int attls_parse_direction(const char *s, unsigned *out);
int attls_parse_duration_ms(const char *s, unsigned *out);
/* Revocation keys (revoke_values.c): 0, or -1. */
int attls_parse_crl_expired(const char *s, enum attls_crl_expired *out);
int attls_parse_ocsp(const char *s, enum attls_ocsp *out);
/* An http:// URL with a host, an optional port and a path; no https. */
int attls_parse_ocsp_url(const char *s);
const char *attls_ocsp_name(enum attls_ocsp o);
void attls_port_set_free(struct attls_port_set *p);
void attls_addr_set_free(struct attls_addr_set *a);

/* Names for printing. */
const char *attls_role_name(enum attls_role r);
const char *attls_direction_name(unsigned d);
const char *attls_client_auth_name(enum attls_client_auth a);
/* The role a descriptor gets: its own, or the one its direction implies. */
enum attls_role attls_traffic_role(const struct attls_traffic *t,
				   unsigned conn_direction);

#endif
