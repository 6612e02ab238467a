// SPDX-License-Identifier: LGPL-2.1-or-later
/* Loading: every diagnostic with its position, overrides, exceptions, hostile files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rules-test.h"

static struct ng_event ev;

static int setup(void **state)
{
	full_event(&ev);
	return 0;
}

/* True when d holds a diagnostic at line:col with that severity whose message contains msg. */
static bool has_diag(const struct ng_diags *d, enum ng_diag_severity sev, unsigned line,
		     unsigned col, const char *item, const char *msg)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct ng_diag *g = &d->v[i];
		if (g->severity == sev && g->line == line && g->col == col &&
		    strstr(g->message, msg) && (!item || strcmp(g->item, item) == 0) &&
		    strcmp(g->file, "t.yaml") == 0)
			return true;
	}
	dump_diags(d);
	return false;
}

/* Load text expecting failure with an error at line:col containing msg. */
static void expect_error(const char *text, unsigned line, unsigned col, const char *item,
			 const char *msg)
{
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, text, &d), -EINVAL);
	assert_null(eng);
	assert_true(has_diag(&d, NG_DIAG_ERROR, line, col, item, msg));
	ng_diags_free(&d);
}

#define RULE(cond) "- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: " cond "\n"

static void condition_errors(void **state)
{
	expect_error(RULE("proc.nmae = x"), 5, 14, "rule 'r'",
		     "unknown field 'proc.nmae' (did you mean 'proc.name'?)");
	expect_error(RULE("evt.syscall = set_mempolicy and mpol.mode = MPOL_BIN"), 5, 58, NULL,
		     "unknown value 'MPOL_BIN' for mpol.mode; valid values: MPOL_DEFAULT, "
		     "MPOL_PREFERRED, MPOL_BIND");
	expect_error(RULE("proc.pid = 1 and in_containr"), 5, 31, NULL,
		     "undefined macro 'in_containr'");
	expect_error("- macro: in_container\n  condition: container.id != host\n" RULE(
			     "in_containr"),
		     7, 14, NULL, "undefined macro 'in_containr' (did you mean 'in_container'?)");
	expect_error("- macro: a\n  condition: b\n- macro: b\n  condition: a\n" RULE("a"), 4, 14,
		     NULL, "macro recursion: 'a' is used inside its own expansion");
	expect_error(RULE("proc.pid = abc"), 5, 25, NULL,
		     "type mismatch: proc.pid is an integer; 'abc' is not an integer");
	expect_error(RULE("proc.name < abc"), 5, 14, NULL,
		     "operator '<' is not valid for proc.name, which is a string; valid operators: "
		     "=, !=, in, contains, icontains, startswith, endswith, glob, exists");
	expect_error(RULE("mpol.nodes = 1"), 5, 14, NULL,
		     "operator '=' is not valid for mpol.nodes, which is a list of node ids");
	expect_error(RULE("\"\""), 5, 14, NULL, "empty condition");
	expect_error(RULE("proc.pid = 1 proc.pid = 2"), 5, 27, NULL,
		     "unexpected 'proc.pid' after a complete expression");
	expect_error(RULE("(proc.pid = 1"), 5, 27, NULL, "expected ')', found end of condition");
	expect_error(RULE("proc.pid in 1"), 5, 26, NULL, "expected '(' after 'in'");
	expect_error(RULE("proc.name = \"abc"), 5, 26, NULL, "unterminated string");
	expect_error(RULE("proc.pid"), 5, 14, NULL, "field 'proc.pid' is an integer, not a boolean");
	expect_error(RULE("proc.name contains (a, b)"), 5, 33, NULL, "expected a value, found '('");
	expect_error(RULE("proc.name exists x"), 5, 31, NULL, "unexpected 'x'");
	expect_error(RULE("proc.pid = 1 and"), 5, 30, NULL,
		     "expected a field, a macro, 'not' or '(', found end of condition");
	expect_error(RULE("mpol.flags contains CAP_SYS_NICE"), 5, 34, NULL,
		     "unknown value 'CAP_SYS_NICE' for mpol.flags; valid values: "
		     "MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES");
	/* a multi-line folded condition: the column is found on its own line */
	expect_error("- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: >-\n"
		     "    proc.pid = 1\n      and   proc.naem = x\n",
		     7, 13, NULL, "unknown field 'proc.naem'");
	/* a literal block */
	expect_error("- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: |\n"
		     "    proc.pid = 1 or\n    mpol.mode = 99x\n",
		     7, 17, NULL, "unknown value '99x'");
	/* single-quoted with a doubled quote before the error */
	expect_error("- rule: r\n  desc: d\n  output: o\n  priority: info\n"
		     "  condition: 'proc.name = \"it''s\" and bad.field = 1'\n",
		     5, 39, NULL, "unknown field 'bad.field'");
}

