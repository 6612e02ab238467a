// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Policy files: the shipped deny-bind policy on every ABI (a table of calls
 * run through the cBPF evaluator), golden PFC output for every shipped
 * policy, the checked-in generated examples, and FILE:LINE:COL errors.
 *
 * After an intended change to the output, regenerate the golden files with
 *   numaguard seccomp generate --policy policies/P.yaml --format pfc \
 *     -o tests/seccomp/data/P.pfc
 */
#include <errno.h>
#include <linux/audit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "seccomp/bpfeval.h"
#include "seccomp/filter.h"
#include "seccomp/policy.h"

static const char *srcdir;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void load_shipped(const char *name, struct ng_sc_filter *f)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/policies/%s.yaml", srcdir, name);
	ng_sc_filter_init(f, path);
	assert_int_equal(ng_sc_policy_load(path, f, stderr), 0);
}

static void build(const struct ng_sc_filter *f, enum ng_sc_format fmt, struct ng_buf *out)
{
	struct ng_sc_arches arches;
	struct ng_sc_program prog;
	char err[512];

	ng_sc_host_arches(&arches);
	if (ng_sc_build_program(f, &arches, &prog, err, sizeof(err)) < 0)
		fail_msg("build: %s", err);
	assert_int_equal(prog.parts, 1);
	if (fmt == NG_SC_FMT_BPF)
		ng_buf_put(out, prog.insns, prog.n * sizeof(*prog.insns));
	else
		ng_buf_put(out, prog.pfc.data, prog.pfc.len);
	ng_sc_program_free(&prog);
}

#define MPOL_F_STATIC (1ull << 15)
#define MPOL_F_RELATIVE (1ull << 14)
#define MPOL_F_BALANCING (1ull << 13)
#define HI (1ull << 32)

struct row {
	uint64_t mode;
	bool denied;
};

/* deny-bind: MPOL_BIND in any form, and MPOL_F_STATIC_NODES with any mode. */
static const struct row deny_bind_table[] = {
    {0, false}, /* DEFAULT */
    {1, false}, /* PREFERRED */
    {2, true},	/* BIND */
    {3, false}, /* INTERLEAVE: a bit test for 2 would catch it */
    {4, false}, /* LOCAL */
    {5, false}, /* PREFERRED_MANY */
    {6, false}, /* WEIGHTED_INTERLEAVE: also has bit 1 set */
    {7, false}, /* MPOL_MAX: EINVAL in the kernel */
    {2 | MPOL_F_STATIC, true},
    {2 | MPOL_F_RELATIVE, true},
    {2 | MPOL_F_BALANCING, true},
    {2 | MPOL_F_RELATIVE | MPOL_F_BALANCING, true},
    {3 | MPOL_F_STATIC, true},
    {1 | MPOL_F_STATIC, true},
    {3 | MPOL_F_RELATIVE, false},
    {6 | MPOL_F_BALANCING, false},
    {HI | 2, true}, /* the kernel truncates to int: still BIND */
    {HI | 2 | MPOL_F_RELATIVE, true},
    {0xFFFFFFFF00000000ull | 2, true},
    {HI | 3, false},
    {HI | MPOL_F_STATIC, true},
    {0x1002, false}, /* unknown flag bit stays in the mode: EINVAL */
    {0x80000002, false},
};

static void test_deny_bind_table(void **state)
{
	static const struct {
		const char *name;
		uint32_t audit;
		int nr;
		bool is32;
	} abis[] = {
	    {"x86_64", AUDIT_ARCH_X86_64, 238, false},
	    {"i386", AUDIT_ARCH_I386, 276, true},
	    {"x32", AUDIT_ARCH_X86_64, 238 | 0x40000000, false},
	};
	struct ng_sc_filter f;
	struct ng_buf bpf = {0};

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip();
	load_shipped("deny-bind", &f);
	build(&f, NG_SC_FMT_BPF, &bpf);
	for (size_t a = 0; a < 3; a++)
		for (size_t i = 0; i < sizeof(deny_bind_table) / sizeof(deny_bind_table[0]); i++) {
			struct seccomp_data d = {.nr = abis[a].nr, .arch = abis[a].audit};
			uint64_t mode = deny_bind_table[i].mode;
			bool want = deny_bind_table[i].denied;
			uint32_t got;

			/* An i386 register holds 32 bits: the high ones cannot be set there. */
			if (abis[a].is32)
				mode = (uint32_t)mode;
			d.args[0] = mode;
			d.args[1] = 0x1000;
			d.args[2] = 2;
			assert_int_equal(ng_bpf_run((const struct sock_filter *)bpf.data,
						    bpf.len / sizeof(struct sock_filter), &d, &got),
					 0);
			if (got != (want ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW))
				fail_msg("%s mode 0x%llx: got 0x%x, want %s", abis[a].name,
					 (unsigned long long)mode, got, want ? "EPERM" : "allow");
		}
	/* Other system calls pass; a foreign ABI is killed. */
	struct seccomp_data getpid64 = {.nr = 39, .arch = AUDIT_ARCH_X86_64};
	struct seccomp_data arm = {.nr = 321, .arch = AUDIT_ARCH_ARM};
	uint32_t got;

	assert_int_equal(
	    ng_bpf_run((const struct sock_filter *)bpf.data, bpf.len / 8, &getpid64, &got), 0);
	assert_int_equal(got, SCMP_ACT_ALLOW);
	assert_int_equal(ng_bpf_run((const struct sock_filter *)bpf.data, bpf.len / 8, &arm, &got),
			 0);
	assert_int_equal(got, SCMP_ACT_KILL_PROCESS);
	ng_buf_free(&bpf);
	ng_sc_filter_free(&f);
}

