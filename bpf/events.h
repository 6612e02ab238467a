/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The only ABI between the BPF programs and userspace. Fixed-width types, no
 * bool, no pointers; both sides check the size with _Static_assert, and
 * userspace validates every record's size and version before decoding it
 * (the ring buffer is a trust boundary).
 */
#ifndef NUMAGUARD_EVENTS_H
#define NUMAGUARD_EVENTS_H

#ifdef __VMLINUX_H__
/* BPF side: the types come from vmlinux.h. */
#else
#include <linux/types.h>
#endif

#define NG_RECORD_VERSION 2

/* Node masks are captured up to 1024 nodes (NODES_SHIFT=10, the largest config in use). */
#define NG_MAX_NODES 1024
#define NG_NODE_WORDS (NG_MAX_NODES / 64)

/* Syscall numbers the raw sys_enter/sys_exit path filters on (REFERENCE §1.5). */
#define NG_NR_SET_MEMPOLICY_X86_64 238
#define NG_NR_SET_MEMPOLICY_I386 276
#define NG_NR_SET_MEMPOLICY_GENERIC 237 /* arm64, riscv */
#define NG_NR_SET_MEMPOLICY_ARM 321

/* Which hook produced a record; also the value of evt.attach. */
enum ng_attach {
	NG_ATTACH_NONE = 0,
	NG_ATTACH_KRETPROBE = 1,
	NG_ATTACH_FEXIT = 2,
	NG_ATTACH_TRACEPOINT = 3,
	NG_ATTACH_RAW = 4,
};

/* Record flags. */
enum ng_record_flags {
	/* Exit seen without an entry, and the task runs under a seccomp filter: denied before it ran. */
	NG_R_BLOCKED = 1u << 0,
	/* Exit seen without an entry and no seccomp filter: the sensor attached mid-call. */
	NG_R_ENTRY_MISSED = 1u << 1,
	/* The call came through the 32-bit compat ABI (int 0x80, arm32). */
	NG_R_COMPAT = 1u << 2,
	/* mode_raw/nmask/maxnode hold the call's arguments. */
	NG_R_ARGS = 1u << 3,
	/* nodes[] holds the user mask as read at entry (nbits bits). */
	NG_R_NODES = 1u << 4,
	/* The user mask could not be read (bad pointer, or page not resident). */
	NG_R_NODES_FAULT = 1u << 5,
	/* The user mask read at exit differs from the one read at entry. */
	NG_R_NODES_CHANGED = 1u << 6,
	/* eff_mode/eff_flags hold task->mempolicy after a successful call. */
	NG_R_EFFECTIVE = 1u << 7,
	/* eff_nodes is meaningful (not for DEFAULT and LOCAL). */
	NG_R_EFF_NODES = 1u << 8,
	/* allowed[] holds task->mems_allowed (CONFIG_CPUSETS). */
	NG_R_ALLOWED = 1u << 9,
	/* loginuid is valid (CONFIG_AUDIT). */
	NG_R_LOGINUID = 1u << 10,
	/* The exit re-read of the user mask failed, so nodes_changed could not be decided. */
	NG_R_NODES_EXIT_FAULT = 1u << 11,
	/* exe[] (struct ng_paths) holds the executable's path components (more than fit: NG_R_EXE_TRUNC). */
	NG_R_EXE = 1u << 12,
	NG_R_EXE_TRUNC = 1u << 13,
	/* args[] holds args_len bytes of the argument block (NUL-separated argv). */
	NG_R_ARGV = 1u << 14,
	/* cgroup[] holds the cgroup v2 path components (more than fit: NG_R_CGROUP_TRUNC). */
	NG_R_CGROUP = 1u << 15,
	NG_R_CGROUP_TRUNC = 1u << 16,
	/* The task is in the cgroup v2 root, so cgroup[] holds its path in a v1 hierarchy instead. */
	NG_R_CGROUP_V1 = 1u << 17,
	/* struct ng_paths follows the header: the first record of a process image or cgroup. */
	NG_R_PATHS = 1u << 18,
};

