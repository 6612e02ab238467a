// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rule engine throughput, measured in three separate stages so one cannot
 * hide another:
 *   engine  ng_engine_eval() over events already in memory (50 rules)
 *   parse   ng_event_parse() of the same events as JSON lines
 *   write   optionally, a JSONL file for timing `numaguard replay` end to end
 * and a count of heap allocations made while the engine evaluates (malloc,
 * calloc and realloc are wrapped at link time; glibc's mallinfo2() also
 * catches allocations made inside libc). The events are generated from a
 * fixed seed, so runs are comparable.
 *
 * Usage: bench-replay [--events N] [--rules FILE] [--write FILE] [--expect-no-alloc]
 *                     [--engine-only]   (skip the parse stage, e.g. to profile the engine)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_json.h"
#include "event_parse.h"
#include "fields.h"
#include "rules/engine.h"
#include "../../tests/rand.h"

static uint64_t allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
	allocs++;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	allocs++;
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	allocs++;
	return __real_realloc(p, n);
}

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
	return ng_test_rand(&state, n);
}

static const char *const names[] = { "numactl", "app", "java", "postgres", "mysqld", "python3",
				     "redis-server", "numad", "xmrig", "bash", "runc:[2:INIT]",
				     "stress-ng" };
static const char *const exes[] = { "/usr/bin/numactl", "/usr/bin/app", "/usr/lib/jvm/bin/java",
				    "/opt/db/bin/server", "/usr/sbin/mysqld", "/tmp/.x/xmrig" };

/*
 * Two event mixes. "typical": what a host mostly sees, NUMA tools and
 * runtimes doing their job (numactl's three calls, runc applying a
 * memoryPolicy, numad), 5% other callers. "alerting": every kind of caller
 * and mistake at once, so that most events raise an alert and alert
 * rendering and throttling dominate.
 */
static bool typical;

static void gen(struct ng_event *e, uint32_t i)
{
	memset(e, 0, sizeof(*e));
	e->time_ns = 1795832519000000000ull + (uint64_t)i * 1000000ull;
	strcpy(e->syscall, "set_mempolicy");
	uint32_t kind = rnd(100);
	e->mode = kind < 50 ? 2 : kind < 70 ? 3 : kind < 80 ? 1 : kind < 85 ? 5 : kind < 95 ? 0 : 9;
	e->flags = rnd(10) == 0 ? 1u << (13 + rnd(3)) : 0;
	e->mode_raw = (uint64_t)e->mode | e->flags;
	bool einval = e->mode == 9 || rnd(20) == 0;
	e->res = einval ? -22 : 0;
	strcpy(e->errno_name, einval ? "EINVAL" : "");
	e->blocked = rnd(50) == 0;
	if (e->blocked) {
		e->res = -1;
		strcpy(e->errno_name, "EPERM");
	}
	e->attach = e->blocked ? 3 : 1;
	if (e->mode != 0)
		ng_nodes_set(&e->nodes, rnd(4));
	e->maxnode = 1025;
	e->nodes_changed = rnd(1000) == 0;
	if (!einval) {
		e->effective_mode = e->mode;
		e->effective_nodes = e->nodes;
	}
	ng_nodes_set(&e->allowed_nodes, 0);
	ng_nodes_set(&e->allowed_nodes, 1);
	e->outside_allowed = (e->nodes.w[0] & ~3ull) != 0;

	e->pid = 1000 + rnd(5000);
	e->tid = e->pid;
	e->ppid = 1;
	e->vpid = rnd(8);
	strcpy(e->name, names[rnd(sizeof(names) / sizeof(names[0]))]);
	int tool = -1;
	if (typical && rnd(100) < 95) {
		static const char *const tools[] = { "numactl", "numad", "runc:[2:INIT]", "crun" };
		tool = (int)rnd(4);
		strcpy(e->name, tools[tool]);
		e->mode = 2;
		e->res = 0;
		e->flags = 0;
		e->mode_raw = 2;
		e->blocked = false;
		e->attach = 1;
		e->nodes_changed = false;
		strcpy(e->errno_name, "");
		memset(&e->nodes, 0, sizeof(e->nodes));
		ng_nodes_set(&e->nodes, rnd(2));
		e->effective_mode = 2;
		e->effective_nodes = e->nodes;
		e->outside_allowed = false; /* nodes 0 and 1 are allowed */
	}
	strcpy(e->pname, "bash");
	strcpy(e->exepath, exes[rnd(sizeof(exes) / sizeof(exes[0]))]);
	snprintf(e->cmdline, sizeof(e->cmdline), "%s --numa-%u --config /etc/app.conf", e->name,
		 rnd(8));
	if (typical && tool >= 0) {
		/* A tool runs from where its package puts it, with its usual arguments. */
		static const char *const texe[] = { "/usr/bin/numactl", "/usr/sbin/numad",
						    "/usr/sbin/runc", "/usr/bin/crun" };
		static const char *const targs[] = { "numactl --membind=", "numad -i 15 -K ",
						     "runc init ", "crun init " };
		strcpy(e->exepath, texe[tool]);
		snprintf(e->cmdline, sizeof(e->cmdline), "%s%u", targs[tool], rnd(2));
	}
	e->cap_effective = rnd(4) == 0 ? 1ull << 23 : 0;
	e->privileged = rnd(10) == 0;
	e->uid = e->euid = rnd(3) == 0 ? 0 : 1000 + rnd(50);
	if (typical && (strcmp(e->name, "numactl") == 0 || strcmp(e->name, "numad") == 0))
		e->uid = e->euid = 0;
	e->gid = 100;
	e->loginuid = e->uid;
	strcpy(e->user_name, "user");
	bool ctr = rnd(3) == 0;
	strcpy(e->container_id, ctr ? "4f1c2d3e4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"
				    : "host");
	e->runtime = ctr ? 1 + rnd(5) : 0;
	strcpy(e->cgroup, ctr ? "/system.slice/docker-4f1c.scope" : "/user.slice");
	e->ns_pid = e->ns_mnt = e->ns_user = e->ns_cgroup = 4026531836ull;
	for (int f = 0; f < NG_F__COUNT; f++)
		ng_event_set(e, (enum ng_field_id)f);
	if (einval) {
		ng_event_unset(e, NG_F_MPOL_EFFECTIVE_MODE);
		ng_event_unset(e, NG_F_MPOL_EFFECTIVE_NODES);
	}
	ng_event_unset(e, NG_F_K8S_POD_UID);
}

