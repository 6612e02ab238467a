// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Condition trees → seccomp filters, checked end to end: each tree is
 * compiled, built by libseccomp for every ABI of the host, exported as raw
 * BPF, and the BPF is run by the cBPF evaluator over a table of calls (every
 * mode, with each flag combination, with garbage in the upper 32 bits, with
 * several maxnode values) on x86_64, i386 and x32. The expected answer comes
 * from an evaluator of the tree written here, on the event the kernel would
 * see, independent of the compiler.
 */
#include <errno.h>
#include <linux/audit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "seccomp/bpfeval.h"
#include "seccomp/compile.h"
#include "seccomp/filter.h"
#include "../rand.h"

/* Tree building: a pool of nodes and values, reset per test. */
static struct ng_node pool[64];
static struct ng_value vpool[512];
static size_t npool, nvpool;

static const struct ng_node *cmp(enum ng_field_id f, enum ng_op op, size_t n, ...)
{
	struct ng_node *x = &pool[npool++];
	va_list ap;

	memset(x, 0, sizeof(*x));
	x->kind = NG_NODE_CMP;
	x->field = f;
	x->op = op;
	x->values = &vpool[nvpool];
	x->nvalues = n;
	x->file = "test.yaml";
	x->line = (unsigned)npool;
	x->col = 1;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		vpool[nvpool++] = (struct ng_value){.num = va_arg(ap, int64_t)};
	va_end(ap);
	return x;
}

static const struct ng_node *str_cmp(enum ng_field_id f, const char *s)
{
	struct ng_node *x = &pool[npool++];

	memset(x, 0, sizeof(*x));
	x->kind = NG_NODE_CMP;
	x->field = f;
	x->op = NG_OP_EQ;
	x->values = &vpool[nvpool];
	x->nvalues = 1;
	vpool[nvpool++] = (struct ng_value){.is_str = true, .str = s};
	return x;
}

static const struct ng_node *bin(enum ng_node_kind k, const struct ng_node *l,
				 const struct ng_node *r)
{
	struct ng_node *x = &pool[npool++];

	memset(x, 0, sizeof(*x));
	x->kind = k;
	x->left = l;
	x->right = r;
	return x;
}
#define AND(l, r) bin(NG_NODE_AND, l, r)
#define OR(l, r) bin(NG_NODE_OR, l, r)
#define NOT(l) bin(NG_NODE_NOT, l, NULL)
#define V(x) ((int64_t)(x))

/* The event fields the kernel derives from the registers (SPEC §3). */
struct view {
	int64_t mode;
	uint64_t flags, raw, maxnode;
	const char *syscall;
};

/*
 * Truth of a tree; a comparison of a field seccomp cannot see takes the
 * next bit of `unknown`, so callers can try every assignment.
 */
