// SPDX-License-Identifier: LGPL-2.1-or-later
/* Ring buffer record → event: validation at the trust boundary and field decoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "events.h"
#include "fields.h"

static struct ng_record base(void)
{
	struct ng_record r;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.version = NG_RECORD_VERSION;
	r.attach = NG_ATTACH_TRACEPOINT;
	r.ts_boot = 1000;
	r.pid = r.tid = 42;
	r.ns_user = 0xEFFFFFFDu;
	memcpy(r.comm, "abcdefghijklmnop", 16); /* no NUL: the kernel's comm is exactly 16 */
	return r;
}

static void rejects_wrong_size_and_version(void **state)
{
	struct ng_record r = base();
	struct ng_event e;
	assert_int_equal(ng_decode(&r, sizeof(r), 0, &e), 0);
	assert_int_equal(ng_decode(&r, sizeof(r) - 1, 0, &e), -EBADMSG);
	assert_int_equal(ng_decode(&r, sizeof(r) + 8, 0, &e), -EBADMSG);
	r.version = NG_RECORD_VERSION + 1;
	assert_int_equal(ng_decode(&r, sizeof(r), 0, &e), -EBADMSG);
	r = base();
	r.size = 12;
	assert_int_equal(ng_decode(&r, sizeof(r), 0, &e), -EBADMSG);
	r = base();
	r.attach = 9;
	assert_int_equal(ng_decode(&r, sizeof(r), 0, &e), -EBADMSG);
	r = base();
	r.nbits = NG_MAX_NODES + 1;
	assert_int_equal(ng_decode(&r, sizeof(r), 0, &e), -EBADMSG);
}

static void comm_is_bounded(void **state)
{
	struct ng_record r = base();
	struct ng_event e;
	assert_int_equal(ng_decode(&r, sizeof(r), 0, &e), 0);
	assert_int_equal(strlen(e.name), 15);
	assert_string_equal(e.name, "abcdefghijklmno");
}

static void splits_mode_like_the_kernel(void **state)
{
	struct ng_record r = base();
	struct ng_event e;
	r.flags = NG_R_ARGS;
	/* Upper register bits are ignored by the kernel; unknown flag bits stay in the mode. */
	r.mode_raw = (1ull << 32) | 0x8000 | 0x2000 | 2;
	assert_int_equal(ng_decode(&r, sizeof(r), 0, &e), 0);
	assert_int_equal(e.mode, NG_MPOL_BIND);
	assert_int_equal(e.flags, NG_MPOL_F_STATIC_NODES | NG_MPOL_F_NUMA_BALANCING);
	assert_true(e.mode_raw == r.mode_raw);
	r.mode_raw = 0x1000 | 2;
	ng_decode(&r, sizeof(r), 0, &e);
	assert_int_equal(e.mode, 0x1002);
	assert_int_equal(e.flags, 0);
	r.mode_raw = 0xffffffffu; /* -1 as an int */
	ng_decode(&r, sizeof(r), 0, &e);
	assert_int_equal(e.mode, -1 & ~0xe000);
	assert_true(ng_event_has(&e, NG_F_MPOL_MODE));
	r.flags = 0;
	ng_decode(&r, sizeof(r), 0, &e);
	assert_false(ng_event_has(&e, NG_F_MPOL_MODE));
}

static void nodes_effective_and_allowed(void **state)
{
	struct ng_record r = base();
	struct ng_event e;
	r.flags = NG_R_ARGS | NG_R_NODES | NG_R_ALLOWED | NG_R_EFFECTIVE | NG_R_EFF_NODES;
	r.mode_raw = 2;
	r.nodes[0] = 0x3;
	r.nodes[15] = 1ull << 63; /* node 1023 */
	r.allowed[0] = 0x1;
	r.eff_mode = 2;
	r.eff_nodes[0] = 0x1;
	assert_int_equal(ng_decode(&r, sizeof(r), 0, &e), 0);
	assert_true(ng_nodes_test(&e.nodes, 0) && ng_nodes_test(&e.nodes, 1) &&
		    ng_nodes_test(&e.nodes, 1023) && !ng_nodes_test(&e.nodes, 2));
	assert_true(e.outside_allowed);
	assert_int_equal(e.effective_mode, NG_MPOL_BIND);
	assert_true(ng_nodes_test(&e.effective_nodes, 0));
	assert_false(e.nodes_changed);
	assert_true(ng_event_has(&e, NG_F_MPOL_NODES_CHANGED));
	/* RELATIVE masks are folded onto the allowed set: nothing is outside. */
	r.mode_raw = 0x4002;
	ng_decode(&r, sizeof(r), 0, &e);
	assert_false(e.outside_allowed);
	/* A failed exit re-read leaves nodes_changed unknown, not false. */
	r.flags |= NG_R_NODES_EXIT_FAULT;
	ng_decode(&r, sizeof(r), 0, &e);
	assert_false(ng_event_has(&e, NG_F_MPOL_NODES_CHANGED));
	/* No effective policy without NG_R_EFFECTIVE (a failed call). */
	r.flags &= ~(NG_R_EFFECTIVE | NG_R_EFF_NODES);
	ng_decode(&r, sizeof(r), 0, &e);
	assert_false(ng_event_has(&e, NG_F_MPOL_EFFECTIVE_MODE));
	assert_false(ng_event_has(&e, NG_F_MPOL_EFFECTIVE_NODES));
}

