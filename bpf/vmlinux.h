/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Minimal CO-RE kernel header: only the types and fields numaguard's BPF
 * programs touch. Every struct carries preserve_access_index, so field
 * offsets are relocated by libbpf against the running kernel's BTF at load
 * time; the layouts below need not match any kernel, only the field names
 * and kinds do. Checked in so the build never needs the build host's BTF.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef int pid_t;

/* UAPI constants used by the programs (include/uapi/linux/bpf.h). */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
	BPF_F_NO_PREALLOC = 1,
};

enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
	BPF_RB_RING_SIZE = 1,
};

/* Only the helper ids the programs probe with bpf_core_enum_value_exists(). */
enum bpf_func_id {
	BPF_FUNC_task_pt_regs = 175,
	BPF_FUNC_loop = 181,
};

/* Structs named in libbpf's helper prototypes; declared so the prototypes are well-formed. */
struct bpf_dynptr;
struct bpf_fib_lookup;
struct bpf_map;
struct bpf_perf_event_data;
struct bpf_perf_event_value;
struct bpf_pidns_info;
struct bpf_redir_neigh;
struct bpf_sk_lookup;
struct bpf_sock;
struct bpf_sock_addr;
struct bpf_sock_ops;
struct bpf_sock_tuple;
struct bpf_spin_lock;
struct bpf_sysctl;
struct bpf_tcp_sock;
struct bpf_timer;
struct bpf_tunnel_key;
struct bpf_xfrm_state;
struct btf_ptr;
struct file;
struct in6_addr;
struct inode;
struct iphdr;
struct ipv6_sr_hdr;
struct ipv6hdr;
struct linux_binprm;
struct mptcp_sock;
struct path;
struct perf_branch_entry;
struct seq_file;
struct sk_buff;
struct sk_msg_md;
struct sk_reuseport_md;
struct sock;
struct sockaddr;
struct socket;
struct tcp6_sock;
struct tcp_request_sock;
struct tcp_sock;
struct tcp_timewait_sock;
struct tcphdr;
struct udp6_sock;
struct unix_sock;
struct vm_area_struct;
struct xdp_buff;
struct xdp_md;
struct __sk_buff;
struct cgroup;

struct bpf_raw_tracepoint_args {
	__u64 args[0];
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di;
	unsigned long orig_ax, ip, cs, flags, sp, ss;
};
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};
struct pt_regs {
	union {
		struct user_pt_regs user_regs;
		struct {
			u64 regs[31];
			u64 sp;
			u64 pc;
			u64 pstate;
		};
	};
	u64 orig_x0;
	s32 syscallno;
};
/* libbpf's bpf_tracing.h reads orig_x0 through this flavor. */
struct pt_regs___arm64 {
	unsigned long orig_x0;
};
#endif

typedef struct {
	unsigned long bits[16];
} nodemask_t;

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	unsigned int val;
} kuid_t;

typedef struct {
	unsigned int val;
} kgid_t;

/* 6.3+: a u64; before: struct kernel_cap_struct { __u32 cap[2]; }. Read as 8 raw bytes. */
typedef struct {
	u64 val;
} kernel_cap_t;

struct ns_common {
	unsigned int inum;
};

struct user_namespace {
	struct ns_common ns;
};

struct pid_namespace {
	unsigned int level;
	struct ns_common ns;
};

struct mnt_namespace {
	struct ns_common ns;
};

struct cgroup_namespace {
	struct ns_common ns;
};

struct nsproxy {
	struct mnt_namespace *mnt_ns;
	struct pid_namespace *pid_ns_for_children;
	struct cgroup_namespace *cgroup_ns;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kgid_t egid;
	kernel_cap_t cap_effective;
	struct user_namespace *user_ns;
};

struct mempolicy {
	atomic_t refcnt;
	unsigned short mode;
	unsigned short flags;
	nodemask_t nodes;
	int home_node;
	union {
		nodemask_t cpuset_mems_allowed;
		nodemask_t user_nodemask;
	} w;
};

/*
 * Kernels before 5.14 (commit 269fbe72cded "mm/mempolicy: use unified
 * 'nodes' for bind/interleave/prefer policies") kept the mask in a union
 * `v`; LOCAL was PREFERRED with MPOL_F_LOCAL set.
 */
struct mempolicy___v513 {
	unsigned short mode;
	unsigned short flags;
	union {
		short preferred_node;
		nodemask_t nodes;
	} v;
};

struct seccomp {
	int mode;
};

struct thread_info {
	unsigned long flags;
	u32 status;
};

struct qstr {
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
};

/* arg_start/arg_end sit in an anonymous struct in recent kernels; CO-RE finds them by name. */
struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	struct file *exe_file;
};

struct kernfs_node {
	struct kernfs_node *__parent;
	const char *name;
};

/* Before 6.15 (commit 633488947ef6 "kernfs: Use RCU to access kernfs_node::parent") it was `parent`. */
struct kernfs_node___old {
	struct kernfs_node *parent;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
};

/* Values are relocated against the running kernel (they depend on its config). */
enum cgroup_subsys_id {
	cpu_cgrp_id = 1,
	memory_cgrp_id = 4,
	pids_cgrp_id = 11,
};

struct css_set {
	struct cgroup_subsys_state *subsys[12];
	struct cgroup *dfl_cgrp;
};

struct task_struct {
	struct thread_info thread_info;
	struct mm_struct *mm;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct pid *thread_pid;
	u64 start_boottime;
	const struct cred *cred;
	char comm[16];
	struct nsproxy *nsproxy;
	kuid_t loginuid;
	nodemask_t mems_allowed;
	struct mempolicy *mempolicy;
	struct css_set *cgroups;
	struct seccomp seccomp;
	u64 self_exec_id;
};

/* Before 5.5 the boot-based start time was called real_start_time. */
struct task_struct___v54 {
	u64 real_start_time;
};

#pragma clang attribute pop

#endif /* __VMLINUX_H__ */