static bool eval(const struct ng_node *n, const struct view *v, unsigned unknown, unsigned *next)
{
	switch (n->kind) {
	case NG_NODE_AND: {
		bool l = eval(n->left, v, unknown, next);
		bool r = eval(n->right, v, unknown, next);

		return l && r;
	}
	case NG_NODE_OR: {
		bool l = eval(n->left, v, unknown, next);
		bool r = eval(n->right, v, unknown, next);

		return l || r;
	}
	case NG_NODE_NOT:
		return !eval(n->left, v, unknown, next);
	case NG_NODE_CONST:
		return n->constant;
	case NG_NODE_CMP:
		break;
	}
	const struct ng_value *x = n->values;

	switch (n->field) {
	case NG_F_MPOL_MODE:
		switch (n->op) {
		case NG_OP_EQ:
			return v->mode == x[0].num;
		case NG_OP_NE:
			return v->mode != x[0].num;
		case NG_OP_LT:
			return v->mode < x[0].num;
		case NG_OP_LE:
			return v->mode <= x[0].num;
		case NG_OP_GT:
			return v->mode > x[0].num;
		case NG_OP_GE:
			return v->mode >= x[0].num;
		case NG_OP_IN:
			for (size_t i = 0; i < n->nvalues; i++)
				if (v->mode == x[i].num)
					return true;
			return false;
		default:
			fail_msg("op %d on mpol.mode", n->op);
		}
		break;
	case NG_F_MPOL_FLAGS: {
		bool all = true, any = false, sub = true, eq;
		uint64_t set = 0;

		for (size_t i = 0; i < n->nvalues; i++) {
			uint64_t bit = 1ull << x[i].num;

			set |= bit;
			all &= (v->flags & bit) != 0;
			any |= (v->flags & bit) != 0;
		}
		sub = (v->flags & ~set) == 0;
		eq = v->flags == set;
		switch (n->op) {
		case NG_OP_CONTAINS:
			return all;
		case NG_OP_INTERSECTS:
			return any;
		case NG_OP_IN:
			return sub;
		case NG_OP_EQ:
			return eq;
		case NG_OP_NE:
			return !eq;
		default:
			fail_msg("op %d on mpol.flags", n->op);
		}
		break;
	}
	case NG_F_MPOL_MODE_RAW:
	case NG_F_MPOL_MAXNODE: {
		uint64_t f = n->field == NG_F_MPOL_MAXNODE ? v->maxnode : v->raw,
			 d = (uint64_t)x[0].num;

		switch (n->op) {
		case NG_OP_EQ:
			return f == d;
		case NG_OP_NE:
			return f != d;
		case NG_OP_LT:
			return f < d;
		case NG_OP_LE:
			return f <= d;
		case NG_OP_GT:
			return f > d;
		case NG_OP_GE:
			return f >= d;
		case NG_OP_IN:
			for (size_t i = 0; i < n->nvalues; i++)
				if (f == (uint64_t)x[i].num)
					return true;
			return false;
		default:
			fail_msg("op %d on a number", n->op);
		}
		break;
	}
	case NG_F_EVT_SYSCALL:
		return strcmp(v->syscall, x[0].str) == 0;
	default:
		return (unknown >> (*next)++) & 1;
	}
	return false;
}

static bool rule_can_match(const struct ng_node *n, const struct view *v, unsigned nunknown)
{
	for (unsigned a = 0; a < (1u << nunknown); a++) {
		unsigned next = 0;

		if (eval(n, v, a, &next))
			return true;
	}
	return false;
}

static const uint64_t modes[] = {0, 1, 2,      3,	   4,	       5,	   6,
				 7, 8, 0x1002, 0x7FFFFFFF, 0x80000002, 0xFFFFFFFF, 0xFFFFDFFE};
static const uint64_t his[] = {0, 1ull << 32, 0xFFFFFFFF00000000ull};
static const uint64_t maxnodes[] = {
    0, 1, 2, 3, 64, 65, 100, 1024, 1025, 4097, 4098, 1ull << 32, (1ull << 32) | 5, UINT64_MAX};

struct arch {
	const char *name;
	uint32_t scmp, audit;
	int nr;
	bool is32;
};

static const struct arch arches[] = {
    {"x86_64", SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, 238, false},
    {"i386", SCMP_ARCH_X86, AUDIT_ARCH_I386, 276, true},
    {"x32", SCMP_ARCH_X32, AUDIT_ARCH_X86_64, 238 | 0x40000000, false},
};

enum expect { EXACT, EXACT_BUT_X32 };

/*
 * Compile, build, export and check the BPF against the tree on every call of
 * the table. EXACT: the filter blocks exactly the calls the tree matches
 * (on every ABI). With unknowns or EXACT_BUT_X32: every call the tree can
 * match is blocked (never fewer), which is what a broadened filter promises.
 */
static unsigned chained_builds;

