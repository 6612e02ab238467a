// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cond_parse.h"
#include "text.h"

#define ERRAT(cx, file, line, col, ...)                                                            \
	do {                                                                                       \
		ng_diag_add((cx)->L->diags, NG_DIAG_ERROR, file, line, col, (cx)->item,             \
			    __VA_ARGS__);                                                          \
		(cx)->failed = true;                                                               \
	} while (0)

/* Values in messages come from the file: keep them short. */
#define SHOW(s, len) (int)((len) > 60 ? 60 : (len)), (s)

static const struct {
	const char *name;
	enum ng_op op;
} op_names[] = {
	{ "=", NG_OP_EQ },
	{ "==", NG_OP_EQ },
	{ "!=", NG_OP_NE },
	{ "<", NG_OP_LT },
	{ "<=", NG_OP_LE },
	{ ">", NG_OP_GT },
	{ ">=", NG_OP_GE },
	{ "in", NG_OP_IN },
	{ "intersects", NG_OP_INTERSECTS },
	{ "contains", NG_OP_CONTAINS },
	{ "icontains", NG_OP_ICONTAINS },
	{ "startswith", NG_OP_STARTSWITH },
	{ "endswith", NG_OP_ENDSWITH },
	{ "glob", NG_OP_GLOB },
	{ "exists", NG_OP_EXISTS },
};

int ng_op_parse(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strlen(op_names[i].name) == len && memcmp(op_names[i].name, s, len) == 0)
			return (int)op_names[i].op;
	return -1;
}

const char *ng_op_name(enum ng_op op)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op_names[i].op == op && strcmp(op_names[i].name, "==") != 0)
			return op_names[i].name;
	return "?";
}

/* ---- typing ---- */

enum tclass {
	TC_INT,  /* I64, U32, U64, TIME */
	TC_MODE, /* ordered enum with names */
	TC_ENUM, /* unordered enum with names */
	TC_BOOL,
	TC_STR,
	TC_SET, /* FLAGS, NODES */
};

static enum tclass tclass_of(const struct ng_field *f)
{
	switch (f->type) {
	case NG_FT_MODE:
		return TC_MODE;
	case NG_FT_ENUM:
		return TC_ENUM;
	case NG_FT_BOOL:
		return TC_BOOL;
	case NG_FT_STR:
		return TC_STR;
	case NG_FT_FLAGS:
	case NG_FT_NODES:
		return TC_SET;
	default:
		return TC_INT;
	}
}

static const char *type_name(const struct ng_field *f)
{
	switch (f->type) {
	case NG_FT_TIME:
		return "a time";
	case NG_FT_MODE:
		return "a mode";
	case NG_FT_ENUM:
		return "an enumeration";
	case NG_FT_BOOL:
		return "a boolean";
	case NG_FT_STR:
		return "a string";
	case NG_FT_FLAGS:
		return "a list of names";
	case NG_FT_NODES:
		return "a list of node ids";
	default:
		return "an integer";
	}
}

#define OPB(o) (1u << (o))
static unsigned ops_valid(enum tclass tc)
{
	const unsigned ord = OPB(NG_OP_LT) | OPB(NG_OP_LE) | OPB(NG_OP_GT) | OPB(NG_OP_GE);
	const unsigned eq = OPB(NG_OP_EQ) | OPB(NG_OP_NE) | OPB(NG_OP_EXISTS);
	switch (tc) {
	case TC_INT:
	case TC_MODE:
		return eq | ord | OPB(NG_OP_IN);
	case TC_ENUM:
		return eq | OPB(NG_OP_IN);
	case TC_BOOL:
		return eq;
	case TC_STR:
		return eq | OPB(NG_OP_IN) | OPB(NG_OP_CONTAINS) | OPB(NG_OP_ICONTAINS) |
		       OPB(NG_OP_STARTSWITH) | OPB(NG_OP_ENDSWITH) | OPB(NG_OP_GLOB);
	case TC_SET:
		return OPB(NG_OP_CONTAINS) | OPB(NG_OP_INTERSECTS) | OPB(NG_OP_IN) |
		       OPB(NG_OP_EXISTS);
	}
	return 0;
}

