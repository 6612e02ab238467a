// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Capture of set_mempolicy(2). Every attach path feeds the same two steps:
 *
 *   entry: remember the arguments and the user nodemask, per thread
 *   exit:  build one ng_record (arguments, mask re-read, effective policy
 *          from task->mempolicy, identity) and submit it without a wakeup
 *
 * Userspace enables one combination of programs before load (SPEC §7):
 *   kretprobe: kp_enter/kp_exit on kernel_set_mempolicy (all ABIs), or on
 *              the arch wrappers (kp_enter_wrapper); plus tp_exit in
 *              "blocked only" mode so calls denied by seccomp still appear
 *   fexit:     fentry_inner/fexit_inner, same pairing with tp_exit
 *   tracepoint: tp_enter/tp_exit (native calls and denied calls)
 *   raw:       raw_enter/raw_exit on every syscall, filtered by number
 *              (native, compat and denied calls)
 * Each call is reported exactly once; see on_exit() for how the exit
 * tracepoint and a kernel-function exit share the work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace between open and load. */
const volatile __u32 cfg_exit_tp_blocked_only = 0; /* tp_exit only reports calls with no entry */
const volatile __u64 cfg_wakeup_bytes = 1 << 20;    /* force a wakeup past this much queued data */

/* x86 thread_info.status bit for a 32-bit syscall (arch/x86/include/asm/thread_info.h). */
#define X86_TS_COMPAT 0x0002
/* arm64 TIF_32BIT (arch/arm64/include/asm/thread_info.h). */
#define ARM64_TIF_32BIT 22
#define SECCOMP_MODE_DISABLED 0

struct inflight {
	__u64 mode_raw;
	__u64 nmask;
	__u64 maxnode;
	__u32 flags; /* NG_R_COMPAT, NG_R_ARGS, NG_R_NODES, NG_R_NODES_FAULT */
	__u16 nbits;
	__u8 done;  /* the kernel-function exit emitted; tp_exit only cleans up */
	__u8 valid; /* a call is in flight: set at entry, cleared when its exit is handled */
	__u64 nodes[NG_NODE_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* set by userspace before load */
} ng_events SEC(".maps");

/*
 * Entry state per thread, in task local storage: found through the task
 * itself (no hash, no lock, no copy), and freed with the task, so state left
 * by a thread whose exit hook never ran cannot pile up or be picked up by a
 * later thread that reuses its tid.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} ng_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NG_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} ng_counters SEC(".maps");

/* The three node masks at full width, as read. */
struct masks {
	__u64 nodes[NG_NODE_WORDS];
	__u64 eff[NG_NODE_WORDS];
	__u64 allowed[NG_NODE_WORDS];
};

/*
 * The record being built (too large for the stack): the header, then the
 * paths (when sent) and the packed masks in tail[], which is what goes out,
 * and the masks at full width in m, which is where they are read to.
 */
struct record_buf {
	struct ng_record hdr;
	__u8 tail[sizeof(struct ng_paths) + sizeof(struct masks)];
	struct masks m;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct record_buf);
} ng_scratch_rec SEC(".maps");

/* Scratch for walking a path: a name of up to NG_PATH_BYTES may start anywhere below NG_PATH_BYTES. */
struct walkbuf {
	char b[2 * NG_PATH_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walkbuf);
} ng_walk SEC(".maps");

/*
 * What was last walked for a process: the executable path and arguments
 * change only at exec, the cgroup path only with the cgroup. Walking them is
 * most of the cost of a record, so each is captured once per (process, exec)
 * and (process, cgroup); userspace keeps the values per the same keys.
 */
struct seen {
	__u64 start_boot;
	__u64 exec_id;
	__u64 cgroup_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct seen);
} ng_seen SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&ng_counters, &which);
	if (c)
		*c += 1;
}

static __always_inline __u64 task_start(struct task_struct *t)
{
	if (bpf_core_field_exists(t->start_boottime))
		return t->start_boottime;
	return BPF_CORE_READ((struct task_struct___v54 *)t, real_start_time);
}

static __always_inline bool task_in_compat(struct task_struct *t)
{
#if defined(__TARGET_ARCH_x86)
	return t->thread_info.status & X86_TS_COMPAT;
#elif defined(__TARGET_ARCH_arm64)
	return (t->thread_info.flags >> ARM64_TIF_32BIT) & 1;
#else
	return false;
#endif
}

/* The kernel's MAX_NUMNODES, from the size of nodemask_t in the running kernel's BTF. */
static __always_inline __u64 kernel_max_nodes(void)
{
	return bpf_core_type_size(nodemask_t) * 8;
}

