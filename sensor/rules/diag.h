/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule-loading diagnostics: every error and warning carries the file, line
 * and column it is about and the item (rule, macro, list) it belongs to, so
 * that `rules check` can print "FILE:LINE:COL: error: …" lines for humans
 * and a JSON document for tools from the same list.
 */
#ifndef NUMAGUARD_RULES_DIAG_H
#define NUMAGUARD_RULES_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

enum ng_diag_severity {
	NG_DIAG_ERROR,
	NG_DIAG_WARNING,
};

struct ng_diag {
	enum ng_diag_severity severity;
	char *file;
	unsigned line, col; /* 1-based; 0 when the diagnostic is about the whole file */
	char *item;         /* "rule 'X'", "macro 'Y'", "list 'Z'", or "" */
	char *message;
};

struct ng_diags {
	struct ng_diag *v;
	size_t n, cap;
	size_t errors, warnings;
	bool oom;       /* a diagnostic could not be recorded; counted as an error */
	size_t dropped; /* beyond NG_DIAG_MAX: counted, not kept */
};

/* A hostile file can produce an error per line; past this many, only count. */
#define NG_DIAG_MAX 500

/*
 * Record one diagnostic. An identical one (same place and message) is kept
 * once: a macro used by ten rules reports its own mistake once.
 */
void ng_diag_add(struct ng_diags *d, enum ng_diag_severity sev, const char *file, unsigned line,
		 unsigned col, const char *item, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static inline bool ng_diags_failed(const struct ng_diags *d)
{
	return d->errors > 0 || d->oom;
}

/* "FILE:LINE:COL: error: ITEM: message" lines. */
void ng_diags_print(const struct ng_diags *d, FILE *out);
/*
 * {"errors":N,"warnings":N,"diagnostics":[{"file","line","col","severity",
 * "item","message"}…]}
 */
void ng_diags_json(const struct ng_diags *d, struct ng_buf *b);
void ng_diags_free(struct ng_diags *d);

/*
 * The candidate closest to `word` by edit distance, for "did you mean"
 * hints; NULL when nothing is close enough to be a plausible typo.
 * `get(i, ctx)` returns candidate i (NULL entries are skipped).
 */
const char *ng_suggest(const char *word, size_t n, const char *(*get)(size_t i, void *ctx),
		       void *ctx);

#endif
