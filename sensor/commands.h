/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs of the numaguard command line; each returns the process exit code. */
#ifndef NUMAGUARD_COMMANDS_H
#define NUMAGUARD_COMMANDS_H

/* Exit codes (SPEC §2). */
#define NG_EXIT_OK 0
#define NG_EXIT_USAGE 1   /* usage or validation error */
#define NG_EXIT_RUNTIME 2 /* runtime failure: cannot load BPF, etc. */

int cmd_run(int argc, char **argv);     /* sensor/run.c */
int cmd_probe(int argc, char **argv);   /* sensor/probe.c */
int cmd_rules(int argc, char **argv);   /* sensor/rules/cli.c */
int cmd_replay(int argc, char **argv);  /* sensor/rules/cli.c */
int cmd_seccomp(int argc, char **argv); /* sensor/seccomp/cli.c */
int cmd_exec(int argc, char **argv);    /* sensor/seccomp/cli.c */

#endif
