// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "event.h"

/* The kernel's PID_MAX_LIMIT (64-bit): a pid above it is no pid. */
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

/* The table parser's own bound: a command with more options raises it. */
#define ARGS_MAX_OPTIONS 16

/*
 * A table row's storage, checked when the table is compiled: the member must have the type
 * the option's kind writes, or the build stops naming it.
 */
#define FIELD(type, member, ctype)                                                                 \
	(offsetof(type, member) +                                                                  \
	 0 * sizeof(struct {                                                                       \
		 _Static_assert(__builtin_types_compatible_p(__typeof__(((type *)0)->member), ctype), \
				#type "." #member " is not a " #ctype);                            \
		 int unused;                                                                       \
	 }))
#define FLAG(type, member) .kind = ARG_FLAG, .offset = FIELD(type, member, bool)
#define UINT_IN(type, member, lo, hi)                                                              \
	.kind = ARG_UINT, .offset = FIELD(type, member, uint32_t), .min = (lo), .max = (hi)
#define SECONDS(type, member) .kind = ARG_SECONDS, .offset = FIELD(type, member, double), .min = 0
#define POSITIVE_SECONDS(type, member)                                                             \
	.kind = ARG_SECONDS, .offset = FIELD(type, member, double), .min = 1
#define STRING(type, member, max_bytes)                                                            \
	.kind = ARG_STRING, .offset = FIELD(type, member, const char *), .max = (max_bytes)
#define EVENTS(type, member) .kind = ARG_EVENTS, .offset = FIELD(type, member, uint32_t)
#define HELP_OPTION { .name = "help", .letter = 'h', .kind = ARG_HELP, .help = "this help" }

#define COMMAND(cmd_name, table, opts_type, column, ...)                                           \
	{ .name = (cmd_name), .options = (table), .noptions = sizeof(table) / sizeof((table)[0]),  \
	  .defaults = &(const opts_type){ __VA_ARGS__ }, .size = sizeof(opts_type),               \
	  .help_column = (column) }

static const struct arg_option trace_options[] = {
	{ .name = "json", .letter = 'j', FLAG(struct trace_opts, json),
	  .help = "JSON Lines instead of text columns" },
	{ .name = "pid", .letter = 'p', UINT_IN(struct trace_opts, pid, 1, PID_MAX_LIMIT),
	  .error = "--pid: '%s' is not a process id", .metavar = "PID",
	  .help = "only events in which PID takes part (subject, parent,\n"
		  "reaper, sender, target, init)" },
	{ .name = "comm", .letter = 'c', STRING(struct trace_opts, comm, RW_COMM_LEN - 1),
	  .error = "--comm: '%s' is not a process name (1 to 15 bytes)", .metavar = "NAME",
	  .help = "only events in which a process named NAME takes part" },
	{ .name = "container", STRING(struct trace_opts, container, 0),
	  .error = "--container needs an id or a name", .metavar = "ID",
	  .help = "only events of a container: id prefix, pod or container name" },
	{ .name = "events", .letter = 'e', EVENTS(struct trace_opts, event_mask), .metavar = "LIST",
	  .help = "comma list of fork,exit,reap,reparent,signal,teardown or all\n"
		  "(default: all but fork)" },
	{ .name = "duration", .letter = 'd', POSITIVE_SECONDS(struct trace_opts, duration_s),
	  .error = "--duration: '%s' is not a positive number of seconds (at most a century)", .metavar = "SECS",
	  .help = "stop after SECS seconds" },
	HELP_OPTION,
};

static const struct arg_option zombies_options[] = {
	{ .name = "json", .letter = 'j', FLAG(struct zombies_opts, json),
	  .help = "one JSON object per zombie per line" },
	{ .name = "min-age", SECONDS(struct zombies_opts, min_age_s),
	  .error = "--min-age: '%s' is not a number of seconds (at most a century)", .metavar = "SECS",
	  .help = "only zombies at least SECS old" },
	{ .name = "container", STRING(struct zombies_opts, container, 0),
	  .error = "--container needs an id or a name", .metavar = "ID",
	  .help = "only zombies in a container: id prefix, pod or container name" },
	HELP_OPTION,
};

static const struct arg_option top_options[] = {
	{ .name = "interval", .letter = 'i', POSITIVE_SECONDS(struct top_opts, interval_s),
	  .error = "--interval: '%s' is not a positive number of seconds (at most a century)", .metavar = "SECS",
	  .help = "refresh period (default 2)" },
	HELP_OPTION,
};

static const struct arg_option export_options[] = {
	{ .name = "textfile-dir", STRING(struct export_opts, textfile_dir, 0), .required = true,
	  .error = "--textfile-dir needs a directory", .metavar = "DIR",
	  .help = "where to write reapwatch.prom (atomically)" },
	{ .name = "interval", .letter = 'i', POSITIVE_SECONDS(struct export_opts, interval_s),
	  .error = "--interval: '%s' is not a positive number of seconds (at most a century)", .metavar = "SECS",
	  .help = "rewrite period (default 15)" },
	{ .name = "log-events", FLAG(struct export_opts, log_events),
	  .help = "also write notable events as JSON Lines on stdout" },
	{ .name = "max-containers", UINT_IN(struct export_opts, max_containers, 1, 1000000),
	  .error = "--max-containers: '%s' is not a number from 1 to 1000000", .metavar = "N",
	  .help = "bound on per-container series (default 2000)" },
	{ .name = "container-detail", FLAG(struct export_opts, container_detail),
	  .help = "reap latency histogram and signals per container too" },
	HELP_OPTION,
};

static const struct arg_option healthcheck_options[] = {
	{ .name = "textfile-dir", STRING(struct healthcheck_opts, textfile_dir, 0), .required = true,
	  .error = "--textfile-dir needs a directory", .metavar = "DIR",
	  .help = "the directory an export writes reapwatch.prom to" },
	{ .name = "max-age", POSITIVE_SECONDS(struct healthcheck_opts, max_age_s),
	  .error = "--max-age: '%s' is not a positive number of seconds (at most a century)", .metavar = "SECS",
	  .help = "fail when reapwatch.prom is older (default 60: four of\n"
		  "export's default intervals)" },
	HELP_OPTION,
};

/* The defaults here are the ones the help texts above state. */
const struct arg_command args_trace =
	COMMAND("trace", trace_options, struct trace_opts, 24, .event_mask = RW_EVENTS_DEFAULT);
const struct arg_command args_zombies =
	COMMAND("zombies", zombies_options, struct zombies_opts, 24, .json = false);
const struct arg_command args_top =
	COMMAND("top", top_options, struct top_opts, 24, .interval_s = 2);
const struct arg_command args_export = COMMAND("export", export_options, struct export_opts, 28,
					       .interval_s = 15, .max_containers = 2000);
const struct arg_command args_healthcheck =
	COMMAND("healthcheck", healthcheck_options, struct healthcheck_opts, 28, .max_age_s = 60);

static bool takes_value(const struct arg_option *o)
{
	return o->kind != ARG_HELP && o->kind != ARG_FLAG;
}

/* getopt_long's value for an option: its letter, or past every letter for a long-only one. */
static int option_val(const struct arg_command *cmd, const struct arg_option *o)
{
	return o->letter ? o->letter : 256 + (int)(o - cmd->options);
}

static const struct arg_option *option_by_val(const struct arg_command *cmd, int val)
{
	for (size_t i = 0; i < cmd->noptions; i++)
		if (option_val(cmd, &cmd->options[i]) == val)
			return &cmd->options[i];
	return NULL;
}

/* getopt_long's complaint, in our words: opterr is off, and the leading ':' of the short
 * options tells a missing value apart from an unknown option. */
static int bad_option(const struct arg_command *cmd, int c, int argc, char **argv, char *err,
		      size_t errlen)
{
	const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";
	const struct arg_option *o;

	if (c == ':') {
		o = option_by_val(cmd, optopt);
		if (o)
			return fail(err, errlen, "option '--%s' needs a value", o->name);
		return fail(err, errlen, "option '%s' needs a value", arg);
	}
	/* "--json=1": getopt_long says '?' with the option's own value in optopt */
	o = option_by_val(cmd, optopt);
	if (o)
		return fail(err, errlen, "option '--%s' takes no value", o->name);
	if (optopt && optopt != '?' && (optopt < 256))
		return fail(err, errlen, "unknown option '-%c'", optopt);
	return fail(err, errlen, "unknown option '%s'", arg);
}

/* The option's line for a bad value, with the value where its "%s" is. */
static int bad_value(const struct arg_option *o, const char *value, char *err, size_t errlen)
{
	const char *at = strstr(o->error, "%s");

	if (!at)
		return fail(err, errlen, "%s", o->error);
	return fail(err, errlen, "%.*s%s%s", (int)(at - o->error), o->error, value, at + 2);
}

/* Check the value as the option's kind says and store it; 0, ARGS_HELP or -EINVAL. */
static int take_value(const struct arg_option *o, const char *value, void *opts, char *err,
		      size_t errlen)
{
	void *field = (char *)opts + o->offset;

	switch (o->kind) {
	case ARG_HELP:
		return ARGS_HELP;
	case ARG_FLAG:
		*(bool *)field = true;
		return 0;
	case ARG_UINT:
		if (parse_uint_range(value, o->min, o->max, field))
			return bad_value(o, value, err, errlen);
		return 0;
	case ARG_SECONDS:
		if (parse_seconds(value, o->min == 0, field))
			return bad_value(o, value, err, errlen);
		return 0;
	case ARG_STRING:
		if (!*value || (o->max && strlen(value) > o->max))
			return bad_value(o, value, err, errlen);
		*(const char **)field = value;
		return 0;
	case ARG_EVENTS:
		return parse_event_list(value, field, err, errlen) ? -EINVAL : 0;
	}
	return fail(err, errlen, "option '--%s' has no kind", o->name);
}

int args_parse(const struct arg_command *cmd, int argc, char **argv, void *opts, char *err,
	       size_t errlen)
{
	struct option longopts[ARGS_MAX_OPTIONS + 1] = { 0 };
	char shortopts[1 + 2 * ARGS_MAX_OPTIONS + 1] = ":";
	uint32_t seen = 0;
	size_t n = 1;
	int c, ret;

	if (cmd->noptions > ARGS_MAX_OPTIONS)
		return fail(err, errlen, "%s has more than %d options", cmd->name,
			    ARGS_MAX_OPTIONS);
	for (size_t i = 0; i < cmd->noptions; i++) {
		const struct arg_option *o = &cmd->options[i];

		longopts[i] = (struct option){ o->name,
					       takes_value(o) ? required_argument : no_argument,
					       NULL, option_val(cmd, o) };
		if (o->letter) {
			shortopts[n++] = o->letter;
			if (takes_value(o))
				shortopts[n++] = ':';
		}
	}
	memcpy(opts, cmd->defaults, cmd->size);
	optind = 0; /* 0, not 1: also resets glibc's internal state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct arg_option *o = c == '?' || c == ':' ? NULL : option_by_val(cmd, c);

		if (!o)
			return bad_option(cmd, c, argc, argv, err, errlen);
		ret = take_value(o, optarg, opts, err, errlen);
		if (ret)
			return ret;
		seen |= 1u << (o - cmd->options);
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	for (size_t i = 0; i < cmd->noptions; i++)
		if (cmd->options[i].required && !(seen & 1u << i))
			return fail(err, errlen, "--%s %s is required", cmd->options[i].name,
				    cmd->options[i].metavar);
	return 0;
}

void args_print_options(FILE *out, const struct arg_command *cmd)
{
	for (size_t i = 0; i < cmd->noptions; i++) {
		const struct arg_option *o = &cmd->options[i];
		const char *text = o->help;
		int len;

		if (o->letter)
			len = fprintf(out, "  -%c, --%s", o->letter, o->name);
		else
			len = fprintf(out, "      --%s", o->name);
		if (o->metavar)
			len += fprintf(out, " %s", o->metavar);
		/* Each line of the text at the column, the first one too. */
		for (;;) {
			size_t line = strcspn(text, "\n");

			fprintf(out, "%*s%.*s\n", len < cmd->help_column ? cmd->help_column - len : 1,
				"", (int)line, text);
			if (!text[line])
				break;
			text += line + 1;
			len = 0;
		}
	}
}

int parse_trace_args(int argc, char **argv, struct trace_opts *opts, char *err, size_t errlen)
{
	return args_parse(&args_trace, argc, argv, opts, err, errlen);
}

int parse_zombies_args(int argc, char **argv, struct zombies_opts *opts, char *err, size_t errlen)
{
	return args_parse(&args_zombies, argc, argv, opts, err, errlen);
}

int parse_top_args(int argc, char **argv, struct top_opts *opts, char *err, size_t errlen)
{
	return args_parse(&args_top, argc, argv, opts, err, errlen);
}

int parse_export_args(int argc, char **argv, struct export_opts *opts, char *err, size_t errlen)
{
	return args_parse(&args_export, argc, argv, opts, err, errlen);
}
