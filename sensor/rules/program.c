// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#include "fields.h"
#include "hash.h"
#include "program.h"

enum pk {
	P_EXISTS,
	/* signed 64-bit fields (I64, MODE) */
	P_S_EQ, P_S_NE, P_S_LT, P_S_LE, P_S_GT, P_S_GE, P_S_IN,
	/* unsigned fields of 1, 4 or 8 bytes (BOOL, U32, ENUM, U64, TIME) */
	P_U_EQ, P_U_NE, P_U_LT, P_U_LE, P_U_GT, P_U_GE, P_U_IN,
	/* strings; EQ16/NE16: a constant of up to 15 bytes compared as two words */
	P_STR_EQ16, P_STR_NE16,
	P_STR_EQ, P_STR_NE, P_STR_IN, P_STR_CONTAINS, P_STR_ICONTAINS, P_STR_STARTS,
	P_STR_ENDS, P_STR_GLOB,
	/* 64-bit flag sets */
	P_F_CONTAINS, P_F_INTERSECTS, P_F_IN,
	/* node masks; N_ANY1: contains/intersects with every listed node in one word */
	P_N_ANY1, P_N_CONTAINS, P_N_INTERSECTS, P_N_IN,
};

struct sstr {
	const char *s;
	size_t len;
};

/* Open-addressing string set: slots hold an index + 1 into the values, 0 = empty. */
struct strset {
	const struct sstr *v;
	const uint32_t *slot;
	uint64_t mask;
};

/*
 * One comparison; after it, control goes to t or f (an index, or ACCEPT /
 * REJECT). 64 bytes, so indexing one is a shift. (Not aligned to a cache
 * line: the arena hands out memory aligned for any standard type only.)
 */
struct ins {
	uint8_t kind;     /* enum pk */
	uint8_t width;    /* bytes of an unsigned field: 1, 4, 8 */
	uint8_t field;    /* enum ng_field_id: presence bit, per-event string cache */
	bool memo;        /* the result is kept for other programs (or rules) that test it */
	uint32_t n;       /* set size; glob: length of the pattern's literal prefix */
	int32_t t, f;     /* next instruction when the test is true / false */
	uint32_t slot;    /* memo slot, shared by identical comparisons */
	uint32_t off, size; /* field storage */
	union {
		int64_t s;
		uint64_t u;
		const uint64_t *uset; /* `in` sets, sorted (signed ones with SIGN_BIT flipped) */
		struct sstr str;
		const struct strset *set;
		struct {
			uint64_t w[2], m[2];
		} s16;
		uint64_t mask;
		const ng_nodemask_t *nodes;
	};
};

_Static_assert(sizeof(struct ins) == 64, "an instruction is 64 bytes");

#define ACCEPT (-1)
#define REJECT (-2)

/*
 * The condition as a decision graph: `and`, `or` and `not` disappear into the
 * t/f edges of the comparisons (a and b: a's true edge leads to b, its false
 * edge to the whole expression's false target), so evaluation is one loop
 * over comparisons, with no recursion and no work for the connectives.
 * Each comparison of the tree appears once.
 */
struct ng_prog {
	struct ins *ins;
	uint32_t n;
	int32_t entry;
};

/* Distinct comparisons seen so far, keyed by field, operator and values. */
struct memo_key {
	uint64_t hash;
	const char *key;
	size_t len;
	uint32_t slot;
};

struct icache_slot {
	const struct ng_node *node;
	struct ins *in;
};

struct ng_prog_set {
	struct ng_arena *a;
	struct memo_key *keys; /* open addressing, cap a power of two */
	size_t cap, n;
	/* Comparisons compiled for judging classes, by node: compiled once, not per class. */
	struct icache_slot *icache;
	size_t icap, in;
};

#define SIGN_BIT (1ull << 63)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static bool is_signed(const struct ng_field *f)
{
	return f->type == NG_FT_I64 || f->type == NG_FT_MODE;
}

