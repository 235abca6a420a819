// SPDX-License-Identifier: GPL-2.0
/*
 * Reading and deleting the kernel side's aggregation maps: bpf_map_get_next_key over each
 * map, one per-CPU lookup per key, the CPUs' values summed. See kstats.h.
 */
#include <errno.h>
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

static int read_signal_stats(struct kstats *ks, int fd, int ncpus)
{
	__u64 *vals = calloc((size_t)ncpus, sizeof(__u64));
	struct rw_signal_key key, next, *prev = NULL;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct kstats_signal *s;
		__u64 sum;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		err = grow((void **)&ks->signals, ks->nsignals, &ks->signals_cap, sizeof(*s));
		if (err)
			break;
		sum_percpu(vals, ncpus, 1, &sum);
		s = &ks->signals[ks->nsignals++];
		s->cgroup_id = key.cgroup_id;
		s->sig = key.sig;
		s->origin = key.origin;
		s->count = sum;
	}
	free(vals);
	return err;
}

int kstats__read(struct kstats *ks, int cgroup_stats_fd, int signal_stats_fd, int ncpus)
{
	int err;

	ks->ncgroups = 0;
	ks->nsignals = 0;
	err = read_cgroup_stats(ks, cgroup_stats_fd, ncpus);
	return err ? err : read_signal_stats(ks, signal_stats_fd, ncpus);
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

void kstats__delete(const struct kstats *ks, int cgroup_stats_fd, int signal_stats_fd,
		    const uint64_t *cgroup_ids, size_t n)
{
	uint64_t *sorted;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		__u64 key = cgroup_ids[i];

		bpf_map_delete_elem(cgroup_stats_fd, &key);
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
