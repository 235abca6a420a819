/* SPDX-License-Identifier: GPL-2.0 */
/* Timestamps as the outputs print them: RFC 3339 UTC with microseconds. */
#ifndef REAPWATCH_TIMEFMT_H
#define REAPWATCH_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-23T16:00:00.123456Z" and its NUL */
#define RFC3339_US_LEN 28

/*
 * Format nanoseconds since the Unix epoch as RFC 3339 UTC with microseconds, truncated (not
 * rounded) so that an event never appears to happen later than it did. Writes "" if cap is
 * smaller than RFC3339_US_LEN. Thread-safe.
 */
void format_rfc3339_us(char *buf, size_t cap, uint64_t unix_ns);

#endif /* REAPWATCH_TIMEFMT_H */
