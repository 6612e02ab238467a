// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JSON and one-line text escaping of process-controlled bytes, checked by
 * decoding the output again: a JSON string literal must end exactly where
 * the writer ended it, hold no raw control byte and decode to the input when
 * the input is valid UTF-8; the text escape must be reversible. The first 8
 * bytes are also a timestamp, which must survive RFC 3339 and back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "sinks/format.h"
#include "text.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static void put_utf8(struct ng_buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	ng_buf_put(b, u, n);
}

/* Decode the JSON string literal s[0..n) into out; aborts on anything malformed. */
static void json_decode(const char *s, size_t n, struct ng_buf *out)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		fz_fail("not a string literal: %.*s", (int)n, s);
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20)
			fz_fail("raw control byte 0x%02x at %zu", c, i);
		if (c == '"')
			fz_fail("unescaped quote at %zu ends the string early", i);
		if (c != '\\') {
			ng_buf_putc(out, (char)c);
			continue;
		}
		if (++i >= n - 1)
			fz_fail("escape cut by the closing quote");
		const char *simple = strchr("\"\\/bfnrt", s[i]);
		if (s[i] && simple) {
			static const char map[] = "\"\\/\b\f\n\r\t";
			ng_buf_putc(out, map[simple - "\"\\/bfnrt"]);
			continue;
		}
		if (s[i] != 'u' || n - 1 - i < 5)
			fz_fail("bad escape \\%c", s[i]);
		int cp = hex4(s + i + 1);
		if (cp < 0)
			fz_fail("bad \\u escape");
		i += 4;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			int lo = n - 1 - i >= 7 && s[i + 1] == '\\' && s[i + 2] == 'u'
					 ? hex4(s + i + 3)
					 : -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				fz_fail("lone high surrogate");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			fz_fail("lone low surrogate");
		}
		put_utf8(out, (unsigned)cp);
	}
}

/* Undo ng_fmt_text_escape; aborts on output it could not have produced. */
static void text_unescape(const char *s, size_t n, struct ng_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			fz_fail("raw control byte 0x%02x in escaped text", c);
		if (c != '\\') {
			ng_buf_putc(out, (char)c);
			continue;
		}
		if (++i >= n)
			fz_fail("dangling backslash");
		switch (s[i]) {
		case '\\':
			ng_buf_putc(out, '\\');
			break;
		case 'n':
			ng_buf_putc(out, '\n');
			break;
		case 'r':
			ng_buf_putc(out, '\r');
			break;
		case 't':
			ng_buf_putc(out, '\t');
			break;
		case 'x':
			if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				fz_fail("bad \\x escape");
			ng_buf_putc(out, (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2])));
			i += 2;
			break;
		default:
			fz_fail("unknown escape \\%c", s[i]);
		}
	}
}

static void check_time(uint64_t ns)
{
	struct ng_buf b = { 0 };
	ng_json_time(&b, ns);
	if (!ng_buf_ok(&b))
		abort();
	if (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"')
		fz_fail("time is not a JSON string: %s", b.data);
	b.data[b.len - 1] = '\0';
	uint64_t back;
	if (ng_rfc3339_parse(b.data + 1, &back) != 0 || back != ns)
		fz_fail("time %llu does not read back from %s", (unsigned long long)ns, b.data + 1);
	ng_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	check_time(fz_u64(&in));

	const char *s = (const char *)data;
	struct ng_buf j = { 0 }, dec = { 0 }, t = { 0 }, undo = { 0 };
	ng_json_strn(&j, s, size);
	if (!ng_buf_ok(&j))
		abort();
	if (!fz_utf8_valid(j.data, j.len))
		fz_fail("JSON output is not valid UTF-8");
	json_decode(j.data, j.len, &dec);
	if (fz_utf8_valid(s, size) &&
	    (dec.len != size || (size && memcmp(dec.data, s, size) != 0)))
		fz_fail("valid UTF-8 input changed through JSON");

	ng_fmt_text_escape(&t, s, size);
	if (!ng_buf_ok(&t))
		abort();
	if (t.len && !fz_utf8_valid(t.data, t.len))
		fz_fail("escaped text is not valid UTF-8");
	text_unescape(t.data ? t.data : "", t.len, &undo);
	if (undo.len != size || (size && memcmp(undo.data, s, size) != 0))
		fz_fail("text escaping is not reversible");

	ng_buf_free(&j);
	ng_buf_free(&dec);
	ng_buf_free(&t);
	ng_buf_free(&undo);
	return 0;
}
