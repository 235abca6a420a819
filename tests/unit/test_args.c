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
	assert_null(z.container);
	assert_int_equal(parse_zombies_args(ARGC("zombies", "--container", "web-0"),
					    ARGV("zombies", "--container", "web-0"), &z, err,
					    sizeof(err)),
			 0);
	assert_string_equal(z.container, "web-0");
	assert_int_equal(parse_zombies_args(ARGC("zombies", "--container", ""),
					    ARGV("zombies", "--container", ""), &z, err,
					    sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "--container needs an id or a name");
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

/* The table parser, whatever the command: argv in, the status and the exact message out. */
union any_opts {
	struct trace_opts trace;
	struct zombies_opts zombies;
	struct top_opts top;
	struct export_opts export;
	struct healthcheck_opts healthcheck;
};

static int parse(const struct arg_command *cmd, char **argv, int argc, union any_opts *o,
		 char *err)
{
	memset(o, 0xa5, sizeof(*o)); /* whatever was there before: the defaults replace it */
	err[0] = '\0';
	return args_parse(cmd, argc, argv, o, err, ARGS_ERR_LEN);
}

static void expect_message(const struct arg_command *cmd, char **argv, int argc,
			   const char *message)
{
	union any_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(parse(cmd, argv, argc, &o, err), -EINVAL);
	assert_string_equal(err, message);
}

#define EXPECT_MESSAGE(cmd, message, ...)                                                           \
	expect_message((cmd), ARGV(__VA_ARGS__), ARGC(__VA_ARGS__), (message))
#define PARSE(cmd, o, err, ...) parse((cmd), ARGV(__VA_ARGS__), ARGC(__VA_ARGS__), (o), (err))

/* A value option at the end of argv, short or long: named by its long name. */
static void test_missing_value(void **state)
{
	EXPECT_MESSAGE(&args_trace, "option '--pid' needs a value", "trace", "-p");
	EXPECT_MESSAGE(&args_trace, "option '--pid' needs a value", "trace", "-j", "--pid");
	EXPECT_MESSAGE(&args_trace, "option '--container' needs a value", "trace", "--container");
	EXPECT_MESSAGE(&args_trace, "option '--events' needs a value", "trace", "-je");
	EXPECT_MESSAGE(&args_zombies, "option '--min-age' needs a value", "zombies", "--min-age");
	EXPECT_MESSAGE(&args_top, "option '--interval' needs a value", "top", "-i");
	EXPECT_MESSAGE(&args_export, "option '--max-containers' needs a value", "export",
		       "--textfile-dir", "/d", "--max-containers");
	/* An empty value is a value, and a bad one. */
	EXPECT_MESSAGE(&args_trace, "--pid: '' is not a process id", "trace", "--pid=");
	EXPECT_MESSAGE(&args_export, "--textfile-dir needs a directory", "export",
		       "--textfile-dir=");
	/* Without its required option, and with nothing else wrong. */
	EXPECT_MESSAGE(&args_export, "--textfile-dir DIR is required", "export", "-i", "1");
	EXPECT_MESSAGE(&args_healthcheck, "--textfile-dir DIR is required", "healthcheck",
		       "--max-age", "30");
}

/* Each bound: the last value inside is taken, the first outside is refused by name. */
static void test_bounds(void **state)
{
	union any_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "-p", "4194304"), 0);
	assert_int_equal(o.trace.pid, 4194304);
	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "-p", "1"), 0);
	assert_int_equal(o.trace.pid, 1);
	EXPECT_MESSAGE(&args_trace, "--pid: '4194305' is not a process id", "trace", "-p",
		       "4194305");
	EXPECT_MESSAGE(&args_trace, "--pid: '4294967297' is not a process id", "trace", "-p",
		       "4294967297"); /* 2^32 + 1: not taken modulo 2^32 */
	EXPECT_MESSAGE(&args_trace, "--pid: '+5' is not a process id", "trace", "-p", "+5");

	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "-c", "fifteen-bytes-x"), 0);
	assert_string_equal(o.trace.comm, "fifteen-bytes-x");
	EXPECT_MESSAGE(&args_trace, "--comm: 'sixteen-bytes-xx' is not a process name (1 to 15 bytes)",
		       "trace", "-c", "sixteen-bytes-xx");

	assert_int_equal(PARSE(&args_export, &o, err, "export", "--textfile-dir", "/d",
			       "--max-containers", "1000000"),
			 0);
	assert_int_equal(o.export.max_containers, 1000000);
	assert_int_equal(PARSE(&args_export, &o, err, "export", "--textfile-dir", "/d",
			       "--max-containers", "1"),
			 0);
	assert_int_equal(o.export.max_containers, 1);
	EXPECT_MESSAGE(&args_export, "--max-containers: '1000001' is not a number from 1 to 1000000",
		       "export", "--textfile-dir", "/d", "--max-containers", "1000001");
	EXPECT_MESSAGE(&args_export, "--max-containers: '0' is not a number from 1 to 1000000",
		       "export", "--textfile-dir", "/d", "--max-containers", "0");

	/* --min-age takes 0 s; the periods and --duration do not. */
	assert_int_equal(PARSE(&args_zombies, &o, err, "zombies", "--min-age", "0"), 0);
	assert_true(o.zombies.min_age_s == 0);
	EXPECT_MESSAGE(&args_zombies, "--min-age: '-0.5' is not a number of seconds (at most a century)", "zombies",
		       "--min-age", "-0.5");
	EXPECT_MESSAGE(&args_top, "--interval: '0' is not a positive number of seconds (at most a century)", "top",
		       "-i", "0");
	EXPECT_MESSAGE(&args_export, "--interval: '0' is not a positive number of seconds (at most a century)",
		       "export", "--textfile-dir", "/d", "--interval=0");
	EXPECT_MESSAGE(&args_trace, "--duration: '0' is not a positive number of seconds (at most a century)", "trace",
		       "-d", "0");
	EXPECT_MESSAGE(&args_healthcheck,
		       "--max-age: '0' is not a positive number of seconds (at most a century)",
		       "healthcheck", "--textfile-dir", "/d", "--max-age", "0");
	assert_int_equal(PARSE(&args_healthcheck, &o, err, "healthcheck", "--textfile-dir", "/d"), 0);
	assert_string_equal(o.healthcheck.textfile_dir, "/d");
	assert_true(o.healthcheck.max_age_s == 60); /* the default its help states */
	assert_int_equal(PARSE(&args_healthcheck, &o, err, "healthcheck", "--textfile-dir", "/d",
			       "--max-age", "0.5"),
			 0);
	assert_true(o.healthcheck.max_age_s == 0.5);
	assert_int_equal(PARSE(&args_top, &o, err, "top", "-i", "3153600000"), 0); /* a century */
	EXPECT_MESSAGE(&args_top, "--interval: '3153600001' is not a positive number of seconds (at most a century)",
		       "top", "-i", "3153600001");
}

