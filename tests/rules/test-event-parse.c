// SPDX-License-Identifier: LGPL-2.1-or-later
/* The JSONL event reader is the exact inverse of the event JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "event_json.h"
#include "event_parse.h"
#include "rules-test.h"

static void round_trip(const struct ng_event *in)
{
	struct ng_buf b = { 0 };
	struct ng_event out;
	char err[256];
	ng_event_json(&b, in, "host\"name");
	int r = ng_event_parse(b.data, b.len, &out, err, sizeof(err));
	if (r)
		fprintf(stderr, "%s\n%s\n", err, b.data);
	assert_int_equal(r, 0);
	assert_true(out.present == in->present);
	for (size_t i = 0; i < NG_F__COUNT; i++) {
		const struct ng_field *f = &ng_fields[i];
		if (!ng_event_has(in, (enum ng_field_id)i))
			continue;
		/* Bytes after a string's NUL are not part of it. */
		size_t n = f->type == NG_FT_STR ? strnlen(ng_field_ptr(in, f), f->size) + 1 : f->size;
		if (memcmp(ng_field_ptr(in, f), ng_field_ptr(&out, f), n) != 0) {
			fprintf(stderr, "field %s differs\n", f->name);
			fail();
		}
	}
	/* and writing the parsed event gives the same line */
	struct ng_buf b2 = { 0 };
	ng_event_json(&b2, &out, "host\"name");
	assert_string_equal(ng_buf_cstr(&b), ng_buf_cstr(&b2));
	ng_buf_free(&b);
	ng_buf_free(&b2);
}

static void full_event_round_trips(void **state)
{
	struct ng_event e;
	full_event(&e);
	/* hostile but valid UTF-8 strings: quotes, escapes, controls, separators, emoji */
	strcpy(e.name, "a\"b\\c\n\t\x01");
	strcpy(e.cmdline, "sh -c 'x\"; rm -rf /' \r\n{\"evil\":1} ]|= \xc3\xa9 \xf0\x9f\x98\x80 \x7f");
	strcpy(e.exepath, "/tmp/\xe2\x80\xae" "exe");
	strcpy(e.cgroup, "/kubepods/\\u0041/\"");
	e.mode = 9;                   /* unknown mode: a number */
	e.effective_mode = -3;
	e.flags |= 1ull << 3;         /* an unnamed flag bit */
	e.cap_effective |= 1ull << 63; /* a capability newer than the table */
	for (unsigned n = 0; n < NG_MAX_NODES; n += 97)
		ng_nodes_set(&e.nodes, n);
	ng_nodes_set(&e.nodes, NG_MAX_NODES - 1);
	e.res = INT64_MIN;
	e.mode_raw = UINT64_MAX;
	e.maxnode = UINT64_MAX;
	e.ns_cgroup = UINT64_MAX;
	e.pid = UINT32_MAX;
	e.time_ns = 1;
	e.attach = 0; /* unnamed: "" */
	round_trip(&e);

	/* maximum-length strings */
	memset(e.cmdline, 'x', sizeof(e.cmdline) - 1);
	memset(e.name, 'y', sizeof(e.name) - 1);
	round_trip(&e);
}

static void absent_fields_round_trip(void **state)
{
	struct ng_event e;
	full_event(&e);
	for (size_t i = 0; i < NG_F__COUNT; i += 3)
		ng_event_unset(&e, (enum ng_field_id)i);
	/* an absent field's storage is not part of the event */
	for (size_t i = 0; i < NG_F__COUNT; i += 3)
		memset(ng_field_ptr(&e, &ng_fields[i]), 0, ng_fields[i].size);
	round_trip(&e);
	memset(&e, 0, sizeof(e));
	round_trip(&e);
}

static void invalid_utf8_becomes_replacement(void **state)
{
	struct ng_event e, out;
	struct ng_buf b = { 0 };
	char err[128];
	memset(&e, 0, sizeof(e));
	strcpy(e.name, "a\xff" "b");
	ng_event_set(&e, NG_F_PROC_NAME);
	ng_event_json(&b, &e, "h");
	assert_int_equal(ng_event_parse(b.data, b.len, &out, err, sizeof(err)), 0);
	assert_string_equal(out.name, "a\xef\xbf\xbd" "b");
	ng_buf_free(&b);
	/* raw invalid bytes in the input too */
	const char *raw = "{\"event\":{\"proc\":{\"name\":\"x\xc0\xafy\"}}}";
	assert_int_equal(ng_event_parse(raw, strlen(raw), &out, err, sizeof(err)), 0);
	assert_string_equal(out.name, "x\xef\xbf\xbd\xef\xbf\xbdy");
	/* escapes, surrogate pairs, a lone surrogate */
	raw = "{\"event\":{\"proc\":{\"cmdline\":\"\\ud83d\\ude00 \\u00e9\\/\\ud800x\"}}}";
	assert_int_equal(ng_event_parse(raw, strlen(raw), &out, err, sizeof(err)), 0);
	assert_string_equal(out.cmdline, "\xf0\x9f\x98\x80 \xc3\xa9/\xef\xbf\xbdx");
}

