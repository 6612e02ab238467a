// SPDX-License-Identifier: LGPL-2.1-or-later
/* Evaluation: every operator on every field type, absent fields, alerts, throttle, threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rules-test.h"
#include "rules/cond_parse.h"
#include "rules/program.h"
#include "../rand.h"

static struct ng_event ev;

/* 1 when the condition matches ev, 0 when not, -1 when the rule does not load. */
static int eval_cond(const char *cond)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: |-\n    %s\n",
		 cond);
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	int r = load_text(&eng, text, &d);
	if (r) {
		dump_diags(&d);
		ng_diags_free(&d);
		return -1;
	}
	ng_diags_free(&d);
	unsigned n = ng_engine_eval(eng, &ev, NULL, NULL);
	ng_engine_free(eng);
	return n ? 1 : 0;
}

#define T(c) assert_int_equal(eval_cond(c), 1)
#define F(c) assert_int_equal(eval_cond(c), 0)
#define BAD(c) assert_int_equal(eval_cond(c), -1)

static int setup(void **state)
{
	full_event(&ev);
	return 0;
}

static void signed_int(void **state)
{
	T("evt.res = -22");
	F("evt.res = 22");
	T("evt.res != 0");
	F("evt.res != -22");
	T("evt.res < 0");
	F("evt.res < -22");
	T("evt.res <= -22");
	T("evt.res > -23");
	F("evt.res > -22");
	T("evt.res >= -22");
	T("evt.res in (0, -22, -1)");
	F("evt.res in (0, -1)");
	T("evt.res == -22");
	BAD("evt.res contains 2");
	BAD("evt.res intersects (1)");
	BAD("evt.res glob 2*");
	BAD("evt.res = abc");
}

static void unsigned_int(void **state)
{
	T("proc.pid = 4242");
	T("proc.pid != 1");
	T("proc.pid < 5000 and proc.pid > 4000 and proc.pid <= 4242 and proc.pid >= 4242");
	F("proc.pid < 4242");
	T("proc.pid in (1, 4242)");
	F("proc.pid in (1, 2)");
	T("proc.pid = 0x1092");
	BAD("proc.pid = -1");
	BAD("proc.pid = 4294967296");
	BAD("proc.pid startswith 4");
	T("mpol.maxnode = 1025");
	T("mpol.maxnode > 1024");
	T("mpol.mode_raw = 32770");
	T("ns.pid = 4026531836");
	T("ns.pid > 4026531835");
	T("user.uid = 1000 and user.euid = 1000 and user.gid = 100 and user.loginuid = 1000");
	T("proc.tid = 4243 and proc.ppid = 1 and proc.vpid = 7");
}

static void time_field(void **state)
{
	T("evt.time = 1795832519123456789");
	T("evt.time = \"2026-11-28T02:21:59.123456789Z\"");
	T("evt.time > 2026-11-28T02:21:59Z");
	F("evt.time < 2026-11-28T02:21:59Z");
	T("evt.time in (1, 1795832519123456789)");
	BAD("evt.time = yesterday");
	BAD("evt.time contains 1");
}

static void boolean(void **state)
{
	T("evt.blocked = false");
	F("evt.blocked = true");
	T("evt.blocked != true");
	T("not evt.blocked");
	T("proc.privileged");
	T("mpol.outside_allowed = TRUE");
	F("mpol.nodes_changed");
	T("evt.compat = 0");
	BAD("evt.blocked < true");
	BAD("evt.blocked = maybe");
	BAD("evt.blocked in (true)");
	BAD("evt.blocked contains true");
}

static void string(void **state)
{
	T("proc.name = NumaCtl");
	F("proc.name = numactl");
	F("proc.name = NumaCt");
	F("proc.name = NumaCtlX");
	T("proc.name != numactl");
	T("proc.name in (numad, NumaCtl)");
	F("proc.name in (numad, numactl)");
	T("proc.name contains maC");
	F("proc.name contains mac");
	T("proc.name icontains MACT");
	F("proc.name icontains numad");
	T("proc.exepath startswith /usr/bin/");
	F("proc.exepath startswith /usr/sbin/");
	T("proc.exepath endswith /numactl");
	F("proc.exepath endswith numad");
	T("proc.exepath glob /usr/*/numa*");
	T("proc.exepath glob '/usr/bin/numact?'");
	T("proc.exepath glob /usr/bin/[mn]umactl");
	F("proc.exepath glob /usr/bin/[!n]umactl");
	F("proc.exepath glob /usr/*/numad");
	T("proc.cmdline contains \"--membind=0\"");
	T("proc.cmdline = 'numactl --membind=0 true'");
	T("evt.syscall = set_mempolicy and evt.errno = EINVAL");
	T("container.id = host and user.name = alice and proc.pname = bash");
	T("container.cgroup startswith /system.slice/ and k8s.pod.uid = ''");
	BAD("proc.name < a");
	BAD("proc.name intersects (a)");
	BAD("proc.name exists 1");
}

