// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compile.h"
#include "fields.h"
#include "policy.h"

/* Nodes and values of the condition built from the policy; freed once it is compiled. */
struct arena {
	void **p;
	size_t n, cap;
	bool oom;
};

static void *arena_alloc(struct arena *a, size_t size)
{
	void *m;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		void **np = realloc(a->p, cap * sizeof(*np));

		if (!np) {
			a->oom = true;
			return NULL;
		}
		a->p = np;
		a->cap = cap;
	}
	m = calloc(1, size);
	if (!m) {
		a->oom = true;
		return NULL;
	}
	a->p[a->n++] = m;
	return m;
}

static void arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
}

struct pctx {
	const char *path;
	FILE *diag;
	yaml_document_t *doc;
	struct arena arena;
	unsigned errors;
};

static void perr(struct pctx *p, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct pctx *p, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->diag, "%s:%zu:%zu: error: ", p->path, at ? at->start_mark.line + 1 : 1,
		at ? at->start_mark.column + 1 : 1);
	va_start(ap, fmt);
	vfprintf(p->diag, fmt, ap);
	va_end(ap);
	fputc('\n', p->diag);
	p->errors++;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Whether the key of pair `pr` already appeared earlier in its mapping. */
static bool duplicate_key(struct pctx *p, const yaml_node_t *map, const yaml_node_pair_t *pr)
{
	const char *ks = scalar(yaml_document_get_node(p->doc, pr->key));

	if (!ks)
		return false;
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pr; q++) {
		const char *qs = scalar(yaml_document_get_node(p->doc, q->key));

		if (qs && strcmp(qs, ks) == 0) {
			perr(p, yaml_document_get_node(p->doc, pr->key), "duplicate key '%s'", ks);
			return true;
		}
	}
	return false;
}

static struct ng_node *node_new(struct pctx *p, enum ng_node_kind kind, const yaml_node_t *at)
{
	struct ng_node *n = arena_alloc(&p->arena, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	n->file = p->path;
	n->line = at ? (unsigned)at->start_mark.line + 1 : 0;
	n->col = at ? (unsigned)at->start_mark.column + 1 : 0;
	return n;
}

static struct ng_node *join(struct pctx *p, enum ng_node_kind kind, struct ng_node *l,
			    struct ng_node *r)
{
	struct ng_node *n;

	if (!l)
		return r;
	if (!r)
		return l;
	n = node_new(p, kind, NULL);
	if (n) {
		n->left = l;
		n->right = r;
	}
	return n;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);

	if (errno || *end)
		return false;
	*v = x;
	return true;
}

/* A scalar or a sequence of scalars, as a list of values resolved through syms (or numbers). */
static struct ng_value *values_of(struct pctx *p, const yaml_node_t *n, const char *key,
				  const struct ng_symtab *syms, bool bits, size_t *count)
{
	const yaml_node_t *items[64];
	size_t k = 0;
	struct ng_value *v;

	if (n->type == YAML_SCALAR_NODE) {
		items[k++] = n;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			if (k == 64) {
				perr(p, n, "'%s' lists more than 64 values", key);
				return NULL;
			}
			items[k++] = yaml_document_get_node(p->doc, *it);
		}
	} else {
		perr(p, n, "'%s' takes a name or a list of names", key);
		return NULL;
	}
	if (k == 0) {
		perr(p, n, "'%s' is an empty list", key);
		return NULL;
	}
	v = arena_alloc(&p->arena, k * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < k; i++) {
		const char *s = scalar(items[i]);
		uint64_t num;
		int sym = s ? ng_sym_lookup(syms, s) : -1;

		if (sym >= 0) {
			v[i].num = sym;
		} else if (!bits && parse_u64(s, &num) && num <= INT32_MAX) {
			v[i].num = (int64_t)num;
		} else {
			perr(p, items[i], "'%s': unknown %s '%s'", key, bits ? "flag" : "mode",
			     s ? s : "(not a scalar)");
			return NULL;
		}
	}
	*count = k;
	return v;
}

static struct ng_node *cmp_node(struct pctx *p, const yaml_node_t *at, enum ng_field_id field,
				enum ng_op op, struct ng_value *v, size_t nv)
{
	struct ng_node *n = node_new(p, NG_NODE_CMP, at);

	if (n) {
		n->field = field;
		n->op = op;
		n->values = v;
		n->nvalues = nv;
	}
	return n;
}

