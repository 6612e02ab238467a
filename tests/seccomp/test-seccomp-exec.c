// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Real calls under real filters: the trigger runs under `numaguard exec` and
 * under the exported raw BPF loaded by a minimal loader, and the kernel's
 * answer is checked for each mode variant.
 */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char *numaguard, *srcdir, *mpol_call, *bpf_load;
static char tmpdir[] = "/tmp/ng-seccomp-exec.XXXXXX";
static char bpf_path[256], policy_path[512];

/* Run argv; return its exit status (or 128+signal) and its stdout (and stderr if asked) in out. */
static int run_io(char *const argv[], char *out, size_t outlen, bool with_stderr)
{
	int fds[2], status;
	pid_t pid;
	size_t len = 0;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		if (with_stderr)
			dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(126);
	}
	close(fds[1]);
	/* Read to the end (keeping what fits), so the child never dies of SIGPIPE. */
	for (;;) {
		char sink[4096];

		if (len + 1 < outlen)
			n = read(fds[0], out + len, outlen - 1 - len);
		else
			n = read(fds[0], sink, sizeof(sink));
		if (n <= 0)
			break;
		if (len + 1 < outlen)
			len += (size_t)n;
	}
	out[len] = 0;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run(char *const argv[], char *out, size_t outlen)
{
	return run_io(argv, out, outlen, false);
}

struct mcase {
	const char *mode, *maxnode, *node, *want;
};

/* On one node: node 0 needs maxnode >= 2 (the kernel reads maxnode - 1 bits). */
static const struct mcase cases[] = {
    {"2", "2", "0", "EPERM"},		/* MPOL_BIND */
    {"0x8002", "2", "0", "EPERM"},	/* MPOL_BIND | MPOL_F_STATIC_NODES */
    {"0x4002", "2", "0", "EPERM"},	/* MPOL_BIND | MPOL_F_RELATIVE_NODES */
    {"0x100000002", "2", "0", "EPERM"}, /* upper 32 bits set: the kernel still sees BIND */
    {"0x8001", "2", "0", "EPERM"},	/* MPOL_PREFERRED | MPOL_F_STATIC_NODES */
    {"3", "2", "0", "ok"},		/* MPOL_INTERLEAVE */
    {"1", "2", "0", "ok"},		/* MPOL_PREFERRED */
    {"0", "0", NULL, "ok"},		/* MPOL_DEFAULT */
    {"4", "0", NULL, "ok"},		/* MPOL_LOCAL */
};

static void check_cases(const char *const prefix[], size_t nprefix, const char *what)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[16], out[256];
		size_t k = 0;

		for (size_t j = 0; j < nprefix; j++)
			argv[k++] = (char *)prefix[j];
		argv[k++] = (char *)mpol_call;
		argv[k++] = (char *)cases[i].mode;
		argv[k++] = (char *)cases[i].maxnode;
		if (cases[i].node)
			argv[k++] = (char *)cases[i].node;
		argv[k] = NULL;
		int rc = run(argv, out, sizeof(out));

		out[strcspn(out, "\n")] = 0;
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s: mode %s: got '%s' (exit %d), want '%s'", what, cases[i].mode,
				 out, rc, cases[i].want);
		assert_int_equal(rc, strcmp(cases[i].want, "ok") == 0 ? 0 : 1);
	}
}

/* Without a filter every one of these calls succeeds: the EPERMs below come from the filter. */
static void test_unfiltered_baseline(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = {(char *)mpol_call, (char *)cases[i].mode, (char *)cases[i].maxnode,
				(char *)cases[i].node, NULL};
		char out[256];

		assert_int_equal(run(argv, out, sizeof(out)), 0);
		assert_string_equal(out, "ok\n");
	}
}

static void test_exec_policy(void **state)
{
	const char *prefix[] = {numaguard, "exec", "--policy", policy_path, "--"};

	check_cases(prefix, 5, "numaguard exec");
}

static void test_exported_bpf(void **state)
{
	char *gen[] = {(char *)numaguard, "seccomp", "generate", "--policy", policy_path,
		       "--format",	  "bpf",     "-o",	 bpf_path,   NULL};
	char out[256];
	struct stat st;

	assert_int_equal(run(gen, out, sizeof(out)), 0);
	assert_int_equal(stat(bpf_path, &st), 0);
	assert_true(st.st_size > 0 && st.st_size % 8 == 0);
	const char *prefix[] = {bpf_load, bpf_path};

	check_cases(prefix, 2, "exported BPF");
}

static void test_exec_exit_status(void **state)
{
	char *argv[] = {(char *)numaguard, "exec", "--policy", policy_path, "--",
			"/bin/sh",	   "-c",   "exit 7",   NULL};
	char *missing[] = {(char *)numaguard,	   "exec", "--policy", policy_path, "--",
			   "/nonexistent/command", NULL};
	char out[256];

	assert_int_equal(run(argv, out, sizeof(out)), 7);
	assert_int_equal(run(missing, out, sizeof(out)), 127);
}

