// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ring buffer records. The input is tried as it is (size and version checks),
 * then laid over a record with a valid header, so the fuzzer spends its time
 * on the fields and strings a record carries rather than on finding the
 * one accepted size. A decoded event must render (every string terminated
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ng_event e;
	int r = ng_decode(data, size, BOOT_OFFSET, &e);
	if (r != 0 && r != -EBADMSG)
		fz_fail("unexpected error %d", r);
	if (r == 0) {
		if (size != sizeof(struct ng_record))
			fz_fail("a record of %zu bytes was accepted", size);
		check(&e);
	}

	/* Heap copy: ASan sees reads past the record, which a stack buffer could hide. */
	struct ng_record *rec = calloc(1, sizeof(*rec));
	if (!rec)
		abort();
	memcpy(rec, data, size < sizeof(*rec) ? size : sizeof(*rec));
	rec->size = sizeof(*rec);
	rec->version = NG_RECORD_VERSION;
	/* attach and nbits are still the input's, so refusals stay reachable here too. */
	r = ng_decode(rec, sizeof(*rec), BOOT_OFFSET, &e);
	if (r != 0 && r != -EBADMSG)
		fz_fail("unexpected error %d", r);
	if (r == 0)
		check(&e);
	free(rec);
	return 0;
}
