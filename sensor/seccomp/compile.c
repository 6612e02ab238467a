// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "event.h"
#include "fields.h"

/* A constraint on one argument: nothing, a 64-bit comparison, or a masked equality. */
enum lit_kind { LIT_NONE, LIT_CMP, LIT_CUBE };

struct lit {
	enum lit_kind kind;
	enum scmp_compare op; /* LIT_CMP */
	uint64_t a;	      /* LIT_CMP: datum; LIT_CUBE: mask */
	uint64_t b;	      /* LIT_CUBE: value (a subset of mask) */
};

struct term {
	struct lit arg[NG_SC_NARGS];
};

struct dnf {
	struct term *t;
	size_t n, cap;
};

struct lits {
	struct lit *l;
	size_t n, cap;
};

struct cctx {
	struct ng_sc_filter *f;
	int err;	  /* first error: -ENOMEM or -E2BIG */
	unsigned usable;  /* comparisons seccomp can test */
	unsigned dropped; /* comparisons replaced by true */
};

#define TERM_CAP (NG_SC_MAX_CLAUSES * 8)

static void oom(struct cctx *c, int e)
{
	if (!c->err)
		c->err = e;
}

static void lits_push(struct cctx *c, struct lits *ls, struct lit l)
{
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 16;
		struct lit *n = realloc(ls->l, cap * sizeof(*n));

		if (!n) {
			oom(c, -ENOMEM);
			return;
		}
		ls->l = n;
		ls->cap = cap;
	}
	ls->l[ls->n++] = l;
}

static void dnf_push(struct cctx *c, struct dnf *d, const struct term *t)
{
	if (d->n >= TERM_CAP) {
		oom(c, -E2BIG);
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct term *n = realloc(d->t, cap * sizeof(*n));

		if (!n) {
			oom(c, -ENOMEM);
			return;
		}
		d->t = n;
		d->cap = cap;
	}
	d->t[d->n++] = *t;
}

static void dnf_free(struct dnf *d)
{
	free(d->t);
	memset(d, 0, sizeof(*d));
}

static struct dnf dnf_true(struct cctx *c)
{
	struct dnf d = {0};
	struct term t = {0};

	dnf_push(c, &d, &t);
	return d;
}

static struct dnf dnf_lit(struct cctx *c, unsigned arg, struct lit l)
{
	struct dnf d = {0};
	struct term t = {0};

	t.arg[arg] = l;
	dnf_push(c, &d, &t);
	return d;
}

/* Bits of a word selected by mask, packed to the bottom (pext), and the reverse (pdep). */
static uint64_t pext(uint64_t v, uint64_t mask)
{
	uint64_t r = 0;
	unsigned k = 0;

	for (unsigned b = 0; b < 64; b++)
		if (mask & (1ull << b))
			r |= ((v >> b) & 1) << k++;
	return r;
}

static uint64_t pdep(uint64_t v, uint64_t mask)
{
	uint64_t r = 0;
	unsigned k = 0;

	for (unsigned b = 0; b < 64; b++)
		if (mask & (1ull << b))
			r |= ((v >> k++) & 1) << b;
	return r;
}

/* Smallest x >= v with no bit outside mask; false when there is none. */
static bool ceil_valid(uint64_t v, uint64_t mask, uint64_t *out)
{
	while (v & ~mask) {
		uint64_t bad = v & ~mask, low = bad & -bad;
		uint64_t next = (v | (low - 1)) + 1;

		if (next == 0)
			return false;
		v = next;
	}
	*out = v;
	return true;
}

/* Largest x <= v with no bit outside mask. */
static uint64_t floor_valid(uint64_t v, uint64_t mask)
{
	uint64_t bad = v & ~mask;

	if (!bad)
		return v;
	uint64_t top = 1ull << (63 - __builtin_clzll(bad));

	return (v & ~(top | (top - 1))) | (mask & (top - 1));
}

