// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Enrichment from /proc and the user database. See enrich.h for the
 * contract and docs/containers.md for the container identity rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "enrich.h"
#include "fields.h"

/* A process's cgroup file: one line per hierarchy, each path at most PATH_MAX. */
#define CGROUP_READ_MAX (64 * 1024)
/* /proc/PID/stat: a 16-byte comm and ~50 numbers. */
#define STAT_READ_MAX 1024
#define MAX_HIERARCHIES 32
#define HIER_PREFIX_MAX 128
#define PW_BUF_MAX (1024 * 1024)
#define WAYS 8

/*
 * Copy a NUL-terminated string into a same-sized field. Only the used bytes
 * are copied: on a cache hit this is most of the enrichment cost.
 */
#define COPY_FIELD(dst, src)                                                                       \
	do {                                                                                       \
		_Static_assert(sizeof(dst) == sizeof(src), "field sizes differ");                  \
		size_t n_ = strnlen((src), sizeof(src) - 1);                                       \
		memcpy((dst), (src), n_);                                                          \
		(dst)[n_] = '\0';                                                                  \
	} while (0)

/* ---- fixed-size set-associative cache -------------------------------- */

struct slot {
	uint64_t k[3];
	uint64_t used;    /* LRU tick of the last use; 0 = empty */
	uint64_t expires; /* CLOCK_MONOTONIC ns; 0 = never */
};

struct cache {
	unsigned char *mem;
	size_t esz;
	size_t nsets;
	size_t count; /* occupied slots */
	uint64_t seed;
	uint64_t tick;
	uint64_t *evictions;
};

static int cache_init(struct cache *c, unsigned int entries, size_t esz, uint64_t seed,
		      uint64_t *evictions)
{
	c->nsets = (entries + WAYS - 1) / WAYS;
	if (c->nsets == 0)
		c->nsets = 1;
	c->esz = esz;
	c->seed = seed;
	c->evictions = evictions;
	c->mem = calloc(c->nsets * WAYS, esz);
	return c->mem ? 0 : -ENOMEM;
}

static struct slot *cache_slot(const struct cache *c, size_t i)
{
	return (struct slot *)(c->mem + i * c->esz);
}

static uint64_t mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * The set index is keyed with a random seed so that a process choosing its
 * pids (by forking until it gets the ones it wants) cannot aim them all at
 * one set; even if it did, it would only cost cache misses.
 */
static size_t cache_set(const struct cache *c, const uint64_t k[3])
{
	uint64_t h = mix(k[0] ^ c->seed);
	h = mix(h ^ k[1]);
	h = mix(h ^ k[2]);
	return (size_t)(h % c->nsets) * WAYS;
}

static bool slot_is(const struct slot *s, const uint64_t k[3])
{
	return s->used && s->k[0] == k[0] && s->k[1] == k[1] && s->k[2] == k[2];
}

static struct slot *cache_find(struct cache *c, const uint64_t k[3], uint64_t now)
{
	size_t base = cache_set(c, k);
	for (size_t w = 0; w < WAYS; w++) {
		struct slot *s = cache_slot(c, base + w);
		if (slot_is(s, k)) {
			if (s->expires && now >= s->expires)
				return NULL;
			s->used = ++c->tick;
			return s;
		}
	}
	return NULL;
}

/* A slot for key k (its own if present, else empty, else the set's least recently used). */
static struct slot *cache_put(struct cache *c, const uint64_t k[3], uint64_t expires)
{
	size_t base = cache_set(c, k);
	struct slot *victim = NULL;

	for (size_t w = 0; w < WAYS; w++) {
		struct slot *s = cache_slot(c, base + w);
		if (slot_is(s, k)) {
			victim = s;
			break;
		}
		if (!victim || (victim->used && s->used < victim->used))
			victim = s;
	}
	if (!victim->used)
		c->count++;
	else if (!slot_is(victim, k))
		(*c->evictions)++;
	memset(victim, 0, c->esz);
	memcpy(victim->k, k, sizeof(victim->k));
	victim->used = ++c->tick;
	victim->expires = expires;
	return victim;
}

/* ---- cache payloads -------------------------------------------------- */