static struct ins *compile_cmp(struct ng_arena *a, const struct ng_node *n, struct ins *p)
{
	const struct ng_field *f = &ng_fields[n->field];
	p->off = (uint32_t)f->offset;
	p->size = (uint32_t)f->size;
	p->field = (uint8_t)n->field;
	p->width = (uint8_t)f->size;
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
			uint64_t *v = ng_arena_alloc(a, n->nvalues * sizeof(*v) + 1);
			if (!v)
				return NULL;
			/* Signed values are kept with the sign bit flipped: unsigned order is then theirs. */
			for (size_t i = 0; i < n->nvalues; i++)
				v[i] = (uint64_t)n->values[i].num ^ (sg ? SIGN_BIT : 0);
			qsort(v, n->nvalues, sizeof(*v), cmp_u64);
			p->uset = v;
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
			struct strset *set = ng_arena_alloc(a, sizeof(*set));
			struct sstr *v = ng_arena_alloc(a, n->nvalues * sizeof(*v) + 1);
			size_t cap = 4;
			while (cap < n->nvalues * 2)
				cap *= 2;
			uint32_t *slot = ng_arena_alloc(a, cap * sizeof(*slot));
			if (!set || !v || !slot)
				return NULL;
			for (size_t i = 0; i < n->nvalues; i++) {
				v[i] = (struct sstr){ n->values[i].str, strlen(n->values[i].str) };
				uint64_t h = ng_hash_bytes(0, v[i].s, v[i].len) & (cap - 1);
				while (slot[h])
					h = (h + 1) & (cap - 1);
				slot[h] = (uint32_t)i + 1;
			}
			*set = (struct strset){ v, slot, cap - 1 };
			p->set = set;
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
			if (n->op == NG_OP_GLOB)
				while (p->n < len && !strchr("*?[\\", s[p->n]))
					p->n++;
			/*
			 * Short constants: compare the field's first 16 bytes as two
			 * words, the constant's NUL included, so no call and no
			 * length scan. Needs 16 readable bytes at the field.
			 */
			if ((n->op == NG_OP_EQ || n->op == NG_OP_NE) && len < 16 && p->size >= 16) {
				unsigned char c[16] = { 0 }, m[16] = { 0 };
				memcpy(c, s, len);
				memset(m, 0xff, len + 1);
				memcpy(p->s16.w, c, 16);
				memcpy(p->s16.m, m, 16);
				p->kind = n->op == NG_OP_EQ ? P_STR_EQ16 : P_STR_NE16;
			}
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
		/*
		 * All listed nodes in one word (the usual case): one load and an
		 * and, instead of a pass over every word of the mask.
		 */
		unsigned used = 0, word = 0;
		for (unsigned w = 0; w < NG_NODE_WORDS; w++)
			if (m->w[w]) {
				used++;
				word = w;
			}
		if (n->op != NG_OP_IN && used == 1) {
			p->kind = P_N_ANY1;
			p->off += word * (uint32_t)sizeof(uint64_t);
			p->mask = m->w[word];
		}
		return p;
	}
	}
	return NULL;
}

static uint32_t count_cmp(const struct ng_node *n)
{
	switch (n->kind) {
	case NG_NODE_AND:
	case NG_NODE_OR:
		return count_cmp(n->left) + count_cmp(n->right);
	case NG_NODE_NOT:
		return count_cmp(n->left);
	case NG_NODE_CMP:
		return 1;
	default:
		return 0;
	}
}

struct ng_prog_set *ng_prog_set_new(struct ng_arena *a)
{
	struct ng_prog_set *s = ng_arena_alloc(a, sizeof(*s));
	if (s)
		s->a = a;
	return s;
}