/*
 * The values x with no bit outside `mask` and lo <= x <= hi, as masked
 * equalities over the bits of mask: the usual prefix decomposition of a
 * range, done on the packed bits so the excluded bits (the MPOL_F_* flags
 * for the mode) stay free.
 */
static void range_cubes(struct cctx *c, uint64_t lo, uint64_t hi, uint64_t mask, struct lits *out)
{
	uint64_t vlo, vhi = floor_valid(hi, mask);
	unsigned k = (unsigned)__builtin_popcountll(mask);
	uint64_t all = k == 64 ? UINT64_MAX : (1ull << k) - 1;

	if (!ceil_valid(lo, mask, &vlo) || vlo > vhi || lo > hi)
		return;
	uint64_t cl = pext(vlo, mask), ch = pext(vhi, mask);

	for (;;) {
		unsigned s = 0;

		/* Largest aligned block starting at cl that stays within ch. */
		while (s < k) {
			unsigned ns = s + 1;
			uint64_t nm = ns == 64 ? UINT64_MAX : (1ull << ns) - 1;

			if ((cl & nm) || (cl | nm) > ch)
				break;
			s = ns;
		}
		uint64_t free_bits = s == 64 ? UINT64_MAX : (1ull << s) - 1;

		lits_push(c, out,
			  (struct lit){.kind = LIT_CUBE,
				       .a = pdep(all & ~free_bits, mask),
				       .b = pdep(cl & ~free_bits, mask)});
		uint64_t last = cl | free_bits;

		if (last >= ch)
			break;
		cl = last + 1;
	}
}

struct ival {
	uint64_t lo, hi;
};

static unsigned cmp_ivals(enum scmp_compare op, uint64_t d, struct ival iv[2])
{
	switch (op) {
	case SCMP_CMP_EQ:
		iv[0] = (struct ival){d, d};
		return 1;
	case SCMP_CMP_NE: {
		unsigned n = 0;

		if (d > 0)
			iv[n++] = (struct ival){0, d - 1};
		if (d < UINT64_MAX)
			iv[n++] = (struct ival){d + 1, UINT64_MAX};
		return n;
	}
	case SCMP_CMP_LT:
		if (d == 0)
			return 0;
		iv[0] = (struct ival){0, d - 1};
		return 1;
	case SCMP_CMP_LE:
		iv[0] = (struct ival){0, d};
		return 1;
	case SCMP_CMP_GT:
		if (d == UINT64_MAX)
			return 0;
		iv[0] = (struct ival){d + 1, UINT64_MAX};
		return 1;
	case SCMP_CMP_GE:
		iv[0] = (struct ival){d, UINT64_MAX};
		return 1;
	default:
		return 0;
	}
}

/* One interval as constraints: a single comparison where libseccomp has one, else cubes. */
static void ival_lits(struct cctx *c, struct ival iv, struct lits *out)
{
	if (iv.lo == 0 && iv.hi == UINT64_MAX)
		lits_push(c, out, (struct lit){.kind = LIT_NONE});
	else if (iv.lo == iv.hi)
		lits_push(c, out, (struct lit){.kind = LIT_CMP, .op = SCMP_CMP_EQ, .a = iv.lo});
	else if (iv.lo == 0)
		lits_push(c, out, (struct lit){.kind = LIT_CMP, .op = SCMP_CMP_LE, .a = iv.hi});
	else if (iv.hi == UINT64_MAX)
		lits_push(c, out, (struct lit){.kind = LIT_CMP, .op = SCMP_CMP_GE, .a = iv.lo});
	else
		range_cubes(c, iv.lo, iv.hi, UINT64_MAX, out);
}

static bool cube_merge(struct lit a, struct lit b, struct lit *out)
{
	uint64_t both = a.a & b.a;

	if ((a.b & both) != (b.b & both))
		return false;
	*out = (struct lit){.kind = LIT_CUBE, .a = a.a | b.a, .b = a.b | b.b};
	return true;
}