/*
 * Read the user nodemask the way get_nodes() does: maxnode - 1 bits (the
 * historic off-by-one), at most MAX_NUMNODES of them (the kernel checks that
 * the rest is zero and ignores it), and for compat callers in 32-bit words,
 * so we fault exactly where the kernel would. Bits above nbits are cleared.
 */
static __always_inline __u32 read_user_mask(__u64 *dst, __u64 nmask, __u64 maxnode, bool compat,
					    __u16 *nbits_out)
{
	__u64 bits, bytes;

	*nbits_out = 0;
	__builtin_memset(dst, 0, NG_NODE_WORDS * 8);
	/*
	 * maxnode 1 or a NULL mask: the kernel uses an empty mask. maxnode 0
	 * wraps to ULONG_MAX there and fails with EINVAL (for a non-NULL mask)
	 * before reading anything: also reported as empty.
	 */
	if (maxnode <= 1 || !nmask)
		return NG_R_NODES;
	bits = maxnode - 1;
	if (bits > kernel_max_nodes())
		bits = kernel_max_nodes();
	if (bits > NG_MAX_NODES)
		bits = NG_MAX_NODES;
	bytes = compat ? ((bits + 31) / 32) * 4 : ((bits + 63) / 64) * 8;
	if (bytes > NG_NODE_WORDS * 8)
		bytes = NG_NODE_WORDS * 8;
	if (bpf_probe_read_user(dst, bytes & 0xff, (const void *)nmask))
		return NG_R_NODES_FAULT;
	/*
	 * Words past the last one read are still zero; only the last word can
	 * hold bits at or above `bits`. One masked store, not a loop with a
	 * branch per word: each branch multiplies the verifier's work.
	 */
	if (bits % 64)
		dst[(bits / 64) & (NG_NODE_WORDS - 1)] &= (1ull << (bits % 64)) - 1;
	*nbits_out = bits;
	return NG_R_NODES;
}

/*
 * The caller's arguments from its saved user registers: what a call denied
 * before it ran still has there, and the full 64-bit mode register (the
 * kernel function only sees the int).
 */
static __always_inline bool user_args(struct task_struct *t, bool compat, __u64 *mode,
				      __u64 *nmask, __u64 *maxnode)
{
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return false;
	/* bpf_task_pt_regs() needs a BTF task pointer, hence the _btf variant here only. */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return false;
#if defined(__TARGET_ARCH_x86)
	if (compat) {
		/* i386 ABI: ebx, ecx, edx; 32-bit values. */
		*mode = (__u32)BPF_CORE_READ(regs, bx);
		*nmask = (__u32)BPF_CORE_READ(regs, cx);
		*maxnode = (__u32)BPF_CORE_READ(regs, dx);
	} else {
		*mode = BPF_CORE_READ(regs, di);
		*nmask = BPF_CORE_READ(regs, si);
		*maxnode = BPF_CORE_READ(regs, dx);
	}
	return true;
#elif defined(__TARGET_ARCH_arm64)
	/* x0 holds the return value once the call ran; the first argument survives in orig_x0. */
	*mode = BPF_CORE_READ(regs, orig_x0);
	*nmask = BPF_CORE_READ(regs, regs[1]);
	*maxnode = BPF_CORE_READ(regs, regs[2]);
	if (compat) {
		*mode = (__u32)*mode;
		*nmask = (__u32)*nmask;
		*maxnode = (__u32)*maxnode;
	}
	return true;
#else
	return false;
#endif
}

/* Entry: store the arguments and the mask as the caller passed them. */
static __always_inline void on_entry(__u64 mode, __u64 nmask, __u64 maxnode, bool mode_is_int)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct inflight *in = bpf_task_storage_get(&ng_inflight, t, 0,
						   BPF_LOCAL_STORAGE_GET_F_CREATE);
	bool compat = task_in_compat(t);
	__u64 rmode, rnmask, rmaxnode;

	if (!in) {
		/* No memory for it, or the storage is busy on this CPU (a nested hook). */
		count(NG_CNT_INFLIGHT_FULL);
		return;
	}
	/* A kernel function's int mode lost the upper register bits: take them from the registers. */
	if (mode_is_int && user_args(t, compat, &rmode, &rnmask, &rmaxnode) && (int)rmode == (int)mode)
		mode = rmode;
	in->mode_raw = mode;
	in->nmask = nmask;
	in->maxnode = maxnode;
	in->done = 0;
	in->flags = NG_R_ARGS | (compat ? NG_R_COMPAT : 0);
	in->flags |= read_user_mask(in->nodes, nmask, maxnode, compat, &in->nbits);
	if (in->flags & NG_R_NODES_FAULT)
		count(NG_CNT_NODES_FAULT);
	in->valid = 1;
}

