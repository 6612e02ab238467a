// SPDX-License-Identifier: LGPL-2.1-or-later
/* ng_enforce_kill on real child processes: the right one dies, a reused pid is spared. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fields.h"
#include "seccomp/kill.h"

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Fork a child that waits forever and learn its start time from the clock
 * the kernel uses (CLOCK_BOOTTIME), without reading /proc: retry until the
 * fork happened inside one clock tick, so the tick is known exactly.
 */
static pid_t spawn(uint64_t *start_ns)
{
	uint64_t tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);

	for (int tries = 0; tries < 100; tries++) {
		uint64_t t0 = boot_ns();
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				pause();
		}
		assert_true(pid > 0);
		uint64_t t1 = boot_ns();

		if (t0 / tick == t1 / tick) {
			*start_ns = t0;
			return pid;
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	fail_msg("could not fork within one clock tick in 100 tries");
	return -1;
}

static struct ng_event event_for(pid_t pid, uint64_t start_ns)
{
	struct ng_event e = {0};

	e.pid = (uint32_t)pid;
	e.start_boot_ns = start_ns;
	ng_event_set(&e, NG_F_PROC_PID);
	return e;
}

static void test_kills_the_process(void **state)
{
	uint64_t start;
	pid_t pid = spawn(&start);
	struct ng_event e = event_for(pid, start);
	int status;

	assert_int_equal(ng_enforce_kill(&e), NG_ACTION_KILLED);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* Same pid, other start time: what a reused pid looks like. The process must survive. */
static void test_spares_a_reused_pid(void **state)
{
	uint64_t start, tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	pid_t pid = spawn(&start);
	struct ng_event older = event_for(pid, start - 5 * tick);
	struct ng_event newer = event_for(pid, start + 5 * tick);

	assert_int_equal(ng_enforce_kill(&older), NG_ACTION_KILL_FAILED);
	assert_int_equal(ng_enforce_kill_pid((uint32_t)pid, start - 5 * tick), -ESRCH);
	assert_int_equal(ng_enforce_kill(&newer), NG_ACTION_KILL_FAILED);
	usleep(20000);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
	assert_int_equal(kill(pid, 0), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_gone_process(void **state)
{
	uint64_t start;
	pid_t pid = spawn(&start);
	struct ng_event e = event_for(pid, start);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(ng_enforce_kill(&e), NG_ACTION_KILL_FAILED);
}

static void test_refuses_without_identity(void **state)
{
	uint64_t start;
	pid_t pid = spawn(&start);
	struct ng_event e = event_for(pid, 0);
	struct ng_event self = event_for(getpid(), 1);
	struct ng_event init = event_for(1, 1);
	struct ng_event nopid = event_for(pid, start);

	ng_event_unset(&nopid, NG_F_PROC_PID);
	assert_int_equal(ng_enforce_kill_pid((uint32_t)pid, 0), -ENODATA);
	assert_int_equal(ng_enforce_kill(&e), NG_ACTION_KILL_FAILED);
	assert_int_equal(ng_enforce_kill(&self), NG_ACTION_KILL_FAILED);
	assert_int_equal(ng_enforce_kill(&init), NG_ACTION_KILL_FAILED);
	assert_int_equal(ng_enforce_kill(&nopid), NG_ACTION_KILL_FAILED);
	assert_int_equal(kill(pid, 0), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kills_the_process),
	    cmocka_unit_test(test_spares_a_reused_pid),
	    cmocka_unit_test(test_gone_process),
	    cmocka_unit_test(test_refuses_without_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