static bool lit_holds(struct lit l, uint64_t v)
{
	struct ng_sc_cmp x = {.op = l.op, .datum = l.a};
	struct ng_sc_clause cl = {.ncmp = 1};

	if (l.kind == LIT_NONE)
		return true;
	if (l.kind == LIT_CUBE)
		return (v & l.a) == l.b;
	cl.cmp[0] = x;
	uint64_t args[NG_SC_NARGS] = {v};

	return ng_sc_clause_eval(&cl, args);
}

/* a AND b on one argument, as a disjunction of single constraints (none = false). */
static void conj_arg(struct cctx *c, struct lit a, struct lit b, struct lits *out)
{
	struct ival ia[2], ib[2];
	unsigned na, nb;

	if (a.kind == LIT_NONE) {
		lits_push(c, out, b);
		return;
	}
	if (b.kind == LIT_NONE) {
		lits_push(c, out, a);
		return;
	}
	if (a.kind == LIT_CUBE && b.kind == LIT_CUBE) {
		struct lit m;

		if (cube_merge(a, b, &m))
			lits_push(c, out, m);
		return;
	}
	if (a.kind == LIT_CUBE || b.kind == LIT_CUBE) {
		struct lit cube = a.kind == LIT_CUBE ? a : b, cmp = a.kind == LIT_CUBE ? b : a;
		struct lits parts = {0};

		if (cube.a == UINT64_MAX) {
			if (lit_holds(cmp, cube.b))
				lits_push(c, out, cube);
			return;
		}
		na = cmp_ivals(cmp.op, cmp.a, ia);
		for (unsigned i = 0; i < na; i++)
			range_cubes(c, ia[i].lo, ia[i].hi, UINT64_MAX, &parts);
		for (size_t i = 0; i < parts.n; i++) {
			struct lit m;

			if (cube_merge(cube, parts.l[i], &m))
				lits_push(c, out, m);
		}
		free(parts.l);
		return;
	}
	/* Two comparisons: intersect their intervals. */
	na = cmp_ivals(a.op, a.a, ia);
	nb = cmp_ivals(b.op, b.a, ib);
	struct ival r[4];
	unsigned nr = 0;

	for (unsigned i = 0; i < na; i++)
		for (unsigned j = 0; j < nb; j++) {
			uint64_t lo = ia[i].lo > ib[j].lo ? ia[i].lo : ib[j].lo;
			uint64_t hi = ia[i].hi < ib[j].hi ? ia[i].hi : ib[j].hi;

			if (lo <= hi)
				r[nr++] = (struct ival){lo, hi};
		}
	if (nr == 2 && r[0].lo == 0 && r[1].hi == UINT64_MAX && r[0].hi + 2 == r[1].lo) {
		lits_push(c, out,
			  (struct lit){.kind = LIT_CMP, .op = SCMP_CMP_NE, .a = r[0].hi + 1});
		return;
	}
	for (unsigned i = 0; i < nr; i++)
		ival_lits(c, r[i], out);
}

static struct dnf dnf_and(struct cctx *c, struct dnf *x, struct dnf *y)
{
	struct dnf out = {0};

	for (size_t i = 0; i < x->n && !c->err; i++)
		for (size_t j = 0; j < y->n && !c->err; j++) {
			struct dnf cur = {0};

			dnf_push(c, &cur, &x->t[i]);
			for (unsigned a = 0; a < NG_SC_NARGS && !c->err; a++) {
				struct dnf next = {0};

				if (y->t[j].arg[a].kind == LIT_NONE)
					continue;
				for (size_t k = 0; k < cur.n; k++) {
					struct lits alts = {0};

					conj_arg(c, cur.t[k].arg[a], y->t[j].arg[a], &alts);
					for (size_t m = 0; m < alts.n; m++) {
						struct term t = cur.t[k];

						t.arg[a] = alts.l[m];
						dnf_push(c, &next, &t);
					}
					free(alts.l);
				}
				dnf_free(&cur);
				cur = next;
			}
			for (size_t k = 0; k < cur.n; k++)
				dnf_push(c, &out, &cur.t[k]);
			dnf_free(&cur);
		}
	dnf_free(x);
	dnf_free(y);
	return out;
}

