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
		/* Copy the run of plain printable ASCII in one go: the common case. */
		size_t j = i;
		while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\')
			j++;
		if (j > i) {
			ng_buf_put(b, p + i, j - i);
			i = j;
			continue;
		}
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
	/* Events come in bursts within one second: format the seconds part once per second. */
	static __thread uint64_t cached_sec = UINT64_MAX;
	static __thread char t[48];
	static __thread size_t n;
	uint64_t sec = ns / 1000000000ull;
	if (sec != cached_sec) {
		n = ng_rfc3339(t, sizeof(t), sec * 1000000000ull, 9);
		cached_sec = sec;
	}
	/* Patch the 9 fractional digits in place ("…:SS.nnnnnnnnnZ"). */
	uint64_t frac = ns % 1000000000ull;
	for (int i = 0; i < 9; i++) {
		t[n - 2 - i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	ng_buf_putc(b, '"');
	ng_buf_put(b, t, n);
	ng_buf_putc(b, '"');
}