static void item_errors(void **state)
{
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	/* unknown key: a warning with a suggestion; the rule still loads */
	const char *t = "- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: proc.pid = 1\n"
			"  tag: [x]\n  exceptions:\n  - name: e\n    fields: [proc.name]\n"
			"    value: [[x]]\n";
	assert_int_equal(load_text(&eng, t, &d), 0);
	assert_true(has_diag(&d, NG_DIAG_WARNING, 6, 3, "rule 'r'",
			     "unknown key 'tag' in this rule, ignored (did you mean 'tags'?)"));
	assert_true(has_diag(&d, NG_DIAG_WARNING, 10, 5, "rule 'r'",
			     "unknown key 'value' in exception, ignored (did you mean 'values'?)"));
	assert_int_equal(d.errors, 0);
	ng_engine_free(eng);
	ng_diags_free(&d);

	expect_error("- rule: r\n  id: A\n  desc: d\n  output: o\n  priority: info\n"
		     "  condition: proc.pid = 1\n"
		     "- rule: s\n  id: A\n  desc: d\n  output: o\n  priority: info\n"
		     "  condition: proc.pid = 1\n",
		     8, 7, "rule 's'", "duplicate rule id 'A', already used by rule 'r' at t.yaml:2");
	expect_error("- rule: r\n  desc: d\n  output: o\n  priority: loud\n  condition: proc.pid = 1\n",
		     4, 13, NULL, "unknown priority 'loud'");
	expect_error("- rule: r\n  desc: d\n  priority: info\n  condition: proc.pid = 1\n", 1, 9,
		     NULL, "a rule needs 'output'");
	expect_error(RULE("proc.pid = 1") "  output: \"x %proc.nam y\"\n", 6, 3, NULL,
		     "appears twice");
	expect_error("- rule: r\n  desc: d\n  output: \"pid %proc.pid in %contaner.id\"\n"
		     "  priority: info\n  condition: proc.pid = 1\n",
		     3, 29, NULL, "unknown field 'contaner.id' (did you mean 'container.id'?)");
	expect_error(RULE("proc.pid = 1") "  throttle: {key: [proc.pid], window: soon, max: 1}\n",
		     6, 39, NULL, "'throttle.window' must be a positive duration");
	expect_error(RULE("proc.pid = 1") "  throttle: {key: [proc.pdi], window: 1s, max: 1}\n",
		     6, 20, NULL, "unknown field 'proc.pdi'");
	expect_error(RULE("proc.pid = 1") "  threshold: {key: [proc.pid], window: 1s, count: 65}\n",
		     6, 51, NULL, "'threshold.count' must be an integer from 1 to 64");
	expect_error(RULE("proc.pid = 1") "  actions: [alert, explode]\n", 6, 20, NULL,
		     "unknown action 'explode'; valid actions: alert, kill, seccomp");
	expect_error("- required_engine_version: 99.0.0\n", 1, 28, NULL,
		     "rules require engine version 99.0.0");
	expect_error("rule: r\n", 1, 1, NULL, "a rules file must be a sequence of items");
	expect_error("- [a]\n", 1, 3, NULL, "each item must be a mapping");
	expect_error("- rule: r\n  desc: [unclosed\n", 3, 1, NULL, "invalid YAML");
	expect_error("- list: l\n  items: a\n", 2, 10, "list 'l'", "'items' must be a sequence");
	expect_error("- macro: m\n", 1, 3, "macro 'm'", "a macro needs a 'condition'");

	/* an unknown top-level item is a warning */
	assert_int_equal(load_text(&eng, "- plugin: x\n", &d), 0);
	assert_true(has_diag(&d, NG_DIAG_WARNING, 1, 3, NULL, "unknown item 'plugin', ignored"));
	ng_engine_free(eng);
	ng_diags_free(&d);
	/* a string that looks like a mistyped list name is flagged */
	assert_int_equal(load_text(&eng, "- list: numa_tools\n  items: [a]\n" RULE(
						 "proc.name in (numa_tool)"),
				   &d),
			 0);
	assert_true(has_diag(&d, NG_DIAG_WARNING, 7, 28, NULL,
			     "'numa_tool' is not a list; taken as a value (did you mean list "
			     "'numa_tools'?)"));
	ng_engine_free(eng);
	ng_diags_free(&d);
}

