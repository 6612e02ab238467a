// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdbool.h>
#include <string.h>

#include "event_text.h"
#include "json.h"
#include "text.h"

/* A name from a symbol table, or the number when it has none (a future capability, say). */
static void sym_or_number(struct ng_buf *b, const struct ng_symtab *t, int64_t v, bool json)
{
	if (v >= 0 && (uint64_t)v < t->n && t->names[v] && t->names[v][0]) {
		/* Symbol names are our own constants (plain ASCII): quoting is enough. */
		if (json)
			ng_buf_putc(b, '"');
		ng_buf_puts(b, t->names[v]);
		if (json)
			ng_buf_putc(b, '"');
	} else {
		ng_buf_i64(b, v);
	}
}

static void flags_text(struct ng_buf *b, const struct ng_field *f, uint64_t v, bool brackets,
		       bool json)
{
	bool first = true;
	if (brackets)
		ng_buf_putc(b, '[');
	for (unsigned i = 0; i < 64; i++) {
		if (!(v >> i & 1))
			continue;
		if (!first)
			ng_buf_putc(b, ',');
		first = false;
		sym_or_number(b, f->syms, i, json);
	}
	if (brackets)
		ng_buf_putc(b, ']');
}

void ng_field_text(struct ng_buf *b, const struct ng_event *e, const struct ng_field *f,
		   enum ng_text_style style)
{
	bool json = style == NG_TEXT_JSON;
	bool brackets = style != NG_TEXT_PLAIN;

	if (!e || !ng_event_has(e, (enum ng_field_id)(f - ng_fields))) {
		if (style == NG_TEXT_TEMPLATE)
			ng_buf_puts(b, "<NA>");
		else if (json)
			ng_buf_puts(b, "null");
		return;
	}
	const void *p = ng_field_ptr(e, f);
	switch (f->type) {
	case NG_FT_I64:
		ng_buf_i64(b, *(const int64_t *)p);
		break;
	case NG_FT_U32:
		ng_buf_u64(b, *(const uint32_t *)p);
		break;
	case NG_FT_U64:
		ng_buf_u64(b, *(const uint64_t *)p);
		break;
	case NG_FT_BOOL:
		ng_buf_puts(b, *(const bool *)p ? "true" : "false");
		break;
	case NG_FT_STR:
		if (json)
			ng_json_strn(b, p, strnlen(p, f->size));
		else
			ng_buf_put(b, p, strnlen(p, f->size));
		break;
	case NG_FT_TIME: {
		if (json) {
			ng_json_time(b, *(const uint64_t *)p);
			break;
		}
		char t[48];
		ng_buf_put(b, t, ng_rfc3339(t, sizeof(t), *(const uint64_t *)p, 9));
		break;
	}
	case NG_FT_MODE:
		sym_or_number(b, f->syms, *(const int64_t *)p, json);
		break;
	case NG_FT_ENUM:
		sym_or_number(b, f->syms, *(const uint32_t *)p, json);
		break;
	case NG_FT_FLAGS: {
		/*
		 * Capability sets repeat from event to event (every root process has
		 * the same 41 names): reuse the last rendering of each field and style.
		 */
		static __thread struct {
			uint64_t v;
			bool valid;
			struct ng_buf text;
		} last[NG_F__COUNT][NG_TEXT_JSON + 1];
		size_t id = (size_t)(f - ng_fields);
		uint64_t v = *(const uint64_t *)p;
		struct ng_buf *c = &last[id][style].text;
		if (last[id][style].valid && last[id][style].v == v && ng_buf_ok(c)) {
			ng_buf_put(b, c->data, c->len);
			break;
		}
		size_t start = b->len;
		flags_text(b, f, v, brackets, json);
		if (ng_buf_ok(b)) {
			ng_buf_reset(c);
			ng_buf_put(c, b->data + start, b->len - start);
			last[id][style].v = v;
			last[id][style].valid = true;
		}
		break;
	}
	case NG_FT_NODES: {
		const ng_nodemask_t *m = p;
		bool first = true;
		if (brackets)
			ng_buf_putc(b, '[');
		for (unsigned w = 0; w < NG_NODE_WORDS; w++) {
			for (uint64_t bits = m->w[w]; bits; bits &= bits - 1) {
				if (!first)
					ng_buf_putc(b, ',');
				first = false;
				ng_buf_u64(b, w * 64 + (unsigned)__builtin_ctzll(bits));
			}
		}
		if (brackets)
			ng_buf_putc(b, ']');
		break;
	}
	}
}