static void golden(const char *name)
{
	struct ng_sc_filter f;
	struct ng_buf pfc = {0};
	char path[512];
	size_t len;
	char *want;

	load_shipped(name, &f);
	build(&f, NG_SC_FMT_PFC, &pfc);
	snprintf(path, sizeof(path), "%s/tests/seccomp/data/%s.pfc", srcdir, name);
	want = slurp(path, &len);
	if (pfc.len != len || memcmp(pfc.data, want, len) != 0)
		fail_msg("PFC of policies/%s.yaml differs from %s:\n%s", name, path, pfc.data);
	free(want);
	ng_buf_free(&pfc);
	ng_sc_filter_free(&f);
}

static void test_golden_pfc(void **state)
{
	/* PFC lists the host's ABIs and its layout is libseccomp's: the files are for x86_64, 2.5.
	 */
	const struct scmp_version *v = seccomp_version();

	if (seccomp_arch_native() != SCMP_ARCH_X86_64 || v->major != 2 || v->minor != 5) {
		fprintf(stderr, "# golden PFC is for libseccomp 2.5 on x86_64; this is %u.%u.%u\n",
			v->major, v->minor, v->micro);
		skip();
	}
	golden("deny-bind");
	golden("only-default-local");
	golden("kill-oversized-maxnode");
	golden("log-numa-balancing");
}

/* policies/generated/ holds outputs shown in the docs; they must match what the code writes. */
static void test_generated_examples(void **state)
{
	struct ng_sc_filter f;
	struct ng_sc_arches arches;
	struct ng_buf oci = {0}, sd = {0};
	char path[512];
	size_t len;
	char *want;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip();
	snprintf(path, sizeof(path), "%s/policies/deny-bind.yaml", srcdir);
	ng_sc_filter_init(&f, path);
	assert_int_equal(ng_sc_policy_load(path, &f, stderr), 0);
	ng_sc_host_arches(&arches);
	size_t order[16];
	char err[512];

	assert_true(f.nclauses <= 16);
	assert_int_equal(ng_sc_oci_order(&f, &arches, order, err, sizeof(err)), 0);
	assert_int_equal(ng_sc_write_oci(&f, &arches, order, &oci), 0);
	assert_int_equal(ng_sc_write_systemd(&f, &arches, &sd), 0);
	/* The recipe of SPEC §6 and REFERENCE §2.5, verbatim. */
	assert_non_null(strstr(oci.data, "{ \"index\": 0, \"value\": 4294909951, \"valueTwo\": 2, "
					 "\"op\": \"SCMP_CMP_MASKED_EQ\" }"));
	assert_non_null(strstr(sd.data, "SystemCallFilter=~set_mempolicy:EPERM\n"));
	assert_non_null(strstr(sd.data, "blocks EVERY set_mempolicy call"));
	assert_non_null(strstr(sd.data, "ExecStart=/usr/sbin/numaguard exec"));
	snprintf(path, sizeof(path), "%s/policies/generated/deny-bind.json", srcdir);
	want = slurp(path, &len);
	assert_int_equal(oci.len, len);
	assert_memory_equal(oci.data, want, len);
	free(want);
	snprintf(path, sizeof(path), "%s/policies/generated/deny-bind.conf", srcdir);
	want = slurp(path, &len);
	assert_int_equal(sd.len, len);
	assert_memory_equal(sd.data, want, len);
	free(want);
	ng_buf_free(&oci);
	ng_buf_free(&sd);
	ng_sc_filter_free(&f);
}

