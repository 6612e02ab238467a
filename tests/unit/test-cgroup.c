// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cgroup.h"
#include "fields.h"

#define H1 "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
#define H2 "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

static const char *runtime_name(enum ng_runtime rt)
{
	return (size_t)rt < ng_runtime_syms.n ? ng_runtime_syms.names[rt] : "?";
}

static void expect(const char *path, const char *rt, const char *id, const char *pod)
{
	struct ng_container c;
	int r = ng_cgroup_parse(path, &c);

	if (r != 0 || strcmp(runtime_name(c.runtime), rt) != 0 || strcmp(c.id, id) != 0 ||
	    strcmp(c.pod_uid, pod) != 0)
		fail_msg("%s: got r=%d runtime=%s id=%s pod=%s, want runtime=%s id=%s pod=%s",
			 path, r, runtime_name(c.runtime), c.id, c.pod_uid, rt, id, pod);
}

/* Every row of tests/data/cgroup/paths.tsv: runtime, id, pod uid, path. */
static void fixtures_parse(void **state)
{
	const char *src = getenv("NUMAGUARD_SRCDIR");
	char fn[4096], line[8192];
	unsigned int rows = 0;
	FILE *f;

	if (!src)
		fail_msg("NUMAGUARD_SRCDIR is not set; run through meson test");
	snprintf(fn, sizeof(fn), "%s/tests/data/cgroup/paths.tsv", src);
	f = fopen(fn, "re");
	if (!f)
		fail_msg("cannot open %s: %s", fn, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *fld[4], *save = NULL, *p = line;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (int i = 0; i < 4; i++) {
			fld[i] = strtok_r(p, "\t", &save);
			p = NULL;
			if (!fld[i])
				fail_msg("%s: malformed row: %s", fn, line);
		}
		expect(fld[3], fld[0], strcmp(fld[1], "-") ? fld[1] : "",
		       strcmp(fld[2], "-") ? fld[2] : "");
		rows++;
	}
	fclose(f);
	assert_true(rows >= 45);
}

static void bad_input_is_never_host(void **state)
{
	struct ng_container c;
	char *huge;

	assert_int_equal(ng_cgroup_parse(NULL, &c), -EINVAL);
	assert_int_equal(c.runtime, NG_RUNTIME_UNKNOWN);
	assert_string_equal(c.id, "");
	assert_int_equal(ng_cgroup_parse("", &c), -EINVAL);
	assert_int_equal(ng_cgroup_parse("system.slice/cron.service", &c), -EINVAL);
	assert_int_equal(c.runtime, NG_RUNTIME_UNKNOWN);

	huge = malloc(NG_CGROUP_PARSE_MAX + 2);
	assert_non_null(huge);
	memset(huge, 'a', NG_CGROUP_PARSE_MAX + 1);
	huge[0] = '/';
	huge[NG_CGROUP_PARSE_MAX + 1] = '\0';
	assert_int_equal(ng_cgroup_parse(huge, &c), -E2BIG);
	assert_int_equal(c.runtime, NG_RUNTIME_UNKNOWN);
	free(huge);

	/* Relative to a cgroup namespace we are not in: cannot be placed. */
	expect("/../../system.slice/docker-" H1 ".scope", "unknown", "", "");
}

/* A long path made of many segments still resolves from its outermost runtime segment. */
static void long_nested_path(void **state)
{
	size_t cap = NG_CGROUP_PARSE_MAX, n;
	char *p = malloc(cap + 1);

	assert_non_null(p);
	n = (size_t)snprintf(p, cap, "/system.slice/docker-%s.scope", H1);
	while (n + 90 < cap)
		n += (size_t)snprintf(p + n, cap - n, "/docker-%s.scope", H2);
	assert_true(n > cap - 100);
	expect(p, "docker", H1, "");
	free(p);
}

static void fake_nested_segments_do_not_override(void **state)
{
	/* A container naming a sub-cgroup after another container stays itself. */
	expect("/system.slice/docker-" H1 ".scope/docker-" H2 ".scope", "docker", H1, "");
	expect("/docker/" H1 "/system.slice/libpod-" H2 ".scope", "docker", H1, "");
	expect("/lxc.payload.web01/docker/" H2, "lxc", "web01", "");
	/* ... nor can it borrow a pod by naming a kubepods tree below itself. */
	expect("/system.slice/docker-" H1
	       ".scope/kubepods/pod8d3f0a5e-6b2c-4e1a-9f7d-2c4b6a8e0f13/" H2,
	       "docker", H1, "");
	/* A forged monitor name below a container does not make it a host process. */
	expect("/machine.slice/libpod-" H1 ".scope/libpod-conmon-" H2 ".scope", "podman", H1, "");
}

static void hex_must_be_exact(void **state)
{
	/* 63 and 65 digits, uppercase, a non-hex digit: not runtime-made ids. */
	expect("/system.slice/docker-" H1 "0.scope", "host", "host", "");
	expect("/system.slice/docker-"
	       "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa0011223344556677889.scope",
	       "host", "host", "");
	expect("/system.slice/docker-"
	       "3F4E5D6C7B8A99887766554433221100FFEEDDCCBBAA00112233445566778899.scope",
	       "host", "host", "");
	expect("/system.slice/docker-"
	       "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa0011223344556677889g.scope",
	       "host", "host", "");
	expect("/docker/xyz", "host", "host", "");
	/* A malformed pod uid is not reported, but the kubepods context still is. */
	expect("/kubepods/burstable/podNOT-A-UID/" H2, "unknown", H2, "");
}

static void embedded_newlines_and_controls(void **state)
{
	/*
	 * A newline is an ordinary byte in a cgroup name: "x\n0::" is one
	 * segment that matches nothing, and the walk goes on. (A forged line in
	 * /proc/PID/cgroup is the enricher's concern, not the parser's.)
	 */
	expect("/system.slice/x\n0::/docker/" H1, "docker", H1, "");
	expect("/system.slice/docker-" H1 ".scope\n", "host", "host", "");
	expect("/lxc/web\n01", "lxc", "", "");
	expect("/lxc.payload.we b", "lxc", "", "");
	expect("/machine.slice/systemd-nspawn@a\\x0ab.service", "systemd-nspawn", "", "");
	expect("/machine.slice/systemd-nspawn@bad\\xZZ.service", "systemd-nspawn", "", "");
}

static void names_are_bounded(void **state)
{
	char p[256];
	char name[80];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(p, sizeof(p), "/lxc/%s", name);
	expect(p, "lxc", "", "");
	/* container.id holds 64 bytes: 65 is refused (never cut: names could collide), 64 fits. */
	name[65] = '\0';
	snprintf(p, sizeof(p), "/lxc/%s", name);
	expect(p, "lxc", "", "");
	name[64] = '\0';
	snprintf(p, sizeof(p), "/lxc/%s", name);
	expect(p, "lxc", name, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixtures_parse),
		cmocka_unit_test(bad_input_is_never_host),
		cmocka_unit_test(long_nested_path),
		cmocka_unit_test(fake_nested_segments_do_not_override),
		cmocka_unit_test(hex_must_be_exact),
		cmocka_unit_test(embedded_newlines_and_controls),
		cmocka_unit_test(names_are_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
