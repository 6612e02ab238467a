// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "run", cmd_run, "capture set_mempolicy calls, evaluate rules, emit alerts" },
	{ "probe", cmd_probe, "report kernel features and which capture paths work" },
	{ "rules", cmd_rules, "check or list rule files" },
	{ "replay", cmd_replay, "evaluate recorded events (run --all-events output) offline" },
	{ "seccomp", cmd_seccomp, "generate seccomp filters from rules or policies" },
	{ "exec", cmd_exec, "run a command under a generated seccomp filter" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: numaguard VERB [OPTIONS]\n"
		   "       numaguard --version | --help | VERB --help\n\n"
		   "Host sensor for NUMA memory-policy abuse (set_mempolicy(2)).\n\nVerbs:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return NG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return NG_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("numaguard %s\n", NUMAGUARD_VERSION);
		return NG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].func(argc - 1, argv + 1);
	fprintf(stderr, "numaguard: unknown verb '%s'; see 'numaguard --help'\n", argv[1]);
	return NG_EXIT_USAGE;
}
