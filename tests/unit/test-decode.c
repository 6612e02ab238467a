// SPDX-License-Identifier: LGPL-2.1-or-later
/* Ring buffer record → event: validation at the trust boundary and field decoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "events.h"
#include "fields.h"

/*
 * A record as the BPF side lays it out: header, paths when `paths` is set,
 * then the three masks cut to `words` words (0: as few as hold them).
 */
struct rec {
	struct ng_record r;
	struct ng_paths p;
	uint64_t nodes[NG_NODE_WORDS], eff[NG_NODE_WORDS], allowed[NG_NODE_WORDS];
	bool paths;
	size_t words;
	unsigned char buf[NG_RECORD_MAX];
};

static size_t pack(struct rec *x)
{
	size_t w = x->words;
	if (!w) {
		w = 1;
		for (size_t i = 1; i < NG_NODE_WORDS; i++)
			if (x->nodes[i] | x->eff[i] | x->allowed[i])
				w = i + 1;
	}
	size_t len = NG_RECORD_SIZE(x->paths, w);
	x->r.size = (uint16_t)len;
	x->r.mask_words = (uint16_t)w;
	x->r.flags = x->paths ? x->r.flags | NG_R_PATHS : x->r.flags & ~NG_R_PATHS;
	unsigned char *o = x->buf;
	memcpy(o, &x->r, sizeof(x->r));
	o += sizeof(x->r);
	if (x->paths) {
		memcpy(o, &x->p, sizeof(x->p));
		o += sizeof(x->p);
	}
	memcpy(o, x->nodes, w * 8);
	memcpy(o + w * 8, x->eff, w * 8);
	memcpy(o + 2 * w * 8, x->allowed, w * 8);
	return len;
}

static int dec(struct rec *x, struct ng_event *e, int64_t boot_off)
{
	return ng_decode(x->buf, pack(x), boot_off, e);
}

static struct rec base(void)
{
	struct rec x;
	memset(&x, 0, sizeof(x));
	x.r.version = NG_RECORD_VERSION;
	x.r.attach = NG_ATTACH_TRACEPOINT;
	x.r.ts_boot = 1000;
	x.r.pid = x.r.tid = 42;
	x.r.ns_user = 0xEFFFFFFDu;
	memcpy(x.r.comm, "abcdefghijklmnop", 16); /* no NUL: the kernel's comm is exactly 16 */
	return x;
}

static void rejects_wrong_size_and_version(void **state)
{
	struct rec x = base();
	struct ng_event e;
	size_t len = pack(&x);
	assert_int_equal(len, sizeof(struct ng_record) + 24);
	assert_int_equal(ng_decode(x.buf, len, 0, &e), 0);
	assert_int_equal(ng_decode(x.buf, len - 1, 0, &e), -EBADMSG);
	assert_int_equal(ng_decode(x.buf, len + 8, 0, &e), -EBADMSG);
	assert_int_equal(ng_decode(x.buf, sizeof(struct ng_record) - 1, 0, &e), -EBADMSG);
	x.r.version = NG_RECORD_VERSION + 1;
	assert_int_equal(dec(&x, &e, 0), -EBADMSG);
	x = base();
	x.r.attach = 9;
	assert_int_equal(dec(&x, &e, 0), -EBADMSG);
	x = base();
	x.r.nbits = NG_MAX_NODES + 1;
	assert_int_equal(dec(&x, &e, 0), -EBADMSG);
	/* The size field, the mask width and the paths flag must all agree with the length. */
	x = base();
	len = pack(&x);
	x.buf[0] = 12;
	assert_int_equal(ng_decode(x.buf, len, 0, &e), -EBADMSG);
	x = base();
	len = pack(&x);
	x.buf[offsetof(struct ng_record, mask_words)] = 2;
	assert_int_equal(ng_decode(x.buf, len, 0, &e), -EBADMSG);
	x.buf[offsetof(struct ng_record, mask_words)] = 0;
	assert_int_equal(ng_decode(x.buf, len, 0, &e), -EBADMSG);
	/* Widths from 1 to NG_NODE_WORDS are accepted, nothing wider. */
	x = base();
	x.words = NG_NODE_WORDS;
	assert_int_equal(dec(&x, &e, 0), 0);
	x.words = NG_NODE_WORDS + 1;
	len = NG_RECORD_SIZE(0, NG_NODE_WORDS + 1);
	x.r.size = (uint16_t)len;
	x.r.mask_words = NG_NODE_WORDS + 1;
	unsigned char big[NG_RECORD_SIZE(0, NG_NODE_WORDS + 1)] = { 0 };
	memcpy(big, &x.r, sizeof(x.r));
	assert_int_equal(ng_decode(big, len, 0, &e), -EBADMSG);
	x = base();
	x.paths = true;
	len = pack(&x);
	assert_int_equal(ng_decode(x.buf, len, 0, &e), 0);
	x.r.flags &= ~NG_R_PATHS;
	memcpy(x.buf, &x.r, sizeof(x.r)); /* a paths-sized record without the flag */
	assert_int_equal(ng_decode(x.buf, len, 0, &e), -EBADMSG);
}

