/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fast non-cryptographic hash for the engine's string sets and throttle keys. */
#ifndef NUMAGUARD_RULES_HASH_H
#define NUMAGUARD_RULES_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t ng_hash_mix(uint64_t h)
{
	/* splitmix64 finaliser: every input bit affects every output bit. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

/* Eight bytes per step; the length is mixed in so "a" and "a\0" differ. */
static inline uint64_t ng_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	h ^= n * 0x9e3779b97f4a7c15ull;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, c, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
		c += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, c, n);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	return h;
}

#endif
