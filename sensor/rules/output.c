// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "event_text.h"
#include "output.h"
#include "text.h"

struct ng_tmpl_seg {
	const char *lit; /* literal bytes, or NULL for a field */
	size_t len;
	enum ng_field_id field;
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

int ng_tmpl_compile(struct ng_cctx *cx, const struct ng_texts *t, struct ng_tmpl *out)
{
	struct ng_arena *a = cx->L->perm;
	struct ng_tmpl_seg *segs = NULL;
	size_t n = 0, cap = 0;
	bool bad = false;
	*out = (struct ng_tmpl){ 0 };
	for (size_t fi = 0; fi < t->n; fi++) {
		const struct ng_text *x = &t->v[fi];
		const char *s = x->y->s;
		size_t len = x->y->len, i = 0;
		struct ng_textcur cur;
		ng_textcur_init(&cur, x);
		while (i < len || (fi + 1 < t->n && i == len)) {
			/* Fragments appended by override are joined with a space. */
			struct ng_tmpl_seg seg = { 0 };
			if (i == len) {
				seg = (struct ng_tmpl_seg){ " ", 1, 0 };
				i++;
			} else if (s[i] == '%' && i + 1 < len && s[i + 1] == '%') {
				seg = (struct ng_tmpl_seg){ "%", 1, 0 };
				i += 2;
			} else if (s[i] == '%' && i + 1 < len && name_char(s[i + 1]) &&
				   s[i + 1] != '.') {
				size_t j = i + 1;
				while (j < len && name_char(s[j]))
					j++;
				/* A sentence-ending dot is not part of the field name. */
				while (s[j - 1] == '.')
					j--;
				unsigned line, col;
				ng_textcur_pos(&cur, i, &line, &col);
				const struct ng_field *f =
					ng_cond_field(cx, s + i + 1, j - i - 1, x->file, line, col);
				if (!f) {
					bad = true;
					i = j;
					continue;
				}
				seg = (struct ng_tmpl_seg){ NULL, 0, (enum ng_field_id)(f - ng_fields) };
				i = j;
			} else {
				size_t j = i + 1;
				while (j < len && s[j] != '%')
					j++;
				seg = (struct ng_tmpl_seg){ s + i, j - i, 0 };
				i = j;
			}
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct ng_tmpl_seg *ns = ng_arena_grow(a, segs, n, nc, sizeof(*ns));
				if (!ns)
					return -ENOMEM;
				segs = ns;
				cap = nc;
			}
			if (seg.lit) {
				seg.lit = ng_arena_strndup(a, seg.lit, seg.len);
				if (!seg.lit)
					return -ENOMEM;
			}
			segs[n++] = seg;
		}
	}
	if (bad)
		return -EINVAL;
	enum ng_field_id *fields = ng_arena_alloc(a, (n + 1) * sizeof(*fields));
	if (!fields)
		return -ENOMEM;
	uint64_t seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (segs[i].lit || (seen >> segs[i].field & 1))
			continue;
		seen |= 1ull << segs[i].field;
		fields[out->nfields++] = segs[i].field;
	}
	out->segs = segs;
	out->nsegs = n;
	out->fields = fields;
	return 0;
}

void ng_tmpl_render(const struct ng_tmpl *t, const struct ng_event *e, struct ng_buf *b)
{
	for (size_t i = 0; i < t->nsegs; i++) {
		const struct ng_tmpl_seg *s = &t->segs[i];
		if (s->lit)
			ng_buf_put(b, s->lit, s->len);
		else
			ng_field_text(b, e, &ng_fields[s->field], NG_TEXT_TEMPLATE);
	}
}
