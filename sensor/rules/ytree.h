/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A rule file as a small tree built from libyaml's event stream, keeping the
 * start position of every node (and the raw source span of every scalar, so
 * a column inside a condition can be mapped back to the file). Hostile input
 * is bounded here: nesting depth, aliases (refused, so a file cannot expand
 * itself exponentially), NUL characters in scalars, several documents.
 */
#ifndef NUMAGUARD_RULES_YTREE_H
#define NUMAGUARD_RULES_YTREE_H

#include <stddef.h>

#include "arena.h"
#include "diag.h"

#define NG_YAML_MAX_DEPTH 64

enum ng_ykind {
	NG_Y_SCALAR,
	NG_Y_SEQ,
	NG_Y_MAP,
};

enum ng_ystyle {
	NG_YS_PLAIN,
	NG_YS_SINGLE,
	NG_YS_DOUBLE,
	NG_YS_LITERAL,
	NG_YS_FOLDED,
};

struct ng_ynode {
	enum ng_ykind kind;
	unsigned line, col;  /* 1-based start of the node */
	size_t start, end;   /* byte span of the node in the source */
	enum ng_ystyle style; /* scalars */
	char *s;             /* scalar value, NUL-terminated, no NUL inside */
	size_t len;
	struct ng_ynode **kids; /* sequence items; for maps key, value, key, value, … */
	size_t n;
};

/*
 * Parse text[0..len) into a tree allocated from a. *root is NULL for an empty
 * file. Returns 0, or -EINVAL after recording an error in d (with the
 * position libyaml reports), or -ENOMEM.
 */
int ng_ytree_parse(struct ng_arena *a, const char *file, const char *text, size_t len,
		   struct ng_diags *d, struct ng_ynode **root);

/* Value for a key in a map node, or NULL. */
const struct ng_ynode *ng_ymap_get(const struct ng_ynode *map, const char *key);

static inline const char *ng_ykind_name(enum ng_ykind k)
{
	return k == NG_Y_SCALAR ? "a scalar" : k == NG_Y_SEQ ? "a sequence" : "a mapping";
}

#endif
