// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rule conditions: condition text → tree (macros expanded, lists
 * substituted, values typed) → evaluable program, evaluated on fixed events,
 * and → seccomp clauses, as `seccomp generate --rule` does. The input is up
 * to four NUL-separated fragments, the way `override: {condition: append}`
 * joins them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "event_parse.h"
#include "fuzz.h"
#include "rules/cond_parse.h"
#include "rules/program.h"
#include "seccomp/compile.h"

/* Names a condition can refer to: nested macros and lists, as rule files define them. */
static const char preamble[] =
	"- list: numa_tools\n"
	"  items: [numactl, numad, \"memkind test\"]\n"
	"- list: more_tools\n"
	"  items: [numa_tools, likwid-pin]\n"
	"- list: bind_modes\n"
	"  items: [MPOL_BIND, MPOL_PREFERRED_MANY]\n"
	"- list: low_nodes\n"
	"  items: [0, 1, 2, 3]\n"
	"- macro: in_container\n"
	"  condition: container.id != host\n"
	"- macro: binds\n"
	"  condition: mpol.mode in (bind_modes) and in_container\n"
	"- macro: tool\n"
	"  condition: proc.name in (more_tools) or proc.exepath glob \"/usr/*bin/numa*\"\n";

static const char event_json[] =
	"{\"event\":{\"evt\":{\"time\":\"2026-11-28T02:21:59.000000000Z\",\"syscall\":"
	"\"set_mempolicy\",\"res\":0,\"errno\":\"\",\"blocked\":false,\"attach\":\"fexit\"},"
	"\"mpol\":{\"mode\":\"MPOL_BIND\",\"flags\":[\"MPOL_F_RELATIVE_NODES\"],\"mode_raw\":16386,"
	"\"nodes\":[1,2],\"maxnode\":65,\"nodes_changed\":false,\"effective_mode\":\"MPOL_BIND\","
	"\"effective_nodes\":[1,2],\"allowed_nodes\":[0,1,2,3],\"outside_allowed\":false},"
	"\"proc\":{\"pid\":77,\"tid\":77,\"ppid\":1,\"vpid\":1,\"name\":\"java\",\"pname\":\"sh\","
	"\"exepath\":\"/usr/lib/jvm/bin/java\",\"cmdline\":\"java -XX:+UseNUMA\","
	"\"cap_effective\":[\"CAP_SYS_NICE\"],\"privileged\":true},\"user\":{\"uid\":0,"
	"\"euid\":0,\"gid\":0,\"loginuid\":4294967295,\"name\":\"root\"},\"container\":{\"id\":"
	"\"\",\"runtime\":\"unknown\",\"cgroup\":\"/kubepods/burstable/pod1\"},\"k8s\":{\"pod\":"
	"{\"uid\":\"0b8f6a52-3c1e-4d7a-9f0e-2a6b5c4d3e2f\"}},\"ns\":{\"pid\":4026531836,"
	"\"mnt\":4026531841,\"user\":4026531837,\"cgroup\":4026531835}}}";

#define MAX_FRAGMENTS 4

/*
 * Two programs from one tree in one set, as two rules sharing a macro are:
 * the second reuses the first one's memoised results within an event.
 */
static void evaluate(struct ng_arena *a, const struct ng_node *root)
{
	struct ng_prog_set *set = ng_prog_set_new(a);
	const struct ng_prog *p1 = set ? ng_prog_compile(set, root) : NULL;
	const struct ng_prog *p2 = p1 ? ng_prog_compile(set, root) : NULL;
	struct ng_memo m;
	if (!p2 || ng_prog_memo_init(a, set, &m) != 0)
		return;
	struct ng_event e;
	char err[256];
	if (ng_event_parse(event_json, sizeof(event_json) - 1, &e, err, sizeof(err)))
		fz_fail("built-in event does not parse: %s", err);
	ng_memo_next(&m);
	bool r1 = ng_prog_eval(p1, &e, &m);
	if (ng_prog_eval(p2, &e, &m) != r1)
		fz_fail("the same condition gave two answers for one event");
	/* An event with nothing present: every field is absent. */
	memset(&e, 0, sizeof(e));
	ng_memo_next(&m);
	r1 = ng_prog_eval(p1, &e, &m);
	if (ng_prog_eval(p2, &e, &m) != r1)
		fz_fail("the same condition gave two answers for an empty event");
}

/* A filter that compiles must build; the build checks its BPF against the clauses. */
static void compile_seccomp(const struct ng_node *root)
{
	struct ng_sc_filter f;
	char err[512];
	ng_sc_filter_init(&f, "fuzz");
	if (ng_sc_compile(root, &f, err, sizeof(err)) == 0) {
		struct ng_sc_arches arches;
		scmp_filter_ctx ctx;
		ng_sc_host_arches(&arches);
		int r = ng_sc_build(&f, &arches, &ctx, err, sizeof(err));
		if (r == -EPROTO)
			fz_fail("unsound filter: %s", err);
		if (r == 0)
			seccomp_release(ctx);
	}
	ng_sc_filter_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ng_arena perm = { 0 }, tmp = { 0 };
	struct ng_diags d = { 0 };
	struct ng_loader L = { .perm = &perm, .tmp = &tmp, .diags = &d };
	if (ng_loader_add(&L, "preamble.yaml", preamble, sizeof(preamble) - 1) || d.errors)
		fz_fail("the preamble does not load");

	/* The tree keeps pointers into the text, so it lives until the end. */
	char *text = fz_cstr(data, size);
	struct ng_ynode y[MAX_FRAGMENTS];
	struct ng_text frag[MAX_FRAGMENTS];
	struct ng_texts t = { .v = frag };
	for (size_t off = 0; t.n < MAX_FRAGMENTS && off <= size;) {
		size_t len = strlen(text + off);
		/* A scalar's value is its own source here, so positions map one to one. */
		y[t.n] = (struct ng_ynode){ .kind = NG_Y_SCALAR, .line = 1, .col = 1,
					    .start = off, .end = off + len, .style = NG_YS_PLAIN,
					    .s = text + off, .len = len };
		frag[t.n] = (struct ng_text){ .y = &y[t.n], .file = "fuzz.yaml", .src = text };
		t.n++;
		off += len + 1;
	}

	struct ng_cctx cx = { .L = &L, .item = "rule 'fuzz'" };
	const struct ng_node *root = ng_cond_parse(&cx, &t);
	if (root && cx.failed)
		fz_fail("a condition was returned after a failure");
	if (!root && d.errors == 0 && !d.oom)
		fz_fail("condition refused without an error diagnostic");
	if (root) {
		evaluate(&perm, root);
		compile_seccomp(root);
	}
	ng_arena_free(&tmp);
	ng_arena_free(&perm);
	ng_diags_free(&d);
	free(text);
	return 0;
}
