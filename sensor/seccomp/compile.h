/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule condition → seccomp clauses. The condition is put in negation normal
 * form and expanded into a disjunction of conjunctions over what seccomp can
 * test: the registers of set_mempolicy (mpol.mode, mpol.flags, mpol.mode_raw,
 * mpol.maxnode). Each conjunction becomes one libseccomp rule.
 *
 * Everything else (the node list behind the pointer, process, user and
 * container identity, the outcome of the call) is replaced by "true" where
 * it occurs, negated or not. The filter then acts on a superset of the calls
 * the rule matches: never fewer, possibly more. Each replaced comparison is
 * listed in the filter's notes and f->broadened is set.
 */
#ifndef NUMAGUARD_SECCOMP_COMPILE_H
#define NUMAGUARD_SECCOMP_COMPILE_H

#include <stddef.h>

#include "filter.h"
#include "rules/cond.h"

/* Upper bound on the clauses of one filter; past it the condition is refused as too complex. */
#define NG_SC_MAX_CLAUSES 512

/*
 * Add the clauses of `cond` to f (f->syscall names the call the filter is for).
 * Returns 0, or a negative errno with err set:
 *   -ENOEXEC  nothing in the condition can be tested by seccomp
 *   -ENOENT   the condition can never match a call of f->syscall
 *   -E2BIG    the expansion exceeds NG_SC_MAX_CLAUSES
 *   -ENOMEM
 * A condition whose seccomp part holds for every call yields one clause with
 * no comparison: the caller decides whether a whole-syscall block is wanted.
 */
int ng_sc_compile(const struct ng_node *cond, struct ng_sc_filter *f, char *err, size_t errlen);

/* Whether f acts on every call of its syscall (a clause with no comparison). */
bool ng_sc_filter_unconditional(const struct ng_sc_filter *f);

#endif