static bool slot_for(struct ng_prog_set *set, const struct ng_node *n, uint32_t *slot)
{
	struct ng_buf b = { 0 };
	ng_buf_printf(&b, "%d %d %zu", (int)n->field, (int)n->op, n->nvalues);
	for (size_t i = 0; i < n->nvalues; i++) {
		if (n->values[i].is_str) {
			ng_buf_printf(&b, " s%zu:", strlen(n->values[i].str));
			ng_buf_puts(&b, n->values[i].str);
		} else {
			ng_buf_printf(&b, " n%lld", (long long)n->values[i].num);
		}
	}
	if (!ng_buf_ok(&b)) {
		ng_buf_free(&b);
		return false;
	}
	if (set->n * 2 >= set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		struct memo_key *k = ng_arena_alloc(set->a, cap * sizeof(*k));
		if (!k) {
			ng_buf_free(&b);
			return false;
		}
		for (size_t i = 0; i < set->cap; i++) {
			if (!set->keys[i].key)
				continue;
			size_t h = set->keys[i].hash & (cap - 1);
			while (k[h].key)
				h = (h + 1) & (cap - 1);
			k[h] = set->keys[i];
		}
		set->keys = k;
		set->cap = cap;
	}
	uint64_t hash = ng_hash_mix(ng_hash_bytes(0, b.data, b.len));
	size_t h = hash & (set->cap - 1);
	for (; set->keys[h].key; h = (h + 1) & (set->cap - 1)) {
		struct memo_key *k = &set->keys[h];
		if (k->hash == hash && k->len == b.len && memcmp(k->key, b.data, b.len) == 0) {
			*slot = k->slot;
			ng_buf_free(&b);
			return true;
		}
	}
	char *key = ng_arena_strndup(set->a, b.data, b.len);
	ng_buf_free(&b);
	if (!key)
		return false;
	set->keys[h] = (struct memo_key){ hash, key, strlen(key), (uint32_t)set->n };
	*slot = (uint32_t)set->n++;
	return true;
}

/* For a class-specialised program: the class's representative event and the fields it decides. */
struct decided {
	const struct ng_event *rep;
	uint64_t known;
	struct ng_prog_set *set;
};

static int decide(const struct decided *dc, const struct ng_node *n);

/* Emit n with continuations t and f; returns its entry (or a target, for constants). */
static bool emit(struct ng_prog_set *set, struct ng_prog *p, const struct ng_node *n, int32_t t,
		 int32_t f, int32_t *entry, const struct decided *dc)
{
	int32_t second;
	switch (n->kind) {
	case NG_NODE_AND:
		/* The right side is emitted first so the left one knows where to go. */
		return emit(set, p, n->right, t, f, &second, dc) &&
		       emit(set, p, n->left, second, f, entry, dc);
	case NG_NODE_OR:
		return emit(set, p, n->right, t, f, &second, dc) &&
		       emit(set, p, n->left, t, second, entry, dc);
	case NG_NODE_NOT:
		return emit(set, p, n->left, f, t, entry, dc);
	case NG_NODE_CONST:
		*entry = n->constant ? t : f;
		return true;
	case NG_NODE_CMP: {
		if (t == f) {
			/*
			 * Either way leads to the same place (the rest of an `and`
			 * folded to false, say): the comparison is not needed.
			 */
			*entry = t;
			return true;
		}
		int d = dc ? decide(dc, n) : -1;
		if (d >= 0) {
			/* The class decides this comparison: it is a constant here. */
			*entry = d ? t : f;
			return true;
		}
		struct ins *in = &p->ins[p->n];
		if (!compile_cmp(set->a, n, in) || !slot_for(set, n, &in->slot))
			return false;
		in->t = t;
		in->f = f;
		in->memo = true;
		*entry = (int32_t)p->n++;
		return true;
	}
	}
	return false;
}

const struct ng_prog *ng_prog_compile(struct ng_prog_set *set, const struct ng_node *root)
{
	struct ng_prog *p = ng_arena_alloc(set->a, sizeof(*p));
	uint32_t n = count_cmp(root);
	if (!p || !(p->ins = ng_arena_alloc(set->a, (n + 1) * sizeof(*p->ins))))
		return NULL;
	return emit(set, p, root, ACCEPT, REJECT, &p->entry, NULL) ? p : NULL;
}

