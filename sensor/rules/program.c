// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "program.h"

enum pk {
	P_AND,
	P_OR,
	P_NOT,
	P_CONST,
	P_EXISTS,
	/* signed 64-bit fields (I64, MODE) */
	P_S_EQ, P_S_NE, P_S_LT, P_S_LE, P_S_GT, P_S_GE, P_S_IN,
	/* unsigned fields of 1, 4 or 8 bytes (BOOL, U32, ENUM, U64, TIME) */
	P_U_EQ, P_U_NE, P_U_LT, P_U_LE, P_U_GT, P_U_GE, P_U_IN,
	/* strings */
	P_STR_EQ, P_STR_NE, P_STR_IN, P_STR_CONTAINS, P_STR_ICONTAINS, P_STR_STARTS,
	P_STR_ENDS, P_STR_GLOB,
	/* 64-bit flag sets */
	P_F_CONTAINS, P_F_INTERSECTS, P_F_IN,
	/* node masks */
	P_N_CONTAINS, P_N_INTERSECTS, P_N_IN,
};

struct sstr {
	const char *s;
	size_t len;
};

struct ng_prog {
	enum pk kind;
	unsigned width;   /* bytes of an unsigned field: 1, 4, 8 */
	uint32_t n;       /* kids, or set size */
	size_t off, size; /* field storage */
	uint64_t bit;     /* presence bit */
	union {
		const struct ng_prog *const *kids;
		const struct ng_prog *kid;
		bool constant;
		int64_t s;
		uint64_t u;
		const int64_t *sset;
		const uint64_t *uset;
		struct sstr str;
		const struct sstr *strs;
		uint64_t mask;
		const ng_nodemask_t *nodes;
	};
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Strings order by length first: a lookup then compares bytes only for equal lengths. */
static int cmp_sstr(const void *a, const void *b)
{
	const struct sstr *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->s, y->s, x->len);
}

static unsigned count_chain(const struct ng_node *n, enum ng_node_kind k)
{
	if (n->kind != k)
		return 1;
	return count_chain(n->left, k) + count_chain(n->right, k);
}

static const struct ng_prog *compile(struct ng_arena *a, const struct ng_node *n);

static bool fill_chain(struct ng_arena *a, const struct ng_node *n, enum ng_node_kind k,
		       const struct ng_prog **kids, unsigned *i)
{
	if (n->kind != k) {
		kids[*i] = compile(a, n);
		return kids[(*i)++] != NULL;
	}
	return fill_chain(a, n->left, k, kids, i) && fill_chain(a, n->right, k, kids, i);
}

static bool is_signed(const struct ng_field *f)
{
	return f->type == NG_FT_I64 || f->type == NG_FT_MODE;
}

static const struct ng_prog *compile_cmp(struct ng_arena *a, const struct ng_node *n,
					 struct ng_prog *p)
{
	const struct ng_field *f = &ng_fields[n->field];
	p->off = f->offset;
	p->size = f->size;
	p->bit = 1ull << n->field;
	p->width = (unsigned)f->size;
	if (n->op == NG_OP_EXISTS) {
		p->kind = P_EXISTS;
		return p;
	}
	switch (f->type) {
	case NG_FT_I64:
	case NG_FT_MODE:
	case NG_FT_U32:
	case NG_FT_U64:
	case NG_FT_TIME:
	case NG_FT_ENUM:
	case NG_FT_BOOL: {
		bool sg = is_signed(f);
		enum pk base = sg ? P_S_EQ : P_U_EQ;
		static const int delta[] = { [NG_OP_EQ] = 0, [NG_OP_NE] = 1, [NG_OP_LT] = 2,
					     [NG_OP_LE] = 3, [NG_OP_GT] = 4, [NG_OP_GE] = 5,
					     [NG_OP_IN] = 6 };
		p->kind = (enum pk)(base + delta[n->op]);
		if (n->op == NG_OP_IN) {
			int64_t *v = ng_arena_alloc(a, n->nvalues * sizeof(*v) + 1);
			if (!v)
				return NULL;
			for (size_t i = 0; i < n->nvalues; i++)
				v[i] = n->values[i].num;
			/* Signed and unsigned views need their own order. */
			qsort(v, n->nvalues, sizeof(*v), sg ? cmp_i64 : cmp_u64);
			p->sset = v;
			p->n = (uint32_t)n->nvalues;
		} else if (sg) {
			p->s = n->values[0].num;
		} else {
			p->u = (uint64_t)n->values[0].num;
		}
		return p;
	}
	case NG_FT_STR: {
		static const enum pk k[] = {
			[NG_OP_EQ] = P_STR_EQ,		   [NG_OP_NE] = P_STR_NE,
			[NG_OP_IN] = P_STR_IN,		   [NG_OP_CONTAINS] = P_STR_CONTAINS,
			[NG_OP_ICONTAINS] = P_STR_ICONTAINS, [NG_OP_STARTSWITH] = P_STR_STARTS,
			[NG_OP_ENDSWITH] = P_STR_ENDS,	   [NG_OP_GLOB] = P_STR_GLOB,
		};
		p->kind = k[n->op];
		if (n->op == NG_OP_IN) {
			struct sstr *v = ng_arena_alloc(a, n->nvalues * sizeof(*v) + 1);
			if (!v)
				return NULL;
			for (size_t i = 0; i < n->nvalues; i++)
				v[i] = (struct sstr){ n->values[i].str, strlen(n->values[i].str) };
			qsort(v, n->nvalues, sizeof(*v), cmp_sstr);
			p->strs = v;
			p->n = (uint32_t)n->nvalues;
		} else {
			size_t len = strlen(n->values[0].str);
			char *s = ng_arena_strndup(a, n->values[0].str, len);
			if (!s)
				return NULL;
			if (n->op == NG_OP_ICONTAINS)
				for (char *c = s; *c; c++)
					if (*c >= 'A' && *c <= 'Z')
						*c = (char)(*c - 'A' + 'a');
			p->str = (struct sstr){ s, len };
		}
		return p;
	}
	case NG_FT_FLAGS: {
		p->kind = n->op == NG_OP_CONTAINS     ? P_F_CONTAINS
			  : n->op == NG_OP_INTERSECTS ? P_F_INTERSECTS
						      : P_F_IN;
		for (size_t i = 0; i < n->nvalues; i++)
			p->mask |= 1ull << (n->values[i].num & 63);
		return p;
	}
	case NG_FT_NODES: {
		p->kind = n->op == NG_OP_CONTAINS     ? P_N_CONTAINS
			  : n->op == NG_OP_INTERSECTS ? P_N_INTERSECTS
						      : P_N_IN;
		ng_nodemask_t *m = ng_arena_alloc(a, sizeof(*m));
		if (!m)
			return NULL;
		for (size_t i = 0; i < n->nvalues; i++)
			ng_nodes_set(m, (unsigned)n->values[i].num);
		p->nodes = m;
		return p;
	}
	}
	return NULL;
}

