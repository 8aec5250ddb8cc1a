/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <syslog.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cryptodev.h"
#include "engine.h"
#include "livetab.h"
#include "handoff.h"
#include "envtrust.h"
#include "match.h"
#include "policy.h"
#include "sysio.h"
#include "tlsctx.h"
#include "trace.h"
#include "wolf.h"

#define DEFAULT_CONFIG "/etc/attls/attls.ini"

_Thread_local int attls_inside;

static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static struct attls_policy *policy; /* NULL: none in force, refuse */
static char jobname[64];

static void refuse_all(const char *file, struct attls_errors *errs, const char *why)
{
	char esc[1024];

	attls_trace_setup(ATTLS_TRACE_ERROR, LOG_DAEMON);
	dprintf(STDERR_FILENO, "attls[%d]: %s %s: %s\n", (int)getpid(),
		attls_msg_id(ATTLS_MSG_POLICY_REFUSED), attls_msg_text(ATTLS_MSG_POLICY_REFUSED),
		attls_escape(file, esc, sizeof(esc)));
	attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_POLICY_REFUSED, NULL, "%s", file);
	if (why) {
		dprintf(STDERR_FILENO, "attls[%d]: %s\n", (int)getpid(),
			attls_escape(why, esc, sizeof(esc)));
		attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_LIB_ERROR, NULL, "%s", why);
	}
	for (size_t i = 0; errs && i < errs->n; i++) {
		dprintf(STDERR_FILENO, "attls[%d]: %s\n", (int)getpid(),
			attls_escape(errs->msg[i], esc, sizeof(esc)));
		attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_POLICY_ERROR, NULL, "%s", errs->msg[i]);
	}
}

static void engine_load(void)
{
	struct attls_errors errs = { 0 };
	/* The kernel says whether the caller's environment may choose (envtrust.h). */
	bool secure = attls_secure_exec();
	const char *file = attls_env(secure, "ATTLS_CONFIG");
	char why[256], device[256];
	struct attls_policy *p;

	attls_inside++;
	if (!file || !*file)
		file = DEFAULT_CONFIG;
	if (attls_jobname(secure, jobname, sizeof(jobname)) < 0) {
		refuse_all(file, NULL, "secure-execution mode and /proc/self/exe cannot be "
			   "read: no job name to match rules against");
		goto out;
	}
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		refuse_all(file, NULL, why);
		goto out;
	}
	p = attls_policy_load(file, &errs);
	if (!p) {
		refuse_all(file, &errs, NULL);
		goto out;
	}
	attls_trace_setup(p->trace, p->syslog_facility);
	attls_cryptodev_setup(p->device, p->trace, device, sizeof(device));
	if (attls_tlsctx_build(p, &errs) < 0) {
		refuse_all(file, &errs, NULL);
		attls_policy_free(p);
		goto out;
	}
	attls_trace(p->trace, ATTLS_MSG_POLICY_LOADED, NULL,
		    "%s: %zu traffic descriptors, job=%s", file, p->n_traffic, jobname);
	attls_trace(p->trace, ATTLS_MSG_DEVICE, NULL, "%s", device);
	policy = p;
	/* Its user by uid only: attls status looks the name up, no look-up here. */
	attls_live_process(jobname, NULL, file);
out:
	attls_errors_free(&errs);
	attls_inside--;
}

void attls_engine_init(void)
{
	pthread_once(&engine_once, engine_load);
}

/*
 * The effective user's name, looked up once per uid, outside the hooks.
 * Returns 0 with the name (NULL: the uid has no name), or -1 when the
 * look-up itself failed (an NSS source down): then no name-based user
 * criterion can be decided. Failures are not cached, so the next
 * connection asks again. The cache is per thread: no lock, and a fork
 * keeps the calling thread's answer, which is still right.
 */
