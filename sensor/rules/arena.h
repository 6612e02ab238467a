/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bump allocator for everything a loaded rule set owns (names, condition
 * trees, compiled programs, throttle tables): one free releases it all, and
 * nothing in it is ever freed one piece at a time.
 */
#ifndef NUMAGUARD_RULES_ARENA_H
#define NUMAGUARD_RULES_ARENA_H

#include <stddef.h>

struct ng_arena_chunk;

struct ng_arena {
	struct ng_arena_chunk *head;
	size_t total; /* bytes handed out, for limits and diagnostics */
};

/* Zeroed memory aligned for any type, or NULL when out of memory. */
void *ng_arena_alloc(struct ng_arena *a, size_t n);
/* Copy of s[0..n) with a terminating NUL, or NULL. */
char *ng_arena_strndup(struct ng_arena *a, const char *s, size_t n);
char *ng_arena_strdup(struct ng_arena *a, const char *s);
/* Grow an array held in the arena: the old block is abandoned, not freed. */
void *ng_arena_grow(struct ng_arena *a, void *old, size_t old_n, size_t new_n, size_t elem);
void ng_arena_free(struct ng_arena *a);

#endif
