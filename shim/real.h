/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The real libc functions behind the hooks, each resolved once. */
#ifndef ATTLS_REAL_H
#define ATTLS_REAL_H

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define ATTLS_REAL_FUNCS(X)                                                              \
	X(int, connect, (int, const struct sockaddr *, socklen_t))                       \
	X(int, accept, (int, struct sockaddr *, socklen_t *))                            \
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                      \
	X(int, getsockopt, (int, int, int, void *, socklen_t *))                          \
	X(int, setsockopt, (int, int, int, const void *, socklen_t))                      \
	X(int, shutdown, (int, int))                                                      \
	X(ssize_t, read, (int, void *, size_t))                                           \
	X(ssize_t, write, (int, const void *, size_t))                                    \
	X(ssize_t, readv, (int, const struct iovec *, int))                               \
	X(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int))                 \
	X(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int))                \
	X(ssize_t, writev, (int, const struct iovec *, int))                              \
	X(ssize_t, recv, (int, void *, size_t, int))                                      \
	X(ssize_t, send, (int, const void *, size_t, int))                                \
	X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))  \
	X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *,     \
			    socklen_t))                                                   \
	X(ssize_t, recvmsg, (int, struct msghdr *, int))                                  \
	X(ssize_t, sendmsg, (int, const struct msghdr *, int))                            \
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned, int, struct timespec *))       \
	X(int, sendmmsg, (int, struct mmsghdr *, unsigned, int))                          \
	X(ssize_t, splice, (int, loff_t *, int, loff_t *, size_t, unsigned))              \
	X(ssize_t, copy_file_range, (int, loff_t *, int, loff_t *, size_t, unsigned))     \
	X(ssize_t, sendfile, (int, int, off_t *, size_t))                                 \
	X(ssize_t, sendfile64, (int, int, off_t *, size_t))                               \
	X(int, poll, (struct pollfd *, nfds_t, int))                                      \
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *,                  \
		       const sigset_t *))                                                 \
	X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))             \
	X(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *,      \
			 const sigset_t *))                                               \
	X(int, close, (int))                                                              \
	X(int, dup, (int))                                                                \
	X(int, dup2, (int, int))                                                          \
	X(int, dup3, (int, int, int))                                                     \
	X(int, fcntl, (int, int, ...))                                                    \
	X(int, fcntl64, (int, int, ...))                                                  \
	X(int, ioctl, (int, unsigned long, ...))                                          \
	X(int, epoll_ctl, (int, int, int, struct epoll_event *))                          \
	X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))      \
	X(pid_t, fork, (void))                                                            \
	X(pid_t, _Fork, (void))                                                           \
	/* the calls that only yield fds (hook_fdnew.c, hook_stdio.c, hook_syscall.c) */ \
	X(long, syscall, (long, ...))                                                     \
	X(int, socket, (int, int, int))                                                   \
	X(int, socketpair, (int, int, int, int *))                                        \
	X(int, pipe, (int *))                                                             \
	X(int, pipe2, (int *, int))                                                       \
	X(int, open, (const char *, int, ...))                                            \
	X(int, open64, (const char *, int, ...))                                          \
	X(int, openat, (int, const char *, int, ...))                                     \
	X(int, openat64, (int, const char *, int, ...))                                   \
	X(int, __open_2, (const char *, int))                                             \
	X(int, __open64_2, (const char *, int))                                           \
	X(int, __openat_2, (int, const char *, int))                                      \
	X(int, __openat64_2, (int, const char *, int))                                    \
	X(int, creat, (const char *, mode_t))                                             \
	X(int, creat64, (const char *, mode_t))                                           \
	X(int, epoll_create, (int))                                                       \
	X(int, epoll_create1, (int))                                                      \
	X(int, eventfd, (unsigned, int))                                                  \
	X(int, signalfd, (int, const sigset_t *, int))                                    \
	X(int, timerfd_create, (int, int))                                                \
	X(int, memfd_create, (const char *, unsigned))                                    \
	X(int, inotify_init, (void))                                                      \
	X(int, inotify_init1, (int))                                                      \
	X(int, fanotify_init, (unsigned, unsigned))                                       \
	X(int, pidfd_open, (pid_t, unsigned))                                             \
	X(int, pidfd_getfd, (int, int, unsigned))                                         \
	X(int, fclose, (FILE *))                                                          \
	/* the exec family (exec.c) */                                                    \
	X(int, execve, (const char *, char *const[], char *const[]))                      \
	X(int, execveat, (int, const char *, char *const[], char *const[], int))          \
	X(int, fexecve, (int, char *const[], char *const[]))                              \
	X(int, execvpe, (const char *, char *const[], char *const[]))                    \
	X(int, posix_spawn, (pid_t *, const char *, const posix_spawn_file_actions_t *,  \
			     const posix_spawnattr_t *, char *const[], char *const[]))    \
	X(int, posix_spawnp, (pid_t *, const char *, const posix_spawn_file_actions_t *, \
			      const posix_spawnattr_t *, char *const[], char *const[]))

struct attls_real {
#define ATTLS_REAL_FIELD(ret, name, args) ret(*name) args;
	ATTLS_REAL_FUNCS(ATTLS_REAL_FIELD)
#undef ATTLS_REAL_FIELD
};

extern struct attls_real attls_real;

/* Resolves every symbol with dlsym(RTLD_NEXT); safe to call again. */
void attls_real_init(void);

/* The real function, resolved now if a hook runs before the constructor. */
#define REAL(name) (__builtin_expect(attls_real.name != NULL, 1) ? attls_real.name : \
		    (attls_real_init(), attls_real.name))

#endif
