/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A growable byte buffer for building output records. Allocation happens only
 * when a record outgrows the buffer, so a buffer reused across records stops
 * allocating once it has seen the largest one. A failed allocation sets
 * `oom` and later appends are ignored; callers check ng_buf_ok() once.
 */
#ifndef NUMAGUARD_BUF_H
#define NUMAGUARD_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct ng_buf {
	char *data; /* always NUL-terminated when len > 0 or after ng_buf_cstr() */
	size_t len;
	size_t cap;
	bool oom;
};

void ng_buf_reset(struct ng_buf *b);
void ng_buf_free(struct ng_buf *b);
bool ng_buf_reserve(struct ng_buf *b, size_t extra);
void ng_buf_put(struct ng_buf *b, const void *p, size_t n);
void ng_buf_puts(struct ng_buf *b, const char *s);
void ng_buf_putc(struct ng_buf *b, char c);
void ng_buf_printf(struct ng_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ng_buf_vprintf(struct ng_buf *b, const char *fmt, va_list ap);
const char *ng_buf_cstr(struct ng_buf *b);
static inline bool ng_buf_ok(const struct ng_buf *b)
{
	return !b->oom;
}

#endif