static const struct ng_prog *compile(struct ng_arena *a, const struct ng_node *n)
{
	struct ng_prog *p = ng_arena_alloc(a, sizeof(*p));
	if (!p)
		return NULL;
	switch (n->kind) {
	case NG_NODE_AND:
	case NG_NODE_OR: {
		unsigned cnt = count_chain(n, n->kind), i = 0;
		const struct ng_prog **kids = ng_arena_alloc(a, cnt * sizeof(*kids));
		if (!kids || !fill_chain(a, n, n->kind, kids, &i))
			return NULL;
		p->kind = n->kind == NG_NODE_AND ? P_AND : P_OR;
		p->kids = kids;
		p->n = cnt;
		return p;
	}
	case NG_NODE_NOT:
		p->kind = P_NOT;
		p->kid = compile(a, n->left);
		return p->kid ? p : NULL;
	case NG_NODE_CONST:
		p->kind = P_CONST;
		p->constant = n->constant;
		return p;
	case NG_NODE_CMP:
		return compile_cmp(a, n, p);
	}
	return NULL;
}

const struct ng_prog *ng_prog_compile(struct ng_arena *a, const struct ng_node *root)
{
	return compile(a, root);
}

bool ng_glob_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	/*
	 * Iterative matcher with one backtrack point (the last '*'): linear in
	 * practice and never recursive, whatever the pattern.
	 */
	size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
	while (si < slen) {
		if (pi < plen && pat[pi] == '*') {
			star_p = ++pi;
			star_s = si;
			continue;
		}
		if (pi < plen) {
			bool ok = false;
			size_t np = pi + 1;
			char c = s[si];
			if (pat[pi] == '?') {
				ok = true;
			} else if (pat[pi] == '[') {
				size_t q = pi + 1;
				bool neg = q < plen && (pat[q] == '!' || pat[q] == '^');
				if (neg)
					q++;
				bool in = false, first = true;
				while (q < plen && (first || pat[q] != ']')) {
					first = false;
					char lo = pat[q], hi = lo;
					if (q + 2 < plen && pat[q + 1] == '-' && pat[q + 2] != ']') {
						hi = pat[q + 2];
						q += 3;
					} else {
						q++;
					}
					if ((unsigned char)c >= (unsigned char)lo &&
					    (unsigned char)c <= (unsigned char)hi)
						in = true;
				}
				if (q < plen) { /* well-formed set */
					ok = in != neg;
					np = q + 1;
				} else {
					ok = c == '['; /* an unclosed '[' is literal */
				}
			} else if (pat[pi] == '\\' && pi + 1 < plen) {
				ok = pat[pi + 1] == c;
				np = pi + 2;
			} else {
				ok = pat[pi] == c;
			}
			if (ok) {
				pi = np;
				si++;
				continue;
			}
		}
		if (star_p == (size_t)-1)
			return false;
		pi = star_p;
		si = ++star_s;
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

static inline uint64_t load_u(const struct ng_prog *p, const char *base)
{
	switch (p->width) {
	case 1:
		return *(const uint8_t *)(base + p->off);
	case 4:
		return *(const uint32_t *)(base + p->off);
	default:
		return *(const uint64_t *)(base + p->off);
	}
}

static bool in_i64(const int64_t *v, uint32_t n, int64_t x)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool in_u64(const uint64_t *v, uint32_t n, uint64_t x)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool in_str(const struct sstr *v, uint32_t n, const char *s, size_t len)
{
	struct sstr key = { s, len };
	return bsearch(&key, v, n, sizeof(*v), cmp_sstr) != NULL;
}

static bool icontains(const char *hay, size_t hl, const char *needle_lower, size_t nl)
{
	if (nl == 0)
		return true;
	for (size_t i = 0; i + nl <= hl; i++) {
		size_t j = 0;
		for (; j < nl; j++) {
			char c = hay[i + j];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != needle_lower[j])
				break;
		}
		if (j == nl)
			return true;
	}
	return false;
}

