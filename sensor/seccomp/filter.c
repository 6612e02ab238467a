// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bpfeval.h"
#include "filter.h"

/* The default action of a chained part (never a rule's action): "go on to the next part". */
#define CHAIN_NEXT SCMP_ACT_TRACE(0x6e67)

void ng_sc_filter_init(struct ng_sc_filter *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name ? name : "");
	snprintf(f->syscall, sizeof(f->syscall), "set_mempolicy");
	f->action = NG_SC_ACT_ERRNO;
	f->errno_val = EPERM;
}

void ng_sc_filter_free(struct ng_sc_filter *f)
{
	free(f->clauses);
	ng_buf_free(&f->notes);
	memset(f, 0, sizeof(*f));
}

static bool clause_equal(const struct ng_sc_clause *a, const struct ng_sc_clause *b)
{
	if (a->ncmp != b->ncmp)
		return false;
	for (unsigned i = 0; i < a->ncmp; i++)
		if (a->cmp[i].arg != b->cmp[i].arg || a->cmp[i].op != b->cmp[i].op ||
		    a->cmp[i].datum != b->cmp[i].datum || a->cmp[i].mask != b->cmp[i].mask)
			return false;
	return true;
}

int ng_sc_filter_add(struct ng_sc_filter *f, const struct ng_sc_clause *c)
{
	for (size_t i = 0; i < f->nclauses; i++)
		if (clause_equal(&f->clauses[i], c))
			return 0;
	if (f->nclauses == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct ng_sc_clause *n = realloc(f->clauses, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->clauses = n;
		f->cap = cap;
	}
	f->clauses[f->nclauses++] = *c;
	return 0;
}

void ng_sc_filter_note(struct ng_sc_filter *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ng_buf_vprintf(&f->notes, fmt, ap);
	va_end(ap);
	ng_buf_putc(&f->notes, '\n');
}

void ng_sc_host_arches(struct ng_sc_arches *out)
{
	uint32_t native = seccomp_arch_native();

	memset(out, 0, sizeof(*out));
	out->arch[out->n++] = native;
	/* Compat ABIs reach the same kernel with other numbers; leaving them out is a bypass. */
	if (native == SCMP_ARCH_X86_64) {
		out->arch[out->n++] = SCMP_ARCH_X32;
		out->arch[out->n++] = SCMP_ARCH_X86;
	} else if (native == SCMP_ARCH_AARCH64) {
		out->arch[out->n++] = SCMP_ARCH_ARM;
	}
}

static const struct {
	uint32_t arch;
	const char *name, *oci;
} arch_names[] = {
    {SCMP_ARCH_X86_64, "x86_64", "SCMP_ARCH_X86_64"},
    {SCMP_ARCH_X86, "x86", "SCMP_ARCH_X86"},
    {SCMP_ARCH_X32, "x32", "SCMP_ARCH_X32"},
    {SCMP_ARCH_AARCH64, "aarch64", "SCMP_ARCH_AARCH64"},
    {SCMP_ARCH_ARM, "arm", "SCMP_ARCH_ARM"},
    {SCMP_ARCH_RISCV64, "riscv64", "SCMP_ARCH_RISCV64"},
    {SCMP_ARCH_PPC64LE, "ppc64le", "SCMP_ARCH_PPC64LE"},
    {SCMP_ARCH_S390X, "s390x", "SCMP_ARCH_S390X"},
};

const char *ng_sc_arch_name(uint32_t arch)
{
	for (size_t i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++)
		if (arch_names[i].arch == arch)
			return arch_names[i].name;
	return "unknown";
}

const char *ng_sc_arch_oci(uint32_t arch)
{
	for (size_t i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++)
		if (arch_names[i].arch == arch)
			return arch_names[i].oci;
	return NULL;
}

const char *ng_sc_op_oci(enum scmp_compare op)
{
	switch (op) {
	case SCMP_CMP_NE:
		return "SCMP_CMP_NE";
	case SCMP_CMP_LT:
		return "SCMP_CMP_LT";
	case SCMP_CMP_LE:
		return "SCMP_CMP_LE";
	case SCMP_CMP_EQ:
		return "SCMP_CMP_EQ";
	case SCMP_CMP_GE:
		return "SCMP_CMP_GE";
	case SCMP_CMP_GT:
		return "SCMP_CMP_GT";
	case SCMP_CMP_MASKED_EQ:
		return "SCMP_CMP_MASKED_EQ";
	default:
		return NULL;
	}
}

static const struct {
	int e;
	const char *name;
} errnos[] = {
    {EPERM, "EPERM"},		{ENOENT, "ENOENT"}, {EINTR, "EINTR"},	{EIO, "EIO"},
    {EAGAIN, "EAGAIN"},		{ENOMEM, "ENOMEM"}, {EACCES, "EACCES"}, {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},		{EINVAL, "EINVAL"}, {ENOSPC, "ENOSPC"}, {ENOSYS, "ENOSYS"},
    {EOPNOTSUPP, "EOPNOTSUPP"},
};

const char *ng_sc_errno_name(int e)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].e == e)
			return errnos[i].name;
	return NULL;
}

