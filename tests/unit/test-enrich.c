// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "enrich.h"
#include "fields.h"

#define H1 "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
#define H2 "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define POD "8d3f0a5e-6b2c-4e1a-9f7d-2c4b6a8e0f13"

static uint64_t ns_per_tick;

/* A fake procfs in a temp dir: <root>/self/cgroup, <root>/<pid>/{stat,cmdline,cgroup,exe}. */
struct fake {
	char root[PATH_MAX];
	char passwd[PATH_MAX + 16];
};

static void put(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	if (write(fd, data, n) != (ssize_t)n)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	close(fd);
}

static void fixture_copy(const char *name, const char *to)
{
	char fn[PATH_MAX], buf[8192];
	const char *src = getenv("NUMAGUARD_SRCDIR");
	FILE *f;
	size_t n;

	if (!src)
		fail_msg("NUMAGUARD_SRCDIR is not set; run through meson test");
	snprintf(fn, sizeof(fn), "%s/tests/data/cgroup/proc/%s", src, name);
	f = fopen(fn, "re");
	if (!f)
		fail_msg("cannot open fixture %s: %s", fn, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	put(to, buf, n);
}

/* PF_FORKNOEXEC | PF_RANDOMIZE, as most processes show; | 0x4 (PF_EXITING) once exiting. */
#define FLAGS_RUNNING 0x400040u
#define FLAGS_EXITING (FLAGS_RUNNING | 0x4u)

static void fake_stat(struct fake *fk, unsigned int pid, uint64_t start_ns, char state,
		      unsigned int flags)
{
	char p[PATH_MAX + 128], stat[512];
	int n;

	/* A comm with ") " in it: the parser must resume after the last ')'. */
	n = snprintf(stat, sizeof(stat),
		     "%u (evil) S 1) %c 1 %u %u 0 -1 %u 100 0 0 0 1 2 0 0 20 0 1 0 %llu 123456 "
		     "300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		     pid, state, pid, pid, flags, (unsigned long long)(start_ns / ns_per_tick));
	snprintf(p, sizeof(p), "%s/%u/stat", fk->root, pid);
	put(p, stat, (size_t)n);
}

static void fake_pid(struct fake *fk, unsigned int pid, uint64_t start_ns, const char *exe,
		     const char *cmdline, size_t cmdlen, const char *cgroup_fixture)
{
	char d[PATH_MAX + 64], p[PATH_MAX + 128];

	snprintf(d, sizeof(d), "%s/%u", fk->root, pid);
	mkdir(d, 0755);
	fake_stat(fk, pid, start_ns, 'S', FLAGS_RUNNING);
	snprintf(p, sizeof(p), "%s/cmdline", d);
	put(p, cmdline, cmdlen);
	snprintf(p, sizeof(p), "%s/cgroup", d);
	fixture_copy(cgroup_fixture, p);
	snprintf(p, sizeof(p), "%s/exe", d);
	unlink(p);
	if (exe && symlink(exe, p) < 0)
		fail_msg("symlink %s: %s", p, strerror(errno));
}

static void fake_set_exe(struct fake *fk, unsigned int pid, const char *exe)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%u/exe", fk->root, pid);
	unlink(p);
	if (symlink(exe, p) < 0)
		fail_msg("symlink %s: %s", p, strerror(errno));
}

static void fake_set_cgroup(struct fake *fk, unsigned int pid, const char *fixture)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%u/cgroup", fk->root, pid);
	fixture_copy(fixture, p);
}

