/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the rule engine tests: load rules from text, a full event. */
#ifndef NUMAGUARD_TESTS_RULES_TEST_H
#define NUMAGUARD_TESTS_RULES_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "rules/diag.h"
#include "rules/engine.h"

/* Load one in-memory rules file (no defaults); diagnostics go to *d. */
static inline int load_text(struct ng_engine **eng, const char *text, struct ng_diags *d)
{
	const char *names[] = { "t.yaml" };
	struct ng_engine_opts o = { .no_defaults = true, .diags = d, .texts = &text,
				    .text_names = names, .ntexts = 1 };
	return ng_engine_load(eng, &o);
}

/* Print diagnostics, for a failing test's log. */
static inline void dump_diags(const struct ng_diags *d)
{
	ng_diags_print(d, stderr);
}

/* An event with every field present and plausible values. */
static inline void full_event(struct ng_event *e)
{
	memset(e, 0, sizeof(*e));
	e->time_ns = 1795832519123456789ull;
	strcpy(e->syscall, "set_mempolicy");
	e->res = -22;
	strcpy(e->errno_name, "EINVAL");
	e->blocked = false;
	e->attach = 1; /* kretprobe */
	e->compat = false;
	e->mode = 2; /* MPOL_BIND */
	e->flags = 1u << 15;
	e->mode_raw = 0x8002;
	ng_nodes_set(&e->nodes, 0);
	ng_nodes_set(&e->nodes, 65);
	e->maxnode = 1025;
	e->nodes_changed = false;
	e->effective_mode = 2;
	ng_nodes_set(&e->effective_nodes, 0);
	ng_nodes_set(&e->allowed_nodes, 0);
	ng_nodes_set(&e->allowed_nodes, 1);
	e->outside_allowed = true;
	e->pid = 4242;
	e->tid = 4243;
	e->ppid = 1;
	e->vpid = 7;
	strcpy(e->name, "NumaCtl");
	strcpy(e->pname, "bash");
	strcpy(e->exepath, "/usr/bin/numactl");
	strcpy(e->cmdline, "numactl --membind=0 true");
	e->cap_effective = (1ull << 23) | (1ull << 21); /* CAP_SYS_NICE, CAP_SYS_ADMIN */
	e->privileged = true;
	e->uid = 1000;
	e->euid = 1000;
	e->gid = 100;
	e->loginuid = 1000;
	strcpy(e->user_name, "alice");
	strcpy(e->container_id, "host");
	e->runtime = 1; /* docker */
	strcpy(e->cgroup, "/system.slice/docker-abc.scope");
	strcpy(e->pod_uid, "");
	e->ns_pid = 4026531836ull;
	e->ns_mnt = 4026531841ull;
	e->ns_user = 4026531837ull;
	e->ns_cgroup = 4026531835ull;
	for (int i = 0; i < NG_F__COUNT; i++)
		ng_event_set(e, (enum ng_field_id)i);
}

#endif
