/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The enforcement filter as numaguard reasons about it, before libseccomp
 * sees it: one system call, one action, and a disjunction of clauses, each a
 * conjunction of argument comparisons in libseccomp's own terms. Policies
 * (policy.c) and rule conditions (compile.c) are both turned into this form;
 * every output format (BPF, PFC, OCI JSON, systemd) is written from it.
 *
 * A call for which any clause holds gets the action; every other call is
 * allowed. libseccomp accepts one comparison per argument and rule, so a
 * clause holds at most one comparison per argument.
 */
#ifndef NUMAGUARD_SECCOMP_FILTER_H
#define NUMAGUARD_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define NG_SC_NARGS 6

/* The mode argument minus the three MPOL_F_* flag bits: what the kernel compares with MPOL_*. */
#define NG_SC_MODE_MASK 0xFFFF1FFFull

/* Arguments of set_mempolicy(int mode, const unsigned long *nmask, unsigned long maxnode). */
enum {
	NG_SC_ARG_MODE = 0,
	NG_SC_ARG_NMASK = 1,
	NG_SC_ARG_MAXNODE = 2,
};

struct ng_sc_cmp {
	unsigned arg;
	enum scmp_compare op; /* SCMP_CMP_NE … SCMP_CMP_MASKED_EQ */
	uint64_t datum;
	uint64_t mask; /* SCMP_CMP_MASKED_EQ only: (arg & mask) == datum */
};

struct ng_sc_clause {
	struct ng_sc_cmp cmp[NG_SC_NARGS];
	unsigned ncmp; /* 0: every call of the syscall */
};

enum ng_sc_action_kind {
	NG_SC_ACT_ERRNO,
	NG_SC_ACT_KILL, /* SCMP_ACT_KILL_PROCESS: every thread, not just the caller */
	NG_SC_ACT_LOG,	/* allowed, and logged by the kernel's audit */
};

struct ng_sc_filter {
	char name[128];	  /* policy or rule id, for comments */
	char syscall[32]; /* "set_mempolicy" */
	enum ng_sc_action_kind action;
	int errno_val; /* NG_SC_ACT_ERRNO */
	struct ng_sc_clause *clauses;
	size_t nclauses, cap;
	/* Parts of the source that the filter cannot test, one line each ("" when none). */
	struct ng_buf notes;
	/* A dropped conjunct made the filter act on more calls than the source matches. */
	bool broadened;
};

/* Architectures of a filter: every ABI of the host that can reach the kernel. */
struct ng_sc_arches {
	uint32_t arch[4]; /* SCMP_ARCH_* */
	unsigned n;
};

enum ng_sc_format {
	NG_SC_FMT_BPF,
	NG_SC_FMT_PFC,
	NG_SC_FMT_OCI,
	NG_SC_FMT_SYSTEMD,
};

void ng_sc_filter_init(struct ng_sc_filter *f, const char *name);
void ng_sc_filter_free(struct ng_sc_filter *f);
/* Append a clause (copied). Duplicates are dropped. Returns 0 or -ENOMEM. */
int ng_sc_filter_add(struct ng_sc_filter *f, const struct ng_sc_clause *c);
/* Append one line to f->notes. */
void ng_sc_filter_note(struct ng_sc_filter *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The host's ABIs: x86_64, x32, i386 on x86; aarch64, arm on arm64; else the native one. */
void ng_sc_host_arches(struct ng_sc_arches *out);

/* Name of an SCMP_ARCH_* value ("x86_64", "x86", "x32", …), or "unknown". */
const char *ng_sc_arch_name(uint32_t arch);
/* The OCI spelling ("SCMP_ARCH_X86_64"), or NULL. */
const char *ng_sc_arch_oci(uint32_t arch);
/* The OCI spelling of an operator ("SCMP_CMP_MASKED_EQ"). */
const char *ng_sc_op_oci(enum scmp_compare op);
/* The errno name for a value ("EPERM"), or NULL; and the reverse (-1 when unknown). */
const char *ng_sc_errno_name(int e);
int ng_sc_errno_lookup(const char *name);

/*
 * The clause as libseccomp must see it for one architecture. On i386 and arm
 * every argument is 32 bits wide, so comparisons against larger values are
 * decided here (libseccomp would truncate the datum). On x32, libseccomp
 * compares only the low 32 bits while the kernel reads whole registers, so a
 * comparison that depends on the high half is dropped, which makes the clause
 * act on more calls, never fewer. Returns 1 when the clause can hold on that
 * architecture (with *out filled in), 0 when it cannot, and sets *dropped
 * when a comparison was dropped.
 */
int ng_sc_clause_for_arch(const struct ng_sc_clause *c, uint32_t arch, struct ng_sc_clause *out,
			  bool *dropped);

/*
 * Whether some comparison reads the high 32 bits of a register, which a
 * filter compiled for every ABI at once (OCI profiles: the runtime does it)
 * cannot test exactly on x32 and i386.
 */
bool ng_sc_filter_abi_sensitive(const struct ng_sc_filter *f);

/* Whether the clause holds for these argument values (the filter's intended semantics). */
bool ng_sc_clause_eval(const struct ng_sc_clause *c, const uint64_t args[NG_SC_NARGS]);

/*
 * Build one libseccomp filter: default ALLOW, every architecture of `arches`
 * added before any rule, a wrong architecture kills the process. The
 * exported BPF is checked against the clauses on a table of probe calls for
 * every architecture; on a disagreement (a libseccomp bug) other orders of
 * ABIs and clauses are tried, and -EPROTO means none came out right. Most
 * callers want ng_sc_build_program, which has a fallback for that case.
 * On error, err (errlen bytes) says what failed.
 */
int ng_sc_build(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
		scmp_filter_ctx *out, char *err, size_t errlen);

/* A checked seccomp program, ready for the kernel. */
struct ng_sc_program {
	struct sock_filter *insns;
	size_t n;
	struct ng_buf pfc; /* libseccomp's pseudo code, one section per part */
	unsigned parts;	   /* 1, or how many libseccomp filters were chained */
};

/*
 * Build the program for f: the filter of ng_sc_build when libseccomp gets
 * one right; otherwise one libseccomp filter per clause, chained (a part
 * that would allow the call jumps to the next one), and checked the same
 * way. Returns 0 or a negative errno with err set.
 */
int ng_sc_build_program(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
			struct ng_sc_program *out, char *err, size_t errlen);
void ng_sc_program_free(struct ng_sc_program *p);
/* Set no_new_privs and install p on the calling thread (inherited by children and execve). */
int ng_sc_program_load(const struct ng_sc_program *p);

/*
 * An order of f's clauses (order[] has f->nclauses entries) in which a
 * runtime's libseccomp, adding them as an OCI profile lists them, compiles
 * a filter that agrees with them on the host's ABI. -EPROTO when no order
 * does (err says so).
 */
int ng_sc_oci_order(const struct ng_sc_filter *f, const struct ng_sc_arches *arches, size_t *order,
		    char *err, size_t errlen);

/* Export a built filter as raw BPF (struct sock_filter[]) or PFC text into b. */
int ng_sc_export(scmp_filter_ctx ctx, enum ng_sc_format fmt, struct ng_buf *b);

/*
 * OCI runtime-spec `linux.seccomp` JSON object (order: the clause order from
 * ng_sc_oci_order, or NULL for f's own), and a systemd drop-in, which blocks
 * the whole system call.
 */
int ng_sc_write_oci(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
		    const size_t *order, struct ng_buf *b);
int ng_sc_write_systemd(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
			struct ng_buf *b);

#endif