static void valid_ops_text(struct ng_buf *b, enum tclass tc)
{
	unsigned v = ops_valid(tc);
	bool first = true;
	for (int o = NG_OP_EQ; o <= NG_OP_EXISTS; o++) {
		if (!(v & OPB(o)))
			continue;
		ng_buf_printf(b, "%s%s", first ? "" : ", ", ng_op_name((enum ng_op)o));
		first = false;
	}
}

static void syms_text(struct ng_buf *b, const struct ng_symtab *t)
{
	bool first = true;
	for (size_t i = 0; i < t->n; i++) {
		if (!t->names[i] || !t->names[i][0])
			continue;
		ng_buf_printf(b, "%s%s", first ? "" : ", ", t->names[i]);
		first = false;
	}
}

static bool parse_i64(const char *s, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == ' ')
		return false;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return false;
	*v = x;
	return true;
}

/* Type one value against a field; false after a diagnostic. */
static bool type_value(struct ng_cctx *cx, const struct ng_field *f, const struct ng_rawval *rv,
		       struct ng_value *out)
{
	char *s = ng_arena_strndup(cx->L->perm, rv->s, rv->len);
	if (!s) {
		cx->failed = true;
		return false;
	}
	*out = (struct ng_value){ 0 };
	switch (f->type) {
	case NG_FT_I64: {
		if (parse_i64(s, &out->num))
			return true;
		break;
	}
	case NG_FT_U32:
	case NG_FT_U64: {
		uint64_t u;
		if (parse_u64(s, &u) && (f->type == NG_FT_U64 || u <= UINT32_MAX) &&
		    u <= INT64_MAX) {
			out->num = (int64_t)u;
			return true;
		}
		break;
	}
	case NG_FT_TIME: {
		uint64_t u;
		if ((parse_u64(s, &u) && u <= INT64_MAX) || ng_rfc3339_parse(s, &u) == 0) {
			out->num = (int64_t)u;
			return true;
		}
		ERRAT(cx, rv->file, rv->line, rv->col,
		      "type mismatch: %s is a time; '%.*s' is neither ns since the epoch nor an "
		      "RFC 3339 time like 2026-01-02T03:04:05Z",
		      f->name, SHOW(rv->s, rv->len));
		return false;
	}
	case NG_FT_BOOL:
		if (!strcasecmp(s, "true") || !strcmp(s, "1")) {
			out->num = 1;
			return true;
		}
		if (!strcasecmp(s, "false") || !strcmp(s, "0")) {
			out->num = 0;
			return true;
		}
		break;
	case NG_FT_STR:
		out->is_str = true;
		out->str = s;
		out->num = (int64_t)rv->len;
		if (rv->len >= f->size)
			ng_diag_add(cx->L->diags, NG_DIAG_WARNING, rv->file, rv->line, rv->col,
				    cx->item,
				    "'%.*s' is %zu bytes but %s holds at most %zu; it never matches "
				    "in full",
				    SHOW(rv->s, rv->len), rv->len, f->name, f->size - 1);
		return true;
	case NG_FT_MODE:
	case NG_FT_ENUM:
	case NG_FT_FLAGS: {
		int v = ng_sym_lookup(f->syms, s);
		if (v >= 0) {
			out->num = v;
			return true;
		}
		int64_t n;
		int64_t max = f->type == NG_FT_FLAGS ? 63 : f->type == NG_FT_ENUM ? UINT32_MAX : INT32_MAX;
		int64_t min = f->type == NG_FT_MODE ? INT32_MIN : 0;
		if (parse_i64(s, &n) && n >= min && n <= max) {
			out->num = n;
			return true;
		}
		struct ng_buf b = { 0 };
		syms_text(&b, f->syms);
		ERRAT(cx, rv->file, rv->line, rv->col,
		      "unknown value '%.*s' for %s; valid values: %s%s", SHOW(rv->s, rv->len),
		      f->name, ng_buf_cstr(&b),
		      f->type == NG_FT_FLAGS ? " (or a bit number 0..63)" : " (or a number)");
		ng_buf_free(&b);
		return false;
	}
	case NG_FT_NODES: {
		int64_t n;
		if (parse_i64(s, &n) && n >= 0 && n < NG_MAX_NODES) {
			out->num = n;
			return true;
		}
		ERRAT(cx, rv->file, rv->line, rv->col,
		      "type mismatch: %s holds node ids 0..%d; '%.*s' is not one", f->name,
		      NG_MAX_NODES - 1, SHOW(rv->s, rv->len));
		return false;
	}
	}
	ERRAT(cx, rv->file, rv->line, rv->col, "type mismatch: %s is %s; '%.*s' is not %s", f->name,
	      type_name(f), SHOW(rv->s, rv->len),
	      f->type == NG_FT_BOOL ? "true or false" : "an integer in its range");
	return false;
}