static int fake_setup(void **state)
{
	struct fake *fk = calloc(1, sizeof(*fk));
	char p[PATH_MAX + 64];
	const char *tmp;
	static const char pw_head[] = "root:x:0:0:root:/root:/bin/bash\n"
				 "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
				 "broken line without fields\n"
				 "bob:x:1001:1001::/home/bob:/bin/sh\n";
	char pw[16384];
	size_t n;

	assert_non_null(fk);
	/*
	 * The fake tree is small and short-lived; on tmpfs (/dev/shm) creating
	 * a few hundred process directories costs milliseconds, on some disks
	 * seconds.
	 */
	tmp = getenv("TMPDIR");
	if (!tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fk->root, sizeof(fk->root), "%s/ng-enrich-XXXXXX", tmp);
	if (!mkdtemp(fk->root))
		fail_msg("mkdtemp %s: %s", fk->root, strerror(errno));
	snprintf(p, sizeof(p), "%s/self", fk->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/self/cgroup", fk->root);
	fixture_copy("self-hybrid", p);
	/* The host's mount namespace, as pid 1's: a plain file stands in for the nsfs link. */
	snprintf(p, sizeof(p), "%s/1", fk->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/1/ns", fk->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/1/ns/mnt", fk->root);
	put(p, "", 0);
	snprintf(fk->passwd, sizeof(fk->passwd), "%s/passwd", fk->root);
	/* A gecos field of 9000 bytes: longer than the first lookup buffer. */
	n = (size_t)snprintf(pw, sizeof(pw), "%slong:x:1500:1500:", pw_head);
	memset(pw + n, 'g', 9000);
	n += 9000;
	n += (size_t)snprintf(pw + n, sizeof(pw) - n, ":/home/long:/bin/sh\n"
						      "carol:x:1002:1002::/home/carol:/bin/sh\n");
	put(fk->passwd, pw, n);
	*state = fk;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *fk = *state;
	char cmd[PATH_MAX + 32];

	/* The tree is ours, made by mkdtemp; remove it whole. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", fk->root);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", fk->root);
	free(fk);
	return 0;
}

static struct ng_enricher *new_enricher(struct fake *fk, struct ng_enrich_opts *o)
{
	struct ng_enrich_opts d = { 0 };
	struct ng_enricher *en = NULL;

	if (!o)
		o = &d;
	if (fk) {
		o->proc_root = fk->root;
		o->passwd_path = fk->passwd;
	}
	assert_int_equal(ng_enricher_new(&en, o), 0);
	assert_non_null(en);
	return en;
}

static struct ng_event event_for(unsigned int pid, uint64_t start_ns, uint64_t exec_id)
{
	struct ng_event e = { 0 };
	e.pid = e.tid = pid;
	e.start_boot_ns = start_ns;
	e.exec_id = exec_id;
	ng_event_set(&e, NG_F_PROC_PID);
	ng_event_set(&e, NG_F_PROC_TID);
	return e;
}

static void assert_all_present(const struct ng_event *e)
{
	assert_true(ng_event_has(e, NG_F_PROC_EXEPATH));
	assert_true(ng_event_has(e, NG_F_PROC_CMDLINE));
	assert_true(ng_event_has(e, NG_F_CONTAINER_ID));
	assert_true(ng_event_has(e, NG_F_CONTAINER_RUNTIME));
	assert_true(ng_event_has(e, NG_F_CONTAINER_CGROUP));
	assert_true(ng_event_has(e, NG_F_K8S_POD_UID));
}

static const uint64_t START = 123456789ull * 10000000ull + 4321;

static void fake_docker_v1_hybrid(void **state)
{
	struct fake *fk = *state;
	static const char cl[] = "stress-ng\0--numa\0" "4\0";
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4242, START, 7);

	fake_pid(fk, 4242, START, "/usr/bin/stress-ng (deleted)", cl, sizeof(cl) - 1,
		 "hybrid-docker-v1");
	e.uid = 1000;
	e.euid = 0;
	ng_event_set(&e, NG_F_USER_UID);
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.exepath, "/usr/bin/stress-ng (deleted)");
	assert_string_equal(e.cmdline, "stress-ng --numa 4");
	assert_string_equal(e.container_id, H1);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.cgroup, "/system.slice/docker-" H1 ".scope");
	assert_string_equal(e.pod_uid, "");
	assert_true(ng_event_has(&e, NG_F_USER_NAME));
	assert_string_equal(e.user_name, "alice");
	/* Fields that decode owns are left alone. */
	assert_int_equal(e.euid, 0);
	assert_false(ng_event_has(&e, NG_F_PROC_PRIVILEGED));
	ng_enricher_free(en);
}

static void fake_k8s_v2_line_wins(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4243, START, 1);

	fake_pid(fk, 4243, START, "/pause", "/pause", 7, "hybrid-k8s-v2");
	ng_enrich(en, &e);
	assert_string_equal(e.container_id, H2);
	assert_int_equal(e.runtime, NG_RUNTIME_CONTAINERD);
	assert_string_equal(e.pod_uid, POD);
	assert_string_equal(e.cgroup, "/kubepods.slice/kubepods-burstable.slice/"
				      "kubepods-burstable-pod"
				      "8d3f0a5e_6b2c_4e1a_9f7d_2c4b6a8e0f13.slice/"
				      "cri-containerd-" H2 ".scope");
	assert_string_equal(e.cmdline, "/pause");
	/* No user.uid from decode: no user.name either. */
	assert_false(ng_event_has(&e, NG_F_USER_NAME));
	ng_enricher_free(en);
}

/* Hybrid host, runtime managing only v1: the v2 line names a host service, v1 the container. */
static void fake_v1_container_beats_v2_host_service(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4244, START, 1);

	fake_pid(fk, 4244, START, "/bin/sh", "sh", 2, "hybrid-docker-cgroupfs-v2-host");
	ng_enrich(en, &e);
	assert_string_equal(e.container_id, H1);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.cgroup, "/docker/" H1);
	ng_enricher_free(en);
}

static void fake_host_processes(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4245, START, 1);

	fake_pid(fk, 4245, START, "/usr/bin/numactl", "numactl\0-m\0" "0\0", 13,
		 "hybrid-host-session");
	ng_enrich(en, &e);
	assert_string_equal(e.container_id, "host");
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.cgroup, "/user.slice/user-1000.slice/session-3.scope");
	assert_string_equal(e.cmdline, "numactl -m 0");

	e = event_for(4246, START, 1);
	fake_pid(fk, 4246, START, "/sbin/init", "/sbin/init", 11, "hybrid-root");
	ng_enrich(en, &e);
	assert_string_equal(e.container_id, "host");
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.cgroup, "/");
	ng_enricher_free(en);
}