static struct dnf dnf_or(struct cctx *c, struct dnf *x, struct dnf *y)
{
	for (size_t j = 0; j < y->n; j++)
		dnf_push(c, x, &y->t[j]);
	dnf_free(y);
	return *x;
}

/* Whether every call that satisfies constraint b also satisfies a. */
static bool lit_implies(struct lit b, struct lit a)
{
	if (a.kind == LIT_NONE)
		return true;
	if (b.kind == LIT_NONE)
		return false;
	if (a.kind == LIT_CUBE && b.kind == LIT_CUBE)
		return (a.a & ~b.a) == 0 && (b.b & a.a) == a.b;
	return a.kind == b.kind && a.op == b.op && a.a == b.a && a.b == b.b;
}

/* Drop terms implied by another term (absorption): a OR (a AND b) = a. */
static void dnf_absorb(struct dnf *d)
{
	size_t w = 0;

	for (size_t i = 0; i < d->n; i++) {
		bool drop = false;

		for (size_t j = 0; j < d->n && !drop; j++) {
			bool impl = true;

			if (i == j)
				continue;
			for (unsigned a = 0; a < NG_SC_NARGS && impl; a++)
				impl = lit_implies(d->t[i].arg[a], d->t[j].arg[a]);
			/* Of two equal terms keep the first. */
			if (impl) {
				bool eq = true;

				for (unsigned a = 0; a < NG_SC_NARGS && eq; a++)
					eq = lit_implies(d->t[j].arg[a], d->t[i].arg[a]);
				drop = !eq || j < i;
			}
		}
		if (!drop)
			d->t[w++] = d->t[i];
	}
	d->n = w;
}

/*
 * A small cover of a set of flag combinations (bit c of `on` = combination c
 * of the three MPOL_F_* bits): take the cube over those bits that covers the
 * most combinations not yet covered, among the cubes inside the set, until
 * all are. With 27 candidate cubes this is instant and gives one test per
 * flag for the usual "contains" and "intersects".
 */
static void flags_cover(struct cctx *c, unsigned on, struct lits *out)
{
	unsigned left = on;

	while (left) {
		unsigned best_cov = 0, best_mask = 0, best_val = 0;

		/* A cube: for each of the 3 bits, 0 = must be 0, 1 = must be 1, 2 = free. */
		for (unsigned t = 0; t < 27; t++) {
			unsigned mask = 0, val = 0, cov = 0, u = t;

			for (unsigned b = 0; b < 3; b++, u /= 3) {
				if (u % 3 == 2)
					continue;
				mask |= 1u << b;
				val |= (u % 3) << b;
			}
			for (unsigned combo = 0; combo < 8; combo++)
				if ((combo & mask) == val)
					cov |= 1u << combo;
			if ((cov & ~on) || !(cov & left))
				continue;
			if (__builtin_popcount(cov & left) > __builtin_popcount(best_cov & left) ||
			    (__builtin_popcount(cov & left) ==
				 __builtin_popcount(best_cov & left) &&
			     __builtin_popcount(cov) > __builtin_popcount(best_cov))) {
				best_cov = cov;
				best_mask = mask;
				best_val = val;
			}
		}
		left &= ~best_cov;
		if (best_mask == 0)
			lits_push(c, out, (struct lit){.kind = LIT_NONE});
		else
			lits_push(c, out,
				  (struct lit){.kind = LIT_CUBE,
					       .a = (uint64_t)best_mask << 13,
					       .b = (uint64_t)best_val << 13});
	}
}

