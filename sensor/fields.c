// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "fields.h"

#define SYMTAB(arr) { (arr), sizeof(arr) / sizeof((arr)[0]) }

static const char *const mode_names[] = {
	"MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE",
	"MPOL_LOCAL", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE",
};
const struct ng_symtab ng_mode_syms = SYMTAB(mode_names);

static const char *const mflag_names[16] = {
	[13] = "MPOL_F_NUMA_BALANCING",
	[14] = "MPOL_F_RELATIVE_NODES",
	[15] = "MPOL_F_STATIC_NODES",
};
const struct ng_symtab ng_mflag_syms = SYMTAB(mflag_names);

/* include/uapi/linux/capability.h */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
const struct ng_symtab ng_cap_syms = SYMTAB(cap_names);

static const char *const attach_names[] = { "", "kretprobe", "fexit", "tracepoint", "raw" };
const struct ng_symtab ng_attach_syms = SYMTAB(attach_names);

static const char *const runtime_names[] = {
	[NG_RUNTIME_HOST] = "host",	  [NG_RUNTIME_DOCKER] = "docker",
	[NG_RUNTIME_CONTAINERD] = "containerd", [NG_RUNTIME_CRIO] = "cri-o",
	[NG_RUNTIME_PODMAN] = "podman",	  [NG_RUNTIME_LXC] = "lxc",
	[NG_RUNTIME_NSPAWN] = "systemd-nspawn", [NG_RUNTIME_UNKNOWN] = "unknown",
};
const struct ng_symtab ng_runtime_syms = SYMTAB(runtime_names);

#define F(id, nm, ty, member, sy, d)                                                               \
	[id] = { .name = nm,                                                                       \
		 .type = ty,                                                                       \
		 .offset = offsetof(struct ng_event, member),                                      \
		 .size = sizeof(((struct ng_event *)0)->member),                                   \
		 .syms = sy,                                                                       \
		 .desc = d }