/* A cgroup name carrying "\n0::/…docker…" must not forge a second v2 line. */
static void fake_forged_cgroup_line(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4247, START, 1);
	struct ng_enrich_stats st;

	fake_pid(fk, 4247, START, "/tmp/x", "x", 1, "hybrid-forged-newline");
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.container_id, "");
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);
	assert_string_equal(e.cgroup, "");
	ng_enricher_stats(en, &st);
	assert_int_equal(st.tainted, 1);
	/* exe and cmdline do not depend on the cgroup file. */
	assert_string_equal(e.exepath, "/tmp/x");
	ng_enricher_free(en);
}

/* A pure cgroup v2 host; the kernel marks a removed cgroup that still holds a zombie. */
static void fake_v2_only(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en;
	struct ng_event e = event_for(4254, START, 1);
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/self/cgroup", fk->root);
	fixture_copy("self-v2", p);
	en = new_enricher(fk, NULL);
	fake_pid(fk, 4254, START, "/bin/sh", "sh", 2, "v2-docker-deleted");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.container_id, H1);
	assert_string_equal(e.cgroup, "/system.slice/docker-" H1 ".scope");

	e = event_for(4255, START, 1);
	fake_pid(fk, 4255, START, "/usr/sbin/cron", "/usr/sbin/cron\0-f\0", 18, "v2-host-cron");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.container_id, "host");
	assert_string_equal(e.cgroup, "/system.slice/cron.service");
	assert_string_equal(e.cmdline, "/usr/sbin/cron -f");
	ng_enricher_free(en);
}

/* Events queued before an exit keep what was learnt while the process lived. */
static void fake_exit_keeps_cached_half(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4256, START, 5);
	char cmd[PATH_MAX + 64];

	e.cgroup_id = 10;
	fake_pid(fk, 4256, START, "/usr/bin/numactl", "numactl", 7, "hybrid-docker-v1");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s/4256'", fk->root);
	assert_int_equal(system(cmd), 0);

	/* Same image, another cgroup id: exe from the cache, container unknown. */
	e = event_for(4256, START, 5);
	e.cgroup_id = 11;
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.exepath, "/usr/bin/numactl");
	assert_string_equal(e.container_id, "");
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);
	ng_enricher_free(en);
}

/*
 * On v1, the kernel prints "/" for an exiting task in every hierarchy: a
 * container process that calls and exits at once must not read as host.
 */
static void fake_exiting_v1_is_not_host(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4257, START, 1);
	struct ng_enrich_stats st;
	char p[PATH_MAX + 64];

	fake_pid(fk, 4257, START, "/bin/sh", "sh", 2, "hybrid-root");
	fake_stat(fk, 4257, START, 'R', FLAGS_EXITING);
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);
	assert_string_equal(e.container_id, "");
	assert_string_equal(e.exepath, "/bin/sh");

	/* A zombie likewise. */
	e = event_for(4258, START, 1);
	fake_pid(fk, 4258, START, NULL, "", 0, "hybrid-root");
	fake_stat(fk, 4258, START, 'Z', FLAGS_EXITING);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);

	/* Exiting, but v1 still names the container (read before the exit began). */
	e = event_for(4259, START, 1);
	fake_pid(fk, 4259, START, "/bin/sh", "sh", 2, "hybrid-docker-v1");
	fake_stat(fk, 4259, START, 'R', FLAGS_EXITING);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);

	/* Not exiting: the same all-root file is a host process. */
	e = event_for(4261, START, 1);
	fake_pid(fk, 4261, START, "/bin/sh", "sh", 2, "hybrid-root");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	ng_enricher_stats(en, &st);
	assert_int_equal(st.exiting, 2);
	ng_enricher_free(en);

	/* v2 paths stay true while exiting: a v2 host service is still host. */
	snprintf(p, sizeof(p), "%s/self/cgroup", fk->root);
	fixture_copy("self-v2", p);
	en = new_enricher(fk, NULL);
	e = event_for(4262, START, 1);
	fake_pid(fk, 4262, START, "/usr/sbin/cron", "cron", 4, "v2-host-cron");
	fake_stat(fk, 4262, START, 'R', FLAGS_EXITING);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.cgroup, "/system.slice/cron.service");
	ng_enricher_free(en);
}

static struct ng_event kernel_event(unsigned int pid, const char *exe, const char *cmdline,
				    const char *cgroup)
{
	struct ng_event e = event_for(pid, START, 1);

	if (exe) {
		snprintf(e.exepath, sizeof(e.exepath), "%s", exe);
		snprintf(e.cmdline, sizeof(e.cmdline), "%s", cmdline);
		ng_event_set(&e, NG_F_PROC_EXEPATH);
		ng_event_set(&e, NG_F_PROC_CMDLINE);
		e.kernel_captured |= NG_KC_PROC;
	}
	if (cgroup) {
		snprintf(e.cgroup, sizeof(e.cgroup), "%s", cgroup);
		ng_event_set(&e, NG_F_CONTAINER_CGROUP);
		e.kernel_captured |= NG_KC_CGROUP;
	}
	return e;
}

