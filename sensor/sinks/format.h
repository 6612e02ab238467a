/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Alert and event formatters, one per output format. Each appends one complete
 * record to a buffer, escaping every byte that came from a process for that
 * format, so no value can forge a field, a line or a record. The sinks call
 * them in the emitting thread and queue the resulting bytes.
 */
#ifndef NUMAGUARD_SINKS_FORMAT_H
#define NUMAGUARD_SINKS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "buf.h"
#include "event.h"
#include "fields.h"

/*
 * Extra key/value pairs of the sensor's own alerts (source "internal"), such
 * as the sink name and drop count. Rendered as strings in output_fields (as
 * Falco does for its internal alerts) and as extra SD/extension parameters.
 */
struct ng_fmt_kv {
	const char *key;
	const char *value;
};

struct ng_fmt_ctx {
	const char *hostname;
	const struct ng_fmt_kv *extra;
	size_t nextra;
	/* syslog and CEF over syslog */
	int facility;	   /* 0..23; PRI = facility * 8 + priority */
	unsigned long pid; /* PROCID */
	size_t max_len;	   /* limit of the whole syslog record in octets; 0 = none */
};

/* JSON alert, Falco-shaped, without the trailing newline. */
void ng_fmt_alert_json(struct ng_buf *b, const struct ng_alert *a, const struct ng_fmt_ctx *c);

/* "<time>: <Priority> <output> (rule_id=… seq=…)" without the trailing newline. */
void ng_fmt_alert_text(struct ng_buf *b, const struct ng_alert *a, const struct ng_fmt_ctx *c);

/*
 * Escape for one-line text: backslash as "\\", \n \r \t, other control bytes,
 * DEL and bytes that are not valid UTF-8 as "\xHH". Reversible.
 */
void ng_fmt_text_escape(struct ng_buf *b, const char *s, size_t n);


/*
 * RFC 5424 PARAM-VALUE escaping: '"', '\' and ']' get a backslash; bytes
 * that are not valid UTF-8 become U+FFFD. At most `max` octets are appended,
 * never cutting an escape or a UTF-8 sequence. Returns the number of input
 * bytes consumed (< n when the value was truncated).
 */
size_t ng_fmt_sd_escape(struct ng_buf *b, const char *s, size_t n, size_t max);

/*
 * One step of a bounded UTF-8 copy: the well-formed sequence at s[*i], or
 * U+FFFD for a byte that starts none, if it fits in max output octets
 * (counted in *out). Returns false, copying nothing, when it does not.
 */
bool ng_fmt_utf8_step(struct ng_buf *b, const char *s, size_t n, size_t *i, size_t *out,
		      size_t max);
/* Copy s as UTF-8 (invalid bytes → U+FFFD), at most max octets. Returns input bytes consumed. */
size_t ng_fmt_utf8_copy(struct ng_buf *b, const char *s, size_t n, size_t max);

/*
 * The RFC 5424 header up to MSGID: "<PRI>1 TIMESTAMP HOSTNAME numaguard PROCID
 * MSGID". Header fields are reduced to printable US-ASCII within their length
 * limits; an empty field becomes the NILVALUE "-".
 */
void ng_fmt_syslog_header(struct ng_buf *b, enum ng_priority prio, const char *msgid,
			  uint64_t time_ns, const struct ng_fmt_ctx *c);

/*
 * A whole RFC 5424 record (no framing): header, one numaguard@32473 SD
 * element, then BOM + the alert output as MSG. When c->max_len is set, long
 * SD values and then MSG are truncated (at UTF-8 and escape boundaries, with
 * truncated="true" added to the SD element) so the record fits; it is never
 * split.
 */
void ng_fmt_alert_syslog(struct ng_buf *b, const struct ng_alert *a, const struct ng_fmt_ctx *c);

/* CEF header escaping: '|' and '\'; CR and LF become spaces (a header is one line). */
void ng_fmt_cef_header_escape(struct ng_buf *b, const char *s, size_t n, size_t max);
/*
 * CEF extension value escaping: '=' and '\' get a backslash, CR and LF become
 * "\r" and "\n"; invalid UTF-8 → U+FFFD. At most max octets, never cutting
 * an escape. Returns the input bytes consumed.
 */
size_t ng_fmt_cef_ext_escape(struct ng_buf *b, const char *s, size_t n, size_t max);
/* Falco priority → CEF severity 0..10 (REFERENCE §4.7). */
int ng_fmt_cef_severity(enum ng_priority p);
/*
 * "CEF:0|numaguard|numaguard|VERSION|rule_id|rule|severity|ext" without a
 * newline. When c->max_len is set, the line is kept within it by truncating
 * extension values (never an escape).
 */
void ng_fmt_alert_cef(struct ng_buf *b, const struct ng_alert *a, const struct ng_fmt_ctx *c);

#endif