/* Returns false when the compiler refused the tree (only allowed with `may_refuse`). */
static bool check_tree(const struct ng_node *tree, unsigned nunknown, enum expect ex,
		       bool may_refuse)
{
	struct ng_sc_filter f;
	struct ng_sc_arches host;
	struct ng_sc_program program;
	char err[512];
	int r;

	ng_sc_filter_init(&f, "test");
	r = ng_sc_compile(tree, &f, err, sizeof(err));
	if (r < 0 && may_refuse && (r == -ENOENT || r == -E2BIG)) {
		ng_sc_filter_free(&f);
		npool = nvpool = 0;
		return false;
	}
	if (r < 0)
		fail_msg("compile: %s", err);
	assert_int_equal(f.broadened, nunknown > 0);
	ng_sc_host_arches(&host);
	assert_int_equal(host.n, 3);
	r = ng_sc_build_program(&f, &host, &program, err, sizeof(err));
	if (r < 0)
		fail_msg("build: %s", err);
	chained_builds += program.parts > 1;

	const struct sock_filter *prog = program.insns;
	size_t n = program.n, checked = 0;

	for (size_t a = 0; a < 3; a++)
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
			for (unsigned fl = 0; fl < 8; fl++)
				for (size_t h = 0; h < 3; h++)
					for (size_t x = 0;
					     x < sizeof(maxnodes) / sizeof(maxnodes[0]); x++) {
						const struct arch *ar = &arches[a];
						uint64_t raw =
						    his[h] | modes[m] | ((uint64_t)fl << 13);
						uint64_t mx = maxnodes[x];
						struct seccomp_data d = {.nr = ar->nr,
									 .arch = ar->audit};
						struct view v;
						uint32_t got;

						if (ar->is32) {
							/* Compat registers are 32 bits,
							 * zero-extended. */
							raw = (uint32_t)raw;
							mx = (uint32_t)mx;
						}
						d.args[0] = raw;
						d.args[2] = mx;
						v.raw = raw;
						v.flags = raw & 0xE000;
						v.mode = (int64_t)(int32_t)(uint32_t)raw &
							 ~(int64_t)0xE000;
						v.maxnode = mx;
						v.syscall = "set_mempolicy";
						assert_int_equal(ng_bpf_run(prog, n, &d, &got), 0);
						bool blocked = got == SCMP_ACT_ERRNO(EPERM);
						bool match = rule_can_match(tree, &v, nunknown);

						if (!blocked && got != SCMP_ACT_ALLOW)
							fail_msg("%s: unexpected action 0x%x",
								 ar->name, got);
						if (match && !blocked)
							fail_msg("%s: raw=0x%llx maxnode=0x%llx "
								 "matches the rule "
								 "but passes the filter",
								 ar->name, (unsigned long long)raw,
								 (unsigned long long)mx);
						bool exact =
						    nunknown == 0 && (ex == EXACT || a != 2);

						if (exact && blocked && !match)
							fail_msg("%s: raw=0x%llx maxnode=0x%llx is "
								 "blocked but "
								 "the rule does not match",
								 ar->name, (unsigned long long)raw,
								 (unsigned long long)mx);
						checked++;
					}
	assert_true(checked > 10000);
	ng_sc_program_free(&program);
	ng_sc_filter_free(&f);
	npool = nvpool = 0;
	return true;
}

static void check(const struct ng_node *tree, unsigned nunknown, enum expect ex)
{
	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip();
	check_tree(tree, nunknown, ex, false);
}

static void expect_error(const struct ng_node *tree, int want)
{
	struct ng_sc_filter f;
	char err[512] = "";

	ng_sc_filter_init(&f, "test");
	assert_int_equal(ng_sc_compile(tree, &f, err, sizeof(err)), want);
	assert_true(strlen(err) > 10);
	ng_sc_filter_free(&f);
	npool = nvpool = 0;
}

#define MODE(op, ...)                                                                              \
	cmp(NG_F_MPOL_MODE, op, (size_t)(sizeof((int64_t[]){__VA_ARGS__}) / 8), __VA_ARGS__)
