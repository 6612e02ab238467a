// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>

#include "commands.h"

int cmd_rules(int argc, char **argv)
{
	fprintf(stderr, "numaguard rules: not implemented in this build\n");
	return NG_EXIT_RUNTIME;
}

int cmd_replay(int argc, char **argv)
{
	fprintf(stderr, "numaguard replay: not implemented in this build\n");
	return NG_EXIT_RUNTIME;
}
