/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether an `export` is alive, from what can be seen of it from outside (`reapwatch
 * healthcheck`, the DaemonSet's probes): the file it rewrites every interval, and the flock(2)
 * it holds on its directory while it runs (cmd_export.c, lock_textfile_dir()). Pure: the facts
 * are gathered by cmd_healthcheck.c.
 */
#ifndef REAPWATCH_HEALTH_H
#define REAPWATCH_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The file every export writes in its --textfile-dir. */
#define PROM_FILE "reapwatch.prom"

/* Who holds the directory's lock, as a probe with flock(LOCK_EX | LOCK_NB) can tell. */
enum health_lock {
	HEALTH_LOCK_HELD,    /* an export runs (or another tool that flocks the directory) */
	HEALTH_LOCK_FREE,    /* no export runs for this directory */
	HEALTH_LOCK_UNKNOWN, /* a filesystem that refuses the lock (NFS): not checked */
};

struct health_facts {
	const char *dir;
	int file_errno;	       /* stat() of DIR/reapwatch.prom: 0, or its errno */
	bool file_regular;     /* it is a regular file */
	int64_t file_mtime_ns; /* its last write, wall clock */
	int64_t now_ns;	       /* the wall clock now */
	enum health_lock lock;
};

/* Room for a path as health_path_shown() writes it. */
#define HEALTH_PATH_SHOWN 200

/* A path for a one-line message: escaped (a path may hold a newline), cut at a character with
 * "..." when it does not fit. */
void health_path_shown(char dst[HEALTH_PATH_SHOWN], const char *path);

/* EXIT_OK with what was seen, or EXIT_RUNTIME with what is wrong and what to check: one line
 * in msg (without "reapwatch: "). */
int health_verdict(const struct health_facts *f, double max_age_s, char *msg, size_t len);

#endif /* REAPWATCH_HEALTH_H */
