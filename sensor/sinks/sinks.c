// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sink set: parses --output specs, formats each record once per sink in
 * the emitting thread, and hands the bytes to that sink's bounded queue and
 * writer thread.
 *
 * Drop policy: when a queue is full the record being emitted is refused
 * ("drop newest"). What is queued stays a contiguous, ordered run of seq
 * numbers, so a receiver sees exactly one gap per outage, and the writer
 * never races the emitter for a record it may be sending. Drops are counted
 * per sink and reported in-band by the reporter thread (an internal alert)
 * and in the stats.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "event_json.h"
#include "format.h"
#include "queue.h"
#include "sinks.h"
#include "transport.h"

enum sink_fmt { SF_JSON, SF_TEXT, SF_SYSLOG, SF_CEF };

#define QUEUE_BYTES_PER_REC 2048 /* byte budget per queued record, on average */
#define UDP_MAX_LEN 2048	 /* RFC 5426: receivers should accept 2048 octets */
#define STREAM_MAX_LEN 8192	 /* TCP and /dev/log: rsyslog's default maxMessageSize */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define IO_SLICE_MS 100 /* longest wait before the writer looks at shutdown */
/* Files and stdout take queued records in batches of up to this many bytes per write(2). */
#define STREAM_BATCH_BYTES (256 * 1024)
#define REPORT_EVERY_NS (10ull * 1000000000ull)
#define DRAIN_DEFAULT_MS 2000

struct sink {
	struct ng_sinks *owner;
	char *spec;
	enum sink_fmt fmt;
	struct ng_conn conn;
	size_t max_len; /* syslog record limit */
	struct ng_queue q;
	pthread_t thr;
	bool thr_started;
	atomic_bool done; /* writer exited */
	atomic_bool reopen;
	atomic_bool down; /* last delivery attempt failed */
	_Atomic uint64_t queued, written, dropped, dropped_alerts, lost, reconnects, errors, resent;
	atomic_int last_error;
	unsigned seed; /* backoff jitter */
	struct ng_rec *inflight;	      /* the record the writer is sending */
	size_t inflight_n;		      /* records in it (a batch, for files and stdout) */
	struct ng_rec *sent_head, *sent_tail; /* TCP: sent, not yet acknowledged */
	size_t sent_bytes;

	/* Drop reporting, under owner->emit_mu. */
	uint64_t unrep_alerts, unrep_events, first_seq, last_seq;
	uint64_t last_report_ns;
	bool self_missed; /* a report went to the other sinks only */
};

struct ng_sinks {
	struct sink *v;
	size_t n;
	pthread_mutex_t emit_mu; /* seq order = queue order; also guards the scratch buffers */
	uint64_t seq;
	char hostname[256];
	struct ng_buf rec, tmp;
	struct ng_json_cache evcache; /* the per-process part of event lines, under emit_mu */
	int facility;
	unsigned long pid;

	pthread_t reporter;
	bool reporter_started;
	pthread_mutex_t rep_mu;
	pthread_cond_t rep_cv;
	bool stopping;

	atomic_bool abandon; /* drain deadline passed: writers give up */
	bool drained;
	bool stuck; /* a writer could not be stopped */
	uint64_t lost_at_drain;
};

static const char *const facility_names[24] = {
    "kern",   "user",	"mail",	    "daemon", "auth",	"syslog",   "lpr",     "news",
    "uucp",   "cron",	"authpriv", "ftp",    "ntp",	"security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
};

