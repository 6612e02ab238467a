// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fuzz target: policy YAML → condition → seccomp clauses → libseccomp filter,
 * checked against itself. Built with -fsanitize=fuzzer it is a libFuzzer
 * target; otherwise (the regression test) main() runs each file given on the
 * command line through it once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "seccomp/compile.h"
#include "seccomp/filter.h"
#include "seccomp/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("policy", MFD_CLOEXEC);
	char path[64], err[512];
	struct ng_sc_filter f;
	FILE *devnull = fopen("/dev/null", "w");

	if (fd < 0 || !devnull)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ng_sc_filter_init(&f, "fuzz");
	if (ng_sc_policy_load(path, &f, devnull) == 0) {
		struct ng_sc_arches arches;
		struct ng_sc_program prog;
		size_t *order = calloc(f.nclauses ? f.nclauses : 1, sizeof(*order));
		int r;

		ng_sc_host_arches(&arches);
		/* A policy that loads must build; every build checks its BPF against the clauses.
		 */
		r = ng_sc_build_program(&f, &arches, &prog, err, sizeof(err));
		if (r == -EPROTO) {
			fprintf(stderr, "unsound filter: %s\n", err);
			abort();
		}
		if (r == 0)
			ng_sc_program_free(&prog);
		/* The OCI check may refuse (-EPROTO) but must not fail otherwise. */
		if (!order)
			abort();
		r = ng_sc_oci_order(&f, &arches, order, err, sizeof(err));
		if (r < 0 && r != -EPROTO && r != -E2BIG) {
			fprintf(stderr, "OCI check failed: %s\n", err);
			abort();
		}
		free(order);
	}
	ng_sc_filter_free(&f);
	fclose(devnull);
	close(fd);
	return 0;
}

#ifndef NG_LIBFUZZER
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *in = fopen(argv[i], "rb");
		static uint8_t buf[1 << 16];
		size_t n;

		if (!in) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), in);
		fclose(in);
		LLVMFuzzerTestOneInput(buf, n);
		printf("ok %d - %s\n", i, argv[i]);
	}
	printf("1..%d\n", argc - 1);
	return 0;
}
#endif
