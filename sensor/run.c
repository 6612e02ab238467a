// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * numaguard run: the sensor's main loop.
 *
 *   capture (ring buffer, batched) → decode → enrich → rules → sinks
 *
 * Records arrive without per-event wakeups; the loop wakes every
 * BATCH_MS (or early when the BPF side forces a wakeup because the buffer is
 * filling) and consumes everything queued. Signals arrive through a
 * signalfd so they are handled between batches, never inside one.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "config.h"
#include "decode.h"
#include "enrich.h"
#include "privs.h"
#include "trust.h"
#include "rules/engine.h"
#include "seccomp/kill.h"
#include "sinks/sinks.h"

#define BATCH_MS 20
#define MAX_LIST 64

struct run_opts {
	const char *rules[MAX_LIST];
	size_t nrules;
	bool no_default_rules;
	enum ng_attach_req attach;
	const char *outputs[MAX_LIST];
	size_t noutputs;
	int format; /* -1: unset */
	bool all_events;
	double duration; /* seconds; 0: until stopped */
	bool enforce;
	const char *config;
	double stats_interval; /* seconds; 0: only at exit */
	bool allow_untrusted;  /* accept rule/config files others can change (development) */
};

struct run_state {
	struct ng_engine *eng;
	struct ng_sinks *sinks;
	struct ng_enricher *enr;
	bool all_events;
	bool enforce;
	int64_t boot_off;
	uint64_t received;
	uint64_t decode_errors;
	uint64_t kills;
	bool ignore_backlog; /* an event output stayed backlogged too long: stop waiting for it */
	struct ng_event ev;  /* reused: decoding never allocates */
};

static void run_help(FILE *f)
{
	fprintf(f,
		"Usage: numaguard run [OPTIONS]\n\n"
		"Capture every set_mempolicy(2) call on the host, evaluate the rules and emit alerts.\n\n"
		"  --rules PATH            load a rule file after the embedded defaults (repeatable)\n"
		"  --no-default-rules      do not load the embedded rules\n"
		"  --attach auto|kretprobe|fexit|tracepoint|raw\n"
		"                          capture path (default auto: the most coverage the kernel\n"
		"                          allows at the least cost to other syscalls; see 'numaguard probe')\n"
		"  --output SPEC           stdout, file:PATH, syslog, syslog+udp://HOST:PORT,\n"
		"                          syslog+tcp://HOST:PORT, cef+udp://…, cef+tcp://… (repeatable)\n"
		"  --format json|text      format for stdout and file outputs (default json)\n"
		"  --all-events            also write every captured event as a JSON line\n"
		"  --duration SECONDS      stop after SECONDS, flushing every captured event\n"
		"  --enforce               carry out rule actions (kill); without it alerts say\n"
		"                          \"would kill\"\n"
		"  --config FILE           YAML settings; command-line options override them\n"
		"  --stats-interval SECONDS  print a stats line every SECONDS (always at exit)\n"
		"  --allow-untrusted-files  accept rule and config files that users other than root\n"
		"                          can change (development only)\n\n"
		"Signals: SIGINT/SIGTERM stop cleanly; SIGHUP reloads the rules (a broken set keeps\n"
		"the running one) and reopens output files.\n\n"
		"Examples:\n"
		"  numaguard run\n"
		"  numaguard run --all-events --output file:/var/log/numaguard.json --duration 60\n"
		"  numaguard run --rules /etc/numaguard/local.yaml --output syslog+tcp://127.0.0.1:514\n");
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e9)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_attach(const char *s, enum ng_attach_req *out)
{
	static const char *const names[] = { "auto", "kretprobe", "fexit", "tracepoint", "raw" };
	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum ng_attach_req)i;
			return 0;
		}
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	enum { O_RULES = 256, O_NODEF, O_ATTACH, O_OUTPUT, O_FORMAT, O_ALL, O_DURATION, O_ENFORCE,
	       O_CONFIG, O_STATS, O_UNTRUSTED };
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, O_RULES },
		{ "no-default-rules", no_argument, NULL, O_NODEF },
		{ "attach", required_argument, NULL, O_ATTACH },
		{ "output", required_argument, NULL, O_OUTPUT },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "all-events", no_argument, NULL, O_ALL },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "enforce", no_argument, NULL, O_ENFORCE },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "stats-interval", required_argument, NULL, O_STATS },
		{ "allow-untrusted-files", no_argument, NULL, O_UNTRUSTED },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_RULES:
			if (o->nrules == MAX_LIST)
				goto too_many;
			o->rules[o->nrules++] = optarg;
			break;
		case O_NODEF:
			o->no_default_rules = true;
			break;
		case O_ATTACH:
			if (parse_attach(optarg, &o->attach)) {
				fprintf(stderr, "numaguard run: --attach '%s': expected auto, kretprobe, "
						"fexit, tracepoint or raw\n", optarg);
				return -EINVAL;
			}
			break;
		case O_OUTPUT:
			if (o->noutputs == MAX_LIST)
				goto too_many;
			o->outputs[o->noutputs++] = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") == 0)
				o->format = NG_FORMAT_JSON;
			else if (strcmp(optarg, "text") == 0)
				o->format = NG_FORMAT_TEXT;
			else {
				fprintf(stderr, "numaguard run: --format '%s': expected json or text\n",
					optarg);
				return -EINVAL;
			}
			break;
		case O_ALL:
			o->all_events = true;
			break;
		case O_DURATION:
			if (parse_seconds(optarg, &o->duration) || o->duration == 0) {
				fprintf(stderr, "numaguard run: --duration '%s': expected a positive "
						"number of seconds\n", optarg);
				return -EINVAL;
			}
			break;
		case O_ENFORCE:
			o->enforce = true;
			break;
		case O_CONFIG:
			o->config = optarg;
			break;
		case O_STATS:
			if (parse_seconds(optarg, &o->stats_interval) || o->stats_interval == 0) {
				fprintf(stderr, "numaguard run: --stats-interval '%s': expected a "
						"positive number of seconds\n", optarg);
				return -EINVAL;
			}
			break;
		case O_UNTRUSTED:
			o->allow_untrusted = true;
			break;
		case 'h':
			run_help(stdout);
			return 1;
		default:
			fprintf(stderr, "numaguard run: see 'numaguard run --help'\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "numaguard run: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
too_many:
	fprintf(stderr, "numaguard run: at most %d --rules and %d --output options\n", MAX_LIST,
		MAX_LIST);
	return -EINVAL;
}

