/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files that steer a root sensor (rule files, the config file) must not be
 * changeable by anyone but root: whoever can edit them can switch detection
 * off or point the kill action at any process.
 */
#ifndef NUMAGUARD_TRUST_H
#define NUMAGUARD_TRUST_H

#include <stddef.h>

/*
 * Check that path and every directory above it are owned by root (or by this
 * process's user) and not writable by group or others (a directory with the
 * sticky bit may be, since others cannot replace a file in it). Returns 0, or
 * a negative errno with one line in err saying what is wrong and how to fix it.
 */
int ng_check_trusted_file(const char *path, char *err, size_t errlen);

#endif