/* What decode took from the kernel at the call wins over /proc. */
static void fake_kernel_captured_wins(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_enrich_stats st;
	struct ng_event e;

	/* /proc already shows the next image: the call-time exe and cmdline stand. */
	fake_pid(fk, 4270, START, "/usr/bin/numactl", "numactl", 7, "hybrid-root");
	e = kernel_event(4270, "/tmp/evil", "evil -x", "/system.slice/docker-" H1 ".scope");
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.exepath, "/tmp/evil");
	assert_string_equal(e.cmdline, "evil -x");
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.container_id, H1);
	assert_string_equal(e.cgroup, "/system.slice/docker-" H1 ".scope");
	ng_enricher_stats(en, &st);
	assert_int_equal(st.proc_misses + st.cgroup_misses + st.gone, 0);

	/* The process is gone; the kernel named its container: nothing is lost. */
	e = kernel_event(4271, "/bin/sh", "sh", "/kubepods/besteffort/pod" POD "/" H2);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_CONTAINERD);
	assert_string_equal(e.pod_uid, POD);

	/* Hybrid host, v2 root at the call, v1 names the container: /proc decides. */
	fake_pid(fk, 4272, START, "/bin/sh", "sh", 2, "hybrid-docker-v1");
	e = kernel_event(4272, "/bin/sh", "sh", "/");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.cgroup, "/system.slice/docker-" H1 ".scope");

	/* Hybrid host, v2 root at the call, process gone: the v2 root says nothing. */
	e = kernel_event(4273, "/bin/sh", "sh", "/");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);
	assert_string_equal(e.container_id, "");

	/* A v2 host service at the call, v1 naming a container (runtime on v1 only). */
	fake_pid(fk, 4274, START, "/bin/sh", "sh", 2, "hybrid-docker-cgroupfs-v2-host");
	e = kernel_event(4274, "/bin/sh", "sh", "/system.slice/containerd.service");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.cgroup, "/docker/" H1);

	/* ... and the same, gone: the v2 path placed it on the host. */
	e = kernel_event(4275, "/bin/sh", "sh", "/system.slice/cron.service");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.container_id, "host");
	assert_string_equal(e.cgroup, "/system.slice/cron.service");

	/* Both say host: the call-time v2 path is the one shown. */
	fake_pid(fk, 4276, START, "/bin/sh", "sh", 2, "hybrid-host-session");
	e = kernel_event(4276, "/bin/sh", "sh", "/user.slice/user-1000.slice/session-9.scope");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.cgroup, "/user.slice/user-1000.slice/session-9.scope");

	/*
	 * A truncated kernel path lost its outer segments (a container can nest
	 * deep to push them out): /proc's full path decides.
	 */
	fake_pid(fk, 4277, START, "/bin/sh", "sh", 2, "hybrid-docker-v1");
	e = kernel_event(4277, "/bin/sh", "sh", "\xe2\x80\xa6/docker-" H2 ".scope/a/b");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.container_id, H1);
	/* ... and gone: unknown, with the truncated path still shown. */
	e = kernel_event(4278, "/bin/sh", "sh", "\xe2\x80\xa6/docker-" H2 ".scope/a/b");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);
	assert_string_equal(e.container_id, "");
	assert_string_equal(e.cgroup, "\xe2\x80\xa6/docker-" H2 ".scope/a/b");
	ng_enricher_free(en);
}

/*
 * The kernel sends the paths once per process image: later events of the
 * same image come without them and are served from what the first one
 * brought, even when the process is gone.
 */
static void fake_kernel_paths_serve_later_events(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e;

	e = kernel_event(4290, "/tmp/once", "once -q", "/system.slice/docker-" H1 ".scope");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	e = event_for(4290, START, 1); /* no /proc entry: the process is gone */
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.exepath, "/tmp/once");
	assert_string_equal(e.cmdline, "once -q");
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.container_id, H1);
	/* Another image of that pid is not served the old one. */
	e = event_for(4290, START, 2);
	ng_enrich(en, &e);
	assert_string_equal(e.exepath, "");

	/* A v1 path the kernel read at the call (task in the v2 root) places the process. */
	e = kernel_event(4291, "/bin/sh", "sh", "/user.slice/session-1.scope");
	e.kernel_captured |= NG_KC_CGROUP_V1;
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.container_id, "host");
	e = kernel_event(4292, "/bin/sh", "sh", "/docker/" H2);
	e.kernel_captured |= NG_KC_CGROUP_V1;
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);
	assert_string_equal(e.container_id, H2);
	ng_enricher_free(en);
}

