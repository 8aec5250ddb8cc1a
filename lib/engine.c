/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <pwd.h>
#include <syslog.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allowpeer.h"
#include "cryptodev.h"
#include "engine.h"
#include "livetab.h"
#include "handoff.h"
#include "logsink.h"
#include "envtrust.h"
#include "match.h"
#include "policy.h"
#include "reload.h"
#include "resume_client.h"
#include "stamps.h"
#include "sysio.h"
#include "tickets.h"
#include "tlsctx.h"
#include "trace.h"
#include "wolf.h"

_Thread_local int attls_inside;

static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
/*
 * The policy in force (NULL: none, refuse), and the engine's reference to
 * it. policy_lock (7 in shim/locks.h, taken under nothing of attls's
 * but reload_lock, and nothing under it) guards the pointer only for the
 * moment a connection takes a reference (in_force) and a reload swaps it:
 * a thread in connect or accept at that moment classifies with the old
 * policy or the new, whole, and its session keeps the one it took. A
 * policy is never changed once in force; the last reference frees it
 * (policyref.c). fork: prepare takes the lock, so the child's pointer and
 * counts are a consistent copy.
 */
static pthread_mutex_t policy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct attls_policy *policy;
static char jobname[64];
/*
 * The inherit key of the policy in force, written when a policy is put in
 * force (load, reload), read by exec (shim/exec.c) with no lock: a
 * signal handler may exec. A fork copies it with the policy.
 */
static atomic_bool inherit_preload = true;
/*
 * Reloads (reload.h). reload_lock (6 in shim/locks.h) lets one thread at a
 * time load a new policy; it is only ever tried, never waited for, so a
 * connection whose check falls due while another thread reloads goes on
 * at once with the policy in force. It guards
 * config_file, stamps, reloadable, device_set and tickets_set (written by
 * the first load, in engine_once, before any reload can run). It is taken under no lock of
 * attls's: connect and accept call the check before any. fork: prepare
 * takes it, so a fork waits for a reload to end.
 */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static char *config_file;
static struct attls_stamps stamps; /* the files as last read, taken or not */
static bool reloadable;             /* the first load got as far as the policy */
static bool device_set;             /* the crypto device chosen, once */
static bool tickets_set;            /* the ticket keys set up, once at least */
static enum attls_device device_in_use;

/* A reference to the policy in force, or NULL; attls_policy_drop when done. */
static struct attls_policy *in_force(void)
{
	struct attls_policy *p;

	pthread_mutex_lock(&policy_lock);
	p = policy;
	attls_policy_hold(p);
	pthread_mutex_unlock(&policy_lock);
	return p;
}

void attls_engine_atfork_prepare(void)
{
	pthread_mutex_lock(&reload_lock);
	pthread_mutex_lock(&policy_lock);
}

void attls_engine_atfork_release(void)
{
	pthread_mutex_unlock(&policy_lock);
	pthread_mutex_unlock(&reload_lock);
}

/*
 * Every reason on stderr and in the log, each line once: with the
 * error-stderr bit set, an error no log socket takes is not written twice.
 */
static void refuse_all(const char *file, struct attls_errors *errs, const char *why)
{
	const unsigned mask = ATTLS_TRACE_ERROR | ATTLS_TRACE_ERROR_STDERR;

	attls_trace_setup(ATTLS_TRACE_ERROR, LOG_DAEMON);
	attls_trace(mask, ATTLS_MSG_POLICY_REFUSED, NULL, "%s", file);
	if (why)
		attls_trace(mask, ATTLS_MSG_LIB_ERROR, NULL, "%s", why);
	for (size_t i = 0; errs && i < errs->n; i++)
		attls_trace(mask, ATTLS_MSG_POLICY_ERROR, NULL, "%s", errs->msg[i]);
}

/*
 * The policy, parsed without opening a file it names; they are checked
 * (policy.h) only where this job needs TLS: a job no descriptor can match
 * never opens a key (match.h). *needs_tls says which.
 */
static struct attls_policy *load_policy(const char *file, struct attls_errors *errs,
					bool *needs_tls)
{
	struct attls_policy *p = attls_policy_load_ex(file, ATTLS_POLICY_KEEP_TEXT |
						      ATTLS_POLICY_NO_FILES, errs);

	*needs_tls = p && attls_job_needs_tls(p, jobname);
	if (p && *needs_tls && attls_policy_check_files(p, errs) < 0) {
		attls_policy_free(p);
		return NULL;
	}
	return p;
}

