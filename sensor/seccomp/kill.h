/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * actions: [kill]: kill the process that made a call, and only that one,
 * even if its pid has since been reused.
 */
#ifndef NUMAGUARD_SECCOMP_KILL_H
#define NUMAGUARD_SECCOMP_KILL_H

#include "alert.h"
#include "event.h"

/*
 * SIGKILL the process of e->pid through a pidfd, after checking that the
 * pidfd's process started at e->start_boot_ns (so a reused pid is never hit).
 * Returns NG_ACTION_KILLED, or NG_ACTION_KILL_FAILED when the process is gone,
 * is another process now, has no recorded start time, is numaguard itself
 * or pid 1, or cannot be signalled (permission).
 */
enum ng_alert_action ng_enforce_kill(const struct ng_event *e);

/*
 * The same, with the reason for a failure as a negative errno: -ESRCH (gone
 * or reused), -ENODATA (no start time), -EPERM, -EINVAL (pid 0, 1 or our own).
 */
int ng_enforce_kill_pid(uint32_t pid, uint64_t start_boot_ns);

#endif
