/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container identity from a cgroup path: a pure parser (no I/O) over the
 * shapes that Docker, containerd, CRI-O, Podman, LXC and systemd-nspawn give
 * their cgroups under the cgroupfs and systemd drivers, cgroup v1 and v2.
 *
 * The path is attacker-influenced: a process in a delegated subtree names
 * its own sub-cgroups. The parser therefore takes the OUTERMOST segment that
 * a runtime created and ignores everything below it, so a nested cgroup
 * named "docker-<hex>.scope" cannot move a process into another container's
 * identity. docs/containers.md lists every shape and decision.
 */
#ifndef NUMAGUARD_CGROUP_H
#define NUMAGUARD_CGROUP_H

#include "event.h"

/* Paths longer than this are refused (the kernel prints at most PATH_MAX per line). */
#define NG_CGROUP_PARSE_MAX 65536

struct ng_container {
	/*
	 * 64 lowercase hex for docker, containerd, cri-o and podman; the
	 * container name for lxc and systemd-nspawn; "host" when the path is
	 * not a container; "" when the process is in a container whose id
	 * could not be established (runtime is then set, often "unknown").
	 */
	char id[NG_CONTAINER_ID_LEN];
	enum ng_runtime runtime;
	/* Kubernetes pod uid with dashes (8-4-4-4-12 or a 32-hex static pod hash), else "". */
	char pod_uid[NG_POD_UID_LEN];
};

/*
 * Parse a cgroup path ("/system.slice/docker-<64hex>.scope", ...) into *out.
 * Always fills *out. Returns 0, or -EINVAL when path is NULL, empty or not
 * absolute, or -E2BIG when it has no NUL within NG_CGROUP_PARSE_MAX bytes; in
 * both error cases *out says runtime "unknown" with an empty id, never
 * "host", so unparseable input cannot pass for a host process.
 */
int ng_cgroup_parse(const char *path, struct ng_container *out);

/* True when *c describes a container (anything but runtime host). */
static inline int ng_container_is_container(const struct ng_container *c)
{
	return c->runtime != NG_RUNTIME_HOST;
}

#endif