/* ---- nodes ---- */

static struct ng_node *new_node(struct ng_cctx *cx, enum ng_node_kind k, const char *file,
				unsigned line, unsigned col)
{
	struct ng_node *n = ng_arena_alloc(cx->L->perm, sizeof(*n));
	if (!n) {
		cx->failed = true;
		return NULL;
	}
	n->kind = k;
	n->file = file;
	n->line = line;
	n->col = col;
	return n;
}

const struct ng_node *ng_cond_bin(struct ng_cctx *cx, enum ng_node_kind kind,
				  const struct ng_node *l, const struct ng_node *r)
{
	if (!l)
		return NULL;
	struct ng_node *n = new_node(cx, kind, l->file, l->line, l->col);
	if (n) {
		n->left = l;
		n->right = r;
	}
	return n;
}

const struct ng_node *ng_cond_chain(struct ng_cctx *cx, enum ng_node_kind kind,
				    const struct ng_node **v, size_t n)
{
	if (n == 0)
		return NULL;
	if (n == 1)
		return v[0];
	const struct ng_node *l = ng_cond_chain(cx, kind, v, n / 2);
	const struct ng_node *r = ng_cond_chain(cx, kind, v + n / 2, n - n / 2);
	return l && r ? ng_cond_bin(cx, kind, l, r) : NULL;
}

static const char *field_name_at(size_t i, void *ctx)
{
	return ng_fields[i].name;
}

const struct ng_field *ng_cond_field(struct ng_cctx *cx, const char *name, size_t len,
				     const char *file, unsigned line, unsigned col)
{
	char buf[128];
	if (len < sizeof(buf)) {
		memcpy(buf, name, len);
		buf[len] = '\0';
		const struct ng_field *f = ng_field_by_name(buf);
		if (f)
			return f;
		const char *s = ng_suggest(buf, NG_F__COUNT, field_name_at, NULL);
		if (s) {
			ERRAT(cx, file, line, col, "unknown field '%s' (did you mean '%s'?)", buf, s);
			return NULL;
		}
	}
	ERRAT(cx, file, line, col, "unknown field '%.*s'; see 'numaguard rules list --fields' or "
				   "docs/rules.md for the field list",
	      SHOW(name, len));
	return NULL;
}

/* Expand one raw value: a list name becomes its items (recursively), anything else itself. */
static bool expand_value(struct ng_cctx *cx, const struct ng_rawval *rv, struct ng_rawval **out,
			 size_t *n, size_t *cap, int depth)
{
	struct ng_list_def *l = NULL;
	if (!rv->quoted && rv->len < 256) {
		char name[256];
		memcpy(name, rv->s, rv->len);
		name[rv->len] = '\0';
		l = ng_loader_list(cx->L, name);
	}
	if (l) {
		if (l->visiting || depth > NG_COND_MAX_DEPTH) {
			ERRAT(cx, rv->file, rv->line, rv->col, "list '%s' refers to itself",
			      l->name);
			return false;
		}
		l->used = true;
		l->visiting = true;
		bool ok = true;
		for (size_t i = 0; i < l->n && ok; i++) {
			const struct ng_ynode *y = l->items[i];
			struct ng_rawval iv = { .s = y->s, .len = y->len,
						.quoted = y->style == NG_YS_SINGLE ||
							  y->style == NG_YS_DOUBLE,
						.file = l->item_files[i], .line = y->line,
						.col = y->col };
			ok = expand_value(cx, &iv, out, n, cap, depth + 1);
		}
		l->visiting = false;
		return ok;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct ng_rawval *nv = ng_arena_grow(cx->L->tmp, *out, *n, nc, sizeof(*nv));
		if (!nv) {
			cx->failed = true;
			return false;
		}
		*out = nv;
		*cap = nc;
	}
	(*out)[(*n)++] = *rv;
	return true;
}

static const char *list_name_at(size_t i, void *ctx)
{
	const struct ng_loader *L = ctx;
	return L->lists[i]->name;
}