const struct ng_field ng_fields[NG_F__COUNT] = {
	F(NG_F_EVT_TIME, "evt.time", NG_FT_TIME, time_ns, NULL, "event time, ns since the epoch"),
	F(NG_F_EVT_SYSCALL, "evt.syscall", NG_FT_STR, syscall, NULL, "system call name"),
	F(NG_F_EVT_RES, "evt.res", NG_FT_I64, res, NULL, "return value: 0 or -errno"),
	F(NG_F_EVT_ERRNO, "evt.errno", NG_FT_STR, errno_name, NULL, "errno name, empty on success"),
	F(NG_F_EVT_BLOCKED, "evt.blocked", NG_FT_BOOL, blocked, NULL,
	  "denied before it ran (seccomp): exit seen, entry never ran"),
	F(NG_F_EVT_ATTACH, "evt.attach", NG_FT_ENUM, attach, &ng_attach_syms,
	  "capture path that produced the event"),
	F(NG_F_EVT_COMPAT, "evt.compat", NG_FT_BOOL, compat, NULL,
	  "made through the 32-bit compat ABI"),
	F(NG_F_MPOL_MODE, "mpol.mode", NG_FT_MODE, mode, &ng_mode_syms, "requested mode"),
	F(NG_F_MPOL_FLAGS, "mpol.flags", NG_FT_FLAGS, flags, &ng_mflag_syms, "requested mode flags"),
	F(NG_F_MPOL_MODE_RAW, "mpol.mode_raw", NG_FT_U64, mode_raw, NULL,
	  "raw first argument (mode | flags), all 64 register bits"),
	F(NG_F_MPOL_NODES, "mpol.nodes", NG_FT_NODES, nodes, NULL,
	  "nodes in the mask as the caller passed it"),
	F(NG_F_MPOL_MAXNODE, "mpol.maxnode", NG_FT_U64, maxnode, NULL, "third argument"),
	F(NG_F_MPOL_NODES_CHANGED, "mpol.nodes_changed", NG_FT_BOOL, nodes_changed, NULL,
	  "user mask changed between entry and exit"),
	F(NG_F_MPOL_EFFECTIVE_MODE, "mpol.effective_mode", NG_FT_MODE, effective_mode,
	  &ng_mode_syms, "mode installed by the kernel (successful calls)"),
	F(NG_F_MPOL_EFFECTIVE_NODES, "mpol.effective_nodes", NG_FT_NODES, effective_nodes, NULL,
	  "nodes installed by the kernel (successful calls)"),
	F(NG_F_MPOL_ALLOWED_NODES, "mpol.allowed_nodes", NG_FT_NODES, allowed_nodes, NULL,
	  "the task's mems_allowed (cpuset)"),
	F(NG_F_MPOL_OUTSIDE_ALLOWED, "mpol.outside_allowed", NG_FT_BOOL, outside_allowed, NULL,
	  "requested nodes not within the allowed nodes"),
	F(NG_F_PROC_PID, "proc.pid", NG_FT_U32, pid, NULL, "process id (host)"),
	F(NG_F_PROC_TID, "proc.tid", NG_FT_U32, tid, NULL, "thread id (host)"),
	F(NG_F_PROC_PPID, "proc.ppid", NG_FT_U32, ppid, NULL, "parent process id (host)"),
	F(NG_F_PROC_VPID, "proc.vpid", NG_FT_U32, vpid, NULL, "process id in its pid namespace"),
	F(NG_F_PROC_NAME, "proc.name", NG_FT_STR, name, NULL, "comm of the task"),
	F(NG_F_PROC_PNAME, "proc.pname", NG_FT_STR, pname, NULL, "comm of the parent"),
	F(NG_F_PROC_EXEPATH, "proc.exepath", NG_FT_STR, exepath, NULL, "executable path"),
	F(NG_F_PROC_CMDLINE, "proc.cmdline", NG_FT_STR, cmdline, NULL, "command line"),
	F(NG_F_PROC_CAP_EFFECTIVE, "proc.cap_effective", NG_FT_FLAGS, cap_effective, &ng_cap_syms,
	  "effective capabilities"),
	F(NG_F_PROC_PRIVILEGED, "proc.privileged", NG_FT_BOOL, privileged, NULL,
	  "in the initial user namespace: euid 0, CAP_SYS_ADMIN or CAP_SYS_NICE"),
	F(NG_F_USER_UID, "user.uid", NG_FT_U32, uid, NULL, "real uid (initial namespace)"),
	F(NG_F_USER_EUID, "user.euid", NG_FT_U32, euid, NULL, "effective uid (initial namespace)"),
	F(NG_F_USER_GID, "user.gid", NG_FT_U32, gid, NULL, "real gid (initial namespace)"),
	F(NG_F_USER_LOGINUID, "user.loginuid", NG_FT_U32, loginuid, NULL, "audit login uid"),
	F(NG_F_USER_NAME, "user.name", NG_FT_STR, user_name, NULL, "user name of user.uid"),
	F(NG_F_CONTAINER_ID, "container.id", NG_FT_STR, container_id, NULL,
	  "container id, or host"),
	F(NG_F_CONTAINER_RUNTIME, "container.runtime", NG_FT_ENUM, runtime, &ng_runtime_syms,
	  "container runtime"),
	F(NG_F_CONTAINER_CGROUP, "container.cgroup", NG_FT_STR, cgroup, NULL, "cgroup path"),
	F(NG_F_K8S_POD_UID, "k8s.pod.uid", NG_FT_STR, pod_uid, NULL, "Kubernetes pod uid"),
	F(NG_F_NS_PID, "ns.pid", NG_FT_U64, ns_pid, NULL, "pid namespace inode"),
	F(NG_F_NS_MNT, "ns.mnt", NG_FT_U64, ns_mnt, NULL, "mount namespace inode"),
	F(NG_F_NS_USER, "ns.user", NG_FT_U64, ns_user, NULL, "user namespace inode"),
	F(NG_F_NS_CGROUP, "ns.cgroup", NG_FT_U64, ns_cgroup, NULL, "cgroup namespace inode"),
};

const struct ng_field *ng_field_by_name(const char *name)
{
	for (size_t i = 0; i < NG_F__COUNT; i++)
		if (strcmp(ng_fields[i].name, name) == 0)
			return &ng_fields[i];
	return NULL;
}

int ng_sym_lookup(const struct ng_symtab *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->names[i] && t->names[i][0] && strcmp(t->names[i], name) == 0)
			return (int)i;
	return -1;
}
