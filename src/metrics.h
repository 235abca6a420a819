/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's model: per-container counters and gauges, built each interval from
 * plain data: what the kernel side's per-cgroup counters said (kstats.h), the rarer
 * events it sends (reparent, teardown, the sweep's late reaps) and a census of the
 * zombies. It owns the series: which cgroups feed which container, what each gained,
 * gone containers folded into one series, the choice of what to render. It reads
 * nothing itself: collect.c does the I/O, and cgroups are asked about through
 * struct metrics_cgroups. Renderers (Prometheus text, top) read it.
 */
#ifndef REAPWATCH_METRICS_H
#define REAPWATCH_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "kstats.h"
#include "kube.h"
#include "zombies.h"

#define SIGNAL_SLOTS 65 /* signals 1..64, index by number */
#define ORIGIN_SLOTS 4	/* enum rw_signal_origin */
#define REAPER_KINDS 4	/* enum rw_reaper_kind */
/*
 * A container that is gone (no live cgroup, no zombie) keeps its own series this long,
 * then they are folded into the GONE_CONTAINER_ID series: 5 minutes (docs/reapwatch.md),
 * so that a query over a container's own series sees a deleted one for as long as
 * Prometheus' lookback would.
 */
#define CONTAINER_GONE_KEEP_NS (300ull * 1000000000ull)
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
	uint64_t reparents_written[REAPER_KINDS]; /* as last written out: see metrics__written() */
	uint64_t teardowns;
	uint64_t teardown_sigkilled[2]; /* [0]: without SIGTERM first, [1]: with */
	uint32_t zombies;
	double zombie_oldest_s;
	bool zombie_oldest_bound;	/* one died before any agent ran: the oldest is at least that */
	int64_t pids_current;		/* -1: unknown */
	int64_t pids_max;		/* -1: unknown or "max" */
	size_t nslots;			/* cgroups of it whose kernel counters are read */
	bool gone;			/* no live cgroup left */
	uint64_t gone_since_ns;
	uint64_t activity;		/* for choosing what to keep over --max-containers */
};

/*
 * What the model asks about a cgroup id. The commands answer from the cgroup cache
 * (cgroupfs, collect.c), the unit tests from a table.
 */
struct metrics_cgroups {
	void *ctx;
	/* Its path, container and names; never NULL (an unknown id: path ""). The pointer
	 * is used until the next call. */
	const struct cgroup_info *(*lookup)(void *ctx, uint64_t id);
	/* Does it still exist? (An id is never reused: a gone one stays gone.) */
	bool (*alive)(void *ctx, uint64_t id);
	/* A gone host cgroup whose counts are taken: its name is needed no more. May be NULL. */
	void (*forget)(void *ctx, uint64_t id);
	/* fn(arg, cg) once for each container cgroup learned since the last call, whether or
	 * not anything in it forks or exits (cgroups.h). May be NULL. */
	void (*take_new_containers)(void *ctx, void (*fn)(void *arg, const struct cgroup_info *cg),
				    void *arg);
};

#define KERNEL_DROP_REASONS_MAX 16

/* metrics.c's own: the indexes, the cgroup slots, the folded ids, the cgroup questions. */
struct metrics_private;

struct metrics {
	struct container_metrics *containers; /* in no order; the host is one of them */
	size_t ncontainers;
	struct container_metrics gone; /* GONE_CONTAINER_ID: what folded containers counted */
	bool gone_used;		       /* something was folded: render its series */
	struct counters node;	       /* every process of the node */
	signal_counts node_signals;
	bool container_detail;	       /* histogram and signals per container */
	size_t max_containers;	       /* over it, gone containers are folded at once */
	size_t ncgroups;	       /* cgroups whose kernel counters are read */
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
	struct metrics_private *priv;  /* the rest: metrics.c's alone */
};

/* NULL if out of memory. cgroups is copied. */
struct metrics *metrics__new(uint64_t now_ns, const struct metrics_cgroups *cgroups);
void metrics__free(struct metrics *m);

/* The container an event's subject belongs to; created if new; &m->gone for one already
 * folded. NULL if out of memory. The pointer is good until the next call. */
struct container_metrics *metrics__container(struct metrics *m, const struct cgroup_info *cg);
/* Count what only the ring buffer tells: reparents, teardowns, and reaps the agent's
 * sweep found (the kernel side counts every other reap itself). */
void metrics__count_event(struct metrics *m, const struct event *ev);
/* The counts as they are now have been written out (export's file): a counter of them may
 * not go down from here on. */
void metrics__written(struct metrics *m);

/*
 * Before the kernel's counters are read for an interval: which cgroups fed so far are
 * gone, listed in *gone (good until the next call). Judged before the read, so that what
 * their entries gained up to the rmdir is in that read; their kernel entries are to be
 * deleted right after it (an increment between the two is lost), and the next
 * metrics__collect() forgets them. A cgroup first seen in the read is judged at the next.
 */
size_t metrics__judge_cgroups(struct metrics *m, const uint64_t **gone);

/*
 * One interval: add what the kernel's per-cgroup counters (stats, read after
 * metrics__judge_cgroups) gained to their containers (the host's for every cgroup
 * outside a container), forget the cgroups judged gone, count the zombies of census
 * (NULL: none counted this time), fold containers gone for longer than gone_keep_ns
 * into m->gone. 0 or -ENOMEM.
 */
int metrics__collect(struct metrics *m, const struct kstats *stats,
		     const struct zombie_census *census, uint64_t now_ns);

/*
 * Which containers to render, in output order (the host first, then by id), as
 * indexes into m->containers written to order[] (room for m->ncontainers). Over
 * --max-containers the host, containers with zombies and the busiest are kept;
 * m->containers_over_limit says how many were left out. Returns how many to render.
 */
size_t metrics__select(struct metrics *m, size_t max_containers, size_t *order);

#endif /* REAPWATCH_METRICS_H */