int ng_prog_memo_init(struct ng_arena *a, const struct ng_prog_set *set, struct ng_memo *m)
{
	m->n = (uint32_t)set->n;
	m->gen = 1;
	memset(m->field, 0, sizeof(m->field));
	m->stamp = ng_arena_alloc(a, (set->n + 1) * sizeof(*m->stamp));
	m->val = ng_arena_alloc(a, set->n + 1);
	return m->stamp && m->val ? 0 : -ENOMEM;
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

static inline uint64_t load_u(const struct ins *p, const char *base)
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

static bool in_str(const struct strset *set, uint64_t hash, const char *s, size_t len)
{
	uint64_t h = hash & set->mask;
	for (uint32_t i; (i = set->slot[h]) != 0; h = (h + 1) & set->mask) {
		const struct sstr *v = &set->v[i - 1];
		if (v->len == len && memcmp(v->s, s, len) == 0)
			return true;
	}
	return false;
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

/*
 * A string field's length, and its hash for `in`, are worked out once per
 * event however many comparisons read them (m is NULL when judging classes
 * at load time).
 */
static size_t field_len(const struct ins *p, const char *fp, struct ng_memo *m)
{
	if (!m)
		return strnlen(fp, p->size);
	struct ng_memo_field *c = &m->field[p->field];
	if (c->stamp != m->gen) {
		c->stamp = m->gen;
		c->len = (uint32_t)strnlen(fp, p->size);
		c->hashed = false;
	}
	return c->len;
}

static uint64_t field_hash(const struct ins *p, const char *fp, size_t len, struct ng_memo *m)
{
	if (!m)
		return ng_hash_bytes(0, fp, len);
	struct ng_memo_field *c = &m->field[p->field];
	if (!c->hashed) {
		c->hash = ng_hash_bytes(0, fp, len);
		c->hashed = true;
	}
	return c->hash;
}

/* Comparisons that scan memory: kept out of line so the hot loop stays small. */
static __attribute__((noinline)) bool test_slow(const struct ins *p, const char *fp,
						struct ng_memo *m)
{
	size_t len;
	switch (p->kind) {
	case P_STR_EQ:
	case P_STR_NE: {
		/* Equal iff the constant's bytes match and the field ends right after them. */
		bool eq = p->str.len < p->size && memcmp(fp, p->str.s, p->str.len) == 0 &&
			  fp[p->str.len] == '\0';
		return p->kind == P_STR_EQ ? eq : !eq;
	}
	case P_STR_STARTS:
		return p->str.len < p->size && strncmp(fp, p->str.s, p->str.len) == 0;
	case P_STR_IN:
		len = field_len(p, fp, m);
		return in_str(p->set, field_hash(p, fp, len, m), fp, len);
	case P_STR_CONTAINS:
		len = field_len(p, fp, m);
		return memmem(fp, len, p->str.s, p->str.len) != NULL;
	case P_STR_ICONTAINS:
		len = field_len(p, fp, m);
		return icontains(fp, len, p->str.s, p->str.len);
	case P_STR_ENDS:
		len = field_len(p, fp, m);
		return len >= p->str.len && memcmp(fp + len - p->str.len, p->str.s, p->str.len) == 0;
	case P_STR_GLOB:
		/* The pattern's literal prefix rules most values out with one compare. */
		if (p->n >= p->size || memcmp(fp, p->str.s, p->n) != 0)
			return false;
		len = field_len(p, fp, m);
		return ng_glob_match(p->str.s + p->n, p->str.len - p->n, fp + p->n, len - p->n);
	case P_S_IN:
		return in_u64(p->uset, p->n, *(const uint64_t *)fp ^ SIGN_BIT);
	case P_U_IN:
		return in_u64(p->uset, p->n, load_u(p, fp - p->off));
	case P_N_CONTAINS:
	case P_N_INTERSECTS: {
		const ng_nodemask_t *nm = (const ng_nodemask_t *)fp;
		for (unsigned w = 0; w < NG_NODE_WORDS; w++)
			if (nm->w[w] & p->nodes->w[w])
				return true;
		return false;
	}
	case P_N_IN: {
		const ng_nodemask_t *nm = (const ng_nodemask_t *)fp;
		for (unsigned w = 0; w < NG_NODE_WORDS; w++)
			if (nm->w[w] & ~p->nodes->w[w])
				return false;
		return true;
	}
	default:
		return false;
	}
}

static inline bool test(const struct ins *p, const char *base, uint64_t present,
			struct ng_memo *m)
{
	bool has = present >> p->field & 1;
	if (p->kind == P_EXISTS)
		return has;
	/* Every comparison on an absent field is false (`exists` tests presence). */
	if (!has)
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
	case P_STR_EQ16:
	case P_STR_NE16: {
		uint64_t w[2];
		memcpy(w, fp, 16);
		bool eq = (((w[0] ^ p->s16.w[0]) & p->s16.m[0]) |
			   ((w[1] ^ p->s16.w[1]) & p->s16.m[1])) == 0;
		return p->kind == P_STR_EQ16 ? eq : !eq;
	}
	case P_F_CONTAINS:
	case P_F_INTERSECTS:
	case P_N_ANY1:
		return (*(const uint64_t *)fp & p->mask) != 0;
	case P_F_IN:
		return (*(const uint64_t *)fp & ~p->mask) == 0;
	default:
		return test_slow(p, fp, m);
	}
}

static inline bool memo_test(const struct ins *in, const char *base, uint64_t present,
			     struct ng_memo *m)
{
	if (!in->memo)
		return test(in, base, present, m);
	if (m->stamp[in->slot] == m->gen)
		return m->val[in->slot];
	bool r = test(in, base, present, m);
	m->stamp[in->slot] = m->gen;
	m->val[in->slot] = r;
	return r;
}

bool ng_prog_eval(const struct ng_prog *p, const struct ng_event *e, struct ng_memo *m)
{
	const char *base = (const char *)e;
	uint64_t present = e->present;
	int32_t pc = p->entry;
	while (pc >= 0) {
		const struct ins *in = &p->ins[pc];
		pc = memo_test(in, base, present, m) ? in->t : in->f;
	}
	return pc == ACCEPT;
}

/* ---- chains ---- */

/*
 * A chain joins the programs of every rule that can match a class into one
 * graph: a rule's false exit leads to the next rule's entry, and its true
 * exit to MATCH(k), which records k and goes on to the next rule as well. One loop then
 * evaluates all of them, with no call or set-up per rule, and a comparison
 * keeps its result in the memo only when another rule of the chain tests it
 * again.
 */
struct ng_chain {
	struct ng_prog p;
	const int32_t *after; /* after[k]: where evaluation goes on once rule k matched */
};

#define CHAIN_END (-1)
#define MATCH(k) (-2 - (int32_t)(k))

/* Graph nodes of a chain: instructions 0..total-1, then MATCH(k) as total + k. */
static int32_t node_of(const struct ng_chain *c, int32_t target)
{
	return target >= 0 ? target : target == CHAIN_END ? -1 : (int32_t)c->p.n + (-2 - target);
}

static void succ(const struct ng_chain *c, int32_t v, int32_t out[2])
{
	if (v < (int32_t)c->p.n) {
		out[0] = node_of(c, c->p.ins[v].t);
		out[1] = node_of(c, c->p.ins[v].f);
	} else {
		out[0] = node_of(c, c->after[v - (int32_t)c->p.n]);
		out[1] = -1;
	}
}

/*
 * Marks the nodes reachable from the entry (class folding can leave
 * comparisons no path leads to). Depth-first without recursion: a chain can
 * be long.
 */
static void walk(const struct ng_chain *c, uint32_t nrules, uint8_t *seen)
{
	int32_t *stack = malloc(((size_t)c->p.n + nrules + 1) * sizeof(*stack));
	int32_t root = node_of(c, c->p.entry);
	uint32_t sp = 0;
	if (!stack || root < 0) {
		free(stack);
		return;
	}
	seen[root] = 1;
	stack[sp++] = root;
	while (sp) {
		int32_t s[2];
		succ(c, stack[--sp], s);
		for (int b = 0; b < 2; b++)
			if (s[b] >= 0 && !seen[s[b]]) {
				seen[s[b]] = 1;
				stack[sp++] = s[b];
			}
	}
	free(stack);
}

/* Evaluation order: rules that start with the same comparison side by side (see below). */
struct ord {
	uint64_t key;
	uint32_t k;
};

static int ord_cmp(const void *a, const void *b)
{
	const struct ord *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->k > y->k) - (x->k < y->k);
}