#define FLAGS(op, ...)                                                                             \
	cmp(NG_F_MPOL_FLAGS, op, (size_t)(sizeof((int64_t[]){__VA_ARGS__}) / 8), __VA_ARGS__)
#define MAXNODE(op, x) cmp(NG_F_MPOL_MAXNODE, op, 1, V(x))
#define RAW(op, x) cmp(NG_F_MPOL_MODE_RAW, op, 1, V(x))
#define STATIC V(15)
#define RELATIVE V(14)
#define BALANCING V(13)

static void test_mode_eq(void **s)
{
	check(MODE(NG_OP_EQ, V(2)), 0, EXACT);
}
static void test_mode_ne(void **s)
{
	check(MODE(NG_OP_NE, V(2)), 0, EXACT);
}
static void test_not_mode_eq(void **s)
{
	check(NOT(MODE(NG_OP_EQ, V(2))), 0, EXACT);
}
static void test_mode_in(void **s)
{
	check(MODE(NG_OP_IN, V(2), V(5)), 0, EXACT);
}
static void test_not_mode_in(void **s)
{
	check(NOT(MODE(NG_OP_IN, V(0), V(4))), 0, EXACT);
}
static void test_mode_ge(void **s)
{
	check(MODE(NG_OP_GE, V(3)), 0, EXACT);
}
static void test_mode_lt(void **s)
{
	check(MODE(NG_OP_LT, V(2)), 0, EXACT);
}
static void test_flags_contains(void **s)
{
	check(FLAGS(NG_OP_CONTAINS, STATIC), 0, EXACT);
}
static void test_flags_intersects(void **s)
{
	check(FLAGS(NG_OP_INTERSECTS, STATIC, RELATIVE), 0, EXACT);
}
static void test_not_flags_intersects(void **s)
{
	check(NOT(FLAGS(NG_OP_INTERSECTS, STATIC, RELATIVE, BALANCING)), 0, EXACT);
}
static void test_flags_in(void **s)
{
	check(FLAGS(NG_OP_IN, STATIC), 0, EXACT);
}
static void test_mode_and_flag(void **s)
{
	check(AND(MODE(NG_OP_EQ, V(2)), FLAGS(NG_OP_CONTAINS, STATIC)), 0, EXACT);
}
static void test_deny_bind(void **s)
{
	check(OR(MODE(NG_OP_EQ, V(2)), FLAGS(NG_OP_CONTAINS, STATIC)), 0, EXACT);
}
static void test_maxnode_gt(void **s)
{
	check(MAXNODE(NG_OP_GT, 1024), 0, EXACT_BUT_X32);
}
static void test_maxnode_range(void **s)
{
	check(AND(MAXNODE(NG_OP_GT, 64), MAXNODE(NG_OP_LT, 1025)), 0, EXACT_BUT_X32);
}
static void test_not_maxnode_range(void **s)
{
	check(NOT(AND(MAXNODE(NG_OP_GE, 2), MAXNODE(NG_OP_LE, 1024))), 0, EXACT_BUT_X32);
}
static void test_raw_eq(void **s)
{
	check(RAW(NG_OP_EQ, 0x8002), 0, EXACT_BUT_X32);
}
static void test_raw_and_mode(void **s)
{
	check(AND(RAW(NG_OP_NE, 2), MODE(NG_OP_EQ, V(2))), 0, EXACT_BUT_X32);
}
static void test_mixed(void **s)
{
	check(AND(AND(MODE(NG_OP_IN, V(2), V(3)), NOT(FLAGS(NG_OP_CONTAINS, BALANCING))),
		  MAXNODE(NG_OP_LE, 1025)),
	      0, EXACT_BUT_X32);
}
static void test_syscall_is_exact(void **s)
{
	check(AND(str_cmp(NG_F_EVT_SYSCALL, "set_mempolicy"), MODE(NG_OP_EQ, V(2))), 0, EXACT);
}

/* A process field cannot be tested: dropped, and the filter covers every call the rule might match.
 */
