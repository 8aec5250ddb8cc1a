/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libc exports some calls under a second name as well (__poll, __select):
 * a program linked against that name must meet the same hook. The other
 * aliases (__close, __read, __write, __send, __connect, __dup2, __fcntl,
 * __pipe, __open, __open64) sit next to the call they alias.
 * tests/integration/hooked_symbols.sh keeps the list whole.
 */
#include <poll.h>
#include <sys/select.h>

#include "hooks.h"

ATTLS_HOOK int __poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return poll(fds, n, timeout);
}

ATTLS_HOOK int __select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	return select(nfds, rd, wr, ex, tv);
}
