/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Alert and event outputs. Each sink has a bounded queue and its own writer
 * thread, so a slow or dead receiver never stalls capture, rule evaluation or
 * the other sinks; drops are counted per sink and reported in-band and in
 * the stats.
 */
#ifndef NUMAGUARD_SINKS_H
#define NUMAGUARD_SINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alert.h"
#include "event.h"

enum ng_format {
	NG_FORMAT_JSON = 0,
	NG_FORMAT_TEXT,
};

struct ng_sinks;

struct ng_sinks_opts {
	const char *const *specs; /* --output values; none = "stdout" */
	size_t nspecs;
	enum ng_format format; /* --format, for stdout and file sinks */
	const char *hostname;
};

/*
 * Parse every spec and open every sink. Returns 0, or a negative errno with a
 * message naming the spec and what to do in err (e.g. a missing /dev/log).
 */
int ng_sinks_open(struct ng_sinks **out, const struct ng_sinks_opts *opts, char *err,
		  size_t errlen);

/* Assign the alert its seq and queue it on every sink. Never blocks on a receiver. */
void ng_sinks_emit_alert(struct ng_sinks *s, struct ng_alert *alert);

/* run --all-events: queue one event JSON line on the stdout and file sinks. */
void ng_sinks_emit_event(struct ng_sinks *s, const struct ng_event *evt);

/* SIGHUP: reopen file sinks (logrotate). */
void ng_sinks_reopen(struct ng_sinks *s);

/* One stats line per sink (queued, written, dropped, reconnects) to out. */
void ng_sinks_print_stats(struct ng_sinks *s, FILE *out);

/* Drain every queue (bounded wait for network sinks), stop the writers, free. */
void ng_sinks_close(struct ng_sinks *s);

#endif
