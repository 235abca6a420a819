// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "escape.h"
#include "health.h"
#include "util.h"

/* What the kubelet shows of a probe's output is short: a path is cut here, escaped (a path may
 * hold a newline, and the verdict is one line). */
#define DIR_SHOWN 192

int health_verdict(const struct health_facts *f, double max_age_s, char *msg, size_t len)
{
	char dir[DIR_SHOWN];
	double age_s;

	text_escape(dir, sizeof(dir), f->dir, strlen(f->dir));
	if (f->file_errno == ENOENT) {
		snprintf(
		    msg, len, "no %s/%s yet: %s", dir, PROM_FILE,
		    f->lock == HEALTH_LOCK_FREE
			? "no reapwatch export runs for that directory (nothing holds its lock)"
			: "the export has not written it (still starting?), or writes elsewhere");
		return EXIT_RUNTIME;
	}
	if (f->file_errno) {
		snprintf(msg, len, "cannot stat %s/%s: %s", dir, PROM_FILE,
			 strerror(f->file_errno));
		return EXIT_RUNTIME;
	}
	if (!f->file_regular) {
		snprintf(msg, len, "%s/%s is not a regular file", dir, PROM_FILE);
		return EXIT_RUNTIME;
	}
	/* (a file from the future: the clock was stepped back since; its next rewrite mends it) */
	age_s = f->now_ns > f->file_mtime_ns ? (double)(f->now_ns - f->file_mtime_ns) / 1e9 : 0;
	if (f->lock == HEALTH_LOCK_FREE) {
		snprintf(msg, len,
			 "no reapwatch export runs for %s (nothing holds its lock); %s was last "
			 "written %.1f s ago",
			 dir, PROM_FILE, age_s);
		return EXIT_RUNTIME;
	}
	if (age_s > max_age_s) {
		snprintf(
		    msg, len,
		    "%s/%s not rewritten for %.1f s (--max-age %g): the export is stuck or cannot "
		    "write (see its stderr)",
		    dir, PROM_FILE, age_s, max_age_s);
		return EXIT_RUNTIME;
	}
	snprintf(msg, len, "%s/%s rewritten %.1f s ago%s", dir, PROM_FILE, age_s,
		 f->lock == HEALTH_LOCK_HELD ? " by a running export" : "");
	return EXIT_OK;
}