static void test_unknown_broadens(void **s)
{
	check(AND(MODE(NG_OP_EQ, V(2)), NOT(str_cmp(NG_F_PROC_NAME, "numactl"))), 1, EXACT);
}
static void test_unknown_under_or(void **s)
{
	check(AND(MODE(NG_OP_IN, V(2), V(3)),
		  OR(str_cmp(NG_F_CONTAINER_ID, "host"), FLAGS(NG_OP_CONTAINS, STATIC))),
	      1, EXACT);
}

static void test_notes_name_the_dropped_parts(void **s)
{
	struct ng_sc_filter f;
	char err[512];

	ng_sc_filter_init(&f, "test");
	assert_int_equal(
	    ng_sc_compile(AND(MODE(NG_OP_EQ, V(2)), cmp(NG_F_MPOL_NODES, NG_OP_CONTAINS, 1, V(1))),
			  &f, err, sizeof(err)),
	    0);
	assert_true(f.broadened);
	assert_non_null(strstr(f.notes.data, "mpol.nodes"));
	assert_non_null(strstr(f.notes.data, "pointer"));
	assert_non_null(strstr(f.notes.data, "test.yaml:"));
	assert_int_equal(f.nclauses, 1);
	assert_int_equal(f.clauses[0].ncmp, 1);
	assert_int_equal(f.clauses[0].cmp[0].op, SCMP_CMP_MASKED_EQ);
	assert_int_equal(f.clauses[0].cmp[0].mask, 0xFFFF1FFF);
	assert_int_equal(f.clauses[0].cmp[0].datum, 2);
	ng_sc_filter_free(&f);
	npool = nvpool = 0;
}

/* A long list: every listed value (and no other) is blocked; past the limit it is refused. */
static const struct ng_node *mode_list(size_t n, int64_t first)
{
	struct ng_node *x = &pool[npool++];

	memset(x, 0, sizeof(*x));
	x->kind = NG_NODE_CMP;
	x->field = NG_F_MPOL_MODE;
	x->op = NG_OP_IN;
	x->values = &vpool[nvpool];
	x->nvalues = n;
	for (size_t i = 0; i < n; i++)
		vpool[nvpool++] = (struct ng_value){.num = first + (int64_t)(i * 3)};
	return x;
}
static void test_long_mode_list(void **s)
{
	check(NOT(mode_list(128, -200)), 0, EXACT);
	expect_error(mode_list(129, 0), -E2BIG);
}

/*
 * Random conditions over mode, flags and maxnode (a fixed seed, so a failure
 * reproduces): each one compiled, built (retried or chained around libseccomp
 * bugs) and checked against the tree's own evaluation on every ABI.
 */
static uint64_t rng = 0x6e756d61ull;

static unsigned rnd(unsigned n)
{
	return ng_test_rand(&rng, n);
}

static const struct ng_node *random_tree(int depth)
{
	static const enum ng_op mode_ops[] = {NG_OP_EQ, NG_OP_NE, NG_OP_LT, NG_OP_GE, NG_OP_IN};
	static const enum ng_op flag_ops[] = {NG_OP_CONTAINS, NG_OP_INTERSECTS, NG_OP_IN};
	static const enum ng_op num_ops[] = {NG_OP_EQ, NG_OP_NE, NG_OP_LT,
					     NG_OP_LE, NG_OP_GT, NG_OP_GE};
	static const uint64_t nums[] = {0,    1,    2,	  3,	      64,	  65,
					1024, 1025, 4096, 0xFFFFFFFF, 1ull << 32, (1ull << 32) | 1};

	if (depth > 0 && rnd(3) != 0) {
		unsigned k = rnd(5);

		if (k == 0)
			return NOT(random_tree(depth - 1));
		return bin(k < 3 ? NG_NODE_AND : NG_NODE_OR, random_tree(depth - 1),
			   random_tree(depth - 1));
	}
	switch (rnd(3)) {
	case 0: {
		enum ng_op op = mode_ops[rnd(5)];

		if (op == NG_OP_IN)
			return MODE(op, V(rnd(8)), V(rnd(8)));
		return MODE(op, V(rnd(8)));
	}
	case 1: {
		enum ng_op op = flag_ops[rnd(3)];

		return rnd(2) ? FLAGS(op, V(13 + rnd(3)))
			      : FLAGS(op, V(13 + rnd(3)), V(13 + rnd(3)));
	}
	default:
		return MAXNODE(num_ops[rnd(6)], nums[rnd(sizeof(nums) / sizeof(nums[0]))]);
	}
}