/* Repeated, an option's last value is the one kept (an event list is replaced, not added
 * to); a bad value is refused wherever it stands. */
static void test_repeated(void **state)
{
	union any_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "-p", "1", "--pid", "2", "-j", "-j"),
			 0);
	assert_int_equal(o.trace.pid, 2);
	assert_true(o.trace.json);
	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "-e", "exit", "-e", "fork"), 0);
	assert_int_equal(o.trace.event_mask, RW_EVENT_BIT(RW_REC_FORK));
	assert_int_equal(PARSE(&args_export, &o, err, "export", "--textfile-dir", "/a",
			       "--textfile-dir", "/b"),
			 0);
	assert_string_equal(o.export.textfile_dir, "/b");
	EXPECT_MESSAGE(&args_trace, "--pid: 'abc' is not a process id", "trace", "-p", "1", "-p",
		       "abc");
	EXPECT_MESSAGE(&args_trace, "--pid: 'abc' is not a process id", "trace", "-p", "abc", "-p",
		       "1");
}

/* Options of no command, of another command, and prefixes that name no one option. */
static void test_unknown(void **state)
{
	union any_opts o;
	char err[ARGS_ERR_LEN];

	EXPECT_MESSAGE(&args_trace, "unknown option '--bogus'", "trace", "--bogus");
	EXPECT_MESSAGE(&args_trace, "unknown option '--bogus=1'", "trace", "--bogus=1");
	EXPECT_MESSAGE(&args_trace, "unknown option '-x'", "trace", "-jx");
	EXPECT_MESSAGE(&args_top, "unknown option '-j'", "top", "-j");
	EXPECT_MESSAGE(&args_top, "unknown option '--json'", "top", "--json");
	EXPECT_MESSAGE(&args_zombies, "unknown option '-i'", "zombies", "-i", "1");
	EXPECT_MESSAGE(&args_export, "unknown option '--min-age'", "export", "--min-age", "1");
	/* A flag given a value is named as the flag it is, not as an unknown option. */
	EXPECT_MESSAGE(&args_trace, "option '--json' takes no value", "trace", "--json=1");
	EXPECT_MESSAGE(&args_trace, "option '--help' takes no value", "trace", "--help=");
	EXPECT_MESSAGE(&args_export, "option '--log-events' takes no value", "export",
		       "--textfile-dir", "/d", "--log-events=yes");
	/* --c is --comm or --container: neither */
	EXPECT_MESSAGE(&args_trace, "unknown option '--c'", "trace", "--c", "x");
	/* getopt_long takes a prefix that names one option: a spelling users have */
	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "--pi", "5", "--cont", "abc"), 0);
	assert_int_equal(o.trace.pid, 5);
	assert_string_equal(o.trace.container, "abc");
	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "--he"), ARGS_HELP);
}

