/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line parsing for every command (docs/reapwatch.md "Command line"). Pure: no I/O but the
 * FILE * its help is written to.
 * Each command's options are a table (struct arg_command, as bpftool keeps its command
 * table): the option's names, what its value is and its bounds, where the value goes, the
 * line a bad value gets and the line --help gives it. One parser walks any table; the
 * options part of a command's --help is printed from the same table, so the two agree.
 * A parser returns 0, ARGS_HELP when --help was asked, or -EINVAL with a one-line
 * message naming the bad argument in `err`.
 */
#ifndef REAPWATCH_ARGS_H
#define REAPWATCH_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARGS_HELP 1
#define ARGS_ERR_LEN 256

/* What an option's value is: how it is checked, and the type of the field it goes to. */
enum arg_kind {
	ARG_HELP,    /* -h, --help: the parse stops and returns ARGS_HELP */
	ARG_FLAG,    /* no value: sets a bool */
	ARG_UINT,    /* a decimal integer in [min, max]: a uint32_t */
	ARG_SECONDS, /* parse_seconds(), zero allowed when min is 0, else > 0: a double */
	ARG_STRING,  /* 1 byte at least, max bytes at most (0: no bound): a const char * into argv */
	ARG_EVENTS,  /* parse_event_list(), whose messages it gives: a uint32_t mask */
};

struct arg_option {
	const char *name; /* the long name, without "--" */
	char letter;	  /* the short one; 0: none */
	enum arg_kind kind;
	uint32_t min, max; /* ARG_UINT: the range; ARG_SECONDS: min; ARG_STRING: max (bytes) */
	size_t offset;	   /* where the value goes in the command's options struct */
	bool required;	   /* "--NAME METAVAR is required" when absent */
	/* The line for a bad value (ARG_EVENTS: parse_event_list()'s own); "%s" in it, once at
	 * most, stands for the value, and is the only '%' it may have. */
	const char *error;
	const char *metavar; /* the value's name in --help ("SECS"); NULL for a flag */
	const char *help;    /* --help's text; each '\n' goes on under the one before */
};

struct arg_command {
	const char *name;
	const struct arg_option *options;
	size_t noptions;
	const void *defaults; /* the options struct before any option is seen */
	size_t size;	      /* its size */
	int help_column;      /* where the options' texts start in --help */
};

/* The tables of trace, zombies, top, export and healthcheck. */
extern const struct arg_command args_trace, args_zombies, args_top, args_export, args_healthcheck;

/* Parse argv (argv[0] is the command's name) into opts, a struct of cmd->size bytes that
 * is first set to cmd->defaults. Repeated, an option's last value is the one kept. */
int args_parse(const struct arg_command *cmd, int argc, char **argv, void *opts, char *err,
	       size_t errlen);
/* The options part of the command's --help, one line (or more) per option. */
void args_print_options(FILE *out, const struct arg_command *cmd);

struct trace_opts {
	bool json;
	uint32_t pid;		/* 0: any */
	const char *comm;	/* NULL: any */
	const char *container;	/* NULL: any */
	uint32_t event_mask;	/* RW_EVENT_BIT()s */
	double duration_s;	/* 0: until SIGINT/SIGTERM */
};

struct zombies_opts {
	bool json;
	double min_age_s;
	const char *container; /* NULL: any */
};

struct top_opts {
	double interval_s;
};

struct export_opts {
	const char *textfile_dir;
	double interval_s;
	bool log_events;
	uint32_t max_containers;
	bool container_detail; /* reap latency histogram and signals per container */
};

struct healthcheck_opts {
	const char *textfile_dir;
	double max_age_s;
};

int parse_trace_args(int argc, char **argv, struct trace_opts *opts, char *err, size_t errlen);
int parse_zombies_args(int argc, char **argv, struct zombies_opts *opts, char *err,
		       size_t errlen);
int parse_top_args(int argc, char **argv, struct top_opts *opts, char *err, size_t errlen);
int parse_export_args(int argc, char **argv, struct export_opts *opts, char *err, size_t errlen);

/* "exit,signal" or "all" -> RW_EVENT_BIT()s; -EINVAL names the first bad item. */
int parse_event_list(const char *list, uint32_t *mask, char *err, size_t errlen);
/* A positive (or, with allow_zero, non-negative) finite number of seconds. */
int parse_seconds(const char *s, bool allow_zero, double *out);
/* An integer in [min, max]. */
int parse_uint_range(const char *s, uint32_t min, uint32_t max, uint32_t *out);

#endif /* REAPWATCH_ARGS_H */
