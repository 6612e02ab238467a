// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define CHUNK_MIN (64 * 1024)

struct ng_arena_chunk {
	struct ng_arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *ng_arena_alloc(struct ng_arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	struct ng_arena_chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/*
		 * A big block gets its own chunk behind the current one, so the
		 * space left in the current chunk stays usable.
		 */
		if (a->head && cap == n && a->head->cap - a->head->used >= CHUNK_MIN / 4) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

char *ng_arena_strndup(struct ng_arena *a, const char *s, size_t n)
{
	char *p = ng_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *ng_arena_strdup(struct ng_arena *a, const char *s)
{
	return ng_arena_strndup(a, s, strlen(s));
}

void *ng_arena_grow(struct ng_arena *a, void *old, size_t old_n, size_t new_n, size_t elem)
{
	if (new_n && elem > SIZE_MAX / new_n)
		return NULL;
	void *p = ng_arena_alloc(a, new_n * elem);
	if (p && old_n)
		memcpy(p, old, old_n * elem);
	return p;
}

void ng_arena_free(struct ng_arena *a)
{
	struct ng_arena_chunk *c = a->head;
	while (c) {
		struct ng_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
	a->total = 0;
}
