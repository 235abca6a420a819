// SPDX-License-Identifier: GPL-2.0
/*
 * Reading and deleting the kernel side's aggregation maps: the slot maps by index,
 * bpf_map_get_next_key over the hash maps, one per-CPU lookup per key, the CPUs' values
 * summed. See kstats.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "kstats.h"

struct kstats *kstats__new(void)
{
	return calloc(1, sizeof(struct kstats));
}

void kstats__free(struct kstats *ks)
{
	if (!ks)
		return;
	free(ks->cgroups);
	free(ks->signals);
	free(ks->zeros);
	free(ks);
}

/* Room for one more of n items of size sz in *v (capacity *cap). */
static int grow(void **v, size_t n, size_t *cap, size_t sz)
{
	size_t c = *cap ? *cap * 2 : 64;
	void *grown;

	if (n < *cap)
		return 0;
	grown = realloc(*v, c * sz);
	if (!grown)
		return -ENOMEM;
	*v = grown;
	*cap = c;
	return 0;
}

/* Sum a per-CPU map value: ncpus copies of n __u64 counters, side by side. (__u64 is
 * unsigned long long, uint64_t unsigned long: not to be mixed through pointers.) */
static void sum_percpu(const __u64 *vals, int ncpus, size_t n, __u64 *out)
{
	memset(out, 0, n * sizeof(*out));
	for (int cpu = 0; cpu < ncpus; cpu++)
		for (size_t i = 0; i < n; i++)
			out[i] += vals[(size_t)cpu * n + i];
}

/* One more signal entry. */
static int add_signal(struct kstats *ks, uint64_t cgroup_id, uint8_t sig, uint8_t origin,
		      uint64_t count)
{
	struct kstats_signal *s;
	int err = grow((void **)&ks->signals, ks->nsignals, &ks->signals_cap, sizeof(*s));

	if (err)
		return err;
	s = &ks->signals[ks->nsignals++];
	s->cgroup_id = cgroup_id;
	s->sig = sig;
	s->origin = origin;
	s->count = count;
	return 0;
}

/* The cgroups that hold a slot (bpf/stats.bpf.h), each slot's counters summed over CPUs,
 * and the kernel's SIGCHLDs it counted as a signal entry. */
static int read_stats_slots(struct kstats *ks, const struct kstats_maps *maps)
{
	size_t n = sizeof(struct rw_cgroup_slot) / sizeof(__u64);
	__u64 *vals = calloc((size_t)maps->ncpus * n, sizeof(__u64));
	struct rw_cgroup_slot sum;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	for (__u32 idx = 0; idx < maps->slots; idx++) {
		struct kstats_cgroup *c;
		__u64 owner = 0;

		if (bpf_map_lookup_elem(maps->stats_owners, &idx, &owner) || !owner ||
		    bpf_map_lookup_elem(maps->stats_slots, &idx, vals))
			continue;
		err = grow((void **)&ks->cgroups, ks->ncgroups, &ks->cgroups_cap, sizeof(*c));
		if (err)
			break;
		sum_percpu(vals, maps->ncpus, n, (__u64 *)&sum);
		c = &ks->cgroups[ks->ncgroups++];
		c->cgroup_id = owner;
		c->stats = sum.stats;
		if (sum.sigchld_kernel) {
			err = add_signal(ks, owner, SIGCHLD, RW_ORIGIN_KERNEL,
					 sum.sigchld_kernel);
			if (err)
				break;
		}
	}
	free(vals);
	return err;
}

static int cmp_cgroup(const void *a, const void *b)
{
	uint64_t x = ((const struct kstats_cgroup *)a)->cgroup_id;
	uint64_t y = ((const struct kstats_cgroup *)b)->cgroup_id;

	return x < y ? -1 : x > y;
}

/* One entry per cgroup: a cgroup with a slot may have a cgroup_stats entry too (made while
 * another held its slot). */
static void merge_cgroups(struct kstats *ks)
{
	size_t n = sizeof(struct rw_cgroup_stats) / sizeof(__u64), out = 0;

	if (ks->ncgroups < 2)
		return;
	qsort(ks->cgroups, ks->ncgroups, sizeof(*ks->cgroups), cmp_cgroup);
	for (size_t i = 0; i < ks->ncgroups; i++) {
		if (out && ks->cgroups[out - 1].cgroup_id == ks->cgroups[i].cgroup_id) {
			__u64 *to = (__u64 *)&ks->cgroups[out - 1].stats;
			const __u64 *from = (const __u64 *)&ks->cgroups[i].stats;

			for (size_t k = 0; k < n; k++)
				to[k] += from[k];
			continue;
		}
		ks->cgroups[out++] = ks->cgroups[i];
	}
	ks->ncgroups = out;
}

