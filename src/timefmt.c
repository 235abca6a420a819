// SPDX-License-Identifier: GPL-2.0
/* RFC 3339 timestamps (timefmt.h). */
#include <time.h>

#include "timefmt.h"

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_USEC 1000ULL

static char *put_digits(char *p, unsigned int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void format_rfc3339_us(char *buf, size_t cap, uint64_t unix_ns)
{
	time_t secs = (time_t)(unix_ns / NSEC_PER_SEC);
	unsigned int usec = (unsigned int)(unix_ns % NSEC_PER_SEC / NSEC_PER_USEC);
	struct tm tm;
	char *p = buf;

	if (cap == 0)
		return;
	buf[0] = '\0';
	/* The largest uint64_t is in year 2554, so the year always has 4 digits. */
	if (cap < RFC3339_US_LEN || !gmtime_r(&secs, &tm))
		return;
	p = put_digits(p, (unsigned int)(tm.tm_year + 1900), 4);
	*p++ = '-';
	p = put_digits(p, (unsigned int)(tm.tm_mon + 1), 2);
	*p++ = '-';
	p = put_digits(p, (unsigned int)tm.tm_mday, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned int)tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned int)tm.tm_min, 2);
	*p++ = ':';
	/* tm_sec is 60 only for a leap second, which gmtime_r never produces from time_t. */
	p = put_digits(p, (unsigned int)tm.tm_sec, 2);
	*p++ = '.';
	p = put_digits(p, usec, 6);
	*p++ = 'Z';
	*p = '\0';
}