/*
 * A value in `in (…)` that is not a list but is one typo away from a list's
 * name is almost certainly a misspelt list: say so, since a literal value
 * would silently match nothing.
 */
static void warn_near_list(struct ng_cctx *cx, const struct ng_rawval *rv)
{
	char name[256];
	if (rv->quoted || rv->len >= sizeof(name))
		return;
	memcpy(name, rv->s, rv->len);
	name[rv->len] = '\0';
	if (ng_loader_list(cx->L, name))
		return;
	const char *s = ng_suggest(name, cx->L->nlists, list_name_at, cx->L);
	if (s)
		ng_diag_add(cx->L->diags, NG_DIAG_WARNING, rv->file, rv->line, rv->col, cx->item,
			    "'%s' is not a list; taken as a value (did you mean list '%s'?)", name,
			    s);
}

const struct ng_node *ng_cond_cmp(struct ng_cctx *cx, const struct ng_field *f, enum ng_op op,
				  const struct ng_rawval *vals, size_t nvals, const char *file,
				  unsigned line, unsigned col)
{
	enum tclass tc = tclass_of(f);
	if (!(ops_valid(tc) & OPB(op))) {
		struct ng_buf b = { 0 };
		valid_ops_text(&b, tc);
		ERRAT(cx, file, line, col,
		      "operator '%s' is not valid for %s, which is %s; valid operators: %s",
		      ng_op_name(op), f->name, type_name(f), ng_buf_cstr(&b));
		ng_buf_free(&b);
		return NULL;
	}
	struct ng_rawval *ex = NULL;
	size_t n = 0, cap = 0;
	bool many = op == NG_OP_IN || op == NG_OP_INTERSECTS;
	for (size_t i = 0; i < nvals; i++) {
		if (many)
			warn_near_list(cx, &vals[i]);
		if (!expand_value(cx, &vals[i], &ex, &n, &cap, 0))
			return NULL;
	}
	if (op == NG_OP_EXISTS ? n != 0 : (!many && n != 1)) {
		ERRAT(cx, file, line, col, "'%s %s' takes %s", f->name, ng_op_name(op),
		      op == NG_OP_EXISTS ? "no value" : "exactly one value (a list name expands "
							 "to several; use 'in' or 'intersects')");
		return NULL;
	}
	struct ng_value *v = n ? ng_arena_alloc(cx->L->perm, n * sizeof(*v)) : NULL;
	if (n && !v) {
		cx->failed = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!type_value(cx, f, &ex[i], &v[i]))
			return NULL;
	if (op == NG_OP_GLOB && strlen(v[0].str) > 4096) {
		ERRAT(cx, file, line, col, "glob pattern longer than 4096 bytes");
		return NULL;
	}
	struct ng_node *node = new_node(cx, NG_NODE_CMP, file, line, col);
	if (!node)
		return NULL;
	node->field = (enum ng_field_id)(f - ng_fields);
	node->op = op;
	node->values = v;
	node->nvalues = n;
	return node;
}

/* ---- lexer ---- */

enum tok_kind {
	T_EOF,
	T_WORD,
	T_STR,
	T_LP,
	T_RP,
	T_COMMA,
	T_OP, /* = == != < <= > >= */
	T_BAD,
};

struct tok {
	enum tok_kind k;
	const char *s; /* WORD, OP: into the text; STR: unescaped copy */
	size_t len;
	const char *file;
	unsigned line, col;
};

struct lexer {
	const struct ng_texts *t;
	size_t frag, off;
	struct ng_textcur cur;
	bool cur_init;
};

static bool word_char(char c)
{
	return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' ||
		 c == ',' || c == '=' || c == '<' || c == '>' || c == '!' || c == '"' || c == '\'' ||
		 c == '\0');
}

static void tok_pos(struct lexer *lx, size_t off, struct tok *t)
{
	const struct ng_text *x = &lx->t->v[lx->frag];
	if (!lx->cur_init) {
		ng_textcur_init(&lx->cur, x);
		lx->cur_init = true;
	}
	t->file = x->file;
	ng_textcur_pos(&lx->cur, off, &t->line, &t->col);
}