int ng_sinks_facility_parse(const char *name)
{
	for (int i = 0; i < 24; i++)
		if (strcasecmp(name, facility_names[i]) == 0)
			return i;
	return -EINVAL;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- spec parsing ---------------------------------------------------------------------- */

static int parse_spec(struct sink *k, const char *spec, enum ng_format format,
		      const char *sock_path, char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		enum sink_fmt fmt;
		enum ng_transport tr;
	} net[] = {
	    {"syslog+udp://", SF_SYSLOG, NG_TR_UDP},
	    {"syslog+tcp://", SF_SYSLOG, NG_TR_TCP},
	    {"cef+udp://", SF_CEF, NG_TR_UDP},
	    {"cef+tcp://", SF_CEF, NG_TR_TCP},
	};
	k->conn.fd = -1;
	if (strcmp(spec, "stdout") == 0) {
		k->fmt = format == NG_FORMAT_TEXT ? SF_TEXT : SF_JSON;
		k->conn.tr = NG_TR_STREAM;
		return 0;
	}
	if (strncmp(spec, "file:", 5) == 0) {
		if (!spec[5]) {
			snprintf(err, errlen, "output '%s': missing path; use file:PATH", spec);
			return -EINVAL;
		}
		k->fmt = format == NG_FORMAT_TEXT ? SF_TEXT : SF_JSON;
		k->conn.tr = NG_TR_STREAM;
		k->conn.path = strdup(spec + 5);
		return k->conn.path ? 0 : -ENOMEM;
	}
	if (strcmp(spec, "syslog") == 0) {
		k->fmt = SF_SYSLOG;
		k->conn.tr = NG_TR_UNIX;
		k->conn.path = strdup(sock_path);
		k->max_len = STREAM_MAX_LEN;
		return k->conn.path ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < sizeof(net) / sizeof(net[0]); i++) {
		size_t pl = strlen(net[i].prefix);
		if (strncmp(spec, net[i].prefix, pl) != 0)
			continue;
		k->fmt = net[i].fmt;
		k->conn.tr = net[i].tr;
		k->max_len = net[i].tr == NG_TR_UDP ? UDP_MAX_LEN : STREAM_MAX_LEN;
		int r = ng_conn_parse_hostport(spec + pl, &k->conn.host, &k->conn.port);
		if (r == -EINVAL)
			snprintf(
			    err, errlen,
			    "output '%s': expected %sHOST:PORT (IPv6 as [ADDR]:PORT, port 1-65535)",
			    spec, net[i].prefix);
		return r;
	}
	if (strncmp(spec, "http://", 7) == 0 || strncmp(spec, "https://", 8) == 0) {
		snprintf(err, errlen,
			 "output '%s': HTTP outputs are not supported by this build; use "
			 "syslog+tcp:// or cef+tcp:// to a collector, or file: with a log shipper",
			 spec);
		/* A spec this build cannot serve is a usage error (exit 1), like a typo. */
		return -EINVAL;
	}
	snprintf(err, errlen,
		 "output '%s': unknown output; expected stdout, file:PATH, syslog, "
		 "syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT, cef+udp://HOST:PORT or "
		 "cef+tcp://HOST:PORT",
		 spec);
	return -EINVAL;
}

/* ---- writer thread --------------------------------------------------------------------- */

static bool abandoned(const struct sink *k)
{
	return atomic_load(&k->owner->abandon);
}

/* Back off before the next attempt, in slices so a drain deadline is noticed. */
static void backoff(struct sink *k, int *ms)
{
	/* ±25% jitter so a fleet does not reconnect to a recovered collector in lockstep. */
	int wait = *ms - *ms / 4 + (int)(rand_r(&k->seed) % (unsigned)(*ms / 2 + 1));
	for (int slept = 0; slept < wait && !abandoned(k); slept += IO_SLICE_MS)
		sleep_ms(wait - slept < IO_SLICE_MS ? wait - slept : IO_SLICE_MS);
	*ms = *ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *ms * 2;
}

static void fail(struct sink *k, int err)
{
	atomic_fetch_add(&k->errors, 1);
	atomic_store(&k->last_error, -err);
	atomic_store(&k->down, true);
}

/*
 * TCP records stay on the sink's `sent` list until the collector's TCP stack
 * has acknowledged them (SIOCOUTQ). When the connection breaks, the kernel
 * throws away what it had not delivered, which can be megabytes while a
 * collector is stalled; those records go back to the head of the queue and
 * are sent again on the next connection. Delivery is at least once: a
 * receiver may see a seq twice, never a silent hole from our side.
 */
