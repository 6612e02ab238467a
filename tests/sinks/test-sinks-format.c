// SPDX-License-Identifier: LGPL-2.1-or-later
/* Formatters and escapers of every output format, the queue, file sinks and the config file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "event_text.h"
#include "sinks/format.h"
#include "sinks/queue.h"
#include "sinks/sinks.h"

static const struct ng_fmt_ctx ctx = {.hostname = "host1", .facility = 10, .pid = 77};

static struct ng_event evt;
static const enum ng_field_id fields[] = {NG_F_PROC_NAME, NG_F_PROC_PID, NG_F_CONTAINER_ID,
					  NG_F_MPOL_NODES};
static const char *const tags[] = {"numa", "t\"ag"};

static struct ng_alert make_alert(const char *output)
{
	memset(&evt, 0, sizeof(evt));
	evt.time_ns = 1795832519123456789ull;
	strcpy(evt.name, "a\"b]c|d=e");
	evt.pid = 42;
	ng_nodes_set(&evt.nodes, 0);
	ng_nodes_set(&evt.nodes, 3);
	ng_event_set(&evt, NG_F_PROC_NAME);
	ng_event_set(&evt, NG_F_PROC_PID);
	ng_event_set(&evt, NG_F_MPOL_NODES);
	return (struct ng_alert){
	    .seq = 9,
	    .time_ns = evt.time_ns,
	    .source = "numaguard",
	    .rule = "R|1",
	    .rule_id = "NG-0001",
	    .rule_version = 2,
	    .priority = NG_PRIO_WARNING,
	    .tags = tags,
	    .ntags = 2,
	    .output = output,
	    .evt = &evt,
	    .fields = fields,
	    .nfields = 4,
	};
}

static void alert_json_shape(void **state)
{
	struct ng_alert a = make_alert("out\n\"x\"");
	a.suppressed = 3;
	a.action = NG_ACTION_WOULD_KILL;
	struct ng_buf b = {0};
	ng_fmt_alert_json(&b, &a, &ctx);
	assert_string_equal(
	    ng_buf_cstr(&b),
	    "{\"time\":\"2026-11-28T02:21:59.123456789Z\",\"rule\":\"R|1\",\"rule_id\":"
	    "\"NG-0001\",\"rule_version\":2,\"priority\":\"Warning\",\"output\":"
	    "\"out\\u000a\\\"x\\\"\",\"output_fields\":{\"proc.name\":\"a\\\"b]c|d=e\","
	    "\"proc.pid\":42,\"container.id\":null,\"mpol.nodes\":[0,3]},\"tags\":[\"numa\","
	    "\"t\\\"ag\"],\"hostname\":\"host1\",\"source\":\"numaguard\",\"seq\":9,"
	    "\"suppressed\":3,\"action\":\"would kill\"}");
	ng_buf_free(&b);
}

static void alert_json_internal_extras(void **state)
{
	struct ng_alert a = {.seq = 1,
			     .source = "internal",
			     .rule = "numaguard internal: sink drops",
			     .rule_id = "",
			     .priority = NG_PRIO_ERROR,
			     .output = "x"};
	const struct ng_fmt_kv kv[] = {{"sink", "stdout"}, {"dropped_alerts", "5"}};
	struct ng_fmt_ctx c = ctx;
	c.extra = kv;
	c.nextra = 2;
	struct ng_buf b = {0};
	ng_fmt_alert_json(&b, &a, &c);
	assert_non_null(strstr(ng_buf_cstr(&b),
			       "\"output_fields\":{\"sink\":\"stdout\",\"dropped_alerts\":\"5\"}"));
	assert_non_null(strstr(b.data, "\"source\":\"internal\""));
	ng_buf_free(&b);
}

static void text_escape_is_one_line_and_reversible(void **state)
{
	struct ng_buf b = {0};
	const char in[] = "a\\b\nc\rd\te\x01\x7f\xff\xc3\xa9";
	ng_fmt_text_escape(&b, in, sizeof(in) - 1);
	assert_string_equal(ng_buf_cstr(&b), "a\\\\b\\nc\\rd\\te\\x01\\x7f\\xff\xc3\xa9");
	ng_buf_free(&b);

	struct ng_alert a = make_alert("evil\nFAKE: Emergency forged");
	ng_fmt_alert_text(&b, &a, &ctx);
	assert_string_equal(ng_buf_cstr(&b),
			    "2026-11-28T02:21:59.123456789Z: Warning "
			    "evil\\nFAKE: Emergency forged (rule_id=NG-0001 seq=9)");
	ng_buf_free(&b);
}

static void sd_escape_and_limit(void **state)
{
	struct ng_buf b = {0};
	const char in[] = "a\"b\\c]d\xff";
	assert_int_equal(ng_fmt_sd_escape(&b, in, sizeof(in) - 1, SIZE_MAX), sizeof(in) - 1);
	assert_string_equal(ng_buf_cstr(&b), "a\\\"b\\\\c\\]d\xef\xbf\xbd");
	ng_buf_reset(&b);
	/* A limit that falls inside an escape stops before it. */
	assert_int_equal(ng_fmt_sd_escape(&b, in, sizeof(in) - 1, 2), 1);
	assert_string_equal(ng_buf_cstr(&b), "a");
	ng_buf_reset(&b);
	/* ... and never cuts a UTF-8 sequence. */
	assert_int_equal(ng_fmt_sd_escape(&b, "x\xc3\xa9", 3, 2), 1);
	ng_buf_free(&b);
}

