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