/*
 * The offset after each component, with its bounds widened to [0, 511] on
 * purpose: otherwise every path through a walk carries its own lower bound
 * and the verifier cannot prune one against another. put_name() checks the
 * real bound again.
 */
static __always_inline __u32 forget_bounds(long off)
{
	__u32 v = off;
	barrier_var(v);
	return v & (2 * NG_PATH_BYTES - 1);
}

/*
 * Steps of a walk: path components plus mount crossings, or cgroup levels.
 * Deeper paths are reported truncated ("…/" in front). Each step costs the
 * verifier a pass over the loop body at start-up.
 */
#define NG_WALK_MAX 20

/* Append a NUL-terminated kernel string at off; returns the new offset, or -1 when full. */
static __always_inline long put_name(char *buf, __u32 off, const void *name)
{
	if (off >= NG_PATH_BYTES)
		return -1;
	/*
	 * Without the barrier clang drops the mask after the test above and
	 * reloads a spilled copy of off whose bound older verifiers (6.1) do
	 * not track, so they see a read past the end of the scratch buffer.
	 */
	barrier_var(off);
	off &= NG_PATH_BYTES - 1;
	long n = bpf_probe_read_kernel_str(buf + off, NG_PATH_BYTES, name);
	if (n <= 1) /* error, or an empty name */
		return n == 1 ? off : -1;
	if (off + n > NG_PATH_BYTES)
		return -1; /* did not fit in what is copied out */
	return off + n;
}

struct exe_walk {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *mnt;
	char *buf;
	__u32 off;
	__u32 done;
};

/*
 * One step up the executable's path; returns 1 to stop. The walk state is
 * copied to locals first: inside BPF_CORE_READ() a field of our own struct
 * would be taken for a kernel field and relocated.
 */