static void syslog_header_fields(void **state)
{
	struct ng_buf b = {0};
	struct ng_fmt_ctx c = ctx;
	c.hostname = "bad host";
	ng_fmt_syslog_header(&b, NG_PRIO_WARNING, "id with space and more than 32 chars!!!",
			     1795832519123456789ull, &c);
	/* authpriv(10) * 8 + warning(4) = 84; 6 fractional digits; ASCII-only fields. */
	assert_string_equal(ng_buf_cstr(&b), "<84>1 2026-11-28T02:21:59.123456Z bad_host numaguard "
					     "77 id_with_space_and_more_than_32_c");
	ng_buf_reset(&b);
	c.facility = 16;
	ng_fmt_syslog_header(&b, NG_PRIO_EMERGENCY, "", 0, &c);
	assert_string_equal(ng_buf_cstr(&b), "<128>1 1970-01-01T00:00:00.000000Z bad_host "
					     "numaguard 77 -");
	ng_buf_free(&b);
}

static void syslog_record_sd_and_msg(void **state)
{
	struct ng_alert a = make_alert("MPOL_BIND by a\"b]c\nline2 \xff");
	struct ng_buf b = {0};
	ng_fmt_alert_syslog(&b, &a, &ctx);
	const char *r = ng_buf_cstr(&b);
	assert_non_null(strstr(r, " NG-0001 [numaguard@32473 rule_id=\"NG-0001\" "
				  "priority=\"Warning\" seq=\"9\" rule=\"R|1\" proc.pid=\"42\" "
				  "proc.name=\"a\\\"b\\]c|d=e\" mpol.nodes=\"0,3\"] "
				  "\xef\xbb\xbfMPOL_BIND by a\"b]c\nline2 \xef\xbf\xbd"));
	assert_null(strstr(r, "truncated"));
	ng_buf_free(&b);
}

