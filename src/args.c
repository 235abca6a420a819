// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "event.h"

#define PID_MAX_LIMIT 4194304
/* A century: anything longer is a typo, and keeps seconds * 1e9 inside uint64_t. */
#define SECONDS_MAX (100.0 * 365 * 24 * 3600)

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int parse_seconds(const char *s, bool allow_zero, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > SECONDS_MAX || (!allow_zero && v == 0))
		return -EINVAL;
	/* strtod takes "0x10" and " 5"; a human means neither. */
	if (strpbrk(s, "xXpP \t") || !(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_uint_range(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int parse_pid(const char *s, uint32_t *out)
{
	return parse_uint_range(s, 1, PID_MAX_LIMIT, out);
}

int parse_event_list(const char *list, uint32_t *mask, char *err, size_t errlen)
{
	const char *p = list;
	uint32_t m = 0;

	if (!list || !*list)
		return fail(err, errlen, "--events needs a list such as exit,reap,signal or all");
	while (*p) {
		size_t len = strcspn(p, ",");
		bool found = false;

		if (len == 3 && !strncmp(p, "all", 3)) {
			m |= RW_EVENTS_ALL;
			found = true;
		}
		for (int t = RW_REC_FORK; !found && t < RW_REC_MAX; t++) {
			const char *name = event_type_name(t);

			if (strlen(name) == len && !strncmp(p, name, len)) {
				m |= RW_EVENT_BIT(t);
				found = true;
			}
		}
		if (!found)
			return fail(err, errlen,
				    "--events: unknown event type '%.*s' (one of fork, exit, reap, "
				    "reparent, signal, teardown, all)",
				    (int)(len > 64 ? 64 : len), p);
		p += len;
		if (*p == ',') {
			p++;
			if (!*p)
				return fail(err, errlen, "--events: empty item after ','");
		}
	}
	*mask = m;
	return 0;
}

/*
 * getopt_long with our own messages: opterr off, a leading ':' so a missing value
 * is told apart from an unknown flag.
 */
static int bad_option(int c, int argc, char **argv, const struct option *longopts, char *err,
		      size_t errlen)
{
	const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";

	if (c == ':') {
		for (const struct option *o = longopts; o->name; o++)
			if (o->val == optopt)
				return fail(err, errlen, "option '--%s' needs a value", o->name);
		return fail(err, errlen, "option '%s' needs a value", arg);
	}
	if (optopt && optopt != '?' && (optopt < 256))
		return fail(err, errlen, "unknown option '-%c'", optopt);
	return fail(err, errlen, "unknown option '%s'", arg);
}

static int extra_args(int argc, char **argv, char *err, size_t errlen)
{
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static void getopt_reset(void)
{
	optind = 0; /* 0, not 1: also resets glibc's internal state */
	opterr = 0;
}

static int parse_interval(const char *arg, double *out, char *err, size_t errlen)
{
	if (parse_seconds(arg, false, out))
		return fail(err, errlen, "--interval: '%s' is not a positive number of seconds",
			    arg);
	return 0;
}

enum { OPT_CONTAINER = 256, OPT_MIN_AGE, OPT_TEXTFILE_DIR, OPT_LOG_EVENTS, OPT_MAX_CONTAINERS,
       OPT_CONTAINER_DETAIL };

int parse_trace_args(int argc, char **argv, struct trace_opts *opts, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "events", required_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*opts = (struct trace_opts){ .event_mask = RW_EVENTS_DEFAULT };
	getopt_reset();
	while ((c = getopt_long(argc, argv, ":jp:c:e:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts->json = true;
			break;
		case 'p':
			if (parse_pid(optarg, &opts->pid))
				return fail(err, errlen, "--pid: '%s' is not a process id", optarg);
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= RW_COMM_LEN)
				return fail(err, errlen,
					    "--comm: '%s' is not a process name (1 to 15 bytes)",
					    optarg);
			opts->comm = optarg;
			break;
		case OPT_CONTAINER:
			if (!*optarg)
				return fail(err, errlen, "--container needs an id or a name");
			opts->container = optarg;
			break;
		case 'e':
			if (parse_event_list(optarg, &opts->event_mask, err, errlen))
				return -EINVAL;
			break;
		case 'd':
			if (parse_seconds(optarg, false, &opts->duration_s))
				return fail(err, errlen,
					    "--duration: '%s' is not a positive number of seconds",
					    optarg);
			break;
		case 'h':
			return ARGS_HELP;
		default:
			return bad_option(c, argc, argv, longopts, err, errlen);
		}
	}
	return extra_args(argc, argv, err, errlen);
}

int parse_zombies_args(int argc, char **argv, struct zombies_opts *opts, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "min-age", required_argument, NULL, OPT_MIN_AGE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*opts = (struct zombies_opts){ 0 };
	getopt_reset();
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts->json = true;
			break;
		case OPT_MIN_AGE:
			if (parse_seconds(optarg, true, &opts->min_age_s))
				return fail(err, errlen,
					    "--min-age: '%s' is not a number of seconds", optarg);
			break;
		case 'h':
			return ARGS_HELP;
		default:
			return bad_option(c, argc, argv, longopts, err, errlen);
		}
	}
	return extra_args(argc, argv, err, errlen);
}

int parse_top_args(int argc, char **argv, struct top_opts *opts, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*opts = (struct top_opts){ .interval_s = 2 };
	getopt_reset();
	while ((c = getopt_long(argc, argv, ":i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_interval(optarg, &opts->interval_s, err, errlen))
				return -EINVAL;
			break;
		case 'h':
			return ARGS_HELP;
		default:
			return bad_option(c, argc, argv, longopts, err, errlen);
		}
	}
	return extra_args(argc, argv, err, errlen);
}

int parse_export_args(int argc, char **argv, struct export_opts *opts, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "textfile-dir", required_argument, NULL, OPT_TEXTFILE_DIR },
		{ "interval", required_argument, NULL, 'i' },
		{ "log-events", no_argument, NULL, OPT_LOG_EVENTS },
		{ "max-containers", required_argument, NULL, OPT_MAX_CONTAINERS },
		{ "container-detail", no_argument, NULL, OPT_CONTAINER_DETAIL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*opts = (struct export_opts){ .interval_s = 15, .max_containers = 2000 };
	getopt_reset();
	while ((c = getopt_long(argc, argv, ":i:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TEXTFILE_DIR:
			if (!*optarg)
				return fail(err, errlen, "--textfile-dir needs a directory");
			opts->textfile_dir = optarg;
			break;
		case 'i':
			if (parse_interval(optarg, &opts->interval_s, err, errlen))
				return -EINVAL;
			break;
		case OPT_LOG_EVENTS:
			opts->log_events = true;
			break;
		case OPT_CONTAINER_DETAIL:
			opts->container_detail = true;
			break;
		case OPT_MAX_CONTAINERS:
			if (parse_uint_range(optarg, 1, 1000000, &opts->max_containers))
				return fail(err, errlen,
					    "--max-containers: '%s' is not a number from 1 to 1000000",
					    optarg);
			break;
		case 'h':
			return ARGS_HELP;
		default:
			return bad_option(c, argc, argv, longopts, err, errlen);
		}
	}
	if (extra_args(argc, argv, err, errlen))
		return -EINVAL;
	if (!opts->textfile_dir)
		return fail(err, errlen, "--textfile-dir DIR is required");
	return 0;
}
