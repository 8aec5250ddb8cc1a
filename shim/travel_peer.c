/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who holds the other end of a unix socket. SO_PEERCRED is not enough: it
 * names the process that made the socket (a socketpair made before fork
 * names the parent), not the ones that hold it now. So the peer socket's
 * inode comes from sock_diag (NETLINK_SOCK_DIAG, UNIX_DIAG_PEER), the
 * processes that hold it from their fd tables in /proc, and whether each
 * runs attls from its maps. Everything here is the kernel's or libc's own
 * (REAL() for the calls attls hooks), on fds of its own that live for the
 * call only; it keeps no state, so a second thread, a signal or a fork
 * meanwhile see nothing of it.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "travel_peer.h"
#include "real.h"

/* The inode of the socket at the other end of unix socket ino; 0 if none, -1 with errno. */
static long long peer_inode(unsigned ino)
{
	struct {
		struct nlmsghdr n;
		struct unix_diag_req r;
	} q = {
		.n = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = ino,
		       .udiag_show = UDIAG_SHOW_PEER,
		       .udiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr n;
		char b[8192];
	} a;
	long long peer = 0;
	ssize_t len;
	int nl = REAL(socket)(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (nl < 0)
		return -1;
	if (REAL(sendto)(nl, &q, sizeof(q), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		goto fail;
	do
		len = REAL(recv)(nl, &a, sizeof(a), 0);
	while (len < 0 && errno == EINTR);
	if (len < 0)
		goto fail;
	for (struct nlmsghdr *h = &a.n; NLMSG_OK(h, (unsigned)len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			errno = e->error ? -e->error : EPROTO;
			goto fail;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		const struct unix_diag_msg *m = NLMSG_DATA(h);
		struct rtattr *at = (struct rtattr *)(m + 1);
		int left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));

		for (; RTA_OK(at, left); at = RTA_NEXT(at, left))
			if (at->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(at) >= (int)sizeof(__u32))
				peer = *(const __u32 *)RTA_DATA(at);
		break;
	}
	REAL(close)(nl);
	return peer;
fail:;
	int err = errno;

	REAL(close)(nl);
	errno = err;
	return -1;
}

/* This library's path and inode, to find it in another process's maps. */
static void own_library(char *path, size_t len, ino_t *ino)
{
	Dl_info info;
	struct stat st;
	char real[PATH_MAX];

	path[0] = '\0';
	*ino = 0;
	if (!dladdr((void *)attls_receivers_have_attls, &info) || !info.dli_fname)
		return;
	snprintf(path, len, "%s", realpath(info.dli_fname, real) ? real : info.dli_fname);
	if (stat(path, &st) == 0)
		*ino = st.st_ino;
}

/* 1 if pid has this library mapped, 0 if not, -1 with errno if its maps cannot be read. */
static int maps_attls(pid_t pid, const char *lib, ino_t ino)
{
	char name[64], *line = NULL;
	const char *base = strrchr(lib, '/') ? strrchr(lib, '/') + 1 : lib;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(name, "re")))
		return -1;
	while (!found && getline(&line, &cap, f) > 0) {
		unsigned long long inode = 0;
		int at = 0;
		char *p;

		/* address perms offset dev inode path */
		if (sscanf(line, "%*s %*s %*s %*s %llu %n", &inode, &at) < 1 || !at)
			continue;
		p = line + at;
		p[strcspn(p, "\n")] = '\0';
		if (!strcmp(p, lib))
			found = 1;
		else if (ino && inode == (unsigned long long)ino && strrchr(p, '/') &&
			 !strcmp(strrchr(p, '/') + 1, base))
			found = 1; /* the same file under another path (a bind mount) */
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * Whether /proc hides processes from this one (mounted with hidepid=1, 2,
 * noaccess or invisible): then a holder of another user could be missed
 * without a trace, instead of showing as unreadable. Root sees them all.
 */
static bool proc_hides(void)
{
	char *line = NULL, *opt;
	size_t cap = 0;
	bool hides = false;
	FILE *f;

	if (geteuid() == 0 || !(f = fopen("/proc/self/mountinfo", "re")))
		return geteuid() != 0;
	while (getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mountpoint options ... - fstype source superoptions */
		if (!strstr(line, " /proc ") || !strstr(line, " - proc "))
			continue;
		if ((opt = strstr(line, "hidepid=")) && strncmp(opt + 8, "0", 1) &&
		    strncmp(opt + 8, "off", 3))
			hides = true;
	}
	free(line);
	fclose(f);
	return hides;
}

/* Appends ",pid" (or "pid") to list, cut where it does not fit. */
static void add_pid(char *list, size_t len, pid_t pid, const char *note)
{
	size_t at = strlen(list);

	if (at < len)
		snprintf(list + at, len - at, "%s%d%s", at ? "," : "", (int)pid, note);
}

/*
 * 1 if pid holds socket inode peer, 0 if not, -1 with errno if its fd
 * table cannot be read (ENOENT: it is gone).
 */
static int holds(pid_t pid, unsigned long long peer)
{
	char name[64], want[64], link[64];
	struct dirent *e;
	int found = 0;
	DIR *d;

	snprintf(name, sizeof(name), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%llu]", peer);
	if (!(d = opendir(name)))
		return -1;
	errno = 0;
	while (!found && (e = readdir(d))) {
		ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);

		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, want);
		}
	}
	closedir(d);
	return found;
}

