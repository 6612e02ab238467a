// SPDX-License-Identifier: LGPL-2.1-or-later
/* numaguard rules check|list and numaguard replay. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "commands.h"
#include "diag.h"
#include "engine.h"
#include "event_parse.h"
#include "json.h"
#include "sinks/sinks.h"

/* Replay refuses lines longer than this (a recorded event is a few KiB). */
#define REPLAY_MAX_LINE (1u << 20)

struct rules_args {
	const char **paths;
	size_t npaths;
	bool no_defaults, json, fields;
};

static int add_path(struct rules_args *a, const char *p)
{
	const char **n = realloc(a->paths, (a->npaths + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	a->paths = n;
	a->paths[a->npaths++] = p;
	return 0;
}

static void rules_help(FILE *f)
{
	fprintf(f,
		"Usage: numaguard rules check [--no-default-rules] [--json] FILE...\n"
		"       numaguard rules list [--rules PATH]... [--no-default-rules] [--json]\n"
		"       numaguard rules list --fields [--json]\n\n"
		"check  Load the embedded default rules (unless --no-default-rules), then each\n"
		"       FILE in order, and report every problem as FILE:LINE:COL: error|warning:\n"
		"       ITEM: message. Exit status 1 when there is an error, 0 otherwise.\n"
		"list   Print the loaded rules in evaluation order: id, version, priority,\n"
		"       enabled, name. --fields prints the event fields rules can use.\n\n"
		"  --rules PATH         load a rules file after the defaults (repeatable)\n"
		"  --no-default-rules   do not load the embedded rules\n"
		"  --json               machine-readable output\n\n"
		"Examples:\n"
		"  numaguard rules check /etc/numaguard/rules.d/local.yaml\n"
		"  numaguard rules list --rules local.yaml --json | jq '.[].id'\n");
}

static int parse_rules_args(int argc, char **argv, struct rules_args *a, bool allow_rules)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "fields", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (!allow_rules) {
				fprintf(stderr, "numaguard rules check: give rule files as arguments, "
						"not with --rules\n");
				return NG_EXIT_USAGE;
			}
			if (add_path(a, optarg))
				return NG_EXIT_RUNTIME;
			break;
		case 'N':
			a->no_defaults = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 'F':
			a->fields = true;
			break;
		case 'h':
			rules_help(stdout);
			return -1;
		default:
			fprintf(stderr, "see 'numaguard rules --help'\n");
			return NG_EXIT_USAGE;
		}
	}
	return 0;
}

static int rules_check(int argc, char **argv)
{
	struct rules_args a = { 0 };
	int r = parse_rules_args(argc, argv, &a, false);
	if (r)
		return r < 0 ? NG_EXIT_OK : r;
	for (int i = optind; i < argc; i++)
		if (add_path(&a, argv[i]))
			return NG_EXIT_RUNTIME;
	if (!a.npaths) {
		fprintf(stderr, "numaguard rules check: no rule file given; usage: numaguard rules "
				"check FILE...\n");
		free(a.paths);
		return NG_EXIT_USAGE;
	}
	struct ng_diags d = { 0 };
	struct ng_engine *eng = NULL;
	struct ng_engine_opts o = { .paths = a.paths, .npaths = a.npaths,
				    .no_defaults = a.no_defaults, .diags = &d };
	r = ng_engine_load(&eng, &o);
	if (r == -ENOMEM) {
		fprintf(stderr, "numaguard rules check: out of memory\n");
		ng_diags_free(&d);
		free(a.paths);
		return NG_EXIT_RUNTIME;
	}
	if (a.json) {
		struct ng_buf b = { 0 };
		ng_diags_json(&d, &b);
		puts(ng_buf_cstr(&b));
		ng_buf_free(&b);
	} else {
		ng_diags_print(&d, stdout);
	}
	bool failed = ng_diags_failed(&d);
	ng_engine_free(eng);
	ng_diags_free(&d);
	free(a.paths);
	return failed ? NG_EXIT_USAGE : NG_EXIT_OK;
}

