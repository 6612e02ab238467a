// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdbool.h>
#include <string.h>

#include "event_text.h"
#include "text.h"

static void sym_or_number(struct ng_buf *b, const struct ng_symtab *t, int64_t v)
{
	if (v >= 0 && (uint64_t)v < t->n && t->names[v] && t->names[v][0])
		ng_buf_puts(b, t->names[v]);
	else
		ng_buf_i64(b, v);
}

void ng_field_text(struct ng_buf *b, const struct ng_event *e, const struct ng_field *f,
		   enum ng_text_style style)
{
	bool brackets = style == NG_TEXT_TEMPLATE;

	if (!e || !ng_event_has(e, (enum ng_field_id)(f - ng_fields))) {
		if (style == NG_TEXT_TEMPLATE)
			ng_buf_puts(b, "<NA>");
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
		ng_buf_put(b, p, strnlen(p, f->size));
		break;
	case NG_FT_TIME: {
		char t[48];
		ng_buf_put(b, t, ng_rfc3339(t, sizeof(t), *(const uint64_t *)p, 9));
		break;
	}
	case NG_FT_MODE:
		sym_or_number(b, f->syms, *(const int64_t *)p);
		break;
	case NG_FT_ENUM:
		sym_or_number(b, f->syms, *(const uint32_t *)p);
		break;
	case NG_FT_FLAGS: {
		uint64_t v = *(const uint64_t *)p;
		bool first = true;
		if (brackets)
			ng_buf_putc(b, '[');
		for (unsigned i = 0; i < 64; i++) {
			if (!(v >> i & 1))
				continue;
			if (!first)
				ng_buf_putc(b, ',');
			first = false;
			sym_or_number(b, f->syms, i);
		}
		if (brackets)
			ng_buf_putc(b, ']');
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