static void partial_events_and_numbers(void **state)
{
	struct ng_event e;
	char err[128];
	const char *l = "{\"expect\":[\"x\"],\"event\":{\"evt\":{\"time\":1795832519000000000,"
			"\"attach\":3},\"mpol\":{\"mode\":5,\"flags\":[15,\"MPOL_F_NUMA_BALANCING\"]}}}";
	assert_int_equal(ng_event_parse(l, strlen(l), &e, err, sizeof(err)), 0);
	assert_true(e.time_ns == 1795832519000000000ull);
	assert_int_equal(e.attach, 3);
	assert_int_equal(e.mode, 5);
	assert_true(e.flags == ((1ull << 15) | (1ull << 13)));
	assert_true(e.present == ((1ull << NG_F_EVT_TIME) | (1ull << NG_F_EVT_ATTACH) |
				  (1ull << NG_F_MPOL_MODE) | (1ull << NG_F_MPOL_FLAGS)));
}

static void bad_lines(void **state)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "", "expected a JSON object" },
		{ "[]", "expected a JSON object" },
		{ "{}", "no \"event\" object" },
		{ "{\"event\":{}} x", "trailing characters" },
		{ "{\"event\":{\"mpol\":{\"nodez\":[]}}}", "unknown field 'mpol.nodez'" },
		{ "{\"event\":{\"proc\":{\"pid\":-1}}}", "proc.pid must not be negative" },
		{ "{\"event\":{\"proc\":{\"pid\":4294967296}}}", "proc.pid out of range" },
		{ "{\"event\":{\"proc\":{\"pid\":1.5}}}", "expected an integer for proc.pid" },
		{ "{\"event\":{\"proc\":{\"pid\":\"1\"}}}", "expected an integer for proc.pid" },
		{ "{\"event\":{\"proc\":{\"name\":\"0123456789abcdef\"}}}",
		  "proc.name is longer than its 15 byte limit" },
		{ "{\"event\":{\"proc\":{\"name\":\"a\\u0000b\"}}}", "NUL character" },
		{ "{\"event\":{\"proc\":{\"name\":\"a\\qb\"}}}", "bad escape" },
		{ "{\"event\":{\"proc\":{\"name\":\"a\nb\"}}}", "raw control character" },
		{ "{\"event\":{\"proc\":{\"name\":\"ab}}}", "unterminated string" },
		{ "{\"event\":{\"mpol\":{\"mode\":\"MPOL_BOUND\"}}}", "unknown value 'MPOL_BOUND'" },
		{ "{\"event\":{\"mpol\":{\"nodes\":[1024]}}}", "node 1024 is not below 1024" },
		{ "{\"event\":{\"mpol\":{\"nodes\":[1,]}}}", "expected an integer" },
		{ "{\"event\":{\"mpol\":{\"flags\":[64]}}}", "out of range" },
		{ "{\"event\":{\"evt\":{\"time\":\"yesterday\"}}}", "not an RFC 3339 UTC time" },
		{ "{\"event\":{\"evt\":{\"blocked\":1}}}", "expected true or false" },
		{ "{\"event\":{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}}", "nested too deeply" },
		{ "{\"event\":{},\"event\":{}}", "two \"event\" objects" },
		{ "{\"x\":[[[[[[[[[[[[1]]]]]]]]]]]],\"event\":{}}", "nested deeper" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ng_event e;
		char err[256];
		int r = ng_event_parse(cases[i].line, strlen(cases[i].line), &e, err, sizeof(err));
		if (r != -EINVAL || !strstr(err, cases[i].msg)) {
			fprintf(stderr, "line %zu: got %d '%s', want '%s'\n", i, r, err, cases[i].msg);
			fail();
		}
		assert_true(strncmp(err, "offset ", 7) == 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_event_round_trips),
		cmocka_unit_test(absent_fields_round_trip),
		cmocka_unit_test(invalid_utf8_becomes_replacement),
		cmocka_unit_test(partial_events_and_numbers),
		cmocka_unit_test(bad_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
