/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Least privilege for a running sensor: once the BPF programs are loaded and
 * attached, the sensor keeps only the capabilities the rest of its run needs
 * and sets no_new_privs, so a bug in the parts that handle attacker-controlled
 * data cannot be turned into the full power of root.
 */
#ifndef NUMAGUARD_PRIVS_H
#define NUMAGUARD_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Drop every capability but the ones in keep (a bit set of CAP_* numbers)
 * from the effective, permitted, inheritable, ambient and bounding sets, and
 * set no_new_privs. Returns 0, or a negative errno with the step that failed
 * in err.
 */
int ng_drop_privileges(uint64_t keep, char *err, size_t errlen);

/* The capabilities the sensor keeps after attach: see docs/hardening.md. */
uint64_t ng_run_capabilities(bool enforce);

#endif