struct bad {
	const char *yaml;
	const char *want; /* after "FILE:" */
};

static const struct bad bad_policies[] = {
    {"policy: p\naction: errno\nmatch:\n  - mode: MPOL_NOPE\n",
     "4:11: error: 'mode': unknown mode 'MPOL_NOPE'"},
    {"policy: p\naction: explode\nmatch:\n  - mode: MPOL_BIND\n",
     "2:9: error: unknown action 'explode'"},
    {"policy: p\nerrno: EWHATEVER\nmatch:\n  - mode: MPOL_BIND\n",
     "2:8: error: unknown errno 'EWHATEVER'"},
    {"policy: p\nmatch:\n  - {}\n", "3:5: error: an empty match entry would match every call"},
    {"policy: p\nmatch:\n  - maxnode: {gt: -1}\n",
     "3:19: error: maxnode gt: '-1' is not a non-negative integer"},
    {"policy: p\nmatch:\n  - maxnode: {between: 3}\n",
     "3:15: error: unknown maxnode comparison 'between'"},
    {"policy: p\nmatch:\n  - nodes: [1]\n", "3:5: error: unknown test 'nodes'"},
    {"policy: p\nsyscall: mbind\nmatch:\n  - mode: MPOL_BIND\n",
     "2:10: error: unsupported syscall 'mbind'"},
    {"policy: p\nmatch: []\n", "2:8: error: 'match' must be a non-empty list"},
    {"policy: p\naction: errno\n", "1:1: error: missing 'match'"},
    {"policy: p\nmatch:\n  - flags: [MPOL_F_STATIC_NODES, MPOL_BIND]\n",
     "3:34: error: 'flags': unknown flag 'MPOL_BIND'"},
    {"policy: p\nmatch:\n  - mode: MPOL_BIND\n    mode_not: [MPOL_BIND]\n",
     "2:1: error: the condition can never match a set_mempolicy call"},
    {"policy: p\nmatch:\n  - mode: [MPOL_BIND\n", "4:1: error: "},
    {"policy: p\naction: kill\nerrno: EPERM\nmatch:\n  - mode: MPOL_BIND\n",
     "3:1: error: 'errno' goes with 'action: errno' only"},
    {"policy: p\naction: log\naction: kill\nmatch:\n  - mode: MPOL_BIND\n",
     "3:1: error: duplicate key 'action'"},
    {"policy: p\nmatch:\n  - mode: MPOL_BIND\n    mode: MPOL_LOCAL\n",
     "4:5: error: duplicate key 'mode'"},
    {"policy: p\nmatch:\n  - mode: MPOL_BIND\n---\npolicy: q\nmatch:\n  - mode: MPOL_LOCAL\n",
     "5:1: error: a policy file holds one document"},
    {"policy: p\nmatch:\n  - mode: MPOL_BIND\ncolour: blue\n", "4:1: error: unknown key 'colour'"},
    {"policy: p\naction: kill\nerrno: EPERM\nmatch:\n  - mode: MPOL_BIND\n",
     "3:1: error: 'errno' goes with 'action: errno' only"},
    {"policy: p\naction: log\naction: kill\nmatch:\n  - mode: MPOL_BIND\n",
     "3:1: error: duplicate key 'action'"},
    {"policy: p\nmatch:\n  - mode: MPOL_BIND\n    mode: MPOL_LOCAL\n",
     "4:5: error: duplicate key 'mode'"},
    {"policy: p\nmatch:\n  - mode: MPOL_BIND\n---\npolicy: q\nmatch:\n  - mode: MPOL_LOCAL\n",
     "5:1: error: a policy file holds one document"},
};

static void test_policy_errors(void **state)
{
	char path[] = "/tmp/ng-policy-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(bad_policies) / sizeof(bad_policies[0]); i++) {
		struct ng_sc_filter f;
		char diag[2048] = "", want[512];
		FILE *p = fopen(path, "w"), *d = fmemopen(diag, sizeof(diag) - 1, "w");

		assert_non_null(p);
		assert_non_null(d);
		fputs(bad_policies[i].yaml, p);
		fclose(p);
		ng_sc_filter_init(&f, path);
		assert_int_equal(ng_sc_policy_load(path, &f, d), -EINVAL);
		fclose(d);
		snprintf(want, sizeof(want), "%s:%s", path, bad_policies[i].want);
		if (strncmp(diag, want, strlen(want)) != 0)
			fail_msg("policy %zu: got '%s', want a line starting '%s'", i, diag, want);
		ng_sc_filter_free(&f);
	}
	unlink(path);
}

