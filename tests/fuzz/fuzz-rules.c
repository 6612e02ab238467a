// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rule files: the YAML reader on the raw bytes (NULs included, as a file
 * on disk can hold them), then, for text without NULs, the whole engine load
 * (macros, lists, exceptions, throttles, output templates, compilation) and
 * an evaluation of every loaded rule against fixed events, rendering each
 * alert's output.
 */
#include <stdlib.h>
#include <string.h>

#include "event_parse.h"
#include "fuzz.h"
#include "rules/diag.h"
#include "rules/engine.h"
#include "rules/loader.h"

/* Two events every rule field can look at: a container bind and a host default. */
static const char *const events[] = {
	"{\"event\":{\"evt\":{\"time\":\"2026-11-28T02:21:59.000000000Z\",\"syscall\":"
	"\"set_mempolicy\",\"res\":0,\"errno\":\"\",\"blocked\":false,\"attach\":\"kretprobe\"},"
	"\"mpol\":{\"mode\":\"MPOL_BIND\",\"flags\":[\"MPOL_F_STATIC_NODES\"],\"mode_raw\":32770,"
	"\"nodes\":[0,3],\"maxnode\":1025,\"nodes_changed\":true,\"allowed_nodes\":[0,1],"
	"\"outside_allowed\":true},\"proc\":{\"pid\":4242,\"tid\":4243,\"ppid\":1,\"name\":\"app\","
	"\"exepath\":\"/usr/bin/app\",\"cmdline\":\"app --bind\",\"cap_effective\":[],"
	"\"privileged\":false},\"user\":{\"uid\":1000,\"euid\":1000,\"gid\":1000,\"name\":"
	"\"alice\"},\"container\":{\"id\":\"4f1c2d3e4b5a69788796a5b4c3d2e1f00112233445566778899aabb"
	"ccddeeff0\",\"runtime\":\"docker\",\"cgroup\":\"/system.slice/docker-4f1c2d3e4b5a6978879"
	"6a5b4c3d2e1f00112233445566778899aabbccddeeff0.scope\"}}}",
	"{\"event\":{\"evt\":{\"time\":\"2026-11-28T02:22:00.000000000Z\",\"syscall\":"
	"\"set_mempolicy\",\"res\":-22,\"errno\":\"EINVAL\",\"blocked\":false,\"attach\":"
	"\"tracepoint\"},\"mpol\":{\"mode\":\"MPOL_DEFAULT\",\"flags\":[],\"mode_raw\":0,"
	"\"nodes\":[],\"maxnode\":0},\"proc\":{\"pid\":1,\"tid\":1,\"ppid\":0,\"name\":\"numad\","
	"\"privileged\":true},\"user\":{\"uid\":0,\"euid\":0,\"gid\":0,\"name\":\"root\"},"
	"\"container\":{\"id\":\"host\",\"runtime\":\"host\",\"cgroup\":\"/init.scope\"}}}",
};

static void on_alert(const struct ng_alert *a, void *ctx)
{
	size_t *bytes = ctx;
	/* Reading the whole output makes ASan check the rendered bytes and their terminator. */
	*bytes += strlen(a->output) + strlen(a->rule) + strlen(a->rule_id);
}

static void loader_only(const uint8_t *data, size_t size)
{
	struct ng_arena perm = { 0 }, tmp = { 0 };
	struct ng_diags d = { 0 };
	struct ng_loader L = { .perm = &perm, .tmp = &tmp, .diags = &d };
	(void)ng_loader_add(&L, "fuzz.yaml", (const char *)data, size);
	ng_arena_free(&tmp);
	ng_arena_free(&perm);
	ng_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	loader_only(data, size);
	if (memchr(data, '\0', size))
		return 0;

	char *text = fz_cstr(data, size);
	const char *texts[] = { text };
	const char *names[] = { "fuzz.yaml" };
	struct ng_diags d = { 0 };
	struct ng_engine_opts o = { .no_defaults = true, .diags = &d, .texts = texts,
				    .text_names = names, .ntexts = 1 };
	struct ng_engine *eng = NULL;
	if (ng_engine_load(&eng, &o) == 0) {
		size_t bytes = 0;
		for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
			struct ng_event e;
			char err[256];
			if (ng_event_parse(events[i], strlen(events[i]), &e, err, sizeof(err)))
				fz_fail("built-in event %zu does not parse: %s", i, err);
			/* Twice, so throttles and thresholds see a repeat. */
			ng_engine_eval(eng, &e, on_alert, &bytes);
			ng_engine_eval(eng, &e, on_alert, &bytes);
		}
		for (size_t i = 0; i < ng_engine_rule_count(eng); i++) {
			struct ng_rule_info ri;
			ng_engine_rule_info(eng, i, &ri);
			if (!ng_engine_rule_condition(eng, ri.id[0] ? ri.id : ri.name, NULL, NULL))
				fz_fail("loaded rule '%s' has no condition", ri.name);
		}
		struct ng_engine_stats st;
		ng_engine_get_stats(eng, &st);
		ng_engine_free(eng);
	} else if (d.errors == 0 && !d.oom) {
		fz_fail("rule load failed without an error diagnostic");
	}
	ng_diags_free(&d);
	free(text);
	return 0;
}
