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
/* The same for a container known by its id ("" on the host) and Kubernetes names (NULL:
 * unknown, as a pod's sandbox's container name is). */
bool container_names_match(const char *query, const char *container_id, const char *pod,
			   const char *container);

#endif /* REAPWATCH_FILTER_H */