static void errno_blocked_and_time(void **state)
{
	struct ng_record r = base();
	struct ng_event e;
	r.ret = -1;
	r.flags = NG_R_BLOCKED | NG_R_NODES;
	ng_decode(&r, sizeof(r), 5000, &e);
	assert_string_equal(e.errno_name, "EPERM");
	assert_true(e.blocked);
	assert_true(e.time_ns == 6000);
	/* A denied call never ran: whether its mask changed is not a question. */
	assert_false(ng_event_has(&e, NG_F_MPOL_NODES_CHANGED));
	r.ret = 0;
	ng_decode(&r, sizeof(r), 0, &e);
	assert_string_equal(e.errno_name, "");
}

static void privileged_only_in_the_initial_user_ns(void **state)
{
	struct ng_record r = base();
	struct ng_event e;
	r.euid = 0;
	ng_decode(&r, sizeof(r), 0, &e);
	assert_true(e.privileged);
	r.euid = 1000;
	ng_decode(&r, sizeof(r), 0, &e);
	assert_false(e.privileged);
	r.cap_effective = 1ull << 23; /* CAP_SYS_NICE */
	ng_decode(&r, sizeof(r), 0, &e);
	assert_true(e.privileged);
	r.ns_user = 4026532000u; /* a user namespace of its own */
	r.euid = 0;
	r.cap_effective = ~0ull;
	ng_decode(&r, sizeof(r), 0, &e);
	assert_false(e.privileged);
}

static void paths_are_joined_and_bounded(void **state)
{
	struct ng_record_paths rp;
	struct ng_event e;
	memset(&rp, 0, sizeof(rp));
	rp.base = base();
	rp.base.size = sizeof(rp);
	static const char exe[] = "ng-trigger\0integration\0tests\0";
	memcpy(rp.exe, exe, sizeof(exe));
	rp.base.exe_len = sizeof(exe) - 1;
	static const char args[] = "prog\0-x\0a b\0";
	memcpy(rp.args, args, sizeof(args) - 1);
	rp.base.args_len = sizeof(args) - 1;
	rp.base.cgroup_len = 0;
	rp.base.flags = NG_R_EXE | NG_R_ARGV | NG_R_CGROUP;
	assert_int_equal(ng_decode(&rp, sizeof(rp), 0, &e), 0);
	assert_string_equal(e.exepath, "/tests/integration/ng-trigger");
	assert_string_equal(e.cmdline, "prog -x a b");
	assert_string_equal(e.cgroup, "/");
	assert_int_equal(e.kernel_captured, NG_KC_PROC | NG_KC_CGROUP);
	/* The size field must match the shape. */
	assert_int_equal(ng_decode(&rp, sizeof(rp.base), 0, &e), -EBADMSG);
	/* The plain record claims no paths, whatever its flags say. */
	struct ng_record plain = rp.base;
	plain.size = sizeof(plain);
	assert_int_equal(ng_decode(&plain, sizeof(plain), 0, &e), 0);
	assert_false(ng_event_has(&e, NG_F_PROC_EXEPATH));
	assert_int_equal(e.kernel_captured, 0);
	/* A truncated walk is marked so it cannot pass for a full path. */
	rp.base.flags |= NG_R_EXE_TRUNC;
	ng_decode(&rp, sizeof(rp), 0, &e);
	assert_string_equal(e.exepath, "\xe2\x80\xa6/tests/integration/ng-trigger");
	/* A length larger than the buffer, and no final NUL: stops at the end. */
	memset(rp.exe, 'A', sizeof(rp.exe));
	rp.base.exe_len = 60000;
	rp.base.flags &= ~NG_R_EXE_TRUNC;
	ng_decode(&rp, sizeof(rp), 0, &e);
	assert_string_equal(e.exepath, "/");
	/* args_len beyond the buffer is clamped. */
	memset(rp.args, 'b', sizeof(rp.args));
	rp.base.args_len = 60000;
	ng_decode(&rp, sizeof(rp), 0, &e);
	assert_int_equal(strlen(e.cmdline), sizeof(rp.args));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rejects_wrong_size_and_version),
		cmocka_unit_test(comm_is_bounded),
		cmocka_unit_test(splits_mode_like_the_kernel),
		cmocka_unit_test(nodes_effective_and_allowed),
		cmocka_unit_test(errno_blocked_and_time),
		cmocka_unit_test(privileged_only_in_the_initial_user_ns),
		cmocka_unit_test(paths_are_joined_and_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