static void sent_trim(struct sink *k)
{
	int outq;
	if (!k->sent_head || k->conn.fd < 0 || ioctl(k->conn.fd, SIOCOUTQ, &outq) < 0)
		return;
	while (k->sent_head && k->sent_bytes - k->sent_head->len >= (size_t)outq) {
		struct ng_rec *r = k->sent_head;
		k->sent_head = r->next;
		if (!k->sent_head)
			k->sent_tail = NULL;
		k->sent_bytes -= r->len;
		free(r);
		atomic_fetch_add(&k->written, 1);
	}
}

static void sent_append(struct sink *k, struct ng_rec *r)
{
	r->next = NULL;
	if (k->sent_tail)
		k->sent_tail->next = r;
	else
		k->sent_head = r;
	k->sent_tail = r;
	k->sent_bytes += r->len;
}

/* The connection broke: everything not acknowledged goes back to the queue, oldest first. */
static void sent_requeue(struct sink *k)
{
	struct ng_rec *rev = NULL;
	for (struct ng_rec *r = k->sent_head, *next; r; r = next) {
		next = r->next;
		r->next = rev;
		rev = r;
	}
	/* Newest first: each unpop goes to the head, so the oldest ends up in front. */
	for (struct ng_rec *r = rev, *next; r; r = next) {
		next = r->next;
		ng_queue_unpop(&k->q, r);
		atomic_fetch_add(&k->resent, 1);
	}
	k->sent_head = k->sent_tail = NULL;
	k->sent_bytes = 0;
}

static void *writer_main(void *arg)
{
	struct sink *k = arg;
	int bo = BACKOFF_MIN_MS;
	bool ever_connected = k->conn.fd >= 0;
	size_t off = 0;

	for (;;) {
		if (!k->inflight) {
			if (k->conn.tr == NG_TR_STREAM)
				k->inflight = ng_queue_pop_many(&k->q, IO_SLICE_MS, STREAM_BATCH_BYTES,
								&k->inflight_n);
			else
				k->inflight = ng_queue_pop(&k->q, IO_SLICE_MS);
			if (k->conn.tr != NG_TR_STREAM)
				k->inflight_n = 1;
			off = 0;
			if (!k->inflight) {
				sent_trim(k);
				pthread_mutex_lock(&k->q.mu);
				bool fin = k->q.closing && !k->q.head;
				pthread_mutex_unlock(&k->q.mu);
				if (abandoned(k) || (fin && !k->sent_head))
					break;
				if (fin) {
					/* Draining: wait for the collector to acknowledge the rest.
					 */
					if (ng_conn_peer_closed(&k->conn)) {
						fail(k, -ECONNRESET);
						sent_requeue(k);
						ng_conn_close(&k->conn);
					}
					sleep_ms(10);
				}
				continue;
			}
		}
		if (abandoned(k))
			break;
		/* Checked after the pop, so a record emitted after SIGHUP lands in the new file. */
		if (atomic_exchange(&k->reopen, false)) {
			int rr = ng_conn_reopen(&k->conn);
			if (rr < 0) {
				/* Keep writing to the old file; try again with the next record. */
				fail(k, rr);
				atomic_store(&k->reopen, true);
			}
		}
		if (k->conn.fd < 0) {
			int r = ng_conn_open(&k->conn, 1000);
			if (r < 0) {
				fail(k, r);
				backoff(k, &bo);
				continue;
			}
			if (ever_connected)
				atomic_fetch_add(&k->reconnects, 1);
			ever_connected = true;
			off = 0;
		}
		int r =
		    ng_conn_send(&k->conn, k->inflight->data, k->inflight->len, &off, IO_SLICE_MS);
		if (r == 0) {
			atomic_store(&k->down, false);
			if (k->conn.tr == NG_TR_TCP) {
				sent_append(k, k->inflight);
				sent_trim(k);
			} else {
				atomic_fetch_add(&k->written, k->inflight_n);
				free(k->inflight);
			}
			k->inflight = NULL;
			bo = BACKOFF_MIN_MS;
			continue;
		}
		if (r == -EAGAIN) {
			sent_trim(k);
			continue; /* slow receiver: the queue absorbs it, drops are counted on push
				   */
		}
		fail(k, r);
		if (k->conn.tr == NG_TR_UDP && r == -ECONNREFUSED) {
			/* The previous datagram was refused by a closed port: it is gone. */
			atomic_fetch_add(&k->lost, 1);
		} else if (k->conn.tr == NG_TR_UDP && r == -ECONNRESET) {
			/* Still refused: keep the record, retry after the backoff. */
		} else if (k->conn.tr != NG_TR_STREAM) {
			if (k->conn.tr == NG_TR_TCP) {
				/* Resend the record being sent after the unacknowledged ones. */
				ng_queue_unpop(&k->q, k->inflight);
				k->inflight = NULL;
				sent_requeue(k);
			}
			ng_conn_close(&k->conn);
		}
		backoff(k, &bo);
	}
	atomic_store(&k->done, true);
	return NULL;
}