/* Fill what the command line left unset from the config file. */
static void merge_config(struct run_opts *o, const struct ng_config *cfg)
{
	if (o->nrules == 0)
		for (size_t i = 0; i < cfg->nrules && o->nrules < MAX_LIST; i++)
			o->rules[o->nrules++] = cfg->rules[i];
	if (o->noutputs == 0)
		for (size_t i = 0; i < cfg->noutputs && o->noutputs < MAX_LIST; i++)
			o->outputs[o->noutputs++] = cfg->outputs[i];
	if (o->format < 0 && cfg->format >= 0)
		o->format = cfg->format;
	if (!o->no_default_rules && cfg->no_default_rules > 0)
		o->no_default_rules = true;
	if (!o->all_events && cfg->all_events > 0)
		o->all_events = true;
	if (!o->enforce && cfg->enforce > 0)
		o->enforce = true;
	if (o->stats_interval == 0 && cfg->stats_interval > 0)
		o->stats_interval = cfg->stats_interval;
}

static void on_alert(const struct ng_alert *a, void *ctx)
{
	struct run_state *st = ctx;
	struct ng_alert copy = *a;

	if (a->kill_requested) {
		copy.action = st->enforce ? ng_enforce_kill(a->evt) : NG_ACTION_WOULD_KILL;
		st->kills += copy.action == NG_ACTION_KILLED;
	}
	ng_sinks_emit_alert(st->sinks, &copy);
}

static int on_record(const void *data, size_t len, void *ctx)
{
	struct run_state *st = ctx;

	if (ng_decode(data, len, st->boot_off, &st->ev) != 0) {
		st->decode_errors++;
		return 0;
	}
	st->received++;
	ng_enrich(st->enr, &st->ev);
	if (st->all_events)
		ng_sinks_emit_event(st->sinks, &st->ev);
	ng_engine_eval(st->eng, &st->ev, on_alert, st);
	/*
	 * Backpressure: when an event output falls behind, stop taking records
	 * and let them wait in the ring buffer (checked every 64 records: the
	 * check takes a lock per output).
	 */
	if (st->all_events && !st->ignore_backlog && (st->received & 63) == 0 &&
	    ng_sinks_event_backlog(st->sinks))
		return -EAGAIN;
	return 0;
}

/*
 * Consume what is queued, waiting for a backlogged event output at most
 * BACKLOG_MAX_S at a time: a stuck output must not stall capture and alerts,
 * so past that its queue takes the records (and drops, counted) instead.
 */
#define BACKLOG_MAX_S 5.0

static double now_mono(void);

static void consume(struct ng_capture *cap, struct run_state *st, bool until_empty)
{
	double since = 0;
	for (;;) {
		int r = ng_capture_consume(cap);
		if (r != -EAGAIN) {
			st->ignore_backlog = false;
			if (!until_empty || r <= 0)
				return;
			continue;
		}
		double now = now_mono();
		if (!since)
			since = now;
		if (now - since > BACKLOG_MAX_S)
			st->ignore_backlog = true;
		else
			usleep(1000);
	}
}

