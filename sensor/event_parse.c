// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_parse.h"
#include "fields.h"
#include "text.h"

#define MAX_DEPTH 8
#define MAX_KEY 64

struct jp {
	const char *p, *start, *end;
	size_t hint; /* the writer's field order: the next field is usually hint */
	char *err;
	size_t errlen;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static bool fail(struct jp *j, const char *fmt, ...)
{
	if (j->failed)
		return false;
	j->failed = true;
	int n = snprintf(j->err, j->errlen, "offset %zu: ", (size_t)(j->p - j->start));
	if (n >= 0 && (size_t)n < j->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(j->err + n, j->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return false;
}

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static bool lit(struct jp *j, char c)
{
	ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static bool word(struct jp *j, const char *w)
{
	size_t n = strlen(w);
	ws(j);
	if ((size_t)(j->end - j->p) >= n && memcmp(j->p, w, n) == 0) {
		j->p += n;
		return true;
	}
	return false;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A JSON string into out[0..cap) (NUL-terminated). Invalid UTF-8 and lone
 * surrogates become U+FFFD, as the writer does. A NUL (\u0000) cannot be held
 * by a C string field and is refused.
 */
static bool str(struct jp *j, char *out, size_t cap, size_t *len, const char *what)
{
	ws(j);
	if (j->p >= j->end || *j->p != '"')
		return fail(j, "expected a string for %s", what);
	j->p++;
	size_t o = 0;
	while (j->p < j->end && *j->p != '"') {
		char buf[8];
		size_t n = 0;
		unsigned char c = (unsigned char)*j->p;
		/* Runs of plain ASCII are copied at once. */
		const char *run = j->p;
		while (run < j->end && (unsigned char)*run >= 0x20 && (unsigned char)*run < 0x80 &&
		       *run != '"' && *run != '\\')
			run++;
		if (run > j->p) {
			size_t rl = (size_t)(run - j->p);
			if (o + rl >= cap)
				return fail(j, "%s is longer than its %zu byte limit", what, cap - 1);
			memcpy(out + o, j->p, rl);
			o += rl;
			j->p = run;
			continue;
		}
		if (c < 0x20)
			return fail(j, "raw control character in a string");
		if (c == '\\') {
			if (j->end - j->p < 2)
				break;
			char e = j->p[1];
			j->p += 2;
			switch (e) {
			case '"': buf[n++] = '"'; break;
			case '\\': buf[n++] = '\\'; break;
			case '/': buf[n++] = '/'; break;
			case 'b': buf[n++] = '\b'; break;
			case 'f': buf[n++] = '\f'; break;
			case 'n': buf[n++] = '\n'; break;
			case 'r': buf[n++] = '\r'; break;
			case 't': buf[n++] = '\t'; break;
			case 'u': {
				int v = j->end - j->p >= 4 ? hex4(j->p) : -1;
				if (v < 0)
					return fail(j, "bad \\u escape");
				j->p += 4;
				uint32_t cp = (uint32_t)v;
				if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
				    j->p[1] == 'u') {
					int lo = hex4(j->p + 2);
					if (lo >= 0xdc00 && lo < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
						j->p += 6;
					}
				}
				if (cp >= 0xd800 && cp < 0xe000)
					cp = 0xfffd;
				if (cp == 0)
					return fail(j, "NUL character (\\u0000) in a string");
				n = put_utf8(buf, cp);
				break;
			}
			default:
				return fail(j, "bad escape '\\%c'", e);
			}
		} else if (c < 0x80) {
			buf[n++] = (char)c;
			j->p++;
		} else {
			size_t l = ng_utf8_len((const unsigned char *)j->p, (size_t)(j->end - j->p));
			if (l == 0) {
				n = put_utf8(buf, 0xfffd);
				j->p++;
			} else {
				memcpy(buf, j->p, l);
				n = l;
				j->p += l;
			}
		}
		if (o + n >= cap)
			return fail(j, "%s is longer than its %zu byte limit", what, cap - 1);
		memcpy(out + o, buf, n);
		o += n;
	}
	if (j->p >= j->end)
		return fail(j, "unterminated string");
	j->p++;
	out[o] = '\0';
	if (len)
		*len = o;
	return true;
}

static bool integer(struct jp *j, bool neg_ok, int64_t *sv, uint64_t *uv, const char *what)
{
	ws(j);
	const char *s = j->p;
	while (j->p < j->end && (*j->p == '-' || *j->p == '+' || (*j->p >= '0' && *j->p <= '9') ||
				 *j->p == '.' || *j->p == 'e' || *j->p == 'E'))
		j->p++;
	char tmp[32];
	size_t n = (size_t)(j->p - s);
	if (n == 0 || n >= sizeof(tmp))
		return fail(j, "expected an integer for %s", what);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end;
	errno = 0;
	/* Errors point at the number, not past it. */
	j->p = s;
	if (tmp[0] == '-') {
		if (!neg_ok)
			return fail(j, "%s must not be negative", what);
		long long v = strtoll(tmp, &end, 10);
		if (errno || *end)
			return fail(j, "expected an integer for %s, found '%s'", what, tmp);
		*sv = v;
		*uv = (uint64_t)v;
	} else {
		unsigned long long v = strtoull(tmp, &end, 10);
		if (errno || *end || tmp[0] == '+')
			return fail(j, "expected an integer for %s, found '%s'", what, tmp);
		*uv = v;
		*sv = (int64_t)v;
		if (neg_ok && v > INT64_MAX)
			return fail(j, "%s out of range", what);
	}
	j->p = s + n;
	return true;
}

static int sym_value(const struct ng_symtab *t, const char *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->names[i] && strcmp(t->names[i], s) == 0)
			return (int)i;
	return -1;
}

/* A symbol name or a number, for MODE, ENUM and FLAGS items. */
static bool sym_or_int(struct jp *j, const struct ng_field *f, int64_t min, int64_t max, int64_t *v)
{
	ws(j);
	if (j->p < j->end && *j->p == '"') {
		char s[64];
		if (!str(j, s, sizeof(s), NULL, f->name))
			return false;
		int x = sym_value(f->syms, s);
		if (x < 0)
			return fail(j, "unknown value '%s' for %s", s, f->name);
		*v = x;
		return true;
	}
	uint64_t u;
	if (!integer(j, min < 0, v, &u, f->name))
		return false;
	if (*v < min || *v > max)
		return fail(j, "%s value %" PRId64 " out of range", f->name, *v);
	return true;
}

static bool field_value(struct jp *j, struct ng_event *e, const struct ng_field *f)
{
	enum ng_field_id id = (enum ng_field_id)(f - ng_fields);
	void *p = (char *)e + f->offset;
	if (word(j, "null")) {
		ng_event_unset(e, id);
		return true;
	}
	int64_t sv = 0;
	uint64_t uv = 0;
	switch (f->type) {
	case NG_FT_I64:
		if (!integer(j, true, &sv, &uv, f->name))
			return false;
		*(int64_t *)p = sv;
		break;
	case NG_FT_U32:
		if (!integer(j, false, &sv, &uv, f->name))
			return false;
		if (uv > UINT32_MAX)
			return fail(j, "%s out of range", f->name);
		*(uint32_t *)p = (uint32_t)uv;
		break;
	case NG_FT_U64:
		if (!integer(j, false, &sv, &uv, f->name))
			return false;
		*(uint64_t *)p = uv;
		break;
	case NG_FT_BOOL:
		if (word(j, "true"))
			*(bool *)p = true;
		else if (word(j, "false"))
			*(bool *)p = false;
		else
			return fail(j, "expected true or false for %s", f->name);
		break;
	case NG_FT_STR:
		if (!str(j, p, f->size, NULL, f->name))
			return false;
		break;
	case NG_FT_TIME: {
		ws(j);
		if (j->p < j->end && *j->p == '"') {
			char s[48];
			if (!str(j, s, sizeof(s), NULL, f->name))
				return false;
			if (ng_rfc3339_parse(s, &uv))
				return fail(j, "%s: '%s' is not an RFC 3339 UTC time", f->name, s);
		} else if (!integer(j, false, &sv, &uv, f->name)) {
			return false;
		}
		*(uint64_t *)p = uv;
		break;
	}
	case NG_FT_MODE:
		if (!sym_or_int(j, f, INT64_MIN, INT64_MAX, &sv))
			return false;
		*(int64_t *)p = sv;
		break;
	case NG_FT_ENUM:
		if (!sym_or_int(j, f, 0, UINT32_MAX, &sv))
			return false;
		*(uint32_t *)p = (uint32_t)sv;
		break;
	case NG_FT_FLAGS:
	case NG_FT_NODES: {
		uint64_t bits = 0;
		ng_nodemask_t m = { 0 };
		if (!lit(j, '['))
			return fail(j, "expected a list for %s", f->name);
		if (!lit(j, ']')) {
			do {
				if (f->type == NG_FT_FLAGS) {
					if (!sym_or_int(j, f, 0, 63, &sv))
						return false;
					bits |= 1ull << sv;
				} else {
					if (!integer(j, false, &sv, &uv, f->name))
						return false;
					if (uv >= NG_MAX_NODES)
						return fail(j, "%s: node %" PRIu64 " is not below %d",
							    f->name, uv, NG_MAX_NODES);
					ng_nodes_set(&m, (unsigned)uv);
				}
			} while (lit(j, ','));
			if (!lit(j, ']'))
				return fail(j, "expected ',' or ']' in %s", f->name);
		}
		if (f->type == NG_FT_FLAGS)
			*(uint64_t *)p = bits;
		else
			*(ng_nodemask_t *)p = m;
		break;
	}
	}
	ng_event_set(e, id);
	return true;
}

/* Skip any JSON value (top-level keys this reader does not use). */
static bool skip_value(struct jp *j, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(j, "nested deeper than %d levels", MAX_DEPTH);
	ws(j);
	if (j->p >= j->end)
		return fail(j, "unexpected end of line");
	char c = *j->p;
	if (c == '"') {
		/* Long strings: skip without keeping them. */
		const char *q = j->p + 1;
		while (q < j->end && *q != '"')
			q += *q == '\\' ? 2 : 1;
		if (q >= j->end)
			return fail(j, "unterminated string");
		j->p = q + 1;
		return true;
	}
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		j->p++;
		if (lit(j, close))
			return true;
		do {
			if (c == '{') {
				char key[MAX_KEY];
				if (!str(j, key, sizeof(key), NULL, "a key") || !lit(j, ':'))
					return fail(j, "expected ':'");
			}
			if (!skip_value(j, depth + 1))
				return false;
		} while (lit(j, ','));
		if (!lit(j, close))
			return fail(j, "expected ',' or '%c'", close);
		return true;
	}
	if (word(j, "true") || word(j, "false") || word(j, "null"))
		return true;
	int64_t sv;
	uint64_t uv;
	return integer(j, true, &sv, &uv, "a value");
}

/* Members of an object under "event" at dotted path prefix[0..plen). */
static bool group(struct jp *j, struct ng_event *e, char *path, size_t plen, int depth)
{
	if (depth > 3)
		return fail(j, "event objects nested too deeply");
	if (!lit(j, '{'))
		return fail(j, "expected an object");
	if (lit(j, '}'))
		return true;
	do {
		char key[MAX_KEY];
		size_t klen;
		if (!str(j, key, sizeof(key), &klen, "a key"))
			return false;
		if (!lit(j, ':'))
			return fail(j, "expected ':' after \"%s\"", key);
		if (plen + 1 + klen + 1 > 128)
			return fail(j, "key path too long");
		size_t nl = plen;
		if (plen)
			path[nl++] = '.';
		memcpy(path + nl, key, klen + 1);
		nl += klen;
		ws(j);
		/* No field is an object: an object is a group ("proc": {…}), not looked up. */
		if (j->p < j->end && *j->p == '{') {
			if (!group(j, e, path, nl, depth + 1))
				return false;
			path[plen] = '\0';
			continue;
		}
		const struct ng_field *f = NULL;
		if (j->hint < NG_F__COUNT && strcmp(ng_fields[j->hint].name, path) == 0)
			f = &ng_fields[j->hint];
		else
			f = ng_field_by_name(path);
		if (!f)
			return fail(j, "unknown field '%s'", path);
		j->hint = (size_t)(f - ng_fields) + 1;
		if (!field_value(j, e, f))
			return false;
		path[plen] = '\0';
	} while (lit(j, ','));
	if (!lit(j, '}'))
		return fail(j, "expected ',' or '}'");
	return true;
}

int ng_event_parse(const char *line, size_t len, struct ng_event *e, char *err, size_t errlen)
{
	struct jp j = { .p = line, .start = line, .end = line + len, .err = err, .errlen = errlen };
	bool have_event = false;
	memset(e, 0, sizeof(*e));
	if (errlen)
		err[0] = '\0';
	if (!lit(&j, '{')) {
		fail(&j, "expected a JSON object");
		return -EINVAL;
	}
	if (!lit(&j, '}')) {
		do {
			char key[MAX_KEY];
			if (!str(&j, key, sizeof(key), NULL, "a key"))
				return -EINVAL;
			if (!lit(&j, ':')) {
				fail(&j, "expected ':'");
				return -EINVAL;
			}
			if (strcmp(key, "event") == 0) {
				char path[128] = "";
				if (have_event) {
					fail(&j, "two \"event\" objects");
					return -EINVAL;
				}
				have_event = true;
				if (!group(&j, e, path, 0, 0))
					return -EINVAL;
			} else if (!skip_value(&j, 1)) {
				/* time, source, hostname: informational; evt.time is authoritative */
				return -EINVAL;
			}
		} while (lit(&j, ','));
		if (!lit(&j, '}')) {
			fail(&j, "expected ',' or '}'");
			return -EINVAL;
		}
	}
	ws(&j);
	if (j.p != j.end) {
		fail(&j, "trailing characters after the object");
		return -EINVAL;
	}
	if (!have_event) {
		fail(&j, "no \"event\" object");
		return -EINVAL;
	}
	return 0;
}