static void test_exec_bad_policy_runs_nothing(void **state)
{
	char bad[300], marker[300], *argv[8], out[256];
	FILE *f;

	snprintf(bad, sizeof(bad), "%s/bad.yaml", tmpdir);
	snprintf(marker, sizeof(marker), "%s/ran", tmpdir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("policy: bad\naction: errno\nmatch:\n  - mode: MPOL_NOPE\n", f);
	fclose(f);
	argv[0] = (char *)numaguard, argv[1] = "exec", argv[2] = "--policy", argv[3] = bad;
	argv[4] = "--", argv[5] = "/usr/bin/touch", argv[6] = marker, argv[7] = NULL;
	assert_int_equal(run(argv, out, sizeof(out)), 1);
	assert_int_equal(access(marker, F_OK), -1);
	unlink(bad);
}

static char rules_path[300];

static const char rules_yaml[] =
    "- rule: Bind outside numactl\n"
    "  id: T-BIND\n"
    "  desc: MPOL_BIND from anything but numactl, in a container\n"
    "  condition: evt.syscall = set_mempolicy and mpol.mode = MPOL_BIND\n"
    "             and container.id != host and not proc.name in (numactl)\n"
    "  output: bind by %proc.name\n"
    "  priority: WARNING\n"
    "- rule: Process only\n"
    "  id: T-PROC\n"
    "  desc: nothing seccomp can test\n"
    "  condition: proc.name = evil\n"
    "  output: x\n"
    "  priority: WARNING\n"
    "- rule: Bind or process\n"
    "  id: T-WHOLE\n"
    "  desc: seccomp part holds for every call\n"
    "  condition: proc.name = evil or mpol.mode = MPOL_BIND\n"
    "  output: x\n"
    "  priority: WARNING\n";

/* Run numaguard with args (NULL-terminated after the verb), stderr merged into out. */
static int ng(char *out, size_t outlen, const char *a1, ...)
{
	char *argv[32];
	size_t k = 0;
	va_list ap;

	argv[k++] = (char *)numaguard;
	argv[k++] = (char *)a1;
	va_start(ap, a1);
	while (k < 31 && (argv[k] = va_arg(ap, char *)) != NULL)
		k++;
	va_end(ap);
	argv[k] = NULL;
	return run_io(argv, out, outlen, true);
}

/* A rule whose container and process tests are dropped: still blocks every BIND, notes say so. */
static void test_rule_broadened(void **state)
{
	char out[4096];

	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--no-default-rules",
			    "--rules", rules_path, "--rule", "T-BIND", "--format", "pfc", NULL),
			 0);
	assert_non_null(strstr(out, "container.id"));
	assert_non_null(strstr(out, "not proc.name"));
	assert_non_null(strstr(out, "MORE set_mempolicy calls"));
	assert_non_null(strstr(out, "& 0xffff1fff == 2"));

	const char *prefix[] = {numaguard, "exec",     "--no-default-rules",
				"--rules", rules_path, "--rule",
				"T-BIND",  "--"};
	char *argv[] = {(char *)prefix[0],
			(char *)prefix[1],
			(char *)prefix[2],
			(char *)prefix[3],
			(char *)prefix[4],
			(char *)prefix[5],
			(char *)prefix[6],
			(char *)prefix[7],
			(char *)mpol_call,
			"0x8002",
			"2",
			"0",
			NULL};

	assert_int_equal(run(argv, out, sizeof(out)), 1);
	assert_string_equal(out, "EPERM\n");
	argv[9] = "3";
	assert_int_equal(run(argv, out, sizeof(out)), 0);
	assert_string_equal(out, "ok\n");
}

/*
 * A policy libseccomp 2.5 miscompiles as one filter: exec runs the chained
 * program, and the kernel's answers match the policy.
 */