static long exe_step(__u32 i, void *ctx)
{
	struct exe_walk *w = ctx;
	struct dentry *d = w->d;
	struct vfsmount *vm = w->vm;
	struct mount *mnt = w->mnt;
	struct dentry *mroot = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (d == mroot || d == parent) {
		/* At the root of this mount: continue from where it is mounted. */
		struct mount *pm = BPF_CORE_READ(mnt, mnt_parent);
		if (!pm || pm == mnt) {
			w->done = 1;
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = pm;
		w->vm = (void *)pm + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	long next = put_name(w->buf, w->off, BPF_CORE_READ(d, d_name.name));
	if (next < 0)
		return 1;
	w->off = forget_bounds(next);
	w->d = parent;
	return 0;
}

/*
 * Run a walk step up to NG_WALK_MAX times. With bpf_loop() (5.17) the verifier
 * checks the step once; an unrolled loop costs it a pass per step, which is
 * most of the sensor's start-up time.
 */
#define WALK(step, ctx)                                                                            \
	do {                                                                                       \
		if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {                 \
			bpf_loop(NG_WALK_MAX, step, ctx, 0);                                       \
		} else {                                                                           \
			for (int i_ = 0; i_ < NG_WALK_MAX; i_++)                                   \
				if (step(i_, ctx))                                                 \
					break;                                                     \
		}                                                                                  \
	} while (0)

/*
 * The executable's path, walked from mm->exe_file up through its dentries,
 * crossing mounts, to the root of the task's mount namespace: the path as
 * the process itself sees it. bpf_d_path() would do this but is only
 * allowed in fentry/LSM programs. Only the byte offset is tracked, not a
 * component count, which would keep the verifier from pruning.
 */
static __always_inline void walk_exe(struct ng_record *r, struct ng_paths *p, struct task_struct *t,
				     char *buf)
{
	struct file *f = BPF_CORE_READ(t, mm, exe_file);
	if (!f)
		return; /* kernel thread, or exiting */
	struct exe_walk w = { .d = BPF_CORE_READ(f, f_path.dentry),
			      .vm = BPF_CORE_READ(f, f_path.mnt),
			      .buf = buf };
	w.mnt = (void *)w.vm - bpf_core_field_offset(struct mount, mnt);
	WALK(exe_step, &w);
	bpf_probe_read_kernel(p->exe, NG_PATH_BYTES, buf);
	r->exe_len = w.off;
	r->flags |= NG_R_EXE | (w.done ? 0 : NG_R_EXE_TRUNC);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

struct cg_walk {
	struct kernfs_node *kn;
	char *buf;
	__u32 off;
	__u32 done;
};

/* One level up the cgroup path; returns 1 to stop (state in locals, as in exe_step()). */
static long cg_step(__u32 i, void *ctx)
{
	struct cg_walk *w = ctx;
	struct kernfs_node *kn = w->kn;
	if (!kn) {
		w->done = 1;
		return 1;
	}
	struct kernfs_node *parent = kn_parent(kn);
	if (!parent) {
		w->done = 1; /* the hierarchy's root: its name is not part of the path */
		return 1;
	}
	long next = put_name(w->buf, w->off, BPF_CORE_READ(kn, name));
	if (next < 0)
		return 1;
	w->off = forget_bounds(next);
	w->kn = parent;
	return 0;
}

/* The task's cgroup in the v1 hierarchy of one controller, if the kernel has that controller. */
static __always_inline struct kernfs_node *v1_node(struct task_struct *t, __u32 id)
{
	struct css_set *cs = BPF_CORE_READ(t, cgroups);
	struct cgroup_subsys_state *css = NULL;

	if (!cs || id >= 64)
		return NULL;
	bpf_probe_read_kernel(&css, sizeof(css),
			      (void *)cs + bpf_core_field_offset(struct css_set, subsys) +
				      id * sizeof(void *));
	return css ? BPF_CORE_READ(css, cgroup, kn) : NULL;
}

/*
 * The cgroup path, from the task's cgroup up its kernfs parents. The v2
 * (default) hierarchy is the truth on v2 hosts; a task in the v2 root of a
 * v1 or hybrid host is placed by its v1 hierarchies instead (memory, pids or
 * cpu, whichever has it below the root), which is where runtimes put
 * containers there.
 */
static __always_inline void walk_cgroup(struct ng_record *r, struct ng_paths *p,
					struct task_struct *t, char *buf)
{
	struct kernfs_node *kn = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn);

	if (kn && !kn_parent(kn)) {
		struct kernfs_node *v1 = NULL;
		if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
			v1 = v1_node(t, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id));
		if ((!v1 || !kn_parent(v1)) &&
		    bpf_core_enum_value_exists(enum cgroup_subsys_id, pids_cgrp_id))
			v1 = v1_node(t, bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id));
		if ((!v1 || !kn_parent(v1)) &&
		    bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
			v1 = v1_node(t, bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id));
		if (v1 && kn_parent(v1)) {
			kn = v1;
			r->flags |= NG_R_CGROUP_V1;
		}
	}
	struct cg_walk w = { .kn = kn, .buf = buf };
	WALK(cg_step, &w);
	bpf_probe_read_kernel(p->cgroup, NG_PATH_BYTES, buf);
	r->cgroup_len = w.off;
	r->flags |= NG_R_CGROUP | (w.done ? 0 : NG_R_CGROUP_TRUNC);
}

/* The argument block of the calling process (current, so its user memory is readable). */
static __always_inline void read_args(struct ng_record *r, struct ng_paths *p, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	if (!mm)
		return;
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	if (end <= start)
		return;
	__u64 len = end - start;
	if (len > NG_ARGS_BYTES)
		len = NG_ARGS_BYTES;
	if (bpf_probe_read_user(p->args, len & (2 * NG_ARGS_BYTES - 1), (const void *)start))
		return;
	r->args_len = len;
	r->flags |= NG_R_ARGV;
}

/*
 * Who made the call: ids, credentials, namespaces, comm. Fields are read by
 * direct loads through the BTF task pointer (the verifier turns them into
 * fault-safe loads): a helper call per field would cost more than the
 * system call being watched.
 */
