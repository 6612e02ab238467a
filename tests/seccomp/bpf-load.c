// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Test loader: install a raw seccomp BPF program (numaguard seccomp generate
 * --format bpf) with prctl(PR_SET_SECCOMP) and execute a command under it,
 * the way a runtime that takes raw BPF does.
 *
 *   bpf-load FILE CMD [ARG]...
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static struct sock_filter insns[BPF_MAXINSNS];
	FILE *f;
	size_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: bpf-load FILE CMD [ARG]...\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "bpf-load: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	n = fread(insns, sizeof(insns[0]), BPF_MAXINSNS, f);
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "bpf-load: %s: no instructions\n", argv[1]);
		return 2;
	}
	struct sock_fprog prog = {.len = (unsigned short)n, .filter = insns};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		fprintf(stderr, "bpf-load: cannot install the filter: %s\n", strerror(errno));
		return 2;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "bpf-load: cannot execute %s: %s\n", argv[2], strerror(errno));
	return 127;
}