int ng_sc_errno_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(errnos[i].name, name) == 0)
			return errnos[i].e;
	return -1;
}

static bool cmp_eval(const struct ng_sc_cmp *c, uint64_t v)
{
	switch (c->op) {
	case SCMP_CMP_NE:
		return v != c->datum;
	case SCMP_CMP_LT:
		return v < c->datum;
	case SCMP_CMP_LE:
		return v <= c->datum;
	case SCMP_CMP_EQ:
		return v == c->datum;
	case SCMP_CMP_GE:
		return v >= c->datum;
	case SCMP_CMP_GT:
		return v > c->datum;
	case SCMP_CMP_MASKED_EQ:
		return (v & c->mask) == c->datum;
	default:
		return false;
	}
}

bool ng_sc_clause_eval(const struct ng_sc_clause *c, const uint64_t args[NG_SC_NARGS])
{
	for (unsigned i = 0; i < c->ncmp; i++)
		if (!cmp_eval(&c->cmp[i], args[c->cmp[i].arg]))
			return false;
	return true;
}

static bool arch_is_32bit(uint32_t arch)
{
	return arch == SCMP_ARCH_X86 || arch == SCMP_ARCH_ARM;
}

/*
 * One comparison on an ABI whose arguments are 32 bits wide (the kernel
 * zero-extends them into seccomp_data): 1 = keep *c (rewritten to 32 bits),
 * 0 = always false, 2 = always true.
 */
static int cmp_fold_32(struct ng_sc_cmp *c)
{
	const uint64_t lo = 0xFFFFFFFFull;

	switch (c->op) {
	case SCMP_CMP_MASKED_EQ:
		if (c->datum & ~c->mask)
			return 0;
		if (c->datum & c->mask & ~lo)
			return 0;
		c->mask &= lo;
		return c->mask ? 1 : 2;
	case SCMP_CMP_EQ:
		return c->datum > lo ? 0 : 1;
	case SCMP_CMP_NE:
		return c->datum > lo ? 2 : 1;
	case SCMP_CMP_LT:
		return c->datum > lo ? 2 : c->datum == 0 ? 0 : 1;
	case SCMP_CMP_LE:
		return c->datum >= lo ? 2 : 1;
	case SCMP_CMP_GT:
		return c->datum >= lo ? 0 : 1;
	case SCMP_CMP_GE:
		return c->datum > lo ? 0 : c->datum == 0 ? 2 : 1;
	default:
		return 0;
	}
}

