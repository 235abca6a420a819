// SPDX-License-Identifier: GPL-2.0
/* Process-wide helpers (util.h): the clocks, error lines, stop signals and the check of
 * what stdout could not take. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

volatile sig_atomic_t rw_stop_requested;

static void on_stop_signal(int sig)
{
	rw_stop_requested = 1;
}

void rw_install_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void rw_error(const char *fmt, ...)
{
	va_list ap;

	fputs("reapwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int rw_output_error(FILE *out)
{
	/* The first failure, kept: once the buffer is gone, fflush() has nothing to say. */
	static FILE *failed;
	static int failed_err;

	if (out == failed)
		return failed_err;
	errno = 0;
	if (!fflush(out) && !ferror(out))
		return 0;
	/* A write that failed inside a renderer is tried again by fflush(), which says why. */
	failed = out;
	failed_err = errno ? -errno : -EIO;
	return failed_err;
}

int rw_output_failed(int err)
{
	if (err == -ETIMEDOUT)
		rw_error("the reader took no output for 2 s after the end: the rest was not written");
	else
		rw_error("cannot write output: %s", strerror(-err));
	return EXIT_RUNTIME;
}

uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t mono_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC; take the narrowest of a few samples. */
int64_t mono_to_unix_offset_ns(void)
{
	int64_t best = 0;
	uint64_t best_gap = UINT64_MAX;

	for (int i = 0; i < 3; i++) {
		uint64_t m1 = clock_ns(CLOCK_MONOTONIC);
		uint64_t r = clock_ns(CLOCK_REALTIME);
		uint64_t m2 = clock_ns(CLOCK_MONOTONIC);

		if (m2 - m1 < best_gap) {
			best_gap = m2 - m1;
			best = (int64_t)(r - (m1 + (m2 - m1) / 2));
		}
	}
	return best;
}

FILE *rw_fdopen_tmp(int fd, const char *tmp, int *err)
{
	FILE *f = fdopen(fd, "w");

	if (!f) {
		*err = -errno;
		close(fd);
		unlink(tmp);
	}
	return f;
}
