/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-key rate state for rules: `throttle` (emit at most `max` alerts per key
 * per window, count the rest) and `threshold` (fire only when the condition
 * matched `count` times for one key within a sliding window). Keys are a
 * 64-bit hash of the key fields' values; tables are fixed-size and 8-way
 * set associative, so memory is bounded whatever the event stream: when a
 * set is full the least recently used key is evicted and counted.
 * Time is the event's time (evt.time), so replay gives the same result as
 * the live run that recorded the events.
 */
#ifndef NUMAGUARD_RULES_RATE_H
#define NUMAGUARD_RULES_RATE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "event.h"
#include "fields.h"

#define NG_THROTTLE_KEYS 4096
#define NG_THRESHOLD_KEYS 1024

struct ng_rate;

struct ng_rate_stats {
	uint64_t evictions;          /* keys evicted from a full set */
	uint64_t evicted_suppressed; /* suppressed counts lost with an evicted key */
};

/* nslots is rounded up to a multiple of the associativity. NULL when out of memory. */
struct ng_rate *ng_rate_new(struct ng_arena *a, const enum ng_field_id *key, size_t nkey,
			    uint64_t window_ns, uint32_t n, bool threshold, uint32_t nslots);

/*
 * Throttle: true when the alert may be emitted; then *suppressed holds the
 * alerts of this key suppressed since the previous emitted one.
 */
bool ng_rate_throttle(struct ng_rate *r, const struct ng_event *e, uint64_t *suppressed);
/* Threshold: true when this match completes `count` matches within the window. */
bool ng_rate_threshold(struct ng_rate *r, const struct ng_event *e);

void ng_rate_get_stats(const struct ng_rate *r, struct ng_rate_stats *st);

#endif
