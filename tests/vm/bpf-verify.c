// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ng-bpf-verify: load numaguard's BPF object in the guest one program at a
 * time and print the kernel verifier's whole log for each program it
 * rejects, so that a rejection on some kernel arrives on the host with its
 * reason rather than as a bare EACCES.
 *
 *   ng-bpf-verify OBJECT     exit 0 when every program loads, 1 otherwise
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_all(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stdout, fmt, ap);
}

#define LOG_SIZE (16u << 20)

/*
 * A fresh object per program, so one rejection cannot hide the next. Level
 * BPF_LOG_STATS (4) gives the verifier's cost line; a rejected program is
 * loaded again at level 1 for the log that says why.
 */
static int load_only(const char *path, const char *keep, char *log, __u32 level)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		printf("ng-bpf-verify: opening %s failed: %s\n", path, strerror(errno));
		return -errno;
	}
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj)
	{
		bool mine = strcmp(bpf_program__name(p), keep) == 0;
		bpf_program__set_autoload(p, mine);
		if (mine) {
			log[0] = '\0';
			bpf_program__set_log_buf(p, log, LOG_SIZE);
			bpf_program__set_log_level(p, level);
		}
	}
	int err = bpf_object__load(obj);
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ng-bpf-verify OBJECT\n");
		return 2;
	}
	/* Line by line: a load the time limit kills must still show how far it got. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(print_all);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		printf("ng-bpf-verify: opening %s failed: %s\n", argv[1], strerror(errno));
		return 2;
	}
	char *log = malloc(LOG_SIZE);
	if (!log) {
		printf("ng-bpf-verify: no memory for a %u-byte verifier log\n", LOG_SIZE);
		return 2;
	}
	int failed = 0;
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj)
	{
		const char *name = bpf_program__name(p);
		printf("ng-bpf-verify: loading %s\n", name);
		int err = load_only(argv[1], name, log, 4);
		printf("ng-bpf-verify: %s %s%s%s\n", name, err ? "REJECTED" : "loaded",
		       err ? ": " : "", err ? strerror(-err) : "");
		if (!err) {
			printf("-- verifier stats of %s --\n%s-- end of %s --\n", name, log, name);
		} else if (load_only(argv[1], name, log, 1) != 0) {
			printf("-- verifier log of %s --\n%s-- end of %s --\n", name, log, name);
		}
		failed |= err != 0;
	}
	bpf_object__close(obj);
	free(log);
	return failed;
}
