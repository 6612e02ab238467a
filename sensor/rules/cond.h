/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A rule condition as a tree, after macros are expanded, lists substituted
 * and exceptions folded in (`and not (…)`), with field names resolved to
 * field ids and symbolic values (MPOL_BIND, MPOL_F_STATIC_NODES, CAP_SYS_NICE)
 * resolved to numbers. The evaluator may compile this into another form;
 * this tree is the stable view other modules walk (seccomp generation).
 */
#ifndef NUMAGUARD_RULES_COND_H
#define NUMAGUARD_RULES_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"

enum ng_op {
	NG_OP_EQ,
	NG_OP_NE,
	NG_OP_LT,
	NG_OP_LE,
	NG_OP_GT,
	NG_OP_GE,
	NG_OP_IN,
	NG_OP_INTERSECTS,
	NG_OP_CONTAINS,
	NG_OP_ICONTAINS,
	NG_OP_STARTSWITH,
	NG_OP_ENDSWITH,
	NG_OP_GLOB,
	NG_OP_EXISTS,
};

enum ng_node_kind {
	NG_NODE_AND,   /* left and right */
	NG_NODE_OR,    /* left or right */
	NG_NODE_NOT,   /* not left */
	NG_NODE_CMP,   /* field op values */
	NG_NODE_CONST, /* constant true/false */
};

struct ng_value {
	bool is_str;
	int64_t num;     /* numbers, bools (0/1), enum and flag/capability values (bit numbers for lists) */
	const char *str; /* strings, NUL-terminated */
};

struct ng_node {
	enum ng_node_kind kind;
	const struct ng_node *left, *right;
	/* NG_NODE_CMP */
	enum ng_field_id field;
	enum ng_op op;
	const struct ng_value *values; /* one value, or the list for in/intersects */
	size_t nvalues;
	/* NG_NODE_CONST */
	bool constant;
	/* Where the comparison (or operator) starts in its rule file. */
	const char *file;
	unsigned line, col;
};

#endif
