// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "json.h"

static const char *sev_name(enum ng_diag_severity s)
{
	return s == NG_DIAG_ERROR ? "error" : "warning";
}

void ng_diag_add(struct ng_diags *d, enum ng_diag_severity sev, const char *file, unsigned line,
		 unsigned col, const char *item, const char *fmt, ...)
{
	char *msg = NULL;
	if (d->n >= NG_DIAG_MAX) {
		d->dropped++;
		if (sev == NG_DIAG_ERROR)
			d->errors++;
		else
			d->warnings++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		d->oom = true;
		return;
	}
	file = file ? file : "";
	item = item ? item : "";
	for (size_t i = 0; i < d->n; i++) {
		const struct ng_diag *o = &d->v[i];
		if (o->severity == sev && o->line == line && o->col == col &&
		    strcmp(o->file, file) == 0 && strcmp(o->message, msg) == 0) {
			free(msg);
			return;
		}
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		struct ng_diag *nv = realloc(d->v, ncap * sizeof(*nv));
		if (!nv) {
			free(msg);
			d->oom = true;
			return;
		}
		d->v = nv;
		d->cap = ncap;
	}
	struct ng_diag *n = &d->v[d->n];
	n->file = strdup(file);
	n->item = strdup(item);
	if (!n->file || !n->item) {
		free(n->file);
		free(n->item);
		free(msg);
		d->oom = true;
		return;
	}
	n->severity = sev;
	n->line = line;
	n->col = col;
	n->message = msg;
	d->n++;
	if (sev == NG_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void ng_diags_print(const struct ng_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct ng_diag *g = &d->v[i];
		fprintf(out, "%s:%u:%u: %s: %s%s%s\n", g->file, g->line, g->col, sev_name(g->severity),
			g->item, g->item[0] ? ": " : "", g->message);
	}
	if (d->dropped)
		fprintf(out, "note: %zu more diagnostics not shown\n", d->dropped);
	if (d->oom)
		fprintf(out, "error: out of memory while recording diagnostics\n");
}

void ng_diags_json(const struct ng_diags *d, struct ng_buf *b)
{
	ng_buf_printf(b, "{\"errors\":%zu,\"warnings\":%zu,\"not_shown\":%zu,\"diagnostics\":[",
		      d->errors + (d->oom ? 1 : 0), d->warnings, d->dropped);
	for (size_t i = 0; i < d->n; i++) {
		const struct ng_diag *g = &d->v[i];
		if (i)
			ng_buf_putc(b, ',');
		ng_buf_puts(b, "{\"file\":");
		ng_json_str(b, g->file);
		ng_buf_printf(b, ",\"line\":%u,\"col\":%u,\"severity\":\"%s\",\"item\":", g->line,
			      g->col, sev_name(g->severity));
		ng_json_str(b, g->item);
		ng_buf_puts(b, ",\"message\":");
		ng_json_str(b, g->message);
		ng_buf_putc(b, '}');
	}
	ng_buf_puts(b, "]}");
}

void ng_diags_free(struct ng_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].item);
		free(d->v[i].message);
	}
	free(d->v);
	*d = (struct ng_diags){ 0 };
}

/* Levenshtein distance with two rows; words longer than 64 bytes never match. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[2][65];
	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = row[i & 1], *prev = row[(i - 1) & 1];
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	}
	return row[la & 1][lb];
}

const char *ng_suggest(const char *word, size_t n, const char *(*get)(size_t i, void *ctx),
		       void *ctx)
{
	size_t best = (size_t)-1, wl = strlen(word);
	const char *pick = NULL;
	/* Allow about one typo in three characters, at least two. */
	size_t limit = wl / 3 > 2 ? wl / 3 : 2;
	/* A hint is not worth a quadratic load on a file with a huge number of items. */
	if (n > 4096)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *c = get(i, ctx);
		if (!c)
			continue;
		size_t dist = edit_distance(word, c);
		if (dist < best) {
			best = dist;
			pick = c;
		}
	}
	return best <= limit && best > 0 ? pick : NULL;
}