static double now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t alerts_seen;
static void count_alert(const struct ng_alert *a, void *ctx)
{
	alerts_seen++;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'n' },
		{ "rules", required_argument, NULL, 'r' },
		{ "write", required_argument, NULL, 'w' },
		{ "expect-no-alloc", no_argument, NULL, 'a' },
		{ "engine-only", no_argument, NULL, 'e' },
		{ 0 },
	};
	uint32_t n = 4000000;
	const char *rules = NULL, *write_path = NULL;
	bool expect_no_alloc = false, engine_only = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rules = optarg;
			break;
		case 'w':
			write_path = optarg;
			break;
		case 'a':
			expect_no_alloc = true;
			break;
		case 'e':
			engine_only = true;
			break;
		default:
			fprintf(stderr, "usage: bench-replay [--events N] [--rules FILE] "
					"[--write FILE] [--expect-no-alloc] [--engine-only]\n");
			return 2;
		}
	}
	if (engine_only && write_path) {
		fprintf(stderr, "bench-replay: --write needs the parse stage; drop --engine-only\n");
		return 2;
	}
	if (!rules) {
		const char *src = getenv("NUMAGUARD_SRCDIR");
		static char path[4096];
		snprintf(path, sizeof(path), "%s/bench/replay/rules-bench.yaml", src ? src : ".");
		rules = path;
	}
	struct ng_engine *eng = NULL;
	struct ng_engine_opts eo = { .paths = &rules, .npaths = 1 };
	if (ng_engine_load(&eng, &eo)) {
		fprintf(stderr, "bench-replay: cannot load %s\n", rules);
		return 2;
	}
	size_t nrules = ng_engine_rule_count(eng);
	/*
	 * A pool of distinct events, cycled, so that branch predictors cannot
	 * learn the sequence. The pool (16 MiB) does not stay in the caches
	 * near the core, but in replay and run the engine sees each event right
	 * after it was decoded into a buffer, so it is in cache. So events are
	 * copied, BATCH at a time, into a working array that fits in L2 (as
	 * decoding would leave them), and only the evaluation of each batch is
	 * timed (CLOCK_MONOTONIC, a vDSO call, once per batch). The engine on
	 * the pool in place (events cold in cache) is printed too.
	 */
	enum { POOL = 4096, BATCH = 64 };
	struct ng_event *ev = malloc(POOL * sizeof(*ev));
	struct ng_event *work = malloc(BATCH * sizeof(*work));
	if (!ev || !work || n == 0) {
		fprintf(stderr, "bench-replay: cannot allocate the event pool\n");
		return 2;
	}
	uint64_t eval_allocs = 0, t_base = 0;
	/* Pass p over the pool is p pool-lengths later in time (throttle windows). */
	const uint64_t pass_ns = 1000000ull * POOL;
	for (int mix = 0; mix < 2; mix++) {
		typical = mix == 0;
		state = 0x9e3779b97f4a7c15ull;
		for (uint32_t i = 0; i < POOL; i++)
			gen(&ev[i], i);
		/* Warm-up: the output buffer grows to its working size here. */
		for (uint32_t i = 0; i < POOL; i++)
			ng_engine_eval(eng, &ev[i], count_alert, NULL);
		t_base += pass_ns;

		alerts_seen = 0;
		struct mallinfo2 mi0 = mallinfo2();
		uint64_t a0 = allocs;
		double eng_s = 0;
		for (uint32_t i = 0; i < n; i += BATCH) {
			uint32_t k = n - i < BATCH ? n - i : BATCH;
			for (uint32_t j = 0; j < k; j++) {
				work[j] = ev[(i + j) % POOL];
				work[j].time_ns += t_base + pass_ns * ((i + j) / POOL);
			}
			double c0 = now(CLOCK_MONOTONIC);
			for (uint32_t j = 0; j < k; j++)
				ng_engine_eval(eng, &work[j], count_alert, NULL);
			eng_s += now(CLOCK_MONOTONIC) - c0;
		}
		t_base += pass_ns * (n / POOL + 1);
		eval_allocs += allocs - a0;
		struct mallinfo2 mi1 = mallinfo2();
		printf("engine (%s mix): %u events x %zu rules: %.3f s, %.0f events/s, "
		       "%.1f ns/event, %.2f%% alerted, %" PRIu64 " heap allocations, heap in use "
		       "%+zd bytes\n",
		       typical ? "typical" : "alerting", n, nrules, eng_s, n / eng_s,
		       eng_s * 1e9 / n, 100.0 * (double)alerts_seen / n, allocs - a0,
		       (ssize_t)(mi1.uordblks - mi0.uordblks));

		a0 = allocs;
		for (uint32_t i = 0; i < POOL; i++)
			ev[i].time_ns += t_base;
		double d0 = now(CLOCK_PROCESS_CPUTIME_ID);
		for (uint32_t i = 0; i < n; i++) {
			if (i && i % POOL == 0)
				for (uint32_t j = 0; j < POOL; j++)
					ev[j].time_ns += pass_ns;
			ng_engine_eval(eng, &ev[i % POOL], count_alert, NULL);
		}
		double cold_s = now(CLOCK_PROCESS_CPUTIME_ID) - d0;
		t_base += pass_ns * (n / POOL + 1);
		eval_allocs += allocs - a0;
		printf("  events cold in cache (the pool in place): %.0f events/s (%.1f ns/event)\n",
		       n / cold_s, cold_s * 1e9 / n);
	}
	struct ng_engine_stats est;
	ng_engine_get_stats(eng, &est);
	printf("engine stats: %" PRIu64 " events, %" PRIu64 " alerts, %" PRIu64
	       " suppressed by throttles, %" PRIu64 " keys evicted\n",
	       est.events, est.alerts, est.suppressed, est.key_evictions);

	/* The same events as JSON lines, then parsed back. */
	uint32_t np = engine_only ? 0 : n < 1000000 ? n : 1000000; /* JSON is ~1 KiB per event */
	struct ng_buf b = { 0 };
	size_t *off = malloc(((size_t)np + 1) * sizeof(*off));
	typical = true;
	for (uint32_t i = 0; i < np; i++) {
		struct ng_event e;
		gen(&e, i);
		off[i] = b.len;
		ng_event_json(&b, &e, "bench");
		ng_buf_putc(&b, '\n');
	}
	off[np] = b.len;
	if (!ng_buf_ok(&b)) {
		fprintf(stderr, "bench-replay: out of memory\n");
		return 2;
	}
	struct ng_event tmp;
	char err[256];
	double c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (uint32_t i = 0; i < np; i++)
		if (ng_event_parse(b.data + off[i], off[i + 1] - off[i] - 1, &tmp, err, sizeof(err))) {
			fprintf(stderr, "bench-replay: event %u does not parse: %s\n", i, err);
			return 1;
		}
	double c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	printf("parse: %u events, %.1f MiB of JSON: %.3f s cpu, %.0f events/s, %.0f MiB/s\n", np,
	       b.len / 1048576.0, c1 - c0, np / (c1 - c0), b.len / 1048576.0 / (c1 - c0));
	if (write_path) {
		FILE *f = fopen(write_path, "we");
		if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f)) {
			fprintf(stderr, "bench-replay: cannot write %s: %s\n", write_path,
				strerror(errno));
			return 2;
		}
		printf("wrote: %s (%u events, typical mix)\n", write_path, np);
	}
	ng_buf_free(&b);
	free(off);
	free(ev);
	free(work);
	ng_engine_free(eng);
	if (expect_no_alloc && eval_allocs) {
		fprintf(stderr, "bench-replay: the engine allocated %" PRIu64 " times while evaluating\n",
			eval_allocs);
		return 1;
	}
	return 0;
}
