// SPDX-License-Identifier: LGPL-2.1-or-later
/* Text outputs written from the filter itself: OCI runtime-spec JSON and a systemd drop-in. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "filter.h"
#include "json.h"

static const char *oci_action(const struct ng_sc_filter *f)
{
	switch (f->action) {
	case NG_SC_ACT_KILL:
		return "SCMP_ACT_KILL_PROCESS";
	case NG_SC_ACT_LOG:
		return "SCMP_ACT_LOG";
	case NG_SC_ACT_ERRNO:
	default:
		return "SCMP_ACT_ERRNO";
	}
}

/* The notes as one string, lines joined by "; ", for a JSON comment. */
static void notes_joined(const struct ng_sc_filter *f, struct ng_buf *out)
{
	const char *s = f->notes.len ? f->notes.data : "";

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		if (out->len)
			ng_buf_puts(out, "; ");
		ng_buf_put(out, s, n);
		s += n + (nl ? 1 : 0);
	}
}

int ng_sc_write_oci(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
		    const size_t *order, struct ng_buf *b)
{
	struct ng_buf comment = {0};

	ng_buf_puts(b, "{\n\t\"defaultAction\": \"SCMP_ACT_ALLOW\",\n\t\"architectures\": [");
	for (unsigned i = 0; i < arches->n; i++) {
		const char *a = ng_sc_arch_oci(arches->arch[i]);

		if (!a) {
			ng_buf_free(&comment);
			return -EINVAL;
		}
		ng_buf_printf(b, "%s\"%s\"", i ? ", " : "", a);
	}
	ng_buf_puts(b, "],\n\t\"syscalls\": [");
	/*
	 * The comment key is the Docker/moby profile extension; runc and crun
	 * ignore it. It carries where the profile came from and what it cannot test.
	 */
	ng_buf_printf(&comment, "numaguard: %s", f->name);
	if (f->broadened) {
		ng_buf_puts(&comment, "; blocks MORE calls than its source matches, because these "
				      "parts cannot be tested by seccomp and were taken as true: ");
		struct ng_buf n = {0};

		notes_joined(f, &n);
		ng_buf_put(&comment, n.data ? n.data : "", n.len);
		ng_buf_free(&n);
	}
	if (ng_sc_filter_abi_sensitive(f))
		ng_buf_puts(&comment,
			    "; on x32 and i386 the runtime's libseccomp compares only the low "
			    "32 bits of maxnode/mode_raw, so those tests are exact on x86_64 "
			    "only (the BPF and exec forms handle each ABI)");
	for (size_t i = 0; i < f->nclauses; i++) {
		const struct ng_sc_clause *c = &f->clauses[order ? order[i] : i];

		ng_buf_printf(b, "%s\n\t\t{\n\t\t\t\"names\": [", i ? "," : "");
		ng_json_str(b, f->syscall);
		ng_buf_printf(b, "],\n\t\t\t\"action\": \"%s\",\n", oci_action(f));
		if (f->action == NG_SC_ACT_ERRNO)
			ng_buf_printf(b, "\t\t\t\"errnoRet\": %d,\n", f->errno_val);
		if (i == 0) {
			ng_buf_puts(b, "\t\t\t\"comment\": ");
			ng_json_strn(b, comment.data ? comment.data : "", comment.len);
			ng_buf_puts(b, ",\n");
		}
		ng_buf_puts(b, "\t\t\t\"args\": [");
		for (unsigned j = 0; j < c->ncmp; j++) {
			const struct ng_sc_cmp *x = &c->cmp[j];

			/* MASKED_EQ: value is the mask, valueTwo the datum (runtime-spec). */
			ng_buf_printf(
			    b,
			    "%s\n\t\t\t\t{ \"index\": %u, \"value\": %" PRIu64
			    ", \"valueTwo\": %" PRIu64 ", \"op\": \"%s\" }",
			    j ? "," : "", x->arg, x->op == SCMP_CMP_MASKED_EQ ? x->mask : x->datum,
			    x->op == SCMP_CMP_MASKED_EQ ? x->datum : 0, ng_sc_op_oci(x->op));
		}
		ng_buf_puts(b, c->ncmp ? "\n\t\t\t]\n\t\t}" : "]\n\t\t}");
	}
	ng_buf_puts(b, "\n\t]\n}\n");
	ng_buf_free(&comment);
	return ng_buf_ok(b) ? 0 : -ENOMEM;
}