static void engine_load(void)
{
	struct attls_errors errs = { 0 };
	/* The kernel says whether the caller's environment may choose (envtrust.h). */
	bool secure = attls_secure_exec();
	const char *file = attls_env(secure, "ATTLS_CONFIG");
	char why[256];
	struct attls_policy *p;
	bool needs_tls;

	attls_inside++;
	attls_log_start();
	if (!file || !*file)
		file = ATTLS_DEFAULT_CONFIG;
	if (attls_jobname(secure, jobname, sizeof(jobname)) < 0) {
		refuse_all(file, NULL, "secure-execution mode and /proc/self/exe cannot be "
			   "read: no job name to match rules against");
		goto out;
	}
	if (attls_wolf_load(why, sizeof(why)) < 0) {
		refuse_all(file, NULL, why);
		attls_errors_add(&errs, file, 0, "%s", why);
		goto none;
	}
	attls_reload_setup(secure);
	/* Stamped before it is read: a change while it is read is seen at the next check. */
	config_file = strdup(file);
	reloadable = config_file && attls_stamps_add(&stamps, file) == 0;
	p = load_policy(file, &errs, &needs_tls);
	if (!p) {
		refuse_all(file, &errs, NULL);
		goto none;
	}
	if (attls_stamps_add_policy(&stamps, p) < 0)
		reloadable = false;
	attls_trace_setup(p->trace, p->syslog_facility);
	if (!needs_tls) {
		/*
		 * No key, no ticket key, no crypto device: none could ever
		 * be used by this job (match.h). Its connections still meet
		 * the policy, which maps none of them to TLS.
		 */
		attls_trace(p->trace, ATTLS_MSG_NOTHING_TO_DO, NULL,
			    "%s: %zu traffic descriptors, job=%s", file, p->n_traffic, jobname);
		policy = p;
		atomic_store(&inherit_preload, p->inherit);
		goto listed;
	}
	device_in_use = p->device;
	device_set = true;
	/* Chosen at the first session (cryptodev.h): no measurement at every exec. */
	attls_cryptodev_defer(p->device, p->trace);
	if (attls_tlsctx_build(p, &errs) < 0 || attls_tickets_setup(p, &errs) < 0) {
		refuse_all(file, &errs, NULL);
		attls_tlsctx_free(p);
		attls_policy_free(p);
		goto none;
	}
	tickets_set = true;
	attls_trace(p->trace, ATTLS_MSG_POLICY_LOADED, NULL,
		    "%s: %zu traffic descriptors, job=%s", file, p->n_traffic, jobname);
	policy = p;
	atomic_store(&inherit_preload, p->inherit);
listed:
	/* Its user by uid only: attls status looks the name up, no look-up here. */
	attls_live_process(jobname, NULL, file, p->text, p->text_len, true);
	free(p->text);
	p->text = NULL;
	goto out;
none:
	/*
	 * Listed too, as refusing every connection, with why (the errors in
	 * the place of the policy's text), so that attls status shows it.
	 */
	{
		size_t len = 0, off = 0;
		char *text;

		for (size_t i = 0; i < errs.n; i++)
			len += strlen(errs.msg[i]) + 1;
		text = malloc(len + 1);
		for (size_t i = 0; text && i < errs.n; i++)
			off += (size_t)sprintf(text + off, "%s\n", errs.msg[i]);
		attls_live_process(jobname, NULL, file, text, text ? off : 0, false);
		free(text);
	}
out:
	attls_errors_free(&errs);
	attls_inside--;
}

/* Why a reload failed, when it is a file this process may no longer read. */
static void say_unreadable(const struct attls_stamps *st, unsigned mask)
{
	for (size_t i = 0; i < st->n; i++) {
		if (faccessat(AT_FDCWD, st->s[i].path, R_OK, AT_EACCESS) == 0 || errno != EACCES)
			continue;
		attls_trace(mask | ATTLS_TRACE_ERROR, ATTLS_MSG_RELOAD_DENIED, NULL,
			    "%s: not readable by this process (uid %u): %s; it runs with fewer "
			    "rights than it read its policy with, and keeps the policy in force "
			    "until it restarts", st->s[i].path, (unsigned)geteuid(),
			    strerror(EACCES));
	}
}

/*
 * Reads the policy file again and, if it loads and every key proves
 * itself, puts it in force for new connections. With reload_lock held.
 * Whatever the outcome, the stamps become the files' as read now, so a
 * bad file is reported once, not at every check.
 */
