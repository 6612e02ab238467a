/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON output primitives: strings escaped so no value can break out of its record. */
#ifndef NUMAGUARD_JSON_H
#define NUMAGUARD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Append s[0..n) as a JSON string literal. Quotes, backslashes and every
 * control character are escaped (so the record stays one line), and bytes
 * that are not valid UTF-8 become U+FFFD, as Falco does.
 */
void ng_json_strn(struct ng_buf *b, const char *s, size_t n);
void ng_json_str(struct ng_buf *b, const char *s);

/* Append an RFC 3339 timestamp with 9 fractional digits as a JSON string. */
void ng_json_time(struct ng_buf *b, uint64_t ns);

#endif
