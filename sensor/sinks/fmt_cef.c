// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "event_text.h"
#include "format.h"
#include "text.h"


int ng_fmt_cef_severity(enum ng_priority p)
{
	/* Falco priority → CEF, as falcosidekick maps it (REFERENCE §4.7). */
	static const int sev[8] = {10, 9, 8, 7, 6, 4, 3, 0};
	return (unsigned)p < 8 ? sev[p] : 0;
}

void ng_fmt_cef_header_escape(struct ng_buf *b, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t out = 0;
	for (size_t i = 0; i < n;) {
		unsigned char ch = p[i];
		if (ch == '|' || ch == '\\') {
			if (out + 2 > max)
				return;
			char esc[2] = {'\\', (char)ch};
			ng_buf_put(b, esc, 2);
			out += 2;
			i++;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f) {
			if (out + 1 > max)
				return;
			ng_buf_putc(b, ' ');
			out++;
			i++;
			continue;
		}
		if (!ng_fmt_utf8_step(b, s, n, &i, &out, max))
			return;
	}
}

size_t ng_fmt_cef_ext_escape(struct ng_buf *b, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, out = 0;
	while (i < n) {
		unsigned char ch = p[i];
		const char *esc = NULL;
		if (ch == '=')
			esc = "\\=";
		else if (ch == '\\')
			esc = "\\\\";
		else if (ch == '\n')
			esc = "\\n";
		else if (ch == '\r')
			esc = "\\r";
		if (esc) {
			if (out + 2 > max)
				break;
			ng_buf_put(b, esc, 2);
			out += 2;
			i++;
			continue;
		}
		if (!ng_fmt_utf8_step(b, s, n, &i, &out, max))
			break;
	}
	return i;
}

struct ext {
	struct ng_buf *b;
	size_t limit; /* absolute b->len limit */
	size_t value_cap;
	bool first;
};

static void ext_kv(struct ext *x, const char *key, const char *v, size_t n)
{
	size_t overhead = strlen(key) + 2;
	if (x->b->len + overhead >= x->limit)
		return;
	size_t room = x->limit - x->b->len - overhead;
	if (room > x->value_cap)
		room = x->value_cap;
	if (!x->first)
		ng_buf_putc(x->b, ' ');
	x->first = false;
	ng_buf_puts(x->b, key);
	ng_buf_putc(x->b, '=');
	ng_fmt_cef_ext_escape(x->b, v, n, room);
}

static void ext_str(struct ext *x, const char *key, const char *v)
{
	ext_kv(x, key, v, strlen(v));
}

/* A labelled custom string (cs1..cs6): the value, then its label, if the event has it. */
static void ext_field(struct ext *x, struct ng_buf *tmp, const struct ng_event *e,
		      enum ng_field_id id, const char *key, const char *label_key,
		      const char *label)
{
	if (!e || !ng_event_has(e, id))
		return;
	ng_buf_reset(tmp);
	ng_field_text(tmp, e, &ng_fields[id], NG_TEXT_PLAIN);
	ext_kv(x, key, tmp->data ? tmp->data : "", tmp->len);
	if (label_key)
		ext_str(x, label_key, label);
}

void ng_fmt_alert_cef(struct ng_buf *b, const struct ng_alert *a, const struct ng_fmt_ctx *c)
{
	size_t start = b->len;
	const char *id = a->rule_id && *a->rule_id ? a->rule_id : a->source ? a->source : "-";
	const char *rule = a->rule ? a->rule : "";
	ng_buf_puts(b, "CEF:0|numaguard|numaguard|");
	ng_fmt_cef_header_escape(b, NUMAGUARD_VERSION, strlen(NUMAGUARD_VERSION), 31);
	ng_buf_putc(b, '|');
	ng_fmt_cef_header_escape(b, id, strlen(id), 1023);
	ng_buf_putc(b, '|');
	ng_fmt_cef_header_escape(b, rule, strlen(rule), 512);
	ng_buf_printf(b, "|%d|", ng_fmt_cef_severity(a->priority));

	struct ext x = {.b = b, .limit = SIZE_MAX, .value_cap = SIZE_MAX, .first = true};
	if (c->max_len) {
		x.limit = start + c->max_len;
		x.value_cap = c->max_len / 4;
	}
	char num[24];
	struct ng_buf tmp = {0};
	const struct ng_event *e = a->evt;

	/* Short, always-useful keys first: truncation under a size limit eats the long tail. */
	snprintf(num, sizeof(num), "%" PRIu64, a->time_ns / UINT64_C(1000000));
	ext_str(&x, "rt", num);
	ext_str(&x, "dvchost", c->hostname);
	snprintf(num, sizeof(num), "%" PRIu64, a->seq);
	ext_str(&x, "externalId", num);
	ext_str(&x, "cat", a->source ? a->source : "numaguard");
	if (a->action != NG_ACTION_NONE)
		ext_str(&x, "act", ng_action_name(a->action));
	if (a->suppressed) {
		snprintf(num, sizeof(num), "%" PRIu64, a->suppressed);
		ext_str(&x, "cn1", num);
		ext_str(&x, "cn1Label", "suppressed");
	}
	ext_field(&x, &tmp, e, NG_F_PROC_PID, "spid", NULL, NULL);
	ext_field(&x, &tmp, e, NG_F_USER_UID, "suid", NULL, NULL);
	ext_field(&x, &tmp, e, NG_F_USER_NAME, "suser", NULL, NULL);
	ext_field(&x, &tmp, e, NG_F_PROC_NAME, "sproc", NULL, NULL);
	ext_field(&x, &tmp, e, NG_F_MPOL_MODE, "cs2", "cs2Label", "mpolMode");
	ext_field(&x, &tmp, e, NG_F_MPOL_NODES, "cs3", "cs3Label", "mpolNodes");
	ext_field(&x, &tmp, e, NG_F_CONTAINER_ID, "cs1", "cs1Label", "containerId");
	if (a->ntags) {
		ng_buf_reset(&tmp);
		for (size_t i = 0; i < a->ntags; i++) {
			if (i)
				ng_buf_putc(&tmp, ',');
			ng_buf_puts(&tmp, a->tags[i]);
		}
		ext_kv(&x, "cs6", tmp.data ? tmp.data : "", tmp.len);
		ext_str(&x, "cs6Label", "tags");
	}
	for (size_t i = 0; i < c->nextra; i++) {
		/* Internal alerts: their details are in msg; the sink name also goes in reason. */
		if (strcmp(c->extra[i].key, "sink") == 0)
			ext_str(&x, "reason", c->extra[i].value);
	}
	ext_str(&x, "msg", a->output ? a->output : "");
	ext_field(&x, &tmp, e, NG_F_PROC_EXEPATH, "filePath", NULL, NULL);
	ext_field(&x, &tmp, e, NG_F_PROC_CMDLINE, "cs4", "cs4Label", "cmdline");
	ext_field(&x, &tmp, e, NG_F_CONTAINER_CGROUP, "cs5", "cs5Label", "cgroup");
	ng_buf_free(&tmp);
}