static void comm_is_bounded(void **state)
{
	struct rec x = base();
	struct ng_event e;
	assert_int_equal(dec(&x, &e, 0), 0);
	assert_int_equal(strlen(e.name), 15);
	assert_string_equal(e.name, "abcdefghijklmno");
}

static void splits_mode_like_the_kernel(void **state)
{
	struct rec x = base();
	struct ng_event e;
	x.r.flags = NG_R_ARGS;
	/* Upper register bits are ignored by the kernel; unknown flag bits stay in the mode. */
	x.r.mode_raw = (1ull << 32) | 0x8000 | 0x2000 | 2;
	assert_int_equal(dec(&x, &e, 0), 0);
	assert_int_equal(e.mode, NG_MPOL_BIND);
	assert_int_equal(e.flags, NG_MPOL_F_STATIC_NODES | NG_MPOL_F_NUMA_BALANCING);
	assert_true(e.mode_raw == x.r.mode_raw);
	x.r.mode_raw = 0x1000 | 2;
	dec(&x, &e, 0);
	assert_int_equal(e.mode, 0x1002);
	assert_int_equal(e.flags, 0);
	x.r.mode_raw = 0xffffffffu; /* -1 as an int */
	dec(&x, &e, 0);
	assert_int_equal(e.mode, -1 & ~0xe000);
	assert_true(ng_event_has(&e, NG_F_MPOL_MODE));
	x.r.flags = 0;
	dec(&x, &e, 0);
	assert_false(ng_event_has(&e, NG_F_MPOL_MODE));
}

static void nodes_effective_and_allowed(void **state)
{
	struct rec x = base();
	struct ng_event e;
	x.r.flags = NG_R_ARGS | NG_R_NODES | NG_R_ALLOWED | NG_R_EFFECTIVE | NG_R_EFF_NODES;
	x.r.mode_raw = 2;
	x.nodes[0] = 0x3;
	x.nodes[15] = 1ull << 63; /* node 1023 */
	x.allowed[0] = 0x1;
	x.r.eff_mode = 2;
	x.eff[0] = 0x1;
	assert_int_equal(dec(&x, &e, 0), 0);
	assert_true(ng_nodes_test(&e.nodes, 0) && ng_nodes_test(&e.nodes, 1) &&
		    ng_nodes_test(&e.nodes, 1023) && !ng_nodes_test(&e.nodes, 2));
	assert_true(e.outside_allowed);
	assert_int_equal(e.effective_mode, NG_MPOL_BIND);
	assert_true(ng_nodes_test(&e.effective_nodes, 0));
	assert_false(e.nodes_changed);
	assert_true(ng_event_has(&e, NG_F_MPOL_NODES_CHANGED));
	/* RELATIVE masks are folded onto the allowed set: nothing is outside. */
	x.r.mode_raw = 0x4002;
	dec(&x, &e, 0);
	assert_false(e.outside_allowed);
	/* A failed exit re-read leaves nodes_changed unknown, not false. */
	x.r.flags |= NG_R_NODES_EXIT_FAULT;
	dec(&x, &e, 0);
	assert_false(ng_event_has(&e, NG_F_MPOL_NODES_CHANGED));
	/* No effective policy without NG_R_EFFECTIVE (a failed call). */
	x.r.flags &= ~(NG_R_EFFECTIVE | NG_R_EFF_NODES);
	dec(&x, &e, 0);
	assert_false(ng_event_has(&e, NG_F_MPOL_EFFECTIVE_MODE));
	assert_false(ng_event_has(&e, NG_F_MPOL_EFFECTIVE_NODES));
}

static void errno_blocked_and_time(void **state)
{
	struct rec x = base();
	struct ng_event e;
	x.r.ret = -1;
	x.r.flags = NG_R_BLOCKED | NG_R_NODES;
	dec(&x, &e, 5000);
	assert_string_equal(e.errno_name, "EPERM");
	assert_true(e.blocked);
	assert_true(e.time_ns == 6000);
	/* A denied call never ran: whether its mask changed is not a question. */
	assert_false(ng_event_has(&e, NG_F_MPOL_NODES_CHANGED));
	x.r.ret = 0;
	dec(&x, &e, 0);
	assert_string_equal(e.errno_name, "");
}

