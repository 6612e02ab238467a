// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void ng_buf_reset(struct ng_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

void ng_buf_free(struct ng_buf *b)
{
	free(b->data);
	*b = (struct ng_buf){ 0 };
}

bool ng_buf_reserve(struct ng_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + extra + 1) {
		if (ncap > (size_t)-1 / 2) {
			b->oom = true;
			return false;
		}
		ncap *= 2;
	}
	char *n = realloc(b->data, ncap);
	if (!n) {
		b->oom = true;
		return false;
	}
	b->data = n;
	b->cap = ncap;
	return true;
}

void ng_buf_puts(struct ng_buf *b, const char *s)
{
	ng_buf_put(b, s, strlen(s));
}

void ng_buf_u64(struct ng_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ng_buf_put(b, tmp + i, sizeof(tmp) - i);
}

void ng_buf_i64(struct ng_buf *b, int64_t v)
{
	if (v < 0) {
		ng_buf_putc(b, '-');
		ng_buf_u64(b, -(uint64_t)v);
	} else {
		ng_buf_u64(b, (uint64_t)v);
	}
}

void ng_buf_vprintf(struct ng_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !ng_buf_reserve(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void ng_buf_printf(struct ng_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ng_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *ng_buf_cstr(struct ng_buf *b)
{
	if (!ng_buf_reserve(b, 0))
		return "";
	b->data[b->len] = '\0';
	return b->data;
}
