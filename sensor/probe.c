// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>

#include "commands.h"

int cmd_probe(int argc, char **argv)
{
	fprintf(stderr, "numaguard probe: not implemented in this build\n");
	return NG_EXIT_RUNTIME;
}
