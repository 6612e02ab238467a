// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Load generator for the overhead benchmark: a tight loop of one syscall,
 * on one or more threads, optionally paced to a target rate.
 *
 *   set_mempolicy  alternates MPOL_BIND on node 0 (maxnode 65) and
 *                  MPOL_DEFAULT, so every call changes the policy and the
 *                  kernel does the full work, not a no-op
 *   getppid        the cheapest syscall there is: it measures the tax a
 *                  capture path puts on syscalls it does not care about
 *
 * Prints one line of key=value pairs on stdout; the bench driver parses it.
 * Exit status 1 if any call failed, so a count of "calls made" is never a
 * count of calls that did not happen.
 *
 * Usage: loadgen --mode set_mempolicy|getppid [--calls N] [--threads T] [--rate R]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* From <linux/mempolicy.h>; spelled out so the build needs no libnuma headers. */
#define MPOL_DEFAULT 0
#define MPOL_BIND 2

#define MAX_THREADS 64

enum mode { MODE_SET_MEMPOLICY, MODE_GETPPID };

struct worker {
	pthread_t thread;
	enum mode mode;
	uint64_t calls;
	double rate; /* calls/s for this thread; 0: as fast as possible */
	uint64_t errors;
	int first_errno;
	uint64_t t_start, t_end; /* CLOCK_MONOTONIC around this thread's loop */
	uint64_t cpu_ns;	 /* this thread's CPU time over its loop */
};

static pthread_barrier_t start_line;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline long one_call(enum mode m, uint64_t i)
{
	static const unsigned long node0 = 1;

	if (m == MODE_GETPPID)
		return syscall(SYS_getppid) > 0 ? 0 : -1;
	if (i & 1)
		return syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0);
	return syscall(SYS_set_mempolicy, MPOL_BIND, &node0, 65);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ull),
			      .tv_nsec = (long)(t % 1000000000ull)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t burst = w->calls, gap_ns = 0;

	/*
	 * Paced mode sleeps between bursts of about a millisecond of calls
	 * rather than spinning: a spinning generator would take the CPU that
	 * the sensor under test needs on a small machine, and sleeping after
	 * every call would cap the rate at the timer's resolution.
	 */
	if (w->rate > 0) {
		burst = (uint64_t)(w->rate / 1000.0);
		if (burst < 1)
			burst = 1;
		gap_ns = (uint64_t)(1e9 * (double)burst / w->rate);
	}
	pthread_barrier_wait(&start_line);
	uint64_t cpu0 = thread_cpu_ns();
	uint64_t due = now_ns();
	w->t_start = due;
	for (uint64_t i = 0; i < w->calls;) {
		uint64_t end = i + burst < w->calls ? i + burst : w->calls;
		for (; i < end; i++)
			if (one_call(w->mode, i) != 0 && w->errors++ == 0)
				w->first_errno = errno;
		if (gap_ns) {
			due += gap_ns;
			sleep_until(due);
		}
	}
	w->t_end = now_ns();
	w->cpu_ns = thread_cpu_ns() - cpu0;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: loadgen --mode set_mempolicy|getppid [--calls N] [--threads T] "
		   "[--rate CALLS_PER_S]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"mode", required_argument, NULL, 'm'},    {"calls", required_argument, NULL, 'n'},
	    {"threads", required_argument, NULL, 't'}, {"rate", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},	       {0},
	};
	enum mode mode = MODE_SET_MEMPOLICY;
	uint64_t calls = 1000000;
	unsigned threads = 1;
	double rate = 0;
	bool have_mode = false;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "set_mempolicy") == 0)
				mode = MODE_SET_MEMPOLICY;
			else if (strcmp(optarg, "getppid") == 0)
				mode = MODE_GETPPID;
			else {
				fprintf(stderr,
					"loadgen: --mode '%s': expected set_mempolicy or "
					"getppid\n",
					optarg);
				return 2;
			}
			have_mode = true;
			break;
		case 'n':
			errno = 0;
			calls = strtoull(optarg, &end, 10);
			if (errno || *end || calls == 0) {
				fprintf(stderr,
					"loadgen: --calls '%s': expected a positive integer\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			threads = (unsigned)strtoul(optarg, &end, 10);
			if (*end || threads == 0 || threads > MAX_THREADS) {
				fprintf(stderr, "loadgen: --threads '%s': expected 1..%d\n", optarg,
					MAX_THREADS);
				return 2;
			}
			break;
		case 'r':
			rate = strtod(optarg, &end);
			if (*end || rate < 0) {
				fprintf(stderr,
					"loadgen: --rate '%s': expected calls per second "
					"(0: unlimited)\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!have_mode || optind < argc) {
		usage(stderr);
		return 2;
	}
	/* The default 50 µs slack would stretch every paced sleep and skew the rate. */
	prctl(PR_SET_TIMERSLACK, 1UL);

	struct worker w[MAX_THREADS] = {0};
	pthread_barrier_init(&start_line, NULL, threads + 1);
	for (unsigned i = 0; i < threads; i++) {
		w[i].mode = mode;
		w[i].calls = calls / threads + (i < calls % threads);
		w[i].rate = rate / threads;
		int r = pthread_create(&w[i].thread, NULL, work, &w[i]);
		if (r) {
			fprintf(stderr, "loadgen: cannot start thread %u: %s\n", i, strerror(r));
			return 2;
		}
	}
	pthread_barrier_wait(&start_line);
	uint64_t errors = 0, t0 = UINT64_MAX, t1 = 0;
	double cpu_ns = 0;
	int first_errno = 0;
	/*
	 * Each thread times its own loop: the main thread may run after the
	 * workers have started (or finished), so its clock would miss calls.
	 * CPU time per call tells a cost paid inside the call (it grows) from
	 * time spent waiting for a CPU that a busy consumer took (only wall
	 * time grows); it is the loops' own, without process start-up.
	 */
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		errors += w[i].errors;
		if (!first_errno)
			first_errno = w[i].first_errno;
		t0 = w[i].t_start < t0 ? w[i].t_start : t0;
		t1 = w[i].t_end > t1 ? w[i].t_end : t1;
		cpu_ns += (double)w[i].cpu_ns;
	}
	uint64_t elapsed = t1 - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("mode=%s threads=%u calls=%" PRIu64 " errors=%" PRIu64 " elapsed_ns=%" PRIu64
	       " ns_per_call=%.1f cpu_ns_per_call=%.1f calls_per_s=%.0f target_rate=%.0f"
	       " nvcsw=%ld nivcsw=%ld pid=%d\n",
	       mode == MODE_GETPPID ? "getppid" : "set_mempolicy", threads, calls, errors, elapsed,
	       (double)elapsed * threads / (double)calls, cpu_ns / (double)calls,
	       (double)calls * 1e9 / (double)elapsed, rate, ru.ru_nvcsw, ru.ru_nivcsw,
	       (int)getpid());
	if (errors) {
		fprintf(stderr, "loadgen: %" PRIu64 " calls failed, first with: %s\n", errors,
			strerror(first_errno));
		return 1;
	}
	return 0;
}
