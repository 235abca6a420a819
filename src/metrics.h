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
/*
 * A container that is gone (no live cgroup, no zombie) keeps its own series this long,
 * then they are folded into the GONE_CONTAINER_ID series (SPEC: at most 5 minutes).
 */
#define CONTAINER_GONE_KEEP_NS (60ull * 1000000000ull)
/* The container_id of the series that hold what folded containers counted: not a
 * runtime's id (64 hex) nor a name a runtime accepts (cgroups.c: runtime_id_chars). */
#define GONE_CONTAINER_ID "(gone)"

/* The same counters, in the same order, as the kernel's struct rw_cgroup_stats. */
struct counters {
	uint64_t forks;
	uint64_t exits;
	uint64_t reaps;
	uint64_t reap_latency_sum_ns;
	uint64_t reap_latency_buckets[RW_LATENCY_BUCKETS + 1];
	uint64_t reaps_unmeasured; /* reaped, the time only bounded or unknown */
};

typedef uint64_t signal_counts[SIGNAL_SLOTS][ORIGIN_SLOTS];

struct container_metrics {
	char id[CONTAINER_ID_MAX + 1]; /* "" for the host */
	struct kube_names names;       /* "" when unknown */
	char cgroup_path[512];	       /* one live cgroup of it, for pids.* */
	uint64_t cgroup_id;	       /* a cgroup of it, to tell whether it is alive */
	struct counters counters;      /* summed over its cgroups */
	signal_counts *signals;	       /* --container-detail only; NULL until a first one */
	uint64_t reparents[REAPER_KINDS];
	uint64_t reparents_written[REAPER_KINDS]; /* as last written out: see metrics_written() */
	uint64_t teardowns;
	uint64_t teardown_sigkilled[2]; /* [0]: without SIGTERM first, [1]: with */
	uint32_t zombies;
	double zombie_oldest_s;
	int64_t pids_current;		/* -1: unknown */
	int64_t pids_max;		/* -1: unknown or "max" */
	size_t nslots;			/* cgroups of it whose kernel counters are read */
	bool gone;			/* no live cgroup left */
	uint64_t gone_since_ns;
	uint64_t activity;		/* for choosing what to keep over --max-containers */
};

#define KERNEL_DROP_REASONS_MAX 16
struct index {
	size_t *v; /* SIZE_MAX: empty */
	size_t cap; /* a power of 2, or 0 */
	size_t n;
};

struct metrics {
	struct container_metrics *containers; /* in no order; the host is one of them */
	size_t ncontainers;
	size_t cap;
	struct index container_index; /* by id */
	struct container_metrics gone; /* GONE_CONTAINER_ID: what folded containers counted */
	bool gone_used;		       /* something was folded: render its series */
	struct counters node;	       /* every process of the node */
	signal_counts node_signals;
	bool container_detail;	       /* histogram and signals per container */
	size_t max_containers;	       /* over it, gone containers are folded at once */
	struct cgroup_slot *cgroups;   /* cgroups whose kernel counters are read, see metrics.c */
	size_t ncgroups;
	size_t cgroups_cap;
	struct index cgroup_index;     /* by cgroup id */
	struct cgroup_cache *cache;    /* the last collect's, to tell whether a cgroup lives */
	uint64_t events_lost;
	uint64_t stats_dropped;	       /* kernel-side counters that did not fit */
	struct kernel_drop {
		const char *reason;    /* static */
		uint64_t count;
	} kernel_drops[KERNEL_DROP_REASONS_MAX]; /* reapwatch_kernel_drops_total */
	size_t nkernel_drops;
	size_t containers_over_limit;  /* not rendered this interval: --max-containers */
	uint64_t containers_folded;    /* into the GONE_CONTAINER_ID series, ever */
	uint64_t started_ns;	       /* agent start, CLOCK_MONOTONIC */
	uint64_t gone_keep_ns;	       /* CONTAINER_GONE_KEEP_NS, or REAPWATCH_GONE_KEEP_SECONDS */
	struct zombie_census census;   /* the zombies of the last collect */
	/*
	 * The ids of the last FOLDED_KEEP folded containers, so that a late count — a zombie
	 * of a removed cgroup reaped later — goes to the GONE_CONTAINER_ID series and does
	 * not bring a container's series back from zero: a counter must not go backwards.
	 */
	char (*folded)[CONTAINER_ID_MAX + 1];
	size_t nfolded; /* ever; the ring holds the last FOLDED_KEEP */
	struct index folded_index;
};

#define FOLDED_KEEP 4096

void metrics_init(struct metrics *m, uint64_t now_ns);
void metrics_free(struct metrics *m);

/* The container an event's subject belongs to; created if new; &m->gone for one already
 * folded. NULL if out of memory. The pointer is good until the next call. */
struct container_metrics *metrics_container(struct metrics *m, const struct cgroup_info *cg);
/* Count what only the ring buffer tells: reparents, teardowns, and reaps the agent's
 * sweep found (the kernel side counts every other reap itself). */
void metrics_count_event(struct metrics *m, const struct event *ev);
/* The counts as they are now have been written out (export's file): a counter of them may
 * not go down from here on. */
void metrics_written(struct metrics *m);

/*
 * One interval: add what the kernel's per-cgroup counters gained to their containers
 * (the host's for every cgroup outside a container), forget cgroups that are gone
 * (their kernel entries deleted), count zombies from /proc, read pids cgroups, fold
 * containers gone for longer than gone_keep_ns into m->gone.
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
