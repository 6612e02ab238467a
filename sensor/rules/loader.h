/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading rule files into items: lists, macros and rules, with Falco's
 * override semantics applied across files (a later item with the same name
 * and `override: {key: append|replace}` changes the earlier one). Nothing is
 * compiled here; the compiler (compile.c) turns the surviving items into
 * condition trees once every file has been read, so items may refer to items
 * defined later or in another file.
 */
#ifndef NUMAGUARD_RULES_LOADER_H
#define NUMAGUARD_RULES_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "arena.h"
#include "diag.h"
#include "ytree.h"

/* The rule language version this engine implements (required_engine_version). */
#define NG_ENGINE_VERSION_MAJOR 1
#define NG_ENGINE_VERSION_MINOR 0
#define NG_ENGINE_VERSION_PATCH 0

/* Rule files larger than this are refused before parsing. */
#define NG_RULES_MAX_FILE (8u << 20)

/* One YAML scalar holding condition or output text, with its source for positions. */
struct ng_text {
	const struct ng_ynode *y;
	const char *file; /* engine lifetime */
	const char *src;  /* the file's bytes (load lifetime) */
};

/* Condition, output and desc texts are fragments: override append adds one. */
struct ng_texts {
	struct ng_text *v;
	size_t n;
};

struct ng_pos {
	const char *file;
	unsigned line, col;
};

struct ng_list_def {
	const char *name;
	struct ng_pos pos;
	const struct ng_ynode **items; /* scalars */
	const char **item_files;       /* file of each item (append may add from another file) */
	size_t n;
	bool used, visiting;
};

struct ng_macro_def {
	const char *name;
	struct ng_pos pos;
	struct ng_texts cond;
	bool used, visiting;
};

struct ng_exception_def {
	const char *name;
	const char *file;
	const struct ng_ynode *node;   /* the whole exception map */
	const struct ng_ynode *fields; /* scalar or sequence */
	const struct ng_ynode *comps;  /* NULL, scalar or sequence */
	const struct ng_ynode **values;
	const char **value_files;
	size_t nvalues;
};

#define NG_ACT_ALERT (1u << 0)
#define NG_ACT_KILL (1u << 1)
#define NG_ACT_SECCOMP (1u << 2)

/* throttle: {key: [...], window: 60s, max: N}; threshold: {key, window, count}. */
struct ng_rate_def {
	bool set;
	struct ng_pos pos;
	const struct ng_ynode *key; /* sequence of field names (or one scalar) */
	const char *key_file;
	uint64_t window_ns;
	uint32_t n; /* max (throttle) or count (threshold) */
};

struct ng_rule_def {
	const char *name;
	struct ng_pos pos;
	const char *id; /* NULL = none */
	struct ng_pos id_pos;
	unsigned version;
	struct ng_texts desc, cond, output;
	int priority; /* enum ng_priority, -1 = missing */
	const char **tags;
	size_t ntags;
	bool enabled;
	struct ng_exception_def *exc;
	size_t nexc;
	struct ng_rate_def throttle, threshold;
	unsigned actions; /* NG_ACT_* */
	bool disabled_only; /* `- rule: X` + `enabled:` only: modifies X, Falco's legacy form */
};

/* Name → item, so that a file with 100 000 items loads in linear time. */
struct ng_name_index {
	struct ng_name_slot {
		const char *name;
		void *item;
	} *slots;
	size_t cap, n;
};

struct ng_loader {
	struct ng_arena *perm; /* outlives the load: names, ids, tags, files */
	struct ng_arena *tmp;  /* YAML trees and file texts, freed after compiling */
	struct ng_diags *diags;
	struct ng_list_def **lists;
	size_t nlists;
	struct ng_macro_def **macros;
	size_t nmacros;
	struct ng_rule_def **rules;
	size_t nrules;
	struct ng_name_index list_ix, macro_ix, rule_ix;
};

/*
 * Read one file's text (name is used in diagnostics). Errors and warnings
 * go to L->diags; returns 0 or -ENOMEM (a file with errors still returns 0,
 * so every file gets checked).
 */
int ng_loader_add(struct ng_loader *L, const char *name, const char *text, size_t len);
/* Read a file from disk; a read failure is recorded as a diagnostic. */
int ng_loader_add_file(struct ng_loader *L, const char *path);

struct ng_list_def *ng_loader_list(const struct ng_loader *L, const char *name);
struct ng_macro_def *ng_loader_macro(const struct ng_loader *L, const char *name);

/*
 * Maps offsets in a scalar's value back to file line/col. The value differs
 * from the source by quoting, block headers and line folding, but its
 * non-blank characters appear in the same order, so a cursor walks both.
 * Offsets asked for must not decrease (the lexer's are increasing), which
 * keeps a whole condition linear; where the mapping is lost (escapes in a
 * double-quoted scalar) the scalar's start is reported.
 */
struct ng_textcur {
	const struct ng_text *t;
	size_t vi, ri;
	unsigned line, col;
	bool lost;
};
void ng_textcur_init(struct ng_textcur *c, const struct ng_text *t);
void ng_textcur_pos(struct ng_textcur *c, size_t off, unsigned *line, unsigned *col);

/* "60s", "500ms", "5m", "1h", or a bare number of seconds. Returns 0 or -EINVAL. */
int ng_parse_duration(const char *s, uint64_t *ns);

#endif
