/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The evaluable form of a condition. The tree of cond.h is compiled once into
 * nodes that carry everything evaluation needs inline: the field's offset
 * and presence bit, the operator specialised by type, numbers already
 * converted, string constants with their lengths (and lower-cased for
 * icontains), `in` sets sorted for binary search, flag and node sets as bit
 * masks. `and`/`or` chains become one n-ary node. Evaluation reads the event
 * and these nodes only: no allocation, no string parsing.
 */
#ifndef NUMAGUARD_RULES_PROGRAM_H
#define NUMAGUARD_RULES_PROGRAM_H

#include <stdbool.h>

#include "arena.h"
#include "cond.h"
#include "event.h"

struct ng_prog;

/* NULL when out of memory. */
const struct ng_prog *ng_prog_compile(struct ng_arena *a, const struct ng_node *root);
bool ng_prog_eval(const struct ng_prog *p, const struct ng_event *e);

/* Glob match used for the glob operator: *, ?, [set], [!set], [a-z], backslash escapes. */
bool ng_glob_match(const char *pat, size_t plen, const char *s, size_t slen);

#endif