static struct dnf dnf_from_lits(struct cctx *c, unsigned arg, struct lits *ls)
{
	struct dnf d = {0};

	for (size_t i = 0; i < ls->n; i++) {
		struct term t = {0};

		t.arg[arg] = ls->l[i];
		dnf_push(c, &d, &t);
	}
	free(ls->l);
	return d;
}

/* Values in one `mpol.mode in (…)`; the complement of k points has k + 1 intervals. */
#define MODE_VALUES_MAX 128

/* mpol.mode: a signed set of values → cubes over the 32-bit mode with the flag bits free. */
static bool mode_atom(struct cctx *c, const struct ng_node *n, bool pos, struct dnf *out)
{
	/* Sorted, disjoint signed intervals of the field values that satisfy the atom. */
	int64_t lo[MODE_VALUES_MAX + 1], hi[MODE_VALUES_MAX + 1];
	unsigned k = 0;
	int64_t v = n->nvalues ? n->values[0].num : 0;

	if (n->nvalues == 0 || n->values[0].is_str) {
		if (n->op != NG_OP_EXISTS)
			return false;
	}
	switch (n->op) {
	case NG_OP_EXISTS:
		lo[0] = INT64_MIN, hi[0] = INT64_MAX, k = 1;
		break;
	case NG_OP_EQ:
		lo[0] = hi[0] = v, k = 1;
		break;
	case NG_OP_NE:
		if (v > INT64_MIN)
			lo[k] = INT64_MIN, hi[k++] = v - 1;
		if (v < INT64_MAX)
			lo[k] = v + 1, hi[k++] = INT64_MAX;
		break;
	case NG_OP_LT:
		if (v > INT64_MIN)
			lo[k] = INT64_MIN, hi[k++] = v - 1;
		break;
	case NG_OP_LE:
		lo[0] = INT64_MIN, hi[0] = v, k = 1;
		break;
	case NG_OP_GT:
		if (v < INT64_MAX)
			lo[k] = v + 1, hi[k++] = INT64_MAX;
		break;
	case NG_OP_GE:
		lo[0] = v, hi[0] = INT64_MAX, k = 1;
		break;
	case NG_OP_IN:
	case NG_OP_INTERSECTS: {
		/* Points, sorted; a mode is one value, so intersects means in. */
		int64_t pts[MODE_VALUES_MAX];
		unsigned np = 0;

		if (n->nvalues > MODE_VALUES_MAX) {
			oom(c, -E2BIG);
			return false;
		}
		for (size_t i = 0; i < n->nvalues; i++) {
			if (n->values[i].is_str)
				return false;
			pts[np++] = n->values[i].num;
		}
		for (unsigned i = 1; i < np; i++)
			for (unsigned j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
				int64_t t = pts[j];

				pts[j] = pts[j - 1], pts[j - 1] = t;
			}
		for (unsigned i = 0; i < np; i++)
			if (k == 0 || pts[i] > hi[k - 1])
				lo[k] = hi[k] = pts[i], k++;
		break;
	}
	default:
		return false;
	}
	if (!pos) {
		/* Complement over int64. */
		int64_t nlo[MODE_VALUES_MAX + 1], nhi[MODE_VALUES_MAX + 1];
		unsigned nk = 0;
		int64_t next = INT64_MIN;
		bool open = true;

		for (unsigned i = 0; i < k; i++) {
			if (open && lo[i] > next)
				nlo[nk] = next, nhi[nk++] = lo[i] - 1;
			if (hi[i] == INT64_MAX)
				open = false;
			else
				next = hi[i] + 1;
		}
		if (open)
			nlo[nk] = next, nhi[nk++] = INT64_MAX;
		k = nk;
		memcpy(lo, nlo, k * sizeof(*lo));
		memcpy(hi, nhi, k * sizeof(*hi));
	}
	struct lits ls = {0};

	for (unsigned i = 0; i < k; i++) {
		/* The kernel's mode is a 32-bit int; clamp, then split at the sign. */
		int64_t l = lo[i] < INT32_MIN ? INT32_MIN : lo[i];
		int64_t h = hi[i] > INT32_MAX ? INT32_MAX : hi[i];

		if (l > h)
			continue;
		if (l < 0)
			range_cubes(c, (uint32_t)(int32_t)l, (uint32_t)(int32_t)(h < 0 ? h : -1),
				    NG_SC_MODE_MASK, &ls);
		if (h >= 0)
			range_cubes(c, (uint64_t)(l < 0 ? 0 : l), (uint64_t)h, NG_SC_MODE_MASK,
				    &ls);
	}
	*out = dnf_from_lits(c, NG_SC_ARG_MODE, &ls);
	return true;
}