static void reload(const char *why)
{
	struct attls_errors errs = { 0 };
	struct attls_stamps ns = { 0 };
	struct attls_policy *p, *old;
	bool needs_tls;
	/* Read under reload_lock only: nothing else swaps it. */
	struct attls_policy *cur = policy;
	unsigned mask = cur ? cur->trace : ATTLS_TRACE_ERROR;
	int st_rc;

	attls_inside++;
	st_rc = attls_stamps_add(&ns, config_file);
	p = load_policy(config_file, &errs, &needs_tls);
	if (p)
		st_rc |= attls_stamps_add_policy(&ns, p);
	else
		goto fail;
	/* A job no descriptor can match reads no key, as at the first load. */
	if (needs_tls && !device_set) {
		/* No policy before needed one: the device is chosen by this one. */
		device_in_use = p->device;
		device_set = true;
		attls_cryptodev_defer(p->device, p->trace);
	}
	if (needs_tls && attls_tlsctx_build(p, &errs) < 0)
		goto fail;
	/*
	 * The ratchet restarts only where the key file says, or was said
	 * before, or where no policy that needed it was ever in force to
	 * start it.
	 */
	if (needs_tls && (!cur || !tickets_set || p->ticket_key_file || cur->ticket_key_file) &&
	    attls_tickets_setup(p, &errs) < 0)
		goto fail;
	if (needs_tls)
		tickets_set = true;
	if (needs_tls && p->device != device_in_use)
		attls_trace(p->trace | ATTLS_TRACE_ERROR, ATTLS_MSG_POLICY_ERROR, NULL,
			    "%s: device: a reload does not change the crypto device; it "
			    "changes when the program starts again", config_file);
	attls_trace_setup(p->trace, p->syslog_facility);
	/* Sessions kept under the old trust are not resumed under the new. */
	attls_resume_forget_all();
	pthread_mutex_lock(&policy_lock);
	old = policy;
	policy = p;
	atomic_store(&inherit_preload, p->inherit);
	pthread_mutex_unlock(&policy_lock);
	attls_live_policy(p->text, p->text_len);
	free(p->text);
	p->text = NULL;
	attls_trace(p->trace, ATTLS_MSG_POLICY_RELOADED, NULL,
		    "%s: %zu traffic descriptors, job=%s (%s); connections made before keep "
		    "the policy they began with", config_file, p->n_traffic, jobname, why);
	if (!needs_tls)
		attls_trace(p->trace, ATTLS_MSG_NOTHING_TO_DO, NULL, "%s: job=%s", config_file,
			    jobname);
	/* Freed here, or by the last of its connections to end. */
	attls_policy_drop(old);
	goto out;
fail:
	if (p) {
		attls_tlsctx_free(p);
		attls_policy_free(p);
	}
	/* A fix to a file of the policy in force is a reason to try again. */
	if (cur)
		st_rc |= attls_stamps_add_policy(&ns, cur);
	attls_live_reload_failed();
	attls_trace(mask | ATTLS_TRACE_ERROR, ATTLS_MSG_RELOAD_FAILED, NULL, "%s (%s): %s",
		    config_file, why, cur ? "the policy in force stays" :
		    "no policy in force: TCP connects and accepts are still refused");
	for (size_t i = 0; i < errs.n; i++)
		attls_trace(mask | ATTLS_TRACE_ERROR, ATTLS_MSG_POLICY_ERROR, NULL, "%s",
			    errs.msg[i]);
	say_unreadable(&ns, mask);
out:
	if (st_rc < 0) {
		/* No memory to remember them: every check tries again. */
		attls_stamps_free(&ns);
		ns.n = 0;
	}
	attls_stamps_free(&stamps);
	stamps = ns;
	attls_errors_free(&errs);
	attls_inside--;
}

/*
 * At connect and accept: at most once a second, whether a file of the
 * policy changed (then it is reloaded); at once, whatever the files say,
 * when attls reload asked (reload.h).
 */