/* ---- formatting and queueing ----------------------------------------------------------- */

static void fmt_ctx(struct ng_sinks *s, const struct sink *k, struct ng_fmt_ctx *c,
		    const struct ng_fmt_kv *extra, size_t nextra)
{
	*c = (struct ng_fmt_ctx){
	    .hostname = s->hostname,
	    .extra = extra,
	    .nextra = nextra,
	    .facility = s->facility,
	    .pid = s->pid,
	    .max_len = k->max_len,
	};
}

/* Format one alert for sink k into s->rec (framing included). */
static void format_alert(struct ng_sinks *s, struct sink *k, const struct ng_alert *a,
			 const struct ng_fmt_kv *extra, size_t nextra)
{
	struct ng_fmt_ctx c;
	fmt_ctx(s, k, &c, extra, nextra);
	ng_buf_reset(&s->rec);
	ng_buf_reset(&s->tmp);
	switch (k->fmt) {
	case SF_JSON:
		ng_fmt_alert_json(&s->rec, a, &c);
		ng_buf_putc(&s->rec, '\n');
		return;
	case SF_TEXT:
		ng_fmt_alert_text(&s->rec, a, &c);
		ng_buf_putc(&s->rec, '\n');
		return;
	case SF_SYSLOG:
		ng_fmt_alert_syslog(&s->tmp, a, &c);
		break;
	case SF_CEF: {
		/* CEF travels as the MSG of an RFC 5424 record, without SD and BOM. */
		ng_fmt_syslog_header(&s->tmp, a->priority, a->rule_id, a->time_ns, &c);
		ng_buf_puts(&s->tmp, " - ");
		if (c.max_len)
			c.max_len = c.max_len > s->tmp.len ? c.max_len - s->tmp.len : 1;
		ng_fmt_alert_cef(&s->tmp, a, &c);
		break;
	}
	}
	/* RFC 6587 octet counting: binary-safe, so newlines in MSG cannot split a record. */
	if (k->conn.tr == NG_TR_TCP)
		ng_buf_printf(&s->rec, "%zu ", s->tmp.len);
	ng_buf_put(&s->rec, s->tmp.data ? s->tmp.data : "", s->tmp.len);
}

static void push(struct sink *k, const struct ng_buf *b, uint64_t seq, bool is_alert)
{
	if (!ng_buf_ok(b)) {
		fail(k, -ENOMEM);
		atomic_fetch_add(&k->dropped, 1);
		return;
	}
	int r = ng_queue_push(&k->q, b->data, b->len, seq);
	if (r == 0) {
		atomic_fetch_add(&k->queued, 1);
		return;
	}
	if (r == -ESHUTDOWN)
		return; /* after drain: nothing is emitted any more */
	atomic_fetch_add(&k->dropped, 1);
	if (is_alert) {
		atomic_fetch_add(&k->dropped_alerts, 1);
		if (!k->unrep_alerts)
			k->first_seq = seq;
		k->last_seq = seq;
		k->unrep_alerts++;
	} else {
		k->unrep_events++;
	}
}