int ng_sc_clause_for_arch(const struct ng_sc_clause *c, uint32_t arch, struct ng_sc_clause *out,
			  bool *dropped)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < c->ncmp; i++) {
		struct ng_sc_cmp x = c->cmp[i];

		if (arch_is_32bit(arch)) {
			int r = cmp_fold_32(&x);

			if (r == 0)
				return 0;
			if (r == 2)
				continue;
		} else if (arch == SCMP_ARCH_X32) {
			/*
			 * libseccomp treats x32 as a 32-bit ABI and loads only the low
			 * word, but x32 calls enter the 64-bit syscall code with full
			 * registers. Only a masked test that ignores the high word is
			 * exact there; anything else is dropped (acts on more calls).
			 */
			if (!(x.op == SCMP_CMP_MASKED_EQ && (x.mask >> 32) == 0)) {
				if (dropped)
					*dropped = true;
				continue;
			}
		}
		out->cmp[out->ncmp++] = x;
	}
	return 1;
}

bool ng_sc_filter_abi_sensitive(const struct ng_sc_filter *f)
{
	for (size_t i = 0; i < f->nclauses; i++)
		for (unsigned j = 0; j < f->clauses[i].ncmp; j++) {
			const struct ng_sc_cmp *c = &f->clauses[i].cmp[j];

			if (!(c->op == SCMP_CMP_MASKED_EQ && (c->mask >> 32) == 0))
				return true;
		}
	return false;
}

static uint32_t scmp_action(const struct ng_sc_filter *f)
{
	switch (f->action) {
	case NG_SC_ACT_KILL:
		return SCMP_ACT_KILL_PROCESS;
	case NG_SC_ACT_LOG:
		return SCMP_ACT_LOG;
	case NG_SC_ACT_ERRNO:
	default:
		return SCMP_ACT_ERRNO(f->errno_val);
	}
}

static int ctx_for_arch(const struct ng_sc_filter *f, uint32_t arch, const size_t *order,
			size_t norder, uint32_t optimize, uint32_t def_action, scmp_filter_ctx *out,
			char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(def_action);
	int r, nr, native_nr;

	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed: out of memory");
		return -ENOMEM;
	}
	/*
	 * Each ABI gets its own context (merged below) so its rules can differ,
	 * and the architecture is in place before any rule: libseccomp does not
	 * copy rules to an architecture added later.
	 */
	if (arch != seccomp_arch_native()) {
		r = seccomp_arch_add(ctx, arch);
		if (r == 0)
			r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (r < 0) {
			snprintf(err, errlen, "cannot add architecture %s to the filter: %s",
				 ng_sc_arch_name(arch), strerror(-r));
			goto fail;
		}
	}
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize);
	if (r < 0) {
		snprintf(err, errlen, "cannot set filter attributes: %s", strerror(-r));
		goto fail;
	}
	nr = seccomp_syscall_resolve_name_arch(arch, f->syscall);
	native_nr = seccomp_syscall_resolve_name(f->syscall);
	if (nr == __NR_SCMP_ERROR || nr < 0 || native_nr < 0) {
		r = -ENOSYS;
		snprintf(err, errlen, "libseccomp does not know %s on %s", f->syscall,
			 ng_sc_arch_name(arch));
		goto fail;
	}
	for (size_t k = 0; k < norder; k++) {
		size_t i = order[k];
		struct ng_sc_clause c;
		struct scmp_arg_cmp a[NG_SC_NARGS];

		if (!ng_sc_clause_for_arch(&f->clauses[i], arch, &c, NULL))
			continue;
		for (unsigned j = 0; j < c.ncmp; j++) {
			a[j] = (struct scmp_arg_cmp){.arg = c.cmp[j].arg, .op = c.cmp[j].op};
			if (c.cmp[j].op == SCMP_CMP_MASKED_EQ) {
				a[j].datum_a = c.cmp[j].mask;
				a[j].datum_b = c.cmp[j].datum;
			} else {
				a[j].datum_a = c.cmp[j].datum;
			}
		}
		/*
		 * Not the _exact variant: libseccomp wants the x86_64 number for
		 * an x32 context and adds the x32 bit itself.
		 */
		r = seccomp_rule_add_array(ctx, scmp_action(f), native_nr, c.ncmp, a);
		if (r < 0) {
			snprintf(err, errlen, "libseccomp refused clause %zu on %s: %s", i + 1,
				 ng_sc_arch_name(arch), strerror(-r));
			goto fail;
		}
	}
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return r;
}

