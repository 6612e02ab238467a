// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ring buffer records. The input is tried as it is (size and version checks),
 * then laid over each of the two record shapes (plain, and with the walked
 * paths) with a valid header, so the fuzzer spends its time on the fields
 * and strings a record carries rather than on finding the accepted sizes. A decoded event must render (every string terminated
 * within its field) as one JSON line.
 */
#include <errno.h>
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
 * Lay the input over a record of `len` bytes with a valid header and decode
 * it. The copy is exactly `len` bytes on the heap, so ASan sees any read
 * past the shape being decoded (a plain record has no paths after it).
 */
static void decode_as(const uint8_t *data, size_t size, size_t len)
{
	struct ng_record *rec = calloc(1, len);
	struct ng_event e;
	if (!rec)
		abort();
	memcpy(rec, data, size < len ? size : len);
	rec->size = (__u16)len;
	rec->version = NG_RECORD_VERSION;
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
		if (size != sizeof(struct ng_record) && size != sizeof(struct ng_record_paths))
			fz_fail("a record of %zu bytes was accepted", size);
		check(&e);
	}
	decode_as(data, size, sizeof(struct ng_record));
	decode_as(data, size, sizeof(struct ng_record_paths));
	return 0;
}
