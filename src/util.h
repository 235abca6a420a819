/* SPDX-License-Identifier: GPL-2.0 */
/* What every command shares: exit statuses (docs/reapwatch.md), clocks, one-line errors, stop
 * signals and stdout's write errors. */
#ifndef REAPWATCH_UTIL_H
#define REAPWATCH_UTIL_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Exit statuses (docs/reapwatch.md "Command line"). */
#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Set by SIGINT, SIGTERM and SIGHUP once rw_install_stop_signals() ran. */
extern volatile sig_atomic_t rw_stop_requested;
/* Stop signals end the command's loop cleanly; a closed pipe shows as a write error
 * instead of killing the process mid-line. */
void rw_install_stop_signals(void);

/* Flushes out: 0 when all written to it has reached it, -EPIPE when its reader has gone
 * away (not a failure), else the write's -errno. */
int rw_output_error(FILE *out);
/* A command's output that could not be written: one line on stderr, EXIT_RUNTIME. -ETIMEDOUT
 * is outq__free()'s: a reader that took nothing in the 2 s it waited at the end. */
int rw_output_failed(int err);

/* One line on stderr: "reapwatch: <message>". */
void rw_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The clock `clk` now, in ns. */
uint64_t clock_ns(clockid_t clk);
/* CLOCK_MONOTONIC now, and the offset that turns it into the wall clock. */
uint64_t mono_now_ns(void);
int64_t mono_to_unix_offset_ns(void);

/* fdopen(fd, "w") of a temporary file `tmp` about to be renamed into place; on failure closes
 * fd, removes tmp and returns NULL with *err set (-errno). */
FILE *rw_fdopen_tmp(int fd, const char *tmp, int *err);

#endif /* REAPWATCH_UTIL_H */