static void overrides(void **state)
{
	const char *base = "- list: tools\n  items: [numad]\n"
			   "- macro: m\n  condition: proc.pid = 4242\n"
			   "- rule: r\n  id: R\n  desc: d\n  output: o\n  priority: info\n"
			   "  condition: m and not proc.name in (tools)\n"
			   "- rule: s\n  id: S\n  desc: d\n  output: o\n  priority: info\n"
			   "  condition: proc.pid = 4242\n";
	const char *user[] = {
		/* 0: no override: r fires */
		"[]\n",
		/* 1: append to the list: NumaCtl is a tool now */
		"- list: tools\n  items: [NumaCtl]\n  override: {items: append}\n",
		/* 2: append to the condition */
		"- rule: r\n  condition: and proc.pid = 1\n  override: {condition: append}\n",
		/* 3: replace the macro */
		"- macro: m\n  condition: proc.pid = 1\n  override: {condition: replace}\n",
		/* 4: disable with the short form */
		"- rule: r\n  enabled: false\n",
		/* 5: append an exception, then values to it */
		"- rule: r\n  exceptions:\n  - name: e\n    fields: [proc.name, user.uid]\n"
		"    comps: [=, in]\n    values: [[x, [1]]]\n  override: {exceptions: append}\n"
		"- rule: r\n  exceptions:\n  - name: e\n    values: [[NumaCtl, [1, 1000]]]\n"
		"  override: {exceptions: append}\n",
		/* 6: legacy append on a list */
		"- list: tools\n  items: [NumaCtl]\n  append: true\n",
		/* 7: replace the list with itself plus a redefinition of r */
		"- rule: r\n  desc: d2\n  output: o\n  priority: info\n  condition: proc.pid = 1\n",
	};
	const unsigned want_r[] = { 1, 0, 0, 0, 0, 0, 0, 0 };
	for (size_t i = 0; i < sizeof(user) / sizeof(user[0]); i++) {
		const char *texts[] = { base, user[i] };
		const char *names[] = { "base.yaml", "t.yaml" };
		struct ng_diags d = { 0 };
		struct ng_engine *eng = NULL;
		struct ng_engine_opts o = { .no_defaults = true, .diags = &d, .texts = texts,
					    .text_names = names, .ntexts = 2 };
		int r = ng_engine_load(&eng, &o);
		if (r)
			dump_diags(&d);
		assert_int_equal(r, 0);
		/* s always fires; r as the override says */
		assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 1 + want_r[i]);
		assert_int_equal(ng_engine_rule_count(eng), 2);
		ng_engine_free(eng);
		ng_diags_free(&d);
	}
	const char *bad[] = {
		"- list: nope\n  items: [a]\n  override: {items: append}\n",
		"- rule: nope\n  condition: and x\n  override: {condition: append}\n",
		"- rule: r\n  condition: and proc.pid = 1\n  priority: debug\n"
		"  override: {condition: append}\n",
		"- rule: r\n  priority: debug\n  override: {priority: append}\n",
		"- rule: r\n  condition: x\n  append: true\n  override: {condition: append}\n",
		"- rule: nope\n  enabled: false\n",
	};
	const char *msg[] = {
		"cannot override list 'nope': it is not defined earlier",
		"cannot override rule 'nope': it is not defined earlier",
		"key 'priority' is not named in 'override'",
		"key 'priority' cannot be overridden with 'append'",
		"'append' cannot be combined with 'override'",
		"cannot enable/disable rule 'nope': it is not defined earlier",
	};
	const unsigned line[] = { 1, 1, 3, 3, 3, 1 }, col[] = { 9, 9, 13, 14, 11, 9 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *texts[] = { base, bad[i] };
		const char *names[] = { "base.yaml", "t.yaml" };
		struct ng_diags d = { 0 };
		struct ng_engine *eng = NULL;
		struct ng_engine_opts o = { .no_defaults = true, .diags = &d, .texts = texts,
					    .text_names = names, .ntexts = 2 };
		assert_int_equal(ng_engine_load(&eng, &o), -EINVAL);
		assert_true(has_diag(&d, NG_DIAG_ERROR, line[i], col[i], NULL, msg[i]));
		ng_diags_free(&d);
	}
}

