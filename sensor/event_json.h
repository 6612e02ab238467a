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

/*
 * The per-process part of a line (proc.ppid to the end: parent, executable,
 * command line, capabilities, user, container, namespaces) is most of its
 * bytes, and the same call after call from one process. The cache keeps the
 * last one rendered and the values it came from, and reuses the text while
 * every one of those fields is unchanged. Zero-initialise; one thread.
 */
struct ng_json_cache {
	bool valid;
	struct ng_event from;
	struct ng_buf text;
};

/* ng_event_json() through a cache (NULL: none); the same bytes either way. */
void ng_event_json_cached(struct ng_buf *b, const struct ng_event *e, const char *hostname,
			  struct ng_json_cache *c);
void ng_json_cache_free(struct ng_json_cache *c);

#endif
