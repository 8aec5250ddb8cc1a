/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A program that ends with exit() or a return from main, its TLS sockets
 * still open: natively the kernel closes them and the peer gets every
 * byte, then FIN. Under attls records may still be queued, and records
 * the program never read (a TLS 1.3 server's session tickets) would make
 * the kernel answer with a reset that destroys what the peer has not read
 * yet. So each TLS connection this process still has is ended as close
 * ends a non-blocking one (queued records, close_notify, the peer's last
 * records drained), all at once in the background closer, whose wait is
 * bounded for all of them together (a few seconds at most, however many
 * connections, and none when every peer answers at once); the kernel
 * then closes the fds. The slots stay CLOSING:
 * another thread's call on such an fd in the last moments of the process
 * says EBADF rather than write past close_notify. _exit runs no code: a
 * program that ends that way ends its connections as the kernel does.
 */
#include <stdatomic.h>

#include "../lib/linger.h"
#include "../lib/session.h"
#include "fdtable.h"
#include "hooks.h"

__attribute__((destructor)) static void attls_end_at_exit(void)
{
	if (!atomic_load(&attls_tls_fds))
		return;
	for (int fd = attls_fd_next_tls(0); fd >= 0; fd = attls_fd_next_tls(fd + 1)) {
		struct attls_conn *c = attls_fd_close_begin(fd);

		if (c)
			attls_session_set_nonblock(c->s, true);
		attls_fd_close_session(c, fd, -1);
		if (c)
			attls_conn_put(c);
	}
	/* Non-blocking sockets were handed to the background closer. */
	attls_linger_wait_all();
}
