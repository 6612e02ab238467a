/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A classic BPF interpreter for seccomp programs, as the kernel runs them
 * over struct seccomp_data. It lets numaguard check a generated filter for
 * ABIs the running kernel cannot execute (i386, x32), both when it builds a
 * filter and in the tests.
 */
#ifndef NUMAGUARD_SECCOMP_BPFEVAL_H
#define NUMAGUARD_SECCOMP_BPFEVAL_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Run prog (n instructions) over d. Returns 0 and the SECCOMP_RET_* value in
 * *ret, or -EINVAL for a program the kernel would refuse to run (unknown
 * opcode, load outside seccomp_data or unaligned, jump out of range, no
 * return at the end).
 */
int ng_bpf_run(const struct sock_filter *prog, size_t n, const struct seccomp_data *d,
	       uint32_t *ret);

#endif