static void mode(void **state)
{
	T("mpol.mode = MPOL_BIND");
	T("mpol.mode = 2");
	F("mpol.mode = MPOL_INTERLEAVE");
	T("mpol.mode != MPOL_DEFAULT");
	T("mpol.mode in (MPOL_INTERLEAVE, MPOL_BIND)");
	F("mpol.mode in (MPOL_INTERLEAVE, 6)");
	T("mpol.mode < MPOL_INTERLEAVE");
	T("mpol.mode >= MPOL_BIND");
	F("mpol.mode > MPOL_BIND");
	T("mpol.effective_mode = MPOL_BIND");
	BAD("mpol.mode = MPOL_BIN");
	BAD("mpol.mode = bind");
	BAD("mpol.mode contains MPOL_BIND");
	ev.mode = 9; /* unknown modes compare as numbers */
	T("mpol.mode = 9 and mpol.mode >= 7");
	ev.mode = 2;
}

static void enumeration(void **state)
{
	T("container.runtime = docker");
	F("container.runtime = podman");
	T("container.runtime != host");
	T("container.runtime in (podman, docker)");
	T("container.runtime = 1");
	T("evt.attach = kretprobe");
	T("evt.attach in (fexit, kretprobe)");
	BAD("container.runtime = dockr");
	BAD("container.runtime < docker");
	BAD("evt.attach contains k");
}

static void flags(void **state)
{
	T("mpol.flags contains MPOL_F_STATIC_NODES");
	F("mpol.flags contains MPOL_F_RELATIVE_NODES");
	T("mpol.flags intersects (MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES)");
	F("mpol.flags intersects (MPOL_F_RELATIVE_NODES, MPOL_F_NUMA_BALANCING)");
	T("mpol.flags in (MPOL_F_STATIC_NODES, MPOL_F_RELATIVE_NODES)");
	F("mpol.flags in (MPOL_F_RELATIVE_NODES)");
	T("mpol.flags contains 15");
	T("proc.cap_effective contains CAP_SYS_NICE");
	F("proc.cap_effective contains CAP_SYS_PTRACE");
	T("proc.cap_effective intersects (CAP_SYS_PTRACE, CAP_SYS_ADMIN)");
	T("proc.cap_effective in (CAP_SYS_NICE, CAP_SYS_ADMIN, CAP_BPF)");
	F("proc.cap_effective in (CAP_SYS_NICE)");
	BAD("mpol.flags contains MPOL_F_STATIC");
	BAD("proc.cap_effective contains CAP_NICE");
	BAD("mpol.flags = MPOL_F_STATIC_NODES");
	BAD("mpol.flags contains 64");
	BAD("proc.cap_effective startswith CAP");
	ev.flags = 0; /* the empty set is a subset of anything and intersects nothing */
	T("mpol.flags in (MPOL_F_STATIC_NODES)");
	T("mpol.flags in ()");
	F("mpol.flags intersects (MPOL_F_STATIC_NODES)");
	ev.flags = 1u << 15;
}

static void nodes(void **state)
{
	T("mpol.nodes contains 65");
	F("mpol.nodes contains 1");
	T("mpol.nodes intersects (1, 65)");
	F("mpol.nodes intersects (1, 2, 1023)");
	T("mpol.nodes in (0, 65, 100)");
	F("mpol.nodes in (0, 1)");
	T("mpol.effective_nodes in (0) and mpol.effective_nodes contains 0");
	T("mpol.allowed_nodes intersects (1) and not mpol.allowed_nodes contains 2");
	BAD("mpol.nodes contains 1024");
	BAD("mpol.nodes contains -1");
	BAD("mpol.nodes contains zero");
	BAD("mpol.nodes < 3");
	BAD("mpol.nodes = 0");
	BAD("mpol.nodes glob 0");
}