/* Under emit_mu. targets: bit i set = queue on sink i. */
static void emit_locked(struct ng_sinks *s, struct ng_alert *a, const struct ng_fmt_kv *extra,
			size_t nextra, uint64_t targets)
{
	a->seq = ++s->seq;
	for (size_t i = 0; i < s->n; i++) {
		if (!(targets >> i & 1))
			continue;
		format_alert(s, &s->v[i], a, extra, nextra);
		push(&s->v[i], &s->rec, a->seq, true);
	}
}

void ng_sinks_emit_alert(struct ng_sinks *s, struct ng_alert *alert)
{
	pthread_mutex_lock(&s->emit_mu);
	emit_locked(s, alert, NULL, 0, ~0ull);
	pthread_mutex_unlock(&s->emit_mu);
}

bool ng_sinks_event_backlog(struct ng_sinks *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct ng_queue *q = &s->v[i].q;
		if (s->v[i].conn.tr != NG_TR_STREAM)
			continue;
		size_t room = q->max_n - q->max_n / 4; /* as in ng_sinks_emit_event() */
		pthread_mutex_lock(&q->mu);
		bool full = q->n >= room / 2 || q->bytes >= q->max_bytes / 2;
		pthread_mutex_unlock(&q->mu);
		if (full)
			return true;
	}
	return false;
}

void ng_sinks_emit_event(struct ng_sinks *s, const struct ng_event *evt)
{
	pthread_mutex_lock(&s->emit_mu);
	bool formatted = false;
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		if (k->conn.tr != NG_TR_STREAM)
			continue; /* events go to stdout and files only */
		if (!formatted) {
			ng_buf_reset(&s->rec);
			ng_event_json_cached(&s->rec, evt, s->hostname, &s->evcache);
			ng_buf_putc(&s->rec, '\n');
			formatted = true;
		}
		/*
		 * Events may fill only three quarters of a queue: the rest is kept for
		 * alerts, so a flood of --all-events lines cannot crowd them out.
		 */
		size_t room = k->q.max_n - k->q.max_n / 4;
		if (ng_queue_len(&k->q) >= room) {
			atomic_fetch_add(&k->dropped, 1);
			k->unrep_events++;
			continue;
		}
		push(k, &s->rec, 0, false);
	}
	pthread_mutex_unlock(&s->emit_mu);
}

/* ---- in-band drop reports -------------------------------------------------------------- */

static void report_drops(struct ng_sinks *s, size_t i, uint64_t targets)
{
	struct sink *k = &s->v[i];
	char dropped[24], events[24], total[24], first[24], last[24], out[512];
	snprintf(dropped, sizeof(dropped), "%" PRIu64, k->unrep_alerts);
	snprintf(events, sizeof(events), "%" PRIu64, k->unrep_events);
	snprintf(total, sizeof(total), "%" PRIu64, atomic_load(&k->dropped));
	snprintf(first, sizeof(first), "%" PRIu64, k->unrep_alerts ? k->first_seq : 0);
	snprintf(last, sizeof(last), "%" PRIu64, k->unrep_alerts ? k->last_seq : 0);
	snprintf(out, sizeof(out),
		 "sink %s dropped %s alerts (seq %s..%s) and %s events because its queue was "
		 "full; %s records dropped on this sink since start",
		 k->spec, dropped, first, last, events, total);
	const struct ng_fmt_kv kv[] = {
	    {"sink", k->spec},	{"dropped_alerts", dropped}, {"first_seq", first},
	    {"last_seq", last}, {"dropped_events", events},  {"total_dropped", total},
	};
	struct ng_alert a = {
	    .time_ns = now_ns(CLOCK_REALTIME),
	    .source = "internal",
	    .rule = "numaguard internal: sink drops",
	    .rule_id = "",
	    .priority = NG_PRIO_ERROR,
	    .output = out,
	};
	emit_locked(s, &a, kv, sizeof(kv) / sizeof(kv[0]), targets);
	k->unrep_alerts = k->unrep_events = 0;
	k->last_report_ns = now_ns(CLOCK_MONOTONIC);
}