static void lex(struct ng_cctx *cx, struct lexer *lx, struct tok *t)
{
	for (;;) {
		if (lx->frag >= lx->t->n) {
			*t = (struct tok){ .k = T_EOF };
			if (lx->t->n) {
				/* "end of condition" points just past its last character. */
				const struct ng_text *x = &lx->t->v[lx->t->n - 1];
				struct ng_textcur c;
				size_t end = x->y->len;
				while (end && strchr(" \t\r\n", x->y->s[end - 1]))
					end--;
				ng_textcur_init(&c, x);
				if (end)
					ng_textcur_pos(&c, end - 1, &t->line, &t->col);
				else
					ng_textcur_pos(&c, 0, &t->line, &t->col);
				t->col += end ? 1 : 0;
				t->file = x->file;
			}
			return;
		}
		const struct ng_ynode *y = lx->t->v[lx->frag].y;
		while (lx->off < y->len && strchr(" \t\r\n", y->s[lx->off]))
			lx->off++;
		if (lx->off < y->len)
			break;
		lx->frag++;
		lx->off = 0;
		lx->cur_init = false;
	}
	const struct ng_ynode *y = lx->t->v[lx->frag].y;
	const char *s = y->s;
	size_t i = lx->off, n = y->len;
	*t = (struct tok){ .s = s + i };
	tok_pos(lx, i, t);
	char c = s[i];
	if (c == '(' || c == ')' || c == ',') {
		t->k = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
		t->len = 1;
	} else if (c == '=' || c == '<' || c == '>' || c == '!') {
		t->k = T_OP;
		t->len = (i + 1 < n && s[i + 1] == '=') ? 2 : 1;
		if (c == '!' && t->len == 1)
			t->k = T_BAD;
	} else if (c == '"' || c == '\'') {
		/* Quoted string: backslash escapes the quote and itself. */
		size_t j = i + 1, o = 0;
		while (j < n && s[j] != c)
			j += (s[j] == '\\' && j + 1 < n && (s[j + 1] == c || s[j + 1] == '\\')) ? 2 : 1;
		char *buf = j < n ? ng_arena_alloc(cx->L->tmp, j - i) : NULL;
		if (j < n && !buf) {
			cx->failed = true;
			t->k = T_BAD;
			return;
		}
		for (size_t k = i + 1; buf && k < j; k++) {
			if (s[k] == '\\' && k + 1 < j && (s[k + 1] == c || s[k + 1] == '\\'))
				k++;
			buf[o++] = s[k];
		}
		if (j >= n) {
			t->k = T_BAD;
			t->len = 1;
			lx->off = n;
			ERRAT(cx, t->file, t->line, t->col, "unterminated string (missing %c)", c);
			return;
		}
		t->k = T_STR;
		t->s = buf;
		t->len = o;
		lx->off = j + 1;
		return;
	} else {
		size_t j = i;
		/* '!' belongs to a word (a glob's [!set]) unless it starts "!=". */
		while (j < n && (word_char(s[j]) || (s[j] == '!' && j > i && (j + 1 >= n || s[j + 1] != '='))))
			j++;
		t->k = T_WORD;
		t->len = j - i;
	}
	lx->off = i + t->len;
}

/* ---- parser ---- */

struct parser {
	struct ng_cctx *cx;
	struct lexer lx;
	struct tok tok, next;
	bool have_next;
};

static void advance(struct parser *p)
{
	if (p->have_next) {
		p->tok = p->next;
		p->have_next = false;
	} else {
		lex(p->cx, &p->lx, &p->tok);
	}
}

static const struct tok *peek(struct parser *p)
{
	if (!p->have_next) {
		lex(p->cx, &p->lx, &p->next);
		p->have_next = true;
	}
	return &p->next;
}

static bool is_word(const struct tok *t, const char *w)
{
	return t->k == T_WORD && t->len == strlen(w) && memcmp(t->s, w, t->len) == 0;
}

static void describe(const struct tok *t, char *buf, size_t n)
{
	if (t->k == T_EOF)
		snprintf(buf, n, "end of condition");
	else
		snprintf(buf, n, "'%.*s'", SHOW(t->s, t->len));
}

static void expected(struct parser *p, const char *what)
{
	char d[80];
	describe(&p->tok, d, sizeof(d));
	if (!p->cx->failed)
		ERRAT(p->cx, p->tok.file, p->tok.line, p->tok.col, "expected %s, found %s", what, d);
	p->cx->failed = true;
}

