/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files attls trusts: the policy, certificates and CAs, PKCS#11 modules,
 * key, ticket key and PIN files. A path must be absolute; the file is
 * opened once and every check is made on the open descriptor (fstat),
 * never on a second look-up of the path. Symbolic links are followed
 * (certbot's live/ directory is made of them): what is checked is the file
 * that was opened.
 *
 * Trusted means owned by root or by the effective user, and not writable
 * by group or others; a secret must also not be readable by them.
 */
#ifndef ATTLS_FILETRUST_H
#define ATTLS_FILETRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

enum attls_trust {
	ATTLS_TRUST_PUBLIC, /* policy, certificates, CAs, modules */
	ATTLS_TRUST_SECRET, /* private keys, ticket keys, PINs */
};

/* What may be opened: a regular file, a directory, or either. */
enum attls_trust_type {
	ATTLS_TRUST_FILE = 1,
	ATTLS_TRUST_DIR = 2,
	ATTLS_TRUST_ANY = 3,
};

/*
 * Whether an ownership error of a root process names the whole rule (root,
 * or the user the program runs as) and attls check --user, for attls check
 * as root: a file owned by a service's user is right for the service. The
 * library never sets it. Set once before any file is checked, then only
 * read: no lock, and a fork or a signal finds it as it was.
 */
void attls_trust_explain_owner(bool on);

/*
 * Opens path read-only (O_CLOEXEC) and checks the open file. Returns the
 * fd (and its stat in st, if not NULL), or -1 with a reason in why such as
 * "/etc/attls/x.pem has mode 0664: it must not be writable by group or
 * others (chmod go-w)". errno is left as the failing call set it, or EPERM.
 */
int attls_trust_open(const char *path, enum attls_trust kind, enum attls_trust_type type,
		     struct stat *st, char *why, size_t whylen);

/* The same checks on an fd already open (named path in the reason). */
int attls_trust_check_fd(int fd, const char *path, enum attls_trust kind,
			 enum attls_trust_type type, struct stat *st, char *why, size_t whylen);

/*
 * Reads a whole trusted regular file, at most max bytes, into a new
 * NUL-terminated buffer. Returns it (length in *len), or NULL with why.
 * Free it with attls_trust_free, which wipes it first.
 */
unsigned char *attls_trust_read(const char *path, enum attls_trust kind, size_t max,
				size_t *len, char *why, size_t whylen);
void attls_trust_free(unsigned char *buf, size_t len);

/*
 * The same, from an fd already opened and checked (st: its fstat), as for
 * the entries of a CA directory opened with openat. The fd stays open.
 */
unsigned char *attls_trust_read_fd(int fd, const char *path, const struct stat *st, size_t max,
				   size_t *len, char *why, size_t whylen);

/*
 * Each regular file of a directory already opened and checked (dfd, named
 * dir), as /etc/ssl/certs is read: every entry opened relative to it
 * (openat, following symbolic links; a dangling one skipped, and anything
 * but a regular file), the file opened checked as kind, a file reached
 * through several names (hash links) visited once, then made blocking and
 * given to fn with its stat and "dir/entry". fn returns 0 (it took the
 * file), 1 (not one of its kind: skipped) or -1 (an error it has said).
 * Returns how many files fn took, or -1: with why when the directory or an
 * entry cannot be read or an entry fails its check, with why "" when fn
 * failed.
 */
int attls_trust_each_file(int dfd, const char *dir, enum attls_trust kind,
			  int (*fn)(int fd, const struct stat *st, const char *name, void *arg),
			  void *arg, char *why, size_t whylen);

#endif
