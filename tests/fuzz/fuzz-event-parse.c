// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Replay input: one JSONL event line → event. An accepted event must survive
 * the writer and the reader unchanged (event → JSON → event → the same
 * JSON), since replay is meant to evaluate what `run --all-events` wrote.
 * The writer's cache, kept across inputs as the sensor keeps it across
 * events, must give the same line as rendering afresh.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "event_json.h"
#include "event_parse.h"
#include "fields.h"
#include "fuzz.h"

/* The writer turns invalid UTF-8 into U+FFFD, which legitimately changes the value. */
static bool strings_valid(const struct ng_event *e)
{
	for (size_t i = 0; i < NG_F__COUNT; i++) {
		const struct ng_field *f = &ng_fields[i];
		if (f->type != NG_FT_STR || !ng_event_has(e, (enum ng_field_id)i))
			continue;
		const char *s = ng_field_ptr(e, f);
		size_t n = strnlen(s, f->size);
		if (n == f->size)
			fz_fail("%s is not NUL-terminated within its %zu bytes", f->name, f->size);
		if (!fz_utf8_valid(s, n))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ng_event e1, e2;
	char err[256];
	if (ng_event_parse((const char *)data, size, &e1, err, sizeof(err)) != 0) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			fz_fail("refused without a reason");
		return 0;
	}
	if (!strings_valid(&e1))
		return 0;

	struct ng_buf a = { 0 }, b = { 0 };
	ng_event_json(&a, &e1, "fuzz");
	if (!ng_buf_ok(&a))
		abort();
	if (memchr(a.data, '\n', a.len))
		fz_fail("event JSON spans several lines");
	if (ng_event_parse(a.data, a.len, &e2, err, sizeof(err)) != 0)
		fz_fail("the reader refuses the writer's line (%s): %s", err, a.data);
	ng_event_json(&b, &e2, "fuzz");
	if (!ng_buf_ok(&b))
		abort();
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		fz_fail("event changed across a round trip:\n%s\n%s", a.data, b.data);
	static struct ng_json_cache cache;
	ng_buf_reset(&b);
	ng_event_json_cached(&b, &e1, "fuzz", &cache);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		fz_fail("the cached rendering differs:\n%s\n%s", a.data, b.data);
	ng_buf_free(&a);
	ng_buf_free(&b);
	return 0;
}