const struct ng_chain *ng_chain_build(struct ng_prog_set *set, const struct ng_prog *const *progs,
				      uint32_t n)
{
	struct ng_arena *a = set->a;
	struct ng_chain *c = ng_arena_alloc(a, sizeof(*c));
	int32_t *after = ng_arena_alloc(a, ((size_t)n + 1) * sizeof(*after));
	uint32_t total = 0;
	for (uint32_t k = 0; k < n; k++)
		total += progs[k]->n;
	struct ins *ins = ng_arena_alloc(a, ((size_t)total + 1) * sizeof(*ins));
	uint32_t *uses = calloc(set->n + 1, sizeof(*uses));
	struct ord *ord = malloc(((size_t)n + 1) * sizeof(*ord));
	if (!c || !after || !ins || !uses || !ord) {
		free(uses);
		free(ord);
		return NULL;
	}
	/*
	 * Rules are evaluated grouped by their first comparison (file order
	 * within a group; the matches are put back in file order). Then when
	 * that comparison fails for one rule, the edge to the next rule knows
	 * its outcome already and is pointed past it: a group whose first
	 * comparison fails costs one test, not one memo lookup per rule.
	 */
	for (uint32_t k = 0; k < n; k++) {
		const struct ng_prog *p = progs[k];
		ord[k] = (struct ord){ p->entry >= 0 ? p->ins[p->entry].slot : UINT64_MAX, k };
	}
	qsort(ord, n, sizeof(*ord), ord_cmp);
	/* Back to front, so each rule knows where the next one starts. */
	int32_t next = CHAIN_END;
	uint32_t at = total;
	for (uint32_t j = n; j-- > 0;) {
		uint32_t k = ord[j].k;
		const struct ng_prog *p = progs[k];
		at -= p->n;
		after[k] = next;
		for (uint32_t i = 0; i < p->n; i++) {
			struct ins *in = &ins[at + i];
			*in = p->ins[i];
			in->t = in->t >= 0 ? (int32_t)at + in->t : in->t == ACCEPT ? MATCH(k) : next;
			in->f = in->f >= 0 ? (int32_t)at + in->f : in->f == ACCEPT ? MATCH(k) : next;
		}
		next = p->entry >= 0 ? (int32_t)at + p->entry : p->entry == ACCEPT ? MATCH(k) : next;
	}
	free(ord);
	/* An edge leaving comparison X knows X's outcome: skip every X it then reaches. */
	for (uint32_t i = 0; i < total; i++) {
		while (ins[i].t >= 0 && ins[ins[i].t].slot == ins[i].slot)
			ins[i].t = ins[ins[i].t].t;
		while (ins[i].f >= 0 && ins[ins[i].f].slot == ins[i].slot)
			ins[i].f = ins[ins[i].f].f;
	}
	c->p = (struct ng_prog){ ins, total, next };
	c->after = after;
	/* Memo only what more than one reachable comparison tests. */
	uint8_t *seen = calloc((size_t)total + n + 1, 1); /* instructions, then MATCH nodes */
	if (seen) {
		walk(c, n, seen);
		for (uint32_t i = 0; i < total; i++)
			if (seen[i])
				uses[ins[i].slot]++;
		for (uint32_t i = 0; i < total; i++)
			ins[i].memo = uses[ins[i].slot] > 1;
	} else {
		for (uint32_t i = 0; i < total; i++)
			ins[i].memo = true;
	}
	free(seen);
	free(uses);
	return c;
}

