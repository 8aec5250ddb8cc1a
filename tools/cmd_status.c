/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls status --uncovered: the TCP sockets a policy covers that are held
 * by processes without attls (a child in secure-execution mode, a daemon
 * that scrubbed its environment), so a cron job or a monitor can alert.
 * Exit 0 when there are none, 1 when some are found, 2 on an error or
 * when a covered socket's holder could not be read.
 *
 * A socket is covered when the descriptor attls would map it to exists
 * and is enabled, as lib/match.c decides for the process that holds it
 * (its job name and user): a listening socket inbound by its local
 * address and port (a wildcard address matches any local_addr), an
 * established one inbound when its local port is a listener's, else
 * outbound by its remote address and port. The sockets are those of this
 * network namespace.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/match.h"
#include "../lib/policy.h"
#include "attls.h"
#include "procnet.h"
#include "procscan.h"

#define DEFAULT_CONFIG "/etc/attls/attls.ini"

/* A covered socket, and whether a readable process was seen holding it. */
struct cand {
	struct attls_tcp_sock s;
	unsigned direction;
	bool held;
};

struct found {
	pid_t pid;
	struct attls_proc_id id;
	const struct cand *c;
	const char *rule;
};

struct unreadable {
	pid_t pid;
	char comm[64];
};

struct scan {
	struct cand *cand;
	size_t n_cand;
	struct found *found;
	size_t n_found;
	struct unreadable *unread;
	size_t n_unread;
};

