/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The --config FILE settings (YAML mapping). Every key mirrors a `run`
 * option or a sink setting; options given on the command line override the
 * file. Keys are documented in docs/outputs.md.
 */
#ifndef NUMAGUARD_CONFIG_H
#define NUMAGUARD_CONFIG_H

#include <stddef.h>

#include "sinks/sinks.h"

struct ng_config {
	char **outputs; /* --output specs */
	size_t noutputs;
	int format; /* -1 unset, else enum ng_format */
	char **rules;
	size_t nrules;
	int no_default_rules;  /* -1 unset, else 0/1 */
	int all_events;	       /* -1 unset, else 0/1 */
	int enforce;	       /* -1 unset, else 0/1 */
	double stats_interval; /* seconds; < 0 unset */
	char *syslog_facility; /* NULL unset; validated */
	char *syslog_socket;   /* NULL unset: /dev/log */
	char *hostname;	       /* NULL unset: gethostname() */
	size_t queue_len;      /* 0 unset: NG_SINK_QUEUE_LEN */
};

/*
 * Parse path into cfg (which need not be initialised). Returns 0, or a
 * negative errno with "FILE:LINE:COL: message" in err; cfg is then freed.
 */
int ng_config_load(const char *path, struct ng_config *cfg, char *err, size_t errlen);
void ng_config_free(struct ng_config *cfg);

/* Copy the sink settings the file sets (facility, socket, hostname, queue length) into so. */
void ng_config_apply_sinks(const struct ng_config *cfg, struct ng_sinks_opts *so);

#endif