uint32_t ng_chain_eval(const struct ng_chain *c, const struct ng_event *e, struct ng_memo *m,
		       uint32_t *matched)
{
	const char *base = (const char *)e;
	uint64_t present = e->present;
	const struct ins *ins = c->p.ins;
	uint32_t nm = 0;
	int32_t pc = c->p.entry;
	for (;;) {
		while (pc >= 0) {
			const struct ins *in = &ins[pc];
			pc = memo_test(in, base, present, m) ? in->t : in->f;
		}
		if (pc == CHAIN_END)
			break;
		uint32_t k = (uint32_t)(-2 - pc);
		matched[nm++] = k;
		pc = c->after[k];
	}
	/* Back to file order (insertion sort: a handful of matches). */
	for (uint32_t i = 1; i < nm; i++) {
		uint32_t v = matched[i], j = i;
		for (; j && matched[j - 1] > v; j--)
			matched[j] = matched[j - 1];
		matched[j] = v;
	}
	return nm;
}

/* ---- rule index ---- */

/*
 * Class coordinates: syscall (absent, "set_mempolicy", other) x res (absent,
 * 0, other) x errno (absent, "", EINVAL, EPERM, other) x blocked (absent,
 * false, true) x mode (absent, 0..6, other).
 */
enum { AXIS_SYSCALL = 3, AXIS_RES = 3, AXIS_ERRNO = 5, AXIS_BLOCKED = 3, AXIS_MODE = 9 };

static inline bool str_is(const char *field, size_t size, const char *lit, size_t len)
{
	return len < size && memcmp(field, lit, len + 1) == 0;
}