/* "--" ends the options: nothing after it is one, and every command takes no operand. */
static void test_double_dash(void **state)
{
	union any_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "-j", "--"), 0);
	assert_true(o.trace.json);
	assert_int_equal(PARSE(&args_export, &o, err, "export", "--textfile-dir", "/d", "--"), 0);
	EXPECT_MESSAGE(&args_trace, "unexpected argument '-p'", "trace", "-j", "--", "-p", "1");
	EXPECT_MESSAGE(&args_top, "unexpected argument '--help'", "top", "--", "--help");
	/* the operand is named before the missing required option */
	EXPECT_MESSAGE(&args_export, "unexpected argument '--textfile-dir'", "export", "--",
		       "--textfile-dir", "/d");
	/* an operand before options is still one (getopt_long moves it to the end) */
	EXPECT_MESSAGE(&args_zombies, "unexpected argument 'extra'", "zombies", "extra", "-j");
	/* "-" alone is an operand, not an option */
	EXPECT_MESSAGE(&args_trace, "unexpected argument '-'", "trace", "-");
}

/* Short options in every form getopt takes them; each command's defaults, whatever the
 * options struct held and whatever the parse before set. */
static void test_forms_and_defaults(void **state)
{
	union any_opts o;
	char err[ARGS_ERR_LEN];

	assert_int_equal(PARSE(&args_trace, &o, err, "trace", "-jp5", "-efork", "-d.5"), 0);
	assert_true(o.trace.json);
	assert_int_equal(o.trace.pid, 5);
	assert_int_equal(o.trace.event_mask, RW_EVENT_BIT(RW_REC_FORK));
	assert_true(o.trace.duration_s == 0.5);
	assert_int_equal(PARSE(&args_trace, &o, err, "trace"), 0);
	assert_false(o.trace.json);
	assert_int_equal(o.trace.pid, 0);
	assert_null(o.trace.comm);
	assert_null(o.trace.container);
	assert_int_equal(o.trace.event_mask, RW_EVENTS_DEFAULT);
	assert_true(o.trace.duration_s == 0);

	assert_int_equal(PARSE(&args_zombies, &o, err, "zombies"), 0);
	assert_false(o.zombies.json);
	assert_true(o.zombies.min_age_s == 0);
	assert_int_equal(PARSE(&args_top, &o, err, "top"), 0);
	assert_true(o.top.interval_s == 2);
	assert_int_equal(PARSE(&args_export, &o, err, "export", "--textfile-dir", "/d"), 0);
	assert_true(o.export.interval_s == 15);
	assert_int_equal(o.export.max_containers, 2000);
	assert_false(o.export.log_events);
	assert_false(o.export.container_detail);
	assert_int_equal(PARSE(&args_export, &o, err, "export", "--container-detail",
			       "--textfile-dir", "/d"),
			 0);
	assert_true(o.export.container_detail);

	/* --help wins over what follows it, not over an error before it */
	assert_int_equal(PARSE(&args_top, &o, err, "top", "-h", "--bogus"), ARGS_HELP);
	assert_int_equal(PARSE(&args_export, &o, err, "export", "--help"), ARGS_HELP);
	EXPECT_MESSAGE(&args_top, "--interval: 'x' is not a positive number of seconds (at most a century)", "top",
		       "-i", "x", "-h");
}