bool ng_prog_eval(const struct ng_prog *p, const struct ng_event *e)
{
	const char *base = (const char *)e;
	switch (p->kind) {
	case P_AND:
		for (uint32_t i = 0; i < p->n; i++)
			if (!ng_prog_eval(p->kids[i], e))
				return false;
		return true;
	case P_OR:
		for (uint32_t i = 0; i < p->n; i++)
			if (ng_prog_eval(p->kids[i], e))
				return true;
		return false;
	case P_NOT:
		return !ng_prog_eval(p->kid, e);
	case P_CONST:
		return p->constant;
	case P_EXISTS:
		return (e->present & p->bit) != 0;
	default:
		break;
	}
	/* Every comparison on an absent field is false (`exists` tests presence). */
	if (!(e->present & p->bit))
		return false;
	const char *fp = base + p->off;
	switch (p->kind) {
	case P_S_EQ:
		return *(const int64_t *)fp == p->s;
	case P_S_NE:
		return *(const int64_t *)fp != p->s;
	case P_S_LT:
		return *(const int64_t *)fp < p->s;
	case P_S_LE:
		return *(const int64_t *)fp <= p->s;
	case P_S_GT:
		return *(const int64_t *)fp > p->s;
	case P_S_GE:
		return *(const int64_t *)fp >= p->s;
	case P_S_IN:
		return in_i64(p->sset, p->n, *(const int64_t *)fp);
	case P_U_EQ:
		return load_u(p, base) == p->u;
	case P_U_NE:
		return load_u(p, base) != p->u;
	case P_U_LT:
		return load_u(p, base) < p->u;
	case P_U_LE:
		return load_u(p, base) <= p->u;
	case P_U_GT:
		return load_u(p, base) > p->u;
	case P_U_GE:
		return load_u(p, base) >= p->u;
	case P_U_IN:
		return in_u64(p->uset, p->n, load_u(p, base));
	case P_STR_EQ:
	case P_STR_NE: {
		/* Equal iff the constant's bytes match and the field ends right after them. */
		bool eq = p->str.len < p->size && memcmp(fp, p->str.s, p->str.len) == 0 &&
			  fp[p->str.len] == '\0';
		return p->kind == P_STR_EQ ? eq : !eq;
	}
	case P_STR_STARTS:
		return p->str.len < p->size && strncmp(fp, p->str.s, p->str.len) == 0;
	default:
		break;
	}
	size_t len = strnlen(fp, p->size);
	switch (p->kind) {
	case P_STR_IN:
		return in_str(p->strs, p->n, fp, len);
	case P_STR_CONTAINS:
		return memmem(fp, len, p->str.s, p->str.len) != NULL;
	case P_STR_ICONTAINS:
		return icontains(fp, len, p->str.s, p->str.len);
	case P_STR_ENDS:
		return len >= p->str.len && memcmp(fp + len - p->str.len, p->str.s, p->str.len) == 0;
	case P_STR_GLOB:
		return ng_glob_match(p->str.s, p->str.len, fp, len);
	case P_F_CONTAINS:
	case P_F_INTERSECTS:
		return (*(const uint64_t *)fp & p->mask) != 0;
	case P_F_IN:
		return (*(const uint64_t *)fp & ~p->mask) == 0;
	case P_N_CONTAINS:
	case P_N_INTERSECTS: {
		const ng_nodemask_t *m = (const ng_nodemask_t *)fp;
		for (unsigned w = 0; w < NG_NODE_WORDS; w++)
			if (m->w[w] & p->nodes->w[w])
				return true;
		return false;
	}
	case P_N_IN: {
		const ng_nodemask_t *m = (const ng_nodemask_t *)fp;
		for (unsigned w = 0; w < NG_NODE_WORDS; w++)
			if (m->w[w] & ~p->nodes->w[w])
				return false;
		return true;
	}
	default:
		return false;
	}
}
