// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cond_parse.h"
#include "diag.h"
#include "embedded.h"
#include "engine.h"
#include "hash.h"
#include "loader.h"
#include "output.h"
#include "program.h"
#include "rate.h"

struct ng_rule {
	const char *name, *id, *desc;
	unsigned version;
	enum ng_priority priority;
	const char **tags;
	size_t ntags;
	bool enabled;
	unsigned actions;
	const struct ng_node *cond;
	const struct ng_prog *prog;
	struct ng_tmpl out;
	struct ng_rate *throttle, *threshold;
	const char *file;
	unsigned line;
};

/* Above this many enabled rules the per-class index is not built (see build_index). */
#define NG_INDEX_MAX_RULES 1024

struct cand {
	struct ng_rule *rule;
	const struct ng_prog *prog;
};

/* A rule's class-specialised programs, by signature (load time only). */
struct spec {
	uint64_t sig;
	const struct ng_prog *prog;
};

struct ng_engine {
	struct ng_arena arena;
	struct ng_rule *rules;
	size_t nrules;
	struct ng_rule **active; /* enabled rules, in file order */
	size_t nactive;
	struct ng_buf out; /* rendered output, reused across alerts */
	struct ng_prog_set *progs;
	struct ng_memo memo;
	/*
	 * Per event class, the enabled rules that can match it, in file order,
	 * each with its program specialised for the class.
	 */
	struct cand *cand[NG_INDEX_CLASSES];
	uint32_t ncand[NG_INDEX_CLASSES];
	const struct ng_chain *chain[NG_INDEX_CLASSES]; /* the class's programs as one */
	uint32_t *matched; /* scratch: positions in cand[c] of the rules that matched */
	struct ng_engine_stats st;
};

#define CERR(cx, file, line, col, ...)                                                             \
	do {                                                                                       \
		ng_diag_add((cx)->L->diags, NG_DIAG_ERROR, file, line, col, (cx)->item,             \
			    __VA_ARGS__);                                                          \
		(cx)->failed = true;                                                               \
	} while (0)

static struct ng_rawval rawval(const struct ng_ynode *y, const char *file)
{
	return (struct ng_rawval){ .s = y->s, .len = y->len,
				   .quoted = y->style == NG_YS_SINGLE || y->style == NG_YS_DOUBLE,
				   .file = file, .line = y->line, .col = y->col };
}

/* One comparison of an exception tuple: a value is a scalar or, for in/intersects, a sequence. */
static const struct ng_node *exc_cmp(struct ng_cctx *cx, const struct ng_ynode *fy, const char *cmp,
				     const struct ng_ynode *vy, const char *ffile, const char *vfile)
{
	const struct ng_field *f = ng_cond_field(cx, fy->s, fy->len, ffile, fy->line, fy->col);
	if (!f)
		return NULL;
	int op = ng_op_parse(cmp, strlen(cmp));
	if (op < 0 || op == NG_OP_EXISTS) {
		CERR(cx, ffile, fy->line, fy->col, "unknown comparison operator '%s' in exception",
		     cmp);
		return NULL;
	}
	struct ng_rawval one, *vals = &one;
	size_t n = 1;
	if (vy->kind == NG_Y_SEQ) {
		n = vy->n;
		vals = ng_arena_alloc(cx->L->tmp, (n + 1) * sizeof(*vals));
		if (!vals) {
			cx->failed = true;
			return NULL;
		}
		for (size_t i = 0; i < n; i++) {
			if (vy->kids[i]->kind != NG_Y_SCALAR) {
				CERR(cx, vfile, vy->kids[i]->line, vy->kids[i]->col,
				     "exception values must be scalars or lists of scalars");
				return NULL;
			}
			vals[i] = rawval(vy->kids[i], vfile);
		}
	} else if (vy->kind == NG_Y_SCALAR) {
		one = rawval(vy, vfile);
	} else {
		CERR(cx, vfile, vy->line, vy->col, "exception values must be scalars or lists");
		return NULL;
	}
	return ng_cond_cmp(cx, f, (enum ng_op)op, vals, n, vfile, vy->line, vy->col);
}

