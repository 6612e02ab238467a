/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The field table: one row per event field of SPEC §3, giving its name (the
 * rule language's field name and the dotted path of its JSON key), its type
 * and where it lives in struct ng_event. The event JSON writer, the JSONL
 * reader of replay and the rule compiler all work from this one table.
 */
#ifndef NUMAGUARD_FIELDS_H
#define NUMAGUARD_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "event.h"

enum ng_field_id {
	NG_F_EVT_TIME,
	NG_F_EVT_SYSCALL,
	NG_F_EVT_RES,
	NG_F_EVT_ERRNO,
	NG_F_EVT_BLOCKED,
	NG_F_EVT_ATTACH,
	NG_F_EVT_COMPAT,
	NG_F_MPOL_MODE,
	NG_F_MPOL_FLAGS,
	NG_F_MPOL_MODE_RAW,
	NG_F_MPOL_NODES,
	NG_F_MPOL_MAXNODE,
	NG_F_MPOL_NODES_CHANGED,
	NG_F_MPOL_EFFECTIVE_MODE,
	NG_F_MPOL_EFFECTIVE_NODES,
	NG_F_MPOL_ALLOWED_NODES,
	NG_F_MPOL_OUTSIDE_ALLOWED,
	NG_F_PROC_PID,
	NG_F_PROC_TID,
	NG_F_PROC_PPID,
	NG_F_PROC_VPID,
	NG_F_PROC_NAME,
	NG_F_PROC_PNAME,
	NG_F_PROC_EXEPATH,
	NG_F_PROC_CMDLINE,
	NG_F_PROC_CAP_EFFECTIVE,
	NG_F_PROC_PRIVILEGED,
	NG_F_USER_UID,
	NG_F_USER_EUID,
	NG_F_USER_GID,
	NG_F_USER_LOGINUID,
	NG_F_USER_NAME,
	NG_F_CONTAINER_ID,
	NG_F_CONTAINER_RUNTIME,
	NG_F_CONTAINER_CGROUP,
	NG_F_K8S_POD_UID,
	NG_F_NS_PID,
	NG_F_NS_MNT,
	NG_F_NS_USER,
	NG_F_NS_CGROUP,
	NG_F__COUNT,
};

_Static_assert(NG_F__COUNT <= 64, "ng_event.present is a 64-bit set");

enum ng_ftype {
	NG_FT_I64,   /* int64_t */
	NG_FT_U32,   /* uint32_t */
	NG_FT_U64,   /* uint64_t */
	NG_FT_BOOL,  /* bool */
	NG_FT_STR,   /* char[size], NUL-terminated */
	NG_FT_TIME,  /* uint64_t ns since the epoch; RFC 3339 in JSON */
	NG_FT_MODE,  /* int64_t MPOL_* mode; name, or the number when unknown */
	NG_FT_ENUM,  /* uint32_t index into the field's symbol table; rendered as the name */
	NG_FT_FLAGS, /* uint64_t bit set; a list of names from the symbol table (bit n = names[n]) */
	NG_FT_NODES, /* ng_nodemask_t; a list of node numbers */
};

/* Names for an enum (index = value) or a bit set (index = bit); NULL entries are unnamed. */
struct ng_symtab {
	const char *const *names;
	size_t n;
};

struct ng_field {
	const char *name; /* "mpol.mode" */
	enum ng_ftype type;
	size_t offset; /* offsetof(struct ng_event, ...) */
	size_t size;   /* storage size (string capacity for NG_FT_STR) */
	const struct ng_symtab *syms; /* NG_FT_MODE, NG_FT_ENUM, NG_FT_FLAGS */
	const char *desc;
};

extern const struct ng_field ng_fields[NG_F__COUNT];

extern const struct ng_symtab ng_mode_syms;    /* MPOL_DEFAULT ... */
extern const struct ng_symtab ng_mflag_syms;   /* bit 13..15: MPOL_F_* */
extern const struct ng_symtab ng_cap_syms;     /* CAP_CHOWN ... */
extern const struct ng_symtab ng_attach_syms;  /* "", kretprobe, fexit, tracepoint, raw */
extern const struct ng_symtab ng_runtime_syms; /* host, docker, ... */

/* The row for a field name, or NULL. */
const struct ng_field *ng_field_by_name(const char *name);

/* Value of a symbol name in a table (case-sensitive), or -1. */
int ng_sym_lookup(const struct ng_symtab *t, const char *name);

/* Presence helpers. */
static inline bool ng_event_has(const struct ng_event *e, enum ng_field_id id)
{
	return e->present & (1ull << id);
}
static inline void ng_event_set(struct ng_event *e, enum ng_field_id id)
{
	e->present |= 1ull << id;
}
static inline void ng_event_unset(struct ng_event *e, enum ng_field_id id)
{
	e->present &= ~(1ull << id);
}

/* Pointer to a field's storage inside an event. */
static inline void *ng_field_ptr(const struct ng_event *e, const struct ng_field *f)
{
	return (char *)e + f->offset;
}

/* Node mask helpers. */
static inline bool ng_nodes_test(const ng_nodemask_t *m, unsigned int n)
{
	return n < NG_MAX_NODES && (m->w[n / 64] >> (n % 64)) & 1;
}
static inline void ng_nodes_set(ng_nodemask_t *m, unsigned int n)
{
	if (n < NG_MAX_NODES)
		m->w[n / 64] |= 1ull << (n % 64);
}

#endif
