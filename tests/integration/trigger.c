// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ng-trigger: makes real set_mempolicy(2) calls for the integration tests
 * and prints, per call, one JSON line with what it passed and got back, so
 * the test can match the sensor's events field by field.
 *
 *   ng-trigger call MODE MAXNODE NODES   one call; MODE may be 0x…, NODES is
 *                                        "0,5", "-" (NULL) or "bad" (unmapped)
 *   ng-trigger loop N                    N calls alternating BIND{0} / DEFAULT
 *   ng-trigger race N                    N BIND calls while a thread flips the mask
 *   ng-trigger seccomp MODE MAXNODE NODES  the call under a filter returning EPERM
 *   ng-trigger storm N                   N short-lived processes making one call each
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long mask[16];

static void report(unsigned long long mode, const char *nodes, unsigned long maxnode, long ret,
		   int err)
{
	printf("{\"pid\":%d,\"tid\":%ld,\"mode_raw\":%llu,\"maxnode\":%lu,\"nodes\":\"%s\","
	       "\"ret\":%ld,\"errno\":%d}\n",
	       getpid(), (long)syscall(SYS_gettid), mode, maxnode, nodes, ret, ret < 0 ? err : 0);
	fflush(stdout);
}

static long do_call(unsigned long long mode, const char *nodes, unsigned long maxnode)
{
	void *p = mask;
	memset(mask, 0, sizeof(mask));
	if (strcmp(nodes, "-") == 0) {
		p = NULL;
	} else if (strcmp(nodes, "bad") == 0) {
		p = (void *)16; /* never mapped */
	} else {
		char *copy = strdup(nodes), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			unsigned n = (unsigned)strtoul(t, NULL, 0);
			if (n < 1024)
				mask[n / 64] |= 1ul << (n % 64);
		}
		free(copy);
	}
	long r = syscall(SYS_set_mempolicy, mode, p, maxnode);
	report(mode, nodes, maxnode, r < 0 ? -errno : r, errno);
	return r;
}

static volatile int stop_flip;

/* The caller and the flipper on different CPUs, so the flips happen during the calls. */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *flipper(void *arg)
{
	(void)arg;
	pin(1);
	/* volatile: every flip must reach memory while the kernel and the sensor read it. */
	volatile unsigned long *w = &mask[0];
	while (!stop_flip)
		*w ^= 3; /* {0} <-> {1} */
	return NULL;
}

static int deny_set_mempolicy(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_set_mempolicy, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("ng-trigger: installing the seccomp filter");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "call") == 0) {
		do_call(strtoull(argv[2], NULL, 0), argv[4], strtoul(argv[3], NULL, 0));
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "seccomp") == 0) {
		if (deny_set_mempolicy())
			return 2;
		do_call(strtoull(argv[2], NULL, 0), argv[4], strtoul(argv[3], NULL, 0));
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "loop") == 0) {
		long n = strtol(argv[2], NULL, 0), fails = 0;
		mask[0] = 1;
		for (long i = 0; i < n; i++)
			fails += syscall(SYS_set_mempolicy, (i & 1) ? 0 : 2, (i & 1) ? NULL : mask,
					 (i & 1) ? 0 : 65) != 0;
		printf("{\"pid\":%d,\"calls\":%ld,\"failures\":%ld}\n", getpid(), n, fails);
		return fails != 0;
	}
	if (argc >= 3 && strcmp(argv[1], "race") == 0) {
		long n = strtol(argv[2], NULL, 0), ok = 0, einval = 0;
		pthread_t th;
		mask[0] = 1;
		pin(0);
		pthread_create(&th, NULL, flipper, NULL);
		for (long i = 0; i < n; i++) {
			long r = syscall(SYS_set_mempolicy, 2, mask, 65);
			ok += r == 0;
			einval += r < 0 && errno == EINVAL;
		}
		stop_flip = 1;
		pthread_join(th, NULL);
		printf("{\"pid\":%d,\"tid\":%ld,\"calls\":%ld,\"ok\":%ld,\"einval\":%ld}\n", getpid(),
		       (long)syscall(SYS_gettid), n, ok, einval);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "storm") == 0) {
		/* N short-lived processes, one call each: the sensor's caches must stay bounded. */
		long n = strtol(argv[2], NULL, 0), made = 0;
		mask[0] = 1;
		for (long i = 0; i < n; i++) {
			pid_t c = fork();
			if (c == 0)
				_exit(syscall(SYS_set_mempolicy, 2, mask, 65) != 0);
			if (c > 0 && waitpid(c, NULL, 0) == c)
				made++;
		}
		printf("{\"pid\":%d,\"processes\":%ld}\n", getpid(), made);
		return 0;
	}
	fprintf(stderr, "usage: ng-trigger call|seccomp MODE MAXNODE NODES | loop N | race N | storm N\n");
	return 2;
}