struct proc_entry {
	struct slot h; /* k = pid, start, exec_id */
	char exepath[NG_PATH_LEN];
	char cmdline[NG_CMDLINE_LEN];
};

struct cgroup_entry {
	struct slot h; /* k = pid, start, cgroup_id */
	char cgroup[NG_CGROUP_LEN];
	struct ng_container c;
	bool blind; /* exiting, and only v1 lines (all "/" by then) could have placed it */
};

enum user_state { USER_FOUND, USER_NONE, USER_ERROR };

struct user_entry {
	struct slot h; /* k = uid, 0, 0 */
	enum user_state state;
	char name[NG_USER_LEN];
};

struct ng_enricher {
	int proc_fd;
	char *passwd_path;
	uint64_t ns_per_tick;
	uint64_t cgroup_ttl_ns, user_ttl_ns;
	struct cache proc, cgroup, user;
	struct ng_enrich_stats st;
	/* "id:controllers:" of every hierarchy, in the order the kernel prints them. */
	char hier[MAX_HIERARCHIES][HIER_PREFIX_MAX];
	size_t nhier;
	/* Inodes of the host's (initial) pid and mount namespaces, when known. */
	uint64_t host_ns_pid, host_ns_mnt;
	bool host_ns_known;
	bool has_v1; /* some hierarchy is cgroup v1: the v2 path alone may not place a process */
	char *cgbuf; /* CGROUP_READ_MAX + 1 */
};

/* Expiries are seconds long: the coarse clock (a few ms, no TSC read) is plenty. */
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- bounded /proc reads --------------------------------------------- */

/*
 * Read at most cap bytes of dirfd/name. *more is set when the file holds
 * more than cap bytes. O_NOFOLLOW: the names read here are regular proc
 * files, so a symlink where one is expected (a fake proc root) is refused.
 */