/*
 * Paths are captured in the kernel as they are walked, leaf first: the
 * components as NUL-terminated names one after the other
 * ("ng-trigger\0bin\0usr\0"), *_len bytes in all. Userspace reverses them.
 * Capturing in the kernel is what attributes a call from a process that has
 * exited before userspace could read /proc.
 */
#define NG_PATH_BYTES 256
#define NG_ARGS_BYTES 256

/*
 * One completed (or denied) call, as three parts back to back:
 *
 *   struct ng_record   the header, always
 *   struct ng_paths    only with NG_R_PATHS
 *   __u64 masks[3][mask_words]   nodes, eff_nodes, allowed
 *
 * When no mask names a node above 63 (every call on a host of up to 64
 * nodes, unless the caller sets high bits) each mask is one word, not 16, so
 * the ring buffer holds 2.7 times as many records; otherwise all three go at
 * full width. NG_RECORD_SIZE() gives the size; userspace accepts any width
 * from 1 to NG_NODE_WORDS and refuses any other size.
 */
struct ng_record {
	__u16 size;    /* bytes in the whole record: NG_RECORD_SIZE(paths, mask_words) */
	__u8 version;  /* NG_RECORD_VERSION */
	__u8 attach;   /* enum ng_attach */
	__u32 flags;   /* enum ng_record_flags */
	__u64 ts_boot; /* bpf_ktime_get_boot_ns() at exit */
	__u64 mode_raw; /* first argument as the caller's register held it (all 64 bits) */
	__u64 nmask;    /* second argument (user pointer value) */
	__u64 maxnode;  /* third argument */
	__s64 ret;      /* return value: 0 or -errno */
	__u64 cgroup_id;
	__u64 cap_effective;
	__u64 start_boot; /* process (group leader) start time, boot ns: identity against pid reuse */
	__u64 exec_id;    /* the process's self_exec_id: changes on every execve */
	__u32 pid, tid, ppid, vpid;
	__u32 uid, euid, gid, loginuid;
	__u32 ns_pid, ns_mnt, ns_user, ns_cgroup;
	__u16 eff_mode;   /* task->mempolicy->mode (valid with NG_R_EFFECTIVE) */
	__u16 eff_flags;  /* task->mempolicy->flags, user plus internal bits */
	__u16 nbits;      /* bits of nodes the kernel reads: min(maxnode - 1, NG_MAX_NODES) */
	__u16 mask_words; /* words in each of the three masks at the end: 1..NG_NODE_WORDS */
	__u16 exe_len;    /* bytes of exe[] used */
	__u16 cgroup_len; /* bytes of cgroup[] used */
	__u16 args_len;   /* bytes of args[] used */
	__u16 reserved;
	char comm[16];
	char pcomm[16];
};

/*
 * The walked paths: sent with the first record of a process image (or after
 * it changed cgroup) only, since they change only at exec and with the
 * cgroup; userspace keeps them per process.
 */
struct ng_paths {
	char exe[NG_PATH_BYTES];
	char args[NG_ARGS_BYTES];
	char cgroup[NG_PATH_BYTES];
};

#define NG_RECORD_SIZE(paths, words)                                                         \
	(sizeof(struct ng_record) + ((paths) ? sizeof(struct ng_paths) : 0) + 3 * 8 * (words))
#define NG_RECORD_MAX NG_RECORD_SIZE(1, NG_NODE_WORDS)

/* Per-CPU counters (array map "ng_counters"); userspace sums them over CPUs. */
enum ng_counter {
	NG_CNT_EVENTS = 0,        /* records submitted */
	NG_CNT_RB_FULL = 1,       /* ring buffer reserve failures: events lost */
	NG_CNT_INFLIGHT_FULL = 2, /* entry state could not be stored: event reported without nodes */
	NG_CNT_NODES_FAULT = 3,   /* user mask unreadable at entry */
	NG_CNT_BLOCKED = 4,       /* denied calls seen at exit */
	NG_CNT_ENTRY_MISSED = 5,  /* exits without entry outside seccomp */
	NG_CNT__MAX = 6,
};

_Static_assert(sizeof(struct ng_record) == 176, "struct ng_record layout changed");
_Static_assert(sizeof(struct ng_paths) == 768, "struct ng_paths layout changed");

#endif
