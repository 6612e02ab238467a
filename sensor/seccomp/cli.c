// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>

#include "commands.h"

int cmd_seccomp(int argc, char **argv)
{
	fprintf(stderr, "numaguard seccomp: not implemented in this build\n");
	return NG_EXIT_RUNTIME;
}

int cmd_exec(int argc, char **argv)
{
	fprintf(stderr, "numaguard exec: not implemented in this build\n");
	return NG_EXIT_RUNTIME;
}
