// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ring buffer records. The input is tried as it is (size and version checks),
 * then laid over each of the two record shapes (plain, and with the walked
 * paths, at the mask width the input names) with a valid header, so the
 * fuzzer spends its time on the fields and strings a record carries rather
 * than on finding the accepted sizes. A decoded event must render (every
 * string terminated within its field) as one JSON line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decode.h"
#include "event_json.h"
#include "events.h"
#include "fields.h"
#include "fuzz.h"

/*
 * A fixed realtime - boottime offset (a host booted in late 2025): the real
 * one comes from the clock, not from the record, and a fixed one keeps runs
 * reproducible.
 */
#define BOOT_OFFSET INT64_C(1764000000000000000)

static void check(const struct ng_event *e)
{
	for (size_t i = 0; i < NG_F__COUNT; i++) {
		const struct ng_field *f = &ng_fields[i];
		if (f->type == NG_FT_STR && !memchr(ng_field_ptr(e, f), '\0', f->size))
			fz_fail("%s is not NUL-terminated within its %zu bytes", f->name, f->size);
	}
	struct ng_buf b = { 0 };
	ng_event_json(&b, e, "fuzz");
	if (ng_buf_ok(&b) && memchr(b.data, '\n', b.len))
		fz_fail("event JSON spans several lines: %s", b.data);
	ng_buf_free(&b);
}

/*
 * Lay the input over a record of one shape (paths or not, `words` per mask)
 * with a valid header and decode it. The copy is exactly the shape's size on
 * the heap, so ASan sees any read past it (a plain record has no paths).
 */
static void decode_as(const uint8_t *data, size_t size, bool paths, size_t words)
{
	size_t len = NG_RECORD_SIZE(paths, words);
	struct ng_record *rec = calloc(1, len);
	struct ng_event e;
	if (!rec)
		abort();
	memcpy(rec, data, size < len ? size : len);
	rec->size = (__u16)len;
	rec->version = NG_RECORD_VERSION;
	rec->mask_words = (__u16)words;
	rec->flags = paths ? rec->flags | NG_R_PATHS : rec->flags & ~NG_R_PATHS;
	/* attach and nbits are still the input's, so refusals stay reachable here too. */
	int r = ng_decode(rec, len, BOOT_OFFSET, &e);
	if (r != 0 && r != -EBADMSG)
		fz_fail("unexpected error %d", r);
	if (r == 0)
		check(&e);
	free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ng_event e;
	int r = ng_decode(data, size, BOOT_OFFSET, &e);
	if (r != 0 && r != -EBADMSG)
		fz_fail("unexpected error %d", r);
	if (r == 0) {
		struct ng_record h;
		memcpy(&h, data, sizeof(h));
		if (h.mask_words < 1 || h.mask_words > NG_NODE_WORDS ||
		    size != NG_RECORD_SIZE(h.flags & NG_R_PATHS, h.mask_words))
			fz_fail("a record of %zu bytes was accepted", size);
		check(&e);
	}
	/* The width the input's header asks for, folded into the valid range. */
	size_t words = 1;
	if (size >= sizeof(struct ng_record)) {
		struct ng_record h;
		memcpy(&h, data, sizeof(h));
		words = 1 + h.mask_words % NG_NODE_WORDS;
	}
	decode_as(data, size, false, words);
	decode_as(data, size, true, words);
	return 0;
}
