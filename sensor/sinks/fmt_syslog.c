// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "event_text.h"
#include "format.h"
#include "text.h"

#define SD_ID "numaguard@32473" /* private SD-ID; 32473 is the documentation PEN (RFC 5612) */
#define BOM "\xef\xbb\xbf"
#define REPL "\xef\xbf\xbd" /* U+FFFD */

/* Event fields every syslog record carries in its SD element when the event has them. */
static const enum ng_field_id sd_fields[] = {
    NG_F_PROC_PID,     NG_F_PROC_NAME,	       NG_F_USER_UID,  NG_F_USER_NAME,
    NG_F_CONTAINER_ID, NG_F_CONTAINER_RUNTIME, NG_F_MPOL_MODE, NG_F_MPOL_FLAGS,
    NG_F_MPOL_NODES,   NG_F_EVT_RES,	       NG_F_PROC_PPID, NG_F_K8S_POD_UID,
    NG_F_PROC_EXEPATH, NG_F_PROC_CMDLINE,
};

bool ng_fmt_utf8_step(struct ng_buf *b, const char *s, size_t n, size_t *i, size_t *out,
		      size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t l = ng_utf8_len(p + *i, n - *i);
	size_t ol = l ? l : 3;
	if (*out + ol > max)
		return false;
	ng_buf_put(b, l ? s + *i : REPL, ol);
	*out += ol;
	*i += l ? l : 1;
	return true;
}

size_t ng_fmt_utf8_copy(struct ng_buf *b, const char *s, size_t n, size_t max)
{
	size_t i = 0, out = 0;
	while (i < n && ng_fmt_utf8_step(b, s, n, &i, &out, max))
		;
	return i;
}

size_t ng_fmt_sd_escape(struct ng_buf *b, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, out = 0;
	while (i < n) {
		unsigned char ch = p[i];
		if (ch == '"' || ch == '\\' || ch == ']') {
			if (out + 2 > max)
				break;
			char esc[2] = {'\\', (char)ch};
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

/* A header field: printable US-ASCII (33..126) only, at most max octets, "-" when empty. */
static void header_field(struct ng_buf *b, const char *s, size_t max)
{
	size_t n = 0;
	for (; s && s[n] && n < max; n++)
		ng_buf_putc(b, s[n] > 32 && s[n] < 127 ? s[n] : '_');
	if (n == 0)
		ng_buf_putc(b, '-');
}

void ng_fmt_syslog_header(struct ng_buf *b, enum ng_priority prio, const char *msgid,
			  uint64_t time_ns, const struct ng_fmt_ctx *c)
{
	char t[48];
	/* RFC 5424 §6.2.3: at most 6 fractional digits. */
	ng_rfc3339(t, sizeof(t), time_ns, 6);
	ng_buf_printf(b, "<%d>1 %s ", c->facility * 8 + ((int)prio & 7), t);
	header_field(b, c->hostname, 255);
	ng_buf_puts(b, " numaguard ");
	ng_buf_printf(b, "%lu ", c->pid);
	header_field(b, msgid, 32);
}

struct sd {
	struct ng_buf *b;
	size_t limit; /* b->len may grow up to this; SIZE_MAX = no limit */
	size_t value_cap;
	bool truncated;
};

static void sd_param(struct sd *d, const char *name, const char *v, size_t n)
{
	size_t overhead = strlen(name) + 4; /* SP name = " ... " */
	if (d->b->len + overhead >= d->limit) {
		d->truncated = true;
		return;
	}
	size_t room = d->limit - d->b->len - overhead;
	if (room > d->value_cap)
		room = d->value_cap;
	ng_buf_printf(d->b, " %s=\"", name);
	if (ng_fmt_sd_escape(d->b, v, n, room) < n)
		d->truncated = true;
	ng_buf_putc(d->b, '"');
}

static void sd_param_str(struct sd *d, const char *name, const char *v)
{
	sd_param(d, name, v, strlen(v));
}

void ng_fmt_alert_syslog(struct ng_buf *b, const struct ng_alert *a, const struct ng_fmt_ctx *c)
{
	size_t start = b->len;
	ng_fmt_syslog_header(b, a->priority, a->rule_id, a->time_ns, c);

	const char *out = a->output ? a->output : "";
	size_t outlen = strlen(out);
	static const char trunc[] = " truncated=\"true\"";
	struct sd d = {.b = b, .limit = SIZE_MAX, .value_cap = SIZE_MAX};
	if (c->max_len) {
		/* Keep room for the end of the SD element, BOM and at least part of MSG. */
		size_t msg_reserve = 1 + 3 + (outlen < c->max_len / 4 ? outlen : c->max_len / 4);
		size_t used = b->len - start;
		size_t fixed = used + 1 + strlen(SD_ID) + sizeof(trunc) + 1 + msg_reserve;
		d.limit = c->max_len > fixed ? start + c->max_len - msg_reserve - sizeof(trunc) - 1
					     : b->len;
		d.value_cap = c->max_len / 4;
	}

	ng_buf_puts(b, " [" SD_ID);
	char num[24];
	sd_param_str(&d, "rule_id", a->rule_id ? a->rule_id : "");
	sd_param_str(&d, "priority", ng_priority_name(a->priority));
	snprintf(num, sizeof(num), "%" PRIu64, a->seq);
	sd_param_str(&d, "seq", num);
	if (a->source && strcmp(a->source, "numaguard") != 0)
		sd_param_str(&d, "source", a->source);
	if (a->suppressed) {
		snprintf(num, sizeof(num), "%" PRIu64, a->suppressed);
		sd_param_str(&d, "suppressed", num);
	}
	if (a->action != NG_ACTION_NONE)
		sd_param_str(&d, "action", ng_action_name(a->action));
	sd_param_str(&d, "rule", a->rule ? a->rule : "");
	for (size_t i = 0; i < c->nextra; i++)
		sd_param_str(&d, c->extra[i].key, c->extra[i].value);

	/* Event fields: the fixed set, then the rule's output fields not already given. */
	uint64_t done = 0;
	struct ng_buf v = {0};
	for (size_t i = 0; a->evt && i < sizeof(sd_fields) / sizeof(sd_fields[0]) + a->nfields;
	     i++) {
		size_t nfix = sizeof(sd_fields) / sizeof(sd_fields[0]);
		enum ng_field_id id = i < nfix ? sd_fields[i] : a->fields[i - nfix];
		if ((unsigned)id >= NG_F__COUNT || (done >> id & 1) || !ng_event_has(a->evt, id))
			continue;
		done |= 1ull << id;
		ng_buf_reset(&v);
		ng_field_text(&v, a->evt, &ng_fields[id], NG_TEXT_PLAIN);
		/* Field names are valid SD-NAMEs: ASCII, no '=', ' ', ']' or '"', ≤ 32 octets. */
		sd_param(&d, ng_fields[id].name, v.data ? v.data : "", v.len);
	}
	ng_buf_free(&v);
	if (d.truncated)
		ng_buf_puts(b, trunc);
	ng_buf_putc(b, ']');

	ng_buf_puts(b, " " BOM);
	size_t room = SIZE_MAX;
	if (c->max_len)
		room = c->max_len > b->len - start ? c->max_len - (b->len - start) : 0;
	ng_fmt_utf8_copy(b, out, outlen, room);
}