static const char *comp_at(const struct ng_exception_def *x, size_t i, bool scalar_fields)
{
	const struct ng_ynode *c = x->comps;
	if (!c)
		return scalar_fields ? "in" : "=";
	if (c->kind == NG_Y_SCALAR)
		return c->s;
	return i < c->n && c->kids[i]->kind == NG_Y_SCALAR ? c->kids[i]->s : "";
}

/* Falco exceptions: `and not ((f1 c1 v1 and f2 c2 v2) or …)` over every tuple. */
static const struct ng_node *compile_exceptions(struct ng_cctx *cx, const struct ng_rule_def *r)
{
	const struct ng_node **alts = NULL;
	size_t nalts = 0;
	for (size_t e = 0; e < r->nexc; e++) {
		const struct ng_exception_def *x = &r->exc[e];
		const struct ng_ynode *fl = x->fields;
		bool scalar = fl->kind == NG_Y_SCALAR;
		size_t nf = scalar ? 1 : fl->n;
		if (fl->kind == NG_Y_MAP || nf == 0) {
			CERR(cx, x->file, fl->line, fl->col,
			     "exception '%s': 'fields' must be a field or a list of fields", x->name);
			return NULL;
		}
		for (size_t i = 0; !scalar && i < nf; i++)
			if (fl->kids[i]->kind != NG_Y_SCALAR) {
				CERR(cx, x->file, fl->line, fl->col,
				     "exception '%s': fields must be field names", x->name);
				return NULL;
			}
		if (x->comps && x->comps->kind == NG_Y_SEQ && x->comps->n != nf) {
			CERR(cx, x->file, x->comps->line, x->comps->col,
			     "exception '%s': %zu comps for %zu fields", x->name, x->comps->n, nf);
			return NULL;
		}
		if (!x->nvalues)
			continue;
		const struct ng_node **na =
			ng_arena_grow(cx->L->tmp, alts, nalts, nalts + x->nvalues, sizeof(*na));
		if (!na) {
			cx->failed = true;
			return NULL;
		}
		alts = na;
		if (scalar) {
			/* One field: the values together form one `field comp (values…)`. */
			struct ng_ynode seq = { .kind = NG_Y_SEQ, .line = x->values[0]->line,
						.col = x->values[0]->col,
						.kids = (struct ng_ynode **)x->values,
						.n = x->nvalues };
			const struct ng_node *c = exc_cmp(cx, fl, comp_at(x, 0, true), &seq,
							  x->file, x->value_files[0]);
			if (!c)
				return NULL;
			alts[nalts++] = c;
			continue;
		}
		for (size_t v = 0; v < x->nvalues; v++) {
			const struct ng_ynode *tuple = x->values[v];
			if (tuple->kind != NG_Y_SEQ || tuple->n != nf) {
				CERR(cx, x->value_files[v], tuple->line, tuple->col,
				     "exception '%s': each value must be a list of %zu items, one "
				     "per field",
				     x->name, nf);
				return NULL;
			}
			const struct ng_node **parts =
				ng_arena_alloc(cx->L->tmp, nf * sizeof(*parts));
			if (!parts) {
				cx->failed = true;
				return NULL;
			}
			for (size_t i = 0; i < nf; i++) {
				parts[i] = exc_cmp(cx, fl->kids[i], comp_at(x, i, false),
						   tuple->kids[i], x->file, x->value_files[v]);
				if (!parts[i])
					return NULL;
			}
			alts[nalts++] = ng_cond_chain(cx, NG_NODE_AND, parts, nf);
		}
	}
	if (!nalts)
		return NULL;
	const struct ng_node *any = ng_cond_chain(cx, NG_NODE_OR, alts, nalts);
	return any ? ng_cond_bin(cx, NG_NODE_NOT, any, NULL) : NULL;
}

