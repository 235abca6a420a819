// SPDX-License-Identifier: GPL-2.0
/* Command-line parsing: every accepted form, and every rejection naming its argument. */
#include "unit.h"

#include <errno.h>
#include "args.h"
#include "event.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define TRACE(opts, err, ...)                                                                      \
	parse_trace_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (opts), (err), ARGS_ERR_LEN)

static void test_trace_defaults(void **state)
{
	struct trace_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(TRACE(&o, err, "trace"), 0);
	assert_false(o.json);
	assert_int_equal(o.pid, 0);
	assert_null(o.comm);
	assert_null(o.container);
	assert_int_equal(o.event_mask, RW_EVENTS_DEFAULT);
	assert_false(o.event_mask & RW_EVENT_BIT(RW_REC_FORK));
	assert_true(o.event_mask & RW_EVENT_BIT(RW_REC_TEARDOWN));
	assert_true(o.duration_s == 0);
}

static void test_trace_every_option(void **state)
{
	struct trace_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(TRACE(&o, err, "trace", "-j", "-p", "42", "-c", "nginx", "--container",
			       "abc", "-e", "fork,exit", "-d", "1.5"),
			 0);
	assert_true(o.json);
	assert_int_equal(o.pid, 42);
	assert_string_equal(o.comm, "nginx");
	assert_string_equal(o.container, "abc");
	assert_int_equal(o.event_mask, RW_EVENT_BIT(RW_REC_FORK) | RW_EVENT_BIT(RW_REC_EXIT));
	assert_true(o.duration_s == 1.5);

	assert_int_equal(TRACE(&o, err, "trace", "--json", "--pid=7", "--comm=a b",
			       "--events=all", "--duration", "2"),
			 0);
	assert_true(o.json);
	assert_int_equal(o.pid, 7);
	assert_string_equal(o.comm, "a b");
	assert_int_equal(o.event_mask, RW_EVENTS_ALL);
	assert_true(o.duration_s == 2);
}

static void test_trace_help(void **state)
{
	struct trace_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(TRACE(&o, err, "trace", "--help"), ARGS_HELP);
	assert_int_equal(TRACE(&o, err, "trace", "-j", "-h"), ARGS_HELP);
}