unsigned ng_index_class(const struct ng_event *e)
{
	unsigned sc = !ng_event_has(e, NG_F_EVT_SYSCALL)		       ? 0
		      : str_is(e->syscall, sizeof(e->syscall), "set_mempolicy", 13) ? 1
										     : 2;
	unsigned res = !ng_event_has(e, NG_F_EVT_RES) ? 0 : e->res == 0 ? 1 : 2;
	unsigned er = !ng_event_has(e, NG_F_EVT_ERRNO)				? 0
		      : e->errno_name[0] == '\0'					? 1
		      : str_is(e->errno_name, sizeof(e->errno_name), "EINVAL", 6) ? 2
		      : str_is(e->errno_name, sizeof(e->errno_name), "EPERM", 5)  ? 3
										  : 4;
	unsigned bl = !ng_event_has(e, NG_F_EVT_BLOCKED) ? 0 : e->blocked ? 2 : 1;
	unsigned mo = !ng_event_has(e, NG_F_MPOL_MODE)		       ? 0
		      : e->mode >= 0 && e->mode < NG_MPOL_MAX ? 1 + (unsigned)e->mode
								 : 8;
	return (((sc * AXIS_RES + res) * AXIS_ERRNO + er) * AXIS_BLOCKED + bl) * AXIS_MODE + mo;
}

/* A representative event of class c, and which fields it decides. */
static uint64_t class_event(unsigned c, struct ng_event *e)
{
	unsigned mo = c % AXIS_MODE;
	c /= AXIS_MODE;
	unsigned bl = c % AXIS_BLOCKED;
	c /= AXIS_BLOCKED;
	unsigned er = c % AXIS_ERRNO;
	c /= AXIS_ERRNO;
	unsigned res = c % AXIS_RES;
	unsigned sc = c / AXIS_RES;
	uint64_t known = 0;
	memset(e, 0, sizeof(*e));
	/* An absent field is decided too: every comparison on it is false. */
	if (sc != 2) {
		known |= 1ull << NG_F_EVT_SYSCALL;
		if (sc == 1) {
			strcpy(e->syscall, "set_mempolicy");
			ng_event_set(e, NG_F_EVT_SYSCALL);
		}
	}
	if (res != 2) {
		known |= 1ull << NG_F_EVT_RES;
		if (res == 1)
			ng_event_set(e, NG_F_EVT_RES);
	}
	if (er != 4) {
		known |= 1ull << NG_F_EVT_ERRNO;
		if (er) {
			strcpy(e->errno_name, er == 2 ? "EINVAL" : er == 3 ? "EPERM" : "");
			ng_event_set(e, NG_F_EVT_ERRNO);
		}
	}
	known |= 1ull << NG_F_EVT_BLOCKED;
	if (bl) {
		e->blocked = bl == 2;
		ng_event_set(e, NG_F_EVT_BLOCKED);
	}
	if (mo != 8) {
		known |= 1ull << NG_F_MPOL_MODE;
		if (mo) {
			e->mode = mo - 1;
			ng_event_set(e, NG_F_MPOL_MODE);
		}
	}
	return known;
}

enum { F3 = 0, T3 = 1, U3 = 2 };

static int eval3(struct ng_arena *a, const struct ng_node *n, const struct ng_event *e,
		 uint64_t known)
{
	switch (n->kind) {
	case NG_NODE_AND: {
		int l = eval3(a, n->left, e, known);
		if (l == F3)
			return F3;
		int r = eval3(a, n->right, e, known);
		return r == F3 ? F3 : (l == T3 && r == T3) ? T3 : U3;
	}
	case NG_NODE_OR: {
		int l = eval3(a, n->left, e, known);
		if (l == T3)
			return T3;
		int r = eval3(a, n->right, e, known);
		return r == T3 ? T3 : (l == F3 && r == F3) ? F3 : U3;
	}
	case NG_NODE_NOT: {
		int x = eval3(a, n->left, e, known);
		return x == U3 ? U3 : x == T3 ? F3 : T3;
	}
	case NG_NODE_CONST:
		return n->constant ? T3 : F3;
	case NG_NODE_CMP: {
		if (!(known >> n->field & 1))
			return U3;
		struct ins in = { 0 };
		if (!compile_cmp(a, n, &in))
			return U3; /* out of memory: never drop a rule */
		return test(&in, (const char *)e, e->present, NULL) ? T3 : F3;
	}
	}
	return U3;
}