static struct ng_rate *compile_rate(struct ng_cctx *cx, struct ng_engine *eng,
				    const struct ng_rate_def *d, bool threshold)
{
	const struct ng_ynode *k = d->key;
	size_t nk = !k ? 0 : k->kind == NG_Y_SCALAR ? 1 : k->n;
	enum ng_field_id *ids = ng_arena_alloc(&eng->arena, (nk + 1) * sizeof(*ids));
	if (!ids) {
		cx->failed = true;
		return NULL;
	}
	for (size_t i = 0; i < nk; i++) {
		const struct ng_ynode *y = k->kind == NG_Y_SCALAR ? k : k->kids[i];
		if (y->kind != NG_Y_SCALAR) {
			CERR(cx, d->key_file, y->line, y->col, "key entries must be field names");
			return NULL;
		}
		const struct ng_field *f =
			ng_cond_field(cx, y->s, y->len, d->key_file, y->line, y->col);
		if (!f)
			return NULL;
		ids[i] = (enum ng_field_id)(f - ng_fields);
	}
	struct ng_rate *r = ng_rate_new(&eng->arena, ids, nk, d->window_ns, d->n, threshold,
					threshold ? NG_THRESHOLD_KEYS : NG_THROTTLE_KEYS);
	if (!r)
		cx->failed = true;
	return r;
}

static char *join_texts(struct ng_arena *a, const struct ng_texts *t)
{
	struct ng_buf b = { 0 };
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			ng_buf_putc(&b, ' ');
		ng_buf_put(&b, t->v[i].y->s, t->v[i].y->len);
	}
	char *s = ng_buf_ok(&b) ? ng_arena_strdup(a, ng_buf_cstr(&b)) : NULL;
	ng_buf_free(&b);
	return s;
}

static int compile_rule(struct ng_engine *eng, struct ng_loader *L, const struct ng_rule_def *d,
			struct ng_rule *r)
{
	char item[160];
	snprintf(item, sizeof(item), "rule '%.100s'", d->name);
	struct ng_cctx cx = { .L = L, .item = item };
	*r = (struct ng_rule){ .name = d->name, .id = d->id ? d->id : "", .version = d->version,
			       .priority = d->priority < 0 ? NG_PRIO_WARNING
							   : (enum ng_priority)d->priority,
			       .tags = d->tags, .ntags = d->ntags, .enabled = d->enabled,
			       .actions = d->actions, .file = d->pos.file, .line = d->pos.line };
	r->desc = join_texts(&eng->arena, &d->desc);
	if (!r->desc)
		return -ENOMEM;

	const struct ng_node *cond = ng_cond_parse(&cx, &d->cond);
	bool ok = cond != NULL;
	cx.failed = false;
	const struct ng_node *exc = compile_exceptions(&cx, d);
	ok = ok && !cx.failed;
	if (ok && exc)
		cond = ng_cond_bin(&cx, NG_NODE_AND, cond, exc);
	cx.failed = false;
	int e = ng_tmpl_compile(&cx, &d->output, &r->out);
	if (e == -ENOMEM)
		return e;
	ok = ok && e == 0;
	cx.failed = false;
	if (d->throttle.set)
		r->throttle = compile_rate(&cx, eng, &d->throttle, false);
	if (d->threshold.set)
		r->threshold = compile_rate(&cx, eng, &d->threshold, true);
	ok = ok && !cx.failed;
	if (!ok || !cond)
		return -EINVAL;
	r->cond = cond;
	r->prog = ng_prog_compile(eng->progs, cond);
	return r->prog ? 0 : -ENOMEM;
}

static const struct ng_chain *build_chain(struct ng_engine *eng, struct ng_arena *tmp, unsigned c)
{
	uint32_t n = eng->ncand[c];
	const struct ng_prog **progs = ng_arena_alloc(tmp, (n + 1) * sizeof(*progs));
	if (!progs)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		progs[i] = eng->cand[c][i].prog;
	return ng_chain_build(eng->progs, progs, n);
}

/*
 * For every event class, the rules that can match and their specialised
 * programs. A rule has one program per distinct signature (the decided
 * comparisons' results), typically a handful across the 1215 classes.
 */