/* Under emit_mu. */
static void check_drops(struct ng_sinks *s, bool final)
{
	uint64_t all = s->n >= 64 ? ~0ull : (1ull << s->n) - 1;
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		bool recovered = !atomic_load(&k->down) && ng_queue_len(&k->q) <= k->q.max_n / 2;
		bool pending = k->unrep_alerts || k->unrep_events;
		if (pending && (recovered || final)) {
			report_drops(s, i, all);
			k->self_missed = false;
		} else if (pending &&
			   now_ns(CLOCK_MONOTONIC) - k->last_report_ns >= REPORT_EVERY_NS) {
			/* Still stuck: tell the others now, and this sink once it recovers. */
			report_drops(s, i, all & ~(1ull << i));
			k->self_missed = true;
		} else if (k->self_missed && recovered) {
			report_drops(s, i, 1ull << i);
			k->self_missed = false;
		}
	}
}

static void *reporter_main(void *arg)
{
	struct ng_sinks *s = arg;
	pthread_mutex_lock(&s->rep_mu);
	while (!s->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->rep_cv, &s->rep_mu, &until);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->rep_mu);
		pthread_mutex_lock(&s->emit_mu);
		check_drops(s, false);
		pthread_mutex_unlock(&s->emit_mu);
		pthread_mutex_lock(&s->rep_mu);
	}
	pthread_mutex_unlock(&s->rep_mu);
	return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------------- */

/*
 * Sink threads run with every signal blocked: SIGHUP, SIGTERM and friends go
 * to the run loop, and a write to a closed stdout pipe returns EPIPE instead
 * of killing the sensor with SIGPIPE.
 */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static void free_sink(struct sink *k)
{
	ng_conn_close(&k->conn);
	free(k->conn.host);
	free(k->conn.port);
	free(k->conn.path);
	free(k->spec);
}

int ng_sinks_open(struct ng_sinks **out, const struct ng_sinks_opts *opts, char *err, size_t errlen)
{
	static const char *const def[] = {"stdout"};
	const char *const *specs = opts->nspecs ? opts->specs : def;
	size_t n = opts->nspecs ? opts->nspecs : 1;
	size_t qlen = opts->queue_len ? opts->queue_len : NG_SINK_QUEUE_LEN;
	int r;

	if (n > NG_SINKS_MAX) {
		snprintf(err, errlen, "too many outputs (%zu); at most %d", n, NG_SINKS_MAX);
		return -E2BIG;
	}
	struct ng_sinks *s = calloc(1, sizeof(*s));
	if (!s || !(s->v = calloc(n, sizeof(*s->v)))) {
		free(s);
		snprintf(err, errlen, "out of memory opening outputs");
		return -ENOMEM;
	}
	pthread_mutex_init(&s->emit_mu, NULL);
	pthread_mutex_init(&s->rep_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->rep_cv, &ca);
	pthread_condattr_destroy(&ca);
	s->pid = (unsigned long)getpid();
	if (opts->hostname)
		snprintf(s->hostname, sizeof(s->hostname), "%s", opts->hostname);
	else if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0)
		strcpy(s->hostname, "localhost");
	const char *fac = opts->syslog_facility ? opts->syslog_facility : "authpriv";
	s->facility = ng_sinks_facility_parse(fac);
	if (s->facility < 0) {
		snprintf(err, errlen,
			 "syslog facility '%s' is unknown; use one of kern, user, daemon, auth, "
			 "authpriv, security, local0 … local7",
			 fac);
		r = -EINVAL;
		goto fail;
	}
	const char *sock = opts->syslog_socket ? opts->syslog_socket : "/dev/log";

	for (size_t i = 0; i < n; i++) {
		struct sink *k = &s->v[i];
		k->owner = s;
		k->conn.fd = -1;
		k->seed = (unsigned)(s->pid * 2654435761u ^ now_ns(CLOCK_MONOTONIC) ^ i);
		s->n = i + 1;
		k->spec = strdup(specs[i]);
		if (!k->spec) {
			r = -ENOMEM;
			snprintf(err, errlen, "out of memory opening outputs");
			goto fail;
		}
		r = parse_spec(k, specs[i], opts->format, sock, err, errlen);
		if (r < 0) {
			if (r == -ENOMEM)
				snprintf(err, errlen, "out of memory opening outputs");
			goto fail;
		}
		r = ng_queue_init(&k->q, qlen, qlen * QUEUE_BYTES_PER_REC);
		if (r < 0) {
			snprintf(err, errlen, "output '%s': cannot create its queue: %s", k->spec,
				 strerror(-r));
			goto fail;
		}
		/*
		 * Local outputs must work at start: a file that cannot be created or a
		 * missing syslog socket is a configuration error, not a silent no-op.
		 * Network receivers may be down now and come up later.
		 */
		if (k->conn.tr == NG_TR_STREAM || k->conn.tr == NG_TR_UNIX) {
			r = ng_conn_open(&k->conn, 0);
			if (r < 0) {
				if (k->conn.tr == NG_TR_UNIX)
					snprintf(
					    err, errlen,
					    "output '%s': cannot connect to the local syslog "
					    "socket "
					    "%s: %s; start a syslog daemon (rsyslog, syslog-ng, "
					    "systemd-journald) or set syslog_socket in the config",
					    k->spec, k->conn.path, strerror(-r));
				else if (r == -ENXIO)
					snprintf(err, errlen,
						 "output '%s': %s is a FIFO with no reader; start "
						 "the reader first",
						 k->spec, k->conn.path);
				else if (r == -ELOOP)
					snprintf(err, errlen,
						 "output '%s': %s is a symbolic link, which an output "
						 "file may not be; give the real path",
						 k->spec, k->conn.path);
				else
					snprintf(err, errlen, "output '%s': cannot open %s: %s",
						 k->spec, k->conn.path ? k->conn.path : "stdout",
						 strerror(-r));
				goto fail_q;
			}
		}
		r = start_thread(&k->thr, writer_main, k);
		if (r) {
			r = -r;
			snprintf(err, errlen, "output '%s': cannot start its writer thread: %s",
				 k->spec, strerror(-r));
			goto fail_q;
		}
		k->thr_started = true;
		continue;
	fail_q:
		ng_queue_destroy(&k->q);
		free_sink(k);
		s->n = i;
		goto fail;
	}
	r = start_thread(&s->reporter, reporter_main, s);
	if (r) {
		r = -r;
		snprintf(err, errlen, "cannot start the sink drop reporter thread: %s",
			 strerror(-r));
		goto fail;
	}
	s->reporter_started = true;
	*out = s;
	return 0;
