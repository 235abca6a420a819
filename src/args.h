/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line parsing for every command (SPEC.md "Command line"). Pure: no I/O.
 * A parser returns 0, ARGS_HELP when --help was asked, or -EINVAL with a one-line
 * message naming the bad argument in `err`.
 */
#ifndef REAPWATCH_ARGS_H
#define REAPWATCH_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARGS_HELP 1
#define ARGS_ERR_LEN 256

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

int parse_trace_args(int argc, char **argv, struct trace_opts *opts, char *err, size_t errlen);
int parse_zombies_args(int argc, char **argv, struct zombies_opts *opts, char *err,
		       size_t errlen);
int parse_top_args(int argc, char **argv, struct top_opts *opts, char *err, size_t errlen);
int parse_export_args(int argc, char **argv, struct export_opts *opts, char *err, size_t errlen);

/* "exit,signal" or "all" -> RW_EVENT_BIT()s; -EINVAL names the first bad item. */
int parse_event_list(const char *list, uint32_t *mask, char *err, size_t errlen);
/* A positive (or, with allow_zero, non-negative) finite number of seconds. */
int parse_seconds(const char *s, bool allow_zero, double *out);
/* A process id: 1 .. 4194304 (PID_MAX_LIMIT). */
int parse_pid(const char *s, uint32_t *out);
/* An integer in [min, max]. */
int parse_uint_range(const char *s, uint32_t min, uint32_t max, uint32_t *out);

#endif /* REAPWATCH_ARGS_H */
