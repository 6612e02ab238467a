/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Output templates: "MPOL_BIND from %container.id (pid=%proc.pid)". Compiled
 * once into literal and field segments; rendering appends raw values (the
 * sinks escape per format), `<NA>` for an absent field.
 */
#ifndef NUMAGUARD_RULES_OUTPUT_H
#define NUMAGUARD_RULES_OUTPUT_H

#include "buf.h"
#include "cond_parse.h"

struct ng_tmpl_seg;

struct ng_tmpl {
	const struct ng_tmpl_seg *segs;
	size_t nsegs;
	enum ng_field_id *fields; /* distinct fields, in template order */
	size_t nfields;
};

/* 0, or -EINVAL after a diagnostic (unknown field), or -ENOMEM. */
int ng_tmpl_compile(struct ng_cctx *cx, const struct ng_texts *t, struct ng_tmpl *out);
/* Appends to b; allocates only when b must grow. */
void ng_tmpl_render(const struct ng_tmpl *t, const struct ng_event *e, struct ng_buf *b);

#endif