static __always_inline void fill_identity(struct ng_record *r, struct masks *m, struct task_struct *t)
{
	struct task_struct *leader = t->group_leader;
	const struct cred *cred = t->cred;
	/*
	 * Read through a helper on purpose: numbers[] is indexed by a variable,
	 * and pointer arithmetic with a variable on a BTF pointer is refused by
	 * older verifiers (6.1); as a plain value the address is just a number.
	 */
	struct pid *pid = BPF_CORE_READ(leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};
	__u64 id = bpf_get_current_pid_tgid();

	r->pid = id >> 32;
	r->tid = (__u32)id;
	r->ppid = t->real_parent->tgid;
	/* Levels are bounded by MAX_PID_NS_LEVEL (32). */
	bpf_probe_read_kernel(&up, sizeof(up),
			      (void *)pid + bpf_core_field_offset(pid->numbers) +
				      (level & 63) * sizeof(struct upid));
	r->vpid = up.nr;
	r->ns_pid = up.ns ? BPF_CORE_READ(up.ns, ns.inum) : 0;
	r->uid = cred->uid.val;
	r->euid = cred->euid.val;
	r->gid = cred->gid.val;
	bpf_probe_read_kernel(&r->cap_effective, sizeof(r->cap_effective), &cred->cap_effective);
	r->ns_user = cred->user_ns->ns.inum;
	r->ns_mnt = t->nsproxy->mnt_ns->ns.inum;
	r->ns_cgroup = t->nsproxy->cgroup_ns->ns.inum;
	if (bpf_core_field_exists(t->loginuid)) {
		r->loginuid = t->loginuid.val;
		r->flags |= NG_R_LOGINUID;
	}
	r->cgroup_id = bpf_get_current_cgroup_id();
	r->start_boot = task_start(leader);
	r->exec_id = leader->self_exec_id;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	BPF_CORE_READ_STR_INTO(&r->pcomm, t, real_parent, comm);
	r->exe_len = 0;
	r->cgroup_len = 0;
	r->args_len = 0;
	r->reserved = 0;
	if (bpf_core_field_exists(t->mems_allowed)) {
		__u64 sz = bpf_core_type_size(nodemask_t);
		if (sz > sizeof(m->allowed))
			sz = sizeof(m->allowed);
		bpf_probe_read_kernel(m->allowed, sz & 0xff, &t->mems_allowed);
		r->flags |= NG_R_ALLOWED;
	}
}

/*
 * The policy the kernel installed, from task->mempolicy: immune to the user
 * memory race that makes the entry read of the mask untrustworthy. Only the
 * calling thread writes its own mempolicy, so reading it at exit is stable.
 */
static __always_inline void fill_effective(struct ng_record *r, struct masks *m, struct task_struct *t)
{
	struct mempolicy *pol = t->mempolicy;
	__u64 sz = bpf_core_type_size(nodemask_t);

	if (sz > sizeof(m->eff))
		sz = sizeof(m->eff);
	r->flags |= NG_R_EFFECTIVE;
	if (!pol) {
		r->eff_mode = 0; /* MPOL_DEFAULT leaves task->mempolicy NULL */
		return;
	}
	r->eff_mode = pol->mode;
	r->eff_flags = pol->flags;
	if (bpf_core_field_exists(pol->nodes)) {
		/* MPOL_LOCAL leaves nodes uninitialised: not meaningful. */
		if (r->eff_mode != 4 && r->eff_mode != 0) {
			bpf_probe_read_kernel(m->eff, sz & 0xff, &pol->nodes);
			r->flags |= NG_R_EFF_NODES;
		}
	} else {
		struct mempolicy___v513 *old = (void *)pol;
		/* Before 5.14: LOCAL was PREFERRED + MPOL_F_LOCAL (0x2); PREFERRED kept one node. */
		if (r->eff_mode == 1 && (r->eff_flags & 0x2)) {
			r->eff_mode = 4;
		} else if (r->eff_mode == 1) {
			short sn = BPF_CORE_READ(old, v.preferred_node);
			__u32 n = (__u16)sn;
			if (sn >= 0 && n < NG_MAX_NODES)
				m->eff[(n / 64) & (NG_NODE_WORDS - 1)] = 1ull << (n % 64);
			r->flags |= NG_R_EFF_NODES;
		} else if (r->eff_mode != 0) {
			bpf_probe_read_kernel(m->eff, sz & 0xff, &old->v.nodes);
			r->flags |= NG_R_EFF_NODES;
		}
	}
}

/*
 * Exit: emit one record. `in` is the entry state (NULL when no entry ran for
 * this call: a call denied by seccomp never reaches sys_enter or the kernel
 * function, or the sensor attached mid-call).
 */
