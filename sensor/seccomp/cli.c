// SPDX-License-Identifier: LGPL-2.1-or-later
/* numaguard seccomp generate, numaguard exec. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "compile.h"
#include "filter.h"
#include "policy.h"
#include "rules/engine.h"

#define MAX_RULE_FILES 64

struct source {
	const char *rule;
	const char *rules[MAX_RULE_FILES];
	size_t nrules;
	bool no_defaults;
	const char *policy;
	bool accept_whole;
};

static void print_notes(const char *verb, const struct ng_sc_filter *f,
			const struct ng_sc_arches *arches, bool per_abi)
{
	const char *s = f->notes.len ? f->notes.data : "";
	bool x32_dropped = false;

	while (*s) {
		const char *nl = strchr(s, '\n');
		int n = nl ? (int)(nl - s) : (int)strlen(s);

		fprintf(stderr,
			"numaguard %s: note: not testable by seccomp, taken as true: %.*s\n", verb,
			n, s);
		s += n + (nl ? 1 : 0);
	}
	if (f->broadened)
		fprintf(stderr,
			"numaguard %s: note: the filter therefore acts on MORE set_mempolicy calls "
			"than '%s' matches (every call that passes the mode, flags and maxnode "
			"tests), never fewer\n",
			verb, f->name);
	for (unsigned a = 0; per_abi && a < arches->n; a++)
		for (size_t i = 0; i < f->nclauses; i++) {
			struct ng_sc_clause c;
			bool d = false;

			ng_sc_clause_for_arch(&f->clauses[i], arches->arch[a], &c, &d);
			x32_dropped |= d;
		}
	if (x32_dropped)
		fprintf(stderr,
			"numaguard %s: note: on x32, comparisons that need the high 32 bits of a "
			"register are left out (libseccomp compares only the low half there), so "
			"x32 calls are blocked more broadly\n",
			verb);
}

/*
 * The filter from a policy file or a rule. Returns an exit code; on success
 * NG_EXIT_OK with f filled in.
 */
static int load_source(const char *verb, const struct source *src, struct ng_sc_filter *f)
{
	char err[512];
	int r;

	if (!!src->rule == !!src->policy) {
		fprintf(stderr,
			"numaguard %s: give exactly one of --rule ID or --policy FILE; see "
			"'numaguard %s --help'\n",
			verb, verb);
		return NG_EXIT_USAGE;
	}
	if (src->policy) {
		if (src->nrules || src->no_defaults) {
			fprintf(stderr,
				"numaguard %s: --rules and --no-default-rules go with "
				"--rule, not --policy\n",
				verb);
			return NG_EXIT_USAGE;
		}
		ng_sc_filter_init(f, src->policy);
		/* The loader has reported every error but running out of memory. */
		r = ng_sc_policy_load(src->policy, f, stderr);
		if (r == -ENOMEM)
			fprintf(stderr, "numaguard %s: out of memory loading %s\n", verb,
				src->policy);
		if (r < 0) {
			ng_sc_filter_free(f);
			return r == -ENOMEM ? NG_EXIT_RUNTIME : NG_EXIT_USAGE;
		}
		return NG_EXIT_OK;
	}

	struct ng_engine_opts eo = {
	    .paths = src->rules,
	    .npaths = src->nrules,
	    .no_defaults = src->no_defaults,
	    .diag = stderr,
	};
	struct ng_engine *eng = NULL;
	const char *name = NULL;
	const struct ng_node *cond;

	r = ng_engine_load(&eng, &eo);
	if (r < 0) {
		fprintf(stderr, "numaguard %s: cannot load the rules: %s%s\n", verb, strerror(-r),
			r == -EINVAL ? " (errors above)" : "");
		return r == -EINVAL || r == -ENOENT ? NG_EXIT_USAGE : NG_EXIT_RUNTIME;
	}
	cond = ng_engine_rule_condition(eng, src->rule, &name, NULL);
	if (!cond) {
		fprintf(stderr,
			"numaguard %s: no rule with id or name '%s'; 'numaguard rules list' "
			"shows the loaded rules\n",
			verb, src->rule);
		ng_engine_free(eng);
		return NG_EXIT_USAGE;
	}
	ng_sc_filter_init(f, src->rule);
	r = ng_sc_compile(cond, f, err, sizeof(err));
	ng_engine_free(eng);
	if (r < 0) {
		fprintf(stderr,
			"numaguard %s: cannot compile rule '%s' into a seccomp filter: %s\n", verb,
			src->rule, err);
		ng_sc_filter_free(f);
		return r == -ENOMEM ? NG_EXIT_RUNTIME : NG_EXIT_USAGE;
	}
	return NG_EXIT_OK;
}