/* mpol.flags: evaluate the atom on each of the 8 flag combinations, keep those that match. */
static bool flags_atom(struct cctx *c, const struct ng_node *n, bool pos, struct dnf *out)
{
	struct lits ls = {0};
	uint64_t vals = 0;
	unsigned on = 0;
	bool outside = false;

	for (size_t i = 0; i < n->nvalues; i++) {
		if (n->values[i].is_str)
			return false;
		int64_t b = n->values[i].num;

		if (b >= 13 && b <= 15)
			vals |= 1ull << b;
		else
			outside = true;
	}
	for (unsigned combo = 0; combo < 8; combo++) {
		uint64_t set = (uint64_t)combo << 13;
		bool m;

		switch (n->op) {
		case NG_OP_EXISTS:
			m = true;
			break;
		case NG_OP_CONTAINS:
			m = !outside && (set & vals) == vals;
			break;
		case NG_OP_INTERSECTS:
			m = (set & vals) != 0;
			break;
		case NG_OP_IN:
			m = (set & ~vals) == 0;
			break;
		case NG_OP_EQ:
			m = !outside && set == vals;
			break;
		case NG_OP_NE:
			m = outside || set != vals;
			break;
		default:
			return false;
		}
		if (m == pos)
			on |= 1u << combo;
	}
	flags_cover(c, on, &ls);
	*out = dnf_from_lits(c, NG_SC_ARG_MODE, &ls);
	return true;
}

static enum scmp_compare flip(enum scmp_compare op)
{
	switch (op) {
	case SCMP_CMP_EQ:
		return SCMP_CMP_NE;
	case SCMP_CMP_NE:
		return SCMP_CMP_EQ;
	case SCMP_CMP_LT:
		return SCMP_CMP_GE;
	case SCMP_CMP_GE:
		return SCMP_CMP_LT;
	case SCMP_CMP_LE:
		return SCMP_CMP_GT;
	case SCMP_CMP_GT:
	default:
		return SCMP_CMP_LE;
	}
}

/* mpol.mode_raw, mpol.maxnode: whole 64-bit registers, compared as unsigned. */
static bool u64_atom(struct cctx *c, const struct ng_node *n, unsigned arg, bool pos,
		     struct dnf *out)
{
	enum scmp_compare op;

	for (size_t i = 0; i < n->nvalues; i++)
		if (n->values[i].is_str)
			return false;
	switch (n->op) {
	case NG_OP_EXISTS:
		*out = pos ? dnf_true(c) : (struct dnf){0};
		return true;
	case NG_OP_IN:
	case NG_OP_INTERSECTS: {
		/* in: OR of equalities; not in: AND of inequalities. */
		struct dnf acc = pos ? (struct dnf){0} : dnf_true(c);

		for (size_t i = 0; i < n->nvalues; i++) {
			struct lit l = {.kind = LIT_CMP,
					.op = pos ? SCMP_CMP_EQ : SCMP_CMP_NE,
					.a = (uint64_t)n->values[i].num};
			struct dnf one = dnf_lit(c, arg, l);

			acc = pos ? dnf_or(c, &acc, &one) : dnf_and(c, &acc, &one);
		}
		*out = acc;
		return true;
	}
	case NG_OP_EQ:
		op = SCMP_CMP_EQ;
		break;
	case NG_OP_NE:
		op = SCMP_CMP_NE;
		break;
	case NG_OP_LT:
		op = SCMP_CMP_LT;
		break;
	case NG_OP_LE:
		op = SCMP_CMP_LE;
		break;
	case NG_OP_GT:
		op = SCMP_CMP_GT;
		break;
	case NG_OP_GE:
		op = SCMP_CMP_GE;
		break;
	default:
		return false;
	}
	if (n->nvalues < 1)
		return false;
	if (!pos)
		op = flip(op);
	/* Normalise through the interval code so "< 0" becomes false and "<= MAX" true. */
	struct ival iv[2];
	unsigned k = cmp_ivals(op, (uint64_t)n->values[0].num, iv);
	struct lits ls = {0};

