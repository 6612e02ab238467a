// SPDX-License-Identifier: LGPL-2.1-or-later
/* numaguard probe: what this kernel offers, and what each capture path sees here. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "buf.h"
#include "capture.h"
#include "commands.h"
#include "json.h"

struct feature {
	const char *name;
	bool ok;
	char detail[512];
};

static void probe_help(FILE *f)
{
	fprintf(f, "Usage: numaguard probe [--json]\n\n"
		   "Report the kernel's BPF features and, for each capture path (kretprobe,\n"
		   "kretprobe-wrapper, fexit, tracepoint, raw), whether it loads and attaches here,\n"
		   "the kernel's reason when not, and which calls it can see. Exit 0 when some\n"
		   "path works, 2 when none does.\n\n"
		   "  --json   one JSON document instead of text\n");
}

static bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static void read_lsm(struct feature *f)
{
	FILE *fp = fopen("/sys/kernel/security/lsm", "re");
	char buf[256] = "";
	f->name = "bpf_lsm";
	if (!fp) {
		snprintf(f->detail, sizeof(f->detail),
			 "unknown: /sys/kernel/security/lsm unreadable (securityfs not mounted?)");
		return;
	}
	if (!fgets(buf, sizeof(buf), fp))
		buf[0] = '\0';
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	f->ok = strstr(buf, "bpf") != NULL;
	snprintf(f->detail, sizeof(f->detail), "active LSMs: %s%s", buf,
		 f->ok ? "" : " (no bpf: set lsm=...,bpf on the kernel command line)");
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			probe_help(stdout);
			return NG_EXIT_OK;
		default:
			probe_help(stderr);
			return NG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "numaguard probe: unexpected argument '%s'\n", argv[optind]);
		return NG_EXIT_USAGE;
	}

	char err[512];
	if (ng_bpf_preflight(err, sizeof(err)) != 0) {
		fprintf(stderr, "numaguard probe: %s\n", err);
		return NG_EXIT_RUNTIME;
	}

	struct utsname u;
	uname(&u);
	struct feature feat[6] = { 0 };
	feat[0].name = "btf";
	feat[0].ok = file_exists("/sys/kernel/btf/vmlinux");
	snprintf(feat[0].detail, sizeof(feat[0].detail), "%s",
		 feat[0].ok ? "/sys/kernel/btf/vmlinux" : "no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF off)");
	feat[1].name = "ringbuf";
	feat[1].ok = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	snprintf(feat[1].detail, sizeof(feat[1].detail), "%s",
		 feat[1].ok ? "BPF_MAP_TYPE_RINGBUF" : "no BPF ring buffer (Linux < 5.8)");
	feat[2].name = "tracefs";
	feat[2].ok = ng_tracefs_ensure(feat[2].detail, sizeof(feat[2].detail)) == 0;
	if (feat[2].ok)
		snprintf(feat[2].detail, sizeof(feat[2].detail), "%s",
			 file_exists("/sys/kernel/tracing/events") ? "/sys/kernel/tracing"
								   : "/sys/kernel/debug/tracing");
	feat[3].name = "kprobes";
	feat[3].ok = file_exists("/sys/bus/event_source/devices/kprobe/type") ||
		     file_exists("/sys/kernel/tracing/kprobe_events");
	snprintf(feat[3].detail, sizeof(feat[3].detail), "%s",
		 feat[3].ok ? "kprobe PMU or kprobe_events present"
			    : "no kprobe PMU and no kprobe_events (CONFIG_KPROBES off)");
	read_lsm(&feat[4]);

	struct {
		enum ng_path path;
		int rc;
		char why[512];
		struct ng_coverage cov;
	} paths[NG_PATH__COUNT];
	int first_ok = -1;
	for (int p = 0; p < NG_PATH__COUNT; p++) {
		paths[p].path = p;
		enum ng_denied_hook hook;
		paths[p].rc = ng_capture_try(p, &hook, paths[p].why, sizeof(paths[p].why));
		/* Coverage as it applies here when the path works, as designed when it does not. */
		ng_path_coverage(p, hook, &paths[p].cov);
		if (paths[p].rc == 0 && first_ok < 0)
			first_ok = p;
	}
	/* fentry support is exactly whether the fexit path loads and attaches. */
	feat[5].name = "fentry";
	feat[5].ok = paths[NG_PATH_FEXIT].rc == 0;
	snprintf(feat[5].detail, sizeof(feat[5].detail), "%s",
		 feat[5].ok ? "fentry/fexit programs load and attach" : paths[NG_PATH_FEXIT].why);

	if (json) {
		struct ng_buf b = { 0 };
		ng_buf_puts(&b, "{\"kernel\":{\"release\":");
		ng_json_str(&b, u.release);
		ng_buf_puts(&b, ",\"machine\":");
		ng_json_str(&b, u.machine);
		ng_buf_puts(&b, "},\"features\":{");
		for (int i = 0; i < 6; i++) {
			ng_buf_printf(&b, "%s\"%s\":{\"available\":%s,\"detail\":", i ? "," : "",
				      feat[i].name, feat[i].ok ? "true" : "false");
			ng_json_str(&b, feat[i].detail);
			ng_buf_putc(&b, '}');
		}
		ng_buf_puts(&b, "},\"paths\":[");
		for (int p = 0; p < NG_PATH__COUNT; p++) {
			const struct ng_coverage *cv = &paths[p].cov;
			ng_buf_printf(&b, "%s{\"name\":\"%s\",\"available\":%s,\"reason\":", p ? "," : "",
				      ng_path_name(p), paths[p].rc == 0 ? "true" : "false");
			if (paths[p].rc == 0 && !paths[p].why[0])
				ng_buf_puts(&b, "null");
			else
				ng_json_str(&b, paths[p].why);
			ng_buf_printf(&b,
				      ",\"coverage\":{\"native\":%s,\"compat\":%s,\"denied\":%s,"
				      "\"denied_compat\":%s,\"syswide_cost\":%s,\"cost\":\"%s\"}}",
				      cv->native ? "true" : "false", cv->compat ? "true" : "false",
				      cv->denied ? "true" : "false", cv->denied_compat ? "true" : "false",
				      cv->cost >= NG_COST_SLOWPATH ? "true" : "false",
				      ng_cost_text(cv->cost));
		}
		ng_buf_puts(&b, "],\"auto\":");
		if (first_ok >= 0)
			ng_buf_printf(&b, "\"%s\"", ng_path_name(first_ok));
		else
			ng_buf_puts(&b, "null");
		ng_buf_puts(&b, "}\n");
		fputs(ng_buf_cstr(&b), stdout);
		ng_buf_free(&b);
	} else {
		printf("kernel:  %s %s\n", u.release, u.machine);
		for (int i = 0; i < 6; i++)
			printf("%-8s %-3s  %s\n", feat[i].name, yesno(feat[i].ok), feat[i].detail);
		printf("\ncapture paths (coverage: native / compat ABI / denied by seccomp / denied compat):\n");
		for (int p = 0; p < NG_PATH__COUNT; p++) {
			const struct ng_coverage *cv = &paths[p].cov;
			printf("  %-18s %s\n", ng_path_name(p),
			       paths[p].rc == 0 ? "available" : "not available");
			if (paths[p].why[0])
				printf("      reason:   %s\n", paths[p].why);
			printf("      coverage: native %s, compat %s, denied %s, denied compat %s; %s\n",
			       yesno(cv->native), yesno(cv->compat), yesno(cv->denied), yesno(cv->denied_compat),
			       ng_cost_text(cv->cost));
		}
		if (first_ok >= 0)
			printf("\n--attach auto would use: %s\n", ng_path_name(first_ok));
		else
			printf("\nno capture path works on this kernel\n");
	}
	return first_ok >= 0 ? NG_EXIT_OK : NG_EXIT_RUNTIME;
}
