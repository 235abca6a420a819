/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O around the exporter's model, shared by export and top: each interval, what the
 * kernel side counted (through the agent), the zombies in /proc and the pids cgroups are
 * read and handed to the model (metrics.h), which reads nothing itself; and the model's
 * questions about cgroups are answered from the cgroup cache.
 */
#ifndef REAPWATCH_COLLECT_H
#define REAPWATCH_COLLECT_H

#include <stdint.h>
#include "agent.h"
#include "cgroups.h"
#include "decode.h"
#include "metrics.h"
#include "zombies.h"

/* A model whose cgroups are those of cache. NULL if out of memory. */
struct metrics *collect_metrics_new(struct cgroup_cache *cache, uint64_t now_ns);

/*
 * What export and top set up before their agent: the stop signals, the decoder (whose
 * cgroup cache the model shares) and the model, its clock started now (before the cgroup
 * scan: zombies of unknown age are older). 0; -ENOMEM after one line, nothing left set up.
 */
int collect_begin(struct decoder *dec, struct metrics **metrics);

/*
 * One interval: judge the cgroups, read the kernel side's counters, take the census of
 * zombies, hand them to the model, delete the kernel entries of the cgroups it forgot,
 * read the pids cgroups of its live containers, and the events lost. The census is left
 * in *census for the caller (NULL if /proc could not be read), the last one freed.
 * 0 or -errno.
 */
int collect_interval(struct metrics *m, struct agent *agent, struct zombie_census **census,
		     uint64_t now_ns);

#endif /* REAPWATCH_COLLECT_H */