static int user_name(uid_t uid, const char **name, int *err)
{
	static _Thread_local uid_t cached_uid = (uid_t)-1;
	static _Thread_local char cached[64];
	struct passwd pw, *res = NULL;
	size_t len = 1024;
	char *buf = NULL;
	int rc;

	*name = NULL;
	if (uid == cached_uid) {
		*name = cached[0] ? cached : NULL;
		return 0;
	}
	attls_inside++;
	for (;;) {
		char *nb = realloc(buf, len);

		if (!nb) {
			rc = ENOMEM;
			break;
		}
		buf = nb;
		rc = getpwuid_r(uid, &pw, buf, len, &res);
		if (rc != ERANGE || len >= 1 << 20)
			break;
		len *= 2;
	}
	attls_inside--;
	/* "Not found" comes back as 0 or as one of these, by NSS source. */
	if (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
		rc = 0;
	if (rc == 0) {
		snprintf(cached, sizeof(cached), "%s", res ? res->pw_name : "");
		cached_uid = uid;
		*name = cached[0] ? cached : NULL;
	}
	free(buf);
	*err = rc;
	return rc ? -1 : 0;
}

/* A connection whose addresses cannot be read cannot be classified: refused. */
static enum attls_verdict classify_failed(const struct attls_new_conn *nc, const char *call)
{
	attls_trace(policy ? policy->trace : ATTLS_TRACE_ERROR, ATTLS_MSG_CONN_REFUSED, NULL,
		    "fd=%d job=%s: %s: %s: the connection cannot be classified", nc->fd, jobname,
		    call, strerror(errno));
	return ATTLS_REFUSE;
}

enum attls_verdict attls_engine_classify(const struct attls_new_conn *nc,
					 struct attls_session **out)
{
	struct attls_conn_info ci = { .direction = nc->direction };
	struct attls_session_params sp = { 0 };
	const struct attls_traffic *t;
	socklen_t len;
	char la[64], ra[64], who[320], resume[384];
	unsigned mask;
	int pw_err = 0;

	attls_engine_init();
	*out = NULL;
	len = sizeof(ci.local);
	if (getsockname(nc->fd, (struct sockaddr *)&ci.local, &len) < 0)
		return classify_failed(nc, "getsockname");
	if (nc->remote) {
		memcpy(&ci.remote, nc->remote, nc->remote->sa_family == AF_INET6 ?
			sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	} else {
		len = sizeof(ci.remote);
		if (getpeername(nc->fd, (struct sockaddr *)&ci.remote, &len) < 0)
			return classify_failed(nc, "getpeername");
	}
	ci.jobname = jobname;
	ci.uid = geteuid();
	if (user_name(ci.uid, &ci.user, &pw_err) < 0 && policy &&
	    attls_user_criterion_applies(policy, &ci)) {
		/* Which rule applies depends on a name we cannot learn: refuse. */
		attls_format_addr(&ci.local, la, sizeof(la));
		attls_format_addr(&ci.remote, ra, sizeof(ra));
		attls_trace(policy->trace, ATTLS_MSG_CONN_REFUSED, NULL,
			    "conn=%s%s%s job=%s uid=%u: the user look-up failed (%s) and a "
			    "user criterion could apply", la,
			    nc->direction == ATTLS_DIR_INBOUND ? "<-" : "->", ra, jobname,
			    (unsigned)ci.uid, strerror(pw_err));
		return ATTLS_REFUSE;
	}
	attls_format_addr(&ci.local, la, sizeof(la));
	attls_format_addr(&ci.remote, ra, sizeof(ra));
	if (!policy) {
		attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_CONN_REFUSED, NULL,
			    "conn=%s%s%s job=%s: no policy in force", la,
			    nc->direction == ATTLS_DIR_INBOUND ? "<-" : "->", ra, jobname);
		return ATTLS_REFUSE;
	}
	t = attls_match(policy, &ci);
	mask = t && t->trace >= 0 ? (unsigned)t->trace : policy->trace;
	snprintf(who, sizeof(who), "conn=%s%s%s job=%s user=%s rule=%s", la,
		 nc->direction == ATTLS_DIR_INBOUND ? "<-" : "->", ra, jobname,
		 ci.user ? ci.user : "?", t ? t->name : "-");
	if (nc->handoff && (!t || !t->enabled)) {
		/* Its peer speaks TLS: clear text would be read as records, or go out as such. */
		attls_trace(mask, ATTLS_MSG_CONN_REFUSED, who, "fd=%d: a TLS session came with it "
			    "across exec or through SCM_RIGHTS, and this process's policy %s",
			    nc->fd,
			    t ? "exempts it (enabled = no)" : "does not cover it");
		return ATTLS_REFUSE;
	}
	if (!t) {
		attls_trace(mask, ATTLS_MSG_CONN_NOMATCH, who, NULL);
		return ATTLS_CLEAR;
	}
	if (!t->enabled) {
		attls_trace(mask, ATTLS_MSG_CONN_EXEMPT, who, NULL);
		return ATTLS_CLEAR;
	}
	sp.role = attls_traffic_role(t, nc->direction);
	sp.ctx = attls_tlsctx_get(t, sp.role);
	sp.fd = nc->fd;
	sp.server_name = t->server_name;
	if (sp.role == ATTLS_ROLE_CLIENT) {
		/* A session is offered again only to the same peer, under the same rule. */
		snprintf(resume, sizeof(resume), "%s|%s|%s", t->name,
			 t->server_name ? t->server_name : "", ra);
		sp.resume_key = resume;
	}
	sp.nonblock = nc->nonblock;
	sp.connecting = nc->connecting;
	sp.trace = mask;
	sp.handshake_timeout_ms = policy->handshake_timeout_ms;
	sp.who = who;
	sp.descriptor = t->name;
	sp.direction = nc->direction;
	sp.local = &ci.local;
	sp.remote = &ci.remote;
	attls_trace(mask, ATTLS_MSG_CONN_MAPPED, who, "role=%s keyring=%s security=%s",
		    attls_role_name(sp.role), t->keyring->name,
		    t->security ? t->security->name : "(default)");
	if (nc->handoff && sp.ctx) {
		/* handoff.c logs why, if it cannot. */
		*out = attls_session_import(&sp, nc->handoff, nc->handoff_len);
		return *out ? ATTLS_TLS : ATTLS_REFUSE;
	}
	*out = sp.ctx ? attls_session_new(&sp) : NULL;
	if (!*out) {
		int err = errno;

		attls_trace(mask, ATTLS_MSG_CONN_REFUSED, who, "no TLS session: %s%s",
			    !sp.ctx ? "no context for this role" :
			    err == ENOMEM ? "out of memory" :
			    "no random numbers for it, getrandom() failed: ",
			    sp.ctx && err != ENOMEM ? strerror(err) : "");
		return ATTLS_REFUSE;
	}
	return ATTLS_TLS;
}

enum attls_verdict attls_engine_unseen(int fd, const char *how, const unsigned char *handoff,
				       size_t handoff_len, struct attls_session **out)
{
	struct attls_conn_info ci = { 0 };
	const struct attls_traffic *t = NULL;
	const char *why = NULL;
	char la[64], ra[64];
	socklen_t len;
	int pw_err = 0, fl;

	attls_engine_init();
	*out = NULL;
	len = sizeof(ci.local);
	if (getsockname(fd, (struct sockaddr *)&ci.local, &len) < 0) {
		why = "getsockname failed: it cannot be classified";
		goto refuse;
	}
	len = sizeof(ci.remote);
	if (getpeername(fd, (struct sockaddr *)&ci.remote, &len) < 0) {
		why = "getpeername failed: it cannot be classified";
		goto refuse;
	}
	ci.jobname = jobname;
	ci.uid = geteuid();
	if (!policy) {
		why = "no policy in force";
		goto refuse;
	}
	for (unsigned d = 0; d < 2 && !t; d++) {
		ci.direction = d ? ATTLS_DIR_OUTBOUND : ATTLS_DIR_INBOUND;
		if (user_name(ci.uid, &ci.user, &pw_err) < 0 &&
		    attls_user_criterion_applies(policy, &ci)) {
			why = "the user look-up failed and a user criterion could apply";
			goto refuse;
		}
		t = attls_match(policy, &ci);
	}
	if (!t && handoff) {
		why = "a TLS session came with it across exec or through SCM_RIGHTS, and no "
		      "descriptor of this process's policy covers it";
		goto refuse;
	}
	if (!t)
		return ATTLS_CLEAR;
	/* As accept or connect would have it, in the direction that matched. */
	fl = attls_io.fcntl(fd, F_GETFL);
	if (fl < 0) {
		why = "its flags cannot be read: it cannot be classified";
		goto refuse;
	}
	struct attls_new_conn nc = { .fd = fd, .direction = ci.direction,
				     .nonblock = (fl & O_NONBLOCK) != 0, .handoff = handoff,
				     .handoff_len = handoff_len };

	attls_trace(policy->trace, ATTLS_MSG_CONN_MAPPED, NULL,
		    "fd=%d job=%s rule=%s: a TCP connection this process did not accept or "
		    "connect (%s): classified as %s", fd, jobname, t->name, how,
		    ci.direction == ATTLS_DIR_INBOUND ? "inbound" : "outbound");
	return attls_engine_classify(&nc, out);
refuse:
	attls_format_addr(&ci.local, la, sizeof(la));
	attls_format_addr(&ci.remote, ra, sizeof(ra));
	attls_trace(policy ? policy->trace : ATTLS_TRACE_ERROR, ATTLS_MSG_CONN_REFUSED, NULL,
		    "fd=%d conn=%s<->%s job=%s: a TCP connection this process did not "
		    "accept or connect (%s): %s; its data calls fail with ECONNRESET", fd, la,
		    ra, jobname, how, why);
	return ATTLS_REFUSE;
}

bool attls_engine_sessions_from(uid_t uid)
{
	const char *name = NULL;
	char num[24];
	int err;

	if (uid == 0 || uid == geteuid())
		return true;
	attls_engine_init();
	if (!policy || !policy->n_sessions_from)
		return false;
	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	if (user_name(uid, &name, &err) < 0)
		name = NULL; /* only its number can match */
	for (size_t i = 0; i < policy->n_sessions_from; i++)
		if (!strcmp(policy->sessions_from[i], num) ||
		    (name && !strcmp(policy->sessions_from[i], name)))
			return true;
	return false;
}