bool attls_receivers_have_attls(int via, const struct msghdr *msg, char *pids, size_t pidslen,
				char *why, size_t whylen)
{
	char lib[PATH_MAX], unreadable[128] = "";
	int saved = errno, dom = 0, holders = 0, without = 0, err = 0, nunread = 0;
	socklen_t len = sizeof(dom);
	long long peer;
	struct dirent *e;
	struct stat st;
	ino_t lib_ino;
	bool ok = false;
	DIR *proc;

	pids[0] = '\0';
	if (REAL(getsockopt)(via, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0 || dom != AF_UNIX ||
	    fstat(via, &st) < 0) {
		snprintf(why, whylen, "not a unix socket attls can read");
		goto out;
	}
	if (msg->msg_name && msg->msg_namelen) {
		snprintf(why, whylen, "sent to an address: which process reads it cannot be told");
		goto out;
	}
	if ((peer = peer_inode((unsigned)st.st_ino)) <= 0) {
		if (peer == 0)
			snprintf(why, whylen, "the unix socket has no peer");
		else
			snprintf(why, whylen, "sock_diag cannot name its peer: %s",
				 strerror(errno));
		goto out;
	}
	if (proc_hides()) {
		snprintf(why, whylen, "/proc hides other users' processes (hidepid): who holds "
			 "the other end cannot be told");
		goto out;
	}
	own_library(lib, sizeof(lib), &lib_ino);
	if (!lib[0]) {
		snprintf(why, whylen, "attls cannot find its own library");
		goto out;
	}
	if (!(proc = opendir("/proc"))) {
		snprintf(why, whylen, "/proc cannot be read: %s", strerror(errno));
		goto out;
	}
	while ((e = readdir(proc))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		int h, m;

		if (*end || pid <= 0)
			continue;
		h = holds((pid_t)pid, (unsigned long long)peer);
		if (h < 0 && errno != ENOENT) {
			/* Its fds cannot be read: it may hold the peer. */
			if (!err)
				err = errno;
			if (nunread++ < 8)
				add_pid(unreadable, sizeof(unreadable), (pid_t)pid, "");
			continue;
		}
		if (h <= 0)
			continue;
		holders++;
		if (pid == getpid()) {
			add_pid(pids, pidslen, (pid_t)pid, "");
			continue;
		}
		m = maps_attls((pid_t)pid, lib, lib_ino);
		if (m < 0 && errno == ENOENT)
			continue; /* gone since: it holds nothing */
		add_pid(pids, pidslen, (pid_t)pid, m > 0 ? "" : m < 0 ? "(maps unreadable)" :
							   "(no attls)");
		without += m <= 0;
	}
	closedir(proc);
	if (without)
		snprintf(why, whylen, "%d process(es) holding the other end run without attls",
			 without);
	else if (nunread)
		snprintf(why, whylen, "the fds of %d process(es) (pid %s%s) cannot be read (%s): "
			 "who holds the other end cannot be told", nunread, unreadable,
			 nunread > 8 ? ",..." : "", strerror(err));
	else if (!holders)
		snprintf(why, whylen, "no process holds the other end (it is in flight or closed)");
	else
		ok = true;
out:
	errno = saved;
	return ok;
}
