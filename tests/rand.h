/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A seeded xorshift64 for tests and benchmarks: the same seed gives the same
 * sequence everywhere, so a failure or a measurement reproduces.
 */
#ifndef NUMAGUARD_TESTS_RAND_H
#define NUMAGUARD_TESTS_RAND_H

#include <stdint.h>

/* A value in [0, n) (n > 0); *state must not be 0. */
static inline uint32_t ng_test_rand(uint64_t *state, uint32_t n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state % n);
}

#endif