static int build_index(struct ng_engine *eng, struct ng_arena *tmp)
{
	struct cand *buf = ng_arena_alloc(tmp, (eng->nactive + 1) * sizeof(*buf));
	eng->matched = ng_arena_alloc(&eng->arena, (eng->nactive + 1) * sizeof(*eng->matched));
	if (!buf || !eng->matched)
		return -ENOMEM;
	/*
	 * Load time and memory grow with classes x rules: past NG_INDEX_MAX_RULES
	 * every class shares one list of the generic programs (correct, slower).
	 */
	if (eng->nactive > NG_INDEX_MAX_RULES) {
		for (size_t i = 0; i < eng->nactive; i++)
			buf[i] = (struct cand){ eng->active[i], eng->active[i]->prog };
		struct cand *all = ng_arena_alloc(&eng->arena, (eng->nactive + 1) * sizeof(*all));
		if (!all)
			return -ENOMEM;
		memcpy(all, buf, eng->nactive * sizeof(*buf));
		for (unsigned c = 0; c < NG_INDEX_CLASSES; c++) {
			eng->cand[c] = all;
			eng->ncand[c] = (uint32_t)eng->nactive;
			eng->chain[c] = c ? eng->chain[0] : build_chain(eng, tmp, 0);
			if (!eng->chain[c])
				return -ENOMEM;
		}
		return 0;
	}
	struct spec **specs = ng_arena_alloc(tmp, (eng->nactive + 1) * sizeof(*specs));
	size_t *nspecs = ng_arena_alloc(tmp, (eng->nactive + 1) * sizeof(*nspecs));
	uint64_t *lhash = ng_arena_alloc(tmp, NG_INDEX_CLASSES * sizeof(*lhash));
	if (!specs || !nspecs || !lhash)
		return -ENOMEM;
	for (unsigned c = 0; c < NG_INDEX_CLASSES; c++) {
		uint32_t n = 0;
		for (size_t i = 0; i < eng->nactive; i++) {
			struct ng_rule *r = eng->active[i];
			uint64_t sig;
			const struct ng_prog *p = NULL;
			if (!ng_index_signature(eng->progs, r->cond, c, &sig)) {
				buf[n++] = (struct cand){ r, r->prog };
				continue;
			}
			for (size_t k = 0; k < nspecs[i] && !p; k++)
				if (specs[i][k].sig == sig)
					p = specs[i][k].prog;
			if (!p) {
				p = ng_prog_compile_class(eng->progs, r->cond, c);
				struct spec *ns = ng_arena_grow(tmp, specs[i], nspecs[i],
								nspecs[i] + 1, sizeof(*ns));
				if (!p || !ns)
					return -ENOMEM;
				ns[nspecs[i]++] = (struct spec){ sig, p };
				specs[i] = ns;
			}
			if (!ng_prog_never(p))
				buf[n++] = (struct cand){ r, p };
		}
		/* Many classes end up with the same list: share it. */
		lhash[c] = ng_hash_bytes(n, buf, n * sizeof(*buf));
		for (unsigned k = 0; k < c && !eng->cand[c]; k++)
			if (lhash[k] == lhash[c] && eng->ncand[k] == n &&
			    memcmp(eng->cand[k], buf, n * sizeof(*buf)) == 0) {
				eng->cand[c] = eng->cand[k];
				eng->chain[c] = eng->chain[k];
			}
		eng->ncand[c] = n;
		if (!eng->cand[c]) {
			eng->cand[c] = ng_arena_alloc(&eng->arena, (n + 1) * sizeof(*eng->cand[c]));
			if (!eng->cand[c])
				return -ENOMEM;
			memcpy(eng->cand[c], buf, n * sizeof(*buf));
			if (!(eng->chain[c] = build_chain(eng, tmp, c)))
				return -ENOMEM;
		}
	}
	return 0;
}

