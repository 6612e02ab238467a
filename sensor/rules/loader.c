// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "loader.h"

/* ---- positions inside scalars ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void ng_textcur_init(struct ng_textcur *c, const struct ng_text *t)
{
	const struct ng_ynode *y = t->y;
	*c = (struct ng_textcur){ .t = t, .ri = y->start, .line = y->line, .col = y->col };
	if (!t->src) {
		c->lost = true;
		return;
	}
	if (y->style == NG_YS_SINGLE || y->style == NG_YS_DOUBLE) {
		c->ri++;
		c->col++;
	} else if (y->style == NG_YS_LITERAL || y->style == NG_YS_FOLDED) {
		/* Content starts on the line after the block header ("|", ">-", …). */
		while (c->ri < y->end && t->src[c->ri] != '\n')
			c->ri++;
		if (c->ri < y->end) {
			c->ri++;
			c->line++;
			c->col = 1;
		}
	}
}

static void raw_skip_blank(struct ng_textcur *c)
{
	const char *src = c->t->src;
	while (c->ri < c->t->y->end && is_blank(src[c->ri])) {
		if (src[c->ri] == '\n') {
			c->line++;
			c->col = 1;
		} else {
			c->col++;
		}
		c->ri++;
	}
}

void ng_textcur_pos(struct ng_textcur *c, size_t off, unsigned *line, unsigned *col)
{
	const struct ng_ynode *y = c->t->y;
	if (off < c->vi)
		ng_textcur_init(c, c->t);
	while (!c->lost && c->vi < off && c->vi < y->len) {
		char v = y->s[c->vi];
		if (is_blank(v)) {
			c->vi++;
			continue;
		}
		raw_skip_blank(c);
		const char *src = c->t->src;
		if (c->ri >= y->end) {
			c->lost = true;
		} else if (src[c->ri] == v) {
			/* '' inside a single-quoted scalar stands for one quote. */
			if (v == '\'' && y->style == NG_YS_SINGLE && c->ri + 1 < y->end &&
			    src[c->ri + 1] == '\'') {
				c->ri++;
				c->col++;
			}
			c->ri++;
			c->col++;
			c->vi++;
		} else {
			c->lost = true;
		}
	}
	if (!c->lost && c->vi < y->len && !is_blank(y->s[c->vi]))
		raw_skip_blank(c);
	if (c->lost) {
		*line = y->line;
		*col = y->col;
	} else {
		*line = c->line;
		*col = c->col;
	}
}

/* ---- small helpers ---- */

int ng_parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-' || is_blank(*s))
		return -EINVAL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	uint64_t mul;
	if (!*end || strcmp(end, "s") == 0)
		mul = 1000000000ull;
	else if (strcmp(end, "ms") == 0)
		mul = 1000000ull;
	else if (strcmp(end, "m") == 0)
		mul = 60ull * 1000000000ull;
	else if (strcmp(end, "h") == 0)
		mul = 3600ull * 1000000000ull;
	else
		return -EINVAL;
	if (v == 0 || v > UINT64_MAX / mul)
		return -EINVAL;
	*ns = v * mul;
	return 0;
}

struct ctx {
	struct ng_loader *L;
	const char *file; /* perm */
	const char *src;
	char item[160];
};

#define ERR(c, n, ...)                                                                             \
	ng_diag_add((c)->L->diags, NG_DIAG_ERROR, (c)->file, (n)->line, (n)->col, (c)->item,        \
		    __VA_ARGS__)
#define WARN(c, n, ...)                                                                            \
	ng_diag_add((c)->L->diags, NG_DIAG_WARNING, (c)->file, (n)->line, (n)->col, (c)->item,      \
		    __VA_ARGS__)

