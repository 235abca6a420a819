// SPDX-License-Identifier: GPL-2.0
/* rw_latency_bucket() (include/reapwatch.h): the kernel side and the agent's late reaps
 * both put a reap latency in a bucket with it; a bound belongs to its own bucket
 * (Prometheus `le`). */
#include "unit.h"

#include "reapwatch.h"

static void test_bounds_are_inclusive(void **state)
{
	static const __u64 bounds[RW_LATENCY_BUCKETS] = RW_LATENCY_BOUNDS_NS;

	for (__u32 i = 0; i < RW_LATENCY_BUCKETS; i++) {
		assert_int_equal(rw_latency_bucket(bounds[i]), i);
		assert_int_equal(rw_latency_bucket(bounds[i] + 1), i + 1);
	}
}

static void test_ends(void **state)
{
	assert_int_equal(rw_latency_bucket(0), 0);
	assert_int_equal(rw_latency_bucket(100000), 0); /* 100 us */
	assert_int_equal(rw_latency_bucket(100001), 1);
	assert_int_equal(rw_latency_bucket(3600000000000ull), 21);		   /* 1 h */
	assert_int_equal(rw_latency_bucket(3600000000001ull), RW_LATENCY_BUCKETS); /* +Inf */
	assert_int_equal(rw_latency_bucket(UINT64_MAX), RW_LATENCY_BUCKETS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bounds_are_inclusive),
	    cmocka_unit_test(test_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
