/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Enrichment: completes a decoded event with proc.exepath, proc.cmdline,
 * user.name, container.id, container.runtime, container.cgroup and
 * k8s.pod.uid. What decode took from the kernel at the call
 * (e->kernel_captured) wins; /proc and the user database fill the rest.
 *
 * Identity: every /proc read goes through one opened /proc/PID directory
 * whose start time has been checked against e->start_boot_ns, so a pid that
 * the kernel handed to a new process never lends that process's identity to
 * the event. A process that is gone (or not the one that made the call)
 * yields empty strings with the present bits set; its container identity
 * then comes from the captured cgroup path or the recorded namespaces, and
 * is "unknown" rather than "host" when neither places it.
 *
 * Caches are fixed-size (set-associative, LRU within a set) and never grow:
 * exe and cmdline per (pid, start, exec_id); cgroup identity per
 * (pid, start, cgroup_id) with a short expiry; user names per uid with an
 * expiry. An enricher is not thread-safe: use one per thread.
 */
#ifndef NUMAGUARD_ENRICH_H
#define NUMAGUARD_ENRICH_H

#include <stdint.h>

#include "event.h"

struct ng_enrich_opts {
	/* procfs of the host pid namespace; NULL: "/proc" (e.g. "/host/proc" in a container). */
	const char *proc_root;
	/*
	 * NULL: user names come from the host's user database through NSS
	 * (getpwuid_r). A path: parse that passwd(5) file instead, without NSS
	 * (e.g. "/host/etc/passwd", or a fixture in tests).
	 */
	const char *passwd_path;
	unsigned int proc_cache_entries;   /* 0: 512 */
	unsigned int cgroup_cache_entries; /* 0: 512 */
	unsigned int user_cache_entries;   /* 0: 256 */
	unsigned int cgroup_ttl_ms;        /* 0: 2000; a process may move to another cgroup */
	unsigned int user_ttl_ms;          /* 0: 60000; the user database may change */
};

/* Counters since the enricher was made; the run loop reports them in its stats. */
struct ng_enrich_stats {
	uint64_t proc_hits, proc_misses;
	uint64_t cgroup_hits, cgroup_misses;
	uint64_t user_hits, user_misses;
	uint64_t evictions;  /* cache entries replaced by another key */
	uint64_t gone;       /* process exited, or its pid now belongs to another process */
	uint64_t unverified; /* event had no start time, so /proc was not trusted */
	uint64_t tainted;    /* /proc/PID/cgroup held a forged line (a cgroup name with '\n') */
	uint64_t exiting;    /* read while exiting, when every v1 cgroup line says "/" */
	uint64_t proc_entries, cgroup_entries, user_entries; /* occupied cache slots now */
};

struct ng_enricher;

/*
 * Make an enricher. opts may be NULL for defaults. Returns 0 or a negative
 * errno: -ENOENT/-ENOTDIR/-EACCES when proc_root cannot be opened, the read
 * error of <proc_root>/self/cgroup, -EBADMSG/-EFBIG when that file is not
 * what the kernel writes (proc_root is not a procfs), -ENOMEM.
 */
int ng_enricher_new(struct ng_enricher **out, const struct ng_enrich_opts *opts);
void ng_enricher_free(struct ng_enricher *en);

/*
 * Fill proc.exepath, proc.cmdline, container.* and k8s.pod.uid of e (needs
 * proc.pid), and user.name (needs user.uid), setting their present bits.
 * Reads e->pid, e->tid, e->uid, e->start_boot_ns, e->exec_id, e->cgroup_id,
 * e->ns_pid, e->ns_mnt and e->kernel_captured; never touches any other
 * field. Never fails: what cannot be known is "" (user.name is left absent
 * when the user database itself failed).
 */
void ng_enrich(struct ng_enricher *en, struct ng_event *e);

void ng_enricher_stats(const struct ng_enricher *en, struct ng_enrich_stats *out);

#endif