int ng_sc_export(scmp_filter_ctx ctx, enum ng_sc_format fmt, struct ng_buf *b)
{
	/* libseccomp 2.5 exports only to a file descriptor (no seccomp_export_bpf_mem). */
	int fd = memfd_create("numaguard-seccomp", MFD_CLOEXEC);
	char chunk[4096];
	ssize_t n;
	int r;

	if (fd < 0)
		return -errno;
	r = fmt == NG_SC_FMT_BPF ? seccomp_export_bpf(ctx, fd) : seccomp_export_pfc(ctx, fd);
	if (r < 0)
		goto out;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		r = -errno;
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		ng_buf_put(b, chunk, (size_t)n);
	if (n < 0)
		r = -errno;
	else if (!ng_buf_ok(b))
		r = -ENOMEM;
out:
	close(fd);
	return r;
}

/* What the kernel puts in seccomp_data.arch, and the number of the syscall there. */
static uint32_t audit_arch(uint32_t arch)
{
	/* x32 calls carry AUDIT_ARCH_X86_64; the x32 bit is in the syscall number. */
	return arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : arch;
}

static void probe_add(uint64_t *set, size_t *n, size_t cap, uint64_t v)
{
	for (size_t i = 0; i < *n; i++)
		if (set[i] == v)
			return;
	if (*n < cap)
		set[(*n)++] = v;
}

#define PROBE_CAP 192

static void probe_values(const struct ng_sc_filter *f, unsigned arg, uint64_t *set, size_t *n)
{
	static const uint64_t base[] = {
	    0,
	    1,
	    2,
	    3,
	    4,
	    5,
	    6,
	    7,
	    8,
	    0x1002,
	    0x2002,
	    0x4002,
	    0x8002,
	    0xA002,
	    0xC002,
	    0xE002,
	    0x8003,
	    0x4001,
	    0x7FFFFFFF,
	    0x80000002,
	    0xFFFFFFFF,
	    1ull << 32,
	    (1ull << 32) | 2,
	    (1ull << 32) | 0x8002,
	    0xFFFFFFFF00000002ull,
	    UINT64_MAX,
	};

	*n = 0;
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		probe_add(set, n, PROBE_CAP, base[i]);
	for (size_t i = 0; i < f->nclauses; i++)
		for (unsigned j = 0; j < f->clauses[i].ncmp; j++) {
			const struct ng_sc_cmp *c = &f->clauses[i].cmp[j];

			if (c->arg != arg)
				continue;
			probe_add(set, n, PROBE_CAP, c->datum);
			probe_add(set, n, PROBE_CAP, c->datum + 1);
			probe_add(set, n, PROBE_CAP, c->datum - 1);
			probe_add(set, n, PROBE_CAP, c->datum ^ (1ull << 32));
			probe_add(set, n, PROBE_CAP, c->datum | 0xFFFFFFFF00000000ull);
			if (c->op != SCMP_CMP_MASKED_EQ)
				continue;
			probe_add(set, n, PROBE_CAP, c->datum | ~c->mask);
			for (unsigned b = 0; b < 64; b++)
				if (c->mask & (1ull << b))
					probe_add(set, n, PROBE_CAP, c->datum ^ (1ull << b));
		}
}

/*
 * Run prog over a table of probe calls on every ABI of `arches` and compare
 * each answer with the clauses. `folded`: the clauses as ng_sc_clause_for_arch
 * gives them per ABI (our own builds); otherwise as written, which is what a
 * runtime compiling an OCI profile does, checked on the first ABI only.
 */
