/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ring buffer record → event. The ring buffer is a trust boundary: a record
 * whose size or version is not the one this build knows is rejected, and
 * every count and string in it is bounded before use.
 */
#ifndef NUMAGUARD_DECODE_H
#define NUMAGUARD_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* CLOCK_REALTIME - CLOCK_BOOTTIME, in ns: turns bpf_ktime_get_boot_ns() into wall time. */
int64_t ng_boot_to_realtime_offset(void);

/*
 * Decode one record into *e (fully overwritten; enrichment fields left
 * empty). Returns 0, or -EBADMSG for a record of the wrong size or version.
 */
int ng_decode(const void *data, size_t len, int64_t boot_offset, struct ng_event *e);

#endif