	if (op == SCMP_CMP_NE && k == 2)
		lits_push(c, &ls,
			  (struct lit){.kind = LIT_CMP, .op = op, .a = (uint64_t)n->values[0].num});
	else
		for (unsigned i = 0; i < k; i++)
			ival_lits(c, iv[i], &ls);
	*out = dnf_from_lits(c, arg, &ls);
	return true;
}

/* evt.syscall is decided by which call the filter is for. */
static bool syscall_atom(struct cctx *c, const struct ng_node *n, bool pos, struct dnf *out)
{
	bool m;

	switch (n->op) {
	case NG_OP_EQ:
	case NG_OP_NE:
		if (n->nvalues != 1 || !n->values[0].is_str)
			return false;
		m = strcmp(n->values[0].str, c->f->syscall) == 0;
		if (n->op == NG_OP_NE)
			m = !m;
		break;
	case NG_OP_IN:
		m = false;
		for (size_t i = 0; i < n->nvalues; i++)
			if (n->values[i].is_str && strcmp(n->values[i].str, c->f->syscall) == 0)
				m = true;
		break;
	case NG_OP_EXISTS:
		m = true;
		break;
	default:
		return false;
	}
	*out = m == pos ? dnf_true(c) : (struct dnf){0};
	return true;
}

static const char *why_not(enum ng_field_id id)
{
	switch (id) {
	case NG_F_MPOL_NODES:
		return "the node list is read through a pointer, which seccomp cannot follow";
	case NG_F_MPOL_NODES_CHANGED:
	case NG_F_MPOL_EFFECTIVE_MODE:
	case NG_F_MPOL_EFFECTIVE_NODES:
	case NG_F_MPOL_OUTSIDE_ALLOWED:
	case NG_F_EVT_RES:
	case NG_F_EVT_ERRNO:
	case NG_F_EVT_BLOCKED:
		return "known only after the call ran";
	case NG_F_MPOL_ALLOWED_NODES:
		return "the cpuset is not visible to seccomp";
	default:
		break;
	}
	if (id >= NG_F_PROC_PID && id <= NG_F_PROC_PRIVILEGED)
		return "process identity is not visible to seccomp; the filter applies to every "
		       "process that runs under it";
	if (id >= NG_F_USER_UID && id <= NG_F_USER_NAME)
		return "user identity is not visible to seccomp";
	if (id >= NG_F_CONTAINER_ID && id <= NG_F_NS_CGROUP)
		return "container identity is not visible to seccomp; install the filter in the "
		       "container instead";
	return "not a system call argument";
}

static struct dnf to_dnf(struct cctx *c, const struct ng_node *n, bool pos)
{
	struct dnf l, r, out = {0};
	bool ok = false;

