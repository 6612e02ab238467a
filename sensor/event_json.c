// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include "event_json.h"
#include "json.h"

static void sym_or_number(struct ng_buf *b, const struct ng_symtab *t, int64_t v)
{
	/* Symbol names are our own constants (plain ASCII): no escaping needed. */
	if (v >= 0 && (uint64_t)v < t->n && t->names[v]) {
		ng_buf_putc(b, '"');
		ng_buf_puts(b, t->names[v]);
		ng_buf_putc(b, '"');
	}
	else
		ng_buf_i64(b, v);
}

void ng_field_json(struct ng_buf *b, const struct ng_event *e, const struct ng_field *f)
{
	const void *p = ng_field_ptr(e, f);
	if (!ng_event_has(e, (enum ng_field_id)(f - ng_fields))) {
		ng_buf_puts(b, "null");
		return;
	}
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
		ng_json_strn(b, p, strnlen(p, f->size));
		break;
	case NG_FT_TIME:
		ng_json_time(b, *(const uint64_t *)p);
		break;
	case NG_FT_MODE:
		sym_or_number(b, f->syms, *(const int64_t *)p);
		break;
	case NG_FT_ENUM:
		sym_or_number(b, f->syms, *(const uint32_t *)p);
		break;
	case NG_FT_FLAGS: {
		/*
		 * Capability sets repeat from event to event (every root process has
		 * the same 41 names): reuse the last rendering of each field.
		 */
		static __thread struct {
			uint64_t v;
			bool valid;
			struct ng_buf text;
		} last[NG_F__COUNT];
		size_t id = (size_t)(f - ng_fields);
		uint64_t v = *(const uint64_t *)p;
		if (last[id].valid && last[id].v == v && ng_buf_ok(&last[id].text)) {
			ng_buf_put(b, last[id].text.data, last[id].text.len);
			break;
		}
		size_t start = b->len;
		bool first = true;
		ng_buf_putc(b, '[');
		for (unsigned i = 0; i < 64; i++) {
			if (!(v >> i & 1))
				continue;
			if (!first)
				ng_buf_putc(b, ',');
			first = false;
			/* A bit without a name (a future capability) is rendered as its number. */
			sym_or_number(b, f->syms, i);
		}
		ng_buf_putc(b, ']');
		if (ng_buf_ok(b)) {
			ng_buf_reset(&last[id].text);
			ng_buf_put(&last[id].text, b->data + start, b->len - start);
			last[id].v = v;
			last[id].valid = true;
		}
		break;
	}
	case NG_FT_NODES: {
		const ng_nodemask_t *m = p;
		bool first = true;
		ng_buf_putc(b, '[');
		for (unsigned w = 0; w < NG_NODE_WORDS; w++) {
			for (uint64_t bits = m->w[w]; bits; bits &= bits - 1) {
				if (!first)
					ng_buf_putc(b, ',');
				first = false;
				ng_buf_u64(b, w * 64 + (unsigned)__builtin_ctzll(bits));
			}
		}
		ng_buf_putc(b, ']');
		break;
	}
	}
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

void ng_event_json(struct ng_buf *b, const struct ng_event *e, const char *hostname)
{
	pthread_once(&keys_once, build_keys);
	ng_buf_puts(b, "{\"time\":");
	ng_json_time(b, e->time_ns);
	ng_buf_puts(b, ",\"source\":\"numaguard\",\"hostname\":");
	ng_json_str(b, hostname);
	ng_buf_puts(b, ",\"event\":{");
	for (size_t i = 0; i < NG_F__COUNT; i++) {
		ng_buf_put(b, key_text[i].data, key_text[i].len);
		ng_field_json(b, e, &ng_fields[i]);
	}
	ng_buf_put(b, key_close.data, key_close.len);
}