static void print_stats(struct ng_capture *cap, struct run_state *st, bool final)
{
	uint64_t cnt[NG_CNT__MAX] = { 0 };
	struct ng_engine_stats es;

	ng_capture_counters(cap, cnt);
	ng_engine_get_stats(st->eng, &es);
	fprintf(stderr,
		"numaguard: stats%s: events=%llu captured=%llu lost_ringbuf_full=%llu "
		"entry_state_full=%llu nodes_unreadable=%llu blocked=%llu entry_missed=%llu "
		"decode_errors=%llu alerts=%llu suppressed=%llu kills=%llu\n",
		final ? " (final)" : "", (unsigned long long)st->received,
		(unsigned long long)cnt[NG_CNT_EVENTS], (unsigned long long)cnt[NG_CNT_RB_FULL],
		(unsigned long long)cnt[NG_CNT_INFLIGHT_FULL],
		(unsigned long long)cnt[NG_CNT_NODES_FAULT], (unsigned long long)cnt[NG_CNT_BLOCKED],
		(unsigned long long)cnt[NG_CNT_ENTRY_MISSED], (unsigned long long)st->decode_errors,
		(unsigned long long)es.alerts, (unsigned long long)es.suppressed,
		(unsigned long long)st->kills);
	ng_sinks_print_stats(st->sinks, stderr);
	fflush(stderr);
}

static void log_coverage(struct ng_capture *cap)
{
	struct ng_coverage cov;
	enum ng_path p = ng_capture_path(cap);
	enum ng_denied_hook h = ng_capture_denied_hook(cap);
	ng_path_coverage(p, h, &cov);
	fprintf(stderr,
		"numaguard: capturing set_mempolicy with %s%s: native calls %s, 32-bit compat "
		"calls %s, calls denied by seccomp %s; %s\n",
		ng_path_name(p),
		h == NG_DENIED_EXIT_TP ? " + exit tracepoint" :
		h == NG_DENIED_SECCOMP ? " + fexit on __secure_computing" : "",
		cov.native ? "seen" : "NOT seen", cov.compat ? "seen" : "NOT seen (use --attach raw)",
		cov.denied ? (cov.denied_compat ? "seen (all ABIs)" : "seen (native ABI)") : "NOT seen",
		ng_cost_text(cov.cost));
}

/* Rule and config files must be root's alone, unless the user said otherwise. */
static int check_files(const struct run_opts *o, const char *config)
{
	char err[512];
	if (o->allow_untrusted)
		return 0;
	if (config && ng_check_trusted_file(config, err, sizeof(err))) {
		fprintf(stderr, "numaguard run: refusing the config file: %s\n", err);
		return -EPERM;
	}
	for (size_t i = 0; i < o->nrules; i++) {
		if (ng_check_trusted_file(o->rules[i], err, sizeof(err))) {
			fprintf(stderr, "numaguard run: refusing a rule file: %s\n", err);
			return -EPERM;
		}
	}
	return 0;
}