	if (c->err)
		return out;
	switch (n->kind) {
	case NG_NODE_CONST:
		return n->constant == pos ? dnf_true(c) : out;
	case NG_NODE_NOT:
		return to_dnf(c, n->left, !pos);
	case NG_NODE_AND:
	case NG_NODE_OR:
		l = to_dnf(c, n->left, pos);
		r = to_dnf(c, n->right, pos);
		/* De Morgan: under negation AND and OR swap. */
		if ((n->kind == NG_NODE_AND) == pos)
			out = dnf_and(c, &l, &r);
		else
			out = dnf_or(c, &l, &r);
		dnf_absorb(&out);
		return out;
	case NG_NODE_CMP:
		break;
	}
	switch (n->field) {
	case NG_F_MPOL_MODE:
		ok = mode_atom(c, n, pos, &out);
		break;
	case NG_F_MPOL_FLAGS:
		ok = flags_atom(c, n, pos, &out);
		break;
	case NG_F_MPOL_MODE_RAW:
		ok = u64_atom(c, n, NG_SC_ARG_MODE, pos, &out);
		break;
	case NG_F_MPOL_MAXNODE:
		ok = u64_atom(c, n, NG_SC_ARG_MAXNODE, pos, &out);
		break;
	case NG_F_EVT_SYSCALL:
		if (syscall_atom(c, n, pos, &out))
			return out;
		break;
	default:
		break;
	}
	if (ok) {
		c->usable++;
		dnf_absorb(&out);
		return out;
	}
	/* Not testable: true in either polarity, so the filter covers at least the rule. */
	c->dropped++;
	c->f->broadened = true;
	ng_sc_filter_note(c->f, "%s:%u:%u: %s%s: %s", n->file ? n->file : "<condition>", n->line,
			  n->col, pos ? "" : "not ",
			  n->field < NG_F__COUNT ? ng_fields[n->field].name : "?",
			  why_not(n->field));
	return dnf_true(c);
}

bool ng_sc_filter_unconditional(const struct ng_sc_filter *f)
{
	for (size_t i = 0; i < f->nclauses; i++)
		if (f->clauses[i].ncmp == 0)
			return true;
	return false;
}

int ng_sc_compile(const struct ng_node *cond, struct ng_sc_filter *f, char *err, size_t errlen)
{
	struct cctx c = {.f = f};
	struct dnf d = to_dnf(&c, cond, true);
	int r = c.err;

	if (r == -E2BIG || (!r && d.n > NG_SC_MAX_CLAUSES)) {
		snprintf(err, errlen,
			 "the condition is too large for a seccomp filter (more than %d rules, or "
			 "more than %d values in one mpol.mode list); simplify the mode, flags and "
			 "maxnode tests",
			 NG_SC_MAX_CLAUSES, MODE_VALUES_MAX);
		r = -E2BIG;
		goto out;
	}
	if (r < 0) {
		snprintf(err, errlen, "out of memory compiling the condition");
		goto out;
	}
	if (c.usable == 0) {
		snprintf(err, errlen,
			 "nothing in the condition can be tested by seccomp (only mpol.mode, "
			 "mpol.flags, mpol.mode_raw and mpol.maxnode can)");
		r = -ENOEXEC;
		goto out;
	}
	if (d.n == 0) {
		snprintf(err, errlen, "the condition can never match a %s call", f->syscall);
		r = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < d.n; i++) {
		struct ng_sc_clause cl = {0};

		for (unsigned a = 0; a < NG_SC_NARGS; a++) {
			struct lit l = d.t[i].arg[a];

			if (l.kind == LIT_CUBE && l.a == 0)
				continue;
			if (l.kind == LIT_CUBE)
				cl.cmp[cl.ncmp++] = (struct ng_sc_cmp){
				    .arg = a, .op = SCMP_CMP_MASKED_EQ, .mask = l.a, .datum = l.b};
			else if (l.kind == LIT_CMP)
				cl.cmp[cl.ncmp++] =
				    (struct ng_sc_cmp){.arg = a, .op = l.op, .datum = l.a};
		}
		r = ng_sc_filter_add(f, &cl);
		if (r < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	r = 0;
out:
	dnf_free(&d);
	return r;
}
