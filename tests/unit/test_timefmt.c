// SPDX-License-Identifier: GPL-2.0
#include "unit.h"

#include "timefmt.h"

#define NS 1000000000ULL

static void expect_time(uint64_t ns, const char *want)
{
	char buf[RFC3339_US_LEN];

	memset(buf, 'X', sizeof(buf));
	format_rfc3339_us(buf, sizeof(buf), ns);
	assert_string_equal(buf, want);
	assert_int_equal(strlen(buf), RFC3339_US_LEN - 1);
}

static void test_epoch(void **state)
{
	expect_time(0, "1970-01-01T00:00:00.000000Z");
	expect_time(1, "1970-01-01T00:00:00.000000Z");
	expect_time(1000, "1970-01-01T00:00:00.000001Z");
}

static void test_spec_example(void **state)
{
	expect_time(1795449600123456789ULL, "2026-11-23T16:00:00.123456Z");
}

/* Truncated, never rounded up: .9999999 s is still in the same second. */
static void test_truncates(void **state)
{
	expect_time(1795449600999999999ULL, "2026-11-23T16:00:00.999999Z");
	expect_time(1795449600000000999ULL, "2026-11-23T16:00:00.000000Z");
	expect_time(1795449600000001000ULL, "2026-11-23T16:00:00.000001Z");
}

static void test_calendar(void **state)
{
	expect_time(1709210096 * NS + 789012000, "2024-02-29T12:34:56.789012Z");
	expect_time(951868799 * NS, "2000-02-29T23:59:59.000000Z");
	/* 2100 is not a leap year */
	expect_time(4107542399 * NS, "2100-02-28T23:59:59.000000Z");
	expect_time(4107542400 * NS, "2100-03-01T00:00:00.000000Z");
	expect_time(946684799 * NS + 999999000, "1999-12-31T23:59:59.999999Z");
	expect_time(946684800 * NS, "2000-01-01T00:00:00.000000Z");
	/* past 2038, where a 32-bit time_t would wrap */
	expect_time(2147483648ULL * NS, "2038-01-19T03:14:08.000000Z");
	expect_time(UINT64_MAX, "2554-07-21T23:34:33.709551Z");
}

static void test_small_buffers(void **state)
{
	char buf[64];

	memset(buf, 'X', sizeof(buf));
	format_rfc3339_us(buf, RFC3339_US_LEN - 1, 0);
	assert_string_equal(buf, "");
	memset(buf, 'X', sizeof(buf));
	format_rfc3339_us(buf, 1, 0);
	assert_string_equal(buf, "");
	/* cap 0: not a byte written */
	memset(buf, 'X', sizeof(buf));
	format_rfc3339_us(buf, 0, 0);
	assert_int_equal(buf[0], 'X');
	/* a larger buffer: the same string, nothing written past its NUL */
	memset(buf, 'X', sizeof(buf));
	format_rfc3339_us(buf, sizeof(buf), 1795449600123456789ULL);
	assert_string_equal(buf, "2026-11-23T16:00:00.123456Z");
	assert_int_equal(buf[RFC3339_US_LEN], 'X');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_epoch),	  cmocka_unit_test(test_spec_example),
	    cmocka_unit_test(test_truncates),	  cmocka_unit_test(test_calendar),
	    cmocka_unit_test(test_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