/* On a pure cgroup v2 host the kernel's path is the whole truth, the root included. */
static void fake_kernel_captured_v2_host(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en;
	struct ng_enrich_stats st;
	struct ng_event e;
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/self/cgroup", fk->root);
	fixture_copy("self-v2", p);
	en = new_enricher(fk, NULL);
	e = kernel_event(4280, "/bin/sh", "sh", "/");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.container_id, "host");
	assert_string_equal(e.cgroup, "/");
	/* Only the exe came from the kernel here: /proc is asked for nothing else. */
	e = kernel_event(4281, NULL, NULL, "/system.slice/cron.service");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.exepath, "");
	ng_enricher_stats(en, &st);
	assert_int_equal(st.cgroup_misses, 0);
	assert_int_equal(st.proc_misses, 1);
	ng_enricher_free(en);
}

static void set_ns(struct fake *fk, struct ng_event *e, bool host)
{
	char p[PATH_MAX + 64];
	struct stat st;

	/* The initial pid namespace's fixed inode number (PROC_PID_INIT_INO). */
	e->ns_pid = host ? 0xEFFFFFFCu : 0xF0000123u;
	snprintf(p, sizeof(p), "%s/1/ns/mnt", fk->root);
	assert_int_equal(stat(p, &st), 0);
	e->ns_mnt = host ? st.st_ino : st.st_ino + 1000;
	ng_event_set(e, NG_F_NS_PID);
	ng_event_set(e, NG_F_NS_MNT);
}

/*
 * When no cgroup line can place a process (gone, or exiting on a v1 host),
 * the namespaces the kernel recorded at the call tell a host process from
 * one in a container: the host's own pid and mount namespaces mean host.
 */
static void fake_namespaces_place_the_unplaceable(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e;

	/* Gone, v2 root at the call on a hybrid host. */
	e = kernel_event(4290, "/bin/true", "true", "/");
	set_ns(fk, &e, true);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.container_id, "host");
	assert_string_equal(e.cgroup, "/");
	e = kernel_event(4290, "/bin/true", "true", "/");
	set_ns(fk, &e, false);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);

	/* Gone, nothing from the kernel either. */
	e = event_for(4291, START, 1);
	set_ns(fk, &e, true);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.cgroup, "");
	e = event_for(4292, START, 1);
	set_ns(fk, &e, false);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);

	/* Exiting on a v1 host: every v1 line already says "/". */
	fake_pid(fk, 4293, START, "/bin/sh", "sh", 2, "hybrid-root");
	fake_stat(fk, 4293, START, 'R', FLAGS_EXITING);
	e = event_for(4293, START, 1);
	set_ns(fk, &e, true);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	e = event_for(4293, START, 1); /* the same cached entry, another namespace */
	set_ns(fk, &e, false);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);
	ng_enricher_free(en);
}

/* Hierarchies mounted or unmounted while the sensor runs: learnt again, not "forged". */
static void fake_hierarchies_change(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_enrich_stats st;
	struct ng_event e = event_for(4300, START, 1);
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/self/cgroup", fk->root);
	fixture_copy("self-v2", p);
	fake_pid(fk, 4300, START, "/usr/sbin/cron", "cron", 4, "v2-host-cron");
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	assert_string_equal(e.cgroup, "/system.slice/cron.service");
	ng_enricher_stats(en, &st);
	assert_int_equal(st.tainted, 0);
	ng_enricher_free(en);
}

/* The pid now belongs to a process that started at another time: nothing of it is shown. */
static void fake_reused_pid_lends_nothing(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4248, START - 5 * ns_per_tick, 1);
	struct ng_enrich_stats st;

	fake_pid(fk, 4248, START, "/usr/bin/numactl", "numactl", 7, "hybrid-docker-v1");
	/* Garbage from a previous use of the struct must not survive. */
	memset(e.exepath, 'Z', sizeof(e.exepath) - 1);
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.exepath, "");
	assert_string_equal(e.cmdline, "");
	assert_string_equal(e.container_id, "");
	assert_string_equal(e.cgroup, "");
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);

	/* No start time: /proc is not trusted at all. */
	e = event_for(4248, 0, 1);
	ng_enrich(en, &e);
	assert_string_equal(e.exepath, "");
	ng_enricher_stats(en, &st);
	assert_int_equal(st.gone, 1);
	assert_int_equal(st.unverified, 1);
	assert_int_equal(st.proc_entries, 0);
	ng_enricher_free(en);
}

static void fake_exec_id_invalidates(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4249, START, 100);
	struct ng_enrich_stats st;

	fake_pid(fk, 4249, START, "/usr/bin/before", "before", 6, "hybrid-docker-v1");
	ng_enrich(en, &e);
	assert_string_equal(e.exepath, "/usr/bin/before");

	/* The image changes on disk but no exec happened: the cached value stands. */
	fake_set_exe(fk, 4249, "/usr/bin/after");
	e = event_for(4249, START, 100);
	ng_enrich(en, &e);
	assert_string_equal(e.exepath, "/usr/bin/before");

	/* An execve changes exec_id: never the previous image's exe. */
	e = event_for(4249, START, 101);
	ng_enrich(en, &e);
	assert_string_equal(e.exepath, "/usr/bin/after");
	ng_enricher_stats(en, &st);
	assert_int_equal(st.proc_hits, 1);
	assert_int_equal(st.proc_misses, 2);
	ng_enricher_free(en);
}

