/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capture: load the BPF programs for one attach path (SPEC §7), attach them,
 * and hand every ring buffer record to a callback in batches.
 */
#ifndef NUMAGUARD_CAPTURE_H
#define NUMAGUARD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"

/* What --attach asks for. */
enum ng_attach_req {
	NG_REQ_AUTO = 0,
	NG_REQ_KRETPROBE,
	NG_REQ_FEXIT,
	NG_REQ_TRACEPOINT,
	NG_REQ_RAW,
};

/* The concrete combinations capture can run, in the order auto tries them. */
enum ng_path {
	NG_PATH_FEXIT,         /* fentry+fexit on kernel_set_mempolicy, + fexit on __secure_computing */
	NG_PATH_KRETPROBE,     /* kprobe+kretprobe on kernel_set_mempolicy, + exit tracepoint */
	NG_PATH_KRETPROBE_WRAP, /* same on the arch syscall wrappers, + exit tracepoint */
	NG_PATH_TRACEPOINT,    /* syscalls:sys_enter/exit_set_mempolicy */
	NG_PATH_RAW,           /* raw sys_enter/sys_exit filtered by syscall number */
	NG_PATH__COUNT,
};

/* How a kernel-function path sees calls denied by seccomp (they never reach the function). */
enum ng_denied_hook {
	NG_DENIED_NONE,    /* not at all */
	NG_DENIED_EXIT_TP, /* the sys_exit_set_mempolicy tracepoint: native ABI */
	NG_DENIED_SECCOMP, /* fexit on __secure_computing: every ABI */
};

/* What a path costs the syscalls it does not capture. */
enum ng_cost {
	NG_COST_NONE,     /* nothing: only set_mempolicy calls run a program */
	NG_COST_FILTERED, /* tasks with a seccomp filter: a check on each of their syscalls */
	NG_COST_SLOWPATH, /* every syscall of the host takes the syscall-tracepoint slow path */
	NG_COST_ALL,      /* every syscall of the host runs a filter program */
};

struct ng_coverage {
	bool native;
	bool compat;
	bool denied;        /* calls denied by seccomp (native ABI) */
	bool denied_compat; /* calls denied by seccomp through the compat ABI */
	enum ng_cost cost;
};

/*
 * 4 MiB: about 20,000 records of a host with up to 64 nodes (208 bytes each
 * in the ring), 50-70 ms of a tight set_mempolicy loop on one core. Its pages are mapped twice (the kernel's wrap-around mapping), so
 * it counts double in the sensor's RSS, which has a 32 MiB budget.
 */
#define NG_RINGBUF_DEFAULT (4u << 20)

/*
 * Called for every record; data is not aligned and is only valid during the
 * call. Return 0 to go on, or -EAGAIN to stop consuming after this record
 * (it was taken): the rest stays in the ring buffer for a later
 * ng_capture_consume().
 */
typedef int (*ng_record_cb)(const void *data, size_t len, void *ctx);

struct ng_capture_opts {
	enum ng_attach_req attach;
	ng_record_cb cb;
	void *ctx;
	size_t ringbuf_bytes; /* 0: NG_RINGBUF_DEFAULT; a power of two, multiple of the page size */
	FILE *log;            /* where the choice and each failed path's reason go; NULL: silent */
};

struct ng_capture;

/*
 * Open, load and attach. On failure returns a negative errno and, in err, one
 * line naming what is missing and what to do.
 */
int ng_capture_open(struct ng_capture **out, const struct ng_capture_opts *opts, char *err,
		    size_t errlen);

/* The path in use, its name ("kretprobe", …) and what it sees. */
enum ng_path ng_capture_path(const struct ng_capture *c);
const char *ng_path_name(enum ng_path p);
void ng_path_coverage(enum ng_path p, enum ng_denied_hook h, struct ng_coverage *cov);
/* The hook a kernel-function path runs with, as usual ("every syscall of the host …"). */
enum ng_denied_hook ng_path_denied_hook(enum ng_path p);
/* What the syscalls a path does not capture pay, as words. */
const char *ng_cost_text(enum ng_cost c);
/* The hook that sees denied calls alongside the path in use (NONE on tracepoint and raw). */
enum ng_denied_hook ng_capture_denied_hook(const struct ng_capture *c);

/* fd to wait on (epoll-able) for forced wakeups; records also arrive without one. */
int ng_capture_fd(const struct ng_capture *c);

/*
 * Deliver every record queued now. Returns the number delivered, -EAGAIN when
 * the callback asked to stop, or another negative errno.
 */
int ng_capture_consume(struct ng_capture *c);

/* Sum of the per-CPU counters, indexed by enum ng_counter. */
int ng_capture_counters(const struct ng_capture *c, uint64_t out[NG_CNT__MAX]);

/* Detach every program but keep the ring buffer, so what is queued can still be consumed. */
void ng_capture_detach(struct ng_capture *c);

void ng_capture_close(struct ng_capture *c);

/*
 * Try one path alone (load + attach + detach) for `probe`. Returns 0 when it
 * works, with the denied-call hook it got in *hook (and in why, the reason a
 * preferred hook was not had); else a negative errno with the kernel's
 * reason in why.
 */
int ng_capture_try(enum ng_path p, enum ng_denied_hook *hook, char *why, size_t whylen);

/*
 * Before anything else: can this process load BPF at all? Returns 0, or a
 * negative errno with one line naming what is missing (privileges, the bpf
 * syscall) and what to do.
 */
int ng_bpf_preflight(char *err, size_t errlen);

/* Make sure tracefs is mounted (mounting it at /sys/kernel/tracing if needed). */
int ng_tracefs_ensure(char *err, size_t errlen);

#endif