static __always_inline void fill_record(struct ng_record *r, struct masks *m, struct inflight *in,
					long ret, __u32 attach, struct task_struct *t)
{
	__u16 nbits = 0;

	r->version = NG_RECORD_VERSION;
	r->attach = attach;
	r->flags = 0;
	r->ts_boot = bpf_ktime_get_boot_ns();
	r->ret = ret;
	r->eff_mode = 0;
	r->eff_flags = 0;
	__builtin_memset(m->eff, 0, sizeof(m->eff));
	__builtin_memset(m->allowed, 0, sizeof(m->allowed));

	if (in) {
		r->mode_raw = in->mode_raw;
		r->nmask = in->nmask;
		r->maxnode = in->maxnode;
		r->flags |= in->flags;
		r->nbits = in->nbits;
		__builtin_memcpy(m->nodes, in->nodes, sizeof(m->nodes));
		if (in->flags & NG_R_NODES) {
			/* Re-read the mask: a change since entry is a TOCTOU race attempt. m->eff is scratch here. */
			if (read_user_mask(m->eff, in->nmask, in->maxnode, in->flags & NG_R_COMPAT,
					   &nbits) == NG_R_NODES) {
				__u64 diff = 0;
				for (int i = 0; i < NG_NODE_WORDS; i++)
					diff |= m->eff[i] ^ in->nodes[i];
				if (diff)
					r->flags |= NG_R_NODES_CHANGED;
			} else {
				r->flags |= NG_R_NODES_EXIT_FAULT;
			}
			__builtin_memset(m->eff, 0, sizeof(m->eff));
		}
		if (ret == 0)
			fill_effective(r, m, t);
	} else {
		bool compat = task_in_compat(t);
		__u64 mode = 0, nmask = 0, maxnode = 0;

		if (user_args(t, compat, &mode, &nmask, &maxnode)) {
			r->flags |= NG_R_ARGS;
			r->flags |= read_user_mask(m->nodes, nmask, maxnode, compat, &nbits);
			r->nbits = nbits;
		} else {
			__builtin_memset(m->nodes, 0, sizeof(m->nodes));
			r->nbits = 0;
		}
		r->mode_raw = mode;
		r->nmask = nmask;
		r->maxnode = maxnode;
		if (compat)
			r->flags |= NG_R_COMPAT;
		/* Only seccomp (or a ptrace skip, which sets the syscall nr to -1) can stop a call before entry. */
		if (t->seccomp.mode != SECCOMP_MODE_DISABLED) {
			r->flags |= NG_R_BLOCKED;
			count(NG_CNT_BLOCKED);
		} else {
			r->flags |= NG_R_ENTRY_MISSED;
			count(NG_CNT_ENTRY_MISSED);
		}
	}
	fill_identity(r, m, t);
}

/*
 * No wakeup per record: waking the reader per call costs microseconds on the
 * caller's path. The reader polls on a short timer; once a quarter of the
 * buffer is queued, every record forces a wakeup. That is deliberate: when
 * the reader falls behind, the wakeups slow the callers down, which keeps the
 * buffer from overflowing. Waking only on the record that crosses the
 * threshold made a tight loop outrun the reader and lose events.
 */
