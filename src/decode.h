/* SPDX-License-Identifier: GPL-2.0 */
/* Raw ring-buffer records -> the event model (event.h), once per record. */
#ifndef REAPWATCH_DECODE_H
#define REAPWATCH_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "cgroups.h"
#include "event.h"
#include "zombies.h"

struct decoder {
	struct cgroup_cache *cgroups;
	int64_t mono_to_unix_ns; /* refreshed by the caller; the wall clock may be stepped */
	uint64_t malformed;	 /* records of an unknown type or size */
	/* Zombies present when the agent started: their reaps are reported, with no
	 * latency; other processes that died before we started are not. May be NULL. */
	const struct zombie_census *census;
};

/* A decoder with its cgroup cache and wall-clock offset; -ENOMEM. */
int decoder__init(struct decoder *dec);
void decoder__fini(struct decoder *dec);

/* 0 and *ev filled; -ENOENT for a record that is not to be shown; -EINVAL for a
 * malformed record (counted, not fatal). */
int decoder__decode(struct decoder *dec, const void *data, size_t size, struct event *ev);

#endif /* REAPWATCH_DECODE_H */
