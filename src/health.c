// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "escape.h"
#include "health.h"
#include "util.h"

void health_path_shown(char dst[HEALTH_PATH_SHOWN], const char *path)
{
	char whole[HEALTH_PATH_SHOWN + 1];
	size_t len = strlen(path);

	if (text_escape(whole, sizeof(whole), path, len) < HEALTH_PATH_SHOWN) {
		memcpy(dst, whole, HEALTH_PATH_SHOWN);
		return;
	}
	text_escape(dst, HEALTH_PATH_SHOWN - 3, path, len);
	strcat(dst, "...");
}

int health_verdict(const struct health_facts *f, double max_age_s, char *msg, size_t len)
{
	char dir[HEALTH_PATH_SHOWN];
	double age_s;

	health_path_shown(dir, f->dir);
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
