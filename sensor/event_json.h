/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Event → JSON. The shape of one `run --all-events` line:
 *   {"time":"…","source":"numaguard","hostname":"…","event":{"evt":{…},"mpol":{…},…}}
 * Keys are the field names split at the dots ("k8s.pod.uid" → k8s.pod.uid).
 */
#ifndef NUMAGUARD_EVENT_JSON_H
#define NUMAGUARD_EVENT_JSON_H

#include "buf.h"
#include "event.h"
#include "fields.h"

/* Append one field's value as typed JSON (numbers, booleans, strings, arrays; null when absent). */
void ng_field_json(struct ng_buf *b, const struct ng_event *e, const struct ng_field *f);

/* Append the whole event line (without the trailing newline). */
void ng_event_json(struct ng_buf *b, const struct ng_event *e, const char *hostname);

#endif
