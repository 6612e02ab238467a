// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"

struct ctx {
	const char *path;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *c, const yaml_node_t *n,
						      const char *fmt, ...)
{
	int off = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->path,
			   n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1);
	if (off < 0 || (size_t)off >= c->errlen)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + off, c->errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int scalar(struct ctx *c, const yaml_node_t *n, const char *key, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n, "'%s' must be a single value", key);
	*out = (const char *)n->data.scalar.value;
	if (strlen(*out) != n->data.scalar.length)
		return fail(c, n, "'%s' contains a NUL byte", key);
	return 0;
}

static int boolean(struct ctx *c, const yaml_node_t *n, const char *key, int *out)
{
	const char *v = NULL;
	int r = scalar(c, n, key, &v);
	if (r)
		return r;
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
		*out = 1;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
		*out = 0;
	else
		return fail(c, n, "'%s' must be true or false, not '%s'", key, v);
	return 0;
}

static int string(struct ctx *c, const yaml_node_t *n, const char *key, char **out)
{
	const char *v = NULL;
	int r = scalar(c, n, key, &v);
	if (r)
		return r;
	if (!*v)
		return fail(c, n, "'%s' must not be empty", key);
	free(*out);
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

/* A list of strings, or one string as a list of one. */
static int strings(struct ctx *c, const yaml_node_t *n, const char *key, char ***out, size_t *nout)
{
	if (n->type == YAML_SCALAR_NODE) {
		char *s = NULL;
		int r = string(c, n, key, &s);
		if (r)
			return r;
		char **v = realloc(*out, (*nout + 1) * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		v[(*nout)++] = s;
		*out = v;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "'%s' must be a list of strings", key);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		if (!item || item->type != YAML_SCALAR_NODE)
			return fail(c, item ? item : n, "'%s' items must be strings", key);
		int r = strings(c, item, key, out, nout);
		if (r)
			return r;
	}
	return 0;
}

static int number(struct ctx *c, const yaml_node_t *n, const char *key, double min, double max,
		  double *out)
{
	const char *v = NULL;
	int r = scalar(c, n, key, &v);
	if (r)
		return r;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !__builtin_isfinite(d) || d < min || d > max)
		return fail(c, n, "'%s' must be a number from %g to %g, not '%s'", key, min, max,
			    v);
	*out = d;
	return 0;
}

static int apply_key(struct ctx *c, struct ng_config *cfg, const yaml_node_t *k,
		     const yaml_node_t *v)
{
	const char *key;
	int r = scalar(c, k, "key", &key);
	if (r)
		return r;
	if (!strcmp(key, "outputs"))
		return strings(c, v, key, &cfg->outputs, &cfg->noutputs);
	if (!strcmp(key, "rules"))
		return strings(c, v, key, &cfg->rules, &cfg->nrules);
	if (!strcmp(key, "format")) {
		const char *f;
		if ((r = scalar(c, v, key, &f)))
			return r;
		if (!strcmp(f, "json"))
			cfg->format = NG_FORMAT_JSON;
		else if (!strcmp(f, "text"))
			cfg->format = NG_FORMAT_TEXT;
		else
			return fail(c, v, "'format' must be json or text, not '%s'", f);
		return 0;
	}
	if (!strcmp(key, "no_default_rules"))
		return boolean(c, v, key, &cfg->no_default_rules);
	if (!strcmp(key, "all_events"))
		return boolean(c, v, key, &cfg->all_events);
	if (!strcmp(key, "enforce"))
		return boolean(c, v, key, &cfg->enforce);
	if (!strcmp(key, "stats_interval"))
		return number(c, v, key, 0, 86400, &cfg->stats_interval);
	if (!strcmp(key, "queue_len")) {
		double d;
		if ((r = number(c, v, key, 16, 1000000, &d)))
			return r;
		if (d != (double)(size_t)d)
			return fail(c, v, "'queue_len' must be a whole number");
		cfg->queue_len = (size_t)d;
		return 0;
	}
	if (!strcmp(key, "syslog_facility")) {
		if ((r = string(c, v, key, &cfg->syslog_facility)))
			return r;
		if (ng_sinks_facility_parse(cfg->syslog_facility) < 0)
			return fail(c, v,
				    "unknown syslog_facility '%s'; use kern, user, daemon, auth, "
				    "authpriv, security, local0 … local7",
				    cfg->syslog_facility);
		return 0;
	}
	if (!strcmp(key, "syslog_socket"))
		return string(c, v, key, &cfg->syslog_socket);
	if (!strcmp(key, "hostname"))
		return string(c, v, key, &cfg->hostname);
	return fail(c, k,
		    "unknown key '%s'; known keys: outputs, format, rules, no_default_rules, "
		    "all_events, enforce, stats_interval, queue_len, syslog_facility, "
		    "syslog_socket, hostname",
		    key);
}

int ng_config_load(const char *path, struct ng_config *cfg, char *err, size_t errlen)
{
	*cfg = (struct ng_config){
	    .format = -1,
	    .no_default_rules = -1,
	    .all_events = -1,
	    .enforce = -1,
	    .stats_interval = -1,
	};
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open the config file: %s", path, strerror(e));
		return -e;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx c = {.path = path, .doc = &doc, .err = err, .errlen = errlen};
	int r = 0;
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		/* An empty file sets nothing. */
	} else if (root->type != YAML_MAPPING_NODE) {
		r = fail(&c, root, "the config file must be a mapping of keys to values");
	} else {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     !r && p < root->data.mapping.pairs.top; p++)
			r = apply_key(&c, cfg, yaml_document_get_node(&doc, p->key),
				      yaml_document_get_node(&doc, p->value));
		if (r == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (r)
		ng_config_free(cfg);
	return r;
}

void ng_config_free(struct ng_config *cfg)
{
	for (size_t i = 0; i < cfg->noutputs; i++)
		free(cfg->outputs[i]);
	for (size_t i = 0; i < cfg->nrules; i++)
		free(cfg->rules[i]);
	free(cfg->outputs);
	free(cfg->rules);
	free(cfg->syslog_facility);
	free(cfg->syslog_socket);
	free(cfg->hostname);
	*cfg = (struct ng_config){
	    .format = -1,
	    .no_default_rules = -1,
	    .all_events = -1,
	    .enforce = -1,
	    .stats_interval = -1,
	};
}

void ng_config_apply_sinks(const struct ng_config *cfg, struct ng_sinks_opts *so)
{
	if (cfg->syslog_facility && !so->syslog_facility)
		so->syslog_facility = cfg->syslog_facility;
	if (cfg->syslog_socket && !so->syslog_socket)
		so->syslog_socket = cfg->syslog_socket;
	if (cfg->hostname)
		so->hostname = cfg->hostname;
	if (cfg->queue_len && !so->queue_len)
		so->queue_len = cfg->queue_len;
}
