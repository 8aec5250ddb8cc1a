/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attls's locks, in the one order they nest (outermost first). A thread
 * that holds one may take only those below it; fork's prepare handler
 * (shim/fork.c) takes every one of them in this order, and the parent and
 * the child release them, so that a child never inherits a lock held by a
 * thread it does not have, and no lock is ever re-initialised. Each lock's
 * own comment points here.
 *
 *  1. sets_lock            shim/epoll_set.c  the list of epoll sets
 *  2. struct set.lock      shim/epoll_set.c  one set's registrations (list order)
 *  3. table_lock           shim/fdtable.c    the fd table's slots
 *  4. attls_session.lock   lib/session.c     one TLS connection (fd order,
 *                                            each session once)
 *  5. linger.c lock        lib/linger.c      the background closes
 *  6. reload_lock          lib/engine.c      one policy reload at a time
 *  7. policy_lock          lib/engine.c      the pointer to the policy in force
 *  8. reg_lock             lib/pkcs11.c      the PKCS#11 modules and tokens
 *  9. struct token.lock    lib/pkcs11.c      one token's session (list order)
 * 10. cache_lock           lib/resume_client.c  the kept client sessions
 * 11. ratchet_lock         lib/tickets.c     the ticket keys
 *
 * Where one is taken under another: a set's lock around a readiness
 * check, a handshake or a last reference (2 -> 4), a session handing its
 * end to the linger thread (4 -> 5), a handshake's PKCS#11 signature
 * (4 -> 9), its kept session and tickets (4 -> 10, 4 -> 11). A reload
 * (at connect or accept, or when look() meets an fd it never saw, under
 * no lock or a set's) holds reload_lock while it reads the new policy's
 * keys (6 -> 8, 9), restarts the ticket ratchet (6 -> 11), forgets the
 * kept client sessions (6 -> 10) and swaps the policy (6 -> 7); reload_lock
 * is only ever tried (a thread that finds it held goes on with the policy
 * in force), so a connect in a signal handler never waits for it. Nothing is
 * taken under policy_lock: it is held only to read the pointer and take a
 * reference, or to swap it. A policy's reference count is atomic and its
 * last drop (from a session's free, under any lock) takes no lock: freeing
 * contexts calls no code of attls's. The rest are ordered only for prepare. The table lock (3) is held only
 * for a slot's change or a reference; the sessions (4) are taken under it
 * in prepare only, and no thread takes 3 while it holds a session (a
 * session never calls a hook on a TLS fd).
 *
 * exec (shim/exec.c) takes each session's lock (4) alone, to export it,
 * never two at once and never under another; the sessions handed over
 * (shim/inherit.c) are written by the constructor and taken by an atomic
 * exchange: no lock of their own. A sendmsg that carries sessions
 * (shim/travel_send.c) does the same: each session's lock (4) alone, to
 * export it, undo the export or end it; then the table's (3) alone, to
 * make its fds HANDED; none is held across the real sendmsg.
 *
 * Not locks, and safe across fork as they are: the pthread_once of the
 * engine (lib/engine.c) and of libgcrypt (lib/cryptodev.c), whose tables
 * are written once and then only read; the per-thread user cache of
 * engine.c; the sessions received through SCM_RIGHTS and not yet taken
 * up (shim/travel_keep.c), an array of places claimed and emptied by
 * compare-and-swap; the claim words that say which process owns a
 * connection after fork (lib/claim.h), in memory shared between
 * processes, each changed once from 0 to a pid by compare-and-swap with
 * its session's lock (4) held (in prepare, before the fork, also the
 * word's first value), and the list of claim memfds, changed by
 * compare-and-swap only; the live table of attls status (lib/livetab.c),
 * installed by compare-and-swap, its slots taken by compare-and-swap of
 * their state and written only by their session under its lock (4), its
 * byte counters relaxed atomics (a fork's child forgets it and makes its
 * own in the child handler: fork.c), its policy lines written by one
 * writer at a time (the engine's pthread_once, then reload_lock, 6, which
 * prepare holds, so a child copies them whole) under a sequence count
 * that readers retry on, never wait for. A
 * signal handler takes none of these locks: the
 * hooks a handler may call on a clear-text fd take none, and attls blocks
 * the signals it must while it waits (lib/session.c, wait_fd).
 *
 * The OCSP staple a server keeps (lib/staple.c) takes no lock either: its
 * response is published by atomic exchange and read under an atomic count
 * of readers, its refresher elected by compare-and-swap of a token that
 * names the process (a fork's child never waits for its parent's thread).
 *
 * A child made by _Fork runs no handler: see attls_fd_forget_all_raw.
 */
#ifndef ATTLS_LOCKS_H
#define ATTLS_LOCKS_H

/* The fork handlers (shim/fork.c), registered once by the constructor. */
void attls_fork_prepare(void);
void attls_fork_parent(void);
void attls_fork_child(void);
/*
 * The fork pipes' write ends this process holds (fork.c): *fds and their
 * count; adopt adds one (a write end handed over across exec).
 */
int attls_fork_held(const int **fds);
void attls_fork_adopt(int fd);

#endif
