/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ATTLS_HOOKS_H
#define ATTLS_HOOKS_H

#define ATTLS_HOOK __attribute__((visibility("default")))

#endif
