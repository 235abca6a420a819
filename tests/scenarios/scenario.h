/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the scenario programs. Define SCENARIO_NAME (the program's name, as its
 * messages begin) before including this.
 */
#ifndef REAPWATCH_SCENARIO_H
#define REAPWATCH_SCENARIO_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef SCENARIO_NAME
#error "define SCENARIO_NAME before including scenario.h"
#endif

/* "<name>: <what>: <strerror(errno)>" on stderr, then exit 100. */
static inline void die(const char *what)
{
	fprintf(stderr, SCENARIO_NAME ": %s: %s\n", what, strerror(errno));
	exit(100);
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CLOCK_REALTIME in microseconds: what the agent's event times are in. */
static inline long long wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* One "key=value" line on stdout, flushed: the test reads them with kv. */
static inline void report(const char *key, long long value)
{
	printf("%s=%lld\n", key, value);
	fflush(stdout);
}

/*
 * The state letter of the process /proc (the host's) numbers PID: 'R', 'S', 'Z', ...;
 * 0 once it is gone; '?' if its stat line cannot be read.
 */
static inline char proc_state(int pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')'); /* the comm may hold ')' itself: the last one */
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

#endif /* REAPWATCH_SCENARIO_H */