static void fake_cgroup_expires_and_follows_cgroup_id(void **state)
{
	struct fake *fk = *state;
	struct ng_enrich_opts o = { .cgroup_ttl_ms = 400 };
	struct ng_enricher *en = new_enricher(fk, &o);
	struct ng_event e = event_for(4250, START, 1);
	struct timespec t0, t1;

	e.cgroup_id = 77;
	fake_pid(fk, 4250, START, "/bin/sh", "sh", 2, "hybrid-host-session");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_HOST);

	/* Moved into a container's cgroup. Same cgroup_id (v1 move): cached until expiry. */
	fake_set_cgroup(fk, 4250, "hybrid-docker-v1");
	ng_enrich(en, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Only meaningful if this machine did not stall past the expiry in between. */
	if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 400)
		assert_int_equal(e.runtime, NG_RUNTIME_HOST);
	usleep(500 * 1000);
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_DOCKER);

	/* A v2 move changes the cgroup id the kernel recorded: seen at once. */
	fake_set_cgroup(fk, 4250, "hybrid-k8s-v2");
	e.cgroup_id = 78;
	ng_enrich(en, &e);
	assert_int_equal(e.runtime, NG_RUNTIME_CONTAINERD);
	ng_enricher_free(en);
}

static void fake_bounds(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4251, START, 1);
	char *target = malloc(2049), *cl = malloc(5000);

	assert_non_null(target);
	assert_non_null(cl);
	/* An exe path past the field's bound (symlink targets may be long). */
	target[0] = '/';
	memset(target + 1, 'p', 2047);
	target[2048] = '\0';
	/* 5000 bytes of arguments with an embedded newline and invalid UTF-8, kept raw. */
	memset(cl, 'a', 5000);
	memcpy(cl, "evil\nline\xff\0x", 12);
	fake_pid(fk, 4251, START, target, cl, 5000, "v2-host-cron");
	ng_enrich(en, &e);
	assert_int_equal(strlen(e.exepath), NG_PATH_LEN - 1);
	assert_memory_equal(e.exepath, target, NG_PATH_LEN - 1);
	assert_int_equal(strlen(e.cmdline), NG_CMDLINE_LEN - 1);
	assert_memory_equal(e.cmdline, "evil\nline\xff x", 12);
	/* v2 file against a hybrid self file: a shape mismatch, so not trusted. */
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);
	free(target);
	free(cl);
	ng_enricher_free(en);
}

/* The calling thread's exe when the thread group leader has exited (a way to hide from ps). */
static void fake_exited_leader_uses_thread(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = event_for(4252, START, 1);
	char p[PATH_MAX + 64];

	fake_pid(fk, 4252, START, NULL, "", 0, "hybrid-docker-v1");
	snprintf(p, sizeof(p), "%s/4252/task", fk->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/4252/task/4260", fk->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/4252/task/4260/exe", fk->root);
	assert_int_equal(symlink("/opt/hidden", p), 0);
	snprintf(p, sizeof(p), "%s/4252/task/4260/cmdline", fk->root);
	put(p, "hidden\0-x\0", 10);
	e.tid = 4260;
	ng_enrich(en, &e);
	assert_string_equal(e.exepath, "/opt/hidden");
	assert_string_equal(e.cmdline, "hidden -x");
	ng_enricher_free(en);
}

static void fake_user_names(void **state)
{
	struct fake *fk = *state;
	struct ng_enricher *en = new_enricher(fk, NULL);
	struct ng_event e = { 0 };
	struct ng_enrich_stats st;

	e.uid = 1001;
	ng_event_set(&e, NG_F_USER_UID);
	ng_enrich(en, &e);
	assert_true(ng_event_has(&e, NG_F_USER_NAME));
	assert_string_equal(e.user_name, "bob");

	/* An entry longer than the first lookup buffer, then the one wanted. */
	e.uid = 1002;
	ng_enrich(en, &e);
	assert_string_equal(e.user_name, "carol");
	/* No proc.pid: the /proc fields stay absent. */
	assert_false(ng_event_has(&e, NG_F_PROC_EXEPATH));

	/* A uid the database does not know: present and empty. */
	e.uid = 4242;
	ng_enrich(en, &e);
	assert_true(ng_event_has(&e, NG_F_USER_NAME));
	assert_string_equal(e.user_name, "");
	/* Asked again: from the cache, not the file. */
	ng_enrich(en, &e);
	ng_enricher_stats(en, &st);
	assert_int_equal(st.user_misses, 3);
	assert_int_equal(st.user_hits, 1);
	ng_enricher_free(en);
}

/* A user database that cannot be read: the name is not known, so the field is absent. */
static void fake_user_lookup_failure(void **state)
{
	struct fake *fk = *state;
	struct ng_enrich_opts o = { .passwd_path = "/nonexistent/passwd" };
	struct ng_enricher *en;
	struct ng_event e = { 0 };

	o.proc_root = fk->root;
	assert_int_equal(ng_enricher_new(&en, &o), 0);
	e.uid = 1000;
	ng_event_set(&e, NG_F_USER_UID);
	ng_enrich(en, &e);
	assert_false(ng_event_has(&e, NG_F_USER_NAME));
	ng_enricher_free(en);
}