static __always_inline __u64 wakeup_flag(void)
{
	return bpf_ringbuf_query(&ng_events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

/*
 * Put the three masks after the header (and the paths, when sent) and
 * return the record's size. When no mask names a node above 63, which is
 * every call on a host of up to 64 nodes unless the caller sets high bits,
 * each mask goes as one word; otherwise all three go whole.
 *
 * A global function, so the verifier checks it once, on its own, rather than
 * once for every state that reaches the end of the exit program; the caller
 * then continues with a single state whatever the size. That made start-up
 * faster than before records were packed at all. The price: the verifier
 * cannot know rb is non-NULL or what the result is, so both are checked.
 */
__noinline __u64 pack_masks(struct record_buf *rb, __u32 paths)
{
	if (!rb)
		return 0;
	struct masks *m = &rb->m;
	__u8 *dst = rb->tail + (paths ? sizeof(struct ng_paths) : 0);
	__u64 high = 0;

	for (int i = 1; i < NG_NODE_WORDS; i++)
		high |= m->nodes[i] | m->eff[i] | m->allowed[i];
	if (!high) {
		((__u64 *)dst)[0] = m->nodes[0];
		((__u64 *)dst)[1] = m->eff[0];
		((__u64 *)dst)[2] = m->allowed[0];
		rb->hdr.mask_words = 1;
		return NG_RECORD_SIZE(paths, 1);
	}
	bpf_probe_read_kernel(dst, sizeof(m->nodes), m->nodes);
	bpf_probe_read_kernel(dst + sizeof(m->nodes), sizeof(m->eff), m->eff);
	bpf_probe_read_kernel(dst + 2 * sizeof(m->nodes), sizeof(m->allowed), m->allowed);
	rb->hdr.mask_words = NG_NODE_WORDS;
	return NG_RECORD_SIZE(paths, NG_NODE_WORDS);
}

static __always_inline void emit(struct inflight *in, long ret, __u32 attach)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_struct *leader = t->group_leader;
	__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	struct seen cur = { .start_boot = task_start(leader), .exec_id = leader->self_exec_id,
			    .cgroup_id = bpf_get_current_cgroup_id() };
	struct seen *last = bpf_map_lookup_elem(&ng_seen, &tgid);
	bool same_proc = last && last->start_boot == cur.start_boot;
	bool need_exe = !same_proc || last->exec_id != cur.exec_id;
	bool need_cg = !same_proc || last->cgroup_id != cur.cgroup_id;
	bool paths = need_exe || need_cg;

	/*
	 * Built in per-CPU scratch and copied out with bpf_ringbuf_output(): the
	 * size is known only once the masks are read, and reserving each size in
	 * place would need the whole fill once per size, and the verifier's time
	 * (which is the sensor's start-up time) with it.
	 */
	struct record_buf *rb = bpf_map_lookup_elem(&ng_scratch_rec, &zero);
	if (!rb)
		return;
	fill_record(&rb->hdr, &rb->m, in, ret, attach, t);
	if (paths) {
		struct ng_paths *p = (struct ng_paths *)rb->tail;
		struct walkbuf *wb = bpf_map_lookup_elem(&ng_walk, &zero);
		rb->hdr.flags |= NG_R_PATHS;
		if (wb && need_exe)
			walk_exe(&rb->hdr, p, t, wb->b);
		if (wb && need_cg)
			walk_cgroup(&rb->hdr, p, t, wb->b);
		if (need_exe)
			read_args(&rb->hdr, p, t);
	}
	__u64 size = pack_masks(rb, paths);
	/* The verifier does not carry the subprogram's result range: bound it here. */
	barrier_var(size);
	if (size < sizeof(struct ng_record) || size > NG_RECORD_MAX)
		return;
	rb->hdr.size = size;
	if (bpf_ringbuf_output(&ng_events, rb, size, wakeup_flag())) {
		count(NG_CNT_RB_FULL);
		return;
	}
	/* Only a record that made it into the buffer counts as having sent the paths. */
	if (paths)
		bpf_map_update_elem(&ng_seen, &tgid, &cur, BPF_ANY);
	count(NG_CNT_EVENTS);
}

/* This thread's call in flight, or NULL. */
static __always_inline struct inflight *lookup_entry(void)
{
	struct inflight *in = bpf_task_storage_get(&ng_inflight, bpf_get_current_task_btf(), 0, 0);
	return in && in->valid ? in : NULL;
}

/*
 * Exit of a kernel-function hook (kretprobe, fexit). When tp_exit also runs
 * (auto mode), the entry is marked done instead of deleted, so tp_exit can
 * tell "ran and reported" from "never entered" (denied). Compat calls get no
 * syscall tracepoint (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS), so their entry is
 * deleted here.
 */
static __always_inline void on_func_exit(long ret, __u32 attach)
{
	struct inflight *in = lookup_entry();

	if (!in)
		return; /* entry missed (attached mid-call): the exit tracepoint, if any, reports it */
	emit(in, ret, attach);
	if (cfg_exit_tp_blocked_only && !(in->flags & NG_R_COMPAT))
		in->done = 1;
	else
		in->valid = 0;
}

/* Exit of a syscall-level hook (tracepoint, raw). */
static __always_inline void on_sys_exit(long ret, __u32 attach)
{
	struct inflight *in = lookup_entry();

	if (in && in->done) {
		in->valid = 0;
		return;
	}
	/*
	 * In blocked-only mode an entry that is not done means the function
	 * exit was missed (kretprobe instance limit): report it here so the
	 * call is not lost.
	 */
	emit(in, ret, attach);
	if (in)
		in->valid = 0;
}

/* ---- syscall tracepoints: native calls; exit also sees calls denied by seccomp ---- */

struct sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 mode;
	__u64 nmask;
	__u64 maxnode;
};

struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

