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

/* What the maps held at one read, in the maps' order. */
struct kstats {
	struct kstats_cgroup *cgroups;
	size_t ncgroups;
	struct kstats_signal *signals;
	size_t nsignals;
	size_t cgroups_cap, signals_cap;
};

struct kstats *kstats__new(void);
void kstats__free(struct kstats *ks);
/* Read both maps anew into ks. 0 or -errno (then ks holds what was read so far). */
int kstats__read(struct kstats *ks, int cgroup_stats_fd, int signal_stats_fd, int ncpus);
/*
 * Delete the cgroup_stats entry of each of these cgroups, and every signal_stats entry of
 * theirs that the last read found: they are gone, and what their entries said is counted.
 */
void kstats__delete(const struct kstats *ks, int cgroup_stats_fd, int signal_stats_fd,
		    const uint64_t *cgroup_ids, size_t n);

#endif /* REAPWATCH_KSTATS_H */