/* Every table is one the parser and the help can use: unique names and letters, --help
 * last, a METAVAR for every value, a bad-value line for every checked one (with at most
 * one "%s" and no other '%'), defaults of the table's own size. */
static void test_tables(void **state)
{
	const struct arg_command *cmds[] = { &args_trace, &args_zombies, &args_top,
					     &args_export, &args_healthcheck };

	for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
		const struct arg_command *cmd = cmds[c];
		const struct arg_option *last = &cmd->options[cmd->noptions - 1];

		assert_true(cmd->noptions >= 2 && cmd->noptions <= 16);
		assert_true(cmd->size <= sizeof(union any_opts));
		assert_string_equal(last->name, "help");
		assert_int_equal(last->kind, ARG_HELP);
		for (size_t i = 0; i < cmd->noptions; i++) {
			const struct arg_option *opt = &cmd->options[i];
			bool value = opt->kind != ARG_FLAG && opt->kind != ARG_HELP;

			for (size_t j = 0; j < i; j++) {
				assert_string_not_equal(opt->name, cmd->options[j].name);
				if (opt->letter)
					assert_int_not_equal(opt->letter, cmd->options[j].letter);
			}
			assert_true(opt->offset < cmd->size || !value);
			assert_non_null(opt->help);
			assert_int_equal(value, opt->metavar != NULL);
			if (!value || opt->kind == ARG_EVENTS) {
				assert_null(opt->error);
				continue;
			}
			assert_non_null(opt->error);
			assert_int_equal(strncmp(opt->error, "--", 2), 0);
			assert_int_equal(strncmp(opt->error + 2, opt->name, strlen(opt->name)), 0);
			const char *pct = strchr(opt->error, '%');

			if (pct) {
				assert_int_equal(pct[1], 's');
				assert_null(strchr(pct + 1, '%'));
			}
		}
	}
}

/* The options part of --help, as the table prints it: columns, continuation lines. */
static void test_help_text(void **state)
{
	struct capture c;

	args_print_options(capture_open(&c), &args_trace);
	assert_string_equal(
		capture_close(&c),
		"  -j, --json            JSON Lines instead of text columns\n"
		"  -p, --pid PID         only events in which PID takes part (subject, parent,\n"
		"                        reaper, sender, target, init)\n"
		"  -c, --comm NAME       only events in which a process named NAME takes part\n"
		"      --container ID    only events of a container: id prefix, pod or container name\n"
		"  -e, --events LIST     comma list of fork,exit,reap,reparent,signal,teardown or all\n"
		"                        (default: all but fork)\n"
		"  -d, --duration SECS   stop after SECS seconds\n"
		"  -h, --help            this help\n");
	capture_free(&c);

	args_print_options(capture_open(&c), &args_export);
	assert_string_equal(capture_close(&c),
			    "      --textfile-dir DIR    where to write reapwatch.prom (atomically)\n"
			    "  -i, --interval SECS       rewrite period (default 15)\n"
			    "      --log-events          also write notable events as JSON Lines on stdout\n"
			    "      --max-containers N    bound on per-container series (default 2000)\n"
			    "      --container-detail    reap latency histogram and signals per container too\n"
			    "  -h, --help                this help\n");
	capture_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_defaults), cmocka_unit_test(test_trace_every_option),
		cmocka_unit_test(test_trace_help),     cmocka_unit_test(test_trace_errors),
		cmocka_unit_test(test_trace_reparse),  cmocka_unit_test(test_event_list),
		cmocka_unit_test(test_seconds),	       cmocka_unit_test(test_other_commands),
		cmocka_unit_test(test_missing_value),  cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_repeated),       cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_double_dash),    cmocka_unit_test(test_forms_and_defaults),
		cmocka_unit_test(test_tables),	       cmocka_unit_test(test_help_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