static int check_program(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
			 bool folded, const struct sock_filter *prog, size_t ninsn, char *err,
			 size_t errlen)
{
	uint64_t *v0 = NULL, *v2 = NULL;
	size_t n0, n2;
	uint32_t act = scmp_action(f), got;
	int r;

	v0 = calloc(PROBE_CAP, sizeof(*v0));
	v2 = calloc(PROBE_CAP, sizeof(*v2));
	if (!v0 || !v2) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	probe_values(f, NG_SC_ARG_MODE, v0, &n0);
	probe_values(f, NG_SC_ARG_MAXNODE, v2, &n2);
	for (unsigned a = 0; a < (folded ? arches->n : 1); a++) {
		uint32_t arch = arches->arch[a];
		int nr = seccomp_syscall_resolve_name_arch(arch, f->syscall);
		int other = seccomp_syscall_resolve_name_arch(arch, "getpid");
		bool is32 = arch_is_32bit(arch);

		for (size_t i0 = 0; i0 < n0; i0++)
			for (size_t i2 = 0; i2 < n2; i2++) {
				struct seccomp_data d = {.nr = nr, .arch = audit_arch(arch)};
				uint32_t want = SCMP_ACT_ALLOW;

				d.args[0] = is32 ? (uint32_t)v0[i0] : v0[i0];
				d.args[1] = 0x1000;
				d.args[2] = is32 ? (uint32_t)v2[i2] : v2[i2];
				for (size_t c = 0; c < f->nclauses; c++) {
					struct ng_sc_clause s;

					if (!folded)
						s = f->clauses[c];
					if ((!folded || ng_sc_clause_for_arch(&f->clauses[c], arch,
									      &s, NULL)) &&
					    ng_sc_clause_eval(&s, (const uint64_t *)d.args)) {
						want = act;
						break;
					}
				}
				r = ng_bpf_run(prog, ninsn, &d, &got);
				if (r < 0 || got != want) {
					snprintf(
					    err, errlen,
					    "the BPF libseccomp generated disagrees with its "
					    "source on %s for mode=0x%llx maxnode=0x%llx (got "
					    "0x%x, want 0x%x); not emitting an unsound filter",
					    ng_sc_arch_name(arch), (unsigned long long)d.args[0],
					    (unsigned long long)d.args[2], r < 0 ? 0 : got, want);
					r = -EPROTO;
					goto out;
				}
			}
		/* Other syscalls pass; an ABI that is not in the filter is killed. */
		if (other >= 0) {
			struct seccomp_data d = {.nr = other, .arch = audit_arch(arch)};

			if (ng_bpf_run(prog, ninsn, &d, &got) < 0 || got != SCMP_ACT_ALLOW) {
				snprintf(err, errlen, "the filter does not allow getpid on %s",
					 ng_sc_arch_name(arch));
				r = -EPROTO;
				goto out;
			}
		}
	}
	if (folded) {
		/* An ABI the filter does not list (s390x, or MIPS on an s390x host). */
		uint32_t foreign = AUDIT_ARCH_S390X;

		for (unsigned a = 0; a < arches->n; a++)
			if (audit_arch(arches->arch[a]) == AUDIT_ARCH_S390X)
				foreign = AUDIT_ARCH_MIPS;
		struct seccomp_data d = {.nr = 0, .arch = foreign};

		if (ng_bpf_run(prog, ninsn, &d, &got) < 0 || got != SCMP_ACT_KILL_PROCESS) {
			snprintf(err, errlen, "the filter does not kill a foreign architecture");
			r = -EPROTO;
			goto out;
		}
	}
	r = 0;
out:
	free(v0);
	free(v2);
	return r;
}

static int self_check(const struct ng_sc_filter *f, const struct ng_sc_arches *arches, bool folded,
		      scmp_filter_ctx ctx, char *err, size_t errlen)
{
	struct ng_buf b = {0};
	int r = ng_sc_export(ctx, NG_SC_FMT_BPF, &b);

	if (r < 0)
		snprintf(err, errlen, "cannot export the filter as BPF: %s", strerror(-r));
	else
		r = check_program(f, arches, folded, (const struct sock_filter *)b.data,
				  b.len / sizeof(struct sock_filter), err, errlen);
	ng_buf_free(&b);
	return r;
}