static struct ng_node *maxnode_node(struct pctx *p, const yaml_node_t *m)
{
	static const struct {
		const char *key;
		enum ng_op op;
	} ops[] = {{"eq", NG_OP_EQ}, {"ne", NG_OP_NE}, {"lt", NG_OP_LT},
		   {"le", NG_OP_LE}, {"gt", NG_OP_GT}, {"ge", NG_OP_GE}};
	struct ng_node *acc = NULL;

	if (m->type != YAML_MAPPING_NODE ||
	    m->data.mapping.pairs.start == m->data.mapping.pairs.top) {
		perr(p, m, "'maxnode' takes a mapping of comparisons, e.g. {gt: 1024}");
		return NULL;
	}
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *ks = scalar(k);
		uint64_t num;
		size_t i;

		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (ks && strcmp(ks, ops[i].key) == 0)
				break;
		if (i == sizeof(ops) / sizeof(ops[0])) {
			perr(p, k, "unknown maxnode comparison '%s' (use eq, ne, lt, le, gt, ge)",
			     ks ? ks : "");
			continue;
		}
		if (!parse_u64(scalar(v), &num) || num > INT64_MAX) {
			perr(p, v, "maxnode %s: '%s' is not a non-negative integer", ks,
			     scalar(v) ? scalar(v) : "");
			continue;
		}
		struct ng_value *val = arena_alloc(&p->arena, sizeof(*val));

		if (!val)
			return NULL;
		val->num = (int64_t)num;
		acc =
		    join(p, NG_NODE_AND, acc, cmp_node(p, k, NG_F_MPOL_MAXNODE, ops[i].op, val, 1));
	}
	return acc;
}

/* One match entry: the AND of its tests. */
static struct ng_node *entry_node(struct pctx *p, const yaml_node_t *e)
{
	struct ng_node *acc = NULL;

	if (e->type != YAML_MAPPING_NODE) {
		perr(p, e,
		     "a match entry is a mapping of tests (mode, mode_not, flags, flags_any, "
		     "flags_not, maxnode)");
		return NULL;
	}
	if (e->data.mapping.pairs.start == e->data.mapping.pairs.top) {
		perr(p, e, "an empty match entry would match every call; list at least one test");
		return NULL;
	}
	for (yaml_node_pair_t *pr = e->data.mapping.pairs.start; pr < e->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *ks = scalar(k);
		struct ng_node *t = NULL;
		struct ng_value *vals;
		size_t nv;

		if (!ks) {
			perr(p, k, "a test name must be a string");
			continue;
		}
		if (duplicate_key(p, e, pr))
			continue;
		if (strcmp(ks, "maxnode") == 0) {
			t = maxnode_node(p, v);
		} else if (strcmp(ks, "mode") == 0 || strcmp(ks, "mode_not") == 0) {
			vals = values_of(p, v, ks, &ng_mode_syms, false, &nv);
			if (!vals)
				continue;
			t = cmp_node(p, k, NG_F_MPOL_MODE, NG_OP_IN, vals, nv);
			if (ks[4] == '_') {
				struct ng_node *n = node_new(p, NG_NODE_NOT, k);

				if (n)
					n->left = t;
				t = n;
			}
		} else if (strcmp(ks, "flags") == 0 || strcmp(ks, "flags_any") == 0 ||
			   strcmp(ks, "flags_not") == 0) {
			vals = values_of(p, v, ks, &ng_mflag_syms, true, &nv);
			if (!vals)
				continue;
			if (strcmp(ks, "flags") == 0) {
				t = cmp_node(p, k, NG_F_MPOL_FLAGS, NG_OP_CONTAINS, vals, nv);
			} else {
				t = cmp_node(p, k, NG_F_MPOL_FLAGS, NG_OP_INTERSECTS, vals, nv);
				if (strcmp(ks, "flags_not") == 0) {
					struct ng_node *n = node_new(p, NG_NODE_NOT, k);

					if (n)
						n->left = t;
					t = n;
				}
			}
		} else {
			perr(p, k,
			     "unknown test '%s' (use mode, mode_not, flags, flags_any, flags_not, "
			     "maxnode)",
			     ks);
			continue;
		}
		acc = join(p, NG_NODE_AND, acc, t);
	}
	return acc;
}

