// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attls status: every TLS connection of the running processes with attls
 * loaded (their live tables, tools/livescan.c), as a table, JSON, or the
 * Prometheus text exposition format; attls status --policy PID: the
 * policy a process holds. Exit 0, or 2 on an error or a process not found.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/match.h"
#include "../lib/policy.h"
#include "attls.h"
#include "livescan.h"

struct filter {
	long pid; /* 0: any */
	const char *jobname, *descriptor; /* globs, NULL: any */
};

static const char *state_name(uint32_t st)
{
	switch (st) {
	case ATTLS_LIVE_HANDSHAKE: return "handshaking";
	case ATTLS_LIVE_SECURE: return "secure";
	case ATTLS_LIVE_CLOSING: return "closing";
	}
	return "?";
}

static const char *dir_name(uint32_t d)
{
	return d == ATTLS_DIR_INBOUND ? "inbound" : "outbound";
}

static const char *iso(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static bool conn_wanted(const struct filter *f, const struct live_conn *c);

/* Asked for some descriptors: a process without such a connection is not shown. */
static bool proc_wanted(const struct filter *f, const struct live_proc *p)
{
	bool conn = !f->descriptor;

	for (size_t j = 0; !conn && j < p->n_conns; j++)
		conn = conn_wanted(f, &p->conns[j]);
	return conn && (!f->pid || f->pid == p->pid) &&
	       (!f->jobname || fnmatch(f->jobname, p->jobname, 0) == 0);
}

static bool conn_wanted(const struct filter *f, const struct live_conn *c)
{
	return !f->descriptor || fnmatch(f->descriptor, c->info.descriptor, 0) == 0;
}

static double secs(int64_t now_ms, int64_t then_ms)
{
	return now_ms > then_ms ? (double)(now_ms - then_ms) / 1000.0 : 0.0;
}

/* "FILE (loaded T)", or why no policy is in force, and a failed reload. */
static void policy_line(const struct live_proc *p, char *buf, size_t len)
{
	char t1[32], t2[32];
	int n;

	if (p->policy_state == ATTLS_LIVE_POLICY_IN_FORCE)
		n = snprintf(buf, len, "policy %s (loaded %s)", p->policy,
			     iso(p->policy_loaded, t1, sizeof(t1)));
	else
		n = snprintf(buf, len, "policy %s: NONE IN FORCE, it did not load (every TCP "
			     "connect and accept is refused)", p->policy);
	if (p->reload_failed && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; reload failed %s",
			 iso(p->reload_failed, t2, sizeof(t2)));
}

static void print_table(const struct live_scan *sc, const struct filter *f, int64_t now)
{
	char l[64], r[64], t2[32], pol[1400];
	bool any = false, anyconn = false;
	int dw = 12; /* the DESCRIPTOR column: as wide as its longest name */

	for (size_t i = 0; i < sc->n_procs; i++)
		for (size_t j = 0; j < sc->procs[i].n_conns; j++) {
			int w = (int)strlen(sc->procs[i].conns[j].info.descriptor);

			dw = w > dw ? w : dw;
		}
	for (size_t i = 0; i < sc->n_procs; i++) {
		const struct live_proc *p = &sc->procs[i];
		bool head = false;

		if (!proc_wanted(f, p))
			continue;
		policy_line(p, pol, sizeof(pol));
		printf("%sPID %d  job %s  user %s  %s\n", any ? "\n" : "", (int)p->pid, p->jobname,
		       p->user, pol);
		any = true;
		for (size_t j = 0; j < p->n_conns; j++) {
			const struct live_conn *c = &p->conns[j];
			const struct attls_live_info *in = &c->info;

			if (!conn_wanted(f, c))
				continue;
			if (!head) {
				printf("  %-4s %-8s %-23s %-23s %-*s %-11s %-8s %-30s %-3s %10s %10s %7s %7s\n",
				       "FD", "DIR", "LOCAL", "REMOTE", dw, "DESCRIPTOR", "STATE", "PROTOCOL",
				       "CIPHER", "RES", "BYTES_IN", "BYTES_OUT", "AGE", "IDLE");
				head = anyconn = true;
			}
			printf("  %-4d %-8s %-23s %-23s %-*s %-11s %-8s %-30s %-3s %10llu %10llu %6.0fs %6.0fs\n",
			       (int)in->fd, dir_name(in->direction),
			       attls_format_addr(&in->local, l, sizeof(l)),
			       attls_format_addr(&in->remote, r, sizeof(r)), dw, in->descriptor,
			       state_name(c->state), in->protocol[0] ? in->protocol : "-",
			       in->cipher[0] ? in->cipher : "-",
			       c->state == ATTLS_LIVE_HANDSHAKE ? "-" : in->resumed ? "yes" : "no",
			       (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
			       secs(now, in->started_ms), secs(now, c->last_ms));
			if (in->subject[0])
				printf("       peer %s  issuer %s  serial %s  expires %s\n", in->subject,
				       in->issuer, in->serial, iso(in->not_after, t2, sizeof(t2)));
			if (in->device[0])
				printf("       device %s\n", in->device);
		}
		if (!head)
			printf("  no TLS connections\n");
	}
	if (!any && (f->pid || f->jobname || f->descriptor))
		printf("no process with attls loaded and a connection that matches\n");
	else if (!any)
		printf("no process with attls loaded%s\n", sc->unreadable ? " that this user may read" : "");
	(void)anyconn;
}

/* --pid of a process that is not listed: said, and exit 2, as for --policy. */
static bool pid_listed(const struct live_scan *sc, long pid)
{
	for (size_t i = 0; i < sc->n_procs; i++)
		if (sc->procs[i].pid == pid)
			return true;
	return false;
}

static void json_kv(const char *k, const char *v, bool comma)
{
	printf("%s\"%s\": ", comma ? ", " : "", k);
	attls_json_str(v);
}

static void print_json(const struct live_scan *sc, const struct filter *f, int64_t now)
{
	char l[64], r[64], t[32];
	bool first = true;

	printf("{\"processes\": [");
	for (size_t i = 0; i < sc->n_procs; i++) {
		const struct live_proc *p = &sc->procs[i];
		bool cfirst = true;

		if (!proc_wanted(f, p))
			continue;
		printf("%s\n {\"pid\": %d, \"uid\": %u", first ? "" : ",", (int)p->pid,
		       (unsigned)p->uid);
		json_kv("jobname", p->jobname, true);
		json_kv("user", p->user, true);
		json_kv("policy", p->policy, true);
		json_kv("policy_state", p->policy_state == ATTLS_LIVE_POLICY_IN_FORCE ? "in force" :
			"none", true);
		json_kv("policy_loaded", p->policy_loaded ? iso(p->policy_loaded, t, sizeof(t)) : "",
			true);
		json_kv("reload_failed", p->reload_failed ? iso(p->reload_failed, t, sizeof(t)) : "",
			true);
		printf(", \"connections\": [");
		for (size_t j = 0; j < p->n_conns; j++) {
			const struct live_conn *c = &p->conns[j];
			const struct attls_live_info *in = &c->info;

			if (!conn_wanted(f, c))
				continue;
			printf("%s\n  {\"fd\": %d", cfirst ? "" : ",", (int)in->fd);
			json_kv("direction", dir_name(in->direction), true);
			json_kv("local", attls_format_addr(&in->local, l, sizeof(l)), true);
			json_kv("remote", attls_format_addr(&in->remote, r, sizeof(r)), true);
			json_kv("descriptor", in->descriptor, true);
			json_kv("state", state_name(c->state), true);
			json_kv("protocol", in->protocol, true);
			json_kv("cipher", in->cipher, true);
			json_kv("device", in->device, true);
			printf(", \"resumed\": %s, \"peer\": {", in->resumed ? "true" : "false");
			json_kv("subject", in->subject, false);
			json_kv("issuer", in->issuer, true);
			json_kv("serial", in->serial, true);
			json_kv("not_after", in->not_after ? iso(in->not_after, t, sizeof(t)) : "",
				true);
			printf("}, \"bytes_in\": %llu, \"bytes_out\": %llu, \"age_seconds\": %.3f, "
			       "\"idle_seconds\": %.3f}",
			       (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
			       secs(now, in->started_ms), secs(now, c->last_ms));
			cfirst = false;
		}
		printf("%s]}", cfirst ? "" : "\n ");
		first = false;
	}
	printf("%s]}\n", first ? "" : "\n");
}

/* A label value of the text exposition format: \\, \" and \n escaped. */
/*
 * The device's kind, "cpu" or "software": the word before the reason and
 * the figures measured, which differ from one process to the next (a
 * label's value that changes makes a new time series).
 */
static const char *device_kind(const char *device, char *out, size_t len)
{
	size_t n = strcspn(device, ":");

	snprintf(out, len, "%.*s", (int)n, device);
	return out;
}

static void prom_label(const char *k, const char *v, bool comma)
{
	printf("%s%s=\"", comma ? "," : "", k);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			printf("\\%c", *v);
		else if (*v == '\n')
			printf("\\n");
		else
			putchar(*v);
	}
	putchar('"');
}

/* The labels that name one connection: its process and its socket. */
static void prom_conn_labels(const struct live_proc *p, const struct live_conn *c)
{
	char num[24], l[64], r[64];

	snprintf(num, sizeof(num), "%d", (int)p->pid);
	prom_label("pid", num, false);
	prom_label("jobname", p->jobname, true);
	snprintf(num, sizeof(num), "%d", (int)c->info.fd);
	prom_label("fd", num, true);
	prom_label("local", attls_format_addr(&c->info.local, l, sizeof(l)), true);
	prom_label("remote", attls_format_addr(&c->info.remote, r, sizeof(r)), true);
}

enum prom_metric { M_INFO, M_IN, M_OUT, M_AGE, M_IDLE, M_EXPIRY, M_COUNT };

static const struct {
	const char *name, *type, *help;
} metrics[M_COUNT] = {
	{ "attls_connection_info", "gauge", "A TLS connection under attls (always 1)." },
	{ "attls_connection_received_bytes_total", "counter",
	  "Plaintext bytes the program read from the connection." },
	{ "attls_connection_sent_bytes_total", "counter",
	  "Plaintext bytes the program wrote to the connection." },
	{ "attls_connection_age_seconds", "gauge", "Seconds since the connection began." },
	{ "attls_connection_idle_seconds", "gauge", "Seconds since its last byte." },
	{ "attls_connection_peer_cert_expiry_timestamp_seconds", "gauge",
	  "When the peer's certificate expires (Unix time)." },
};

static void print_prometheus(const struct live_scan *sc, const struct filter *f, int64_t now)
{
	char num[24], t[32];

	printf("# HELP attls_process_info A process with attls loaded (always 1).\n"
	       "# TYPE attls_process_info gauge\n");
	for (size_t i = 0; i < sc->n_procs; i++) {
		const struct live_proc *p = &sc->procs[i];

		if (!proc_wanted(f, p))
			continue;
		snprintf(num, sizeof(num), "%d", (int)p->pid);
		printf("attls_process_info{");
		prom_label("pid", num, false);
		prom_label("jobname", p->jobname, true);
		prom_label("user", p->user, true);
		prom_label("policy", p->policy, true);
		prom_label("policy_loaded", p->policy_loaded ? iso(p->policy_loaded, t, sizeof(t)) : "",
			   true);
		printf("} 1\n");
	}
	printf("# HELP attls_policy_in_force Whether the process has a policy in force (0: every "
	       "TCP connect and accept refused).\n# TYPE attls_policy_in_force gauge\n");
	for (size_t i = 0; i < sc->n_procs; i++) {
		const struct live_proc *p = &sc->procs[i];

		if (!proc_wanted(f, p))
			continue;
		snprintf(num, sizeof(num), "%d", (int)p->pid);
		printf("attls_policy_in_force{");
		prom_label("pid", num, false);
		prom_label("jobname", p->jobname, true);
		printf("} %d\n", p->policy_state == ATTLS_LIVE_POLICY_IN_FORCE);
	}
	printf("# HELP attls_policy_reload_failed_timestamp_seconds When the last reload that "
	       "failed was tried (Unix time; 0: none since the policy in force loaded).\n"
	       "# TYPE attls_policy_reload_failed_timestamp_seconds gauge\n");
	for (size_t i = 0; i < sc->n_procs; i++) {
		const struct live_proc *p = &sc->procs[i];

		if (!proc_wanted(f, p))
			continue;
		snprintf(num, sizeof(num), "%d", (int)p->pid);
		printf("attls_policy_reload_failed_timestamp_seconds{");
		prom_label("pid", num, false);
		prom_label("jobname", p->jobname, true);
		printf("} %lld\n", (long long)p->reload_failed);
	}
	for (int m = 0; m < M_COUNT; m++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", metrics[m].name, metrics[m].help,
		       metrics[m].name, metrics[m].type);
		for (size_t i = 0; i < sc->n_procs; i++) {
			const struct live_proc *p = &sc->procs[i];

			if (!proc_wanted(f, p))
				continue;
			for (size_t j = 0; j < p->n_conns; j++) {
				const struct live_conn *c = &p->conns[j];
				const struct attls_live_info *in = &c->info;

				if (!conn_wanted(f, c) || (m == M_EXPIRY && !in->not_after))
					continue;
				printf("%s{", metrics[m].name);
				prom_conn_labels(p, c);
				if (m == M_INFO) {
					char kind[32];

					prom_label("user", p->user, true);
					prom_label("direction", dir_name(in->direction), true);
					prom_label("descriptor", in->descriptor, true);
					prom_label("state", state_name(c->state), true);
					prom_label("protocol", in->protocol, true);
					prom_label("cipher", in->cipher, true);
					prom_label("device", device_kind(in->device, kind,
									 sizeof(kind)), true);
					prom_label("resumed", in->resumed ? "yes" : "no", true);
					prom_label("peer_subject", in->subject, true);
					prom_label("peer_issuer", in->issuer, true);
					prom_label("peer_serial", in->serial, true);
				}
				printf("} ");
				switch (m) {
				case M_INFO: printf("1\n"); break;
				case M_IN: printf("%llu\n", (unsigned long long)c->bytes_in); break;
				case M_OUT: printf("%llu\n", (unsigned long long)c->bytes_out); break;
				case M_AGE: printf("%.3f\n", secs(now, in->started_ms)); break;
				case M_IDLE: printf("%.3f\n", secs(now, c->last_ms)); break;
				default: printf("%lld\n", (long long)in->not_after); break;
				}
			}
		}
	}
}

static int print_policy(const struct live_scan *sc, long pid)
{
	char t[32], pol[1400];

	for (size_t i = 0; i < sc->n_procs; i++) {
		const struct live_proc *p = &sc->procs[i];

		if (p->pid != pid)
			continue;
		if (p->policy_state != ATTLS_LIVE_POLICY_IN_FORCE) {
			policy_line(p, pol, sizeof(pol));
			printf("# pid %d, job %s, user %s\n# %s\n", (int)p->pid, p->jobname, p->user,
			       pol);
			/* Its errors, kept in the place of a policy's text. */
			for (char *l = p->policy_text, *nl; l && *l; l = nl ? nl + 1 : NULL) {
				nl = strchr(l, '\n');
				printf("# %.*s\n", nl ? (int)(nl - l) : (int)strlen(l), l);
				if (!nl)
					break;
			}
			return 0;
		}
		printf("# pid %d, job %s, user %s\n# policy %s, loaded %s", (int)p->pid,
		       p->jobname, p->user, p->policy, iso(p->policy_loaded, t, sizeof(t)));
		if (p->reload_failed)
			printf("; a reload failed %s, this one stays in force",
			       iso(p->reload_failed, t, sizeof(t)));
		printf("\n");
		if (p->policy_busy)
			printf("# (its text was being rewritten by a reload: run again)\n");
		else if (p->text_withheld)
			printf("# (its text is not kept: the process's user, %s, may not read the "
			       "policy file)\n", p->user);
		else if (!p->policy_len)
			printf("# (its text is larger than %u KiB and was not kept)\n",
			       ATTLS_POLICY_TEXT_MAX >> 10);
		fwrite(p->policy_text, 1, p->policy_len, stdout);
		if (p->policy_len && p->policy_text[p->policy_len - 1] != '\n')
			putchar('\n');
		return 0;
	}
	fprintf(stderr, "attls status: pid %ld: no process with attls loaded%s\n", pid,
		sc->unreadable ? " that this user may read (run as root)" : "");
	return 2;
}

static int usage(FILE *out)
{
	fprintf(out, "usage: attls status [--json | --prometheus] [--pid PID] [--jobname GLOB] "
		"[--descriptor GLOB]\n"
		"       attls status --policy PID\n"
		"       attls status --uncovered [--config FILE] [--json]\n");
	return out == stdout ? 0 : 2;
}

static long parse_pid(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v > 0 && v <= 0x7fffffff ? v : -1;
}

int cmd_status_live(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "pid", required_argument, NULL, 'p' },
		{ "jobname", required_argument, NULL, 'j' },
		{ "descriptor", required_argument, NULL, 'd' },
		{ "policy", required_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct filter f = { 0 };
	struct live_scan sc;
	long policy_pid = 0;
	int o, form = 0, rc = 0;
	struct timespec ts;
	int64_t now;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'J':
		case 'P':
			if (form && form != o) {
				fprintf(stderr, "attls status: --json and --prometheus: one form at a time\n");
				return 2;
			}
			form = o;
			break;
		case 'p':
			if ((f.pid = parse_pid(optarg)) < 0)
				return usage(stderr);
			break;
		case 'j': f.jobname = optarg; break;
		case 'd': f.descriptor = optarg; break;
		case 'y':
			if ((policy_pid = parse_pid(optarg)) < 0)
				return usage(stderr);
			break;
		case 'h': return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (optind != argc)
		return usage(stderr);
	if (attls_live_scan(&sc) < 0) {
		fprintf(stderr, "attls status: out of memory\n");
		attls_live_scan_free(&sc);
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (policy_pid) {
		rc = print_policy(&sc, policy_pid);
	} else if (f.pid && !pid_listed(&sc, f.pid)) {
		fprintf(stderr, "attls status: pid %ld: no process with attls loaded%s\n", f.pid,
			sc.unreadable ? " that this user may read (run as root)" : "");
		rc = 2;
	} else if (form == 'J')
		print_json(&sc, &f, now);
	else if (form == 'P')
		print_prometheus(&sc, &f, now);
	else
		print_table(&sc, &f, now);
	if (sc.unreadable && !policy_pid)
		fprintf(stderr, "attls status: %u table%s of other users' processes not read "
			"(run as root)\n", sc.unreadable, sc.unreadable == 1 ? "" : "s");
	attls_live_scan_free(&sc);
	return rc;
}
