/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shipped rules/ files, embedded at build time by rules/embed.py. */
#ifndef NUMAGUARD_RULES_EMBEDDED_H
#define NUMAGUARD_RULES_EMBEDDED_H

#include <stddef.h>

struct ng_embedded_rules {
	const char *name; /* "rules/numaguard_rules.yaml", used in diagnostics */
	const char *text; /* NUL-terminated */
	size_t len;
};

/* Terminated by an entry whose name is NULL. */
extern const struct ng_embedded_rules ng_default_rules[];

#endif
