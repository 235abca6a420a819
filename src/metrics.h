/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's model: per-container counters and gauges, built each interval from
 * the kernel side's per-cgroup counters (agent_maps), the rarer events it sends
 * (reparent, teardown), the zombies in /proc and each container's pids cgroup.
 * Renderers (Prometheus text, top) read it; they never touch the kernel or /proc.
 */
#ifndef REAPWATCH_METRICS_H
#define REAPWATCH_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "agent.h"
#include "cgroups.h"
#include "event.h"
#include "kube.h"
#include "zombies.h"

#define SIGNAL_SLOTS 65 /* signals 1..64, index by number */
#define ORIGIN_SLOTS 4	/* enum rw_signal_origin */
#define REAPER_KINDS 4	/* enum rw_reaper_kind */
/* SPEC: series of containers gone longer than this are dropped. */
#define CONTAINER_GONE_KEEP_NS (300ull * 1000000000ull)

struct counters {
	uint64_t forks;
	uint64_t exits;
	uint64_t reaps;
	uint64_t reap_latency_sum_ns;
	uint64_t reap_latency_buckets[RW_LATENCY_BUCKETS + 1];
	uint64_t reaps_unmeasured; /* reaped, the time only bounded or unknown */
	uint64_t signals[SIGNAL_SLOTS][ORIGIN_SLOTS];
};

struct container_metrics {
	char id[CONTAINER_ID_MAX + 1]; /* "" for the host */
	struct kube_names names;       /* "" when unknown */
	char cgroup_path[512];	       /* one live cgroup of it, for pids.* */
	struct counters counters;      /* summed over its cgroups */
	uint64_t reparents[REAPER_KINDS];
	uint64_t teardowns;
	uint64_t teardown_sigkilled[2]; /* [0]: without SIGTERM first, [1]: with */
	uint32_t zombies;
	double zombie_oldest_s;
	int64_t pids_current;		/* -1: unknown */
	int64_t pids_max;		/* -1: unknown or "max" */
	bool gone;			/* no live cgroup left */
	uint64_t gone_since_ns;
	uint64_t activity;		/* for choosing what to keep over --max-containers */
};

struct metrics {
	struct container_metrics *containers;
	size_t ncontainers;
	size_t cap;
	struct cgroup_slot *cgroups; /* what each cgroup contributed, see metrics.c */
	size_t ncgroups;
	size_t cgroups_cap;
	uint64_t events_lost;
	uint64_t stats_dropped;	       /* kernel-side counters that did not fit */
	size_t containers_over_limit;  /* not rendered this interval: --max-containers */
	uint64_t started_ns;	       /* agent start, CLOCK_MONOTONIC */
	uint64_t gone_keep_ns;	       /* CONTAINER_GONE_KEEP_NS, or REAPWATCH_GONE_KEEP_SECONDS */
	struct zombie_census census;   /* the zombies of the last collect */
	/*
	 * What was dropped after CONTAINER_GONE_KEEP_NS, remembered (the last DROPPED_KEEP
	 * of each) so that a late count — a zombie of a removed cgroup reaped later — does
	 * not bring a series back from zero: a counter must not go backwards.
	 */
	char (*dropped_containers)[CONTAINER_ID_MAX + 1];
	uint64_t *dropped_cgroups;
	size_t ndropped_containers, ndropped_cgroups; /* ever; the rings hold the last */
};

#define DROPPED_KEEP 4096

void metrics_init(struct metrics *m, uint64_t now_ns);
void metrics_free(struct metrics *m);

/* The container an event's subject belongs to; created if new. NULL if out of memory. */
struct container_metrics *metrics_container(struct metrics *m, const struct cgroup_info *cg);
/* Count what only the ring buffer tells: reparents, teardowns, and reaps the agent's
 * sweep found (the kernel side counts every other reap itself). */
void metrics_count_event(struct metrics *m, const struct event *ev);

/*
 * One interval: fold the kernel's per-cgroup counters in (deleting those of cgroups
 * that are gone), count zombies from /proc, read pids cgroups, drop containers gone
 * for longer than CONTAINER_GONE_KEEP_NS.
 */
int metrics_collect(struct metrics *m, const struct agent_maps *maps,
		    struct cgroup_cache *cgroups, uint64_t now_ns);

/*
 * Which containers to render, in output order (the host first, then by id), as
 * indexes into m->containers written to order[] (room for m->ncontainers). Over
 * --max-containers the host, containers with zombies and the busiest are kept;
 * m->containers_over_limit says how many were left out. Returns how many to render.
 */
size_t metrics_select(struct metrics *m, size_t max_containers, size_t *order);

#endif /* REAPWATCH_METRICS_H */