static int load(struct ng_engine *eng, const struct ng_engine_opts *o, struct ng_diags *dg)
{
	struct ng_arena tmp = { 0 };
	struct ng_loader L = { .perm = &eng->arena, .tmp = &tmp, .diags = dg };
	int r = 0;

	if (!o->no_defaults)
		for (const struct ng_embedded_rules *er = ng_default_rules; er->name && !r; er++)
			r = ng_loader_add(&L, er->name, er->text, er->len);
	for (size_t i = 0; i < o->ntexts && !r; i++)
		r = ng_loader_add(&L, o->text_names ? o->text_names[i] : "<text>", o->texts[i],
				  strlen(o->texts[i]));
	for (size_t i = 0; i < o->npaths && !r; i++)
		r = ng_loader_add_file(&L, o->paths[i]);
	if (r)
		goto out;

	/* Macros are checked on their own too, so a mistake in an unused one is reported. */
	for (size_t i = 0; i < L.nmacros; i++) {
		char item[160];
		snprintf(item, sizeof(item), "macro '%.100s'", L.macros[i]->name);
		struct ng_cctx cx = { .L = &L, .item = item };
		L.macros[i]->visiting = true;
		(void)ng_cond_parse(&cx, &L.macros[i]->cond);
		L.macros[i]->visiting = false;
	}

	eng->progs = ng_prog_set_new(&eng->arena);
	eng->rules = ng_arena_alloc(&eng->arena, (L.nrules + 1) * sizeof(*eng->rules));
	eng->active = ng_arena_alloc(&eng->arena, (L.nrules + 1) * sizeof(*eng->active));
	if (!eng->rules || !eng->active || !eng->progs) {
		r = -ENOMEM;
		goto out;
	}
	/* Rule ids seen so far, for duplicate detection in linear time. */
	size_t idcap = 64;
	while (idcap < L.nrules * 2)
		idcap *= 2;
	const struct ng_rule_def **ids = ng_arena_alloc(&tmp, idcap * sizeof(*ids));
	if (!ids) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < L.nrules; i++) {
		const struct ng_rule_def *d = L.rules[i];
		if (d->id) {
			const struct ng_rule_def *p = NULL;
			for (size_t h = ng_hash_mix(ng_hash_bytes(0, d->id, strlen(d->id))) &
					 (idcap - 1);
			     ids[h]; h = (h + 1) & (idcap - 1))
				if (strcmp(ids[h]->id, d->id) == 0) {
					p = ids[h];
					break;
				}
			if (p) {
				char item[160];
				snprintf(item, sizeof(item), "rule '%.100s'", d->name);
				ng_diag_add(dg, NG_DIAG_ERROR, d->id_pos.file, d->id_pos.line,
					    d->id_pos.col, item,
					    "duplicate rule id '%s', already used by rule '%s' at %s:%u",
					    d->id, p->name, p->id_pos.file, p->id_pos.line);
			} else {
				size_t h = ng_hash_mix(ng_hash_bytes(0, d->id, strlen(d->id))) &
					   (idcap - 1);
				while (ids[h])
					h = (h + 1) & (idcap - 1);
				ids[h] = d;
			}
		}
		struct ng_rule *rule = &eng->rules[eng->nrules];
		int e = compile_rule(eng, &L, d, rule);
		if (e == -ENOMEM) {
			r = e;
			goto out;
		}
		if (e == 0) {
			eng->nrules++;
			if (rule->enabled)
				eng->active[eng->nactive++] = rule;
		}
	}
	if (ng_diags_failed(dg))
		r = -EINVAL;
	else
		r = build_index(eng, &tmp);
	/* After the index: every program's slots exist now. */
	r = r ? r : ng_prog_memo_init(&eng->arena, eng->progs, &eng->memo);
out:
	ng_arena_free(&tmp);
	return r;
}

int ng_engine_load(struct ng_engine **out, const struct ng_engine_opts *opts)
{
	struct ng_diags local = { 0 };
	struct ng_diags *dg = opts->diags ? opts->diags : &local;
	struct ng_engine *eng = calloc(1, sizeof(*eng));
	*out = NULL;
	if (!eng)
		return -ENOMEM;
	int r = load(eng, opts, dg);
	if (!opts->diags) {
		ng_diags_print(dg, opts->diag ? opts->diag : stderr);
		ng_diags_free(&local);
	}
	if (r) {
		ng_engine_free(eng);
		return r;
	}
	/* Reserve the output buffer now so the first alerts do not allocate either. */
	ng_buf_reserve(&eng->out, 4096);
	*out = eng;
	return 0;
}

void ng_engine_free(struct ng_engine *eng)
{
	if (!eng)
		return;
	ng_buf_free(&eng->out);
	ng_arena_free(&eng->arena);
	free(eng);
}