static void maybe_reload(void)
{
	const char *changed = NULL;
	char why[320];
	int due = attls_reload_due();

	if (!due)
		return;
	/*
	 * Never waited for: a connect in a signal handler that interrupted
	 * a reload would wait for ever. A request met while another thread
	 * reloads is left for the next connect or accept.
	 */
	if (pthread_mutex_trylock(&reload_lock)) {
		if (due == ATTLS_RELOAD_ASKED)
			attls_reload_again();
		return;
	}
	if (!reloadable)
		goto out;
	if (due == ATTLS_RELOAD_ASKED) {
		reload("asked by attls reload");
	} else if (stamps.n == 0 || attls_stamps_changed(&stamps, &changed)) {
		snprintf(why, sizeof(why), "%s changed", changed ? changed : "a file");
		reload(why);
	}
out:
	pthread_mutex_unlock(&reload_lock);
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
static enum attls_verdict classify_failed(const struct attls_policy *policy,
					  const struct attls_new_conn *nc, const char *call)
{
	attls_trace(policy ? policy->trace : ATTLS_TRACE_ERROR, ATTLS_MSG_CONN_REFUSED, NULL,
		    "fd=%d job=%s: %s: %s: the connection cannot be classified", nc->fd, jobname,
		    call, strerror(errno));
	return ATTLS_REFUSE;
}

/* Decides for nc under policy (NULL: none in force). */
static enum attls_verdict classify(struct attls_policy *policy, const struct attls_new_conn *nc,
				   struct attls_session **out)
{
	struct attls_match_conn ci = { .direction = nc->direction };
	struct attls_session_params sp = { 0 };
	const struct attls_traffic *t;
	socklen_t len;
	char la[64], ra[64], who[320], resume[384];
	unsigned mask;
	int pw_err = 0;

	*out = NULL;
	len = sizeof(ci.local);
	if (getsockname(nc->fd, (struct sockaddr *)&ci.local, &len) < 0)
		return classify_failed(policy, nc, "getsockname");
	if (nc->remote) {
		memcpy(&ci.remote, nc->remote, nc->remote->sa_family == AF_INET6 ?
			sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	} else {
		len = sizeof(ci.remote);
		if (getpeername(nc->fd, (struct sockaddr *)&ci.remote, &len) < 0)
			return classify_failed(policy, nc, "getpeername");
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
	sp.policy = policy; /* the session keeps it while it lives */
	sp.fd = nc->fd;
	sp.server_name = t->server_name;
	sp.allow = attls_traffic_allow(t);
	sp.protocols = t->security ? t->security->protocols : ATTLS_PROTO_TLS12 | ATTLS_PROTO_TLS13;
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
	if (sp.ctx) {
		/* The crypto device, chosen by the first session (cryptodev.h). */
		attls_inside++;
		attls_cryptodev_choose();
		attls_inside--;
	}
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

enum attls_verdict attls_engine_classify(const struct attls_new_conn *nc,
					 struct attls_session **out)
{
	struct attls_policy *p;
	enum attls_verdict v;

	attls_engine_init();
	maybe_reload();
	p = in_force();
	v = classify(p, nc, out);
	attls_policy_drop(p);
	return v;
}

static enum attls_verdict unseen(struct attls_policy *policy, int fd, const char *how,
				 const unsigned char *handoff, size_t handoff_len,
				 struct attls_session **out)
{
	struct attls_match_conn ci = { 0 };
	const struct attls_traffic *t = NULL;
	const char *why = NULL;
	char la[64], ra[64];
	socklen_t len;
	int pw_err = 0, fl;

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
	return classify(policy, &nc, out);
refuse:
	attls_format_addr(&ci.local, la, sizeof(la));
	attls_format_addr(&ci.remote, ra, sizeof(ra));
	attls_trace(policy ? policy->trace : ATTLS_TRACE_ERROR, ATTLS_MSG_CONN_REFUSED, NULL,
		    "fd=%d conn=%s<->%s job=%s: a TCP connection this process did not "
		    "accept or connect (%s): %s; its data calls fail with ECONNRESET", fd, la,
		    ra, jobname, how, why);
	return ATTLS_REFUSE;
}

enum attls_verdict attls_engine_unseen(int fd, const char *how, const unsigned char *handoff,
				       size_t handoff_len, struct attls_session **out)
{
	struct attls_policy *p;
	enum attls_verdict v;

	attls_engine_init();
	maybe_reload();
	p = in_force();
	v = unseen(p, fd, how, handoff, handoff_len, out);
	attls_policy_drop(p);
	return v;
}

bool attls_engine_sessions_from(uid_t uid)
{
	struct attls_policy *policy;
	const char *name = NULL;
	char num[24];
	bool ok = false;
	int err;

	if (uid == 0 || uid == geteuid())
		return true;
	attls_engine_init();
	policy = in_force();
	if (!policy || !policy->n_sessions_from)
		goto out;
	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	if (user_name(uid, &name, &err) < 0)
		name = NULL; /* only its number can match */
	for (size_t i = 0; i < policy->n_sessions_from && !ok; i++)
		ok = !strcmp(policy->sessions_from[i], num) ||
		     (name && !strcmp(policy->sessions_from[i], name));
out:
	attls_policy_drop(policy);
	return ok;
}

bool attls_engine_inherit(void)
{
	return atomic_load(&inherit_preload);
}