/* Refuse a filter that blocks every call unless that was asked for. */
static bool whole_block_refused(const char *verb, const struct source *src,
				const struct ng_sc_filter *f)
{
	if (!ng_sc_filter_unconditional(f) || src->accept_whole)
		return false;
	fprintf(stderr,
		"numaguard %s: what seccomp can test of '%s' holds for every set_mempolicy call, "
		"so the filter would block the whole system call; pass "
		"--accept-whole-syscall-block if that is intended\n",
		verb, f->name);
	return true;
}

static int write_out(const char *path, const struct ng_buf *b, bool binary)
{
	const char *data = b->data ? b->data : "";

	if (!path || strcmp(path, "-") == 0) {
		if (binary && isatty(STDOUT_FILENO)) {
			fprintf(stderr, "numaguard seccomp: refusing to write binary BPF to a "
					"terminal; use -o FILE\n");
			return NG_EXIT_USAGE;
		}
		if (fwrite(data, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
			fprintf(stderr, "numaguard seccomp: cannot write to stdout: %s\n",
				strerror(errno));
			return NG_EXIT_RUNTIME;
		}
		return NG_EXIT_OK;
	}
	/* Write a temporary file and rename it, so a reader never sees half a profile. */
	size_t len = strlen(path) + 16;
	char *tmp = malloc(len);
	int fd;

	if (!tmp)
		return NG_EXIT_RUNTIME;
	snprintf(tmp, len, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "numaguard seccomp: cannot create %s: %s\n", tmp, strerror(errno));
		free(tmp);
		return NG_EXIT_RUNTIME;
	}
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = write(fd, data + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off != b->len || fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		fprintf(stderr, "numaguard seccomp: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return NG_EXIT_RUNTIME;
	}
	free(tmp);
	return NG_EXIT_OK;
}

static void generate_help(FILE *out)
{
	fprintf(
	    out,
	    "Usage: numaguard seccomp generate (--rule ID [--rules PATH]... [--no-default-rules]\n"
	    "                                   | --policy FILE)\n"
	    "                                  [--format oci|bpf|pfc|systemd] [-o FILE]\n"
	    "                                  [--accept-whole-syscall-block]\n\n"
	    "Compile the set_mempolicy argument tests of a rule or policy into a seccomp\n"
	    "filter covering every ABI of this host. Parts of a rule that seccomp cannot test\n"
	    "(node lists, process, user or container identity) are listed on stderr and taken\n"
	    "as true: the filter then acts on more calls than the rule matches, never fewer.\n\n"
	    "  --rule ID        a rule, by id or name, from the embedded rules and --rules files\n"
	    "  --rules PATH     load this rule file too (repeatable)\n"
	    "  --no-default-rules  do not load the embedded rules\n"
	    "  --policy FILE    an enforcement policy (policies/*.yaml)\n"
	    "  --format F       oci (default): runtime-spec linux.seccomp JSON for runc, crun,\n"
	    "                   Docker, Kubernetes Localhost profiles; bpf: raw struct\n"
	    "                   sock_filter[]; pfc: libseccomp pseudo code; systemd: a drop-in\n"
	    "                   that blocks EVERY set_mempolicy call (needs\n"
	    "                   --accept-whole-syscall-block)\n"
	    "  -o FILE          write there instead of stdout\n"
	    "  --accept-whole-syscall-block  allow a filter that blocks every set_mempolicy "
	    "call\n\n"
	    "Examples:\n"
	    "  numaguard seccomp generate --policy policies/deny-bind.yaml --format oci -o "
	    "bind.json\n"
	    "  numaguard seccomp generate --rule NG-0001 --format pfc\n");
}

/* The options that say where the filter comes from, shared by generate and exec. */
static int source_opt(struct source *src, int c, const char *verb)
{
	switch (c) {
	case 'r':
		src->rule = optarg;
		break;
	case 'R':
		if (src->nrules == MAX_RULE_FILES) {
			fprintf(stderr, "numaguard %s: at most %d --rules files\n", verb,
				MAX_RULE_FILES);
			return -EINVAL;
		}
		src->rules[src->nrules++] = optarg;
		break;
	case 'N':
		src->no_defaults = true;
		break;
	case 'p':
		src->policy = optarg;
		break;
	}
	return 0;
}

int cmd_seccomp(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rule", required_argument, NULL, 'r'},
	    {"rules", required_argument, NULL, 'R'},
	    {"no-default-rules", no_argument, NULL, 'N'},
	    {"policy", required_argument, NULL, 'p'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"accept-whole-syscall-block", no_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct source src = {0};
	enum ng_sc_format fmt = NG_SC_FMT_OCI;
	const char *out = NULL;
	struct ng_sc_filter f;
	struct ng_sc_arches arches;
	struct ng_buf b = {0};
	struct ng_sc_program prog = {0};
	size_t *order = NULL;
	char err[512];
	int c, r;

	if (argc < 2) {
		fprintf(stderr, "numaguard seccomp: missing subcommand; see 'numaguard seccomp "
				"--help'\n");
		return NG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		generate_help(stdout);
		return NG_EXIT_OK;
	}
	if (strcmp(argv[1], "generate") != 0) {
		fprintf(stderr, "numaguard seccomp: unknown subcommand '%s' (only 'generate')\n",
			argv[1]);
		return NG_EXIT_USAGE;
	}
	argc--, argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'R':
		case 'N':
		case 'p':
			if (source_opt(&src, c, "seccomp generate"))
				return NG_EXIT_USAGE;
			break;
		case 'f':
			if (strcmp(optarg, "oci") == 0)
				fmt = NG_SC_FMT_OCI;
			else if (strcmp(optarg, "bpf") == 0)
				fmt = NG_SC_FMT_BPF;
			else if (strcmp(optarg, "pfc") == 0)
				fmt = NG_SC_FMT_PFC;
			else if (strcmp(optarg, "systemd") == 0)
				fmt = NG_SC_FMT_SYSTEMD;
			else {
				fprintf(stderr,
					"numaguard seccomp: unknown format '%s' (oci, bpf, "
					"pfc, systemd)\n",
					optarg);
				return NG_EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'A':
			src.accept_whole = true;
			break;
		case 'h':
			generate_help(stdout);
			return NG_EXIT_OK;
		default:
			fprintf(stderr, "see 'numaguard seccomp --help'\n");
			return NG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "numaguard seccomp: unexpected argument '%s'\n", argv[optind]);
		return NG_EXIT_USAGE;
	}
	if (fmt == NG_SC_FMT_SYSTEMD && !src.accept_whole) {
		fprintf(
		    stderr,
		    "numaguard seccomp: SystemCallFilter= cannot test arguments, so the systemd "
		    "form blocks EVERY set_mempolicy call; pass --accept-whole-syscall-block to "
		    "accept that, or run the service under 'numaguard exec' for the precise "
		    "filter\n");
		return NG_EXIT_USAGE;
	}
	r = load_source("seccomp", &src, &f);
	if (r != NG_EXIT_OK)
		return r;
	ng_sc_host_arches(&arches);
	print_notes("seccomp", &f, &arches, fmt == NG_SC_FMT_BPF || fmt == NG_SC_FMT_PFC);
	if (fmt != NG_SC_FMT_SYSTEMD && whole_block_refused("seccomp", &src, &f)) {
		r = NG_EXIT_USAGE;
		goto out;
	}
	if (fmt == NG_SC_FMT_OCI && ng_sc_filter_abi_sensitive(&f))
		fprintf(stderr,
			"numaguard seccomp: note: the runtime compiles an OCI profile for all "
			"ABIs at once; its maxnode/mode_raw tests are exact on x86_64 only "
			"(x32 and i386 see the low 32 bits); use --format bpf or numaguard exec "
			"for per-ABI filters\n");
	switch (fmt) {
	case NG_SC_FMT_BPF:
	case NG_SC_FMT_PFC:
		r = ng_sc_build_program(&f, &arches, &prog, err, sizeof(err));
		if (r < 0)
			break;
		if (prog.parts > 1)
			fprintf(stderr,
				"numaguard seccomp: note: libseccomp %d.%d compiles these clauses "
				"wrongly as one filter, so the program chains %u filters of one "
				"clause each (checked like any other)\n",
				SCMP_VER_MAJOR, SCMP_VER_MINOR, prog.parts);
		if (fmt == NG_SC_FMT_BPF)
			ng_buf_put(&b, prog.insns, prog.n * sizeof(*prog.insns));
		else
			ng_buf_put(&b, prog.pfc.data, prog.pfc.len);
		r = ng_buf_ok(&b) ? 0 : -ENOMEM;
		if (r < 0)
			snprintf(err, sizeof(err), "out of memory");
		break;
	case NG_SC_FMT_OCI:
		/* The runtime compiles the profile: check what its libseccomp makes of it. */
		order = calloc(f.nclauses, sizeof(*order));
		r = order ? ng_sc_oci_order(&f, &arches, order, err, sizeof(err)) : -ENOMEM;
		if (r == 0)
			r = ng_sc_write_oci(&f, &arches, order, &b);
		if (r == -ENOMEM)
			snprintf(err, sizeof(err), "out of memory");
		break;
	case NG_SC_FMT_SYSTEMD:
		r = ng_sc_write_systemd(&f, &arches, &b);
		if (r < 0)
			snprintf(err, sizeof(err), "out of memory");
		break;
	}
	if (r < 0) {
		fprintf(stderr, "numaguard seccomp: cannot generate the filter for '%s': %s\n",
			f.name, err);
		r = NG_EXIT_RUNTIME;
		goto out;
	}
	r = write_out(out, &b, fmt == NG_SC_FMT_BPF);
out:
	free(order);
	ng_sc_program_free(&prog);
	ng_buf_free(&b);
	ng_sc_filter_free(&f);
	return r;
}

static void exec_help(FILE *out)
{
	fprintf(out,
		"Usage: numaguard exec (--rule ID [--rules PATH]... [--no-default-rules]\n"
		"                       | --policy FILE) [--accept-whole-syscall-block] -- CMD "
		"[ARG]...\n\n"
		"Run CMD under the seccomp filter of a rule or policy: set no_new_privs, load\n"
		"the filter (it is inherited by every child and survives execve), then execute\n"
		"CMD. The exit status is CMD's; 127 when CMD cannot be executed.\n\n"
		"Example:\n"
		"  numaguard exec --policy policies/deny-bind.yaml -- numactl --membind=0 true\n");
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rule", required_argument, NULL, 'r'},
	    {"rules", required_argument, NULL, 'R'},
	    {"no-default-rules", no_argument, NULL, 'N'},
	    {"policy", required_argument, NULL, 'p'},
	    {"accept-whole-syscall-block", no_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct source src = {0};
	struct ng_sc_filter f;
	struct ng_sc_arches arches;
	struct ng_sc_program prog;
	char err[512];
	int c, r;

	optind = 1;
	/* '+': stop at the first non-option, so CMD's own options are left alone. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'R':
		case 'N':
		case 'p':
			if (source_opt(&src, c, "exec"))
				return NG_EXIT_USAGE;
			break;
		case 'A':
			src.accept_whole = true;
			break;
		case 'h':
			exec_help(stdout);
			return NG_EXIT_OK;
		default:
			fprintf(stderr, "see 'numaguard exec --help'\n");
			return NG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "numaguard exec: no command given; usage: numaguard exec --policy "
				"FILE -- CMD [ARG]...\n");
		return NG_EXIT_USAGE;
	}
	r = load_source("exec", &src, &f);
	if (r != NG_EXIT_OK)
		return r;
	ng_sc_host_arches(&arches);
	if (f.broadened)
		print_notes("exec", &f, &arches, false);
	if (whole_block_refused("exec", &src, &f)) {
		ng_sc_filter_free(&f);
		return NG_EXIT_USAGE;
	}
	r = ng_sc_build_program(&f, &arches, &prog, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "numaguard exec: cannot build the filter for '%s': %s\n", f.name,
			err);
		ng_sc_filter_free(&f);
		return NG_EXIT_RUNTIME;
	}
	ng_sc_filter_free(&f);
	/* no_new_privs also keeps a setuid CMD from shedding the filter. */
	r = ng_sc_program_load(&prog);
	ng_sc_program_free(&prog);
	if (r < 0) {
		fprintf(stderr,
			"numaguard exec: cannot install the seccomp filter: %s (is "
			"CONFIG_SECCOMP_FILTER enabled?)\n",
			strerror(-r));
		return NG_EXIT_RUNTIME;
	}
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "numaguard exec: cannot execute '%s': %s\n", argv[optind], strerror(errno));
	return 127;
}