static void absent_fields(void **state)
{
	ng_event_unset(&ev, NG_F_PROC_NAME);
	ng_event_unset(&ev, NG_F_MPOL_NODES);
	ng_event_unset(&ev, NG_F_PROC_PID);
	ng_event_unset(&ev, NG_F_EVT_BLOCKED);
	/* Every comparison on an absent field is false, whatever the operator. */
	F("proc.name = NumaCtl");
	F("proc.name != x");
	F("proc.name in (NumaCtl)");
	F("proc.name contains a");
	F("proc.name glob *");
	F("mpol.nodes in (0, 65)");
	F("mpol.nodes in ()");
	F("mpol.nodes contains 0");
	F("proc.pid != 1");
	F("proc.pid >= 0");
	F("evt.blocked = false");
	F("evt.blocked");
	/* ...so its negation is true, and exists tells absent from present. */
	T("not proc.name = x");
	T("not evt.blocked");
	F("proc.name exists");
	T("not proc.name exists");
	T("proc.tid exists");
	full_event(&ev);
}

static void logic(void **state)
{
	T("proc.pid = 1 or proc.pid = 4242");
	F("proc.pid = 1 and proc.pid = 4242");
	T("not (proc.pid = 1 or proc.pid = 2)");
	/* and binds tighter than or */
	T("proc.pid = 4242 or proc.pid = 1 and proc.pid = 2");
	F("(proc.pid = 4242 or proc.pid = 1) and proc.pid = 2");
	T("not not proc.pid = 4242");
	T("((((proc.pid = 4242))))");
}

static void macros_and_lists(void **state)
{
	const char *text = "- list: tools\n  items: [numad, NumaCtl]\n"
			   "- list: more\n  items: [tools, x]\n"
			   "- macro: is_tool\n  condition: proc.name in (more)\n"
			   "- macro: outer\n  condition: is_tool and proc.pid = 4242\n"
			   "- rule: r\n  desc: d\n  output: o\n  priority: info\n"
			   "  condition: outer and not proc.name in (x)\n";
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, text, &d), 0);
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 1);
	strcpy(ev.name, "x");
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	full_event(&ev);
	ng_engine_free(eng);
	ng_diags_free(&d);
}

struct capture {
	unsigned n;
	char output[8][512];
	char rule_id[8][32];
	uint64_t suppressed[8];
	uint64_t time[8];
	size_t nfields[8];
	enum ng_field_id fields[8][8];
	bool kill[8];
	unsigned version[8];
	size_t ntags[8];
	enum ng_priority prio[8];
};

static void capture_cb(const struct ng_alert *a, void *p)
{
	struct capture *c = p;
	if (c->n >= 8)
		return;
	snprintf(c->output[c->n], sizeof(c->output[0]), "%s", a->output);
	snprintf(c->rule_id[c->n], sizeof(c->rule_id[0]), "%s", a->rule_id);
	c->suppressed[c->n] = a->suppressed;
	c->time[c->n] = a->time_ns;
	c->nfields[c->n] = a->nfields;
	for (size_t i = 0; i < a->nfields && i < 8; i++)
		c->fields[c->n][i] = a->fields[i];
	c->kill[c->n] = a->kill_requested;
	c->version[c->n] = a->rule_version;
	c->ntags[c->n] = a->ntags;
	c->prio[c->n] = a->priority;
	assert_string_equal(a->source, "numaguard");
	assert_ptr_equal(a->evt, &ev);
	c->n++;
}

