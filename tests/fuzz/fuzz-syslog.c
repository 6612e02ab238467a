// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RFC 5424 records built from hostile strings: the record is parsed back by
 * the grammar of RFC 5424 §6 and must have exactly the header, one SD
 * element whose every value stays inside its quotes, and a UTF-8 MSG; under a
 * size limit it must fit. The SD escaping is also checked on its own.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "sinks/format.h"

#define SD_ID "numaguard@32473"
#define BOM "\xef\xbb\xbf"

/* The smallest limit at which every header field at its longest still leaves room. */
#define LIMIT_FLOOR 1024

static size_t header_token(const char *r, size_t n, size_t i, const char *what)
{
	size_t start = i;
	while (i < n && r[i] != ' ') {
		if ((unsigned char)r[i] < 33 || (unsigned char)r[i] > 126)
			fz_fail("byte 0x%02x in the %s", (unsigned char)r[i], what);
		i++;
	}
	if (i == start || i >= n)
		fz_fail("empty or unterminated %s", what);
	return i + 1;
}

static void check_record(const char *r, size_t n, size_t max_len)
{
	if (max_len >= LIMIT_FLOOR && n > max_len)
		fz_fail("record of %zu octets over the %zu limit", n, max_len);
	size_t i = 0;
	if (n < 4 || r[0] != '<')
		fz_fail("no PRI");
	while (++i < n && r[i] >= '0' && r[i] <= '9')
		;
	if (i < 2 || i > 4 || i + 2 >= n || r[i] != '>' || r[i + 1] != '1' || r[i + 2] != ' ')
		fz_fail("bad PRI or VERSION");
	i += 3;
	static const char *const fields[] = { "timestamp", "hostname", "app-name", "procid",
					      "msgid" };
	for (size_t f = 0; f < 5; f++)
		i = header_token(r, n, i, fields[f]);
	if (n - i < 1 + strlen(SD_ID) || r[i] != '[' || memcmp(r + i + 1, SD_ID, strlen(SD_ID)))
		fz_fail("no numaguard SD element");
	i += 1 + strlen(SD_ID);
	while (i < n && r[i] == ' ') {
		size_t name = ++i;
		while (i < n && r[i] != '=') {
			unsigned char c = (unsigned char)r[i];
			if (c < 33 || c > 126 || c == ' ' || c == ']' || c == '"')
				fz_fail("byte 0x%02x in a PARAM-NAME", c);
			i++;
		}
		if (i == name || i - name > 32 || i + 1 >= n || r[i + 1] != '"')
			fz_fail("bad PARAM-NAME at %zu", name);
		size_t val = i += 2;
		while (i < n && r[i] != '"') {
			if (r[i] == ']')
				fz_fail("unescaped ']' in a PARAM-VALUE at %zu", i);
			if (r[i] == '\\') {
				if (i + 1 >= n || !strchr("\"\\]", r[i + 1]) || !r[i + 1])
					fz_fail("stray backslash in a PARAM-VALUE at %zu", i);
				i++;
			}
			i++;
		}
		if (i >= n)
			fz_fail("unterminated PARAM-VALUE");
		if (!fz_utf8_valid(r + val, i - val))
			fz_fail("PARAM-VALUE is not UTF-8");
		i++;
	}
	if (i >= n || r[i] != ']')
		fz_fail("SD element not closed at %zu", i);
	i++;
	if (i == n)
		return;
	if (n - i < 4 || memcmp(r + i, " " BOM, 4) != 0)
		fz_fail("no BOM before MSG");
	if (!fz_utf8_valid(r + i + 4, n - i - 4))
		fz_fail("MSG is not UTF-8");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_alert fa;
	fz_alert_init(&fa, data, size);
	struct ng_buf b = { 0 };
	ng_fmt_alert_syslog(&b, &fa.a, &fa.c);
	if (!ng_buf_ok(&b))
		abort();
	check_record(b.data, b.len, fa.c.max_len);

	/* The escape alone, at every limit up to the value's escaped size. */
	const char *v = fa.strs[2];
	size_t vn = strlen(v), max = fa.c.max_len % 64;
	ng_buf_reset(&b);
	size_t used = ng_fmt_sd_escape(&b, v, vn, max);
	if (used > vn || b.len > max)
		fz_fail("sd escape consumed %zu of %zu, wrote %zu of %zu", used, vn, b.len, max);
	ng_buf_free(&b);
	fz_alert_free(&fa);
	return 0;
}
