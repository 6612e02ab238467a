// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>

#include "event_json.h"
#include "format.h"
#include "json.h"

void ng_fmt_alert_json(struct ng_buf *b, const struct ng_alert *a, const struct ng_fmt_ctx *c)
{
	ng_buf_puts(b, "{\"time\":");
	ng_json_time(b, a->time_ns);
	ng_buf_puts(b, ",\"rule\":");
	ng_json_str(b, a->rule ? a->rule : "");
	ng_buf_puts(b, ",\"rule_id\":");
	ng_json_str(b, a->rule_id ? a->rule_id : "");
	ng_buf_printf(b, ",\"rule_version\":%u,\"priority\":", a->rule_version);
	ng_json_str(b, ng_priority_name(a->priority));
	ng_buf_puts(b, ",\"output\":");
	ng_json_str(b, a->output ? a->output : "");

	ng_buf_puts(b, ",\"output_fields\":{");
	bool first = true;
	uint64_t seen = 0; /* a field referenced twice by the template is one JSON key */
	for (size_t i = 0; i < a->nfields; i++) {
		if ((unsigned)a->fields[i] >= NG_F__COUNT || (seen >> a->fields[i] & 1))
			continue;
		seen |= 1ull << a->fields[i];
		const struct ng_field *f = &ng_fields[a->fields[i]];
		if (!first)
			ng_buf_putc(b, ',');
		first = false;
		ng_json_str(b, f->name);
		ng_buf_putc(b, ':');
		if (a->evt)
			ng_field_json(b, a->evt, f);
		else
			ng_buf_puts(b, "null");
	}
	/* Internal alerts carry their counters as strings, as Falco's do. */
	for (size_t i = 0; i < c->nextra; i++) {
		if (!first)
			ng_buf_putc(b, ',');
		first = false;
		ng_json_str(b, c->extra[i].key);
		ng_buf_putc(b, ':');
		ng_json_str(b, c->extra[i].value);
	}
	ng_buf_puts(b, "},\"tags\":[");
	for (size_t i = 0; i < a->ntags; i++) {
		if (i)
			ng_buf_putc(b, ',');
		ng_json_str(b, a->tags[i]);
	}
	ng_buf_puts(b, "],\"hostname\":");
	ng_json_str(b, c->hostname);
	ng_buf_puts(b, ",\"source\":");
	ng_json_str(b, a->source ? a->source : "numaguard");
	ng_buf_printf(b, ",\"seq\":%" PRIu64, a->seq);
	if (a->suppressed)
		ng_buf_printf(b, ",\"suppressed\":%" PRIu64, a->suppressed);
	if (a->action != NG_ACTION_NONE) {
		ng_buf_puts(b, ",\"action\":");
		ng_json_str(b, ng_action_name(a->action));
	}
	ng_buf_putc(b, '}');
}