static int read_at(int dirfd, const char *name, char *buf, size_t cap, size_t *len, bool *more)
{
	size_t n = 0;
	int fd, r = 0;

	*len = 0;
	if (more)
		*more = false;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (n < cap) {
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (r == 0 && n == cap && more) {
		char c;
		ssize_t k;
		do
			k = read(fd, &c, 1);
		while (k < 0 && errno == EINTR);
		*more = k > 0;
	}
	close(fd);
	*len = n;
	return r;
}

/* What enrichment needs from /proc/PID/stat. */
struct pstat {
	char state;      /* field 3: R, S, Z, X, ... */
	uint64_t flags;  /* field 9: PF_* */
	uint64_t start;  /* field 22: start time, clock ticks since boot */
};

/* include/linux/sched.h; stable since 2.6 and exported through /proc/PID/stat. */
#define NG_PF_EXITING 0x00000004u

static int parse_u64(const char *p, uint64_t *v)
{
	char *end;

	if (*p < '0' || *p > '9')
		return -EBADMSG;
	errno = 0;
	*v = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EBADMSG;
	return 0;
}

static int stat_read(int dirfd, struct pstat *ps)
{
	char buf[STAT_READ_MAX + 1];
	const char *f[23] = { 0 };
	size_t len;
	char *p;
	int r;

	r = read_at(dirfd, "stat", buf, STAT_READ_MAX, &len, NULL);
	if (r < 0)
		return r;
	buf[len] = '\0';
	/* comm may hold spaces and ')': the fields resume after the LAST ')'. */
	p = memrchr(buf, ')', len);
	if (!p)
		return -EBADMSG;
	p++;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -EBADMSG;
		f[field] = p;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	ps->state = f[3][0];
	r = parse_u64(f[9], &ps->flags);
	if (r == 0)
		r = parse_u64(f[22], &ps->start);
	return r;
}

/*
 * Open /proc/PID and prove it is the process that made the call: its start
 * time must equal the one the kernel recorded with the event. The directory
 * fd pins that process (the kernel resolves every later openat through the
 * struct pid it was opened for, so a reused pid number does not redirect
 * it), which is why every read afterwards goes through this fd. The start
 * time has clock-tick resolution (10 ms at USER_HZ=100): a pid would have to
 * be recycled within the same tick to pass, which pid_max makes impractical.
 */
static int open_proc(struct ng_enricher *en, const struct ng_event *e)
{
	char name[16];
	struct pstat ps;
	int fd, r;

	snprintf(name, sizeof(name), "%u", e->pid);
	fd = openat(en->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	r = stat_read(fd, &ps);
	if (r == 0 && ps.start != e->start_boot_ns / en->ns_per_tick)
		r = -ESRCH;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/*
 * /proc/PID/exe is a magic link: readlink it, never open it. A thread group
 * whose leader has exited (a known way to hide from ps) has no exe under
 * /proc/PID, but the calling thread still has one under task/TID.
 */
static void read_exe(int pfd, const struct ng_event *e, char out[NG_PATH_LEN])
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(pfd, "exe", buf, sizeof(buf));

	if (n < 0 && errno == ENOENT && e->tid && e->tid != e->pid) {
		char alt[40];
		snprintf(alt, sizeof(alt), "task/%u/exe", e->tid);
		n = readlinkat(pfd, alt, buf, sizeof(buf));
	}
	if (n < 0)
		n = 0;
	/* Longer paths are cut at the field's bound; "(deleted)" stays as the kernel wrote it. */
	if ((size_t)n > NG_PATH_LEN - 1)
		n = NG_PATH_LEN - 1;
	memcpy(out, buf, (size_t)n);
	out[n] = '\0';
}

static void read_cmdline(int pfd, const struct ng_event *e, char out[NG_CMDLINE_LEN])
{
	size_t n = 0;
	int r = read_at(pfd, "cmdline", out, NG_CMDLINE_LEN - 1, &n, NULL);

	if ((r < 0 || n == 0) && e->tid && e->tid != e->pid) {
		char alt[40];
		snprintf(alt, sizeof(alt), "task/%u/cmdline", e->tid);
		r = read_at(pfd, alt, out, NG_CMDLINE_LEN - 1, &n, NULL);
	}
	if (r < 0)
		n = 0;
	/* argv is NUL-separated with a final NUL; bytes are kept raw, sinks escape them. */
	while (n > 0 && out[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	out[n] = '\0';
}

/* ---- /proc/PID/cgroup ------------------------------------------------ */

/*
 * The kernel prints cgroup paths in /proc/PID/cgroup without escaping, so a
 * process allowed to name cgroups (a delegated subtree) can put a newline
 * and a whole forged "0::/docker/<id>" line into its own file. Every process
 * sees the same hierarchies in the same order, so the file must have exactly
 * the lines of the sensor's own file, each with the same "id:controllers:"
 * prefix; any other shape is forged.
 */
static int learn_hierarchies(struct ng_enricher *en)
{
	/* Parsed aside, so a failed relearn leaves the table it had. */
	char hier[MAX_HIERARCHIES][HIER_PREFIX_MAX];
	size_t len, n = 0;
	bool more;
	int r;

	r = read_at(en->proc_fd, "self/cgroup", en->cgbuf, CGROUP_READ_MAX, &len, &more);
	if (r == -ENOENT && faccessat(en->proc_fd, "self/stat", F_OK, 0) == 0) {
		/* A kernel without cgroups: no process has a cgroup file either. */
		en->nhier = 0;
		en->has_v1 = false;
		return 0;
	}
	if (r < 0)
		return r;
	if (more)
		return -EFBIG;
	for (size_t i = 0; i < len;) {
		char *nl = memchr(en->cgbuf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - en->cgbuf) : len;
		char *c1 = memchr(en->cgbuf + i, ':', end - i);
		char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(en->cgbuf + end - c1 - 1)) : NULL;
		size_t plen;

		if (!c2 || n == MAX_HIERARCHIES)
			return -EBADMSG;
		plen = (size_t)(c2 + 1 - (en->cgbuf + i));
		if (plen >= HIER_PREFIX_MAX)
			return -EBADMSG;
		memcpy(hier[n], en->cgbuf + i, plen);
		hier[n][plen] = '\0';
		n++;
		i = end + 1;
	}
	memcpy(en->hier, hier, n * sizeof(hier[0]));
	en->nhier = n;
	en->has_v1 = false;
	for (size_t h = 0; h < n; h++)
		if (strcmp(en->hier[h], "0::") != 0)
			en->has_v1 = true;
	return 0;
}

struct cg_line {
	const char *prefix;
	char *path; /* NUL-terminated inside cgbuf */
};

/* Split cgbuf[0..len) into the expected lines; false when the shape differs. */
static bool split_cgroup(struct ng_enricher *en, size_t len, struct cg_line *lines)
{
	size_t i = 0;

	for (size_t h = 0; h < en->nhier; h++) {
		size_t plen = strlen(en->hier[h]);
		char *nl;

		if (len - i < plen || memcmp(en->cgbuf + i, en->hier[h], plen) != 0)
			return false;
		nl = memchr(en->cgbuf + i + plen, '\n', len - i - plen);
		if (!nl || en->cgbuf[i + plen] != '/')
			return false;
		*nl = '\0';
		lines[h].prefix = en->hier[h];
		lines[h].path = en->cgbuf + i + plen;
		i = (size_t)(nl - en->cgbuf) + 1;
	}
	return i == len;
}

static bool is_v2(const char *prefix)
{
	return strcmp(prefix, "0::") == 0;
}

static bool is_named_systemd(const char *prefix)
{
	const char *c = strchr(prefix, ':');
	return c && strcmp(c, ":name=systemd:") == 0;
}

/*
 * Which hierarchy speaks for the process: the v2 line when the process is in
 * a non-root v2 cgroup, else the v1 name=systemd line, else the v1 controller
 * lines in the kernel's order. The first of those whose path names a
 * container gives the identity (on hybrid hosts a runtime may manage only
 * the v1 hierarchies while the v2 line shows a host service); when none
 * does, the process is a host process and container.cgroup is the first
 * non-root path in that order ("/" if all are root).
 */
static void cgroup_identity(struct ng_enricher *en, int pfd, struct cgroup_entry *out)
{
	struct cg_line lines[MAX_HIERARCHIES];
	const char *order[MAX_HIERARCHIES];
	const char *host_path = NULL;
	struct pstat ps;
	size_t len, n = 0;
	bool more, exiting, v2_placed = false;
	int r;

	if (en->nhier == 0) {
		/* A kernel without cgroups: every process is a host process. */
		ng_cgroup_parse("/", &out->c);
		out->cgroup[0] = '\0';
		return;
	}
	r = read_at(pfd, "cgroup", en->cgbuf, CGROUP_READ_MAX, &len, &more);
	if (r < 0 || len == 0 || more)
		goto unknown;
	if (!split_cgroup(en, len, lines)) {
		/* A hierarchy may have been mounted or unmounted since we learnt them. */
		if (learn_hierarchies(en) == 0)
			r = read_at(pfd, "cgroup", en->cgbuf, CGROUP_READ_MAX, &len, &more);
		if (r < 0 || len == 0 || more || !split_cgroup(en, len, lines)) {
			en->st.tainted++;
			goto unknown;
		}
	}
	/*
	 * From the moment a task starts exiting the kernel prints "/" for it in
	 * every v1 hierarchy, so a containerised process that calls and exits
	 * at once would read as a host process. PF_EXITING never clears, so a
	 * stat read after the cgroup read tells whether the v1 lines can be
	 * believed. v2 lines are printed truthfully until the end.
	 */
	exiting = stat_read(pfd, &ps) < 0 || (ps.flags & NG_PF_EXITING) || ps.state == 'Z' ||
		  ps.state == 'X';

	for (size_t h = 0; h < en->nhier; h++) {
		if (is_v2(lines[h].prefix)) {
			/* The kernel marks a removed v2 cgroup that still holds a zombie. */
			size_t pl = strlen(lines[h].path);
			const char *del = " (deleted)";
			if (pl > strlen(del) && strcmp(lines[h].path + pl - strlen(del), del) == 0)
				lines[h].path[pl - strlen(del)] = '\0';
			if (strcmp(lines[h].path, "/") != 0) {
				order[n++] = lines[h].path;
				v2_placed = true;
			}
		}
	}
	for (size_t h = 0; h < en->nhier; h++)
		if (is_named_systemd(lines[h].prefix))
			order[n++] = lines[h].path;
	for (size_t h = 0; h < en->nhier; h++)
		if (!is_v2(lines[h].prefix) && !is_named_systemd(lines[h].prefix))
			order[n++] = lines[h].path;

	for (size_t i = 0; i < n; i++) {
		struct ng_container c;
		if (strcmp(order[i], "/") == 0)
			continue;
		if (!host_path)
			host_path = order[i];
		if (ng_cgroup_parse(order[i], &c) == 0 && !ng_container_is_container(&c))
			continue;
		/* A container, or a path the parser refused (which must not pass for host). */
		out->c = c;
		snprintf(out->cgroup, sizeof(out->cgroup), "%s", order[i]);
		return;
	}
	if (exiting && !v2_placed) {
		/* Only the v1 lines spoke, and they no longer tell the truth. */
		en->st.exiting++;
		out->blind = true;
		goto unknown;
	}
	ng_cgroup_parse("/", &out->c);
	snprintf(out->cgroup, sizeof(out->cgroup), "%s", host_path ? host_path : (n ? "/" : ""));
	return;

unknown:
	memset(&out->c, 0, sizeof(out->c));
	out->c.runtime = NG_RUNTIME_UNKNOWN;
	out->cgroup[0] = '\0';
}

/* ---- user names ------------------------------------------------------ */

/*
 * User lookups return 1 (found, name set), 0 (no such user) or a negative
 * errno (the database could not be asked).
 */

/* Look uid up in a passwd(5) file without NSS. */
static int passwd_file_lookup(const char *path, uint32_t uid, char *name, size_t cap)
{
	struct passwd pw, *res = NULL;
	size_t sz = 4096;
	char *buf = malloc(sz);
	FILE *f;
	int r;

	if (!buf)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		free(buf);
		return r;
	}
	for (;;) {
		r = fgetpwent_r(f, &pw, buf, sz, &res);
		if (r == ERANGE && sz < PW_BUF_MAX) {
			/* glibc rewinds to the start of the entry: retry it with more room. */
			char *nb = realloc(buf, sz * 2);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			sz *= 2;
			continue;
		}
		if (r == ENOENT) {
			r = 0;
			break;
		}
		if (r != 0 || !res) {
			r = r ? -r : -EIO;
			break;
		}
		if (pw.pw_uid == uid) {
			snprintf(name, cap, "%s", pw.pw_name);
			r = 1;
			break;
		}
	}
	fclose(f);
	free(buf);
	return r;
}

/* Through NSS: /etc/passwd, and sssd/LDAP where the host is configured so. */
static int nss_lookup(uint32_t uid, char *name, size_t cap)
{
	struct passwd pw, *res = NULL;
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t sz = hint > 0 ? (size_t)hint : 4096;
	int r;

	for (;;) {
		char *buf = malloc(sz);
		if (!buf)
			return -ENOMEM;
		r = getpwuid_r(uid, &pw, buf, sz, &res);
		if (r == 0 && res)
			snprintf(name, cap, "%s", pw.pw_name);
		free(buf);
		if (r == ERANGE && sz < PW_BUF_MAX) {
			sz *= 2;
			continue;
		}
		break;
	}
	if (r == 0)
		return res ? 1 : 0;
	/* getpwuid_r(3): some NSS modules say "not found" with these. */
	if (r == ENOENT || r == ESRCH)
		return 0;
	return -r;
}

static void user_name(struct ng_enricher *en, struct ng_event *e, uint64_t now)
{
	uint64_t k[3] = { e->uid, 0, 0 };
	struct user_entry *u = (struct user_entry *)cache_find(&en->user, k, now);

	if (u) {
		en->st.user_hits++;
	} else {
		char name[NG_USER_LEN] = "";
		int r;
		uint64_t ttl = en->user_ttl_ns;

		en->st.user_misses++;
		if (en->passwd_path)
			r = passwd_file_lookup(en->passwd_path, e->uid, name, sizeof(name));
		else
			r = nss_lookup(e->uid, name, sizeof(name));
		/* A failing directory service is asked again soon; a missing user is not. */
		if (r < 0 && ttl > 5000000000ull)
			ttl = 5000000000ull;
		u = (struct user_entry *)cache_put(&en->user, k, now + ttl);
		u->state = r > 0 ? USER_FOUND : r == 0 ? USER_NONE : USER_ERROR;
		memcpy(u->name, name, sizeof(name));
	}
	/* No such user: present and "". Lookup failed: absent, the name is not known. */
	if (u->state == USER_ERROR)
		return;
	COPY_FIELD(e->user_name, u->name);
	ng_event_set(e, NG_F_USER_NAME);
}

/* ---- the enricher ---------------------------------------------------- */

/*
 * The initial pid namespace has a fixed inode number (PROC_PID_INIT_INO in
 * include/linux/proc_ns.h, since 3.8). The initial mount namespace's number
 * is only fixed on recent kernels, so it is read: from pid 1, or, where pid 1
 * is out of reach, from the sensor itself when the sensor runs in the initial
 * pid namespace. A containerised sensor (own mount namespace) thereby only
 * makes the namespace fallback answer "unknown" more often, never "host"
 * wrongly.
 */
#define NG_PROC_PID_INIT_INO 0xEFFFFFFCu

static void learn_host_ns(struct ng_enricher *en)
{
	struct stat st;

	en->host_ns_pid = NG_PROC_PID_INIT_INO;
	if (fstatat(en->proc_fd, "1/ns/mnt", &st, 0) == 0) {
		en->host_ns_mnt = st.st_ino;
		en->host_ns_known = true;
		return;
	}
	if (fstatat(en->proc_fd, "self/ns/pid", &st, 0) == 0 && st.st_ino == NG_PROC_PID_INIT_INO &&
	    fstatat(en->proc_fd, "self/ns/mnt", &st, 0) == 0) {
		en->host_ns_mnt = st.st_ino;
		en->host_ns_known = true;
	}
}

static uint64_t random_seed(void)
{
	uint64_t s;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
		s = now_ns() ^ ((uint64_t)getpid() << 32);
	return s;
}

int ng_enricher_new(struct ng_enricher **out, const struct ng_enrich_opts *opts)
{
	static const struct ng_enrich_opts defaults;
	struct ng_enricher *en;
	const char *root;
	uint64_t seed = random_seed();
	long hz = sysconf(_SC_CLK_TCK);
	int r;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	en = calloc(1, sizeof(*en));
	if (!en)
		return -ENOMEM;
	en->proc_fd = -1;
	en->ns_per_tick = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
	en->cgroup_ttl_ns = (opts->cgroup_ttl_ms ? opts->cgroup_ttl_ms : 2000) * 1000000ull;
	en->user_ttl_ns = (opts->user_ttl_ms ? opts->user_ttl_ms : 60000) * 1000000ull;

	r = -ENOMEM;
	en->cgbuf = malloc(CGROUP_READ_MAX + 1);
	if (!en->cgbuf)
		goto fail;
	if (opts->passwd_path && !(en->passwd_path = strdup(opts->passwd_path)))
		goto fail;
	/*
	 * Sized for the processes that call set_mempolicy repeatedly, not for
	 * every process on the host: a storm of one-call processes gains nothing
	 * from a bigger cache, and every slot is resident once touched.
	 */
	if (cache_init(&en->proc, opts->proc_cache_entries ? opts->proc_cache_entries : 512,
		       sizeof(struct proc_entry), seed, &en->st.evictions) < 0 ||
	    cache_init(&en->cgroup, opts->cgroup_cache_entries ? opts->cgroup_cache_entries : 512,
		       sizeof(struct cgroup_entry), seed ^ 1, &en->st.evictions) < 0 ||
	    cache_init(&en->user, opts->user_cache_entries ? opts->user_cache_entries : 256,
		       sizeof(struct user_entry), seed ^ 2, &en->st.evictions) < 0)
		goto fail;

	root = opts->proc_root ? opts->proc_root : "/proc";
	en->proc_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (en->proc_fd < 0) {
		r = -errno;
		goto fail;
	}
	r = learn_hierarchies(en);
	if (r < 0)
		goto fail;
	learn_host_ns(en);
	*out = en;
	return 0;
fail:
	ng_enricher_free(en);
	return r;
}

void ng_enricher_free(struct ng_enricher *en)
{
	if (!en)
		return;
	if (en->proc_fd >= 0)
		close(en->proc_fd);
	free(en->proc.mem);
	free(en->cgroup.mem);
	free(en->user.mem);
	free(en->cgbuf);
	free(en->passwd_path);
	free(en);
}

void ng_enricher_stats(const struct ng_enricher *en, struct ng_enrich_stats *out)
{
	*out = en->st;
	out->proc_entries = en->proc.count;
	out->cgroup_entries = en->cgroup.count;
	out->user_entries = en->user.count;
}

static void set_str_fields(struct ng_event *e)
{
	ng_event_set(e, NG_F_PROC_EXEPATH);
	ng_event_set(e, NG_F_PROC_CMDLINE);
	ng_event_set(e, NG_F_CONTAINER_ID);
	ng_event_set(e, NG_F_CONTAINER_RUNTIME);
	ng_event_set(e, NG_F_CONTAINER_CGROUP);
	ng_event_set(e, NG_F_K8S_POD_UID);
}

static void put_container(struct ng_event *e, const struct cgroup_entry *c)
{
	COPY_FIELD(e->cgroup, c->cgroup);
	COPY_FIELD(e->container_id, c->c.id);
	COPY_FIELD(e->pod_uid, c->c.pod_uid);
	e->runtime = c->c.runtime;
}

static void put_identity(struct ng_event *e, const struct ng_container *c)
{
	COPY_FIELD(e->container_id, c->id);
	COPY_FIELD(e->pod_uid, c->pod_uid);
	e->runtime = c->runtime;
}

/*
 * Container identity from what decode brought (kpath: the cgroup path the
 * kernel saw at the call, or NULL) and what /proc gave (c, or NULL when the
 * process is gone or unverified). The kernel path alone has already decided
 * when it names a container or the host has no v1 hierarchies. Here /proc's
 * lines may still name a container (hybrid hosts); failing that, a non-root
 * kernel path has placed the process on the host. When nothing placed it,
 * the namespaces the kernel recorded at the call decide: a process in the
 * host's pid and mount namespaces is not in a container; anything else is
 * unknown, never assumed to be host.
 */
static void identity(struct ng_event *e, const char *kpath, const struct cgroup_entry *c,
		     bool host_ns)
{
	static const struct ng_container unknown = { .runtime = NG_RUNTIME_UNKNOWN };
	static const struct ng_container host = { .id = "host", .runtime = NG_RUNTIME_HOST };
	bool placed = kpath && strcmp(kpath, "/") != 0;

	if (c && !c->blind && (ng_container_is_container(&c->c) || !kpath)) {
		put_container(e, c);
	} else if (c && !c->blind) {
		/* Both say host: the call-time path, unless it was the uninformative root. */
		put_identity(e, &host);
		if (!placed)
			COPY_FIELD(e->cgroup, c->cgroup);
	} else if (placed || host_ns) {
		put_identity(e, &host);
		if (!(e->kernel_captured & NG_KC_CGROUP) && c)
			COPY_FIELD(e->cgroup, c->cgroup);
	} else {
		put_identity(e, &unknown);
	}
}

void ng_enrich(struct ng_enricher *en, struct ng_event *e)
{
	uint64_t pk[3] = { e->pid, e->start_boot_ns, e->exec_id };
	uint64_t ck[3] = { e->pid, e->start_boot_ns, e->cgroup_id };
	uint64_t now = now_ns();
	struct proc_entry *p = NULL;
	struct cgroup_entry *c = NULL;
	struct ng_container kc;
	const char *kpath = NULL;
	bool need_proc, need_cg = true, host_ns;
	int pfd = -1;

	if (ng_event_has(e, NG_F_USER_UID))
		user_name(en, e, now);
	if (!ng_event_has(e, NG_F_PROC_PID))
		return;

	/*
	 * What the kernel captured at the call (decode sets kernel_captured)
	 * wins over /proc, which may already show another image, another
	 * cgroup, or nothing. A truncated kernel cgroup path ("…/leaf", its
	 * outer segments cut) cannot be judged by its outermost runtime segment,
	 * so it is shown but /proc decides the identity.
	 */
	need_proc = (e->kernel_captured & NG_KC_PROC) != NG_KC_PROC;
	if ((e->kernel_captured & NG_KC_CGROUP) && e->cgroup[0] == '/') {
		kpath = e->cgroup;
		/*
		 * A v1 path was read by the kernel at the call from a live task (the
		 * kernel only takes it when the v2 path is the root), so unlike
		 * /proc's v1 lines of an exiting task it places the process.
		 */
		if (ng_cgroup_parse(kpath, &kc) == 0 &&
		    (ng_container_is_container(&kc) || !en->has_v1 ||
		     (e->kernel_captured & NG_KC_CGROUP_V1))) {
			put_identity(e, &kc);
			need_cg = false;
		}
	}
	/*
	 * The kernel sends the paths once per process image and cgroup; later
	 * events of the same image arrive without them and are served from
	 * these caches, under the same keys, even after the process is gone.
	 */
	if (!need_proc) {
		p = (struct proc_entry *)cache_put(&en->proc, pk, 0);
		COPY_FIELD(p->exepath, e->exepath);
		COPY_FIELD(p->cmdline, e->cmdline);
		p = NULL;
	}
	if (!need_cg) {
		c = (struct cgroup_entry *)cache_put(&en->cgroup, ck, now + en->cgroup_ttl_ns);
		COPY_FIELD(c->cgroup, e->cgroup);
		c->c = kc;
		c->blind = false;
		c = NULL;
	}
	/* Start empty: whatever cannot be read stays "" rather than stale. */
	if (need_proc)
		e->exepath[0] = e->cmdline[0] = '\0';
	if (need_cg) {
		if (!(e->kernel_captured & NG_KC_CGROUP))
			e->cgroup[0] = '\0';
		e->container_id[0] = e->pod_uid[0] = '\0';
		e->runtime = NG_RUNTIME_UNKNOWN;
	}
	set_str_fields(e);
	if (!need_proc && !need_cg)
		return;

	if (need_proc) {
		p = (struct proc_entry *)cache_find(&en->proc, pk, now);
		en->st.proc_hits += p != NULL;
		en->st.proc_misses += p == NULL;
	}
	if (need_cg) {
		c = (struct cgroup_entry *)cache_find(&en->cgroup, ck, now);
		en->st.cgroup_hits += c != NULL;
		en->st.cgroup_misses += c == NULL;
	}
	if ((need_proc && !p) || (need_cg && !c)) {
		/* Without a start time nothing proves /proc/PID is still the caller. */
		if (!e->start_boot_ns)
			en->st.unverified++;
		else if ((pfd = open_proc(en, e)) < 0)
			en->st.gone++;
	}
	/* Only what was read from the verified process is cached; a gone process leaves nothing. */
	if (need_proc && !p && pfd >= 0) {
		p = (struct proc_entry *)cache_put(&en->proc, pk, 0);
		read_exe(pfd, e, p->exepath);
		read_cmdline(pfd, e, p->cmdline);
	}
	if (need_cg && !c && pfd >= 0) {
		c = (struct cgroup_entry *)cache_put(&en->cgroup, ck, now + en->cgroup_ttl_ns);
		cgroup_identity(en, pfd, c);
	}
	/* A half-cached process that has exited still gets the half that is known. */
	if (p) {
		COPY_FIELD(e->exepath, p->exepath);
		COPY_FIELD(e->cmdline, p->cmdline);
	}
	if (need_cg) {
		host_ns = en->host_ns_known && ng_event_has(e, NG_F_NS_PID) &&
			  ng_event_has(e, NG_F_NS_MNT) && e->ns_pid == en->host_ns_pid &&
			  e->ns_mnt == en->host_ns_mnt;
		identity(e, kpath, c, host_ns);
	}
	if (pfd >= 0)
		close(pfd);
}