SEC("tracepoint/syscalls/sys_enter_set_mempolicy")
int tp_enter(struct sys_enter_ctx *ctx)
{
	on_entry(ctx->mode, ctx->nmask, ctx->maxnode, false);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_set_mempolicy")
int tp_exit(struct sys_exit_ctx *ctx)
{
	on_sys_exit(ctx->ret, NG_ATTACH_TRACEPOINT);
	return 0;
}

/* ---- raw sys_enter/sys_exit: every ABI and denied calls; every syscall pays the filter ---- */

static __always_inline bool is_set_mempolicy(long nr, bool compat)
{
#if defined(__TARGET_ARCH_x86)
	return compat ? nr == NG_NR_SET_MEMPOLICY_I386 : nr == NG_NR_SET_MEMPOLICY_X86_64;
#elif defined(__TARGET_ARCH_arm64)
	return compat ? nr == NG_NR_SET_MEMPOLICY_ARM : nr == NG_NR_SET_MEMPOLICY_GENERIC;
#else
	return false;
#endif
}

SEC("raw_tp/sys_enter")
int raw_enter(struct bpf_raw_tracepoint_args *ctx)
{
	long nr = ctx->args[1];

	/* Cheap reject first: this runs on every syscall of the host. */
	if (nr != NG_NR_SET_MEMPOLICY_X86_64 && nr != NG_NR_SET_MEMPOLICY_I386 &&
	    nr != NG_NR_SET_MEMPOLICY_GENERIC && nr != NG_NR_SET_MEMPOLICY_ARM)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	bool compat = task_in_compat(t);
	if (!is_set_mempolicy(nr, compat))
		return 0;
	__u64 mode, nmask, maxnode;
	if (!user_args(t, compat, &mode, &nmask, &maxnode))
		return 0;
	on_entry(mode, nmask, maxnode, false);
	return 0;
}

SEC("raw_tp/sys_exit")
int raw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long ret = ctx->args[1];
	long nr;

#if defined(__TARGET_ARCH_x86)
	nr = BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	nr = BPF_CORE_READ(regs, syscallno);
#else
	return 0;
#endif
	if (nr != NG_NR_SET_MEMPOLICY_X86_64 && nr != NG_NR_SET_MEMPOLICY_I386 &&
	    nr != NG_NR_SET_MEMPOLICY_GENERIC && nr != NG_NR_SET_MEMPOLICY_ARM)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	if (!is_set_mempolicy(nr, task_in_compat(t)))
		return 0;
	on_sys_exit(ret, NG_ATTACH_RAW);
	return 0;
}

/* ---- kprobe/kretprobe: kernel_set_mempolicy(int mode, const unsigned long __user *nmask, unsigned long maxnode) ---- */

SEC("kprobe")
int BPF_KPROBE(kp_enter, int mode, unsigned long nmask, unsigned long maxnode)
{
	on_entry((__u64)(__s64)mode, nmask, maxnode, true);
	return 0;
}

/* Arch wrappers (__x64_sys_set_mempolicy, __ia32_sys_set_mempolicy) take the user pt_regs. */
SEC("kprobe")
int BPF_KPROBE(kp_enter_wrapper, struct pt_regs *regs)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 mode, nmask, maxnode;

	if (user_args(t, task_in_compat(t), &mode, &nmask, &maxnode))
		on_entry(mode, nmask, maxnode, false);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kp_exit, long ret)
{
	on_func_exit(ret, NG_ATTACH_KRETPROBE);
	return 0;
}

/* ---- fentry/fexit on kernel_set_mempolicy ---- */

SEC("fentry/kernel_set_mempolicy")
int BPF_PROG(fentry_inner, int mode, unsigned long nmask, unsigned long maxnode)
{
	on_entry((__u64)(__s64)mode, nmask, maxnode, true);
	return 0;
}

SEC("fexit/kernel_set_mempolicy")
int BPF_PROG(fexit_inner, int mode, unsigned long nmask, unsigned long maxnode, long ret)
{
	on_func_exit(ret, NG_ATTACH_FEXIT);
	return 0;
}

/* ---- fexit on __secure_computing: calls denied by seccomp, without a syscall tracepoint ---- */

/*
 * The syscall number and the return value the kernel holds for the caller,
 * from its saved user registers.
 */
static __always_inline bool saved_nr_ret(struct task_struct *t, long *nr, long *ret)
{
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return false;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return false;
#if defined(__TARGET_ARCH_x86)
	*nr = BPF_CORE_READ(regs, orig_ax);
	*ret = BPF_CORE_READ(regs, ax);
	return true;
#elif defined(__TARGET_ARCH_arm64)
	*nr = BPF_CORE_READ(regs, syscallno);
	*ret = BPF_CORE_READ(regs, regs[0]);
	return true;
#else
	return false;
#endif
}

/*
 * The kernel runs this only for tasks with a seccomp filter, once per
 * syscall they make, and it returns -1 when the call is not to run: the
 * filter's errno (SECCOMP_RET_ERRNO, or a supervisor's or tracer's answer) is
 * already in the return register. So the fexit path sees denied calls of
 * every ABI here, and needs no syscall tracepoint, which would put every
 * task of the host on the syscall slow path. A filter that kills the task
 * never returns here, as it never reaches sys_exit either.
 */
SEC("fexit/__secure_computing")
int BPF_PROG(fexit_seccomp, const void *sd, int ret)
{
	struct task_struct *t;
	long nr, res;

	if (ret == 0)
		return 0;
	t = bpf_get_current_task_btf();
	if (!saved_nr_ret(t, &nr, &res) || !is_set_mempolicy(nr, task_in_compat(t)))
		return 0;
	emit(NULL, res, NG_ATTACH_FEXIT);
	return 0;
}