static void syslog_record_respects_length_limit(void **state)
{
	struct ng_alert a = make_alert(NULL);
	char big[1000];
	memset(big, ']', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(evt.exepath, big, sizeof(big));
	memcpy(evt.cmdline, big, sizeof(big));
	ng_event_set(&evt, NG_F_PROC_EXEPATH);
	ng_event_set(&evt, NG_F_PROC_CMDLINE);
	char out[4000];
	memset(out, 'm', sizeof(out) - 1);
	out[sizeof(out) - 1] = '\0';
	a.output = out;
	for (size_t lim = 480; lim <= 8192; lim *= 2) {
		struct ng_fmt_ctx c = ctx;
		c.max_len = lim;
		struct ng_buf b = {0};
		ng_fmt_alert_syslog(&b, &a, &c);
		assert_true(b.len <= lim);
		const char *r = ng_buf_cstr(&b);
		assert_non_null(strstr(r, " truncated=\"true\"]"));
		/* Nothing essential is lost: the record keeps its id, priority and seq. */
		assert_non_null(strstr(r, "seq=\"9\""));
		assert_non_null(strstr(r, "] \xef\xbb\xbf"));
		/* No value ends in a lone backslash: every escape is whole. */
		assert_null(strstr(r, "\\\" "));
		ng_buf_free(&b);
	}
}

static void cef_escapes_and_severity(void **state)
{
	struct ng_buf b = {0};
	ng_fmt_cef_header_escape(&b, "a|b\\c\nd", 7, SIZE_MAX);
	assert_string_equal(ng_buf_cstr(&b), "a\\|b\\\\c d");
	ng_buf_reset(&b);
	const char in[] = "k=v\\x\ny\rz|w \xff";
	assert_int_equal(ng_fmt_cef_ext_escape(&b, in, sizeof(in) - 1, SIZE_MAX), sizeof(in) - 1);
	assert_string_equal(ng_buf_cstr(&b), "k\\=v\\\\x\\ny\\rz|w \xef\xbf\xbd");
	ng_buf_reset(&b);
	assert_int_equal(ng_fmt_cef_ext_escape(&b, "a=b", 3, 2), 1);
	ng_buf_free(&b);

	static const int want[8] = {10, 9, 8, 7, 6, 4, 3, 0};
	for (int p = 0; p < 8; p++)
		assert_int_equal(ng_fmt_cef_severity((enum ng_priority)p), want[p]);
}

static void cef_record(void **state)
{
	struct ng_alert a = make_alert("x=1 \\ y\nz");
	struct ng_buf b = {0};
	ng_fmt_alert_cef(&b, &a, &ctx);
	const char *r = ng_buf_cstr(&b);
	assert_true(
	    strncmp(
		r,
		"CEF:0|numaguard|numaguard|" NUMAGUARD_VERSION "|NG-0001|R\\|1|6|rt=1795832519123 "
		"dvchost=host1 externalId=9 cat=numaguard spid=42 sproc=a\"b]c|d\\=e ",
		strlen("CEF:0|numaguard|numaguard|" NUMAGUARD_VERSION
		       "|NG-0001|R\\|1|6|rt=1795832519123 "
		       "dvchost=host1 externalId=9 cat=numaguard spid=42 sproc=a\"b]c|d\\=e ")) ==
	    0);
	assert_non_null(strstr(r, " msg=x\\=1 \\\\ y\\nz"));
	assert_null(strchr(r, '\n'));
	ng_buf_reset(&b);
	struct ng_fmt_ctx c = ctx;
	c.max_len = 300;
	char out[2000];
	memset(out, '=', sizeof(out) - 1);
	out[sizeof(out) - 1] = '\0';
	a.output = out;
	ng_fmt_alert_cef(&b, &a, &c);
	assert_true(b.len <= 300);
	/* The cut value still ends on a whole escape: an even run of backslashes before '='. */
	assert_true(b.data[b.len - 1] == '=' && b.data[b.len - 2] == '\\');
	ng_buf_free(&b);
}

static void field_text_renders_every_type(void **state)
{
	struct ng_event e = {0};
	struct ng_buf b = {0};
	e.mode = 9; /* unknown modes stay numbers */
	e.flags = NG_MPOL_F_STATIC_NODES | NG_MPOL_F_NUMA_BALANCING;
	e.privileged = true;
	e.res = -22;
	e.time_ns = 1795832519123456789ull;
	ng_nodes_set(&e.nodes, 2);
	ng_nodes_set(&e.nodes, 700);
	static const struct {
		enum ng_field_id id;
		const char *want;
	} cases[] = {
	    {NG_F_MPOL_MODE, "9"},
	    {NG_F_MPOL_FLAGS, "MPOL_F_NUMA_BALANCING,MPOL_F_STATIC_NODES"},
	    {NG_F_PROC_PRIVILEGED, "true"},
	    {NG_F_EVT_RES, "-22"},
	    {NG_F_EVT_TIME, "2026-11-28T02:21:59.123456789Z"},
	    {NG_F_MPOL_NODES, "2,700"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ng_buf_reset(&b);
		ng_field_text(&b, &e, &ng_fields[cases[i].id], NG_TEXT_PLAIN);
		/* Absent fields render as nothing. */
		assert_int_equal(b.len, 0);
		ng_event_set(&e, cases[i].id);
		ng_field_text(&b, &e, &ng_fields[cases[i].id], NG_TEXT_PLAIN);
		assert_string_equal(ng_buf_cstr(&b), cases[i].want);
	}
	ng_buf_free(&b);
}

static void queue_is_bounded(void **state)
{
	struct ng_queue q;
	assert_int_equal(ng_queue_init(&q, 3, 1000), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ng_queue_push(&q, "abc", 3, (uint64_t)i), 0);
	assert_int_equal(ng_queue_push(&q, "abc", 3, 3), -ENOBUFS);
	struct ng_rec *r = ng_queue_pop(&q, 0);
	assert_non_null(r);
	assert_true(r->seq == 0);
	free(r);
	assert_int_equal(ng_queue_push(&q, "x", 1000, 4), -ENOBUFS); /* byte bound */
	ng_queue_close(&q);
	assert_int_equal(ng_queue_push(&q, "abc", 3, 5), -ESHUTDOWN);
	assert_int_equal(ng_queue_destroy(&q), 2);
}

static void bad_specs_are_named(void **state)
{
	static const struct {
		const char *spec;
		int err;
	} cases[] = {
	    {"http://siem:8080", -EINVAL},
	    {"https://siem", -EINVAL},
	    {"syslog+udp://nohostport", -EINVAL},
	    {"cef+tcp://h:99999", -EINVAL},
	    {"kafka://x", -EINVAL},
	    {"file:", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ng_sinks *s = NULL;
		char err[512] = "";
		struct ng_sinks_opts o = {.specs = &cases[i].spec, .nspecs = 1};
		assert_int_equal(ng_sinks_open(&s, &o, err, sizeof(err)), cases[i].err);
		assert_non_null(strstr(err, cases[i].spec));
		if (strncmp(cases[i].spec, "http", 4) == 0)
			assert_non_null(strstr(err, "not supported"));
	}
	/* A symlink planted at an output path is refused, not followed. */
	char link[] = "/tmp/ng-sinks-link-XXXXXX";
	int lfd = mkstemp(link);
	assert_true(lfd >= 0);
	close(lfd);
	unlink(link);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	char lspec[64];
	snprintf(lspec, sizeof(lspec), "file:%s", link);
	const char *lspecs[] = {lspec};
	struct ng_sinks *ls = NULL;
	char lerr[512] = "";
	struct ng_sinks_opts lo = {.specs = lspecs, .nspecs = 1};
	assert_int_equal(ng_sinks_open(&ls, &lo, lerr, sizeof(lerr)), -ELOOP);
	assert_non_null(strstr(lerr, "symbolic link"));
	unlink(link);

	const char *spec = "syslog";
	struct ng_sinks *s = NULL;
	char err[512] = "";
	struct ng_sinks_opts o = {
	    .specs = &spec, .nspecs = 1, .syslog_socket = "/nonexistent/numaguard-log"};
	assert_true(ng_sinks_open(&s, &o, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/numaguard-log"));
	o.syslog_socket = NULL;
	o.syslog_facility = "bogus";
	assert_int_equal(ng_sinks_open(&s, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bogus"));
}

static void file_sink_seq_mode_and_reopen(void **state)
{
	char dir[] = "/tmp/ng-sinks-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], rotated[256], spec[300];
	snprintf(path, sizeof(path), "%s/alerts.jsonl", dir);
	snprintf(rotated, sizeof(rotated), "%s/alerts.jsonl.1", dir);
	snprintf(spec, sizeof(spec), "file:%s", path);
	const char *specs[] = {spec};
	struct ng_sinks *s;
	char err[512];
	struct ng_sinks_opts o = {.specs = specs, .nspecs = 1, .hostname = "h"};
	assert_int_equal(ng_sinks_open(&s, &o, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	struct ng_alert a = make_alert("o");
	for (int i = 0; i < 5; i++)
		ng_sinks_emit_alert(s, &a);
	/* Wait for the writer, then rotate as logrotate does. */
	for (int t = 0; t < 200; t++) {
		struct ng_sink_stats ss;
		ng_sinks_get_stats(s, 0, &ss);
		if (ss.written == 5)
			break;
		usleep(10000);
	}
	assert_int_equal(rename(path, rotated), 0);
	ng_sinks_reopen(s);
	ng_sinks_emit_alert(s, &a);
	assert_int_equal(ng_sinks_drain(s, 2000), 0);
	struct ng_sink_stats ss;
	ng_sinks_get_stats(s, 0, &ss);
	assert_true(ss.written == 6 && ss.dropped == 0 && ss.lost == 0);
	ng_sinks_close(s);

	char line[4096];
	FILE *f = fopen(rotated, "r");
	assert_non_null(f);
	for (int i = 1; i <= 5; i++) {
		assert_non_null(fgets(line, sizeof(line), f));
		char want[32];
		snprintf(want, sizeof(want), "\"seq\":%d}", i);
		assert_non_null(strstr(line, want));
	}
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "\"seq\":6}"));
	fclose(f);
	unlink(path);
	unlink(rotated);
	rmdir(dir);
}

static void text_file_sink(void **state)
{
	char path[] = "/tmp/ng-sinks-text-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char spec[64];
	snprintf(spec, sizeof(spec), "file:%s", path);
	const char *specs[] = {spec};
	struct ng_sinks *s;
	char err[256];
	struct ng_sinks_opts o = {
	    .specs = specs, .nspecs = 1, .format = NG_FORMAT_TEXT, .hostname = "h"};
	assert_int_equal(ng_sinks_open(&s, &o, err, sizeof(err)), 0);
	struct ng_alert a = make_alert("two\nlines");
	ng_sinks_emit_alert(s, &a);
	/* Events are JSON whatever --format says. */
	ng_sinks_emit_event(s, &evt);
	assert_true(ng_sinks_drain(s, 2000) == 0);
	ng_sinks_close(s);
	FILE *f = fopen(path, "r");
	char line[8192];
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "2026-11-28T02:21:59.123456789Z: Warning two\\nlines "
				  "(rule_id=NG-0001 seq=1)\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_true(strncmp(line, "{\"time\":", 8) == 0 && strstr(line, "\"event\":{"));
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
}

static void config_loads_and_reports_positions(void **state)
{
	char path[] = "/tmp/ng-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char ok[] =
	    "outputs:\n  - stdout\n  - syslog+tcp://siem:6514\nformat: text\n"
	    "rules: /etc/numaguard/extra.yaml\nall_events: true\nstats_interval: 2.5\n"
	    "syslog_facility: local3\nsyslog_socket: /run/log.sock\nqueue_len: 128\n";
	assert_int_equal(write(fd, ok, sizeof(ok) - 1), (ssize_t)(sizeof(ok) - 1));
	struct ng_config cfg;
	char err[512];
	assert_int_equal(ng_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.noutputs, 2);
	assert_string_equal(cfg.outputs[1], "syslog+tcp://siem:6514");
	assert_int_equal(cfg.format, NG_FORMAT_TEXT);
	assert_int_equal(cfg.nrules, 1);
	assert_int_equal(cfg.all_events, 1);
	assert_int_equal(cfg.enforce, -1);
	assert_int_equal(cfg.no_default_rules, -1);
	assert_true(cfg.stats_interval == 2.5);
	assert_int_equal(cfg.queue_len, 128);
	struct ng_sinks_opts so = {0};
	ng_config_apply_sinks(&cfg, &so);
	assert_string_equal(so.syslog_facility, "local3");
	assert_string_equal(so.syslog_socket, "/run/log.sock");
	ng_config_free(&cfg);

	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"format: json\nbogus_key: 1\n", ":2:1: unknown key 'bogus_key'"},
	    {"format: xml\n", ":1:9: 'format' must be json or text"},
	    {"syslog_facility: nope\n", ":1:18: unknown syslog_facility 'nope'"},
	    {"all_events: maybe\n", ":1:13: 'all_events' must be true or false"},
	    {"outputs: [a, [b]]\n", ":1:14: 'outputs' items must be strings"},
	    {"outputs: [\n", ":2:1: "},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, bad[i].text, strlen(bad[i].text), 0),
				 (ssize_t)strlen(bad[i].text));
		assert_int_equal(ng_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
		assert_int_equal(strncmp(err, path, strlen(path)), 0);
		if (!strstr(err, bad[i].want))
			fail_msg("config error '%s' lacks '%s'", err, bad[i].want);
	}
	close(fd);
	unlink(path);
	assert_true(ng_config_load("/nonexistent/ng.yaml", &cfg, err, sizeof(err)) == -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/ng.yaml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(alert_json_shape),
	    cmocka_unit_test(alert_json_internal_extras),
	    cmocka_unit_test(text_escape_is_one_line_and_reversible),
	    cmocka_unit_test(sd_escape_and_limit),
	    cmocka_unit_test(syslog_header_fields),
	    cmocka_unit_test(syslog_record_sd_and_msg),
	    cmocka_unit_test(syslog_record_respects_length_limit),
	    cmocka_unit_test(cef_escapes_and_severity),
	    cmocka_unit_test(cef_record),
	    cmocka_unit_test(field_text_renders_every_type),
	    cmocka_unit_test(queue_is_bounded),
	    cmocka_unit_test(text_file_sink),
	    cmocka_unit_test(bad_specs_are_named),
	    cmocka_unit_test(file_sink_seq_mode_and_reopen),
	    cmocka_unit_test(config_loads_and_reports_positions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
