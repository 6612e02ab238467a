// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privs.h"

uint64_t ng_run_capabilities(bool enforce)
{
	/*
	 * CAP_SYS_PTRACE: /proc/PID/exe of another user's process is only
	 * readable with it (ptrace read access), and enrichment falls back to
	 * /proc when the kernel record lacks a field. CAP_KILL: the kill action
	 * signals processes of any user, so only with --enforce. Nothing else:
	 * the BPF maps and the ring buffer are used through file descriptors
	 * already held, and rule and output files are root's own.
	 */
	uint64_t keep = 1ull << CAP_SYS_PTRACE;
	if (enforce)
		keep |= 1ull << CAP_KILL;
	return keep;
}

int ng_drop_privileges(uint64_t keep, char *err, size_t errlen)
{
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which goes next. */
	for (int cap = 0; cap <= 63; cap++) {
		if (keep >> cap & 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
			int e = errno;
			snprintf(err, errlen, "dropping capability %d from the bounding set failed: %s",
				 cap, strerror(e));
			return -e;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
		int e = errno;
		snprintf(err, errlen, "clearing the ambient capabilities failed: %s", strerror(e));
		return -e;
	}
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));
		data[i].effective = data[i].permitted = k;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) != 0) {
		int e = errno;
		snprintf(err, errlen, "setting the capability sets failed: %s", strerror(e));
		return -e;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		int e = errno;
		snprintf(err, errlen, "setting no_new_privs failed: %s", strerror(e));
		return -e;
	}
	return 0;
}