bool ng_index_may_match(struct ng_arena *a, const struct ng_node *root, unsigned c)
{
	struct ng_event e;
	uint64_t known = class_event(c, &e);
	return eval3(a, root, &e, known) != F3;
}

/* 1 or 0 when the class decides comparison n, -1 when it does not (or out of memory). */
static struct ins *cached_ins(struct ng_prog_set *set, const struct ng_node *n)
{
	if ((set->in + 1) * 2 > set->icap) {
		size_t cap = set->icap ? set->icap * 2 : 64;
		struct icache_slot *ns = ng_arena_alloc(set->a, cap * sizeof(*ns));
		if (!ns)
			return NULL;
		for (size_t i = 0; i < set->icap; i++) {
			if (!set->icache[i].node)
				continue;
			size_t h = ng_hash_mix((uintptr_t)set->icache[i].node) & (cap - 1);
			while (ns[h].node)
				h = (h + 1) & (cap - 1);
			ns[h] = set->icache[i];
		}
		set->icache = ns;
		set->icap = cap;
	}
	size_t h = ng_hash_mix((uintptr_t)n) & (set->icap - 1);
	for (; set->icache[h].node; h = (h + 1) & (set->icap - 1))
		if (set->icache[h].node == n)
			return set->icache[h].in;
	struct ins *in = ng_arena_alloc(set->a, sizeof(*in));
	if (!in || !compile_cmp(set->a, n, in))
		return NULL;
	set->icache[h] = (struct icache_slot){ n, in };
	set->in++;
	return in;
}

static int decide(const struct decided *dc, const struct ng_node *n)
{
	if (!(dc->known >> n->field & 1))
		return -1;
	struct ins *in = cached_ins(dc->set, n);
	if (!in)
		return -1; /* out of memory: undecided is always safe */
	return test(in, (const char *)dc->rep, dc->rep->present, NULL);
}

static bool sig_walk(const struct decided *dc, const struct ng_node *n, uint64_t *sig,
		     unsigned *nbits)
{
	switch (n->kind) {
	case NG_NODE_AND:
	case NG_NODE_OR:
		return sig_walk(dc, n->left, sig, nbits) && sig_walk(dc, n->right, sig, nbits);
	case NG_NODE_NOT:
		return sig_walk(dc, n->left, sig, nbits);
	case NG_NODE_CMP: {
		int d = decide(dc, n);
		if (d < 0)
			return true;
		if (*nbits >= 58)
			return false;
		*sig |= (uint64_t)d << (*nbits)++;
		return true;
	}
	default:
		return true;
	}
}

bool ng_index_signature(struct ng_prog_set *set, const struct ng_node *root, unsigned c,
			uint64_t *sig)
{
	struct ng_event rep;
	struct decided dc = { &rep, class_event(c, &rep), set };
	unsigned nbits = 0;
	uint64_t bits = 0;
	if (!sig_walk(&dc, root, &bits, &nbits))
		return false;
	/* Which fields the class decides, then what the decided comparisons gave. */
	uint64_t fields = 0;
	static const enum ng_field_id idx[] = { NG_F_EVT_SYSCALL, NG_F_EVT_RES, NG_F_EVT_ERRNO,
						NG_F_EVT_BLOCKED, NG_F_MPOL_MODE };
	for (unsigned i = 0; i < 5; i++)
		fields |= (uint64_t)(dc.known >> idx[i] & 1) << i;
	*sig = fields << 58 | bits;
	return true;
}

const struct ng_prog *ng_prog_compile_class(struct ng_prog_set *set, const struct ng_node *root,
					    unsigned c)
{
	struct ng_event rep;
	struct decided dc = { &rep, class_event(c, &rep), set };
	struct ng_prog *p = ng_arena_alloc(set->a, sizeof(*p));
	uint32_t n = count_cmp(root);
	if (!p || !(p->ins = ng_arena_alloc(set->a, (n + 1) * sizeof(*p->ins))))
		return NULL;
	return emit(set, p, root, ACCEPT, REJECT, &p->entry, &dc) ? p : NULL;
}

bool ng_prog_never(const struct ng_prog *p)
{
	return p->entry == REJECT;
}
