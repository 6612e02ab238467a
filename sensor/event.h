/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decoded event: what decode.c makes of a ring buffer record, what
 * enrich.c completes from /proc, what the rule engine evaluates and what the
 * event JSON (run --all-events, replay input) carries. Every field of
 * SPEC §3 lives here in fixed-size storage, so an event never owns heap
 * memory and can be copied with memcpy.
 *
 * Which fields hold a value is recorded in `present` (bit = enum ng_field_id):
 * an absent field renders as JSON null and fails `exists`.
 */
#ifndef NUMAGUARD_EVENT_H
#define NUMAGUARD_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#define NG_MAX_NODES 1024
#define NG_NODE_WORDS (NG_MAX_NODES / 64)

/* Bounds for strings a process controls; longer values are truncated. */
#define NG_COMM_LEN 16
#define NG_PATH_LEN 1024
#define NG_CMDLINE_LEN 1024
#define NG_USER_LEN 64
#define NG_CGROUP_LEN 1024
#define NG_CONTAINER_ID_LEN 65
#define NG_POD_UID_LEN 40

typedef struct {
	uint64_t w[NG_NODE_WORDS];
} ng_nodemask_t;

/* MPOL_* modes (include/uapi/linux/mempolicy.h); Debian 12's headers lack some. */
enum ng_mpol_mode {
	NG_MPOL_DEFAULT = 0,
	NG_MPOL_PREFERRED = 1,
	NG_MPOL_BIND = 2,
	NG_MPOL_INTERLEAVE = 3,
	NG_MPOL_LOCAL = 4,
	NG_MPOL_PREFERRED_MANY = 5,
	NG_MPOL_WEIGHTED_INTERLEAVE = 6,
	NG_MPOL_MAX = 7,
};

#define NG_MPOL_F_NUMA_BALANCING (1u << 13)
#define NG_MPOL_F_RELATIVE_NODES (1u << 14)
#define NG_MPOL_F_STATIC_NODES (1u << 15)
#define NG_MPOL_MODE_FLAGS (NG_MPOL_F_STATIC_NODES | NG_MPOL_F_RELATIVE_NODES | NG_MPOL_F_NUMA_BALANCING)

/* evt.attach values; numerically equal to enum ng_attach in bpf/events.h. */
enum ng_attach_kind {
	NG_ATTACH_KIND_NONE = 0,
	NG_ATTACH_KIND_KRETPROBE = 1,
	NG_ATTACH_KIND_FEXIT = 2,
	NG_ATTACH_KIND_TRACEPOINT = 3,
	NG_ATTACH_KIND_RAW = 4,
};

/* container.runtime values. */
enum ng_runtime {
	NG_RUNTIME_HOST = 0,
	NG_RUNTIME_DOCKER,
	NG_RUNTIME_CONTAINERD,
	NG_RUNTIME_CRIO,
	NG_RUNTIME_PODMAN,
	NG_RUNTIME_LXC,
	NG_RUNTIME_NSPAWN,
	NG_RUNTIME_UNKNOWN,
	NG_RUNTIME__MAX,
};

/* ng_event.kernel_captured bits. */
#define NG_KC_PROC 0x1   /* proc.exepath and proc.cmdline */
#define NG_KC_CGROUP 0x2 /* container.cgroup */
#define NG_KC_CGROUP_V1 0x4 /* ... taken from a v1 hierarchy: the task was in the v2 root */

struct ng_event {
	uint64_t present; /* bit (1 << enum ng_field_id) set when the field holds a value */

	/* evt */
	uint64_t time_ns; /* realtime, ns since the epoch */
	char syscall[24];
	int64_t res;
	char errno_name[24]; /* "" when res >= 0 */
	bool blocked;
	uint32_t attach; /* enum ng_attach_kind */
	bool compat;     /* made through the 32-bit compat ABI */

	/* mpol */
	int64_t mode;      /* (int)mode_raw with the flag bits removed, as the kernel splits it */
	uint64_t flags;    /* MPOL_F_* bits of mode_raw */
	uint64_t mode_raw; /* the raw first argument, all 64 register bits */
	ng_nodemask_t nodes;
	uint64_t maxnode;
	bool nodes_changed;
	int64_t effective_mode;
	ng_nodemask_t effective_nodes;
	ng_nodemask_t allowed_nodes;
	bool outside_allowed;

	/* proc */
	uint32_t pid, tid, ppid, vpid;
	char name[NG_COMM_LEN];
	char pname[NG_COMM_LEN];
	char exepath[NG_PATH_LEN];
	char cmdline[NG_CMDLINE_LEN]; /* arguments joined by spaces */
	uint64_t cap_effective;       /* bit n = capability n */
	bool privileged;

	/* user */
	uint32_t uid, euid, gid, loginuid;
	char user_name[NG_USER_LEN];

	/* container, k8s */
	char container_id[NG_CONTAINER_ID_LEN];
	uint32_t runtime; /* enum ng_runtime */
	char cgroup[NG_CGROUP_LEN];
	char pod_uid[NG_POD_UID_LEN];

	/* ns */
	uint64_t ns_pid, ns_mnt, ns_user, ns_cgroup;

	/* Not rule fields: kept for enrichment and enforcement. */
	uint64_t cgroup_id;
	uint64_t start_boot_ns; /* process start, CLOCK_BOOTTIME ns: tells a reused pid apart */
	uint64_t exec_id;       /* changes on every execve: cached exe/cmdline are per (pid, exec_id) */
	uint8_t kernel_captured; /* NG_KC_*: what decode took from the kernel record, not /proc */
};

#endif