static void exceptions(void **state)
{
	const char *t = "- rule: r\n  id: R\n  desc: d\n  output: o\n  priority: info\n"
			"  condition: proc.pid exists\n"
			"  exceptions:\n"
			"  - name: tool_in_container\n    fields: [proc.name, container.id]\n"
			"    values: [[NumaCtl, abc], [numad, host]]\n"
			"  - name: nodes\n    fields: [mpol.nodes, proc.exepath]\n"
			"    comps: [intersects, startswith]\n    values: [[[7, 8], /usr]]\n"
			"  - name: names\n    fields: proc.pname\n    values: [zsh, fish]\n";
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	assert_int_equal(load_text(&eng, t, &d), 0);
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 1);
	strcpy(ev.container_id, "abc"); /* first tuple matches: excepted */
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	full_event(&ev);
	ng_nodes_set(&ev.nodes, 8); /* second exception */
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	full_event(&ev);
	strcpy(ev.pname, "fish"); /* third: one field, values form an `in` */
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	full_event(&ev);
	ng_engine_free(eng);
	ng_diags_free(&d);

	expect_error("- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: proc.pid exists\n"
		     "  exceptions:\n  - name: e\n    fields: [proc.name, proc.pid]\n"
		     "    values: [[a]]\n",
		     9, 14, NULL, "each value must be a list of 2 items");
	expect_error("- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: proc.pid exists\n"
		     "  exceptions:\n  - name: e\n    fields: [proc.name, proc.pid]\n"
		     "    values: [[a, b]]\n",
		     9, 18, NULL, "type mismatch: proc.pid is an integer; 'b'");
	expect_error("- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: proc.pid exists\n"
		     "  exceptions:\n  - name: e\n    fields: [proc.nam]\n    values: [[a]]\n",
		     8, 14, NULL, "unknown field 'proc.nam'");
}

/* Hostile files: a clear error, never a crash or a hang. */
static void hostile_files(void **state)
{
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;

	/* 10 MB */
	size_t big = 10u << 20;
	char *s = malloc(big + 1);
	for (size_t i = 0; i < big; i += 10)
		memcpy(s + i, "- list: x\n", 10);
	s[big] = '\0';
	assert_int_equal(load_text(&eng, s, &d), -EINVAL);
	assert_true(has_diag(&d, NG_DIAG_ERROR, 1, 1, NULL, "larger than the"));
	ng_diags_free(&d);

	/* deep parentheses */
	size_t depth = 100000;
	size_t o = (size_t)sprintf(s, "- rule: r\n  desc: d\n  output: o\n  priority: info\n"
				      "  condition: ");
	for (size_t i = 0; i < depth; i++)
		s[o++] = '(';
	strcpy(s + o, "proc.pid = 1\n");
	assert_int_equal(load_text(&eng, s, &d), -EINVAL);
	assert_true(has_diag(&d, NG_DIAG_ERROR, 5, 78, NULL, "nested deeper than 64 levels"));
	ng_diags_free(&d);

	/* deep not */
	o = (size_t)sprintf(s, RULE(""));
	o--;
	for (size_t i = 0; i < depth; i++)
		o += (size_t)sprintf(s + o, "not ");
	strcpy(s + o, "proc.pid = 1\n");
	assert_int_equal(load_text(&eng, s, &d), -EINVAL);
	assert_true(d.errors >= 1);
	ng_diags_free(&d);

	/* deep YAML */
	o = 0;
	for (size_t i = 0; i < depth; i++)
		s[o++] = '[';
	s[o] = '\0';
	assert_int_equal(load_text(&eng, s, &d), -EINVAL);
	assert_true(has_diag(&d, NG_DIAG_ERROR, 1, 65, NULL, "YAML nested deeper than 64"));
	ng_diags_free(&d);

	/* a 1 MB rule name and a 1 MB value */
	o = (size_t)sprintf(s, "- rule: ");
	memset(s + o, 'n', 1u << 20);
	o += 1u << 20;
	o += (size_t)sprintf(s + o, "\n  desc: d\n  output: o\n  priority: info\n"
				    "  condition: proc.name = ");
	memset(s + o, 'v', 1u << 20);
	o += 1u << 20;
	strcpy(s + o, "\n");
	assert_int_equal(load_text(&eng, s, &d), 0);
	assert_int_equal(d.warnings, 1); /* longer than proc.name can hold */
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	ng_engine_free(eng);
	ng_diags_free(&d);

	/* invalid UTF-8 */
	assert_int_equal(load_text(&eng, RULE("proc.name = \"\xff\xfe\""), &d), -EINVAL);
	assert_true(has_diag(&d, NG_DIAG_ERROR, 5, 27, NULL, "invalid YAML"));
	ng_diags_free(&d);

	/* a NUL through an escape */
	assert_int_equal(load_text(&eng, RULE("\"proc.name = a\\0b\""), &d), -EINVAL);
	assert_true(has_diag(&d, NG_DIAG_ERROR, 5, 14, NULL, "NUL character"));
	ng_diags_free(&d);

	/* aliases (billion laughs) are refused */
	assert_int_equal(load_text(&eng, "- list: a\n  items: &x [a, a]\n- list: b\n  items: [*x, *x]\n",
				   &d),
			 -EINVAL);
	assert_true(has_diag(&d, NG_DIAG_ERROR, 4, 11, NULL, "YAML aliases"));
	ng_diags_free(&d);

	/* an error per line: diagnostics are capped, all counted */
	o = 0;
	for (int i = 0; i < 2000; i++)
		o += (size_t)sprintf(s + o, "- 1\n");
	assert_int_equal(load_text(&eng, s, &d), -EINVAL);
	assert_int_equal(d.errors, 2000);
	assert_int_equal(d.n, NG_DIAG_MAX);
	ng_diags_free(&d);

	/* a list that contains itself */
	expect_error("- list: a\n  items: [b]\n- list: b\n  items: [a]\n" RULE("proc.name in (a)"),
		     4, 11, NULL, "list 'a' refers to itself");

	/* a glob that backtracks a lot still returns quickly */
	memset(ev.cmdline, 'a', sizeof(ev.cmdline) - 1);
	ev.cmdline[sizeof(ev.cmdline) - 1] = '\0';
	assert_int_equal(load_text(&eng, RULE("proc.cmdline glob '*a*a*a*a*a*a*a*a*a*a*b'"), &d), 0);
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 0);
	ng_engine_free(eng);
	ng_diags_free(&d);
	full_event(&ev);
	free(s);
}