/* Describe a clause for a comment: "mode & 0xffff1fff == 0x2 and maxnode > 1024". */
static void clause_text(const struct ng_sc_clause *c, struct ng_buf *b)
{
	static const char *const argname[] = {"arg0 (mode)", "arg1 (nmask)", "arg2 (maxnode)",
					      "arg3",	     "arg4",	     "arg5"};
	static const char *const opname[] = {
	    [SCMP_CMP_NE] = "!=", [SCMP_CMP_LT] = "<",	[SCMP_CMP_LE] = "<=",
	    [SCMP_CMP_EQ] = "==", [SCMP_CMP_GE] = ">=", [SCMP_CMP_GT] = ">"};

	if (c->ncmp == 0)
		ng_buf_puts(b, "every call");
	for (unsigned j = 0; j < c->ncmp; j++) {
		const struct ng_sc_cmp *x = &c->cmp[j];

		if (j)
			ng_buf_puts(b, " and ");
		if (x->op == SCMP_CMP_MASKED_EQ)
			ng_buf_printf(b, "%s & 0x%" PRIx64 " == 0x%" PRIx64, argname[x->arg],
				      x->mask, x->datum);
		else
			ng_buf_printf(b, "%s %s %" PRIu64, argname[x->arg], opname[x->op],
				      x->datum);
	}
}

/* A name inside a comment line: control bytes would end the comment and start a directive. */
static void put_comment_safe(struct ng_buf *b, const char *s)
{
	for (; *s; s++)
		ng_buf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

int ng_sc_write_systemd(const struct ng_sc_filter *f, const struct ng_sc_arches *arches,
			struct ng_buf *b)
{
	ng_buf_puts(b, "# numaguard: ");
	put_comment_safe(b, f->name);
	ng_buf_printf(b,
		      "\n"
		      "#\n"
		      "# WARNING: SystemCallFilter= cannot test system call arguments, so this\n"
		      "# drop-in blocks EVERY %s call of the service, not only the ones the\n"
		      "# source selects, which are:\n",
		      f->syscall);
	for (size_t i = 0; i < f->nclauses && i < 32; i++) {
		ng_buf_puts(b, "#   ");
		clause_text(&f->clauses[i], b);
		ng_buf_putc(b, '\n');
	}
	if (f->nclauses > 32)
		ng_buf_printf(b, "#   … and %zu more\n", f->nclauses - 32);
	ng_buf_puts(b,
		    "#\n"
		    "# For the precise filter, run the service under numaguard exec instead\n"
		    "# of this drop-in (it installs the argument-level seccomp filter, sets\n"
		    "# no_new_privs and then executes the service):\n"
		    "#   [Service]\n"
		    "#   ExecStart=\n"
		    "#   ExecStart=/usr/sbin/numaguard exec --policy /etc/numaguard/POLICY.yaml -- "
		    "/usr/bin/SERVICE ARGS\n"
		    "#\n"
		    "# systemd installs the filter for every ABI it knows on this host");
	for (unsigned i = 0; i < arches->n; i++)
		ng_buf_printf(b, "%s%s", i ? ", " : " (", ng_sc_arch_name(arches->arch[i]));
	ng_buf_puts(b, arches->n ? ").\n" : ".\n");
	ng_buf_puts(b, "[Service]\n");
	switch (f->action) {
	case NG_SC_ACT_ERRNO: {
		const char *e = ng_sc_errno_name(f->errno_val);

		if (e)
			ng_buf_printf(b, "SystemCallFilter=~%s:%s\n", f->syscall, e);
		else
			ng_buf_printf(b, "SystemCallFilter=~%s:%d\n", f->syscall, f->errno_val);
		break;
	}
	case NG_SC_ACT_KILL:
		/* A deny-list entry without an errno kills the process (SIGSYS). */
		ng_buf_printf(b, "SystemCallFilter=~%s\n", f->syscall);
		break;
	case NG_SC_ACT_LOG:
		ng_buf_printf(b, "SystemCallLog=%s\n", f->syscall);
		break;
	}
	return ng_buf_ok(b) ? 0 : -ENOMEM;
}
