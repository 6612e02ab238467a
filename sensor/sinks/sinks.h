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
	enum ng_format format;	     /* --format, for stdout and file sinks */
	const char *hostname;	     /* NULL = gethostname() */
	const char *syslog_facility; /* syslog facility name; NULL = "authpriv" */
	const char *syslog_socket;   /* local syslog socket; NULL = "/dev/log" */
	size_t queue_len;	     /* records per sink queue; 0 = NG_SINK_QUEUE_LEN */
};

#define NG_SINK_QUEUE_LEN 4096
#define NG_SINKS_MAX 64

/* Facility name ("authpriv", "local0", …) → 0..23, or -EINVAL. */
int ng_sinks_facility_parse(const char *name);

/*
 * Parse every spec and open every sink. Returns 0, or a negative errno with a
 * message naming the spec and what to do in err: -EINVAL for a spec that does
 * not parse or that this build does not support (http://), another errno when
 * a local output cannot be opened (a missing /dev/log, an unwritable file).
 */
int ng_sinks_open(struct ng_sinks **out, const struct ng_sinks_opts *opts, char *err,
		  size_t errlen);

/*
 * Assign the alert its seq (1, 2, … per run) and queue it, formatted, on every
 * sink. Never waits for a receiver. Thread-safe: seq order is queue order.
 */
void ng_sinks_emit_alert(struct ng_sinks *s, struct ng_alert *alert);

/*
 * run --all-events: queue one event JSON line on the stdout and file sinks.
 * Events may fill three quarters of a queue; the rest is kept for alerts.
 */
void ng_sinks_emit_event(struct ng_sinks *s, const struct ng_event *evt);

/*
 * Whether an output that takes event lines (stdout, files) has filled half
 * of the room its queue gives events. The run loop then leaves records in the
 * ring buffer for a while instead of dropping them at the queue, so the two
 * buffers add up.
 */
bool ng_sinks_event_backlog(struct ng_sinks *s);

/* SIGHUP: reopen file sinks (logrotate). */
void ng_sinks_reopen(struct ng_sinks *s);

/* One stats line per sink (queued, written, dropped, reconnects, errors) to out. */
void ng_sinks_print_stats(struct ng_sinks *s, FILE *out);

struct ng_sink_stats {
	const char *spec;
	uint64_t queued;  /* records accepted into the queue */
	uint64_t written; /* records written to the file or socket; TCP: acknowledged by the peer */
	uint64_t dropped; /* records refused because the queue was full (alerts + events) */
	uint64_t dropped_alerts;
	uint64_t lost; /* records abandoned at shutdown, or refused by a UDP peer */
	uint64_t reconnects;
	uint64_t resent;  /* TCP records sent again after a connection broke before their ack */
	uint64_t errors;  /* failed connects, sends and writes */
	uint64_t pending; /* records in the queue now */
	int last_error;	  /* errno of the last failure, 0 if none */
};
/* Counters of sink i (in --output order). Returns 0 or -ENOENT. */
int ng_sinks_get_stats(struct ng_sinks *s, size_t i, struct ng_sink_stats *st);

/*
 * Stop accepting records, report unreported drops, and wait up to timeout_ms
 * for every queue to empty; records still queued at the deadline are counted
 * as lost. Returns the number of records lost. Call ng_sinks_print_stats()
 * afterwards to say what was lost, then ng_sinks_close().
 */
uint64_t ng_sinks_drain(struct ng_sinks *s, int timeout_ms);

/* Drain (2 s, unless ng_sinks_drain() ran already), stop the writers, free. */
void ng_sinks_close(struct ng_sinks *s);

#endif