static int read_cgroup_stats(struct kstats *ks, int fd, int ncpus)
{
	size_t n = sizeof(struct rw_cgroup_stats) / sizeof(__u64);
	__u64 *vals = calloc((size_t)ncpus * n, sizeof(__u64));
	__u64 key, next, *prev = NULL;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct kstats_cgroup *c;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue; /* deleted since: nothing to count */
		err = grow((void **)&ks->cgroups, ks->ncgroups, &ks->cgroups_cap, sizeof(*c));
		if (err)
			break;
		c = &ks->cgroups[ks->ncgroups++];
		c->cgroup_id = key;
		sum_percpu(vals, ncpus, n, (__u64 *)&c->stats);
	}
	free(vals);
	return err;
}

static int cmp_signal(const void *a, const void *b)
{
	const struct kstats_signal *x = a, *y = b;

	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	if (x->sig != y->sig)
		return x->sig < y->sig ? -1 : 1;
	return (x->origin > y->origin) - (x->origin < y->origin);
}

/* One entry per (cgroup, signal, origin): a cgroup's slot counts its kernel SIGCHLDs, and
 * signal_stats may hold some too (made while another cgroup held the slot). */
static void merge_signals(struct kstats *ks)
{
	size_t out = 0;

	if (ks->nsignals < 2)
		return;
	qsort(ks->signals, ks->nsignals, sizeof(*ks->signals), cmp_signal);
	for (size_t i = 0; i < ks->nsignals; i++) {
		if (out && !cmp_signal(&ks->signals[out - 1], &ks->signals[i])) {
			ks->signals[out - 1].count += ks->signals[i].count;
			continue;
		}
		ks->signals[out++] = ks->signals[i];
	}
	ks->nsignals = out;
}

static int read_signal_stats(struct kstats *ks, int fd, int ncpus)
{
	__u64 *vals = calloc((size_t)ncpus, sizeof(__u64));
	struct rw_signal_key key, next, *prev = NULL;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		__u64 sum;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		sum_percpu(vals, ncpus, 1, &sum);
		err = add_signal(ks, key.cgroup_id, key.sig, key.origin, sum);
		if (err)
			break;
	}
	free(vals);
	return err;
}

int kstats__read(struct kstats *ks, const struct kstats_maps *maps)
{
	int err;

	ks->ncgroups = 0;
	ks->nsignals = 0;
	/* (here, not at the delete: a delete that cannot release a slot would count it twice) */
	if (!ks->zeros && !(ks->zeros = calloc((size_t)maps->ncpus, sizeof(struct rw_cgroup_slot))))
		return -ENOMEM;
	err = read_stats_slots(ks, maps);
	/* (the two maps are shared by the CPUs: one value an entry, read as one CPU's) */
	if (!err)
		err = read_cgroup_stats(ks, maps->cgroup_stats, 1);
	merge_cgroups(ks);
	if (!err)
		err = read_signal_stats(ks, maps->signal_stats, 1);
	merge_signals(ks);
	return err;
}

/* Zero the slot a gone cgroup holds, then give it up: the next cgroup to take it starts
 * from nothing. Given up whatever the zeroing did (an update of an array's element in range
 * does not fail): kept, it would be read again after the model forgot the cgroup, and
 * counted twice. (A count a program is adding at this very moment may land after the
 * zeroing: the cgroup is gone, so only a late reap of one of its processes could.) */
static void release_slot(const struct kstats_maps *maps, __u64 cgroup_id, const void *zeros)
{
	__u32 idx = rw_stats_slot(cgroup_id, maps->slots - 1);
	__u64 owner = 0, none = 0;

	if (!maps->slots || bpf_map_lookup_elem(maps->stats_owners, &idx, &owner) ||
	    owner != cgroup_id)
		return;
	bpf_map_update_elem(maps->stats_slots, &idx, zeros, BPF_ANY);
	bpf_map_update_elem(maps->stats_owners, &idx, &none, BPF_ANY);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool lfind_u64(uint64_t x, const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

void kstats__delete(const struct kstats *ks, const struct kstats_maps *maps,
		    const uint64_t *cgroup_ids, size_t n)
{
	int cgroup_stats_fd = maps->cgroup_stats, signal_stats_fd = maps->signal_stats;
	uint64_t *sorted;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		__u64 key = cgroup_ids[i];

		bpf_map_delete_elem(cgroup_stats_fd, &key);
		if (ks->zeros)
			release_slot(maps, key, ks->zeros);
	}
	/* Out of memory, the ids are searched as they are: slower, but a signal entry left
	 * behind would be read again as new and counted twice. */
	sorted = malloc(n * sizeof(*sorted));
	if (sorted) {
		memcpy(sorted, cgroup_ids, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_u64);
	}
	for (size_t i = 0; i < ks->nsignals; i++) {
		const struct kstats_signal *s = &ks->signals[i];
		struct rw_signal_key key;

		if (sorted ? !bsearch(&s->cgroup_id, sorted, n, sizeof(*sorted), cmp_u64) :
			     !lfind_u64(s->cgroup_id, cgroup_ids, n))
			continue;
		memset(&key, 0, sizeof(key));
		key.cgroup_id = s->cgroup_id;
		key.sig = s->sig;
		key.origin = s->origin;
		bpf_map_delete_elem(signal_stats_fd, &key);
	}
	free(sorted);
}
