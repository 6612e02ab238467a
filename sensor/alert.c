// SPDX-License-Identifier: LGPL-2.1-or-later
#include <strings.h>

#include "alert.h"

static const char *const prio_names[] = {
	"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
};

const char *ng_priority_name(enum ng_priority p)
{
	return (unsigned)p < 8 ? prio_names[p] : "Debug";
}

int ng_priority_parse(const char *s)
{
	for (int i = 0; i < 8; i++)
		if (strcasecmp(s, prio_names[i]) == 0)
			return i;
	if (strcasecmp(s, "info") == 0)
		return NG_PRIO_INFORMATIONAL;
	return -1;
}

const char *ng_action_name(enum ng_alert_action a)
{
	switch (a) {
	case NG_ACTION_KILLED:
		return "killed";
	case NG_ACTION_WOULD_KILL:
		return "would kill";
	case NG_ACTION_KILL_FAILED:
		return "kill failed";
	default:
		return "";
	}
}