static int load_doc(struct pctx *p, yaml_node_t *root, struct ng_sc_filter *f)
{
	yaml_node_t *match = NULL, *match_key = NULL, *name = NULL, *errno_key = NULL;
	struct ng_node *cond = NULL;
	char err[512];
	int r;

	if (!root || root->type != YAML_MAPPING_NODE) {
		perr(p, root, "a policy is a mapping with at least 'policy', 'action' and 'match'");
		return -EINVAL;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *ks = scalar(k), *vs = scalar(v);

		if (!ks) {
			perr(p, k, "keys must be strings");
		} else if (duplicate_key(p, root, pr)) {
			continue;
		} else if (strcmp(ks, "policy") == 0) {
			if (!vs || !*vs || strlen(vs) >= sizeof(f->name))
				perr(p, v,
				     "'policy' is the policy's name: a string of 1 to %zu bytes",
				     sizeof(f->name) - 1);
			else
				snprintf(f->name, sizeof(f->name), "%s", vs);
			name = v;
		} else if (strcmp(ks, "description") == 0) {
			if (!vs)
				perr(p, v, "'description' must be a string");
		} else if (strcmp(ks, "syscall") == 0) {
			if (!vs || strcmp(vs, "set_mempolicy") != 0)
				perr(p, v,
				     "unsupported syscall '%s': only set_mempolicy is supported",
				     vs ? vs : "");
		} else if (strcmp(ks, "action") == 0) {
			if (vs && strcmp(vs, "errno") == 0)
				f->action = NG_SC_ACT_ERRNO;
			else if (vs && strcmp(vs, "kill") == 0)
				f->action = NG_SC_ACT_KILL;
			else if (vs && strcmp(vs, "log") == 0)
				f->action = NG_SC_ACT_LOG;
			else
				perr(p, v, "unknown action '%s' (use errno, kill or log)",
				     vs ? vs : "");
		} else if (strcmp(ks, "errno") == 0) {
			int e = vs ? ng_sc_errno_lookup(vs) : -1;

			errno_key = k;
			if (e < 0)
				perr(p, v,
				     "unknown errno '%s' (use a name such as EPERM, EACCES, "
				     "EINVAL, ENOSYS)",
				     vs ? vs : "");
			else
				f->errno_val = e;
		} else if (strcmp(ks, "match") == 0) {
			match = v;
			match_key = k;
		} else {
			perr(p, k,
			     "unknown key '%s' (policy, description, syscall, action, errno, "
			     "match)",
			     ks);
		}
	}
	if (!name)
		perr(p, root, "missing 'policy' (the policy's name)");
	if (errno_key && f->action != NG_SC_ACT_ERRNO)
		perr(p, errno_key, "'errno' goes with 'action: errno' only");
	if (!match) {
		perr(p, root, "missing 'match' (the list of calls the action applies to)");
		return -EINVAL;
	}
	if (match->type != YAML_SEQUENCE_NODE ||
	    match->data.sequence.items.start == match->data.sequence.items.top) {
		perr(p, match, "'match' must be a non-empty list of entries");
		return -EINVAL;
	}
	for (yaml_node_item_t *it = match->data.sequence.items.start;
	     it < match->data.sequence.items.top; it++)
		cond =
		    join(p, NG_NODE_OR, cond, entry_node(p, yaml_document_get_node(p->doc, *it)));
	if (p->arena.oom)
		return -ENOMEM;
	if (p->errors)
		return -EINVAL;
	r = ng_sc_compile(cond, f, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		perr(p, match_key, "%s", err);
		return -EINVAL;
	}
	return 0;
}

int ng_sc_policy_load(const char *path, struct ng_sc_filter *f, FILE *diag)
{
	struct pctx p = {.path = path, .diag = diag ? diag : stderr};
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *in = fopen(path, "r");
	int r;

	if (!in) {
		r = -errno;
		fprintf(p.diag, "%s: error: cannot open the policy: %s\n", path, strerror(-r));
		return r;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(in);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, in);
	if (!yaml_parser_load(&parser, &doc)) {
		fprintf(p.diag, "%s:%zu:%zu: error: %s%s%s\n", path, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1,
			parser.problem ? parser.problem : "bad YAML", parser.context ? " " : "",
			parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(in);
		return -EINVAL;
	}
	p.doc = &doc;
	r = load_doc(&p, yaml_document_get_root_node(&doc), f);
	yaml_document_delete(&doc);
	/* A second document would be silently ignored: refuse it. */
	if (r == 0) {
		if (!yaml_parser_load(&parser, &doc)) {
			fprintf(p.diag, "%s:%zu:%zu: error: %s\n", path,
				parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "bad YAML");
			r = -EINVAL;
		} else {
			yaml_node_t *extra = yaml_document_get_root_node(&doc);

			if (extra) {
				fprintf(p.diag,
					"%s:%zu:%zu: error: a policy file holds one document; "
					"put each policy in its own file\n",
					path, extra->start_mark.line + 1,
					extra->start_mark.column + 1);
				r = -EINVAL;
			}
			yaml_document_delete(&doc);
		}
	}
	yaml_parser_delete(&parser);
	fclose(in);
	arena_free(&p.arena);
	return r;
}
