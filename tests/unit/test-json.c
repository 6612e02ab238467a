// SPDX-License-Identifier: LGPL-2.1-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "event_json.h"
#include "json.h"
#include "text.h"

static void json_escapes_hostile_bytes(void **state)
{
	struct ng_buf b = { 0 };
	const char in[] = "a\"b\\c\nd\x01\x7f\xff\xc3\xa9]|=";
	ng_json_strn(&b, in, sizeof(in) - 1);
	assert_string_equal(ng_buf_cstr(&b), "\"a\\\"b\\\\c\\u000ad\\u0001\\u007f\\ufffd\xc3\xa9]|=\"");
	ng_buf_free(&b);
}

static void utf8_rejects_overlong_and_surrogates(void **state)
{
	assert_int_equal(ng_utf8_len((const unsigned char *)"\xc0\xaf", 2), 0);
	assert_int_equal(ng_utf8_len((const unsigned char *)"\xed\xa0\x80", 3), 0);
	assert_int_equal(ng_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(ng_utf8_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(ng_utf8_len((const unsigned char *)"\xe2\x82", 2), 0);
}

static void rfc3339_round_trips(void **state)
{
	char t[48];
	uint64_t ns = 1795832519123456789ull, back = 0;
	ng_rfc3339(t, sizeof(t), ns, 9);
	assert_string_equal(t, "2026-11-28T02:21:59.123456789Z");
	assert_int_equal(ng_rfc3339_parse(t, &back), 0);
	assert_true(back == ns);
	ng_rfc3339(t, sizeof(t), ns, 6);
	assert_string_equal(t, "2026-11-28T02:21:59.123456Z");
	assert_int_not_equal(ng_rfc3339_parse("2026-11-28T02:21:59.1234567890Z", &back), 0);
	assert_int_not_equal(ng_rfc3339_parse("2026-11-28T02:21:59+01:00", &back), 0);
}

static void event_json_nests_groups(void **state)
{
	struct ng_event e = { 0 };
	struct ng_buf b = { 0 };
	e.time_ns = 1795832519000000000ull;
	e.mode = NG_MPOL_BIND;
	e.flags = NG_MPOL_F_STATIC_NODES;
	ng_nodes_set(&e.nodes, 0);
	ng_nodes_set(&e.nodes, 65);
	e.cap_effective = 1ull << 23;
	e.effective_mode = 9;
	strcpy(e.pod_uid, "p\"od");
	ng_event_set(&e, NG_F_EVT_TIME);
	ng_event_set(&e, NG_F_MPOL_MODE);
	ng_event_set(&e, NG_F_MPOL_FLAGS);
	ng_event_set(&e, NG_F_MPOL_NODES);
	ng_event_set(&e, NG_F_PROC_CAP_EFFECTIVE);
	ng_event_set(&e, NG_F_MPOL_EFFECTIVE_MODE);
	ng_event_set(&e, NG_F_K8S_POD_UID);
	ng_event_json(&b, &e, "h");
	const char *s = ng_buf_cstr(&b);
	assert_non_null(strstr(s, "{\"time\":\"2026-11-28T02:21:59.000000000Z\",\"source\":\"numaguard\","
				 "\"hostname\":\"h\",\"event\":{\"evt\":{\"time\":"));
	assert_non_null(strstr(s, "\"mpol\":{\"mode\":\"MPOL_BIND\",\"flags\":[\"MPOL_F_STATIC_NODES\"]"));
	assert_non_null(strstr(s, "\"nodes\":[0,65]"));
	assert_non_null(strstr(s, "\"effective_mode\":9"));
	assert_non_null(strstr(s, "\"cap_effective\":[\"CAP_SYS_NICE\"]"));
	assert_non_null(strstr(s, "\"k8s\":{\"pod\":{\"uid\":\"p\\\"od\"}},\"ns\":{\"pid\":null"));
	assert_non_null(strstr(s, "\"res\":null"));
	assert_int_equal(s[strlen(s) - 1], '}');
	assert_non_null(strstr(s, "\"cgroup\":null}}}"));
	ng_buf_free(&b);
}

/* Change field f of e so that it renders differently (and set it present). */
static void mutate(struct ng_event *e, const struct ng_field *f, unsigned n)
{
	void *p = ng_field_ptr(e, f);
	switch (f->type) {
	case NG_FT_STR: {
		size_t l = strnlen(p, f->size - 1);
		if (l + 1 < f->size) {
			((char *)p)[l] = (char)('a' + n % 26);
			((char *)p)[l + 1] = '\0';
		} else {
			((char *)p)[0] ^= 1;
		}
		break;
	}
	case NG_FT_BOOL:
		*(bool *)p = !*(bool *)p;
		break;
	case NG_FT_U32:
	case NG_FT_ENUM:
		*(uint32_t *)p = (*(uint32_t *)p + 1) % 3;
		break;
	case NG_FT_NODES:
		ng_nodes_set(p, n % 64);
		break;
	default: /* the 64-bit kinds */
		*(uint64_t *)p += 1ull << (n % 40);
		break;
	}
	ng_event_set(e, (enum ng_field_id)(f - ng_fields));
}

/*
 * The cached rendering gives the same bytes as the plain one for any run of
 * events, whichever field changes (present or absent, any part of the line);
 * and a change outside the per-process part reuses the cached text.
 */
static void cached_json_is_the_same_bytes(void **state)
{
	struct ng_json_cache c = { 0 };
	struct ng_event e = { 0 };
	struct ng_buf plain = { 0 }, cached = { 0 };
	unsigned n = 0;
	strcpy(e.exepath, "/usr/bin/x\"y");
	strcpy(e.cmdline, "x --a \xff");
	ng_event_set(&e, NG_F_PROC_EXEPATH);
	ng_event_set(&e, NG_F_PROC_CMDLINE);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < NG_F__COUNT; i++) {
			/* The same event twice (a hit), then with field i changed (a miss for the tail). */
			for (int k = 0; k < 2; k++) {
				ng_buf_reset(&plain);
				ng_buf_reset(&cached);
				ng_event_json(&plain, &e, "h");
				ng_event_json_cached(&cached, &e, "h", &c);
				assert_string_equal(ng_buf_cstr(&cached), ng_buf_cstr(&plain));
			}
			mutate(&e, &ng_fields[i], n++);
			if (round == 2) /* and absent again */
				e.present &= ~(1ull << i);
		}
	}
	/* A new time alone is outside the per-process part: the cache is not refreshed. */
	ng_event_json_cached(&cached, &e, "h", &c);
	uint64_t before = c.from.time_ns;
	e.time_ns += 5;
	ng_buf_reset(&cached);
	ng_event_json_cached(&cached, &e, "h", &c);
	assert_true(c.valid && c.from.time_ns == before);
	/* A new parent pid is inside it: refreshed. */
	e.ppid += 1;
	ng_event_set(&e, NG_F_PROC_PPID);
	ng_event_json_cached(&cached, &e, "h", &c);
	assert_true(c.from.time_ns == e.time_ns);
	ng_json_cache_free(&c);
	ng_buf_free(&plain);
	ng_buf_free(&cached);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_escapes_hostile_bytes),
		cmocka_unit_test(utf8_rejects_overlong_and_surrogates),
		cmocka_unit_test(rfc3339_round_trips),
		cmocka_unit_test(event_json_nests_groups),
		cmocka_unit_test(cached_json_is_the_same_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