/* Through NSS, a uid no host has: present and empty. */
static void real_unknown_uid(void **state)
{
	struct ng_enricher *en = new_enricher(NULL, NULL);
	struct ng_event e = { 0 };

	e.uid = 3999999999u;
	ng_event_set(&e, NG_F_USER_UID);
	ng_enrich(en, &e);
	assert_true(ng_event_has(&e, NG_F_USER_NAME));
	assert_string_equal(e.user_name, "");
	ng_enricher_free(en);
}

/* The cache never grows past its size, whatever the key churn. */
static void cache_is_bounded(void **state)
{
	struct fake *fk = *state;
	struct ng_enrich_opts o = { .proc_cache_entries = 64, .cgroup_cache_entries = 64 };
	struct ng_enricher *en = new_enricher(fk, &o);
	struct ng_enrich_stats st;
	struct mallinfo2 before, after;
	struct ng_event e;

	fake_pid(fk, 4253, START, "/bin/true", "true", 4, "hybrid-docker-v1");
	e = event_for(4253, START, 0);
	ng_enrich(en, &e);
	before = mallinfo2();
	/*
	 * 100k distinct (pid, start, exec_id) keys through 64 slots, each a
	 * real read of the fake /proc: a storm of short-lived images; and 5000
	 * distinct cgroup keys, each used for 20 events.
	 */
	for (uint64_t i = 1; i <= 100000; i++) {
		e = event_for(4253, START, i);
		e.cgroup_id = i / 20 + 1;
		ng_enrich(en, &e);
	}
	after = mallinfo2();
	assert_string_equal(e.exepath, "/bin/true");
	ng_enricher_stats(en, &st);
	assert_true(st.proc_entries <= 64);
	assert_true(st.cgroup_entries <= 64);
	assert_int_equal(st.proc_misses, 100001);
	assert_int_equal(st.cgroup_misses, 5002);
	assert_int_equal(st.cgroup_hits, 100001 - 5002);
	assert_true(st.evictions >= (100001 - 64) + (5002 - 64));
	/* No allocation is kept per key. */
	assert_true(after.uordblks <= before.uordblks + 4096);

	/* A process that keeps calling stays cached through the churn (LRU within a set). */
	ng_enricher_stats(en, &st);
	{
		uint64_t hits0 = st.proc_hits;
		for (uint64_t i = 200000; i < 202000; i++) {
			e = event_for(4253, START, 7);
			ng_enrich(en, &e);
			e = event_for(4253, START, i);
			ng_enrich(en, &e);
		}
		ng_enricher_stats(en, &st);
		assert_int_equal(st.proc_hits - hits0, 2000 - 1);
	}
	ng_enricher_free(en);

	/* Distinct pids: 300 live fake processes through a 64-entry cache. */
	en = new_enricher(fk, &o);
	for (unsigned int pid = 10000; pid < 10300; pid++) {
		fake_pid(fk, pid, START, "/bin/true", "true", 4, "hybrid-root");
		e = event_for(pid, START, 1);
		ng_enrich(en, &e);
		assert_string_equal(e.exepath, "/bin/true");
	}
	/* 100k pids that are gone: nothing is cached for them. */
	for (unsigned int pid = 200000; pid < 300000; pid++) {
		e = event_for(pid, START, 1);
		ng_enrich(en, &e);
	}
	ng_enricher_stats(en, &st);
	assert_true(st.proc_entries <= 64);
	assert_true(st.cgroup_entries <= 64);
	assert_true(st.proc_entries >= 48); /* and it is used */
	assert_int_equal(st.gone, 100000);
	ng_enricher_free(en);
}

/* ---- the real /proc -------------------------------------------------- */

static uint64_t real_start_ns(pid_t pid)
{
	char fn[64], buf[1024];
	unsigned long long ticks = 0;
	FILE *f;
	char *p;
	size_t n;

	snprintf(fn, sizeof(fn), "/proc/%d/stat", (int)pid);
	f = fopen(fn, "re");
	if (!f)
		fail_msg("cannot open %s: %s", fn, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	assert_non_null(p);
	for (int i = 0; i < 20; i++)
		p = strchr(p + 1, ' ');
	assert_non_null(p);
	ticks = strtoull(p + 1, NULL, 10);
	assert_true(ticks > 0);
	/* Anywhere inside the tick, as the kernel's ns value would be. */
	return (uint64_t)ticks * ns_per_tick + ns_per_tick / 3;
}

static void real_self(void **state)
{
	struct ng_enricher *en = new_enricher(NULL, NULL);
	struct ng_event e = event_for((unsigned int)getpid(), real_start_ns(getpid()), 1);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	e.uid = 0;
	ng_event_set(&e, NG_F_USER_UID);
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.exepath, exe);
	assert_non_null(strstr(e.cmdline, "test-enrich"));
	/* Through NSS: uid 0 is root on every Linux system. */
	assert_string_equal(e.user_name, "root");
	/* Our own cgroup file has the hierarchies we learnt: never "tainted". */
	assert_true(e.runtime != NG_RUNTIME_UNKNOWN || e.container_id[0] != '\0');
	assert_true(e.cgroup[0] == '/');
	ng_enricher_free(en);
}

