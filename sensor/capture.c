// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "numaguard.skel.h"

#define TRACEFS "/sys/kernel/tracing"
#define INNER_FUNC "kernel_set_mempolicy"

struct ng_capture {
	struct numaguard_bpf *skel;
	struct ring_buffer *rb;
	enum ng_path path;
	enum ng_denied_hook denied;
	struct bpf_link *links[8];
	size_t nlinks;
	const struct ng_capture_opts *opts;
	ng_record_cb cb;
	void *ctx;
};

/* libbpf's own messages: the first one after a reset is kept so a failed path can say why. */
static char libbpf_last[512];

__attribute__((format(printf, 2, 0))) static int libbpf_log(enum libbpf_print_level level,
							    const char *fmt, va_list ap)
{
	bool debug = getenv("NUMAGUARD_DEBUG") != NULL;
	va_list ap2;

	/* NUMAGUARD_DEBUG=1: everything libbpf says, whole verifier logs included. */
	if (debug && fmt) {
		va_copy(ap2, ap);
		vfprintf(stderr, fmt, ap2);
		va_end(ap2);
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[256];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	/* The first message after a reset names the failing program and the kernel's errno. */
	const char *msg = strncmp(line, "libbpf: ", 8) == 0 ? line + 8 : line;
	if (n && !libbpf_last[0])
		snprintf(libbpf_last, sizeof(libbpf_last), "%s", msg);
	return 0;
}

static void init_libbpf(void)
{
	static bool done;
	if (!done) {
		libbpf_set_print(libbpf_log);
		done = true;
	}
}

const char *ng_path_name(enum ng_path p)
{
	switch (p) {
	case NG_PATH_KRETPROBE:
		return "kretprobe";
	case NG_PATH_KRETPROBE_WRAP:
		return "kretprobe-wrapper";
	case NG_PATH_FEXIT:
		return "fexit";
	case NG_PATH_TRACEPOINT:
		return "tracepoint";
	case NG_PATH_RAW:
		return "raw";
	default:
		return "?";
	}
}

enum ng_denied_hook ng_path_denied_hook(enum ng_path p)
{
	/*
	 * A kretprobe on __secure_computing would run on every syscall of every
	 * task with a filter (most services and all containers), and a
	 * kretprobe costs far more than the tracepoint's slow path: the kprobe
	 * paths keep the tracepoint. An fexit is a direct call.
	 */
	if (p == NG_PATH_FEXIT)
		return NG_DENIED_SECCOMP;
	if (p == NG_PATH_KRETPROBE || p == NG_PATH_KRETPROBE_WRAP)
		return NG_DENIED_EXIT_TP;
	return NG_DENIED_NONE;
}

const char *ng_cost_text(enum ng_cost c)
{
	switch (c) {
	case NG_COST_FILTERED:
		return "each syscall of a task with a seccomp filter pays a check";
	case NG_COST_SLOWPATH:
		return "every syscall of the host takes the syscall-tracepoint slow path";
	case NG_COST_ALL:
		return "every syscall of the host runs a filter program";
	default:
		return "no cost outside set_mempolicy";
	}
}

void ng_path_coverage(enum ng_path p, enum ng_denied_hook h, struct ng_coverage *cov)
{
	*cov = (struct ng_coverage){ 0 };
	switch (p) {
	case NG_PATH_KRETPROBE:
	case NG_PATH_KRETPROBE_WRAP: /* both __x64_ and __ia32_ wrappers are probed */
	case NG_PATH_FEXIT:
		cov->native = cov->compat = true;
		cov->denied = h != NG_DENIED_NONE;
		/* The exit tracepoint, like every syscall tracepoint, skips compat calls. */
		cov->denied_compat = h == NG_DENIED_SECCOMP;
		cov->cost = h == NG_DENIED_SECCOMP ? NG_COST_FILTERED :
			    h == NG_DENIED_EXIT_TP ? NG_COST_SLOWPATH : NG_COST_NONE;
		break;
	case NG_PATH_TRACEPOINT:
		/* Syscall tracepoints skip compat calls (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS). */
		cov->native = cov->denied = true;
		cov->cost = NG_COST_SLOWPATH;
		break;
	case NG_PATH_RAW:
		cov->native = cov->compat = cov->denied = cov->denied_compat = true;
		cov->cost = NG_COST_ALL;
		break;
	default:
		break;
	}
}

int ng_bpf_preflight(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	if (syscall(SYS_capget, &hdr, data) != 0) {
		int e = errno;
		snprintf(err, errlen, "reading this process's capabilities failed: %s", strerror(e));
		return -e;
	}
	uint64_t eff = data[0].effective | (uint64_t)data[1].effective << 32;
	bool admin = eff >> CAP_SYS_ADMIN & 1;
	bool bpf = admin || (eff >> 39 & 1); /* CAP_BPF */
	bool perfmon = admin || (eff >> 38 & 1); /* CAP_PERFMON */
	if (!bpf || !perfmon) {
		snprintf(err, errlen,
			 "loading BPF programs needs root (CAP_BPF and CAP_PERFMON, or "
			 "CAP_SYS_ADMIN), and this process lacks %s%s%s; run as root",
			 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
			 perfmon ? "" : "CAP_PERFMON");
		return -EPERM;
	}
	/* An invalid command: EINVAL means the syscall exists, ENOSYS that BPF is compiled out. */
	if (syscall(SYS_bpf, -1, NULL, 0) < 0 && errno == ENOSYS) {
		snprintf(err, errlen, "this kernel has no bpf() system call (CONFIG_BPF_SYSCALL off)");
		return -ENOSYS;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		snprintf(err, errlen,
			 "this kernel has no BPF ring buffer (needs Linux 5.8 or later)");
		return -EOPNOTSUPP;
	}
	return 0;
}

int ng_tracefs_ensure(char *err, size_t errlen)
{
	struct stat st;
	if (stat(TRACEFS "/events", &st) == 0 || stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return 0;
	if (stat(TRACEFS, &st) != 0) {
		snprintf(err, errlen,
			 "tracefs mount point %s does not exist: the kernel has no tracefs "
			 "(CONFIG_TRACING off?)", TRACEFS);
		return -ENOENT;
	}
	if (mount("tracefs", TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
		int e = errno;
		snprintf(err, errlen,
			 "tracefs is not mounted and could not be mounted at %s: %s; run as root",
			 TRACEFS, strerror(e));
		return -e;
	}
	return 0;
}

/* Whether a kernel symbol is in /proc/kallsyms as a function (t/T). */
static bool ksym_exists(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512];
	size_t n = strlen(name);
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "ffffffff816747b0 t kernel_set_mempolicy\n" (modules add "\t[mod]") */
		char *sp = strchr(line, ' ');
		if (!sp || (sp[1] != 't' && sp[1] != 'T') || sp[2] != ' ')
			continue;
		char *sym = sp + 3;
		found = strncmp(sym, name, n) == 0 && (sym[n] == '\n' || sym[n] == '\t' || !sym[n]);
	}
	fclose(f);
	return found;
}

static bool kprobes_supported(void)
{
	struct stat st;
	return stat("/sys/bus/event_source/devices/kprobe/type", &st) == 0 ||
	       stat(TRACEFS "/kprobe_events", &st) == 0 ||
	       stat("/sys/kernel/debug/tracing/kprobe_events", &st) == 0;
}

static void set_only(struct numaguard_bpf *s, struct bpf_program *const *on, size_t n)
{
	struct bpf_program *p;
	bpf_object__for_each_program(p, s->obj)
	{
		bool want = false;
		for (size_t i = 0; i < n; i++)
			want |= on[i] == p;
		bpf_program__set_autoload(p, want);
	}
}

static int add_link(struct ng_capture *c, struct bpf_link *l, const char *what, char *why,
		    size_t whylen)
{
	if (!l) {
		int e = errno ? errno : EINVAL;
		snprintf(why, whylen, "attaching %s failed: %s%s%s", what, strerror(e),
			 libbpf_last[0] ? " (libbpf: " : "", libbpf_last[0] ? libbpf_last : "");
		if (libbpf_last[0])
			strncat(why, ")", whylen - strlen(why) - 1);
		return -e;
	}
	c->links[c->nlinks++] = l;
	return 0;
}

static void unlink_all(struct ng_capture *c)
{
	for (size_t i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	c->nlinks = 0;
}

static void detach(struct ng_capture *c)
{
	unlink_all(c);
	numaguard_bpf__destroy(c->skel);
	c->skel = NULL;
}

/*
 * Whether the kernel takes fentry programs at all, asked with the smallest
 * one: loading the whole fexit path first would verify the large exit
 * programs only to be refused (EPERM on kernels that block trampolines), and
 * verification is most of the sensor's start-up time.
 */
static int probe_trampolines(char *why, size_t whylen)
{
	struct numaguard_bpf *s = numaguard_bpf__open();
	int err;

	if (!s) {
		err = -errno;
		snprintf(why, whylen, "opening the BPF object failed: %s", strerror(-err));
		return err;
	}
	struct bpf_program *only = s->progs.fentry_inner;
	set_only(s, &only, 1);
	err = numaguard_bpf__load(s);
	if (err)
		snprintf(why, whylen, "the kernel refused to load the fexit programs: %s%s%s%s",
			 strerror(-err), libbpf_last[0] ? " (libbpf: " : "", libbpf_last,
			 libbpf_last[0] ? ")" : "");
	numaguard_bpf__destroy(s);
	libbpf_last[0] = '\0';
	return err;
}

/*
 * Open, load and attach the programs of one path into c, with `hook` for
 * the calls seccomp denies on a kernel-function path. The exit tracepoint,
 * as that hook, joins when it attaches; without it those paths still work,
 * but denied calls are not seen.
 */
static int attach_path(struct ng_capture *c, enum ng_path p, enum ng_denied_hook hook,
		       size_t rb_bytes, char *why, size_t whylen)
{
	struct numaguard_bpf *s;
	int err;
	char tperr[256] = "";

	libbpf_last[0] = '\0';
	c->path = p;
	c->denied = NG_DENIED_NONE;

	if (p == NG_PATH_KRETPROBE || p == NG_PATH_KRETPROBE_WRAP) {
		if (!kprobes_supported()) {
			snprintf(why, whylen,
				 "the kernel has no kprobe support (CONFIG_KPROBES off: no kprobe "
				 "PMU in /sys/bus/event_source/devices and no kprobe_events)");
			return -EOPNOTSUPP;
		}
		if (p == NG_PATH_KRETPROBE && !ksym_exists(INNER_FUNC)) {
			snprintf(why, whylen, "%s is not in /proc/kallsyms (inlined in this build)",
				 INNER_FUNC);
			return -ENOENT;
		}
		if (p == NG_PATH_KRETPROBE_WRAP && !ksym_exists("__x64_sys_set_mempolicy") &&
		    !ksym_exists("__arm64_sys_set_mempolicy")) {
			snprintf(why, whylen, "no arch syscall wrapper for set_mempolicy in /proc/kallsyms");
			return -ENOENT;
		}
	}
	bool want_tp_exit = p == NG_PATH_TRACEPOINT || hook == NG_DENIED_EXIT_TP;
	if (want_tp_exit) {
		err = ng_tracefs_ensure(tperr, sizeof(tperr));
		if (err && p == NG_PATH_TRACEPOINT) {
			snprintf(why, whylen, "%s", tperr);
			return err;
		}
	}

	s = numaguard_bpf__open();
	if (!s) {
		err = -errno;
		snprintf(why, whylen, "opening the BPF object failed: %s", strerror(-err));
		return err;
	}
	c->skel = s;

	struct bpf_program *progs[4];
	size_t n = 0;
	switch (p) {
	case NG_PATH_KRETPROBE:
		progs[n++] = s->progs.kp_enter;
		progs[n++] = s->progs.kp_exit;
		break;
	case NG_PATH_KRETPROBE_WRAP:
		progs[n++] = s->progs.kp_enter_wrapper;
		progs[n++] = s->progs.kp_exit;
		break;
	case NG_PATH_FEXIT:
		progs[n++] = s->progs.fentry_inner;
		progs[n++] = s->progs.fexit_inner;
		if (hook == NG_DENIED_SECCOMP)
			progs[n++] = s->progs.fexit_seccomp;
		break;
	case NG_PATH_TRACEPOINT:
		progs[n++] = s->progs.tp_enter;
		break;
	case NG_PATH_RAW:
		progs[n++] = s->progs.raw_enter;
		progs[n++] = s->progs.raw_exit;
		break;
	default:
		break;
	}
	if (want_tp_exit)
		progs[n++] = s->progs.tp_exit;
	set_only(s, progs, n);

	/* With the exit tracepoint beside a function exit, the tracepoint clears each entry. */
	s->rodata->cfg_exit_tp_blocked_only = p != NG_PATH_TRACEPOINT && want_tp_exit;
	s->rodata->cfg_wakeup_bytes = rb_bytes / 4;
	bpf_map__set_max_entries(s->maps.ng_events, (__u32)rb_bytes);

	err = numaguard_bpf__load(s);
	if (err) {
		snprintf(why, whylen, "the kernel refused to load the %s programs: %s%s%s%s",
			 ng_path_name(p), strerror(-err), libbpf_last[0] ? " (libbpf: " : "",
			 libbpf_last, libbpf_last[0] ? ")" : "");
		goto fail;
	}

	switch (p) {
	case NG_PATH_KRETPROBE:
		err = add_link(c, bpf_program__attach_kprobe(s->progs.kp_enter, false, INNER_FUNC),
			       "kprobe on " INNER_FUNC, why, whylen);
		if (!err)
			err = add_link(c, bpf_program__attach_kprobe(s->progs.kp_exit, true, INNER_FUNC),
				       "kretprobe on " INNER_FUNC, why, whylen);
		break;
	case NG_PATH_KRETPROBE_WRAP: {
		static const char *const wrappers[] = { "__x64_sys_set_mempolicy",
							"__ia32_sys_set_mempolicy",
							"__arm64_sys_set_mempolicy",
							"__arm64_compat_sys_set_mempolicy" };
		size_t attached = 0;
		for (size_t i = 0; i < 4 && !err; i++) {
			if (!ksym_exists(wrappers[i]))
				continue;
			err = add_link(c,
				       bpf_program__attach_kprobe(s->progs.kp_enter_wrapper, false,
								  wrappers[i]),
				       wrappers[i], why, whylen);
			if (!err)
				err = add_link(c,
					       bpf_program__attach_kprobe(s->progs.kp_exit, true,
									  wrappers[i]),
					       wrappers[i], why, whylen);
			attached++;
		}
		if (!attached && !err) {
			snprintf(why, whylen, "no syscall wrapper to probe");
			err = -ENOENT;
		}
		break;
	}
	case NG_PATH_FEXIT:
		err = add_link(c, bpf_program__attach(s->progs.fentry_inner), "fentry on " INNER_FUNC,
			       why, whylen);
		if (!err)
			err = add_link(c, bpf_program__attach(s->progs.fexit_inner),
				       "fexit on " INNER_FUNC, why, whylen);
		if (!err && hook == NG_DENIED_SECCOMP) {
			err = add_link(c, bpf_program__attach(s->progs.fexit_seccomp),
				       "fexit on __secure_computing", why, whylen);
			if (!err)
				c->denied = NG_DENIED_SECCOMP;
		}
		break;
	case NG_PATH_TRACEPOINT:
		err = add_link(c, bpf_program__attach(s->progs.tp_enter),
			       "tracepoint syscalls:sys_enter_set_mempolicy", why, whylen);
		break;
	case NG_PATH_RAW:
		err = add_link(c, bpf_program__attach(s->progs.raw_enter), "raw tracepoint sys_enter",
			       why, whylen);
		if (!err)
			err = add_link(c, bpf_program__attach(s->progs.raw_exit),
				       "raw tracepoint sys_exit", why, whylen);
		break;
	default:
		err = -EINVAL;
	}
	if (err)
		goto fail;

	if (want_tp_exit) {
		char tpwhy[256];
		int e = add_link(c, bpf_program__attach(s->progs.tp_exit),
				 "tracepoint syscalls:sys_exit_set_mempolicy", tpwhy, sizeof(tpwhy));
		if (e && p == NG_PATH_TRACEPOINT) {
			snprintf(why, whylen, "%s", tpwhy);
			err = e;
			goto fail;
		}
		if (p != NG_PATH_TRACEPOINT)
			c->denied = e ? NG_DENIED_NONE : NG_DENIED_EXIT_TP;
		if (e && c->opts && c->opts->log)
			fprintf(c->opts->log,
				"numaguard: exit tracepoint unavailable (%s): calls denied by seccomp "
				"will not be seen\n", tpwhy);
	}
	return 0;
fail:
	detach(c);
	return err;
}

/*
 * Attach path p with its preferred denied-call hook, falling back to the
 * exit tracepoint when fexit on __secure_computing cannot be had (the
 * function is not in BTF, or the kernel refuses that attach point); note
 * says why, empty when nothing was given up.
 */
static int try_path(struct ng_capture *c, enum ng_path p, size_t rb_bytes, char *why,
		    size_t whylen, char *note, size_t notelen)
{
	enum ng_denied_hook hook = ng_path_denied_hook(p);
	int err;

	note[0] = '\0';
	if (p == NG_PATH_FEXIT) {
		err = probe_trampolines(why, whylen);
		if (err)
			return err;
	}
	err = attach_path(c, p, hook, rb_bytes, why, whylen);
	if (err && hook == NG_DENIED_SECCOMP) {
		snprintf(note, notelen, "fexit on __secure_computing unavailable (%s): calls denied "
			 "by seccomp are seen through the exit tracepoint (native ABI only), which puts "
			 "every syscall of the host on the slow path", why);
		err = attach_path(c, p, NG_DENIED_EXIT_TP, rb_bytes, why, whylen);
	}
	return err;
}

static int on_sample(void *ctx, void *data, size_t len)
{
	struct ng_capture *c = ctx;
	return c->cb(data, len, c->ctx);
}

int ng_capture_open(struct ng_capture **out, const struct ng_capture_opts *opts, char *err,
		    size_t errlen)
{
	struct ng_capture *c = calloc(1, sizeof(*c));
	size_t rb = opts->ringbuf_bytes ? opts->ringbuf_bytes : NG_RINGBUF_DEFAULT;
	char why[NG_PATH__COUNT][384];
	int r = -ENOENT;

	if (!c)
		return -ENOMEM;
	init_libbpf();
	c->opts = opts;
	c->cb = opts->cb;
	c->ctx = opts->ctx;

	enum ng_path order[NG_PATH__COUNT];
	size_t norder = 0;
	switch (opts->attach) {
	case NG_REQ_AUTO:
		/*
		 * Most coverage at the least cost first: fexit sees every ABI, denied
		 * calls included, and taxes only tasks with a seccomp filter; the
		 * kprobe paths see every ABI but put every syscall on the slow path
		 * for denied native calls; the syscall tracepoints also miss compat
		 * calls; raw sees everything but runs a filter on every syscall, so
		 * it is the last resort.
		 */
		order[norder++] = NG_PATH_FEXIT;
		order[norder++] = NG_PATH_KRETPROBE;
		order[norder++] = NG_PATH_KRETPROBE_WRAP;
		order[norder++] = NG_PATH_TRACEPOINT;
		order[norder++] = NG_PATH_RAW;
		break;
	case NG_REQ_KRETPROBE:
		order[norder++] = NG_PATH_KRETPROBE;
		order[norder++] = NG_PATH_KRETPROBE_WRAP;
		break;
	case NG_REQ_FEXIT:
		order[norder++] = NG_PATH_FEXIT;
		break;
	case NG_REQ_TRACEPOINT:
		order[norder++] = NG_PATH_TRACEPOINT;
		break;
	case NG_REQ_RAW:
		order[norder++] = NG_PATH_RAW;
		break;
	}

	size_t i;
	for (i = 0; i < norder; i++) {
		why[i][0] = '\0';
		char note[640];
		r = try_path(c, order[i], rb, why[i], sizeof(why[i]), note, sizeof(note));
		if (r == 0) {
			if (note[0] && opts->log)
				fprintf(opts->log, "numaguard: %s\n", note);
			break;
		}
	}
	if (r != 0) {
		size_t off = (size_t)snprintf(err, errlen, "no capture path could be attached:");
		for (size_t j = 0; j < norder && off < errlen; j++)
			off += (size_t)snprintf(err + off, errlen - off, "%s %s: %s", j ? ";" : "",
						ng_path_name(order[j]), why[j]);
		free(c);
		return r;
	}
	if (opts->log) {
		for (size_t j = 0; j < i; j++)
			fprintf(opts->log, "numaguard: attach %s: not available: %s\n",
				ng_path_name(order[j]), why[j]);
	}

	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.ng_events), on_sample, c, NULL);
	if (!c->rb) {
		r = -errno;
		snprintf(err, errlen, "creating the ring buffer reader failed: %s", strerror(-r));
		detach(c);
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

enum ng_path ng_capture_path(const struct ng_capture *c)
{
	return c->path;
}

enum ng_denied_hook ng_capture_denied_hook(const struct ng_capture *c)
{
	return c->denied;
}

int ng_capture_fd(const struct ng_capture *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int ng_capture_consume(struct ng_capture *c)
{
	return ring_buffer__consume(c->rb);
}

int ng_capture_counters(const struct ng_capture *c, uint64_t out[NG_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return -EINVAL;
	uint64_t *vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	int fd = bpf_map__fd(c->skel->maps.ng_counters);
	for (uint32_t k = 0; k < NG_CNT__MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals) == 0)
			for (int i = 0; i < ncpu; i++)
				out[k] += vals[i];
	}
	free(vals);
	return 0;
}

void ng_capture_detach(struct ng_capture *c)
{
	/*
	 * Destroying a tracepoint or kprobe link waits for programs already
	 * running (RCU), so once this returns every record is either submitted
	 * or never reserved.
	 */
	unlink_all(c);
}

void ng_capture_close(struct ng_capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	detach(c);
	free(c);
}

int ng_capture_try(enum ng_path p, enum ng_denied_hook *hook, char *why, size_t whylen)
{
	struct ng_capture c = { 0 };
	char note[640];
	init_libbpf();
	why[0] = '\0';
	int r = try_path(&c, p, 1u << 16, why, whylen, note, sizeof(note));
	*hook = ng_path_denied_hook(p);
	if (r == 0) {
		*hook = c.denied;
		if (note[0])
			snprintf(why, whylen, "%s", note);
		else if (c.denied == NG_DENIED_NONE && ng_path_denied_hook(p) != NG_DENIED_NONE)
			snprintf(why, whylen, "attached, but calls denied by seccomp will not be seen");
		detach(&c);
	}
	return r;
}
