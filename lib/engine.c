/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <syslog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cryptodev.h"
#include "engine.h"
#include "envtrust.h"
#include "match.h"
#include "policy.h"
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
	attls_trace_setup(ATTLS_TRACE_ERROR, LOG_DAEMON);
	dprintf(STDERR_FILENO, "attls[%d]: %s %s: %s\n", (int)getpid(),
		attls_msg_id(ATTLS_MSG_POLICY_REFUSED), attls_msg_text(ATTLS_MSG_POLICY_REFUSED),
		file);
	attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_POLICY_REFUSED, NULL, "%s", file);
	if (why) {
		dprintf(STDERR_FILENO, "attls[%d]: %s\n", (int)getpid(), why);
		attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_LIB_ERROR, NULL, "%s", why);
	}
	for (size_t i = 0; errs && i < errs->n; i++) {
		dprintf(STDERR_FILENO, "attls[%d]: %s\n", (int)getpid(), errs->msg[i]);
		attls_trace(ATTLS_TRACE_ERROR, ATTLS_MSG_POLICY_ERROR, NULL, "%s", errs->msg[i]);
	}
}

static void engine_load(void)
{
	struct attls_errors errs = { 0 };
	/* The kernel says whether the caller's environment may choose (envtrust.h). */
	bool secure = attls_secure_exec();
	const char *file = attls_env(secure, "ATTLS_CONFIG");
	char why[256], device[160];
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
out:
	attls_errors_free(&errs);
	attls_inside--;
}

void attls_engine_init(void)
{
	pthread_once(&engine_once, engine_load);
}

/* The effective user's name, looked up once per uid, outside the hooks. */
static const char *user_name(uid_t uid)
{
	static _Thread_local uid_t cached_uid = (uid_t)-1;
	static _Thread_local char cached[64];
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (uid == cached_uid)
		return cached[0] ? cached : NULL;
	attls_inside++;
	getpwuid_r(uid, &pw, buf, sizeof(buf), &res);
	attls_inside--;
	snprintf(cached, sizeof(cached), "%s", res ? res->pw_name : "");
	cached_uid = uid;
	return cached[0] ? cached : NULL;
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

	attls_engine_init();
	*out = NULL;
	len = sizeof(ci.local);
	if (getsockname(nc->fd, (struct sockaddr *)&ci.local, &len) < 0)
		return policy ? ATTLS_CLEAR : ATTLS_REFUSE;
	if (nc->remote) {
		memcpy(&ci.remote, nc->remote, nc->remote->sa_family == AF_INET6 ?
			sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	} else {
		len = sizeof(ci.remote);
		if (getpeername(nc->fd, (struct sockaddr *)&ci.remote, &len) < 0)
			return policy ? ATTLS_CLEAR : ATTLS_REFUSE;
	}
	ci.jobname = jobname;
	ci.uid = geteuid();
	ci.user = user_name(ci.uid);
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
	attls_trace(mask, ATTLS_MSG_CONN_MAPPED, who, "role=%s keyring=%s security=%s",
		    attls_role_name(sp.role), t->keyring->name,
		    t->security ? t->security->name : "(default)");
	*out = sp.ctx ? attls_session_new(&sp) : NULL;
	if (!*out) {
		attls_trace(mask, ATTLS_MSG_CONN_REFUSED, who, "no TLS session: %s",
			    sp.ctx ? "out of memory" : "no context for this role");
		return ATTLS_REFUSE;
	}
	return ATTLS_TLS;
}