/* Each bad input is rejected with -EINVAL and a message naming what was wrong. */
static void expect_trace_error(char **argv, int argc, const char *needle)
{
	struct trace_opts o;
	char err[ARGS_ERR_LEN] = "";

	assert_int_equal(parse_trace_args(argc, argv, &o, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not name \"%s\"", err, needle);
}

#define EXPECT_TRACE_ERROR(needle, ...) expect_trace_error(ARGV(__VA_ARGS__), ARGC(__VA_ARGS__), needle)

static void test_trace_errors(void **state)
{
	EXPECT_TRACE_ERROR("'--bogus'", "trace", "--bogus");
	EXPECT_TRACE_ERROR("'-x'", "trace", "-x");
	EXPECT_TRACE_ERROR("--pid", "trace", "--pid");
	EXPECT_TRACE_ERROR("'abc'", "trace", "-p", "abc");
	EXPECT_TRACE_ERROR("'0'", "trace", "-p", "0");
	EXPECT_TRACE_ERROR("'-5'", "trace", "-p", "-5");
	EXPECT_TRACE_ERROR("'4194305'", "trace", "-p", "4194305");
	EXPECT_TRACE_ERROR("'99999999999999999999'", "trace", "-p", "99999999999999999999");
	EXPECT_TRACE_ERROR("'abc'", "trace", "-d", "abc");
	EXPECT_TRACE_ERROR("'0'", "trace", "-d", "0");
	EXPECT_TRACE_ERROR("'-1'", "trace", "-d", "-1");
	EXPECT_TRACE_ERROR("'nan'", "trace", "-d", "nan");
	EXPECT_TRACE_ERROR("'inf'", "trace", "-d", "inf");
	EXPECT_TRACE_ERROR("'0x10'", "trace", "-d", "0x10");
	EXPECT_TRACE_ERROR("'1s'", "trace", "-d", "1s");
	EXPECT_TRACE_ERROR("'bogus'", "trace", "-e", "bogus");
	EXPECT_TRACE_ERROR("'forks'", "trace", "-e", "exit,forks");
	EXPECT_TRACE_ERROR("empty", "trace", "-e", "exit,");
	EXPECT_TRACE_ERROR("''", "trace", "-e", ",exit");
	EXPECT_TRACE_ERROR("--events", "trace", "-e", "");
	EXPECT_TRACE_ERROR("--comm", "trace", "-c", "");
	EXPECT_TRACE_ERROR("--comm", "trace", "-c", "sixteen-bytes-xx");
	EXPECT_TRACE_ERROR("--container", "trace", "--container", "");
	EXPECT_TRACE_ERROR("'extra'", "trace", "extra");
}

/* A parse after a failed one starts clean (getopt's global state is reset). */
static void test_trace_reparse(void **state)
{
	struct trace_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(TRACE(&o, err, "trace", "-p", "1", "--bogus"), -EINVAL);
	assert_int_equal(TRACE(&o, err, "trace", "-p", "3"), 0);
	assert_int_equal(o.pid, 3);
}

static void test_event_list(void **state)
{
	char err[ARGS_ERR_LEN];
	uint32_t mask;

	assert_int_equal(parse_event_list("reap,reparent,signal,teardown", &mask, err, sizeof(err)),
			 0);
	assert_int_equal(mask, RW_EVENT_BIT(RW_REC_REAP) | RW_EVENT_BIT(RW_REC_REPARENT) |
				       RW_EVENT_BIT(RW_REC_SIGNAL) | RW_EVENT_BIT(RW_REC_TEARDOWN));
	assert_int_equal(parse_event_list("all,fork", &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, RW_EVENTS_ALL);
	assert_int_equal(parse_event_list("EXIT", &mask, err, sizeof(err)), -EINVAL);
	assert_int_equal(parse_event_list("exit ", &mask, err, sizeof(err)), -EINVAL);
}

static void test_seconds(void **state)
{
	double v;

	assert_int_equal(parse_seconds("0", true, &v), 0);
	assert_true(v == 0);
	assert_int_equal(parse_seconds("0", false, &v), -EINVAL);
	assert_int_equal(parse_seconds(".25", false, &v), 0);
	assert_true(v == 0.25);
	assert_int_equal(parse_seconds("60", false, &v), 0);
	assert_true(v == 60);
	assert_int_equal(parse_seconds("", false, &v), -EINVAL);
	assert_int_equal(parse_seconds(" 5", false, &v), -EINVAL);
	assert_int_equal(parse_seconds("5 ", false, &v), -EINVAL);
	assert_int_equal(parse_seconds("1e308", false, &v), -EINVAL);
	assert_int_equal(parse_seconds("+5", false, &v), -EINVAL);
}

static void test_other_commands(void **state)
{
	struct zombies_opts z;
	struct top_opts t;
	struct export_opts e;
	char err[ARGS_ERR_LEN];

	assert_int_equal(parse_zombies_args(ARGC("zombies", "-j", "--min-age", "60"),
					    ARGV("zombies", "-j", "--min-age", "60"), &z, err,
					    sizeof(err)),
			 0);
	assert_true(z.json);
	assert_true(z.min_age_s == 60);
	assert_int_equal(parse_zombies_args(ARGC("zombies", "--min-age", "x"),
					    ARGV("zombies", "--min-age", "x"), &z, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--min-age"));

	assert_int_equal(parse_top_args(ARGC("top"), ARGV("top"), &t, err, sizeof(err)), 0);
	assert_true(t.interval_s == 2);
	assert_int_equal(parse_top_args(ARGC("top", "-i", "0"), ARGV("top", "-i", "0"), &t, err,
					sizeof(err)),
			 -EINVAL);

	/* usage_error() puts "export: " before it: the message does not name the command too. */
	assert_int_equal(parse_export_args(ARGC("export"), ARGV("export"), &e, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "--textfile-dir DIR is required");
	assert_int_equal(parse_export_args(ARGC("export", "--textfile-dir", "/d", "--log-events",
						"--max-containers", "5", "-i", "1"),
					   ARGV("export", "--textfile-dir", "/d", "--log-events",
						"--max-containers", "5", "-i", "1"),
					   &e, err, sizeof(err)),
			 0);
	assert_string_equal(e.textfile_dir, "/d");
	assert_true(e.log_events);
	assert_int_equal(e.max_containers, 5);
	assert_true(e.interval_s == 1);
	assert_int_equal(parse_export_args(ARGC("export", "--textfile-dir", "/d", "--max-containers",
						"0"),
					   ARGV("export", "--textfile-dir", "/d", "--max-containers",
						"0"),
					   &e, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--max-containers"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_defaults), cmocka_unit_test(test_trace_every_option),
		cmocka_unit_test(test_trace_help),     cmocka_unit_test(test_trace_errors),
		cmocka_unit_test(test_trace_reparse),  cmocka_unit_test(test_event_list),
		cmocka_unit_test(test_seconds),	       cmocka_unit_test(test_other_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
