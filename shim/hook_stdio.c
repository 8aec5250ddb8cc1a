/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fclose closes its fd inside libc, where no close hook sees it: the fd's
 * slot goes through the same three steps as close (fdtable.h), so that a
 * TLS socket given to fdopen ends as close would end it, and the number's
 * next fd finds no stale state.
 */
#include <stdio.h>

#include "epoll_set.h"
#include "fdtable.h"
#include "hooks.h"
#include "real.h"

ATTLS_HOOK int fclose(FILE *f)
{
	int fd = f ? fileno(f) : -1;
	struct attls_conn *c = NULL;
	int r;

	if (fd >= 0) {
		attls_epoll_forget(fd); /* first: it knows a TLS fd by its TLS slot */
		c = attls_fd_close_begin(fd);
		attls_fd_close_session(c, fd, -1);
	}
	r = REAL(fclose)(f);
	if (fd >= 0)
		attls_fd_close_end(fd, c);
	return r;
}
