// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "json.h"
#include "text.h"

void ng_json_strn(struct ng_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	ng_buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			ng_buf_put(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			ng_buf_put(b, esc, 6);
			i++;
		} else if (c < 0x80) {
			ng_buf_putc(b, (char)c);
			i++;
		} else {
			size_t l = ng_utf8_len(p + i, n - i);
			if (l == 0) {
				ng_buf_puts(b, "\\ufffd");
				i++;
			} else {
				ng_buf_put(b, p + i, l);
				i += l;
			}
		}
	}
	ng_buf_putc(b, '"');
}

void ng_json_str(struct ng_buf *b, const char *s)
{
	ng_json_strn(b, s, strlen(s));
}

void ng_json_time(struct ng_buf *b, uint64_t ns)
{
	char t[48];
	size_t n = ng_rfc3339(t, sizeof(t), ns, 9);
	ng_buf_putc(b, '"');
	ng_buf_put(b, t, n);
	ng_buf_putc(b, '"');
}