static void alerts_fire_in_file_order(void **state)
{
	const char *text =
		"- rule: first\n  id: T-1\n  version: 3\n  desc: d\n  priority: Critical\n"
		"  tags: [a, b]\n  actions: [alert, kill]\n"
		"  condition: proc.pid = 4242\n"
		"  output: \"pid=%proc.pid nodes=%mpol.nodes flags=%mpol.flags mode=%mpol.mode "
		"t=%evt.time caps=%proc.cap_effective 100%% %proc.pid. <%k8s.pod.uid>\"\n"
		"- rule: off\n  id: T-2\n  desc: d\n  priority: info\n  output: o\n"
		"  condition: proc.pid = 4242\n  enabled: false\n"
		"- rule: second\n  id: T-3\n  desc: d\n  priority: debug\n  output: \"%proc.name%user.name\"\n"
		"  condition: proc.name exists\n";
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, text, &d), 0);
	struct capture c = { 0 };
	ng_event_unset(&ev, NG_F_K8S_POD_UID);
	assert_int_equal(ng_engine_eval(eng, &ev, capture_cb, &c), 2);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.rule_id[0], "T-1");
	assert_string_equal(c.rule_id[1], "T-3");
	assert_string_equal(c.output[0],
			    "pid=4242 nodes=[0,65] flags=[MPOL_F_STATIC_NODES] mode=MPOL_BIND "
			    "t=2026-11-28T02:21:59.123456789Z caps=[CAP_SYS_ADMIN,CAP_SYS_NICE] "
			    "100% 4242. <<NA>>");
	assert_string_equal(c.output[1], "NumaCtlalice");
	assert_true(c.time[0] == ev.time_ns);
	assert_true(c.kill[0]);
	assert_false(c.kill[1]);
	assert_int_equal(c.version[0], 3);
	assert_int_equal(c.version[1], 1);
	assert_int_equal(c.ntags[0], 2);
	assert_int_equal(c.prio[0], NG_PRIO_CRITICAL);
	assert_int_equal(c.prio[1], NG_PRIO_DEBUG);
	/* output_fields: distinct fields in template order */
	assert_int_equal(c.nfields[0], 7);
	assert_int_equal(c.fields[0][0], NG_F_PROC_PID);
	assert_int_equal(c.fields[0][1], NG_F_MPOL_NODES);
	assert_int_equal(c.fields[0][6], NG_F_K8S_POD_UID);
	assert_true(ng_engine_wants_kill(eng));

	bool kill = false;
	const char *name = NULL;
	const struct ng_node *n = ng_engine_rule_condition(eng, "T-2", &name, &kill);
	assert_non_null(n);
	assert_string_equal(name, "off");
	n = ng_engine_rule_condition(eng, "first", &name, &kill);
	assert_non_null(n);
	assert_true(kill);
	assert_int_equal(n->kind, NG_NODE_CMP);
	assert_int_equal(n->field, NG_F_PROC_PID);
	assert_int_equal(n->op, NG_OP_EQ);
	assert_int_equal(n->nvalues, 1);
	assert_int_equal(n->values[0].num, 4242);
	assert_int_equal(n->line, 8);
	assert_int_equal(n->col, 14);
	assert_null(ng_engine_rule_condition(eng, "nope", NULL, NULL));

	struct ng_engine_stats st;
	ng_engine_get_stats(eng, &st);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.alerts, 2);
	ng_engine_free(eng);
	ng_diags_free(&d);
	full_event(&ev);
}

/* The condition tree seccomp generation walks: macros expanded, symbols resolved. */
static void condition_tree_is_expanded(void **state)
{
	const char *text = "- macro: bind\n  condition: mpol.mode = MPOL_BIND\n"
			   "- rule: r\n  id: X\n  desc: d\n  output: o\n  priority: info\n"
			   "  condition: bind and mpol.flags contains MPOL_F_STATIC_NODES\n"
			   "  exceptions:\n  - name: e\n    fields: proc.name\n"
			   "    values: [numactl]\n";
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, text, &d), 0);
	const struct ng_node *n = ng_engine_rule_condition(eng, "X", NULL, NULL);
	assert_non_null(n);
	/* (bind and flags) and not (proc.name in (numactl)) */
	assert_int_equal(n->kind, NG_NODE_AND);
	const struct ng_node *l = n->left, *r = n->right;
	assert_int_equal(l->kind, NG_NODE_AND);
	assert_int_equal(l->left->kind, NG_NODE_CMP);
	assert_int_equal(l->left->field, NG_F_MPOL_MODE);
	assert_int_equal(l->left->values[0].num, 2);
	assert_string_equal(l->left->file, "t.yaml");
	assert_int_equal(l->left->line, 2); /* where the macro says it */
	assert_int_equal(l->right->field, NG_F_MPOL_FLAGS);
	assert_int_equal(l->right->op, NG_OP_CONTAINS);
	assert_int_equal(l->right->values[0].num, 15);
	assert_int_equal(r->kind, NG_NODE_NOT);
	assert_int_equal(r->left->kind, NG_NODE_CMP);
	assert_int_equal(r->left->op, NG_OP_IN);
	assert_true(r->left->values[0].is_str);
	assert_string_equal(r->left->values[0].str, "numactl");
	ng_engine_free(eng);
	ng_diags_free(&d);
}

