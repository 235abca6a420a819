// SPDX-License-Identifier: GPL-2.0
/* trace's filter (filter.h): which events pass --pid, --comm, --container, --events. */
#include <string.h>
#include "filter.h"

/* The processes other than the subject that take part in an event. */
static int event_peers(const struct event *ev, const struct ev_peer **peers)
{
	switch (ev->type) {
	case RW_REC_FORK:
		peers[0] = &ev->fork.parent;
		return 1;
	case RW_REC_EXIT:
		peers[0] = &ev->exit.parent;
		return 1;
	case RW_REC_SIGNAL:
		peers[0] = &ev->signal.sender;
		return 1;
	case RW_REC_REAP:
		peers[0] = &ev->reap.reaper;
		return 1;
	case RW_REC_REPARENT:
		peers[0] = &ev->reparent.old_parent;
		peers[1] = &ev->reparent.new_parent;
		return 2;
	default:
		return 0;
	}
}

bool container_names_match(const char *query, const char *container_id, const char *pod,
			   const char *container)
{
	size_t qlen = strlen(query);

	if (container_id[0] && qlen <= strlen(container_id) && !strncmp(container_id, query, qlen))
		return true;
	return (pod && !strcmp(pod, query)) || (container && !strcmp(container, query));
}

bool container_matches(const char *query, const struct cgroup_info *cg)
{
	return cg && container_names_match(query, cg->container_id, cg->pod, cg->container);
}

bool filter_match(const struct event_filter *filter, const struct event *ev)
{
	const struct ev_peer *peers[4] = { NULL };
	int npeers;

	if (!(filter->event_mask & RW_EVENT_BIT(ev->type)))
		return false;
	if (filter->container && !container_matches(filter->container, ev->proc.cgroup))
		return false;
	if (!filter->pid && !filter->comm)
		return true;

	npeers = event_peers(ev, peers);
	if (filter->pid) {
		bool hit = ev->proc.pid == filter->pid;

		for (int i = 0; i < npeers && !hit; i++)
			hit = peers[i]->pid == filter->pid;
		if (!hit)
			return false;
	}
	if (filter->comm) {
		bool hit = !strcmp(ev->proc.comm, filter->comm);

		for (int i = 0; i < npeers && !hit; i++)
			hit = !strcmp(peers[i]->comm, filter->comm);
		if (!hit)
			return false;
	}
	return true;
}