static const struct ng_node *parse_or(struct parser *p);
static const struct ng_node *parse_texts(struct ng_cctx *cx, const struct ng_texts *t);

static const char *macro_name_at(size_t i, void *ctx)
{
	const struct ng_loader *L = ctx;
	if (i < L->nmacros)
		return L->macros[i]->name;
	return ng_fields[i - L->nmacros].name;
}

static const struct ng_node *parse_macro_ref(struct parser *p, const struct tok *w)
{
	struct ng_cctx *cx = p->cx;
	char name[256];
	struct ng_macro_def *m = NULL;
	if (w->len < sizeof(name)) {
		memcpy(name, w->s, w->len);
		name[w->len] = '\0';
		m = ng_loader_macro(cx->L, name);
	}
	if (!m) {
		const struct ng_field *f = NULL;
		if (w->len < sizeof(name) && (f = ng_field_by_name(name)) != NULL) {
			if (f->type == NG_FT_BOOL) {
				/* A bare boolean field reads as `field = true`. */
				struct ng_rawval t = { "true", 4, false, w->file, w->line, w->col };
				return ng_cond_cmp(cx, f, NG_OP_EQ, &t, 1, w->file, w->line, w->col);
			}
			ERRAT(cx, w->file, w->line, w->col,
			      "field '%s' is %s, not a boolean: compare it with an operator (e.g. "
			      "'%s exists')",
			      name, type_name(f), name);
			return NULL;
		}
		const char *s = w->len < sizeof(name)
					? ng_suggest(name, cx->L->nmacros + NG_F__COUNT, macro_name_at,
						     cx->L)
					: NULL;
		if (s)
			ERRAT(cx, w->file, w->line, w->col,
			      "undefined macro '%s' (did you mean '%s'?)", name, s);
		else
			ERRAT(cx, w->file, w->line, w->col,
			      "undefined macro '%.*s' (or a field name followed by no operator)",
			      SHOW(w->s, w->len));
		return NULL;
	}
	if (m->visiting) {
		ERRAT(cx, w->file, w->line, w->col, "macro recursion: '%s' is used inside its own expansion",
		      m->name);
		return NULL;
	}
	m->used = true;
	m->visiting = true;
	const struct ng_node *n = parse_texts(cx, &m->cond);
	m->visiting = false;
	return n;
}

static const struct ng_node *parse_cmp(struct parser *p)
{
	struct ng_cctx *cx = p->cx;
	struct tok fw = p->tok; /* field word */
	advance(p);
	struct tok ow = p->tok; /* operator */
	int op = ng_op_parse(ow.s, ow.len);
	const struct ng_field *f = ng_cond_field(cx, fw.s, fw.len, fw.file, fw.line, fw.col);
	if (!f)
		return NULL;
	advance(p);
	struct ng_rawval one, *vals = &one;
	size_t n = 0;
	if (op == NG_OP_EXISTS) {
		/* no value */
	} else if (op == NG_OP_IN || op == NG_OP_INTERSECTS) {
		if (p->tok.k != T_LP) {
			expected(p, "'(' after 'in'/'intersects' (write the values or a list name "
				    "in parentheses)");
			return NULL;
		}
		advance(p);
		size_t cap = 0;
		vals = NULL;
		while (p->tok.k != T_RP) {
			if (p->tok.k != T_WORD && p->tok.k != T_STR) {
				expected(p, "a value or ')'");
				return NULL;
			}
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 8;
				struct ng_rawval *nv =
					ng_arena_grow(cx->L->tmp, vals, n, nc, sizeof(*nv));
				if (!nv) {
					cx->failed = true;
					return NULL;
				}
				vals = nv;
				cap = nc;
			}
			vals[n++] = (struct ng_rawval){ p->tok.s, p->tok.len, p->tok.k == T_STR,
							p->tok.file, p->tok.line, p->tok.col };
			advance(p);
			if (p->tok.k == T_COMMA)
				advance(p);
			else if (p->tok.k != T_RP) {
				expected(p, "',' or ')'");
				return NULL;
			}
		}
		advance(p);
	} else {
		if (p->tok.k != T_WORD && p->tok.k != T_STR) {
			expected(p, "a value");
			return NULL;
		}
		one = (struct ng_rawval){ p->tok.s, p->tok.len, p->tok.k == T_STR, p->tok.file,
					  p->tok.line, p->tok.col };
		n = 1;
		advance(p);
	}
	return ng_cond_cmp(cx, f, (enum ng_op)op, vals, n, fw.file, fw.line, fw.col);
}

