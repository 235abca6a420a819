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

#endif /* REAPWATCH_SCENARIO_H */