static void test_random_conditions(void **s)
{
	unsigned built = 0;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip();
	chained_builds = 0;
	for (int i = 0; i < 150; i++)
		built += check_tree(random_tree(3), 0, EXACT_BUT_X32, true);
	/* Most random trees build; a few are contradictions or too large. */
	assert_true(built > 100);
	printf("# %u of 150 random conditions built, %u of them as chained programs\n", built,
	       chained_builds);
}

static void test_nothing_expressible(void **s)
{
	expect_error(str_cmp(NG_F_PROC_NAME, "x"), -ENOEXEC);
}
static void test_never_matches(void **s)
{
	expect_error(AND(MODE(NG_OP_EQ, V(2)), NOT(MODE(NG_OP_IN, V(1), V(2)))), -ENOENT);
	expect_error(AND(str_cmp(NG_F_EVT_SYSCALL, "mbind"), MODE(NG_OP_EQ, V(2))), -ENOENT);
}

static void test_whole_syscall_detected(void **s)
{
	struct ng_sc_filter f;
	char err[512];

	ng_sc_filter_init(&f, "test");
	assert_int_equal(ng_sc_compile(OR(str_cmp(NG_F_PROC_NAME, "x"), MODE(NG_OP_EQ, V(2))), &f,
				       err, sizeof(err)),
			 0);
	assert_true(ng_sc_filter_unconditional(&f));
	ng_sc_filter_free(&f);
	npool = nvpool = 0;
	ng_sc_filter_init(&f, "test");
	assert_int_equal(ng_sc_compile(MODE(NG_OP_EQ, V(2)), &f, err, sizeof(err)), 0);
	assert_false(ng_sc_filter_unconditional(&f));
	ng_sc_filter_free(&f);
	npool = nvpool = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mode_eq),
	    cmocka_unit_test(test_mode_ne),
	    cmocka_unit_test(test_not_mode_eq),
	    cmocka_unit_test(test_mode_in),
	    cmocka_unit_test(test_not_mode_in),
	    cmocka_unit_test(test_mode_ge),
	    cmocka_unit_test(test_mode_lt),
	    cmocka_unit_test(test_flags_contains),
	    cmocka_unit_test(test_flags_intersects),
	    cmocka_unit_test(test_not_flags_intersects),
	    cmocka_unit_test(test_flags_in),
	    cmocka_unit_test(test_mode_and_flag),
	    cmocka_unit_test(test_deny_bind),
	    cmocka_unit_test(test_maxnode_gt),
	    cmocka_unit_test(test_maxnode_range),
	    cmocka_unit_test(test_not_maxnode_range),
	    cmocka_unit_test(test_raw_eq),
	    cmocka_unit_test(test_raw_and_mode),
	    cmocka_unit_test(test_mixed),
	    cmocka_unit_test(test_syscall_is_exact),
	    cmocka_unit_test(test_unknown_broadens),
	    cmocka_unit_test(test_unknown_under_or),
	    cmocka_unit_test(test_notes_name_the_dropped_parts),
	    cmocka_unit_test(test_long_mode_list),
	    cmocka_unit_test(test_random_conditions),
	    cmocka_unit_test(test_nothing_expressible),
	    cmocka_unit_test(test_never_matches),
	    cmocka_unit_test(test_whole_syscall_detected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
