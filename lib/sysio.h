/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one boundary between lib/ and libc. Every call the engine makes to
 * the kernel that attls also hooks (a socket, an fd, a wait) goes through
 * this table, never by its name: inside libattls.so, a name such as
 * "close" binds to attls's own hook, and a hook reached from the engine
 * would find the engine's locks already held.
 *
 * The defaults are the real functions, resolved with dlsym(RTLD_NEXT) on
 * the first call of any entry (so a hook that runs before attls's
 * constructor, from another library's constructor, finds them too). The
 * build checks the rule: `make check-boundary` fails on any undefined
 * reference from an object of lib/ to a name libattls.so exports or may hook.
 */
#ifndef ATTLS_SYSIO_H
#define ATTLS_SYSIO_H

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#define ATTLS_IO_FUNCS(X)                                                            \
	X(ssize_t, recv, (int, void *, size_t, int))                                 \
	X(ssize_t, send, (int, const void *, size_t, int))                           \
	X(int, poll, (struct pollfd *, nfds_t, int))                                 \
	X(int, shutdown, (int, int))                                                 \
	X(int, getsockopt, (int, int, int, void *, socklen_t *))                     \
	X(int, close, (int))                                                         \
	X(ssize_t, read, (int, void *, size_t))                                      \
	X(ssize_t, write, (int, const void *, size_t))                               \
	X(int, open, (const char *, int, ...))                                       \
	X(int, openat, (int, const char *, int, ...))                                \
	X(int, fcntl, (int, int, ...))                                               \
	X(int, dup, (int))                                                           \
	X(int, socket, (int, int, int))                                              \
	X(int, connect, (int, const struct sockaddr *, socklen_t))                   \
	X(int, eventfd, (unsigned, int))                                             \
	X(int, signalfd, (int, const sigset_t *, int))                               \
	X(int, memfd_create, (const char *, unsigned))                               \
	X(int, fclose, (FILE *))

struct attls_io {
#define ATTLS_IO_FIELD(ret, name, args) ret(*name) args;
	ATTLS_IO_FUNCS(ATTLS_IO_FIELD)
#undef ATTLS_IO_FIELD
	int (*dupfd)(int); /* a new fd for the same socket, close-on-exec */
};

/*
 * The table. Written only by attls_io_resolve (once, under pthread_once)
 * and by attls_session_set_io (tests); read without a lock: each entry is
 * a pointer written before any thread could see attls use it, and either
 * value (trampoline or real function) does the same thing. A fork copies
 * it resolved; a signal handler calling a hook sees one or the other.
 */
extern struct attls_io attls_io;

/* Resolves every entry now (the shim's constructor calls it). */
void attls_io_resolve(void);

#endif