static void privileged_only_in_the_initial_user_ns(void **state)
{
	struct rec x = base();
	struct ng_event e;
	x.r.euid = 0;
	dec(&x, &e, 0);
	assert_true(e.privileged);
	x.r.euid = 1000;
	dec(&x, &e, 0);
	assert_false(e.privileged);
	x.r.cap_effective = 1ull << 23; /* CAP_SYS_NICE */
	dec(&x, &e, 0);
	assert_true(e.privileged);
	x.r.ns_user = 4026532000u; /* a user namespace of its own */
	x.r.euid = 0;
	x.r.cap_effective = ~0ull;
	dec(&x, &e, 0);
	assert_false(e.privileged);
}

static void paths_are_joined_and_bounded(void **state)
{
	struct rec x = base();
	struct ng_event e;
	x.paths = true;
	static const char exe[] = "ng-trigger\0integration\0tests\0";
	memcpy(x.p.exe, exe, sizeof(exe));
	x.r.exe_len = sizeof(exe) - 1;
	static const char args[] = "prog\0-x\0a b\0";
	memcpy(x.p.args, args, sizeof(args) - 1);
	x.r.args_len = sizeof(args) - 1;
	x.r.cgroup_len = 0;
	x.r.flags = NG_R_EXE | NG_R_ARGV | NG_R_CGROUP;
	x.nodes[0] = 1;
	x.r.flags |= NG_R_NODES;
	assert_int_equal(dec(&x, &e, 0), 0);
	assert_string_equal(e.exepath, "/tests/integration/ng-trigger");
	assert_string_equal(e.cmdline, "prog -x a b");
	assert_string_equal(e.cgroup, "/");
	assert_int_equal(e.kernel_captured, NG_KC_PROC | NG_KC_CGROUP);
	/* The masks come after the paths. */
	assert_true(ng_nodes_test(&e.nodes, 0) && !ng_nodes_test(&e.nodes, 1));
	/* A record without NG_R_PATHS has no paths, whatever its other flags say. */
	x.paths = false;
	assert_int_equal(dec(&x, &e, 0), 0);
	assert_false(ng_event_has(&e, NG_F_PROC_EXEPATH));
	assert_int_equal(e.kernel_captured, 0);
	x.paths = true;
	/* A truncated walk is marked so it cannot pass for a full path. */
	x.r.flags |= NG_R_EXE_TRUNC;
	dec(&x, &e, 0);
	assert_string_equal(e.exepath, "\xe2\x80\xa6/tests/integration/ng-trigger");
	/* A length larger than the buffer, and no final NUL: stops at the end. */
	memset(x.p.exe, 'A', sizeof(x.p.exe));
	x.r.exe_len = 60000;
	x.r.flags &= ~NG_R_EXE_TRUNC;
	dec(&x, &e, 0);
	assert_string_equal(e.exepath, "/");
	/* args_len beyond the buffer is clamped. */
	memset(x.p.args, 'b', sizeof(x.p.args));
	x.r.args_len = 60000;
	dec(&x, &e, 0);
	assert_int_equal(strlen(e.cmdline), sizeof(x.p.args));
}

/* Masks of any width up to 1024 nodes come through whole, each in its place. */
static void masks_of_every_width(void **state)
{
	for (size_t w = 1; w <= NG_NODE_WORDS; w++) {
		struct rec x = base();
		struct ng_event e;
		x.r.flags = NG_R_ARGS | NG_R_NODES | NG_R_ALLOWED | NG_R_EFFECTIVE | NG_R_EFF_NODES;
		x.r.mode_raw = 2;
		x.r.eff_mode = 2;
		x.nodes[w - 1] = 1ull << 5;
		x.eff[0] = 1;
		x.allowed[w - 1] = 1ull << 6;
		assert_int_equal(pack(&x), NG_RECORD_SIZE(0, w));
		assert_int_equal(dec(&x, &e, 0), 0);
		for (unsigned n = 0; n < NG_MAX_NODES; n++) {
			assert_int_equal(ng_nodes_test(&e.nodes, n), n == (w - 1) * 64 + 5);
			assert_int_equal(ng_nodes_test(&e.effective_nodes, n), n == 0);
			assert_int_equal(ng_nodes_test(&e.allowed_nodes, n), n == (w - 1) * 64 + 6);
		}
		assert_true(e.outside_allowed);
	}
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
		cmocka_unit_test(masks_of_every_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
