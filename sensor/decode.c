// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "events.h"
#include "fields.h"

_Static_assert(sizeof(struct ng_record) == 176, "struct ng_record layout changed");
_Static_assert(sizeof(struct ng_paths) == 768, "struct ng_paths layout changed");
_Static_assert(NG_NODE_WORDS == 16, "event and record node masks must match");
_Static_assert((int)NG_ATTACH_RAW == (int)NG_ATTACH_KIND_RAW, "attach values must match");

/* PROC_USER_INIT_INO (include/linux/proc_ns.h): the initial user namespace's inode. */
#define INIT_USER_NS_INO 0xEFFFFFFDu
#define CAP_SYS_ADMIN 21
#define CAP_SYS_NICE 23

int64_t ng_boot_to_realtime_offset(void)
{
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000ll + (rt.tv_nsec - bt.tv_nsec);
}

/* comm may arrive without its NUL (the record is a trust boundary): keep at most 15 bytes. */
static void copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, NG_COMM_LEN - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Mask k of the record's three (nodes, eff_nodes, allowed), `words` wide; the rest of dst is 0. */
static void copy_mask(ng_nodemask_t *dst, const unsigned char *masks, size_t words, int k)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst->w, masks + (size_t)k * words * 8, words * 8);
}

/*
 * Join path components captured leaf first ("c\0b\0a\0", `used` bytes)
 * into "/a/b/c". Everything is bounded by the record: a component without
 * its NUL ends the walk. A truncated walk (deeper than the kernel side captures) is marked by
 * a leading "…/" so it can never pass for a complete path.
 */
static void join_parts(char *out, size_t outlen, const char *parts, size_t partlen, size_t used,
		       bool truncated)
{
	const char *start[NG_PATH_BYTES / 2];
	size_t lens[NG_PATH_BYTES / 2], n = 0, off = 0;

	if (used < partlen)
		partlen = used;
	while (n < NG_PATH_BYTES / 2 && off < partlen) {
		const char *p = parts + off;
		const char *nul = memchr(p, '\0', partlen - off);
		if (!nul)
			break;
		start[n] = p;
		lens[n] = (size_t)(nul - p);
		off += lens[n] + 1;
		n++;
	}
	size_t o = 0;
	out[0] = '\0';
	if (truncated)
		o += (size_t)snprintf(out, outlen, "\xe2\x80\xa6");
	for (size_t i = n; i-- > 0 && o + 1 < outlen;) {
		size_t l = lens[i];
		out[o++] = '/';
		if (l > outlen - o - 1)
			l = outlen - o - 1;
		memcpy(out + o, start[i], l);
		o += l;
	}
	if (o == 0 && outlen > 1)
		out[o++] = '/';
	out[o < outlen ? o : outlen - 1] = '\0';
}

