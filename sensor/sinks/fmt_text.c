// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <string.h>

#include "format.h"
#include "text.h"

void ng_fmt_text_escape(struct ng_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned char ch = p[i];
		size_t l = ch < 0x80 ? 1 : ng_utf8_len(p + i, n - i);
		if (ch == '\\') {
			ng_buf_put(b, "\\\\", 2);
		} else if (ch == '\n') {
			ng_buf_put(b, "\\n", 2);
		} else if (ch == '\r') {
			ng_buf_put(b, "\\r", 2);
		} else if (ch == '\t') {
			ng_buf_put(b, "\\t", 2);
		} else if (ch < 0x20 || ch == 0x7f || l == 0) {
			/* Control bytes and broken UTF-8 keep their value, visibly. */
			char esc[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
			ng_buf_put(b, esc, 4);
			l = 1;
		} else {
			ng_buf_put(b, p + i, l);
		}
		i += l ? l : 1;
	}
}

static void sym_or_number(struct ng_buf *b, const struct ng_symtab *t, int64_t v)
{
	if (v >= 0 && (uint64_t)v < t->n && t->names[v])
		ng_buf_puts(b, t->names[v]);
	else
		ng_buf_printf(b, "%" PRId64, v);
}

void ng_fmt_field_text(struct ng_buf *b, const struct ng_event *e, const struct ng_field *f)
{
	if (!e || !ng_event_has(e, (enum ng_field_id)(f - ng_fields)))
		return;
	const void *p = ng_field_ptr(e, f);
	switch (f->type) {
	case NG_FT_I64:
		ng_buf_printf(b, "%" PRId64, *(const int64_t *)p);
		break;
	case NG_FT_U32:
		ng_buf_printf(b, "%" PRIu32, *(const uint32_t *)p);
		break;
	case NG_FT_U64:
		ng_buf_printf(b, "%" PRIu64, *(const uint64_t *)p);
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
		for (unsigned i = 0; i < 64; i++) {
			if (!(v >> i & 1))
				continue;
			if (!first)
				ng_buf_putc(b, ',');
			first = false;
			sym_or_number(b, f->syms, i);
		}
		break;
	}
	case NG_FT_NODES: {
		const ng_nodemask_t *m = p;
		bool first = true;
		for (unsigned w = 0; w < NG_NODE_WORDS; w++) {
			for (uint64_t bits = m->w[w]; bits; bits &= bits - 1) {
				if (!first)
					ng_buf_putc(b, ',');
				first = false;
				ng_buf_printf(b, "%u", w * 64 + (unsigned)__builtin_ctzll(bits));
			}
		}
		break;
	}
	}
}

void ng_fmt_alert_text(struct ng_buf *b, const struct ng_alert *a, const struct ng_fmt_ctx *c)
{
	char t[48];
	ng_buf_put(b, t, ng_rfc3339(t, sizeof(t), a->time_ns, 9));
	ng_buf_puts(b, ": ");
	ng_buf_puts(b, ng_priority_name(a->priority));
	ng_buf_putc(b, ' ');
	const char *out = a->output ? a->output : "";
	ng_fmt_text_escape(b, out, strlen(out));
	ng_buf_puts(b, " (rule_id=");
	const char *id = a->rule_id ? a->rule_id : "";
	ng_fmt_text_escape(b, id, strlen(id));
	ng_buf_printf(b, " seq=%" PRIu64, a->seq);
	if (a->suppressed)
		ng_buf_printf(b, " suppressed=%" PRIu64, a->suppressed);
	if (a->action != NG_ACTION_NONE)
		ng_buf_printf(b, " action=%s", ng_action_name(a->action));
	for (size_t i = 0; i < c->nextra; i++) {
		ng_buf_printf(b, " %s=", c->extra[i].key);
		ng_fmt_text_escape(b, c->extra[i].value, strlen(c->extra[i].value));
	}
	ng_buf_putc(b, ')');
}