static const char *ftype_name(enum ng_ftype t)
{
	static const char *const n[] = {
		[NG_FT_I64] = "int",   [NG_FT_U32] = "int",	[NG_FT_U64] = "int",
		[NG_FT_BOOL] = "bool", [NG_FT_STR] = "string", [NG_FT_TIME] = "time",
		[NG_FT_MODE] = "enum", [NG_FT_ENUM] = "enum",	[NG_FT_FLAGS] = "list",
		[NG_FT_NODES] = "list of int",
	};
	return n[t];
}

static int list_fields(bool json)
{
	struct ng_buf b = { 0 };
	if (json)
		ng_buf_putc(&b, '[');
	for (size_t i = 0; i < NG_F__COUNT; i++) {
		const struct ng_field *f = &ng_fields[i];
		if (json) {
			ng_buf_printf(&b, "%s{\"name\":\"%s\",\"type\":\"%s\",\"desc\":", i ? "," : "",
				      f->name, ftype_name(f->type));
			ng_json_str(&b, f->desc);
			ng_buf_putc(&b, '}');
		} else {
			ng_buf_printf(&b, "%-22s %-12s %s\n", f->name, ftype_name(f->type), f->desc);
		}
	}
	if (json)
		ng_buf_puts(&b, "]\n");
	fputs(ng_buf_cstr(&b), stdout);
	ng_buf_free(&b);
	return NG_EXIT_OK;
}

static int rules_list(int argc, char **argv)
{
	struct rules_args a = { 0 };
	int r = parse_rules_args(argc, argv, &a, true);
	if (r)
		return r < 0 ? NG_EXIT_OK : r;
	if (optind < argc) {
		fprintf(stderr, "numaguard rules list: unexpected argument '%s'; give rule files "
				"with --rules PATH\n",
			argv[optind]);
		free(a.paths);
		return NG_EXIT_USAGE;
	}
	if (a.fields) {
		free(a.paths);
		return list_fields(a.json);
	}
	struct ng_engine *eng = NULL;
	struct ng_engine_opts o = { .paths = a.paths, .npaths = a.npaths,
				    .no_defaults = a.no_defaults, .diag = stderr };
	r = ng_engine_load(&eng, &o);
	free(a.paths);
	if (r) {
		fprintf(stderr, "numaguard rules list: %s; run 'numaguard rules check' on your "
				"files\n",
			r == -EINVAL ? "the rules have errors" : strerror(-r));
		return r == -EINVAL ? NG_EXIT_USAGE : NG_EXIT_RUNTIME;
	}
	struct ng_buf b = { 0 };
	size_t n = ng_engine_rule_count(eng);
	if (a.json)
		ng_buf_putc(&b, '[');
	else
		ng_buf_printf(&b, "%-9s %-7s %-13s %-7s %s\n", "ID", "VERSION", "PRIORITY",
			      "ENABLED", "NAME");
	for (size_t i = 0; i < n; i++) {
		struct ng_rule_info ri;
		ng_engine_rule_info(eng, i, &ri);
		if (a.json) {
			ng_buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
			ng_json_str(&b, ri.id);
			ng_buf_printf(&b, ",\"version\":%u,\"priority\":\"%s\",\"enabled\":%s,\"name\":",
				      ri.version, ng_priority_name(ri.priority),
				      ri.enabled ? "true" : "false");
			ng_json_str(&b, ri.name);
			ng_buf_puts(&b, ",\"desc\":");
			ng_json_str(&b, ri.desc);
			ng_buf_puts(&b, ",\"tags\":[");
			for (size_t t = 0; t < ri.ntags; t++) {
				if (t)
					ng_buf_putc(&b, ',');
				ng_json_str(&b, ri.tags[t]);
			}
			ng_buf_printf(&b, "],\"actions\":[\"alert\"%s%s],\"file\":",
				      ri.kill ? ",\"kill\"" : "", ri.seccomp ? ",\"seccomp\"" : "");
			ng_json_str(&b, ri.file);
			ng_buf_printf(&b, ",\"line\":%u}", ri.line);
		} else {
			ng_buf_printf(&b, "%-9s %-7u %-13s %-7s ", ri.id[0] ? ri.id : "-", ri.version,
				      ng_priority_name(ri.priority), ri.enabled ? "yes" : "no");
			/* Names come from rule files: keep each on one line. */
			for (const char *p = ri.name; *p; p++)
				ng_buf_putc(&b, (unsigned char)*p < 0x20 ? ' ' : *p);
			ng_buf_putc(&b, '\n');
		}
	}
	if (a.json)
		ng_buf_puts(&b, "]\n");
	fputs(ng_buf_cstr(&b), stdout);
	ng_buf_free(&b);
	ng_engine_free(eng);
	return NG_EXIT_OK;
}