/* 100 000 items and 2 000 rules: names, ids and suggestions are indexed, never quadratic. */
static void many_items(void **state)
{
	size_t cap = 16u << 20, o = 0;
	char *s = malloc(cap);
	for (int i = 0; i < 100000; i++)
		o += (size_t)sprintf(s + o, "- list: l%d\n  items: [a%d]\n", i, i);
	for (int i = 0; i < 2000; i++)
		o += (size_t)sprintf(s + o, "- rule: r%d\n  id: X-%d\n  desc: d\n  output: o\n"
					    "  priority: info\n  condition: proc.name in (l%d, l%d)\n",
				     i, i == 1999 ? 7 : i, i, 99999 - i);
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	const char *names[] = { "t.yaml" };
	struct ng_engine_opts opts = { .no_defaults = true, .diags = &d, .texts = (const char **)&s,
				       .text_names = names, .ntexts = 1 };
	assert_int_equal(ng_engine_load(&eng, &opts), -EINVAL);
	assert_int_equal(d.errors, 1);
	assert_true(has_diag(&d, NG_DIAG_ERROR, 200000 + 1999 * 6 + 2, 7, "rule 'r1999'",
			     "duplicate rule id 'X-7', already used by rule 'r7'"));
	ng_diags_free(&d);
	/* without the duplicate it loads, and the lists work */
	char *dup = strstr(s, "id: X-7\n  desc: d\n  output: o\n  priority: info\n  condition: "
			      "proc.name in (l1999");
	assert_non_null(dup);
	memcpy(dup, "id: Y-7", 7);
	assert_int_equal(ng_engine_load(&eng, &opts), 0);
	assert_int_equal(ng_engine_rule_count(eng), 2000);
	strcpy(ev.name, "a99990");
	assert_int_equal(ng_engine_eval(eng, &ev, NULL, NULL), 1); /* r9 lists l99990 */
	ng_engine_free(eng);
	ng_diags_free(&d);
	full_event(&ev);
	free(s);
}

static void shipped_rules_load(void **state)
{
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	struct ng_engine_opts o = { .diags = &d };
	assert_int_equal(ng_engine_load(&eng, &o), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 0);
	assert_true(ng_engine_rule_count(eng) >= 7);
	for (size_t i = 0; i < ng_engine_rule_count(eng); i++) {
		struct ng_rule_info ri;
		ng_engine_rule_info(eng, i, &ri);
		assert_true(strncmp(ri.id, "NG-", 3) == 0);
		assert_true(ri.desc[0] != '\0');
		assert_true(ri.ntags > 0);
	}
	ng_engine_free(eng);
	ng_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(condition_errors, setup),
		cmocka_unit_test_setup(item_errors, setup),
		cmocka_unit_test_setup(overrides, setup),
		cmocka_unit_test_setup(exceptions, setup),
		cmocka_unit_test_setup(hostile_files, setup),
		cmocka_unit_test_setup(many_items, setup),
		cmocka_unit_test_setup(shipped_rules_load, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
