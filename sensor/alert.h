/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An alert: what the rule engine hands to the sinks when a rule fires. It
 * borrows every pointer from the engine and the event for the duration of
 * the emit call; a sink that queues the alert formats it first.
 */
#ifndef NUMAGUARD_ALERT_H
#define NUMAGUARD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "fields.h"

/* Syslog severities, which are also the rule priorities (SPEC §4). */
enum ng_priority {
	NG_PRIO_EMERGENCY = 0,
	NG_PRIO_ALERT = 1,
	NG_PRIO_CRITICAL = 2,
	NG_PRIO_ERROR = 3,
	NG_PRIO_WARNING = 4,
	NG_PRIO_NOTICE = 5,
	NG_PRIO_INFORMATIONAL = 6,
	NG_PRIO_DEBUG = 7,
};

enum ng_alert_action {
	NG_ACTION_NONE = 0,
	NG_ACTION_KILLED,      /* actions: [kill] with --enforce, the process was killed */
	NG_ACTION_WOULD_KILL,  /* actions: [kill] without --enforce */
	NG_ACTION_KILL_FAILED, /* --enforce, but the kill failed (process gone, no permission) */
};

struct ng_alert {
	uint64_t seq;     /* per run, +1 per alert; assigned by ng_sinks_emit_alert() */
	uint64_t time_ns; /* event time (or now, for internal alerts) */
	const char *source;  /* "numaguard", or "internal" for the sensor's own alerts */
	const char *rule;    /* rule name */
	const char *rule_id; /* stable id, e.g. "NG-0001" ("" for internal alerts) */
	unsigned rule_version;
	enum ng_priority priority;
	const char *const *tags;
	size_t ntags;
	const char *output; /* rendered output template, raw bytes; each sink escapes */
	const struct ng_event *evt; /* NULL for internal alerts */
	/* output_fields: the fields the output template references, in order */
	const enum ng_field_id *fields;
	size_t nfields;
	/* Alerts of this rule and throttle key suppressed since the previous one was emitted. */
	uint64_t suppressed;
	/* The rule has actions: [kill]; the run loop decides and sets `action`. */
	bool kill_requested;
	enum ng_alert_action action;
};

/* "Emergency" … "Debug", as Falco spells them. */
const char *ng_priority_name(enum ng_priority p);
/* Case-insensitive; also accepts "info". Returns the priority or -1. */
int ng_priority_parse(const char *s);
/* "killed", "would kill", "kill failed", or "" */
const char *ng_action_name(enum ng_alert_action a);

#endif