/* A long chain is a balanced tree, so walkers never recurse deeply. */
static void long_chain_is_balanced(void **state)
{
	size_t n = 5000;
	char *cond = malloc(n * 20 + 64);
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(cond + o, "%sproc.pid = %zu", i ? " or " : "", i + 1);
	char *text = malloc(o + 128);
	sprintf(text, "- rule: r\n  id: X\n  desc: d\n  output: o\n  priority: info\n"
		      "  condition: %s\n", cond);
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, text, &d), 0);
	const struct ng_node *t = ng_engine_rule_condition(eng, "X", NULL, NULL);
	int depth = 0;
	while (t->kind == NG_NODE_OR) {
		depth++;
		t = t->right;
	}
	assert_true(depth <= 14);
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 1); /* pid 4242 is in the chain */
	ev.pid = 9999;
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	full_event(&ev);
	ng_engine_free(eng);
	ng_diags_free(&d);
	free(cond);
	free(text);
}

static void throttle(void **state)
{
	const char *text = "- rule: r\n  id: T\n  desc: d\n  output: o\n  priority: info\n"
			   "  condition: proc.pid exists\n"
			   "  throttle: {key: [proc.pid], window: 10s, max: 2}\n";
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, text, &d), 0);
	struct capture c = { 0 };
	uint64_t t0 = ev.time_ns;
	/* pid 4242: two alerts, then three suppressed */
	for (int i = 0; i < 5; i++) {
		ev.time_ns = t0 + (uint64_t)i * 1000000000ull;
		ng_engine_eval(eng, &ev, capture_cb, &c);
	}
	assert_int_equal(c.n, 2);
	assert_int_equal(c.suppressed[0], 0);
	assert_int_equal(c.suppressed[1], 0);
	/* another key is independent */
	ev.pid = 1;
	ng_engine_eval(eng, &ev, capture_cb, &c);
	assert_int_equal(c.n, 3);
	/* the next window's first alert for 4242 reports the three suppressed */
	ev.pid = 4242;
	ev.time_ns = t0 + 10 * 1000000000ull;
	ng_engine_eval(eng, &ev, capture_cb, &c);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.suppressed[3], 3);
	struct ng_engine_stats st;
	ng_engine_get_stats(eng, &st);
	assert_int_equal(st.suppressed, 3);
	assert_int_equal(st.alerts, 4);
	assert_int_equal(st.key_evictions, 0);
	ng_engine_free(eng);
	ng_diags_free(&d);
	full_event(&ev);
}

static void throttle_table_is_bounded(void **state)
{
	const char *text = "- rule: r\n  id: T\n  desc: d\n  output: o\n  priority: info\n"
			   "  condition: proc.pid exists\n"
			   "  throttle: {key: [proc.pid], window: 1h, max: 1}\n";
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, text, &d), 0);
	/* Far more keys than slots: every key is new, so every event alerts, and
	 * the table evicts instead of growing. */
	for (uint32_t pid = 0; pid < 100000; pid++) {
		ev.pid = pid;
		assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 1);
	}
	struct ng_engine_stats st;
	ng_engine_get_stats(eng, &st);
	assert_true(st.key_evictions >= 100000 - 4096);
	assert_true(st.key_evictions <= 100000);
	ng_engine_free(eng);
	ng_diags_free(&d);
	full_event(&ev);
}