static void test_policy_missing_file(void **state)
{
	struct ng_sc_filter f;
	char diag[512] = "";
	FILE *d = fmemopen(diag, sizeof(diag) - 1, "w");

	ng_sc_filter_init(&f, "x");
	assert_int_equal(ng_sc_policy_load("/nonexistent/p.yaml", &f, d), -ENOENT);
	fclose(d);
	assert_non_null(strstr(diag, "/nonexistent/p.yaml: error: cannot open the policy"));
	ng_sc_filter_free(&f);
}

/* Drop-in lines per action; a hostile name cannot start a directive of its own. */
static void test_systemd_dropin(void **state)
{
	char path[] = "/tmp/ng-policy-XXXXXX";
	struct ng_sc_filter f;
	struct ng_sc_arches arches;
	struct ng_buf b = {0};
	int fd = mkstemp(path);
	FILE *p;

	ng_sc_host_arches(&arches);
	load_shipped("kill-oversized-maxnode", &f);
	assert_int_equal(ng_sc_write_systemd(&f, &arches, &b), 0);
	assert_non_null(strstr(b.data, "\nSystemCallFilter=~set_mempolicy\n"));
	ng_buf_free(&b);
	ng_sc_filter_free(&f);
	load_shipped("log-numa-balancing", &f);
	assert_int_equal(ng_sc_write_systemd(&f, &arches, &b), 0);
	assert_non_null(strstr(b.data, "\nSystemCallLog=set_mempolicy\n"));
	assert_null(strstr(b.data, "\nSystemCallFilter="));
	ng_buf_free(&b);
	ng_sc_filter_free(&f);

	assert_true(fd >= 0);
	close(fd);
	p = fopen(path, "w");
	assert_non_null(p);
	fputs("policy: \"x\\n[Service]\\nExecStartPre=/bin/evil\"\nmatch:\n  - mode: MPOL_BIND\n",
	      p);
	fclose(p);
	ng_sc_filter_init(&f, path);
	assert_int_equal(ng_sc_policy_load(path, &f, stderr), 0);
	assert_non_null(strchr(f.name, '\n'));
	assert_int_equal(ng_sc_write_systemd(&f, &arches, &b), 0);
	/* Every line is a comment, the one [Service] header, or the filter line. */
	for (char *line = b.data; line && *line;) {
		char *nl = strchr(line, '\n');

		assert_true(line[0] == '#' || strncmp(line, "[Service]\n", 10) == 0 ||
			    strncmp(line, "SystemCallFilter=~set_mempolicy:EPERM\n", 38) == 0);
		line = nl ? nl + 1 : NULL;
	}
	assert_null(strstr(b.data, "\nExecStartPre"));
	ng_buf_free(&b);
	ng_sc_filter_free(&f);
	unlink(path);
}

static void test_policy_actions(void **state)
{
	struct ng_sc_filter f;

	load_shipped("kill-oversized-maxnode", &f);
	assert_int_equal(f.action, NG_SC_ACT_KILL);
	assert_int_equal(f.nclauses, 1);
	assert_int_equal(f.clauses[0].cmp[0].arg, 2);
	assert_int_equal(f.clauses[0].cmp[0].op, SCMP_CMP_GE);
	assert_int_equal(f.clauses[0].cmp[0].datum, 4098);
	ng_sc_filter_free(&f);
	load_shipped("log-numa-balancing", &f);
	assert_int_equal(f.action, NG_SC_ACT_LOG);
	ng_sc_filter_free(&f);
	load_shipped("deny-bind", &f);
	assert_int_equal(f.action, NG_SC_ACT_ERRNO);
	assert_int_equal(f.errno_val, EPERM);
	assert_string_equal(f.name, "deny-bind");
	assert_false(f.broadened);
	ng_sc_filter_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deny_bind_table),	cmocka_unit_test(test_golden_pfc),
	    cmocka_unit_test(test_generated_examples),	cmocka_unit_test(test_policy_errors),
	    cmocka_unit_test(test_policy_missing_file), cmocka_unit_test(test_policy_actions),
	    cmocka_unit_test(test_systemd_dropin),
	};

	srcdir = getenv("NUMAGUARD_SRCDIR");
	if (!srcdir) {
		fprintf(stderr, "NUMAGUARD_SRCDIR is not set; run through meson test\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
