/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text helpers shared by every output format: UTF-8 validation (strings from
 * processes are arbitrary bytes) and RFC 3339 timestamps.
 */
#ifndef NUMAGUARD_TEXT_H
#define NUMAGUARD_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the well-formed UTF-8 sequence starting at s (1..4), or 0 when
 * the bytes there are not valid UTF-8 (overlong forms, surrogates and code
 * points above U+10FFFF are invalid). n is the number of bytes available.
 */
size_t ng_utf8_len(const unsigned char *s, size_t n);

/*
 * Format a realtime timestamp (ns since the epoch) as RFC 3339 UTC with
 * `digits` fractional digits (0..9): "2026-11-28T02:11:59.123456789Z".
 * Returns the length written; out must hold at least 40 bytes.
 */
size_t ng_rfc3339(char *out, size_t outlen, uint64_t ns, int digits);

/* Parse what ng_rfc3339 writes (any 0..9 digits, 'Z' only). Returns 0 or -EINVAL. */
int ng_rfc3339_parse(const char *s, uint64_t *ns);

#endif