unsigned ng_engine_eval(struct ng_engine *eng, const struct ng_event *evt, ng_alert_cb cb,
			void *ctx)
{
	unsigned n = 0;
	eng->st.events++;
	ng_memo_next(&eng->memo);
	unsigned c = ng_index_class(evt);
	const struct cand *cand = eng->cand[c];
	/* First every condition, then the alerts of the rules that matched, in file order. */
	uint32_t nm = ng_chain_eval(eng->chain[c], evt, &eng->memo, eng->matched);
	for (uint32_t i = 0; i < nm; i++) {
		struct ng_rule *r = cand[eng->matched[i]].rule;
		if (r->threshold && !ng_rate_threshold(r->threshold, evt)) {
			eng->st.threshold_pending++;
			continue;
		}
		uint64_t suppressed = 0;
		if (r->throttle && !ng_rate_throttle(r->throttle, evt, &suppressed)) {
			eng->st.suppressed++;
			continue;
		}
		ng_buf_reset(&eng->out);
		ng_tmpl_render(&r->out, evt, &eng->out);
		struct ng_alert a = {
			.time_ns = ng_event_has(evt, NG_F_EVT_TIME) ? evt->time_ns : 0,
			.source = "numaguard",
			.rule = r->name,
			.rule_id = r->id,
			.rule_version = r->version,
			.priority = r->priority,
			.tags = r->tags,
			.ntags = r->ntags,
			.output = ng_buf_cstr(&eng->out),
			.evt = evt,
			.fields = r->out.fields,
			.nfields = r->out.nfields,
			.suppressed = suppressed,
			.kill_requested = (r->actions & NG_ACT_KILL) != 0,
		};
		eng->st.alerts++;
		n++;
		if (cb)
			cb(&a, ctx);
	}
	return n;
}

void ng_engine_get_stats(const struct ng_engine *eng, struct ng_engine_stats *st)
{
	*st = eng->st;
	st->key_evictions = 0;
	st->evicted_suppressed = 0;
	for (size_t i = 0; i < eng->nrules; i++) {
		struct ng_rate_stats rs;
		const struct ng_rule *r = &eng->rules[i];
		for (int k = 0; k < 2; k++) {
			const struct ng_rate *rt = k ? r->threshold : r->throttle;
			if (!rt)
				continue;
			ng_rate_get_stats(rt, &rs);
			st->key_evictions += rs.evictions;
			st->evicted_suppressed += rs.evicted_suppressed;
		}
	}
}

bool ng_engine_wants_kill(const struct ng_engine *eng)
{
	for (size_t i = 0; i < eng->nactive; i++)
		if (eng->active[i]->actions & NG_ACT_KILL)
			return true;
	return false;
}

const struct ng_node *ng_engine_rule_condition(const struct ng_engine *eng, const char *id,
					       const char **name, bool *kill_action)
{
	const struct ng_rule *hit = NULL;
	for (size_t i = 0; i < eng->nrules && !hit; i++)
		if (strcmp(eng->rules[i].id, id) == 0)
			hit = &eng->rules[i];
	for (size_t i = 0; i < eng->nrules && !hit; i++)
		if (strcmp(eng->rules[i].name, id) == 0)
			hit = &eng->rules[i];
	if (!hit)
		return NULL;
	if (name)
		*name = hit->name;
	if (kill_action)
		*kill_action = (hit->actions & NG_ACT_KILL) != 0;
	return hit->cond;
}

size_t ng_engine_rule_count(const struct ng_engine *eng)
{
	return eng->nrules;
}

void ng_engine_rule_info(const struct ng_engine *eng, size_t i, struct ng_rule_info *out)
{
	const struct ng_rule *r = &eng->rules[i];
	*out = (struct ng_rule_info){
		.name = r->name,
		.id = r->id,
		.version = r->version,
		.priority = r->priority,
		.enabled = r->enabled,
		.kill = (r->actions & NG_ACT_KILL) != 0,
		.seccomp = (r->actions & NG_ACT_SECCOMP) != 0,
		.desc = r->desc,
		.tags = r->tags,
		.ntags = r->ntags,
		.file = r->file,
		.line = r->line,
	};
}
