// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "fuzz.h"

static void set_str(struct ng_event *e, enum ng_field_id id, const char *s)
{
	const struct ng_field *f = &ng_fields[id];
	/* Strings reach the event bounded, as decode and enrichment store them. */
	snprintf(ng_field_ptr(e, f), f->size, "%s", s);
	ng_event_set(e, id);
}

void fz_alert_init(struct fz_alert *fa, const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	memset(fa, 0, sizeof(*fa));
	uint8_t flags = fz_u8(&in);
	uint16_t max_len = (uint16_t)(fz_u8(&in) << 8 | fz_u8(&in));
	uint64_t nums = fz_u64(&in);

	for (size_t i = 0; i < FZ_ALERT_STRS; i++) {
		size_t n;
		const char *s = fz_str(&in, &n);
		fa->strs[i] = fz_cstr((const uint8_t *)s, n);
	}
	char **s = fa->strs;
	struct ng_event *e = &fa->e;
	e->time_ns = nums;
	ng_event_set(e, NG_F_EVT_TIME);
	e->pid = (uint32_t)nums;
	e->ppid = (uint32_t)(nums >> 32);
	e->uid = (uint32_t)(nums >> 16);
	e->res = -(int64_t)(nums & 0xff);
	e->mode = (int64_t)(nums >> 56) - 64;
	e->flags = nums & NG_MPOL_MODE_FLAGS;
	e->nodes.w[0] = nums;
	e->nodes.w[NG_NODE_WORDS - 1] = ~nums;
	e->runtime = (uint32_t)((nums >> 8) % NG_RUNTIME__MAX);
	for (int id = NG_F_EVT_RES; id < NG_F__COUNT; id++)
		if (flags & 0x80 || (nums >> id & 1))
			ng_event_set(e, (enum ng_field_id)id);
	set_str(e, NG_F_PROC_NAME, s[4]);
	set_str(e, NG_F_PROC_EXEPATH, s[5]);
	set_str(e, NG_F_PROC_CMDLINE, s[6]);
	set_str(e, NG_F_USER_NAME, s[7]);
	set_str(e, NG_F_CONTAINER_ID, s[8]);
	set_str(e, NG_F_CONTAINER_CGROUP, s[9]);
	set_str(e, NG_F_K8S_POD_UID, s[10]);

	fa->tags[0] = s[11];
	fa->tags[1] = "numa";
	fa->tags[2] = "mitre_T1499";
	fa->fields[0] = NG_F_PROC_CMDLINE;
	fa->fields[1] = NG_F_MPOL_NODES;
	fa->fields[2] = NG_F_CONTAINER_CGROUP;
	fa->fields[3] = NG_F_PROC_PNAME;
	fa->extra[0] = (struct ng_fmt_kv){ "sink", s[3] };
	fa->extra[1] = (struct ng_fmt_kv){ "dropped", "17" };
	fa->a = (struct ng_alert){
		.seq = nums ^ 0x5a5a,
		.time_ns = nums,
		.source = flags & 0x40 ? "internal" : "numaguard",
		.rule = s[0],
		.rule_id = s[1],
		.rule_version = flags,
		.priority = (enum ng_priority)(flags & 7),
		.tags = fa->tags,
		.ntags = flags & 0x20 ? 3 : 0,
		.output = s[2],
		.evt = flags & 0x10 ? NULL : e,
		.fields = fa->fields,
		.nfields = 4,
		.suppressed = flags & 0x08 ? nums >> 8 : 0,
		.action = (enum ng_alert_action)(nums >> 60 & 3),
	};
	fa->c = (struct ng_fmt_ctx){
		.hostname = s[3][0] ? s[3] : "host-1.example.org",
		.extra = fa->extra,
		.nextra = flags & 0x40 ? 2 : 0,
		.facility = (int)(nums % 24),
		.pid = (unsigned long)(nums >> 40),
		.max_len = max_len,
	};
}

void fz_alert_free(struct fz_alert *fa)
{
	for (size_t i = 0; i < FZ_ALERT_STRS; i++)
		free(fa->strs[i]);
}
