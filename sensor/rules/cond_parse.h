/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Condition text → condition tree (cond.h). Macros are expanded in place,
 * lists substituted, field names resolved to ids and values to typed
 * numbers, sets or strings, with every operator checked against the field's
 * type. Nesting (parentheses, `not`, macros) is bounded; long `and`/`or`
 * chains are built as balanced trees so no walker recurses deeply.
 */
#ifndef NUMAGUARD_RULES_COND_PARSE_H
#define NUMAGUARD_RULES_COND_PARSE_H

#include "cond.h"
#include "loader.h"

/* Nesting limit for parentheses, `not` and macro expansion together. */
#define NG_COND_MAX_DEPTH 64

struct ng_cctx {
	struct ng_loader *L;
	const char *item; /* "rule 'X'", for diagnostics */
	int depth;
	bool failed;
};

/* A value as written, before it is typed against a field. */
struct ng_rawval {
	const char *s;
	size_t len;
	bool quoted; /* a quoted string is never a list name */
	const char *file;
	unsigned line, col;
};

/* Parse condition fragments (joined by spaces). NULL after a diagnostic. */
const struct ng_node *ng_cond_parse(struct ng_cctx *cx, const struct ng_texts *t);

/* "=", "==", "in", "contains", …; -1 when not an operator. */
int ng_op_parse(const char *s, size_t len);
const char *ng_op_name(enum ng_op op);

/*
 * A comparison node; values that name a list (unquoted) are expanded. NULL
 * after a diagnostic (operator not valid for the type, bad value).
 */
const struct ng_node *ng_cond_cmp(struct ng_cctx *cx, const struct ng_field *f, enum ng_op op,
				  const struct ng_rawval *vals, size_t nvals, const char *file,
				  unsigned line, unsigned col);
const struct ng_node *ng_cond_bin(struct ng_cctx *cx, enum ng_node_kind kind,
				  const struct ng_node *l, const struct ng_node *r);
/* kind AND or OR over v[0..n): a balanced tree, so depth is log2(n). */
const struct ng_node *ng_cond_chain(struct ng_cctx *cx, enum ng_node_kind kind,
				    const struct ng_node **v, size_t n);

/* Field lookup with a "did you mean" diagnostic on failure. */
const struct ng_field *ng_cond_field(struct ng_cctx *cx, const char *name, size_t len,
				     const char *file, unsigned line, unsigned col);

#endif