static const struct ng_node *parse_primary(struct parser *p)
{
	struct ng_cctx *cx = p->cx;
	if (++cx->depth > NG_COND_MAX_DEPTH) {
		ERRAT(cx, p->tok.file, p->tok.line, p->tok.col,
		      "condition nested deeper than %d levels (parentheses, not, macros)",
		      NG_COND_MAX_DEPTH);
		return NULL;
	}
	const struct ng_node *r = NULL;
	if (is_word(&p->tok, "not")) {
		struct tok nt = p->tok;
		advance(p);
		const struct ng_node *x = parse_primary(p);
		if (x) {
			struct ng_node *n = new_node(cx, NG_NODE_NOT, nt.file, nt.line, nt.col);
			if (n)
				n->left = x;
			r = n;
		}
	} else if (p->tok.k == T_LP) {
		advance(p);
		r = parse_or(p);
		if (r && p->tok.k != T_RP) {
			expected(p, "')'");
			r = NULL;
		} else if (r) {
			advance(p);
		}
	} else if (p->tok.k == T_WORD && !is_word(&p->tok, "and") && !is_word(&p->tok, "or")) {
		const struct tok *nx = peek(p);
		bool is_op = nx->k == T_OP || (nx->k == T_WORD && ng_op_parse(nx->s, nx->len) >= 0);
		if (is_op) {
			r = parse_cmp(p);
		} else {
			struct tok w = p->tok;
			advance(p);
			r = parse_macro_ref(p, &w);
		}
	} else if (p->tok.k == T_OP || p->tok.k == T_BAD) {
		expected(p, "a field, a macro, 'not' or '('");
	} else {
		expected(p, "a field, a macro, 'not' or '('");
	}
	cx->depth--;
	return cx->failed ? NULL : r;
}

static const struct ng_node *parse_chain(struct parser *p, const char *kw, enum ng_node_kind kind)
{
	struct ng_cctx *cx = p->cx;
	const struct ng_node *first = kind == NG_NODE_OR ? parse_chain(p, "and", NG_NODE_AND)
							 : parse_primary(p);
	if (!first || !is_word(&p->tok, kw))
		return first;
	const struct ng_node **v = NULL;
	size_t n = 0, cap = 0;
	const struct ng_node *x = first;
	for (;;) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			const struct ng_node **nv = ng_arena_grow(cx->L->tmp, v, n, nc, sizeof(*nv));
			if (!nv) {
				cx->failed = true;
				return NULL;
			}
			v = nv;
			cap = nc;
		}
		v[n++] = x;
		if (!is_word(&p->tok, kw))
			break;
		advance(p);
		x = kind == NG_NODE_OR ? parse_chain(p, "and", NG_NODE_AND) : parse_primary(p);
		if (!x)
			return NULL;
	}
	return ng_cond_chain(cx, kind, v, n);
}

static const struct ng_node *parse_or(struct parser *p)
{
	return parse_chain(p, "or", NG_NODE_OR);
}

static const struct ng_node *parse_texts(struct ng_cctx *cx, const struct ng_texts *t)
{
	struct parser p = { .cx = cx, .lx = { .t = t } };
	advance(&p);
	if (p.tok.k == T_EOF) {
		const struct ng_ynode *y = t->n ? t->v[0].y : NULL;
		ERRAT(cx, t->n ? t->v[0].file : NULL, y ? y->line : 0, y ? y->col : 0,
		      "empty condition");
		return NULL;
	}
	const struct ng_node *n = parse_or(&p);
	if (n && p.tok.k != T_EOF) {
		char d[80];
		describe(&p.tok, d, sizeof(d));
		ERRAT(cx, p.tok.file, p.tok.line, p.tok.col,
		      "unexpected %s after a complete expression (missing 'and'/'or'?)", d);
		return NULL;
	}
	return cx->failed ? NULL : n;
}

const struct ng_node *ng_cond_parse(struct ng_cctx *cx, const struct ng_texts *t)
{
	cx->failed = false;
	cx->depth = 0;
	return parse_texts(cx, t);
}
