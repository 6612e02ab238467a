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
#include <stdint.h>
#include <string.h>

struct ng_buf {
	char *data; /* always NUL-terminated when len > 0 or after ng_buf_cstr() */
	size_t len;
	size_t cap;
	bool oom;
};

void ng_buf_reset(struct ng_buf *b);
void ng_buf_free(struct ng_buf *b);
bool ng_buf_reserve(struct ng_buf *b, size_t extra);
void ng_buf_puts(struct ng_buf *b, const char *s);
void ng_buf_printf(struct ng_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ng_buf_vprintf(struct ng_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
const char *ng_buf_cstr(struct ng_buf *b);
/* Append the decimal form of v (no printf: this is on the per-event path). */
void ng_buf_u64(struct ng_buf *b, uint64_t v);
void ng_buf_i64(struct ng_buf *b, int64_t v);

/* Inline: JSON and syslog records are built from many short appends. */
static inline void ng_buf_put(struct ng_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap && !ng_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void ng_buf_putc(struct ng_buf *b, char c)
{
	if (b->len + 2 > b->cap && !ng_buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}
static inline bool ng_buf_ok(const struct ng_buf *b)
{
	return !b->oom;
}

#endif
