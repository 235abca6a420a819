/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side's aggregation maps (cgroup_stats, signal_stats: include/reapwatch.h)
 * read into plain structs, each entry summed over CPUs, and the entries of cgroups that
 * are gone deleted. Only the agent calls these, with map fds that never leave it
 * (agent__read_stats, agent__forget_stats); the model (metrics.h) reads the structs.
 */
#ifndef REAPWATCH_KSTATS_H
#define REAPWATCH_KSTATS_H

#include <stddef.h>
#include <stdint.h>
#include "reapwatch.h"

/* One cgroup_stats entry: a cgroup's counters since its entry was made. */
struct kstats_cgroup {
	uint64_t cgroup_id;
	struct rw_cgroup_stats stats;
};

/* One signal_stats entry: signals of one number and origin sent to a cgroup's processes. */
struct kstats_signal {
	uint64_t cgroup_id;
	uint8_t sig;
	uint8_t origin; /* enum rw_signal_origin */
	uint64_t count;
};

/* The maps, as the agent holds them. */
struct kstats_maps {
	int cgroup_stats; /* u64 cgroup id -> per-CPU struct rw_cgroup_stats */
	int signal_stats; /* struct rw_signal_key -> per-CPU u64 */
	int stats_owners; /* slot -> u64 cgroup id holding it, 0 if none */
	int stats_slots;  /* slot -> per-CPU struct rw_cgroup_slot */
	uint32_t slots;	  /* entries of the two slot maps (a power of two) */
	int ncpus;	  /* values per key in the per-CPU maps */
};

/* What the maps held at one read: one entry per cgroup (its slot's and its cgroup_stats
 * entry's counters summed), sorted by id; signals likewise, one per (cgroup, signal,
 * origin). */
struct kstats {
	struct kstats_cgroup *cgroups;
	size_t ncgroups;
	struct kstats_signal *signals;
	size_t nsignals;
	size_t cgroups_cap, signals_cap;
	void *zeros; /* a slot's value on every CPU, zero: what a released slot is reset to */
};

struct kstats *kstats__new(void);
void kstats__free(struct kstats *ks);
/* Read the maps anew into ks. 0 or -errno (then ks holds what was read so far). */
int kstats__read(struct kstats *ks, const struct kstats_maps *maps);
/*
 * Delete the cgroup_stats entry of each of these cgroups, zero and give up the slot each
 * holds, and delete every signal_stats entry of theirs that the last read found: they are
 * gone, and what their entries said is counted.
 */
void kstats__delete(const struct kstats *ks, const struct kstats_maps *maps,
		    const uint64_t *cgroup_ids, size_t n);

#endif /* REAPWATCH_KSTATS_H */
