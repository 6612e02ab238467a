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
		scmp_filter_ctx ctx;
		int r;

		ng_sc_host_arches(&arches);
		/* A policy that loads must build, and the build checks the BPF against the clauses.
		 */
		r = ng_sc_build(&f, &arches, &ctx, err, sizeof(err));
		if (r == -EPROTO) {
			fprintf(stderr, "unsound filter: %s\n", err);
			abort();
		}
		if (r == 0)
			seccomp_release(ctx);
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