static void threshold(void **state)
{
	const char *text = "- rule: r\n  id: T\n  desc: d\n  output: o\n  priority: info\n"
			   "  condition: evt.errno = EINVAL\n"
			   "  threshold: {key: [proc.pid], window: 10s, count: 3}\n";
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, text, &d), 0);
	uint64_t t0 = ev.time_ns, s = 1000000000ull;
	/* three matches within 10 s fire once, on the third */
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	ev.time_ns = t0 + 4 * s;
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	ev.time_ns = t0 + 9 * s;
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 1);
	/* the count restarts after firing */
	ev.time_ns = t0 + 10 * s;
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	ev.time_ns = t0 + 11 * s;
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	/* a sliding window: 10 s, 11 s, 25 s is not three within 10 s; 11, 25, 26 neither;
	 * 25, 26, 27 is */
	ev.time_ns = t0 + 25 * s;
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	ev.time_ns = t0 + 26 * s;
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	ev.time_ns = t0 + 27 * s;
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 1);
	/* non-matching events do not count */
	strcpy(ev.errno_name, "EPERM");
	for (int i = 0; i < 5; i++)
		assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	ng_engine_free(eng);
	ng_diags_free(&d);
	full_event(&ev);
}

/*
 * The rule index skips rules that cannot match an event's class: check it
 * against plain evaluation on events of every class, for conditions on the
 * indexed fields (and a few others) in every shape.
 */
static void index_never_drops_a_match(void **state)
{
	static const char *const conds[] = {
		"evt.syscall = set_mempolicy and evt.res = 0",
		"not evt.syscall = set_mempolicy",
		"evt.syscall != set_mempolicy or mpol.mode = MPOL_BIND",
		"evt.res != 0 and evt.errno = EINVAL",
		"evt.res < 0 or evt.blocked",
		"not evt.blocked and mpol.mode in (MPOL_BIND, MPOL_INTERLEAVE)",
		"mpol.mode >= 7 or mpol.mode < 0",
		"mpol.mode != MPOL_BIND and not (evt.errno = EPERM)",
		"evt.errno in (EINVAL, EFAULT) and proc.pid = 4242",
		"evt.errno = '' and not evt.res exists",
		"not mpol.mode exists or evt.errno startswith EP",
		"evt.blocked = false and evt.syscall endswith policy and mpol.mode = 9",
		"proc.name = numad or (evt.errno exists and not evt.blocked exists)",
	};
	static const char *const syscalls[] = { NULL, "set_mempolicy", "mbind" };
	static const int64_t res[] = { INT64_MIN, 0, -22 };
	static const char *const errnos[] = { NULL, "", "EINVAL", "EPERM", "EFAULT" };
	static const int blocked[] = { -1, 0, 1 };
	static const int64_t modes[] = { INT64_MIN, 0, 1, 2, 3, 4, 5, 6, 9, -1 };
	for (size_t c = 0; c < sizeof(conds) / sizeof(conds[0]); c++) {
		char text[1024];
		snprintf(text, sizeof(text),
			 "- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: %s\n",
			 conds[c]);
		struct ng_diags d = { 0 };
		struct ng_engine *eng = NULL;
		assert_int_equal(load_text(&eng, text, &d), 0);
		const struct ng_node *root = NULL;
		{
			struct ng_rule_info ri;
			ng_engine_rule_info(eng, 0, &ri);
			root = ng_engine_rule_condition(eng, ri.name, NULL, NULL);
		}
		struct ng_arena a = { 0 };
		struct ng_prog_set *set = ng_prog_set_new(&a);
		const struct ng_prog *p = ng_prog_compile(set, root);
		struct ng_memo m;
		assert_int_equal(ng_prog_memo_init(&a, set, &m), 0);
		unsigned matches = 0;
		for (size_t a1 = 0; a1 < 3; a1++)
		for (size_t a2 = 0; a2 < 3; a2++)
		for (size_t a3 = 0; a3 < 5; a3++)
		for (size_t a4 = 0; a4 < 3; a4++)
		for (size_t a5 = 0; a5 < 10; a5++) {
			full_event(&ev);
			if (syscalls[a1])
				strcpy(ev.syscall, syscalls[a1]);
			else
				ng_event_unset(&ev, NG_F_EVT_SYSCALL);
			if (res[a2] != INT64_MIN)
				ev.res = res[a2];
			else
				ng_event_unset(&ev, NG_F_EVT_RES);
			if (errnos[a3])
				strcpy(ev.errno_name, errnos[a3]);
			else
				ng_event_unset(&ev, NG_F_EVT_ERRNO);
			if (blocked[a4] >= 0)
				ev.blocked = blocked[a4];
			else
				ng_event_unset(&ev, NG_F_EVT_BLOCKED);
			if (modes[a5] != INT64_MIN)
				ev.mode = modes[a5];
			else
				ng_event_unset(&ev, NG_F_MPOL_MODE);
			ng_memo_next(&m);
			bool want = ng_prog_eval(p, &ev, &m);
			unsigned got = ng_engine_eval(eng, &ev, NULL, NULL);
			if (got != (unsigned)want) {
				fprintf(stderr, "'%s': index says %u, evaluation %d (class %u)\n",
					conds[c], got, want, ng_index_class(&ev));
				fail();
			}
			matches += want;
		}
		/* Each condition matches some events and not others. */
		assert_true(matches > 0 && matches < 1350);
		ng_arena_free(&a);
		ng_engine_free(eng);
		ng_diags_free(&d);
	}
	full_event(&ev);
}

