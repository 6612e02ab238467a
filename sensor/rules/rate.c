// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "rate.h"

#define WAYS 8

/*
 * A set-associative table: a key's hash picks a set of WAYS slots. The
 * hashes of a set sit together in one cache line (tags), apart from the
 * slots' state, so a lookup reads one line to find its slot and one for the
 * state, however big the table is.
 */
struct slot {
	uint64_t start; /* throttle: window start */
	uint64_t last;  /* last use, for LRU eviction */
	uint32_t count; /* throttle: alerts in the window; threshold: matches held */
	uint32_t head;  /* threshold: next ring position */
	uint64_t suppressed;
};

struct ng_rate {
	const enum ng_field_id *key;
	size_t nkey;
	uint64_t window_ns;
	uint32_t n;
	bool threshold;
	uint32_t nsets;
	uint64_t *tags; /* per slot: the key's hash, 0 when free */
	struct slot *slots;
	uint64_t *times; /* threshold: n match times per slot */
	struct ng_rate_stats st;
};

struct ng_rate *ng_rate_new(struct ng_arena *a, const enum ng_field_id *key, size_t nkey,
			    uint64_t window_ns, uint32_t n, bool threshold, uint32_t nslots)
{
	struct ng_rate *r = ng_arena_alloc(a, sizeof(*r));
	if (!r)
		return NULL;
	r->key = key;
	r->nkey = nkey;
	r->window_ns = window_ns;
	r->n = n;
	r->threshold = threshold;
	r->nsets = (nslots + WAYS - 1) / WAYS;
	r->slots = ng_arena_alloc(a, (size_t)r->nsets * WAYS * sizeof(*r->slots));
	/* Each set's tags in one 64-byte line. */
	char *t = ng_arena_alloc(a, (size_t)r->nsets * WAYS * sizeof(*r->tags) + 63);
	if (!r->slots || !t)
		return NULL;
	r->tags = (uint64_t *)(((uintptr_t)t + 63) & ~(uintptr_t)63);
	if (threshold) {
		r->times = ng_arena_alloc(a, (size_t)r->nsets * WAYS * n * sizeof(*r->times));
		if (!r->times)
			return NULL;
	}
	return r;
}

static uint64_t key_hash(const struct ng_rate *r, const struct ng_event *e)
{
	uint64_t h = 0;
	for (size_t i = 0; i < r->nkey; i++) {
		const struct ng_field *f = &ng_fields[r->key[i]];
		if (!ng_event_has(e, r->key[i])) {
			h = ng_hash_bytes(h, "", 0) + 1; /* absent differs from empty */
			continue;
		}
		const char *p = ng_field_ptr(e, f);
		h = ng_hash_bytes(h, p, f->type == NG_FT_STR ? strnlen(p, f->size) : f->size);
	}
	h = ng_hash_mix(h);
	return h ? h : 1; /* 0 marks a free slot */
}

static uint64_t event_time(const struct ng_event *e)
{
	return ng_event_has(e, NG_F_EVT_TIME) ? e->time_ns : 0;
}

static struct slot *find_slot(struct ng_rate *r, uint64_t h, uint64_t now, size_t *idx)
{
	size_t set = (size_t)(h % r->nsets) * WAYS;
	const uint64_t *tag = &r->tags[set];
	for (size_t i = 0; i < WAYS; i++)
		if (tag[i] == h) {
			struct slot *s = &r->slots[set + i];
			*idx = set + i;
			s->last = now;
			return s;
		}
	/* A new key: a free slot, or else the least recently used one. */
	size_t v = WAYS;
	for (size_t i = 0; i < WAYS && v == WAYS; i++)
		if (!tag[i])
			v = i;
	if (v == WAYS) {
		v = 0;
		for (size_t i = 1; i < WAYS; i++)
			if (r->slots[set + i].last < r->slots[set + v].last)
				v = i;
		r->st.evictions++;
		r->st.evicted_suppressed += r->slots[set + v].suppressed;
	}
	r->tags[set + v] = h;
	r->slots[set + v] = (struct slot){ .start = now, .last = now };
	*idx = set + v;
	return &r->slots[set + v];
}

bool ng_rate_throttle(struct ng_rate *r, const struct ng_event *e, uint64_t *suppressed)
{
	uint64_t now = event_time(e);
	size_t idx;
	struct slot *s = find_slot(r, key_hash(r, e), now, &idx);
	/* A clock that steps backwards starts a new window rather than stalling it. */
	if (now < s->start || now - s->start >= r->window_ns) {
		s->start = now;
		s->count = 0;
	}
	if (s->count < r->n) {
		s->count++;
		*suppressed = s->suppressed;
		s->suppressed = 0;
		return true;
	}
	s->suppressed++;
	return false;
}

bool ng_rate_threshold(struct ng_rate *r, const struct ng_event *e)
{
	uint64_t now = event_time(e);
	size_t idx;
	struct slot *s = find_slot(r, key_hash(r, e), now, &idx);
	uint64_t *ring = &r->times[idx * r->n];
	ring[s->head] = now;
	s->head = (s->head + 1) % r->n;
	if (s->count < r->n)
		s->count++;
	if (s->count < r->n)
		return false;
	/* The ring is full: its oldest entry is at head. */
	uint64_t oldest = ring[s->head];
	if (now >= oldest && now - oldest < r->window_ns) {
		/* Fired: the next alert needs `count` new matches. */
		s->count = 0;
		s->head = 0;
		return true;
	}
	return false;
}

void ng_rate_get_stats(const struct ng_rate *r, struct ng_rate_stats *st)
{
	*st = r->st;
}
