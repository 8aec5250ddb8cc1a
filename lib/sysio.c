/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/mman.h>

#include "sysio.h"

static pthread_once_t resolved = PTHREAD_ONCE_INIT;

/* Until resolved, each entry is a trampoline that resolves, then calls. */
#define ATTLS_IO_DECL(ret, name, args) static ret first_##name args;
ATTLS_IO_FUNCS(ATTLS_IO_DECL)
#undef ATTLS_IO_DECL
static int first_dupfd(int fd);

struct attls_io attls_io = {
#define ATTLS_IO_INIT(ret, name, args) .name = first_##name,
	ATTLS_IO_FUNCS(ATTLS_IO_INIT)
#undef ATTLS_IO_INIT
	.dupfd = first_dupfd,
};

static int dupfd_real(int fd)
{
	return attls_io.fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

static void resolve_once(void)
{
	struct attls_io r;
	void *p;

#define ATTLS_IO_RESOLVE(ret, name, args)                                     \
	p = dlsym(RTLD_NEXT, #name);                                          \
	if (!p)                                                               \
		p = dlsym(RTLD_DEFAULT, #name);                               \
	if (!p)                                                               \
		abort();                                                      \
	r.name = (ret(*) args)p;
	ATTLS_IO_FUNCS(ATTLS_IO_RESOLVE)
#undef ATTLS_IO_RESOLVE
	r.dupfd = dupfd_real;
	/* Entry by entry: a thread reading one sees a trampoline or the real one. */
#define ATTLS_IO_STORE(ret, name, args) \
	__atomic_store_n(&attls_io.name, r.name, __ATOMIC_RELEASE);
	ATTLS_IO_FUNCS(ATTLS_IO_STORE)
#undef ATTLS_IO_STORE
	__atomic_store_n(&attls_io.dupfd, r.dupfd, __ATOMIC_RELEASE);
}

void attls_io_resolve(void)
{
	int saved = errno;

	pthread_once(&resolved, resolve_once);
	errno = saved;
}

static ssize_t first_recv(int fd, void *b, size_t n, int f)
{
	attls_io_resolve();
	return attls_io.recv(fd, b, n, f);
}

static ssize_t first_send(int fd, const void *b, size_t n, int f)
{
	attls_io_resolve();
	return attls_io.send(fd, b, n, f);
}

static int first_poll(struct pollfd *p, nfds_t n, int ms)
{
	attls_io_resolve();
	return attls_io.poll(p, n, ms);
}

static int first_shutdown(int fd, int how)
{
	attls_io_resolve();
	return attls_io.shutdown(fd, how);
}

static int first_getsockopt(int fd, int l, int o, void *v, socklen_t *len)
{
	attls_io_resolve();
	return attls_io.getsockopt(fd, l, o, v, len);
}

static int first_close(int fd)
{
	attls_io_resolve();
	return attls_io.close(fd);
}

static ssize_t first_read(int fd, void *b, size_t n)
{
	attls_io_resolve();
	return attls_io.read(fd, b, n);
}

static ssize_t first_write(int fd, const void *b, size_t n)
{
	attls_io_resolve();
	return attls_io.write(fd, b, n);
}

static int first_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	attls_io_resolve();
	return attls_io.open(path, flags, mode);
}

static int first_openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	attls_io_resolve();
	return attls_io.openat(dfd, path, flags, mode);
}

static int first_fcntl(int fd, int cmd, ...)
{
	void *arg;
	va_list ap;

	/* glibc's own fcntl takes the argument this way, whatever cmd is. */
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	attls_io_resolve();
	return attls_io.fcntl(fd, cmd, arg);
}

static int first_dup(int fd)
{
	attls_io_resolve();
	return attls_io.dup(fd);
}

static int first_socket(int d, int t, int p)
{
	attls_io_resolve();
	return attls_io.socket(d, t, p);
}

static int first_connect(int fd, const struct sockaddr *a, socklen_t len)
{
	attls_io_resolve();
	return attls_io.connect(fd, a, len);
}

static int first_eventfd(unsigned v, int flags)
{
	attls_io_resolve();
	return attls_io.eventfd(v, flags);
}

static int first_memfd_create(const char *name, unsigned flags)
{
	attls_io_resolve();
	return attls_io.memfd_create(name, flags);
}

static int first_signalfd(int fd, const sigset_t *m, int flags)
{
	attls_io_resolve();
	return attls_io.signalfd(fd, m, flags);
}

static int first_fclose(FILE *f)
{
	attls_io_resolve();
	return attls_io.fclose(f);
}

static int first_dupfd(int fd)
{
	attls_io_resolve();
	return attls_io.dupfd(fd);
}