fail:
	s->drained = true; /* nothing was emitted */
	ng_sinks_close(s);
	return r;
}

uint64_t ng_sinks_drain(struct ng_sinks *s, int timeout_ms)
{
	if (s->drained)
		return s->lost_at_drain;
	s->drained = true;

	if (s->reporter_started) {
		pthread_mutex_lock(&s->rep_mu);
		s->stopping = true;
		pthread_cond_signal(&s->rep_cv);
		pthread_mutex_unlock(&s->rep_mu);
		pthread_join(s->reporter, NULL);
		s->reporter_started = false;
	}
	/* Last chance to say in-band what was dropped. */
	pthread_mutex_lock(&s->emit_mu);
	check_drops(s, true);
	pthread_mutex_unlock(&s->emit_mu);

	for (size_t i = 0; i < s->n; i++)
		ng_queue_close(&s->v[i].q);
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		bool all = true;
		for (size_t i = 0; i < s->n; i++)
			all &= !s->v[i].thr_started || atomic_load(&s->v[i].done);
		if (all || now_ns(CLOCK_MONOTONIC) >= deadline)
			break;
		sleep_ms(10);
	}
	/* Network writers see `abandon` within IO_SLICE_MS. */
	atomic_store(&s->abandon, true);
	uint64_t lost = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		if (!k->thr_started)
			continue;
		for (int t = 0; t < 3 * IO_SLICE_MS / 10 && !atomic_load(&k->done); t++)
			sleep_ms(10);
		if (!atomic_load(&k->done)) {
			/*
			 * Only a write(2) to a regular file on a hung device (a dead NFS
			 * server) or a slow DNS lookup before a reconnect can still be
			 * blocked. Leave that thread and its sink alone; ng_sinks_close()
			 * then leaks the sink set rather than free memory the thread
			 * still uses.
			 */
			s->stuck = true;
			continue;
		}
		pthread_join(k->thr, NULL);
		k->thr_started = false;
		uint64_t l = 0;
		if (k->inflight) {
			free(k->inflight);
			k->inflight = NULL;
			l += k->inflight_n;
		}
		/* TCP records the collector had not acknowledged by the deadline. */
		for (struct ng_rec *r = k->sent_head, *next; r; r = next) {
			next = r->next;
			free(r);
			l++;
		}
		k->sent_head = k->sent_tail = NULL;
		k->sent_bytes = 0;
		pthread_mutex_lock(&k->q.mu);
		for (struct ng_rec *r = k->q.head, *next; r; r = next) {
			next = r->next;
			free(r);
			l++;
		}
		k->q.head = k->q.tail = NULL;
		k->q.n = k->q.bytes = 0;
		pthread_mutex_unlock(&k->q.mu);
		atomic_fetch_add(&k->lost, l);
		lost += l;
	}
	s->lost_at_drain = lost;
	return lost;
}