/* Swap in a freshly loaded rule set; a broken one keeps the running set. */
static void reload_rules(struct run_state *st, const struct ng_engine_opts *eo,
			 const struct run_opts *o)
{
	struct ng_engine *neng;
	if (check_files(o, NULL)) {
		fprintf(stderr, "numaguard: SIGHUP: keeping the running rules\n");
		return;
	}
	int r = ng_engine_load(&neng, eo);
	if (r) {
		fprintf(stderr, "numaguard: SIGHUP: the new rule set has errors (above); keeping the "
				"running rules\n");
		return;
	}
	/* Single-threaded: no event is being evaluated while we swap. */
	ng_engine_free(st->eng);
	st->eng = neng;
	fprintf(stderr, "numaguard: SIGHUP: rules reloaded\n");
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .format = -1 };
	struct run_state st = { 0 };
	struct ng_config cfg = { 0 };
	struct ng_capture *cap = NULL;
	char err[2048];
	int rc = NG_EXIT_RUNTIME, r;
	bool have_cfg = false;

	r = parse_args(argc, argv, &o);
	if (r)
		return r > 0 ? NG_EXIT_OK : NG_EXIT_USAGE;

	/*
	 * Block the stop and reload signals before any thread exists (the sink
	 * writers inherit the mask), so they are only ever taken from the
	 * signalfd by the loop, never delivered to a writer thread.
	 */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (check_files(&o, o.config)) {
		rc = NG_EXIT_USAGE;
		goto out_sig;
	}
	if (o.config) {
		if (ng_config_load(o.config, &cfg, err, sizeof(err))) {
			fprintf(stderr, "numaguard run: %s\n", err);
			rc = NG_EXIT_USAGE;
			goto out_sig;
		}
		have_cfg = true;
		merge_config(&o, &cfg);
	}

	/* Rule files named by the config file get the same check. */
	if (have_cfg && check_files(&o, NULL)) {
		rc = NG_EXIT_USAGE;
		goto out_sig;
	}

	/* Rules and outputs are validated before anything touches the kernel. */
	struct ng_engine_opts eo = {
		.paths = o.rules, .npaths = o.nrules, .no_defaults = o.no_default_rules, .diag = stderr,
	};
	if (ng_engine_load(&st.eng, &eo)) {
		fprintf(stderr, "numaguard run: the rules have errors; not starting\n");
		rc = NG_EXIT_USAGE;
		goto out_sig;
	}

	if (ng_bpf_preflight(err, sizeof(err))) {
		fprintf(stderr, "numaguard run: %s\n", err);
		goto out_sig;
	}

	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	struct ng_sinks_opts so = {
		.specs = o.outputs, .nspecs = o.noutputs,
		.format = o.format < 0 ? NG_FORMAT_JSON : (enum ng_format)o.format, .hostname = host,
	};
	if (have_cfg)
		ng_config_apply_sinks(&cfg, &so);
	r = ng_sinks_open(&st.sinks, &so, err, sizeof(err));
	if (r) {
		fprintf(stderr, "numaguard run: %s\n", err);
		rc = r == -EINVAL ? NG_EXIT_USAGE : NG_EXIT_RUNTIME;
		goto out_sig;
	}
	r = ng_enricher_new(&st.enr, NULL);
	if (r) {
		fprintf(stderr, "numaguard run: setting up enrichment from /proc failed: %s\n",
			strerror(-r));
		goto out_sig;
	}
	st.all_events = o.all_events;
	st.enforce = o.enforce;
	if (ng_engine_wants_kill(st.eng) && !o.enforce)
		fprintf(stderr, "numaguard: rules with actions: [kill] are loaded; without --enforce "
				"their alerts say \"would kill\"\n");


	double t0 = now_mono();
	struct ng_capture_opts co = { .attach = o.attach, .cb = on_record, .ctx = &st, .log = stderr };
	r = ng_capture_open(&cap, &co, err, sizeof(err));
	if (r) {
		fprintf(stderr, "numaguard run: %s\n", err);
		goto out_sig;
	}
	fprintf(stderr, "numaguard: attached in %.0f ms\n", (now_mono() - t0) * 1000);
	log_coverage(cap);

	/*
	 * Loading parsed the kernel's BTF (megabytes) for CO-RE relocations and
	 * freed it; hand that heap back to the system instead of carrying it as
	 * resident memory for the life of the sensor.
	 */
	malloc_trim(0);

	/* Everything privileged is done: BPF is loaded and attached, tracefs mounted, outputs open. */
	if (ng_drop_privileges(ng_run_capabilities(o.enforce), err, sizeof(err))) {
		fprintf(stderr, "numaguard run: %s\n", err);
		goto out_sig;
	}

	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ee = { .events = EPOLLIN };
	ee.data.fd = ng_capture_fd(cap);
	epoll_ctl(ep, EPOLL_CTL_ADD, ee.data.fd, &ee);
	ee.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ee);

	double deadline = o.duration > 0 ? now_mono() + o.duration : 0;
	double next_stats = o.stats_interval > 0 ? now_mono() + o.stats_interval : 0;
	bool stop = false;
	while (!stop) {
		struct epoll_event evs[2];
		int n = epoll_wait(ep, evs, 2, BATCH_MS);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "numaguard run: epoll_wait failed: %s\n", strerror(errno));
			break;
		}
		/* The clock can jump; refresh the boot→wall offset once per batch. */
		st.boot_off = ng_boot_to_realtime_offset();
		consume(cap, &st, false);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd != sfd)
				continue;
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload_rules(&st, &eo, &o);
					ng_sinks_reopen(st.sinks);
				} else {
					stop = true;
				}
			}
		}
		double now = now_mono();
		if (deadline && now >= deadline)
			stop = true;
		if (next_stats && now >= next_stats) {
			print_stats(cap, &st, false);
			next_stats = now + o.stats_interval;
		}
	}
	/*
	 * Detach first so nothing new arrives, then flush what is queued: every
	 * captured event is delivered before the final stats.
	 */
	ng_capture_detach(cap);
	st.boot_off = ng_boot_to_realtime_offset();
	consume(cap, &st, true);
	ng_sinks_drain(st.sinks, 5000);
	print_stats(cap, &st, true);
	close(ep);
	rc = NG_EXIT_OK;
out_sig:
	ng_capture_close(cap);
	if (st.sinks)
		ng_sinks_close(st.sinks);
	ng_enricher_free(st.enr);
	ng_engine_free(st.eng);
	if (have_cfg)
		ng_config_free(&cfg);
	if (sfd >= 0)
		close(sfd);
	pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
	return rc;
}