int cmd_rules(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		rules_help(argc < 2 ? stderr : stdout);
		return argc < 2 ? NG_EXIT_USAGE : NG_EXIT_OK;
	}
	if (!strcmp(argv[1], "check"))
		return rules_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return rules_list(argc - 1, argv + 1);
	fprintf(stderr, "numaguard rules: unknown command '%s'; use check or list\n", argv[1]);
	return NG_EXIT_USAGE;
}

/* ---- replay ---- */

static void replay_help(FILE *f)
{
	fprintf(f,
		"Usage: numaguard replay [--rules PATH]... [--no-default-rules] EVENTS.jsonl\n\n"
		"Evaluate recorded events (the `numaguard run --all-events` JSON lines) against\n"
		"the rules, offline, and print the alerts as `run` does (JSON lines on stdout).\n"
		"EVENTS.jsonl may be '-' for standard input. A line that is not a valid event is\n"
		"reported on stderr with its number and skipped; a summary line goes to stderr\n"
		"at the end. Exit status: 0, or 1 when a line was bad or the rules have errors.\n\n"
		"  --rules PATH         load a rules file after the defaults (repeatable)\n"
		"  --no-default-rules   do not load the embedded rules\n\n"
		"Example:\n"
		"  numaguard run --all-events --duration 60 > events.jsonl\n"
		"  numaguard replay --rules local.yaml events.jsonl | jq .rule\n");
}

struct replay_ctx {
	struct ng_sinks *sinks;
};

