/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One event field rendered as text, in the three forms the outputs need:
 * typed JSON (event lines, alert output_fields), rule output templates
 * ("%mpol.nodes"), and the plain values of syslog structured data and CEF
 * extensions. The plain forms keep the raw bytes of strings; each output
 * format escapes them.
 */
#ifndef NUMAGUARD_EVENT_TEXT_H
#define NUMAGUARD_EVENT_TEXT_H

#include "buf.h"
#include "event.h"
#include "fields.h"

enum ng_text_style {
	/* Rule output templates: an absent value is "<NA>" (as in Falco), lists are "[a,b]". */
	NG_TEXT_TEMPLATE,
	/* Values of structured outputs: an absent value is empty, lists are "a,b". */
	NG_TEXT_PLAIN,
	/* JSON: strings escaped and quoted, absent values null, lists as arrays. */
	NG_TEXT_JSON,
};

/* Append the value of field f of e (e may be NULL: every field is then absent). */
void ng_field_text(struct ng_buf *b, const struct ng_event *e, const struct ng_field *f,
		   enum ng_text_style style);

#endif
