// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include "event_json.h"
#include "event_text.h"
#include "json.h"

void ng_field_json(struct ng_buf *b, const struct ng_event *e, const struct ng_field *f)
{
	ng_field_text(b, e, f, NG_TEXT_JSON);
}

/* Length of the first n dot-separated components' prefix of name. */
static size_t prefix_len(const char *name, int n)
{
	const char *p = name;
	for (int i = 0; i < n; i++) {
		p = strchr(p, '.');
		if (!p)
			return strlen(name);
		p++;
	}
	return (size_t)(p - name - 1);
}

static int depth_of(const char *name)
{
	int d = 0;
	for (; *name; name++)
		d += *name == '.';
	return d;
}

/*
 * The key text written before each field's value ("},\"mpol\":{\"mode\":"),
 * and the closing braces after the last one. The table is ordered by group,
 * so nested objects open and close as the dotted prefix changes; it is
 * computed once, not per event.
 */
static struct ng_buf key_text[NG_F__COUNT];
static struct ng_buf key_close;
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void build_keys(void)
{
	const char *prev = NULL;
	int open = 0;
	for (size_t i = 0; i < NG_F__COUNT; i++) {
		struct ng_buf *b = &key_text[i];
		const char *name = ng_fields[i].name;
		int d = depth_of(name);
		int common = 0;
		if (prev) {
			while (common < open && common < d &&
			       prefix_len(prev, common + 1) == prefix_len(name, common + 1) &&
			       strncmp(prev, name, prefix_len(name, common + 1)) == 0)
				common++;
		}
		for (; open > common; open--)
			ng_buf_putc(b, '}');
		if (prev)
			ng_buf_putc(b, ',');
		for (; open < d; open++) {
			size_t st = open ? prefix_len(name, open) + 1 : 0;
			size_t l = prefix_len(name, open + 1) - st;
			ng_json_strn(b, name + st, l);
			ng_buf_puts(b, ":{");
		}
		const char *leaf = strrchr(name, '.');
		ng_json_str(b, leaf ? leaf + 1 : name);
		ng_buf_putc(b, ':');
		prev = name;
	}
	for (; open > 0; open--)
		ng_buf_putc(&key_close, '}');
	ng_buf_puts(&key_close, "}}");
}

/* The first field of the per-process part: everything before it changes from call to call. */
#define TAIL_FIRST NG_F_PROC_PPID

static void render_fields(struct ng_buf *b, const struct ng_event *e, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		ng_buf_put(b, key_text[i].data, key_text[i].len);
		ng_field_json(b, e, &ng_fields[i]);
	}
}

/* Whether every field of the per-process part would render the same for a and b. */
static bool same_tail(const struct ng_event *a, const struct ng_event *b)
{
	uint64_t tail = ~0ull << TAIL_FIRST;
	if ((a->present ^ b->present) & tail)
		return false;
	for (size_t i = TAIL_FIRST; i < NG_F__COUNT; i++) {
		const struct ng_field *f = &ng_fields[i];
		const void *x = ng_field_ptr(a, f), *y = ng_field_ptr(b, f);
		if (f->type == NG_FT_STR ? strncmp(x, y, f->size) != 0 : memcmp(x, y, f->size) != 0)
			return false;
	}
	return true;
}

void ng_event_json_cached(struct ng_buf *b, const struct ng_event *e, const char *hostname,
			  struct ng_json_cache *c)
{
	pthread_once(&keys_once, build_keys);
	ng_buf_puts(b, "{\"time\":");
	ng_json_time(b, e->time_ns);
	ng_buf_puts(b, ",\"source\":\"numaguard\",\"hostname\":");
	ng_json_str(b, hostname);
	ng_buf_puts(b, ",\"event\":{");
	render_fields(b, e, 0, TAIL_FIRST);
	if (!c) {
		render_fields(b, e, TAIL_FIRST, NG_F__COUNT);
	} else {
		if (!c->valid || !same_tail(&c->from, e)) {
			ng_buf_reset(&c->text);
			render_fields(&c->text, e, TAIL_FIRST, NG_F__COUNT);
			c->valid = ng_buf_ok(&c->text);
			c->from = *e;
		}
		/* A failed allocation left the cached text short: render into b, which reports it. */
		if (c->valid)
			ng_buf_put(b, c->text.data, c->text.len);
		else
			render_fields(b, e, TAIL_FIRST, NG_F__COUNT);
	}
	ng_buf_put(b, key_close.data, key_close.len);
}

void ng_event_json(struct ng_buf *b, const struct ng_event *e, const char *hostname)
{
	ng_event_json_cached(b, e, hostname, NULL);
}

void ng_json_cache_free(struct ng_json_cache *c)
{
	ng_buf_free(&c->text);
	c->valid = false;
}