/*
 * Many rules at once, sharing comparisons (memoised), with exceptions and
 * comparisons the index decides: for random events, the engine (index,
 * class programs joined into one chain per class) fires exactly the rules
 * whose own condition holds, in file order.
 */
static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t pick(uint32_t n)
{
	return ng_test_rand(&rng, n);
}

struct fired {
	const char *rule[64];
	unsigned n;
};

static void fired_cb(const struct ng_alert *a, void *p)
{
	struct fired *f = p;
	if (f->n < 64)
		f->rule[f->n] = a->rule;
	f->n++;
}

static void many_rules_match_their_conditions(void **state)
{
	static const char *const conds[] = {
		"evt.syscall = set_mempolicy and evt.res = 0 and mpol.mode = MPOL_BIND and "
		"proc.name in (db, java, app)",
		"evt.syscall = set_mempolicy and evt.res = 0 and proc.name in (db, java, app) and "
		"mpol.nodes contains 1",
		"mpol.mode = MPOL_INTERLEAVE and not mpol.nodes in (0, 1) and user.uid = 1001",
		"evt.errno = EINVAL and mpol.maxnode > 1000 and container.id != host",
		"mpol.mode in (MPOL_BIND, MPOL_PREFERRED) and proc.exepath startswith /opt/ and "
		"proc.cmdline contains --numa-2",
		"evt.blocked and container.id exists and proc.pname = bash",
		"proc.name icontains JA and user.uid >= 1000",
		"proc.exepath glob /tmp/*/x* and mpol.mode != MPOL_DEFAULT",
		"mpol.flags intersects (MPOL_F_STATIC_NODES) and not proc.privileged",
		"evt.res = 0 and (mpol.mode = MPOL_BIND or proc.name = db) and not "
		"(proc.name = app and container.id = host)",
		"mpol.nodes intersects (64, 65) or mpol.nodes contains 3",
		"not evt.blocked and evt.errno = '' and proc.name in (db, java) and "
		"proc.exepath endswith /db",
		"proc.cap_effective contains CAP_SYS_NICE and proc.vpid = 1",
		"evt.syscall = set_mempolicy and mpol.mode = MPOL_BIND and proc.name in (db, java, "
		"app) and mpol.nodes contains 1",
	};
	enum { NR = sizeof(conds) / sizeof(conds[0]) };
	char text[8192];
	size_t len = 0;
	for (unsigned i = 0; i < NR; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"- rule: r%u\n  desc: d\n  output: o\n  priority: info\n"
					"  condition: %s\n%s",
					i, conds[i],
					i == 4 ? "  exceptions:\n  - name: e\n    fields: [proc.name, "
						 "user.uid]\n    values: [[app, 0], [db, 1001]]\n"
					       : "");
	assert_true(len < sizeof(text));
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	if (load_text(&eng, text, &d))
		dump_diags(&d);
	assert_non_null(eng);
	/* The reference: every rule's own program, evaluated on its own. */
	struct ng_arena a = { 0 };
	struct ng_prog_set *set = ng_prog_set_new(&a);
	const struct ng_prog *ref[NR];
	for (unsigned i = 0; i < NR; i++) {
		char name[8];
		snprintf(name, sizeof(name), "r%u", i);
		ref[i] = ng_prog_compile(set, ng_engine_rule_condition(eng, name, NULL, NULL));
		assert_non_null(ref[i]);
	}
	struct ng_memo m;
	assert_int_equal(ng_prog_memo_init(&a, set, &m), 0);
	static const char *const names[] = { "db", "java", "app", "JAva", "numactl", "x" };
	static const char *const exes[] = { "/opt/db", "/usr/bin/db", "/tmp/a/xz", "/tmp/x", "" };
	static const char *const errnos[] = { "", "EINVAL", "EPERM" };
	unsigned total = 0;
	for (unsigned it = 0; it < 20000; it++) {
		full_event(&ev);
		strcpy(ev.syscall, pick(8) ? "set_mempolicy" : "mbind");
		ev.blocked = pick(5) == 0;
		strcpy(ev.errno_name, errnos[pick(3)]);
		ev.res = ev.errno_name[0] ? -22 : 0;
		ev.mode = (int64_t)pick(8) - 1;
		ev.flags = pick(3) ? 0 : 1u << 15;
		memset(&ev.nodes, 0, sizeof(ev.nodes));
		ng_nodes_set(&ev.nodes, pick(5));
		if (!pick(4))
			ng_nodes_set(&ev.nodes, 64 + pick(3));
		ev.maxnode = 990 + pick(20);
		strcpy(ev.name, names[pick(6)]);
		strcpy(ev.pname, pick(2) ? "bash" : "sh");
		strcpy(ev.exepath, exes[pick(5)]);
		snprintf(ev.cmdline, sizeof(ev.cmdline), "x --numa-%u", pick(4));
		ev.uid = pick(3) ? 1001 : 0;
		ev.vpid = pick(3);
		ev.privileged = pick(2);
		ev.cap_effective = pick(2) ? 1ull << 23 : 0;
		strcpy(ev.container_id, pick(2) ? "host" : "abc");
		/* Sometimes a field is missing. */
		static const enum ng_field_id opt[] = { NG_F_EVT_ERRNO, NG_F_MPOL_MODE,
							NG_F_CONTAINER_ID, NG_F_PROC_EXEPATH,
							NG_F_EVT_BLOCKED, NG_F_EVT_RES };
		if (!pick(6))
			ng_event_unset(&ev, opt[pick(6)]);
		struct fired want = { 0 }, got = { 0 };
		ng_memo_next(&m);
		for (unsigned i = 0; i < NR; i++)
			if (ng_prog_eval(ref[i], &ev, &m))
				fired_cb(&(struct ng_alert){ .rule = conds[i] }, &want);
		ng_engine_eval(eng, &ev, fired_cb, &got);
		assert_int_equal(got.n, want.n);
		for (unsigned k = 0; k < want.n; k++) {
			unsigned wi = 0;
			while (conds[wi] != want.rule[k])
				wi++;
			char name[8];
			snprintf(name, sizeof(name), "r%u", wi);
			if (strcmp(got.rule[k], name) != 0) {
				fprintf(stderr, "event %u: alert %u is %s, want %s\n", it, k,
					got.rule[k], name);
				fail();
			}
		}
		total += want.n;
	}
	/* The events exercise the rules: plenty fire, and not always. */
	assert_true(total > 20000 && total < 20000 * NR / 2);
	ng_arena_free(&a);
	ng_engine_free(eng);
	ng_diags_free(&d);
	full_event(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(signed_int, setup),
		cmocka_unit_test_setup(unsigned_int, setup),
		cmocka_unit_test_setup(time_field, setup),
		cmocka_unit_test_setup(boolean, setup),
		cmocka_unit_test_setup(string, setup),
		cmocka_unit_test_setup(mode, setup),
		cmocka_unit_test_setup(enumeration, setup),
		cmocka_unit_test_setup(flags, setup),
		cmocka_unit_test_setup(nodes, setup),
		cmocka_unit_test_setup(absent_fields, setup),
		cmocka_unit_test_setup(logic, setup),
		cmocka_unit_test_setup(macros_and_lists, setup),
		cmocka_unit_test_setup(alerts_fire_in_file_order, setup),
		cmocka_unit_test_setup(condition_tree_is_expanded, setup),
		cmocka_unit_test_setup(long_chain_is_balanced, setup),
		cmocka_unit_test_setup(throttle, setup),
		cmocka_unit_test_setup(throttle_table_is_bounded, setup),
		cmocka_unit_test_setup(threshold, setup),
		cmocka_unit_test_setup(index_never_drops_a_match, setup),
		cmocka_unit_test_setup(many_rules_match_their_conditions, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
