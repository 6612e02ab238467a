// SPDX-License-Identifier: LGPL-2.1-or-later
/* Batched pops for byte-stream sinks: order, byte bound, counts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sinks/queue.h"

static void pop_many_concatenates_in_order_within_the_bound(void **state)
{
	struct ng_queue q;
	size_t n = 0;
	assert_int_equal(ng_queue_init(&q, 16, 1 << 20), 0);
	const char *recs[] = { "a\n", "bb\n", "ccc\n", "dddd\n", "eeeee\n" };
	for (int i = 0; i < 5; i++)
		assert_int_equal(ng_queue_push(&q, recs[i], strlen(recs[i]), i == 3 ? 7 : 0), 0);

	/* 2 + 3 + 4 = 9 bytes fit in 10; the fourth (5 bytes) does not. */
	struct ng_rec *r = ng_queue_pop_many(&q, 0, 10, &n);
	assert_non_null(r);
	assert_int_equal(n, 3);
	assert_int_equal(r->len, 9);
	assert_memory_equal(r->data, "a\nbb\nccc\n", 9);
	assert_int_equal(ng_queue_len(&q), 2);
	free(r);

	/* The first record always comes, even alone over the bound; an alert's seq is kept. */
	r = ng_queue_pop_many(&q, 0, 1, &n);
	assert_int_equal(n, 1);
	assert_memory_equal(r->data, "dddd\n", 5);
	assert_int_equal(r->seq, 7);
	free(r);
	r = ng_queue_pop_many(&q, 0, 1 << 20, &n);
	assert_int_equal(n, 1);
	assert_memory_equal(r->data, "eeeee\n", 6);
	free(r);

	assert_null(ng_queue_pop_many(&q, 0, 1 << 20, &n));
	assert_int_equal(n, 0);
	assert_int_equal(ng_queue_destroy(&q), 0);
}

static void pop_many_keeps_the_byte_count(void **state)
{
	struct ng_queue q;
	size_t n;
	assert_int_equal(ng_queue_init(&q, 3, 12), 0);
	assert_int_equal(ng_queue_push(&q, "1234", 4, 0), 0);
	assert_int_equal(ng_queue_push(&q, "5678", 4, 0), 0);
	assert_int_equal(ng_queue_push(&q, "9abc", 4, 0), 0);
	assert_int_equal(ng_queue_push(&q, "d", 1, 0), -ENOBUFS);
	struct ng_rec *r = ng_queue_pop_many(&q, 0, 8, &n);
	assert_int_equal(n, 2);
	free(r);
	/* Room for 8 bytes again: the accounting followed the batch. */
	assert_int_equal(ng_queue_push(&q, "efgh", 4, 0), 0);
	assert_int_equal(ng_queue_push(&q, "ijkl", 4, 0), 0);
	assert_int_equal(ng_queue_destroy(&q), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pop_many_concatenates_in_order_within_the_bound),
		cmocka_unit_test(pop_many_keeps_the_byte_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