/* How one attempt adds the clauses: in which order, with which libseccomp tree optimisation. */
enum build_order { ORDER_GIVEN, ORDER_REVERSED, ORDER_FEWEST_FIRST, ORDER_MOST_FIRST };

static const struct {
	enum build_order order;
	uint32_t optimize;
} attempts[] = {
    {ORDER_GIVEN, 1}, {ORDER_REVERSED, 1}, {ORDER_FEWEST_FIRST, 1}, {ORDER_MOST_FIRST, 1},
    {ORDER_GIVEN, 2}, {ORDER_REVERSED, 2}, {ORDER_FEWEST_FIRST, 2}, {ORDER_MOST_FIRST, 2},
};

static void make_order(const struct ng_sc_filter *f, enum build_order how, size_t *order)
{
	for (size_t i = 0; i < f->nclauses; i++)
		order[i] = how == ORDER_REVERSED ? f->nclauses - 1 - i : i;
	if (how != ORDER_FEWEST_FIRST && how != ORDER_MOST_FIRST)
		return;
	/* Stable insertion sort by the number of comparisons; clause counts are small. */
	for (size_t i = 1; i < f->nclauses; i++)
		for (size_t j = i; j > 0; j--) {
			unsigned a = f->clauses[order[j - 1]].ncmp, b = f->clauses[order[j]].ncmp;

			if (how == ORDER_FEWEST_FIRST ? a <= b : a >= b)
				break;
			size_t t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

/* One filter over every ABI (in arch_order) from the clauses order[0..norder). */
static int merge_arches(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
			const unsigned *arch_order, const size_t *order, size_t norder,
			uint32_t optimize, uint32_t def_action, scmp_filter_ctx *out, char *err,
			size_t errlen)
{
	scmp_filter_ctx all = NULL;
	int r;

	for (unsigned k = 0; k < arches->n; k++) {
		uint32_t arch = arches->arch[arch_order[k]];
		scmp_filter_ctx ctx;

		r = ctx_for_arch(f, arch, order, norder, optimize, def_action, &ctx, err, errlen);
		if (r < 0)
			goto fail;
		if (!all) {
			all = ctx;
			continue;
		}
		r = seccomp_merge(all, ctx);
		if (r < 0) {
			seccomp_release(ctx);
			snprintf(err, errlen, "cannot merge the %s filter: %s",
				 ng_sc_arch_name(arch), strerror(-r));
			goto fail;
		}
	}
	*out = all;
	return 0;
fail:
	if (all)
		seccomp_release(all);
	return r;
}

static int build_once(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
		      const unsigned *arch_order, const size_t *order, uint32_t optimize,
		      scmp_filter_ctx *out, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int r = merge_arches(f, arches, arch_order, order, f->nclauses, optimize, SCMP_ACT_ALLOW,
			     &ctx, err, errlen);

	if (r < 0)
		return r;
	r = self_check(f, arches, true, ctx, err, errlen);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

/* The next permutation of p[0..n) in lexicographic order; false after the last. */
static bool next_perm(unsigned *p, unsigned n)
{
	unsigned i, j;

	if (n < 2)
		return false;
	for (i = n - 1; i > 0 && p[i - 1] >= p[i]; i--)
		;
	if (i == 0)
		return false;
	for (j = n - 1; p[j] <= p[i - 1]; j--)
		;
	unsigned t = p[i - 1];

	p[i - 1] = p[j];
	p[j] = t;
	for (j = n - 1; i < j; i++, j--) {
		t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	return true;
}

int ng_sc_build(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
		scmp_filter_ctx *out, char *err, size_t errlen)
{
	unsigned arch_order[sizeof(arches->arch) / sizeof(arches->arch[0])];
	size_t *order;
	int r = -EPROTO;

	if (arches->n == 0 || arches->n > sizeof(arch_order) / sizeof(arch_order[0])) {
		snprintf(err, errlen, "no architecture to build the filter for");
		return -EINVAL;
	}
	order = calloc(f->nclauses ? f->nclauses : 1, sizeof(*order));
	if (!order) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/*
	 * libseccomp 2.5 can emit a wrong branch target when it merges several
	 * rules with 64-bit comparisons for one syscall, or when it shares
	 * instruction blocks between ABIs whose rules differ (the 64-bit rule
	 * fixes of 2.6.1, GHSA-4q85-33p6-j5g6). The BPF check catches it. The
	 * same clauses built in another order (ABIs, clauses, tree layout)
	 * usually come out right, so try those before giving up: only a
	 * checked filter leaves this function. The host's own ABI stays first
	 * when it can, since it is tested first at run time.
	 */
	for (unsigned k = 0; k < arches->n; k++)
		arch_order[k] = k;
	do {
		for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
			make_order(f, attempts[i].order, order);
			r = build_once(f, arches, arch_order, order, attempts[i].optimize, out, err,
				       errlen);
			if (r != -EPROTO)
				goto done;
		}
	} while (next_perm(arch_order, arches->n));
done:
	free(order);
	return r;
}

void ng_sc_program_free(struct ng_sc_program *p)
{
	free(p->insns);
	ng_buf_free(&p->pfc);
	memset(p, 0, sizeof(*p));
}

static int program_append(struct ng_sc_program *p, const struct ng_buf *bpf, bool last)
{
	const struct sock_filter *in = (const struct sock_filter *)bpf->data;
	size_t n = bpf->len / sizeof(*in);
	struct sock_filter *all;

	if (p->n + n > BPF_MAXINSNS)
		return -E2BIG;
	all = realloc(p->insns, (p->n + n) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	p->insns = all;
	for (size_t i = 0; i < n; i++) {
		struct sock_filter x = in[i];

		/*
		 * A part's "no clause matched" return continues with the next
		 * part; the last part's allows the call.
		 */
		if (x.code == (BPF_RET | BPF_K) && x.k == CHAIN_NEXT)
			x = last ? (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
				 : (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA,
								(uint32_t)(n - 1 - i));
		all[p->n + i] = x;
	}
	p->n += n;
	return 0;
}

/*
 * The fallback when no single libseccomp filter comes out right: one small
 * filter per clause, each for every ABI, concatenated. Where a part would
 * allow the call it jumps to the next part instead, so the program acts
 * when any clause holds, as one filter would; a part with a single rule is
 * out of reach of the multi-rule miscompilation.
 */
static int build_chain(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
		       struct ng_sc_program *out, char *err, size_t errlen)
{
	unsigned arch_order[sizeof(arches->arch) / sizeof(arches->arch[0])];
	int r = 0;

	for (unsigned k = 0; k < arches->n; k++)
		arch_order[k] = k;
	for (size_t i = 0; i < f->nclauses && r == 0; i++) {
		scmp_filter_ctx ctx;
		struct ng_buf bpf = {0};

		r = merge_arches(f, arches, arch_order, &i, 1, 1, CHAIN_NEXT, &ctx, err, errlen);
		if (r < 0)
			break;
		ng_buf_printf(&out->pfc, "#\n# part %zu of %zu: clause %zu\n", i + 1, f->nclauses,
			      i + 1);
		r = ng_sc_export(ctx, NG_SC_FMT_PFC, &out->pfc);
		if (r == 0)
			r = ng_sc_export(ctx, NG_SC_FMT_BPF, &bpf);
		if (r == 0)
			r = program_append(out, &bpf, i + 1 == f->nclauses);
		ng_buf_free(&bpf);
		seccomp_release(ctx);
		if (r == -E2BIG)
			snprintf(err, errlen, "the filter needs more than %d BPF instructions",
				 BPF_MAXINSNS);
		else if (r < 0)
			snprintf(err, errlen, "cannot export the filter: %s", strerror(-r));
	}
	if (r == 0 && f->nclauses == 0)
		r = -EINVAL;
	if (r == 0) {
		out->parts = (unsigned)f->nclauses;
		r = check_program(f, arches, true, out->insns, out->n, err, errlen);
	}
	return r;
}

int ng_sc_build_program(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
			struct ng_sc_program *out, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	struct ng_buf bpf = {0};
	int r;

	memset(out, 0, sizeof(*out));
	if (f->nclauses == 0) {
		snprintf(err, errlen, "the filter has no clause");
		return -EINVAL;
	}
	r = ng_sc_build(f, arches, &ctx, err, errlen);
	if (r == -EPROTO) {
		r = build_chain(f, arches, out, err, errlen);
		if (r < 0)
			ng_sc_program_free(out);
		return r;
	}
	if (r < 0)
		return r;
	r = ng_sc_export(ctx, NG_SC_FMT_BPF, &bpf);
	if (r == 0)
		r = ng_sc_export(ctx, NG_SC_FMT_PFC, &out->pfc);
	seccomp_release(ctx);
	if (r == 0 && !(out->insns = malloc(bpf.len)))
		r = -ENOMEM;
	if (r < 0) {
		snprintf(err, errlen, "cannot export the filter: %s", strerror(-r));
		ng_buf_free(&bpf);
		ng_sc_program_free(out);
		return r;
	}
	memcpy(out->insns, bpf.data, bpf.len);
	out->n = bpf.len / sizeof(struct sock_filter);
	out->parts = 1;
	ng_buf_free(&bpf);
	return 0;
}

int ng_sc_program_load(const struct ng_sc_program *p)
{
	struct sock_fprog prog = {.len = (unsigned short)p->n, .filter = p->insns};

	if (p->n == 0 || p->n > BPF_MAXINSNS)
		return -EINVAL;
	/* Without no_new_privs an unprivileged process may not install a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

int ng_sc_oci_order(const struct ng_sc_filter *f, const struct ng_sc_arches *arches, size_t *order,
		    char *err, size_t errlen)
{
	int r = -EPROTO;

	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]) && r == -EPROTO; i++) {
		scmp_filter_ctx ctx;
		int nr = seccomp_syscall_resolve_name(f->syscall);

		/* Runtimes do not set the optimisation attribute. */
		if (attempts[i].optimize != 1)
			continue;
		ctx = seccomp_init(SCMP_ACT_ALLOW);
		if (!ctx)
			return -ENOMEM;
		make_order(f, attempts[i].order, order);
		/* As a runtime does it: every ABI first, then each entry in file order, unfolded.
		 */
		r = 0;
		for (unsigned a = 0; a < arches->n && r == 0; a++)
			if (arches->arch[a] != seccomp_arch_native())
				r = seccomp_arch_add(ctx, arches->arch[a]);
		for (size_t k = 0; k < f->nclauses && r == 0; k++) {
			const struct ng_sc_clause *c = &f->clauses[order[k]];
			struct scmp_arg_cmp a[NG_SC_NARGS];

			for (unsigned j = 0; j < c->ncmp; j++) {
				a[j] =
				    (struct scmp_arg_cmp){.arg = c->cmp[j].arg, .op = c->cmp[j].op};
				a[j].datum_a = c->cmp[j].op == SCMP_CMP_MASKED_EQ ? c->cmp[j].mask
										  : c->cmp[j].datum;
				a[j].datum_b =
				    c->cmp[j].op == SCMP_CMP_MASKED_EQ ? c->cmp[j].datum : 0;
			}
			r = seccomp_rule_add_array(ctx, scmp_action(f), nr, c->ncmp, a);
		}
		if (r < 0)
			snprintf(err, errlen, "libseccomp refused the profile: %s", strerror(-r));
		else
			r = self_check(f, arches, false, ctx, err, errlen);
		seccomp_release(ctx);
	}
	if (r == -EPROTO)
		snprintf(err, errlen,
			 "every order of these clauses makes libseccomp %d.%d (which runtimes link "
			 "too) compile a filter that disagrees with them; use numaguard exec or "
			 "--format bpf, which work around it",
			 SCMP_VER_MAJOR, SCMP_VER_MINOR);
	return r;
}
