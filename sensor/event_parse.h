/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON event line → struct ng_event: the inverse of event_json.c, driven by
 * the same field table, for `replay`. The reader is strict inside "event"
 * (an unknown field or a value of the wrong type is an error, so a typo in a
 * hand-written test event cannot pass unnoticed), bounded (fixed nesting,
 * string values longer than their field are refused, not truncated) and
 * never allocates.
 */
#ifndef NUMAGUARD_EVENT_PARSE_H
#define NUMAGUARD_EVENT_PARSE_H

#include <stddef.h>

#include "event.h"

/*
 * Parse one line (without its newline). Returns 0, or -EINVAL with a reason
 * in err ("offset 17: unknown field 'mpol.nodez'").
 */
int ng_event_parse(const char *line, size_t len, struct ng_event *e, char *err, size_t errlen);

#endif