static bool any_addr(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* The connection as the matcher sees it; job and user from id, or open. */
static void conn_info(const struct cand *c, const struct attls_proc_id *id,
		      struct attls_match_conn *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->direction = c->direction;
	ci->local = c->s.local;
	ci->remote = c->s.remote;
	if (c->s.state == ATTLS_TCP_LISTEN) {
		ci->unknown |= ATTLS_UNKNOWN_RADDR | ATTLS_UNKNOWN_RPORT;
		if (any_addr(&c->s.local))
			ci->unknown |= ATTLS_UNKNOWN_LADDR;
	}
	if (!id) {
		ci->unknown |= ATTLS_UNKNOWN_JOB | ATTLS_UNKNOWN_USER;
		return;
	}
	ci->jobname = id->jobname;
	ci->user = id->user_known ? id->user : NULL;
	ci->uid = id->uid;
}

/* Whether some enabled descriptor could match, whoever holds the socket. */
static bool could_cover(const struct attls_policy *p, const struct cand *c)
{
	struct attls_match_conn ci;

	conn_info(c, NULL, &ci);
	for (size_t i = 0; i < p->n_traffic; i++)
		if (p->traffic[i].enabled && attls_traffic_matches(&p->traffic[i], &ci))
			return true;
	return false;
}

/* Whether exemption t holds whatever the criteria ci leaves open are. */
static bool exempts_all(const struct attls_traffic *t, unsigned unknown)
{
	return (!(unknown & ATTLS_UNKNOWN_LPORT) || t->local_port.any) &&
	       (!(unknown & ATTLS_UNKNOWN_RPORT) || t->remote_port.any) &&
	       (!(unknown & ATTLS_UNKNOWN_LADDR) || t->local_addr.any) &&
	       (!(unknown & ATTLS_UNKNOWN_RADDR) || t->remote_addr.any);
}

/*
 * attls_match for a socket whose connections are not all known (a
 * listening socket: any peer; a wildcard address: any local one). An
 * exemption that holds for only some of them does not make the socket
 * clear: it is left out of a view of the policy, and what the others
 * would map to decides. Returns the descriptor in p, or NULL.
 */
static const struct attls_traffic *match_open(const struct attls_policy *p,
					      const struct attls_match_conn *ci)
{
	struct attls_policy view = *p;
	const struct attls_traffic *t;
	struct attls_traffic *kept;
	size_t *from, k = 0;

	if (!ci->unknown)
		return attls_match(p, ci);
	kept = calloc(p->n_traffic ? p->n_traffic : 1, sizeof(*kept));
	from = calloc(p->n_traffic ? p->n_traffic : 1, sizeof(*from));
	if (!kept || !from) { /* it cannot tell: no answer rather than a wrong one */
		fprintf(stderr, "attls status: out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < p->n_traffic; i++) {
		if (!p->traffic[i].enabled && !exempts_all(&p->traffic[i], ci->unknown))
			continue;
		from[k] = i;
		kept[k++] = p->traffic[i]; /* a shallow copy, for the matcher to read */
	}
	view.traffic = kept;
	view.n_traffic = k;
	t = attls_match(&view, ci);
	t = t ? &p->traffic[from[t - kept]] : NULL;
	free(kept);
	free(from);
	return t;
}

/*
 * The descriptor that covers c in a process of identity id, or NULL. A
 * user name rule that could apply to a user whose name cannot be looked
 * up makes attls refuse the connection: the socket is reported then.
 */
static const char *covering_rule(const struct attls_policy *p, const struct cand *c,
				 const struct attls_proc_id *id)
{
	struct attls_match_conn ci;
	const struct attls_traffic *t;

	conn_info(c, id, &ci);
	if (!id->user_known && attls_user_criterion_applies(p, &ci))
		return "(user look-up failed)";
	t = match_open(p, &ci);
	return t && t->enabled ? t->name : NULL;
}

static int read_table(const char *path, int family, struct attls_tcp_sock **socks,
		      size_t *n)
{
	unsigned bad = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno == ENOENT && family == AF_INET6)
			return 0; /* a kernel without IPv6 */
		fprintf(stderr, "attls status: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (attls_procnet_read(f, family, socks, n, &bad) < 0) {
		if (bad)
			fprintf(stderr, "attls status: %s:%u: not a TCP socket line\n", path, bad);
		else
			fprintf(stderr, "attls status: %s: %s\n", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* The covered sockets of this namespace, listening and established. */
static int candidates(const struct attls_policy *p, struct scan *sc)
{
	struct attls_tcp_sock *socks = NULL;
	size_t n = 0;

	if (read_table("/proc/net/tcp", AF_INET, &socks, &n) < 0 ||
	    read_table("/proc/net/tcp6", AF_INET6, &socks, &n) < 0) {
		free(socks);
		return -1;
	}
	sc->cand = calloc(n ? n : 1, sizeof(*sc->cand));
	if (!sc->cand) {
		free(socks);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct cand c = { .s = socks[i] };

		if (!c.s.inode || (c.s.state != ATTLS_TCP_LISTEN &&
				   c.s.state != ATTLS_TCP_ESTABLISHED))
			continue;
		c.direction = ATTLS_DIR_OUTBOUND;
		if (c.s.state == ATTLS_TCP_LISTEN)
			c.direction = ATTLS_DIR_INBOUND;
		for (size_t j = 0; j < n && c.direction == ATTLS_DIR_OUTBOUND; j++)
			if (socks[j].state == ATTLS_TCP_LISTEN &&
			    port_of(&socks[j].local) == port_of(&c.s.local))
				c.direction = ATTLS_DIR_INBOUND;
		if (could_cover(p, &c))
			sc->cand[sc->n_cand++] = c;
	}
	free(socks);
	return 0;
}

static struct cand *cand_of(struct scan *sc, unsigned long inode)
{
	for (size_t i = 0; i < sc->n_cand; i++)
		if (sc->cand[i].s.inode == inode)
			return &sc->cand[i];
	return NULL;
}

static int add_found(struct scan *sc, pid_t pid, const struct attls_proc_id *id,
		     const struct cand *c, const char *rule)
{
	struct found *more = realloc(sc->found, (sc->n_found + 1) * sizeof(*more));

	if (!more)
		return -1;
	sc->found = more;
	sc->found[sc->n_found++] = (struct found){ pid, *id, c, rule };
	return 0;
}

static int add_unreadable(struct scan *sc, pid_t pid)
{
	struct unreadable *more = realloc(sc->unread, (sc->n_unread + 1) * sizeof(*more));

	if (!more)
		return -1;
	sc->unread = more;
	sc->unread[sc->n_unread].pid = pid;
	attls_proc_comm(pid, sc->unread[sc->n_unread].comm, sizeof(more->comm));
	sc->n_unread++;
	return 0;
}

/* One process: its covered sockets, unless attls is loaded in it. */
static int scan_pid(const struct attls_policy *p, struct scan *sc, pid_t pid)
{
	unsigned long *inodes;
	struct attls_proc_id id;
	size_t n, mine = 0;
	int has, rc = 0;

	if (attls_proc_sockets(pid, &inodes, &n) < 0) {
		if (errno == ENOENT || attls_proc_is_kthread(pid))
			return 0;
		return add_unreadable(sc, pid);
	}
	for (size_t i = 0; i < n; i++) {
		struct cand *c = cand_of(sc, inodes[i]);

		if (c) {
			c->held = true;
			inodes[mine++] = inodes[i];
		}
	}
	if (!mine)
		goto out;
	has = attls_proc_has_attls(pid);
	if (has < 0 || attls_proc_identity(pid, &id) < 0) {
		if (errno == ENOENT) /* gone, and its sockets with it */
			goto out;
		/* held by a process that cannot be judged: not accounted for */
		for (size_t i = 0; i < mine; i++)
			cand_of(sc, inodes[i])->held = false;
		rc = add_unreadable(sc, pid);
		goto out;
	}
	for (size_t i = 0; !has && i < mine && rc == 0; i++) {
		const struct cand *c = cand_of(sc, inodes[i]);
		const char *rule = covering_rule(p, c, &id);

		if (rule)
			rc = add_found(sc, pid, &id, c, rule);
	}
out:
	free(inodes);
	return rc;
}

static int scan_all(const struct attls_policy *p, struct scan *sc)
{
	struct dirent *e;
	DIR *d = opendir("/proc");
	pid_t self = getpid();

	if (!d) {
		fprintf(stderr, "attls status: /proc: %s\n", strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		if (scan_pid(p, sc, (pid_t)pid) < 0) {
			closedir(d);
			fprintf(stderr, "attls status: out of memory\n");
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static const char *fmt(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	return attls_format_addr(ss, buf, len);
}

static void print_json(const struct scan *sc, const char *file)
{
	char l[64], r[64];

	printf("{\"policy\": ");
	attls_json_str(file);
	printf(", \"uncovered\": [");
	for (size_t i = 0; i < sc->n_found; i++) {
		const struct found *f = &sc->found[i];
		bool listen = f->c->s.state == ATTLS_TCP_LISTEN;

		printf("%s\n  {\"pid\": %d, \"uid\": %u, \"user\": ", i ? "," : "", (int)f->pid,
		       (unsigned)f->id.uid);
		attls_json_str(f->id.user);
		printf(", \"program\": ");
		attls_json_str(f->id.program);
		printf(", \"jobname\": ");
		attls_json_str(f->id.jobname);
		printf(", \"secure_exec\": %s, \"local\": ", f->id.secure ? "true" : "false");
		attls_json_str(fmt(&f->c->s.local, l, sizeof(l)));
		printf(", \"remote\": ");
		attls_json_str(listen ? "*" : fmt(&f->c->s.remote, r, sizeof(r)));
		printf(", \"state\": \"%s\", \"direction\": \"%s\", \"descriptor\": ",
		       listen ? "listen" : "established",
		       f->c->direction == ATTLS_DIR_INBOUND ? "inbound" : "outbound");
		attls_json_str(f->rule);
		putchar('}');
	}
	printf("%s],\n \"unreadable\": [", sc->n_found ? "\n " : "");
	for (size_t i = 0; i < sc->n_unread; i++) {
		printf("%s{\"pid\": %d, \"program\": ", i ? ", " : "", (int)sc->unread[i].pid);
		attls_json_str(sc->unread[i].comm);
		putchar('}');
	}
	printf("]}\n");
}

static void print_table(const struct scan *sc)
{
	char l[64], r[64];

	if (!sc->n_found) {
		/* Exit 2 then: stderr names the processes that could not be read. */
		printf(sc->n_unread ? "no uncovered sockets among the processes that could be read\n" :
				      "no uncovered sockets\n");
		return;
	}
	printf("%-7s %-10s %-16s %-23s %-23s %-11s %s\n", "PID", "USER", "PROGRAM", "LOCAL",
	       "REMOTE", "STATE", "DESCRIPTOR");
	for (size_t i = 0; i < sc->n_found; i++) {
		const struct found *f = &sc->found[i];
		bool listen = f->c->s.state == ATTLS_TCP_LISTEN;

		printf("%-7d %-10s %-16s %-23s %-23s %-11s %s\n", (int)f->pid, f->id.user,
		       f->id.program, fmt(&f->c->s.local, l, sizeof(l)),
		       listen ? "*" : fmt(&f->c->s.remote, r, sizeof(r)),
		       listen ? "listen" : "established", f->rule);
	}
}

static int by_pid_port(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (int)port_of(&x->c->s.local) - (int)port_of(&y->c->s.local);
}

static int usage(FILE *out)
{
	fprintf(out, "usage: attls status --uncovered [--config FILE] [--json]\n"
		"       attls status [--json | --prometheus] [--pid PID] [--jobname GLOB] "
		"[--descriptor GLOB]\n"
		"       attls status --policy PID\n");
	return out == stdout ? 0 : 2;
}

static int status_uncovered(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uncovered", no_argument, NULL, 'U' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = getenv("ATTLS_CONFIG");
	struct attls_errors errs = { 0 };
	struct scan sc = { 0 };
	struct attls_policy *p;
	bool uncovered = false, json = false;
	size_t unheld = 0;
	char abs[4352];
	int o, rc;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (o) {
		case 'U': uncovered = true; break;
		case 'c': file = optarg; break;
		case 'J': json = true; break;
		case 'h': return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (optind != argc || !uncovered)
		return usage(stderr);
	if (!file || !*file)
		file = DEFAULT_CONFIG;
	file = attls_abs_path(file, abs, sizeof(abs));
	/* Only the descriptors are needed: no key, CA or module is opened. */
	p = attls_policy_load_ex(file, ATTLS_POLICY_NO_FILES, &errs);
	if (!p) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		attls_errors_free(&errs);
		return 2;
	}
	attls_errors_free(&errs);
	rc = candidates(p, &sc) < 0 || scan_all(p, &sc) < 0 ? 2 : 0;
	if (rc == 0) {
		qsort(sc.found, sc.n_found, sizeof(*sc.found), by_pid_port);
		for (size_t i = 0; i < sc.n_cand; i++)
			unheld += !sc.cand[i].held;
		if (json)
			print_json(&sc, file);
		else
			print_table(&sc);
		if (sc.n_unread) {
			fprintf(stderr, "attls status: %zu process%s could not be read (run as root):",
				sc.n_unread, sc.n_unread == 1 ? "" : "es");
			for (size_t i = 0; i < sc.n_unread; i++)
				fprintf(stderr, " %d (%s)", (int)sc.unread[i].pid, sc.unread[i].comm);
			fputc('\n', stderr);
		}
		if (sc.n_found)
			rc = 1;
		else if (sc.n_unread && unheld) {
			/* one of them may hold it: "none" would not be known */
			fprintf(stderr, "attls status: %zu covered socket%s held by no process "
				"that could be read\n", unheld, unheld == 1 ? "" : "s");
			rc = 2;
		}
	}
	free(sc.cand);
	free(sc.found);
	free(sc.unread);
	attls_policy_free(p);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--uncovered"))
			return status_uncovered(argc, argv);
	return cmd_status_live(argc, argv);
}
