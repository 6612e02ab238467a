// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>
#include <yaml.h>

#include "ytree.h"

struct frame {
	struct ng_ynode *node;
	size_t cap;
};

static int add_kid(struct ng_arena *a, struct frame *f, struct ng_ynode *kid)
{
	if (f->node->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		struct ng_ynode **k =
			ng_arena_grow(a, f->node->kids, f->node->n, ncap, sizeof(*k));
		if (!k)
			return -ENOMEM;
		f->node->kids = k;
		f->cap = ncap;
	}
	f->node->kids[f->node->n++] = kid;
	return 0;
}

static enum ng_ystyle map_style(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		return NG_YS_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		return NG_YS_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE:
		return NG_YS_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE:
		return NG_YS_FOLDED;
	default:
		return NG_YS_PLAIN;
	}
}

static struct ng_ynode *new_node(struct ng_arena *a, enum ng_ykind kind, const yaml_event_t *ev)
{
	struct ng_ynode *n = ng_arena_alloc(a, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)ev->start_mark.line + 1;
	n->col = (unsigned)ev->start_mark.column + 1;
	n->start = ev->start_mark.index;
	n->end = ev->end_mark.index;
	return n;
}

int ng_ytree_parse(struct ng_arena *a, const char *file, const char *text, size_t len,
		   struct ng_diags *d, struct ng_ynode **root)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct frame stack[NG_YAML_MAX_DEPTH + 1];
	int depth = 0, docs = 0, r = 0;
	bool done = false;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);

	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			const yaml_mark_t *m = p.problem_mark.line || p.problem_mark.column
						       ? &p.problem_mark
						       : &p.context_mark;
			unsigned line = (unsigned)m->line + 1, col = (unsigned)m->column + 1;
			if (p.error == YAML_MEMORY_ERROR) {
				r = -ENOMEM;
				break;
			}
			if (p.error == YAML_READER_ERROR) {
				/* The reader reports a byte offset only (e.g. invalid UTF-8). */
				line = col = 1;
				for (size_t i = 0; i < p.problem_offset && i < len; i++) {
					col++;
					if (text[i] == '\n') {
						line++;
						col = 1;
					}
				}
			}
			ng_diag_add(d, NG_DIAG_ERROR, file, line, col, "", "invalid YAML: %s%s%s",
				    p.problem ? p.problem : "syntax error", p.context ? " " : "",
				    p.context ? p.context : "");
			r = -EINVAL;
			break;
		}
		struct ng_ynode *n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				ng_diag_add(d, NG_DIAG_ERROR, file, (unsigned)ev.start_mark.line + 1,
					    (unsigned)ev.start_mark.column + 1, "",
					    "a rules file holds one YAML document; split it into "
					    "several files");
				r = -EINVAL;
			}
			break;
		case YAML_ALIAS_EVENT:
			ng_diag_add(d, NG_DIAG_ERROR, file, (unsigned)ev.start_mark.line + 1,
				    (unsigned)ev.start_mark.column + 1, "",
				    "YAML aliases (*%s) are not supported in rules files; use a "
				    "list or macro instead",
				    (const char *)ev.data.alias.anchor);
			r = -EINVAL;
			break;
		case YAML_SCALAR_EVENT:
			n = new_node(a, NG_Y_SCALAR, &ev);
			if (!n) {
				r = -ENOMEM;
				break;
			}
			n->style = map_style(ev.data.scalar.style);
			n->len = ev.data.scalar.length;
			if (memchr(ev.data.scalar.value, 0, n->len)) {
				ng_diag_add(d, NG_DIAG_ERROR, file, n->line, n->col, "",
					    "a value contains a NUL character");
				r = -EINVAL;
				break;
			}
			n->s = ng_arena_strndup(a, (const char *)ev.data.scalar.value, n->len);
			if (!n->s)
				r = -ENOMEM;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= NG_YAML_MAX_DEPTH) {
				ng_diag_add(d, NG_DIAG_ERROR, file, (unsigned)ev.start_mark.line + 1,
					    (unsigned)ev.start_mark.column + 1, "",
					    "YAML nested deeper than %d levels", NG_YAML_MAX_DEPTH);
				r = -EINVAL;
				break;
			}
			n = new_node(a,
				     ev.type == YAML_SEQUENCE_START_EVENT ? NG_Y_SEQ : NG_Y_MAP,
				     &ev);
			if (!n)
				r = -ENOMEM;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0) {
				stack[depth - 1].node->end = ev.end_mark.index;
				depth--;
			}
			break;
		default:
			break;
		}
		if (r == 0 && n) {
			if (depth > 0)
				r = add_kid(a, &stack[depth - 1], n);
			else if (!*root)
				*root = n;
			if (r == 0 && n->kind != NG_Y_SCALAR)
				stack[depth++] = (struct frame){ .node = n };
		}
		yaml_event_delete(&ev);
		if (r)
			break;
	}
	yaml_parser_delete(&p);
	return r;
}

const struct ng_ynode *ng_ymap_get(const struct ng_ynode *map, const char *key)
{
	if (!map || map->kind != NG_Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->kind == NG_Y_SCALAR && strcmp(map->kids[i]->s, key) == 0)
			return map->kids[i + 1];
	return NULL;
}
