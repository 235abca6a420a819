/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Owns maps `stats_owners`, `stats_slots`, `cgroup_stats` and `signal_stats` and the knobs
 * `aggregate` and `stats_mask`: stats_*().
 *
 * In-kernel aggregation for `export`: forks, exits, signals and reap latencies are
 * counted here per cgroup, so the exporter reads a few map entries per interval
 * instead of a ring-buffer record per event.
 *
 * A cgroup's counters are first looked for in a slot chosen by its id (kernfs numbers ids
 * in order, so the low bits spread): `stats_owners` says which cgroup holds each slot,
 * `stats_slots` has the counters, per CPU. Both are arrays: a lookup is an index, where the
 * hash map `cgroup_stats`, which takes the cgroups whose slot another holds, costs a
 * hash and two or three cache misses on every fork, exit and reap (measured here: 0.3 us
 * each). Userspace sums the two for a cgroup (src/kstats.c) and, once the cgroup is gone
 * and read a last time, zeroes its slot and gives it up.
 */
#ifndef REAPWATCH_STATS_BPF_H
#define REAPWATCH_STATS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "core_fixes.bpf.h"
#include "events.bpf.h"
#include "reapwatch.h"
#include "task.bpf.h"

/* Set by userspace: keep the per-cgroup counters (export, top). */
const volatile bool aggregate = false;
/* The slots' count less one; lowered by userspace only for tests (REAPWATCH_TEST_MAP_ENTRIES). */
const volatile __u32 stats_mask = RW_STATS_SLOTS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RW_STATS_SLOTS);
	__type(key, __u32);
	__type(value, __u64); /* cgroup v2 id; 0: free */
} stats_owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct rw_cgroup_slot);
} stats_slots SEC(".maps");

/*
 * The cgroups without a slot, and every signal but a child's exit notification: maps shared
 * by all CPUs, added to atomically (stat_add()). Not per-CPU: a per-CPU value is one for
 * every possible CPU, and 8192 of them preallocated came to 226 MiB of kernel memory on a
 * 128-CPU node (charged to the agent's cgroup); nor per-CPU and allocated on demand, whose
 * allocator (6.1-6.7) keeps dozens of spare values per CPU, each again one per CPU. These
 * take 2.2 and 1.3 MiB whatever the CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64); /* cgroup v2 id */
	__type(value, struct rw_cgroup_stats);
} cgroup_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rw_signal_key);
	__type(value, __u64);
} signal_stats SEC(".maps");

/* The cgroup's slot, taken if free; NULL if another cgroup holds it. */
static __always_inline struct rw_cgroup_slot *stats_slot(__u64 cgroup_id)
{
	__u32 idx = rw_stats_slot(cgroup_id, stats_mask);
	__u64 *owner;

	if (!cgroup_id) /* unknown: 0 marks a free slot */
		return NULL;
	owner = bpf_map_lookup_elem(&stats_owners, &idx);
	if (owner && (*owner == cgroup_id || rw_slot_swap(owner, 0, cgroup_id)))
		return bpf_map_lookup_elem(&stats_slots, &idx);
	return NULL;
}

/* Add to a counter: this CPU's own in a slot, a shared one (`shared`) atomically. (The add's
 * result is not used: BPF_XADD, which 5.10 has, not the fetching atomics of 5.12. And `n` is
 * opaque to the compiler: LLVM turns an atomic add of a known 0 into an atomic or, which
 * 5.10 refuses, "BPF_STX uses reserved fields".) */
static __always_inline void stat_add(__u64 *counter, __u64 n, bool shared)
{
	if (shared) {
		barrier_var(n);
		__sync_fetch_and_add(counter, n);
	} else {
		*counter += n;
	}
}

/* The cgroup's counters: its slot's, or (`*shared`) its entry in cgroup_stats. */
static __always_inline struct rw_cgroup_stats *stats_of(__u64 cgroup_id, bool *shared)
{
	static const struct rw_cgroup_stats zero;
	struct rw_cgroup_stats *st;
	struct rw_cgroup_slot *slot = stats_slot(cgroup_id);

	*shared = !slot;
	if (slot)
		return &slot->stats;
	st = bpf_map_lookup_elem(&cgroup_stats, &cgroup_id);
	if (st)
		return st;
	if (bpf_map_update_elem(&cgroup_stats, &cgroup_id, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&cgroup_stats, &cgroup_id)) {
		count(RW_CTR_STATS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&cgroup_stats, &cgroup_id);
}

static __always_inline void stats_fork(__u64 cgroup_id)
{
	struct rw_cgroup_stats *st;
	bool shared;

	if (aggregate && (st = stats_of(cgroup_id, &shared)))
		stat_add(&st->forks, 1, shared);
}

static __always_inline void stats_exit(__u64 cgroup_id)
{
	struct rw_cgroup_stats *st;
	bool shared;

	if (aggregate && (st = stats_of(cgroup_id, &shared)))
		stat_add(&st->exits, 1, shared);
}

static __always_inline void stats_reap(__u64 cgroup_id, __u64 latency_ns)
{
	struct rw_cgroup_stats *st;
	bool shared;
	__u32 b;

	if (!aggregate || !(st = stats_of(cgroup_id, &shared)))
		return;
	b = rw_latency_bucket(latency_ns);
	stat_add(&st->reaps, 1, shared);
	stat_add(&st->reap_latency_sum_ns, latency_ns, shared);
	if (b <= RW_LATENCY_BUCKETS)
		stat_add(&st->reap_latency_buckets[b], 1, shared);
}

/* A reap whose time is only bounded: kept out of the latency histogram. */
static __always_inline void stats_reap_unmeasured(__u64 cgroup_id)
{
	struct rw_cgroup_stats *st;
	bool shared;

	if (aggregate && (st = stats_of(cgroup_id, &shared)))
		stat_add(&st->reaps_unmeasured, 1, shared);
}

static __always_inline void stats_signal(__u64 cgroup_id, int sig, __u8 origin)
{
	struct rw_signal_key key = { .cgroup_id = cgroup_id, .sig = (__u8)sig, .origin = origin };
	static const __u64 zero;
	__u64 *n;

	if (!aggregate)
		return;
	/* A child's exit notification, once per exit: in the cgroup's slot, if it has one. */
	if (sig == RW_SIGCHLD && origin == RW_ORIGIN_KERNEL) {
		struct rw_cgroup_slot *slot = stats_slot(cgroup_id);

		if (slot) {
			slot->sigchld_kernel++;
			return;
		}
	}
	n = bpf_map_lookup_elem(&signal_stats, &key);
	if (!n) {
		bpf_map_update_elem(&signal_stats, &key, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&signal_stats, &key);
		if (!n) {
			count(RW_CTR_STATS_FULL);
			return;
		}
	}
	stat_add(n, 1, true);
}

#endif /* REAPWATCH_STATS_BPF_H */
