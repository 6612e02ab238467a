/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Enforcement policy files (YAML under policies/, format in docs/enforcement.md):
 * a name, an action and a list of match entries over the mode, flags and
 * maxnode of set_mempolicy. A policy is turned into a condition tree and
 * compiled by compile.c, the same way a rule is, so both give identical
 * filters for identical conditions.
 */
#ifndef NUMAGUARD_SECCOMP_POLICY_H
#define NUMAGUARD_SECCOMP_POLICY_H

#include <stdio.h>

#include "filter.h"

/*
 * Load `path` into f (initialised by the caller). Every problem is written
 * to diag as "FILE:LINE:COL: error: …". Returns 0, -EINVAL for an invalid
 * policy, or another negative errno when the file cannot be read.
 */
int ng_sc_policy_load(const char *path, struct ng_sc_filter *f, FILE *diag);

#endif