static void test_chained_program_in_kernel(void **state)
{
	static const struct mcase chained[] = {
	    {"4", "2", NULL, "EPERM"},		 /* LOCAL, maxnode <= 2 */
	    {"4", "3", NULL, "ok"},		 /* LOCAL, 2 < maxnode <= 2^32 + 1 */
	    {"4", "0x100000002", NULL, "EPERM"}, /* LOCAL, maxnode > 2^32 + 1 */
	    {"2", "2", "0", "EPERM"},		 /* BIND, maxnode <= 2 */
	    {"2", "3", "0", "ok"},		 /* BIND, maxnode 3 */
	    {"0x6000", "5000", NULL, "EPERM"},	 /* RELATIVE|BALANCING, maxnode >= 4096 */
	    {"0x6000", "4095", NULL, "EINVAL"},	 /* passes the filter; the kernel refuses it */
	};
	char path[512], out[4096];

	snprintf(path, sizeof(path), "%s/tests/seccomp/data/chained.yaml", srcdir);
	assert_int_equal(
	    ng(out, sizeof(out), "seccomp", "generate", "--policy", path, "--format", "pfc", NULL),
	    0);
	assert_non_null(strstr(out, "chains 6 filters"));
	for (size_t i = 0; i < sizeof(chained) / sizeof(chained[0]); i++) {
		char *argv[] = {(char *)numaguard,
				"exec",
				"--policy",
				path,
				"--",
				(char *)mpol_call,
				(char *)chained[i].mode,
				(char *)chained[i].maxnode,
				(char *)chained[i].node,
				NULL};

		run(argv, out, sizeof(out));
		out[strcspn(out, "\n")] = 0;
		if (strcmp(out, chained[i].want) != 0)
			fail_msg("chained: mode %s maxnode %s: got '%s', want '%s'",
				 chained[i].mode, chained[i].maxnode, out, chained[i].want);
	}
	/* A runtime would compile the OCI form wrongly: refused, with the reason. */
	assert_int_equal(
	    ng(out, sizeof(out), "seccomp", "generate", "--policy", path, "--format", "oci", NULL),
	    2);
	assert_non_null(strstr(out, "use numaguard exec or --format bpf"));
}

static void test_rule_refusals(void **state)
{
	char out[4096];

	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--no-default-rules",
			    "--rules", rules_path, "--rule", "T-PROC", NULL),
			 1);
	assert_non_null(strstr(out, "nothing in the condition can be tested by seccomp"));
	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--no-default-rules",
			    "--rules", rules_path, "--rule", "T-WHOLE", NULL),
			 1);
	assert_non_null(strstr(out, "--accept-whole-syscall-block"));
	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--no-default-rules",
			    "--rules", rules_path, "--rule", "T-WHOLE",
			    "--accept-whole-syscall-block", "--format", "pfc", NULL),
			 0);
	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--no-default-rules",
			    "--rules", rules_path, "--rule", "T-NONE", NULL),
			 1);
	assert_non_null(strstr(out, "no rule with id or name 'T-NONE'"));
	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--policy", policy_path,
			    "--format", "systemd", NULL),
			 1);
	assert_non_null(strstr(out, "blocks EVERY set_mempolicy call"));
	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--policy", policy_path,
			    "--rule", "T-BIND", NULL),
			 1);
	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--policy", policy_path,
			    "--format", "xml", NULL),
			 1);
	assert_int_equal(ng(out, sizeof(out), "seccomp", "generate", "--policy",
			    "/nonexistent/policy.yaml", NULL),
			 1);
	assert_non_null(strstr(out, "/nonexistent/policy.yaml"));
	assert_int_equal(ng(out, sizeof(out), "exec", "--policy", policy_path, NULL), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unfiltered_baseline),
	    cmocka_unit_test(test_exec_policy),
	    cmocka_unit_test(test_exported_bpf),
	    cmocka_unit_test(test_exec_exit_status),
	    cmocka_unit_test(test_exec_bad_policy_runs_nothing),
	    cmocka_unit_test(test_rule_broadened),
	    cmocka_unit_test(test_rule_refusals),
	    cmocka_unit_test(test_chained_program_in_kernel),
	};
	int r;

	numaguard = getenv("NUMAGUARD");
	srcdir = getenv("NUMAGUARD_SRCDIR");
	if (argc < 3 || !numaguard || !srcdir) {
		fprintf(stderr, "usage: NUMAGUARD=… NUMAGUARD_SRCDIR=… %s MPOL_CALL BPF_LOAD\n",
			argv[0]);
		return 1;
	}
	mpol_call = argv[1];
	bpf_load = argv[2];
	/* set_mempolicy needs CONFIG_NUMA; without it every call is ENOSYS and nothing can be
	 * checked. */
	{
		char *probe[] = {(char *)mpol_call, "0", "0", NULL}, out[64];

		if (run(probe, out, sizeof(out)) != 0 && strncmp(out, "ENOSYS", 6) == 0) {
			printf("1..0 # SKIP set_mempolicy is ENOSYS: kernel built without "
			       "CONFIG_NUMA\n");
			return 77;
		}
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(bpf_path, sizeof(bpf_path), "%s/deny-bind.bpf", tmpdir);
	snprintf(rules_path, sizeof(rules_path), "%s/rules.yaml", tmpdir);
	{
		FILE *f = fopen(rules_path, "w");

		if (!f || fputs(rules_yaml, f) < 0 || fclose(f) != 0) {
			perror(rules_path);
			return 1;
		}
	}
	snprintf(policy_path, sizeof(policy_path), "%s/policies/deny-bind.yaml", srcdir);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(bpf_path);
	unlink(rules_path);
	rmdir(tmpdir);
	return r;
}
