/* SPDX-License-Identifier: GPL-2.0 */
/* Which decoded events `trace` shows (--pid, --comm, --container, --events). Pure. */
#ifndef REAPWATCH_FILTER_H
#define REAPWATCH_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include "event.h"

struct event_filter {
	uint32_t event_mask;	/* RW_EVENT_BIT()s */
	uint32_t pid;		/* 0: any; else the pid in any role */
	const char *comm;	/* NULL: any; else the comm in any role */
	const char *container;	/* NULL: any; id prefix, pod name or container name */
};

bool filter_match(const struct event_filter *filter, const struct event *ev);

/* --container: an id prefix (at least one char), or an exact pod or container name. */
bool container_matches(const char *query, const struct cgroup_info *cg);

#endif /* REAPWATCH_FILTER_H */