static void set_item(struct ctx *c, const char *kind, const char *name)
{
	/* Names come from the file: keep them short and on one line in messages. */
	size_t n = strlen(name);
	snprintf(c->item, sizeof(c->item), "%s '%.*s%s'", kind, n > 100 ? 100 : (int)n, name,
		 n > 100 ? "…" : "");
	for (char *p = c->item; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

static const struct ng_ynode *want_scalar(struct ctx *c, const struct ng_ynode *n, const char *key)
{
	if (n->kind != NG_Y_SCALAR) {
		ERR(c, n, "'%s' must be a scalar, not %s", key, ng_ykind_name(n->kind));
		return NULL;
	}
	return n;
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) {
		*out = false;
		return true;
	}
	return false;
}

static void *ix_get(const struct ng_name_index *ix, const char *name)
{
	if (!ix->cap)
		return NULL;
	size_t h = ng_hash_mix(ng_hash_bytes(0, name, strlen(name))) & (ix->cap - 1);
	for (; ix->slots[h].name; h = (h + 1) & (ix->cap - 1))
		if (strcmp(ix->slots[h].name, name) == 0)
			return ix->slots[h].item;
	return NULL;
}

/* Insert or replace. */
static int ix_put(struct ng_arena *a, struct ng_name_index *ix, const char *name, void *item)
{
	if ((ix->n + 1) * 2 > ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 64;
		struct ng_name_slot *ns = ng_arena_alloc(a, cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		for (size_t i = 0; i < ix->cap; i++) {
			if (!ix->slots[i].name)
				continue;
			size_t h = ng_hash_mix(ng_hash_bytes(0, ix->slots[i].name,
							     strlen(ix->slots[i].name))) &
				   (cap - 1);
			while (ns[h].name)
				h = (h + 1) & (cap - 1);
			ns[h] = ix->slots[i];
		}
		ix->slots = ns;
		ix->cap = cap;
	}
	size_t h = ng_hash_mix(ng_hash_bytes(0, name, strlen(name))) & (ix->cap - 1);
	for (; ix->slots[h].name; h = (h + 1) & (ix->cap - 1))
		if (strcmp(ix->slots[h].name, name) == 0) {
			ix->slots[h].item = item;
			return 0;
		}
	ix->slots[h] = (struct ng_name_slot){ name, item };
	ix->n++;
	return 0;
}

struct ng_list_def *ng_loader_list(const struct ng_loader *L, const char *name)
{
	return ix_get(&L->list_ix, name);
}

struct ng_macro_def *ng_loader_macro(const struct ng_loader *L, const char *name)
{
	return ix_get(&L->macro_ix, name);
}

static struct ng_rule_def *find_rule(const struct ng_loader *L, const char *name)
{
	return ix_get(&L->rule_ix, name);
}

static int push_ptr(struct ng_arena *a, void *pv, size_t *n, void *item)
{
	void ***arr = pv;
	/* Grow in powers of two: reallocating on each power keeps appends amortised O(1). */
	if ((*n & (*n - 1)) == 0 || *n == 0) {
		size_t cap = *n ? *n * 2 : 4;
		void **na = ng_arena_grow(a, *arr, *n, cap, sizeof(void *));
		if (!na)
			return -ENOMEM;
		*arr = na;
	}
	(*arr)[(*n)++] = item;
	return 0;
}

static int texts_add(struct ng_arena *a, struct ng_texts *t, const struct ng_text *x)
{
	struct ng_text *nv = ng_arena_grow(a, t->v, t->n, t->n + 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[t->n++] = *x;
	t->v = nv;
	return 0;
}

/* ---- keys ---- */

enum key {
	K_LIST, K_ITEMS, K_MACRO, K_CONDITION, K_RULE, K_ID, K_VERSION, K_DESC, K_OUTPUT,
	K_PRIORITY, K_TAGS, K_ENABLED, K_EXCEPTIONS, K_THROTTLE, K_THRESHOLD, K_ACTIONS,
	K_OVERRIDE, K_APPEND, K__COUNT,
};

static const char *const key_names[K__COUNT] = {
	"list", "items", "macro", "condition", "rule", "id", "version", "desc", "output",
	"priority", "tags", "enabled", "exceptions", "throttle", "threshold", "actions",
	"override", "append",
};

#define KB(k) (1u << (k))
static const unsigned list_keys = KB(K_LIST) | KB(K_ITEMS) | KB(K_OVERRIDE) | KB(K_APPEND);
static const unsigned macro_keys = KB(K_MACRO) | KB(K_CONDITION) | KB(K_OVERRIDE) | KB(K_APPEND);
static const unsigned rule_keys = KB(K_RULE) | KB(K_ID) | KB(K_VERSION) | KB(K_DESC) |
				  KB(K_CONDITION) | KB(K_OUTPUT) | KB(K_PRIORITY) | KB(K_TAGS) |
				  KB(K_ENABLED) | KB(K_EXCEPTIONS) | KB(K_THROTTLE) |
				  KB(K_THRESHOLD) | KB(K_ACTIONS) | KB(K_OVERRIDE) | KB(K_APPEND);
/* Falco's override sets, plus this engine's own rule keys under replace. */
static const unsigned rule_append_ok =
	KB(K_CONDITION) | KB(K_OUTPUT) | KB(K_DESC) | KB(K_TAGS) | KB(K_EXCEPTIONS);
static const unsigned rule_replace_ok = rule_append_ok | KB(K_PRIORITY) | KB(K_ENABLED) |
					KB(K_VERSION) | KB(K_THROTTLE) | KB(K_THRESHOLD) |
					KB(K_ACTIONS);

static int key_of(const char *s)
{
	for (int k = 0; k < K__COUNT; k++)
		if (strcmp(s, key_names[k]) == 0)
			return k;
	return -1;
}

struct keyset_ctx {
	unsigned allowed;
	const char *extra[2];
};

static const char *allowed_key(size_t i, void *p)
{
	struct keyset_ctx *k = p;
	if (i < K__COUNT)
		return k->allowed & KB(i) ? key_names[i] : NULL;
	return k->extra[i - K__COUNT];
}

/*
 * Collect the map's keys into vals[]; unknown keys warn (with a suggestion,
 * which catches `value:` for `values:`), duplicates are errors.
 */
static bool read_keys(struct ctx *c, const struct ng_ynode *m, unsigned allowed, const char *what,
		      const struct ng_ynode *vals[K__COUNT], unsigned *present)
{
	bool ok = true;
	*present = 0;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ng_ynode *k = m->kids[i];
		if (k->kind != NG_Y_SCALAR) {
			ERR(c, k, "keys of %s must be scalars", what);
			ok = false;
			continue;
		}
		int id = key_of(k->s);
		if (id < 0 || !(allowed & KB(id))) {
			struct keyset_ctx kc = { .allowed = allowed };
			const char *s = ng_suggest(k->s, K__COUNT, allowed_key, &kc);
			WARN(c, k, "unknown key '%s' in %s, ignored%s%s%s", k->s, what,
			     s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
			continue;
		}
		if (*present & KB(id)) {
			ERR(c, k, "key '%s' appears twice", k->s);
			ok = false;
			continue;
		}
		*present |= KB(id);
		vals[id] = m->kids[i + 1];
	}
	return ok;
}

/* ---- override ---- */

enum ovr { OVR_NONE, OVR_APPEND, OVR_REPLACE };

/* Parse `override:` into per-key modes; `append: true` (legacy) means append on `legacy_key`s. */
static bool read_override(struct ctx *c, const struct ng_ynode *vals[K__COUNT], unsigned present,
			  unsigned append_ok, unsigned replace_ok, unsigned legacy_keys,
			  unsigned name_key, enum ovr mode[K__COUNT], bool *any)
{
	*any = false;
	memset(mode, 0, sizeof(mode[0]) * K__COUNT);
	if (present & KB(K_APPEND)) {
		bool app = false;
		const struct ng_ynode *a = vals[K_APPEND];
		if (a->kind != NG_Y_SCALAR || !parse_bool(a->s, &app)) {
			ERR(c, a, "'append' must be true or false");
			return false;
		}
		if (present & KB(K_OVERRIDE)) {
			ERR(c, a, "'append' cannot be combined with 'override'; use override only");
			return false;
		}
		if (app) {
			*any = true;
			for (int k = 0; k < K__COUNT; k++)
				if (legacy_keys & KB(k) & present)
					mode[k] = OVR_APPEND;
		}
		present &= ~KB(K_APPEND);
	}
	if (present & KB(K_OVERRIDE)) {
		const struct ng_ynode *o = vals[K_OVERRIDE];
		if (o->kind != NG_Y_MAP) {
			ERR(c, o, "'override' must be a mapping of key: append|replace");
			return false;
		}
		*any = true;
		for (size_t i = 0; i + 1 < o->n; i += 2) {
			const struct ng_ynode *k = o->kids[i], *v = o->kids[i + 1];
			int id = k->kind == NG_Y_SCALAR ? key_of(k->s) : -1;
			if (v->kind != NG_Y_SCALAR ||
			    (strcmp(v->s, "append") && strcmp(v->s, "replace"))) {
				ERR(c, v, "override mode must be 'append' or 'replace'");
				return false;
			}
			bool app = strcmp(v->s, "append") == 0;
			unsigned ok = app ? append_ok : replace_ok;
			if (id < 0 || !(ok & KB(id))) {
				ERR(c, k, "key '%s' cannot be overridden with '%s'",
				    k->kind == NG_Y_SCALAR ? k->s : "?", v->s);
				return false;
			}
			if (!(present & KB(id))) {
				ERR(c, k, "override names '%s' but the item has no '%s' key",
				    k->s, k->s);
				return false;
			}
			mode[id] = app ? OVR_APPEND : OVR_REPLACE;
		}
		unsigned stray = present & ~KB(K_OVERRIDE) & ~name_key;
		for (int k = 0; k < K__COUNT; k++) {
			if ((stray & KB(k)) && mode[k] == OVR_NONE) {
				const struct ng_ynode *v = vals[k];
				ERR(c, v, "key '%s' is not named in 'override'; add '%s: append' or "
					  "'%s: replace'",
				    key_names[k], key_names[k], key_names[k]);
				return false;
			}
		}
	}
	return true;
}

/* ---- items ---- */

static bool read_text(struct ctx *c, const struct ng_ynode *v, const char *key, struct ng_texts *t,
		      bool append)
{
	if (!want_scalar(c, v, key))
		return false;
	struct ng_text x = { .y = v, .file = c->file, .src = c->src };
	if (!append)
		*t = (struct ng_texts){ 0 };
	return texts_add(c->L->tmp, t, &x) == 0;
}

static int do_list(struct ctx *c, const struct ng_ynode *m)
{
	const struct ng_ynode *vals[K__COUNT] = { 0 };
	unsigned present;
	const struct ng_ynode *nm = ng_ymap_get(m, "list");
	if (!want_scalar(c, nm, "list"))
		return 0;
	set_item(c, "list", nm->s);
	if (!read_keys(c, m, list_keys, "this list", vals, &present))
		return 0;
	enum ovr mode[K__COUNT];
	bool ovr;
	if (!read_override(c, vals, present, KB(K_ITEMS), KB(K_ITEMS), KB(K_ITEMS), KB(K_LIST),
			   mode, &ovr))
		return 0;
	const struct ng_ynode *items = vals[K_ITEMS];
	if (!items) {
		ERR(c, m, "a list needs 'items'");
		return 0;
	}
	if (items->kind != NG_Y_SEQ) {
		ERR(c, items, "'items' must be a sequence, e.g. [a, b]");
		return 0;
	}
	for (size_t i = 0; i < items->n; i++)
		if (items->kids[i]->kind != NG_Y_SCALAR) {
			ERR(c, items->kids[i], "list items must be scalars");
			return 0;
		}
	struct ng_list_def *l = ng_loader_list(c->L, nm->s);
	if (ovr) {
		if (!l) {
			ERR(c, nm, "cannot override list '%s': it is not defined earlier", nm->s);
			return 0;
		}
		if (mode[K_ITEMS] == OVR_REPLACE)
			l->n = 0;
	} else if (l) {
		/* A plain redefinition replaces the earlier list (Falco). */
		l->n = 0;
		l->pos = (struct ng_pos){ c->file, nm->line, nm->col };
	} else {
		l = ng_arena_alloc(c->L->tmp, sizeof(*l));
		if (!l)
			return -ENOMEM;
		l->name = ng_arena_strdup(c->L->perm, nm->s);
		l->pos = (struct ng_pos){ c->file, nm->line, nm->col };
		if (!l->name || push_ptr(c->L->tmp, &c->L->lists, &c->L->nlists, l) ||
		    ix_put(c->L->tmp, &c->L->list_ix, l->name, l))
			return -ENOMEM;
	}
	size_t n = l->n + items->n;
	const struct ng_ynode **ni = ng_arena_grow(c->L->tmp, l->items, l->n, n, sizeof(*ni));
	const char **nf = ng_arena_grow(c->L->tmp, l->item_files, l->n, n, sizeof(*nf));
	if (!ni || !nf)
		return -ENOMEM;
	for (size_t i = 0; i < items->n; i++) {
		ni[l->n + i] = items->kids[i];
		nf[l->n + i] = c->file;
	}
	l->items = ni;
	l->item_files = nf;
	l->n = n;
	return 0;
}

static int do_macro(struct ctx *c, const struct ng_ynode *m)
{
	const struct ng_ynode *vals[K__COUNT] = { 0 };
	unsigned present;
	const struct ng_ynode *nm = ng_ymap_get(m, "macro");
	if (!want_scalar(c, nm, "macro"))
		return 0;
	set_item(c, "macro", nm->s);
	if (!read_keys(c, m, macro_keys, "this macro", vals, &present))
		return 0;
	enum ovr mode[K__COUNT];
	bool ovr;
	if (!read_override(c, vals, present, KB(K_CONDITION), KB(K_CONDITION), KB(K_CONDITION),
			   KB(K_MACRO), mode, &ovr))
		return 0;
	if (!vals[K_CONDITION]) {
		ERR(c, m, "a macro needs a 'condition'");
		return 0;
	}
	struct ng_macro_def *d = ng_loader_macro(c->L, nm->s);
	if (ovr && !d) {
		ERR(c, nm, "cannot override macro '%s': it is not defined earlier", nm->s);
		return 0;
	}
	if (!d) {
		d = ng_arena_alloc(c->L->tmp, sizeof(*d));
		if (!d)
			return -ENOMEM;
		d->name = ng_arena_strdup(c->L->perm, nm->s);
		if (!d->name || push_ptr(c->L->tmp, &c->L->macros, &c->L->nmacros, d) ||
		    ix_put(c->L->tmp, &c->L->macro_ix, d->name, d))
			return -ENOMEM;
	}
	if (!ovr)
		d->pos = (struct ng_pos){ c->file, nm->line, nm->col };
	if (!read_text(c, vals[K_CONDITION], "condition", &d->cond, mode[K_CONDITION] == OVR_APPEND))
		return 0;
	return 0;
}

static bool read_tags(struct ctx *c, const struct ng_ynode *v, struct ng_rule_def *r, bool append)
{
	if (v->kind != NG_Y_SEQ) {
		ERR(c, v, "'tags' must be a sequence, e.g. [numa, container]");
		return false;
	}
	size_t base = append ? r->ntags : 0;
	const char **t = ng_arena_grow(c->L->perm, r->tags, base, base + v->n, sizeof(*t));
	if (!t)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		if (v->kids[i]->kind != NG_Y_SCALAR) {
			ERR(c, v->kids[i], "tags must be scalars");
			return false;
		}
		t[base + i] = ng_arena_strdup(c->L->perm, v->kids[i]->s);
		if (!t[base + i])
			return false;
	}
	r->tags = t;
	r->ntags = base + v->n;
	return true;
}

static const char *exc_key(size_t i, void *ctx)
{
	static const char *const k[] = { "name", "fields", "comps", "values" };
	return k[i];
}

static bool read_exceptions(struct ctx *c, const struct ng_ynode *v, struct ng_rule_def *r,
			    bool append)
{
	if (v->kind != NG_Y_SEQ) {
		ERR(c, v, "'exceptions' must be a sequence of {name, fields, comps, values}");
		return false;
	}
	if (!append) {
		r->exc = NULL;
		r->nexc = 0;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ng_ynode *e = v->kids[i];
		if (e->kind != NG_Y_MAP) {
			ERR(c, e, "an exception must be a mapping {name, fields, comps, values}");
			return false;
		}
		const struct ng_ynode *name = NULL, *fields = NULL, *comps = NULL, *values = NULL;
		for (size_t k = 0; k + 1 < e->n; k += 2) {
			const struct ng_ynode *kk = e->kids[k], *vv = e->kids[k + 1];
			const char *ks = kk->kind == NG_Y_SCALAR ? kk->s : "";
			if (!strcmp(ks, "name"))
				name = vv;
			else if (!strcmp(ks, "fields"))
				fields = vv;
			else if (!strcmp(ks, "comps"))
				comps = vv;
			else if (!strcmp(ks, "values"))
				values = vv;
			else {
				const char *s = kk->kind == NG_Y_SCALAR
							? ng_suggest(ks, 4, exc_key, NULL)
							: NULL;
				WARN(c, kk, "unknown key '%s' in exception, ignored%s%s%s", ks,
				     s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
			}
		}
		if (!name || name->kind != NG_Y_SCALAR) {
			ERR(c, e, "an exception needs a 'name'");
			return false;
		}
		struct ng_exception_def *x = NULL;
		for (size_t j = 0; j < r->nexc; j++)
			if (strcmp(r->exc[j].name, name->s) == 0)
				x = &r->exc[j];
		if (x && !append) {
			WARN(c, name, "exception name '%s' is used twice in this rule", name->s);
			x = NULL;
		}
		if (x && fields) {
			ERR(c, fields, "exception '%s' already exists; an appended exception with "
				       "the same name may only add 'values'",
			    name->s);
			return false;
		}
		if (!x) {
			if (!fields) {
				ERR(c, e, "exception '%s' needs 'fields'", name->s);
				return false;
			}
			struct ng_exception_def *ne = ng_arena_grow(c->L->tmp, r->exc, r->nexc,
								    r->nexc + 1, sizeof(*ne));
			if (!ne)
				return false;
			r->exc = ne;
			x = &ne[r->nexc++];
			*x = (struct ng_exception_def){ .name = name->s, .file = c->file,
							.node = e, .fields = fields,
							.comps = comps };
		}
		if (values) {
			if (values->kind != NG_Y_SEQ) {
				ERR(c, values, "'values' must be a sequence");
				return false;
			}
			size_t n = x->nvalues + values->n;
			const struct ng_ynode **nv =
				ng_arena_grow(c->L->tmp, x->values, x->nvalues, n, sizeof(*nv));
			const char **nf = ng_arena_grow(c->L->tmp, x->value_files, x->nvalues, n,
							sizeof(*nf));
			if (!nv || !nf)
				return false;
			for (size_t j = 0; j < values->n; j++) {
				nv[x->nvalues + j] = values->kids[j];
				nf[x->nvalues + j] = c->file;
			}
			x->values = nv;
			x->value_files = nf;
			x->nvalues = n;
		}
	}
	return true;
}

static bool read_rate(struct ctx *c, const struct ng_ynode *v, const char *what, const char *nkey,
		      struct ng_rate_def *out)
{
	if (v->kind != NG_Y_MAP) {
		ERR(c, v, "'%s' must be a mapping {key: [fields], window: 60s, %s: N}", what, nkey);
		return false;
	}
	struct ng_rate_def r = { .set = true, .pos = { c->file, v->line, v->col },
				 .key_file = c->file };
	bool have_n = false;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ng_ynode *k = v->kids[i], *x = v->kids[i + 1];
		const char *ks = k->kind == NG_Y_SCALAR ? k->s : "";
		if (!strcmp(ks, "key")) {
			if (x->kind == NG_Y_MAP) {
				ERR(c, x, "'%s.key' must be a field or a list of fields", what);
				return false;
			}
			r.key = x;
		} else if (!strcmp(ks, "window")) {
			if (x->kind != NG_Y_SCALAR || ng_parse_duration(x->s, &r.window_ns)) {
				ERR(c, x, "'%s.window' must be a positive duration such as 500ms, 10s, "
					  "5m or 1h",
				    what);
				return false;
			}
		} else if (!strcmp(ks, nkey)) {
			char *end;
			errno = 0;
			unsigned long n = x->kind == NG_Y_SCALAR ? strtoul(x->s, &end, 10) : 0;
			if (x->kind != NG_Y_SCALAR || errno || *end || n == 0 ||
			    n > (strcmp(what, "threshold") ? 1000000u : 64u) || x->s[0] == '-') {
				ERR(c, x, "'%s.%s' must be an integer from 1 to %u", what, nkey,
				    strcmp(what, "threshold") ? 1000000u : 64u);
				return false;
			}
			r.n = (uint32_t)n;
			have_n = true;
		} else {
			WARN(c, k, "unknown key '%s' in %s, ignored (expected key, window, %s)", ks,
			     what, nkey);
		}
	}
	if (!r.window_ns || !have_n) {
		ERR(c, v, "'%s' needs 'window' and '%s'", what, nkey);
		return false;
	}
	*out = r;
	return true;
}

static bool read_actions(struct ctx *c, const struct ng_ynode *v, unsigned *out)
{
	if (v->kind != NG_Y_SEQ) {
		ERR(c, v, "'actions' must be a sequence, e.g. [alert, kill]");
		return false;
	}
	unsigned a = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct ng_ynode *x = v->kids[i];
		if (x->kind == NG_Y_SCALAR && !strcmp(x->s, "alert"))
			a |= NG_ACT_ALERT;
		else if (x->kind == NG_Y_SCALAR && !strcmp(x->s, "kill"))
			a |= NG_ACT_KILL;
		else if (x->kind == NG_Y_SCALAR && !strcmp(x->s, "seccomp"))
			a |= NG_ACT_SECCOMP;
		else {
			ERR(c, x, "unknown action '%s'; valid actions: alert, kill, seccomp",
			    x->kind == NG_Y_SCALAR ? x->s : "?");
			return false;
		}
	}
	if (!(a & NG_ACT_ALERT))
		WARN(c, v, "every match is alerted; 'alert' is implied in 'actions'");
	*out = a | NG_ACT_ALERT;
	return true;
}

static int do_rule(struct ctx *c, const struct ng_ynode *m)
{
	const struct ng_ynode *vals[K__COUNT] = { 0 };
	unsigned present;
	const struct ng_ynode *nm = ng_ymap_get(m, "rule");
	if (!want_scalar(c, nm, "rule"))
		return 0;
	set_item(c, "rule", nm->s);
	if (!nm->s[0]) {
		ERR(c, nm, "a rule needs a non-empty name");
		return 0;
	}
	if (!read_keys(c, m, rule_keys, "this rule", vals, &present))
		return 0;
	enum ovr mode[K__COUNT];
	bool ovr;
	if (!read_override(c, vals, present, rule_append_ok, rule_replace_ok,
			   KB(K_CONDITION) | KB(K_EXCEPTIONS) | KB(K_OUTPUT), KB(K_RULE), mode,
			   &ovr))
		return 0;

	struct ng_rule_def *r = find_rule(c->L, nm->s);
	bool only_enabled = (present & ~KB(K_RULE)) == KB(K_ENABLED);
	if (ovr || only_enabled) {
		if (!r) {
			ERR(c, nm, "cannot %s rule '%s': it is not defined earlier",
			    ovr ? "override" : "enable/disable", nm->s);
			return 0;
		}
		if (only_enabled)
			mode[K_ENABLED] = OVR_REPLACE;
	} else {
		static const unsigned required[] = { K_CONDITION, K_OUTPUT, K_PRIORITY, K_DESC };
		bool ok = true;
		for (size_t i = 0; i < 4; i++)
			if (!(present & KB(required[i]))) {
				ERR(c, nm, "a rule needs '%s'", key_names[required[i]]);
				ok = false;
			}
		if (!ok)
			return 0;
		struct ng_rule_def *nr = ng_arena_alloc(c->L->tmp, sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		nr->name = ng_arena_strdup(c->L->perm, nm->s);
		if (!nr->name)
			return -ENOMEM;
		nr->enabled = true;
		nr->version = 1;
		nr->priority = -1;
		nr->actions = NG_ACT_ALERT;
		if (r) {
			/* A plain redefinition replaces the rule in place (Falco), keeping its order. */
			for (size_t i = 0; i < c->L->nrules; i++)
				if (c->L->rules[i] == r)
					c->L->rules[i] = nr;
		} else if (push_ptr(c->L->tmp, &c->L->rules, &c->L->nrules, nr)) {
			return -ENOMEM;
		}
		if (ix_put(c->L->tmp, &c->L->rule_ix, nr->name, nr))
			return -ENOMEM;
		r = nr;
		r->pos = (struct ng_pos){ c->file, nm->line, nm->col };
		for (int k = 0; k < K__COUNT; k++)
			if (present & KB(k))
				mode[k] = OVR_REPLACE;
	}

	bool ok = true;
	for (int k = 0; k < K__COUNT && ok; k++) {
		if (mode[k] == OVR_NONE)
			continue;
		const struct ng_ynode *v = vals[k];
		bool app = mode[k] == OVR_APPEND;
		switch (k) {
		case K_ID:
			if ((ok = want_scalar(c, v, "id") != NULL)) {
				r->id = ng_arena_strdup(c->L->perm, v->s);
				r->id_pos = (struct ng_pos){ c->file, v->line, v->col };
				if (!v->s[0]) {
					ERR(c, v, "'id' must not be empty");
					ok = false;
				}
			}
			break;
		case K_VERSION: {
			char *end;
			errno = 0;
			unsigned long ver = v->kind == NG_Y_SCALAR ? strtoul(v->s, &end, 10) : 0;
			if (v->kind != NG_Y_SCALAR || errno || *end || v->s[0] == '-' ||
			    ver > UINT32_MAX || !v->s[0]) {
				ERR(c, v, "'version' must be a non-negative integer");
				ok = false;
			}
			r->version = (unsigned)ver;
			break;
		}
		case K_DESC:
			ok = read_text(c, v, "desc", &r->desc, app);
			break;
		case K_CONDITION:
			ok = read_text(c, v, "condition", &r->cond, app);
			break;
		case K_OUTPUT:
			ok = read_text(c, v, "output", &r->output, app);
			break;
		case K_PRIORITY:
			if ((ok = want_scalar(c, v, "priority") != NULL)) {
				r->priority = ng_priority_parse(v->s);
				if (r->priority < 0) {
					ERR(c, v, "unknown priority '%s'; valid: EMERGENCY, ALERT, "
						  "CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL "
						  "(or INFO), DEBUG, in any case",
					    v->s);
					ok = false;
				}
			}
			break;
		case K_TAGS:
			ok = read_tags(c, v, r, app);
			break;
		case K_ENABLED:
			if (v->kind != NG_Y_SCALAR || !parse_bool(v->s, &r->enabled)) {
				ERR(c, v, "'enabled' must be true or false");
				ok = false;
			}
			break;
		case K_EXCEPTIONS:
			ok = read_exceptions(c, v, r, app);
			break;
		case K_THROTTLE:
			ok = read_rate(c, v, "throttle", "max", &r->throttle);
			break;
		case K_THRESHOLD:
			ok = read_rate(c, v, "threshold", "count", &r->threshold);
			break;
		case K_ACTIONS:
			ok = read_actions(c, v, &r->actions);
			break;
		default:
			break;
		}
	}
	return 0;
}

static int parse_version(const char *s, unsigned v[3])
{
	char *end;
	v[0] = v[1] = v[2] = 0;
	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		unsigned long x = strtoul(s, &end, 10);
		if (errno || x > 1000000)
			return -EINVAL;
		v[i] = (unsigned)x;
		if (!*end)
			return 0;
		if (*end != '.' || i == 2)
			return -EINVAL;
		s = end + 1;
	}
	return -EINVAL;
}

static void do_required_version(struct ctx *c, const struct ng_ynode *v)
{
	unsigned want[3], have[3] = { NG_ENGINE_VERSION_MAJOR, NG_ENGINE_VERSION_MINOR,
				      NG_ENGINE_VERSION_PATCH };
	if (v->kind != NG_Y_SCALAR || parse_version(v->s, want)) {
		ERR(c, v, "required_engine_version must be a version such as 1 or 1.0.0");
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (want[i] < have[i])
			return;
		if (want[i] > have[i]) {
			ERR(c, v, "rules require engine version %u.%u.%u; this numaguard "
				  "implements %u.%u.%u; upgrade numaguard",
			    want[0], want[1], want[2], have[0], have[1], have[2]);
			return;
		}
	}
}

int ng_loader_add(struct ng_loader *L, const char *name, const char *text, size_t len)
{
	struct ctx c = { .L = L, .src = text };
	c.file = ng_arena_strdup(L->perm, name);
	if (!c.file)
		return -ENOMEM;
	if (len > NG_RULES_MAX_FILE) {
		ng_diag_add(L->diags, NG_DIAG_ERROR, c.file, 1, 1, "",
			    "rules file is %zu bytes, larger than the %u byte limit; split it", len,
			    NG_RULES_MAX_FILE);
		return 0;
	}
	struct ng_ynode *root;
	int r = ng_ytree_parse(L->tmp, c.file, text, len, L->diags, &root);
	if (r == -ENOMEM)
		return r;
	if (r || !root)
		return 0;
	if (root->kind == NG_Y_SCALAR && root->len == 0)
		return 0;
	if (root->kind != NG_Y_SEQ) {
		ng_diag_add(L->diags, NG_DIAG_ERROR, c.file, root->line, root->col, "",
			    "a rules file must be a sequence of items (- rule: …, - macro: …, "
			    "- list: …), not %s",
			    ng_ykind_name(root->kind));
		return 0;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct ng_ynode *m = root->kids[i];
		c.item[0] = '\0';
		if (m->kind != NG_Y_MAP) {
			ERR(&c, m, "each item must be a mapping (rule, macro, list), not %s",
			    ng_ykind_name(m->kind));
			continue;
		}
		if (ng_ymap_get(m, "rule"))
			r = do_rule(&c, m);
		else if (ng_ymap_get(m, "macro"))
			r = do_macro(&c, m);
		else if (ng_ymap_get(m, "list"))
			r = do_list(&c, m);
		else if (ng_ymap_get(m, "required_engine_version"))
			do_required_version(&c, ng_ymap_get(m, "required_engine_version"));
		else {
			const struct ng_ynode *k = m->n ? m->kids[0] : m;
			WARN(&c, k, "unknown item '%s', ignored (expected rule, macro, list or "
				    "required_engine_version)",
			     k->kind == NG_Y_SCALAR ? k->s : "?");
		}
		if (r)
			return r;
	}
	return 0;
}

int ng_loader_add_file(struct ng_loader *L, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		ng_diag_add(L->diags, NG_DIAG_ERROR, path, 0, 0, "", "cannot read rules file: %s",
			    strerror(e));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		ng_diag_add(L->diags, NG_DIAG_ERROR, path, 0, 0, "",
			    "not a regular file; give rule files, not directories");
		return 0;
	}
	if ((uint64_t)st.st_size > NG_RULES_MAX_FILE) {
		close(fd);
		ng_diag_add(L->diags, NG_DIAG_ERROR, path, 1, 1, "",
			    "rules file is %" PRIu64 " bytes, larger than the %u byte limit; split it",
			    (uint64_t)st.st_size, NG_RULES_MAX_FILE);
		return 0;
	}
	char *text = ng_arena_alloc(L->tmp, (size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			ng_diag_add(L->diags, NG_DIAG_ERROR, path, 0, 0, "",
				    "cannot read rules file: %s", strerror(e));
			return 0;
		}
		got += (size_t)n;
	}
	close(fd);
	return ng_loader_add(L, path, text, got);
}
