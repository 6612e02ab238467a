/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rule engine as the rest of the sensor sees it: load rule files (the
 * embedded defaults first, then user files in order), evaluate an event
 * against every enabled rule in file order, hand each match to a callback.
 */
#ifndef NUMAGUARD_RULES_ENGINE_H
#define NUMAGUARD_RULES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alert.h"
#include "cond.h"
#include "event.h"

struct ng_engine;
struct ng_diags; /* rules/diag.h */

struct ng_engine_opts {
	const char *const *paths; /* user rule files, loaded after the defaults, in order */
	size_t npaths;
	bool no_defaults; /* skip the embedded rules/ set */
	FILE *diag;       /* errors and warnings, "FILE:LINE:COL: error: …"; NULL = stderr */
	/* When set, diagnostics are collected here (rules/diag.h) and not printed. */
	struct ng_diags *diags;
	/* In-memory rule files loaded after the defaults and before paths (tests, tools). */
	const char *const *texts;
	const char *const *text_names;
	size_t ntexts;
};

/*
 * Load and compile. Returns 0 and sets *out, or a negative errno: -EINVAL when
 * any rule file has an error (every error has been printed to opts->diag).
 */
int ng_engine_load(struct ng_engine **out, const struct ng_engine_opts *opts);
void ng_engine_free(struct ng_engine *eng);

/*
 * Called once per alert, in rule file order. The alert and what it points to
 * are valid only during the call.
 */
typedef void (*ng_alert_cb)(const struct ng_alert *alert, void *ctx);

/*
 * Evaluate one event; never allocates once the output buffer has reached the
 * size of the largest alert. One thread at a time: the engine keeps per-event
 * memo and throttle state. Returns the number of alerts emitted.
 */
unsigned ng_engine_eval(struct ng_engine *eng, const struct ng_event *evt, ng_alert_cb cb,
			void *ctx);

struct ng_engine_stats {
	uint64_t events;     /* events evaluated */
	uint64_t alerts;     /* alerts emitted */
	uint64_t suppressed; /* alerts suppressed by throttles (reported, never silent) */
	uint64_t threshold_pending; /* matches held by thresholds that did not (yet) fire */
	uint64_t key_evictions;     /* throttle/threshold keys evicted from full tables */
	uint64_t evicted_suppressed; /* suppressed counts whose key was evicted before the
				      * next alert could report them (included in suppressed) */
};
void ng_engine_get_stats(const struct ng_engine *eng, struct ng_engine_stats *st);

/* What `rules list` shows; pointers valid while the engine lives. */
struct ng_rule_info {
	const char *name;
	const char *id; /* "" when the rule has none */
	unsigned version;
	enum ng_priority priority;
	bool enabled;
	bool kill;    /* actions: [kill] */
	bool seccomp; /* actions: [seccomp]: meant for `numaguard seccomp generate` */
	const char *desc;
	const char *const *tags;
	size_t ntags;
	const char *file;
	unsigned line;
};
size_t ng_engine_rule_count(const struct ng_engine *eng);
/* Rules in evaluation (file) order, disabled ones included. */
void ng_engine_rule_info(const struct ng_engine *eng, size_t i, struct ng_rule_info *out);

/* Whether any enabled rule carries actions: [kill]. */
bool ng_engine_wants_kill(const struct ng_engine *eng);

/*
 * Look up an enabled or disabled rule by its id (or, failing that, by its
 * name). Returns the rule's condition tree, valid while the engine lives, and
 * optionally its name and actions; NULL when there is no such rule.
 */
const struct ng_node *ng_engine_rule_condition(const struct ng_engine *eng, const char *id,
					       const char **name, bool *kill_action);

#endif