void ng_sinks_close(struct ng_sinks *s)
{
	if (!s)
		return;
	ng_sinks_drain(s, DRAIN_DEFAULT_MS);
	if (s->stuck)
		return;
	/* Writers of a failed open may still run: ng_sinks_drain() skipped them. */
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		if (k->thr_started) {
			ng_queue_close(&k->q);
			atomic_store(&s->abandon, true);
			pthread_join(k->thr, NULL);
			free(k->inflight);
		}
		ng_queue_destroy(&k->q);
		free_sink(k);
	}
	if (s->reporter_started) {
		pthread_mutex_lock(&s->rep_mu);
		s->stopping = true;
		pthread_cond_signal(&s->rep_cv);
		pthread_mutex_unlock(&s->rep_mu);
		pthread_join(s->reporter, NULL);
	}
	ng_buf_free(&s->rec);
	ng_json_cache_free(&s->evcache);
	ng_buf_free(&s->tmp);
	pthread_cond_destroy(&s->rep_cv);
	pthread_mutex_destroy(&s->rep_mu);
	pthread_mutex_destroy(&s->emit_mu);
	free(s->v);
	free(s);
}

void ng_sinks_reopen(struct ng_sinks *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].conn.tr == NG_TR_STREAM && s->v[i].conn.path)
			atomic_store(&s->v[i].reopen, true);
}

int ng_sinks_get_stats(struct ng_sinks *s, size_t i, struct ng_sink_stats *st)
{
	if (i >= s->n)
		return -ENOENT;
	struct sink *k = &s->v[i];
	*st = (struct ng_sink_stats){
	    .spec = k->spec,
	    .queued = atomic_load(&k->queued),
	    .written = atomic_load(&k->written),
	    .dropped = atomic_load(&k->dropped),
	    .dropped_alerts = atomic_load(&k->dropped_alerts),
	    .lost = atomic_load(&k->lost),
	    .reconnects = atomic_load(&k->reconnects),
	    .errors = atomic_load(&k->errors),
	    .resent = atomic_load(&k->resent),
	    .pending = ng_queue_len(&k->q),
	    .last_error = atomic_load(&k->last_error),
	};
	return 0;
}

void ng_sinks_print_stats(struct ng_sinks *s, FILE *out)
{
	for (size_t i = 0; i < s->n; i++) {
		struct ng_sink_stats st;
		ng_sinks_get_stats(s, i, &st);
		fprintf(out,
			"sink %s: queued=%" PRIu64 " written=%" PRIu64 " dropped=%" PRIu64
			" dropped_alerts=%" PRIu64 " lost=%" PRIu64 " reconnects=%" PRIu64
			" resent=%" PRIu64 " errors=%" PRIu64 " pending=%" PRIu64 "%s%s\n",
			st.spec, st.queued, st.written, st.dropped, st.dropped_alerts, st.lost,
			st.reconnects, st.resent, st.errors, st.pending,
			st.last_error ? " last_error=" : "",
			st.last_error ? strerror(st.last_error) : "");
	}
}