static void replay_emit(const struct ng_alert *alert, void *p)
{
	struct replay_ctx *c = p;
	struct ng_alert a = *alert;
	ng_sinks_emit_alert(c->sinks, &a);
	/*
	 * The sink queue is bounded and never blocks the live sensor; offline
	 * there is no reason to drop, so wait for the writer instead.
	 */
	struct ng_sink_stats st;
	while (ng_sinks_get_stats(c->sinks, 0, &st) == 0 && st.pending >= NG_SINK_QUEUE_LEN / 2) {
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
}

/*
 * Line reader with a hard bound: longer lines are consumed and reported,
 * never held. Reads in chunks and finds line ends with memchr.
 */
#define REPLAY_CHUNK (1u << 16)
struct lines {
	FILE *f;
	char *buf;
	size_t len;
	bool too_long, has_nul, eof;
	char *chunk;
	size_t pos, end;
};

static bool next_line(struct lines *l)
{
	l->len = 0;
	l->too_long = l->has_nul = false;
	bool any = false;
	for (;;) {
		if (l->pos == l->end) {
			if (l->eof)
				return any;
			l->pos = 0;
			l->end = fread(l->chunk, 1, REPLAY_CHUNK, l->f);
			if (l->end == 0) {
				l->eof = true;
				return any;
			}
		}
		any = true;
		const char *p = l->chunk + l->pos;
		size_t avail = l->end - l->pos;
		const char *nl = memchr(p, '\n', avail);
		size_t seg = nl ? (size_t)(nl - p) : avail;
		if (memchr(p, '\0', seg))
			l->has_nul = true;
		size_t room = REPLAY_MAX_LINE - l->len, take = seg < room ? seg : room;
		memcpy(l->buf + l->len, p, take);
		l->len += take;
		if (take < seg)
			l->too_long = true;
		l->pos += seg + (nl ? 1 : 0);
		if (nl)
			return true;
	}
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct rules_args a = { 0 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (add_path(&a, optarg))
				return NG_EXIT_RUNTIME;
			break;
		case 'N':
			a.no_defaults = true;
			break;
		case 'h':
			replay_help(stdout);
			free(a.paths);
			return NG_EXIT_OK;
		default:
			fprintf(stderr, "see 'numaguard replay --help'\n");
			free(a.paths);
			return NG_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "numaguard replay: give exactly one events file (or '-' for stdin); "
				"see 'numaguard replay --help'\n");
		free(a.paths);
		return NG_EXIT_USAGE;
	}
	const char *path = argv[optind];
	struct ng_engine *eng = NULL;
	struct ng_engine_opts eo = { .paths = a.paths, .npaths = a.npaths,
				     .no_defaults = a.no_defaults, .diag = stderr };
	int r = ng_engine_load(&eng, &eo);
	free(a.paths);
	if (r) {
		fprintf(stderr, "numaguard replay: %s\n",
			r == -EINVAL ? "the rules have errors (listed above); fix them or check "
				       "with 'numaguard rules check'"
				     : strerror(-r));
		return r == -EINVAL ? NG_EXIT_USAGE : NG_EXIT_RUNTIME;
	}
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!in) {
		fprintf(stderr, "numaguard replay: cannot open %s: %s\n", path, strerror(errno));
		ng_engine_free(eng);
		return NG_EXIT_USAGE;
	}
	const char *spec = "stdout";
	struct ng_sinks_opts so = { .specs = &spec, .nspecs = 1, .format = NG_FORMAT_JSON };
	struct ng_sinks *sinks = NULL;
	char err[512];
	r = ng_sinks_open(&sinks, &so, err, sizeof(err));
	struct lines l = { .f = in, .buf = malloc(REPLAY_MAX_LINE + 1),
			   .chunk = malloc(REPLAY_CHUNK) };
	if (r || !l.buf || !l.chunk) {
		fprintf(stderr, "numaguard replay: %s\n", r ? err : "out of memory");
		if (in != stdin)
			fclose(in);
		free(l.buf);
		free(l.chunk);
		ng_engine_free(eng);
		if (sinks)
			ng_sinks_close(sinks);
		return NG_EXIT_RUNTIME;
	}
	struct replay_ctx ctx = { .sinks = sinks };
	uint64_t lineno = 0, bad = 0, events = 0;
	struct ng_event ev;
	while (next_line(&l)) {
		lineno++;
		size_t n = l.len;
		while (n && (l.buf[n - 1] == '\r' || l.buf[n - 1] == ' ' || l.buf[n - 1] == '\t'))
			n--;
		if (n == 0 && !l.too_long)
			continue;
		if (l.too_long || l.has_nul) {
			fprintf(stderr, "%s:%" PRIu64 ": bad event: %s\n", path, lineno,
				l.too_long ? "line longer than 1 MiB" : "NUL byte in the line");
			bad++;
			continue;
		}
		if (ng_event_parse(l.buf, n, &ev, err, sizeof(err))) {
			fprintf(stderr, "%s:%" PRIu64 ": bad event: %s\n", path, lineno, err);
			bad++;
			continue;
		}
		events++;
		ng_engine_eval(eng, &ev, replay_emit, &ctx);
	}
	bool read_err = ferror(in);
	if (in != stdin)
		fclose(in);
	free(l.buf);
	free(l.chunk);
	uint64_t lost = ng_sinks_drain(sinks, 10000);
	struct ng_engine_stats st;
	ng_engine_get_stats(eng, &st);
	fprintf(stderr,
		"replay: %" PRIu64 " lines, %" PRIu64 " events, %" PRIu64 " bad lines, %" PRIu64
		" alerts, %" PRIu64 " suppressed by throttles, %" PRIu64 " throttle keys evicted\n",
		lineno, events, bad, st.alerts, st.suppressed, st.key_evictions);
	if (lost)
		ng_sinks_print_stats(sinks, stderr);
	ng_sinks_close(sinks);
	ng_engine_free(eng);
	if (read_err) {
		fprintf(stderr, "numaguard replay: read error on %s\n", path);
		return NG_EXIT_RUNTIME;
	}
	return bad || lost ? NG_EXIT_USAGE : NG_EXIT_OK;
}