int ng_decode(const void *data, size_t len, int64_t boot_offset, struct ng_event *e)
{
	struct ng_record r;
	struct ng_paths p;

	/* The header says what follows; the size must be exactly that (events.h). */
	if (len < sizeof(r))
		return -EBADMSG;
	/* Records are not 8-byte aligned in the ring buffer as the header's fields are: copy. */
	memcpy(&r, data, sizeof(r));
	bool paths = r.flags & NG_R_PATHS;
	size_t words = r.mask_words;
	if (r.size != len || r.version != NG_RECORD_VERSION || r.attach > NG_ATTACH_RAW ||
	    r.nbits > NG_MAX_NODES || words < 1 || words > NG_NODE_WORDS ||
	    len != NG_RECORD_SIZE(paths, words))
		return -EBADMSG;
	const unsigned char *tail = (const unsigned char *)data + sizeof(r);
	if (paths) {
		memcpy(&p, tail, sizeof(p));
		tail += sizeof(p);
	} else {
		r.flags &= ~(NG_R_EXE | NG_R_ARGV | NG_R_CGROUP); /* nothing to read them from */
	}

	memset(e, 0, sizeof(*e));
	/* In unsigned arithmetic: a wild ts_boot wraps, where a signed sum would be undefined. */
	e->time_ns = r.ts_boot + (uint64_t)boot_offset;
	strcpy(e->syscall, "set_mempolicy");
	e->res = r.ret;
	if (r.ret < 0) {
		/* Only -4095..-1 is an errno; a corrupt ret must not negate out of range or alias one. */
		const char *name = r.ret >= -4095 ? strerrorname_np((int)-r.ret) : NULL;
		if (name)
			snprintf(e->errno_name, sizeof(e->errno_name), "%s", name);
		else
			snprintf(e->errno_name, sizeof(e->errno_name), "E%llu",
				 (unsigned long long)-(uint64_t)r.ret);
	}
	e->blocked = r.flags & NG_R_BLOCKED;
	e->attach = r.attach;
	e->compat = r.flags & NG_R_COMPAT;
	for (int f = NG_F_EVT_TIME; f <= NG_F_EVT_COMPAT; f++)
		ng_event_set(e, f);

	if (r.flags & NG_R_ARGS) {
		/* As sanitize_mpol_flags() does: the int mode, flag bits split off; others stay in mode. */
		int mode = (int)(uint32_t)r.mode_raw;
		e->flags = (uint32_t)mode & NG_MPOL_MODE_FLAGS;
		e->mode = mode & ~(int)NG_MPOL_MODE_FLAGS;
		e->mode_raw = r.mode_raw;
		e->maxnode = r.maxnode;
		ng_event_set(e, NG_F_MPOL_MODE);
		ng_event_set(e, NG_F_MPOL_FLAGS);
		ng_event_set(e, NG_F_MPOL_MODE_RAW);
		ng_event_set(e, NG_F_MPOL_MAXNODE);
	}
	if (r.flags & NG_R_NODES) {
		copy_mask(&e->nodes, tail, words, 0);
		ng_event_set(e, NG_F_MPOL_NODES);
		if (!(r.flags & NG_R_NODES_EXIT_FAULT) && !e->blocked) {
			e->nodes_changed = r.flags & NG_R_NODES_CHANGED;
			ng_event_set(e, NG_F_MPOL_NODES_CHANGED);
		}
	}
	if (r.flags & NG_R_EFFECTIVE) {
		e->effective_mode = r.eff_mode;
		ng_event_set(e, NG_F_MPOL_EFFECTIVE_MODE);
		if (r.flags & NG_R_EFF_NODES)
			copy_mask(&e->effective_nodes, tail, words, 1);
		ng_event_set(e, NG_F_MPOL_EFFECTIVE_NODES);
	}
	if (r.flags & NG_R_ALLOWED) {
		copy_mask(&e->allowed_nodes, tail, words, 2);
		ng_event_set(e, NG_F_MPOL_ALLOWED_NODES);
		/*
		 * RELATIVE_NODES masks are folded onto the allowed set by the kernel,
		 * so no requested bit is "outside" it.
		 */
		if (r.flags & NG_R_NODES) {
			bool outside = false;
			if (!(e->flags & NG_MPOL_F_RELATIVE_NODES))
				for (int i = 0; i < NG_NODE_WORDS; i++)
					outside |= (e->nodes.w[i] & ~e->allowed_nodes.w[i]) != 0;
			e->outside_allowed = outside;
			ng_event_set(e, NG_F_MPOL_OUTSIDE_ALLOWED);
		}
	}

	e->pid = r.pid;
	e->tid = r.tid;
	e->ppid = r.ppid;
	e->vpid = r.vpid;
	copy_comm(e->name, r.comm);
	copy_comm(e->pname, r.pcomm);
	e->cap_effective = r.cap_effective;
	e->uid = r.uid;
	e->euid = r.euid;
	e->gid = r.gid;
	/*
	 * Capabilities held in a user namespace of its own (rootless containers,
	 * unshare -U) grant nothing on the host, so only the initial namespace
	 * counts.
	 */
	e->privileged = r.ns_user == INIT_USER_NS_INO &&
			(r.euid == 0 || (r.cap_effective >> CAP_SYS_ADMIN & 1) ||
			 (r.cap_effective >> CAP_SYS_NICE & 1));
	ng_event_set(e, NG_F_PROC_PID);
	ng_event_set(e, NG_F_PROC_TID);
	ng_event_set(e, NG_F_PROC_PPID);
	ng_event_set(e, NG_F_PROC_VPID);
	ng_event_set(e, NG_F_PROC_NAME);
	ng_event_set(e, NG_F_PROC_PNAME);
	ng_event_set(e, NG_F_PROC_CAP_EFFECTIVE);
	ng_event_set(e, NG_F_PROC_PRIVILEGED);
	ng_event_set(e, NG_F_USER_UID);
	ng_event_set(e, NG_F_USER_EUID);
	ng_event_set(e, NG_F_USER_GID);
	if (r.flags & NG_R_LOGINUID) {
		e->loginuid = r.loginuid;
		ng_event_set(e, NG_F_USER_LOGINUID);
	}
	e->ns_pid = r.ns_pid;
	e->ns_mnt = r.ns_mnt;
	e->ns_user = r.ns_user;
	e->ns_cgroup = r.ns_cgroup;
	ng_event_set(e, NG_F_NS_PID);
	ng_event_set(e, NG_F_NS_MNT);
	ng_event_set(e, NG_F_NS_USER);
	ng_event_set(e, NG_F_NS_CGROUP);
	/*
	 * Executable, arguments and cgroup as the kernel saw them at the call, so
	 * a process that exits at once is still attributed; enrichment fills
	 * what is missing from /proc.
	 */
	if (r.flags & NG_R_EXE) {
		join_parts(e->exepath, sizeof(e->exepath), p.exe, sizeof(p.exe), r.exe_len,
			   r.flags & NG_R_EXE_TRUNC);
		ng_event_set(e, NG_F_PROC_EXEPATH);
	}
	if (r.flags & NG_R_ARGV) {
		size_t n = r.args_len < sizeof(p.args) ? r.args_len : sizeof(p.args);
		/* argv is NUL-separated; the final NUL ends it. */
		while (n && p.args[n - 1] == '\0')
			n--;
		for (size_t i = 0; i < n; i++)
			e->cmdline[i] = p.args[i] ? p.args[i] : ' ';
		e->cmdline[n] = '\0';
		ng_event_set(e, NG_F_PROC_CMDLINE);
	}
	if ((r.flags & (NG_R_EXE | NG_R_ARGV)) == (NG_R_EXE | NG_R_ARGV))
		e->kernel_captured |= NG_KC_PROC;
	if (r.flags & NG_R_CGROUP) {
		join_parts(e->cgroup, sizeof(e->cgroup), p.cgroup, sizeof(p.cgroup), r.cgroup_len,
			   r.flags & NG_R_CGROUP_TRUNC);
		ng_event_set(e, NG_F_CONTAINER_CGROUP);
		e->kernel_captured |= NG_KC_CGROUP;
		if (r.flags & NG_R_CGROUP_V1)
			e->kernel_captured |= NG_KC_CGROUP_V1;
	}
	e->cgroup_id = r.cgroup_id;
	e->start_boot_ns = r.start_boot;
	e->exec_id = r.exec_id;
	return 0;
}
