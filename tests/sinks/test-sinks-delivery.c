// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Delivery without a receiver: a stalled stdout never blocks the caller,
 * events cannot crowd alerts out of a queue, and shutdown is bounded and says
 * what it lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sinks/sinks.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ng_event evt;

static struct ng_alert alert(void)
{
	memset(&evt, 0, sizeof(evt));
	evt.time_ns = 1795832519000000000ull;
	evt.pid = 7;
	memset(evt.cmdline, 'c', 800);
	ng_event_set(&evt, NG_F_PROC_PID);
	ng_event_set(&evt, NG_F_PROC_CMDLINE);
	return (struct ng_alert){.time_ns = evt.time_ns,
				 .source = "numaguard",
				 .rule = "r",
				 .rule_id = "NG-1",
				 .priority = NG_PRIO_WARNING,
				 .output = "o",
				 .evt = &evt};
}

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "# %s:%d: %s\n", __FILE__, __LINE__, #c);                  \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/*
 * Runs in a child whose stdout is a pipe nobody reads: the stdout writer
 * blocks in write(2) once the pipe is full.
 */
static int stalled_stdout_child(void)
{
	struct ng_sinks *s;
	char err[256];
	struct ng_sinks_opts o = {.hostname = "h", .queue_len = 16};
	CHECK(ng_sinks_open(&s, &o, err, sizeof(err)) == 0);

	struct ng_alert a = alert();
	double worst = 0;
	/* The writer takes the first event and blocks in write(2) on the full pipe. */
	ng_sinks_emit_event(s, &evt);
	usleep(100000);
	/* Events may take only three quarters of the queue: 12 of 16. */
	for (int i = 1; i < 200; i++) {
		double t0 = now_s();
		ng_sinks_emit_event(s, &evt);
		worst = now_s() - t0 > worst ? now_s() - t0 : worst;
	}
	struct ng_sink_stats st;
	ng_sinks_get_stats(s, 0, &st);
	CHECK(st.written == 0 && st.queued == 13 && st.pending == 12);
	CHECK(st.dropped == 187 && st.dropped_alerts == 0);
	/* The reserved quarter still takes alerts. */
	for (int i = 0; i < 4; i++)
		ng_sinks_emit_alert(s, &a);
	ng_sinks_get_stats(s, 0, &st);
	CHECK(st.dropped_alerts == 0 && st.pending == 16);
	for (int i = 0; i < 1000; i++) {
		double t0 = now_s();
		ng_sinks_emit_alert(s, &a);
		worst = now_s() - t0 > worst ? now_s() - t0 : worst;
	}
	ng_sinks_get_stats(s, 0, &st);
	CHECK(st.dropped_alerts == 1000 && st.written == 0);
	CHECK(a.seq == 1004);
	fprintf(stderr, "# worst emit latency with a stalled stdout: %.3f ms\n", worst * 1e3);
	/*
	 * A blocking emit would wait here until the drain below, seconds later;
	 * the bound leaves room for a loaded machine descheduling this thread.
	 */
	CHECK(worst < 0.5);

	/* Shutdown is bounded even though the writer is stuck in write(2). */
	double t0 = now_s();
	uint64_t lost = ng_sinks_drain(s, 200);
	double took = now_s() - t0;
	fprintf(stderr, "# drain took %.3f s, lost %llu\n", took, (unsigned long long)lost);
	CHECK(took < 2.0);
	CHECK(lost == 17); /* 16 queued + the one stuck in write(2) */
	ng_sinks_get_stats(s, 0, &st);
	CHECK(st.lost == lost && st.pending == 0);
	ng_sinks_close(s);
	return 0;
}

static void stalled_stdout_never_blocks(void **state)
{
	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int p[2];
		CHECK(pipe(p) == 0);
		/* Fill the pipe, so the first write of the sink blocks; p[0] is never read. */
		CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
		char junk[4096] = {0};
		while (write(p[1], junk, sizeof(junk)) > 0)
			;
		CHECK(errno == EAGAIN);
		CHECK(fcntl(p[1], F_SETFL, 0) == 0);
		CHECK(dup2(p[1], STDOUT_FILENO) == STDOUT_FILENO);
		close(p[1]);
		_exit(stalled_stdout_child());
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void drain_counts_what_a_dead_receiver_lost(void **state)
{
	/* A loopback port with nothing listening: every connect is refused. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	char spec[64];
	snprintf(spec, sizeof(spec), "cef+tcp://127.0.0.1:%d", ntohs(sa.sin_port));
	const char *specs[] = {spec};
	struct ng_sinks *s;
	char err[256];
	struct ng_sinks_opts o = {.specs = specs, .nspecs = 1, .hostname = "h"};
	assert_int_equal(ng_sinks_open(&s, &o, err, sizeof(err)), 0);
	struct ng_alert a = alert();
	for (int i = 0; i < 3; i++)
		ng_sinks_emit_alert(s, &a);
	usleep(300000);
	double t0 = now_s();
	assert_int_equal(ng_sinks_drain(s, 300), 3);
	assert_true(now_s() - t0 < 1.5);
	struct ng_sink_stats st;
	ng_sinks_get_stats(s, 0, &st);
	assert_true(st.lost == 3 && st.written == 0 && st.errors > 0);
	assert_int_equal(st.last_error, ECONNREFUSED);
	/* After the drain nothing more is accepted, and nothing is counted twice. */
	ng_sinks_emit_alert(s, &a);
	assert_int_equal(ng_sinks_drain(s, 300), 3);
	ng_sinks_close(s);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(stalled_stdout_never_blocks),
	    cmocka_unit_test(drain_counts_what_a_dead_receiver_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
