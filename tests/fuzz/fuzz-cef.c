// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CEF lines built from hostile strings, parsed back: one line, exactly seven
 * header fields (the values' '|' escaped), and an extension in which every
 * unescaped '=' follows a key the formatter wrote, so no value can add or
 * replace a key. Under a size limit the line must fit.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "sinks/format.h"

/* Every key ng_fmt_alert_cef writes. */
static const char *const keys[] = {
	"rt",	"dvchost", "externalId", "cat",	 "act",	     "cn1",	 "cn1Label", "spid",
	"suid", "suser",   "sproc",	 "cs1",	 "cs1Label", "cs2",	 "cs2Label", "cs3",
	"cs3Label", "cs4", "cs4Label",	 "cs5",	 "cs5Label", "cs6",	 "cs6Label", "msg",
	"filePath", "reason",
};

static bool known_key(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
			return true;
	return false;
}

static void check_line(const char *r, size_t n, size_t max_len)
{
	if (memchr(r, '\n', n) || memchr(r, '\r', n))
		fz_fail("CEF record spans several lines");
	if (!fz_utf8_valid(r, n))
		fz_fail("CEF record is not UTF-8");
	size_t i = 0, pipes = 0;
	for (; i < n && pipes < 7; i++) {
		if (r[i] == '\\') {
			if (i + 1 >= n || (r[i + 1] != '\\' && r[i + 1] != '|'))
				fz_fail("stray backslash in the header at %zu", i);
			i++;
		} else if (r[i] == '|') {
			pipes++;
		}
	}
	if (pipes != 7 || strncmp(r, "CEF:0|numaguard|numaguard|", 26) != 0)
		fz_fail("header with %zu fields", pipes);
	size_t ext = i;
	/* The limit counts the whole line; only a header already past it leaves no extension. */
	if (max_len && n > max_len && n > ext)
		fz_fail("line of %zu octets over the %zu limit", n, max_len);

	/* Walk "key=value key=value": a key is the word before an unescaped '='. */
	size_t key = ext;
	for (i = ext; i < n; i++) {
		if (r[i] == '\\') {
			if (i + 1 >= n || !strchr("\\=nr", r[i + 1]) || !r[i + 1])
				fz_fail("stray backslash in the extension at %zu", i);
			i++;
			continue;
		}
		if (r[i] != '=')
			continue;
		size_t k = i;
		while (k > key && isalnum((unsigned char)r[k - 1]))
			k--;
		if ((k != ext && r[k - 1] != ' ') || !known_key(r + k, i - k))
			fz_fail("forged extension key '%.*s' at %zu", (int)(i - k), r + k, k);
		key = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_alert fa;
	fz_alert_init(&fa, data, size);
	struct ng_buf b = { 0 };
	ng_fmt_alert_cef(&b, &fa.a, &fa.c);
	if (!ng_buf_ok(&b))
		abort();
	check_line(b.data, b.len, fa.c.max_len);
	ng_buf_free(&b);
	fz_alert_free(&fa);
	return 0;
}