static void real_children(void **state)
{
	struct ng_enricher *en = new_enricher(NULL, NULL);
	struct ng_enrich_stats st;
	struct ng_event e;
	int pfd[2];
	pid_t child;
	uint64_t start;
	char c;

	/* A live child running a real program. */
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* The pipe closes at exec (O_CLOEXEC): read returns 0 once sleep runs. */
	assert_int_equal(read(pfd[0], &c, 1), 0);
	close(pfd[0]);
	start = real_start_ns(child);
	e = event_for((unsigned int)child, start, 1);
	ng_enrich(en, &e);
	assert_non_null(strstr(e.exepath, "sleep"));
	assert_string_equal(e.cmdline, "sleep 30");

	/* The same child as a zombie: no exe, no cmdline, no crash. */
	kill(child, SIGKILL);
	usleep(50 * 1000);
	e = event_for((unsigned int)child, start, 2);
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.exepath, "");
	assert_string_equal(e.cmdline, "");

	/* Reaped: the pid is gone. A new exec_id forces a real lookup. */
	assert_int_equal(waitpid(child, NULL, 0), child);
	e = event_for((unsigned int)child, start, 3);
	e.cgroup_id = 999;
	ng_enrich(en, &e);
	assert_all_present(&e);
	assert_string_equal(e.exepath, "");
	assert_string_equal(e.cmdline, "");
	assert_string_equal(e.container_id, "");
	assert_string_equal(e.cgroup, "");
	assert_int_equal(e.runtime, NG_RUNTIME_UNKNOWN);

	/*
	 * Gone, but recorded in our own namespaces: a host process when we are
	 * in the initial pid namespace, else still unknown.
	 */
	{
		struct stat pid_ns, mnt_ns;
		bool initial;

		assert_int_equal(stat("/proc/self/ns/pid", &pid_ns), 0);
		assert_int_equal(stat("/proc/self/ns/mnt", &mnt_ns), 0);
		initial = pid_ns.st_ino == 0xEFFFFFFCu;
		e = event_for((unsigned int)child, start, 4);
		e.cgroup_id = 1000;
		e.ns_pid = pid_ns.st_ino;
		e.ns_mnt = mnt_ns.st_ino;
		ng_event_set(&e, NG_F_NS_PID);
		ng_event_set(&e, NG_F_NS_MNT);
		ng_enrich(en, &e);
		assert_int_equal(e.runtime, initial ? NG_RUNTIME_HOST : NG_RUNTIME_UNKNOWN);
		assert_string_equal(e.container_id, initial ? "host" : "");
	}
	ng_enricher_stats(en, &st);
	assert_true(st.gone >= 2);
	ng_enricher_free(en);
}

static void proc_root_missing(void **state)
{
	struct ng_enrich_opts o = { .proc_root = "/nonexistent/proc" };
	struct ng_enricher *en = (struct ng_enricher *)1;

	assert_int_equal(ng_enricher_new(&en, &o), -ENOENT);
	assert_null(en);

	/* A directory that is not a procfs: refused, not taken for a host without cgroups. */
	o.proc_root = "/usr";
	assert_int_equal(ng_enricher_new(&en, &o), -ENOENT);
	assert_null(en);
}

#define FAKE(t) cmocka_unit_test_setup_teardown(t, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FAKE(fake_docker_v1_hybrid),
		FAKE(fake_k8s_v2_line_wins),
		FAKE(fake_v1_container_beats_v2_host_service),
		FAKE(fake_host_processes),
		FAKE(fake_forged_cgroup_line),
		FAKE(fake_hierarchies_change),
		FAKE(fake_reused_pid_lends_nothing),
		FAKE(fake_exec_id_invalidates),
		FAKE(fake_exit_keeps_cached_half),
		FAKE(fake_cgroup_expires_and_follows_cgroup_id),
		FAKE(fake_v2_only),
		FAKE(fake_kernel_captured_wins),
		FAKE(fake_kernel_captured_v2_host),
		FAKE(fake_kernel_paths_serve_later_events),
		FAKE(fake_namespaces_place_the_unplaceable),
		FAKE(fake_exiting_v1_is_not_host),
		FAKE(fake_bounds),
		FAKE(fake_exited_leader_uses_thread),
		FAKE(fake_user_names),
		FAKE(fake_user_lookup_failure),
		FAKE(cache_is_bounded),
		cmocka_unit_test(real_self),
		cmocka_unit_test(real_unknown_uid),
		cmocka_unit_test(real_children),
		cmocka_unit_test(proc_root_missing),
	};
	long hz = sysconf(_SC_CLK_TCK);

	ns_per_tick = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
