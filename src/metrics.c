// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "metrics.h"
#include "zombies.h"

/*
 * What one cgroup contributed. The kernel's counters are cumulative per cgroup:
 * `last` is what its map said this interval. Once the cgroup is gone its map
 * entries are deleted (the map stays bounded) and what they held moves to
 * `banked`; a late increment (a zombie of a removed cgroup being reaped) makes a
 * new entry that is banked the same way. banked + last never goes backwards.
 */
struct cgroup_slot {
	uint64_t id;
	char container_id[CONTAINER_ID_MAX + 1];
	struct counters last;
	struct counters banked;
	bool gone;
	uint64_t gone_since_ns;
};

void metrics_init(struct metrics *m, uint64_t now_ns)
{
	const char *keep = getenv("REAPWATCH_GONE_KEEP_SECONDS");
	char *end;
	double secs;

	memset(m, 0, sizeof(*m));
	m->started_ns = now_ns;
	m->gone_keep_ns = CONTAINER_GONE_KEEP_NS;
	/* For tests, which cannot wait five minutes; not a user-facing knob. */
	if (keep && *keep) {
		secs = strtod(keep, &end);
		if (!*end && secs >= 0 && secs < 1e6)
			m->gone_keep_ns = (uint64_t)(secs * 1e9);
	}
}

static bool was_dropped_container(const struct metrics *m, const char *id)
{
	size_t n = m->ndropped_containers < DROPPED_KEEP ? m->ndropped_containers : DROPPED_KEEP;

	for (size_t i = 0; id[0] && i < n; i++)
		if (!strcmp(m->dropped_containers[i], id))
			return true;
	return false;
}

static bool was_dropped_cgroup(const struct metrics *m, uint64_t id)
{
	size_t n = m->ndropped_cgroups < DROPPED_KEEP ? m->ndropped_cgroups : DROPPED_KEEP;

	for (size_t i = 0; i < n; i++)
		if (m->dropped_cgroups[i] == id)
			return true;
	return false;
}

static void remember_dropped(struct metrics *m, const char *container, const uint64_t *cgroups,
			     size_t ncgroups)
{
	if (!m->dropped_containers)
		m->dropped_containers = calloc(DROPPED_KEEP, sizeof(*m->dropped_containers));
	if (!m->dropped_cgroups)
		m->dropped_cgroups = calloc(DROPPED_KEEP, sizeof(*m->dropped_cgroups));
	if (!m->dropped_containers || !m->dropped_cgroups)
		return;
	snprintf(m->dropped_containers[m->ndropped_containers++ % DROPPED_KEEP],
		 CONTAINER_ID_MAX + 1, "%s", container);
	for (size_t i = 0; i < ncgroups; i++)
		m->dropped_cgroups[m->ndropped_cgroups++ % DROPPED_KEEP] = cgroups[i];
}

void metrics_free(struct metrics *m)
{
	free(m->dropped_containers);
	free(m->dropped_cgroups);
	zombie_census_free(&m->census);
	free(m->containers);
	free(m->cgroups);
	memset(m, 0, sizeof(*m));
}

static void counters_add(struct counters *dst, const struct counters *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	/* struct counters is nothing but uint64_t */
	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static int cmp_container_id(const void *key, const void *elem)
{
	return strcmp(key, ((const struct container_metrics *)elem)->id);
}

/* Containers are kept sorted by id: found by bsearch, inserted in place. */
static struct container_metrics *find_or_add_container(struct metrics *m, const char *id)
{
	struct container_metrics *c;
	size_t lo = 0, hi = m->ncontainers;

	c = bsearch(id, m->containers, m->ncontainers, sizeof(*c), cmp_container_id);
	if (c)
		return c;
	if (m->ncontainers == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct container_metrics *grown = realloc(m->containers, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		m->containers = grown;
		m->cap = cap;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(m->containers[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&m->containers[lo + 1], &m->containers[lo],
		(m->ncontainers - lo) * sizeof(*m->containers));
	c = &m->containers[lo];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->pids_current = c->pids_max = -1;
	m->ncontainers++;
	return c;
}

static void set_names(struct container_metrics *c, const struct cgroup_info *cg)
{
	if (cg->path && cg->path[0] && !c->cgroup_path[0])
		snprintf(c->cgroup_path, sizeof(c->cgroup_path), "%s", cg->path);
	if (cg->pod && !c->names.pod[0]) {
		snprintf(c->names.pod, sizeof(c->names.pod), "%s", cg->pod);
		snprintf(c->names.namespace, sizeof(c->names.namespace), "%s", cg->namespace);
		snprintf(c->names.container, sizeof(c->names.container), "%s", cg->container);
	}
}

struct container_metrics *metrics_container(struct metrics *m, const struct cgroup_info *cg)
{
	struct container_metrics *c;

	if (was_dropped_container(m, cg->container_id))
		return NULL;
	c = find_or_add_container(m, cg->container_id);

	if (c)
		set_names(c, cg);
	return c;
}

static struct cgroup_slot *find_slot(struct metrics *m, uint64_t id)
{
	for (size_t i = 0; i < m->ncgroups; i++)
		if (m->cgroups[i].id == id)
			return &m->cgroups[i];
	return NULL;
}

static struct cgroup_slot *add_slot(struct metrics *m, const struct cgroup_info *cg)
{
	struct cgroup_slot *s;

	if (m->ncgroups == m->cgroups_cap) {
		size_t cap = m->cgroups_cap ? m->cgroups_cap * 2 : 64;
		struct cgroup_slot *grown = realloc(m->cgroups, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		m->cgroups = grown;
		m->cgroups_cap = cap;
	}
	s = &m->cgroups[m->ncgroups++];
	memset(s, 0, sizeof(*s));
	s->id = cg->id;
	snprintf(s->container_id, sizeof(s->container_id), "%s", cg->container_id);
	return s;
}

static struct cgroup_slot *find_or_add_slot(struct metrics *m, uint64_t id,
					    struct cgroup_cache *cgroups)
{
	struct cgroup_slot *s = find_slot(m, id);

	return s ? s : add_slot(m, cgroup_cache__lookup(cgroups, id));
}

/*
 * A reap whose free the kernel side missed, found by the agent's sweep: the kernel never
 * counted it. With its evidence the latency is exact, and it goes where the kernel's
 * counts of that cgroup go once banked; without, only that it was reaped is counted
 * (reaps_unmeasured), as the kernel side does for a reap it saw only at the free.
 */
static void count_late_reap(struct metrics *m, const struct event *ev)
{
	bool exact = ev->reap.latency_known && event_reap_latency_exact(ev);
	struct cgroup_slot *s;

	if (ev->reap.how == RW_REAP_UNTRACKED || was_dropped_cgroup(m, ev->proc.cgroup->id))
		return;
	s = find_slot(m, ev->proc.cgroup->id);
	if (!s)
		s = add_slot(m, ev->proc.cgroup);
	if (!s)
		return;
	if (!exact) {
		s->banked.reaps_unmeasured++;
		return;
	}
	s->banked.reaps++;
	s->banked.reap_latency_sum_ns += ev->reap.latency_ns;
	s->banked.reap_latency_buckets[rw_latency_bucket(ev->reap.latency_ns)]++;
}

void metrics_count_event(struct metrics *m, const struct event *ev)
{
	struct container_metrics *c;

	/* export and top ask the kernel side for no reap records: these are the sweep's. */
	if (ev->type == RW_REC_REAP) {
		count_late_reap(m, ev);
		return;
	}
	if (ev->type != RW_REC_REPARENT && ev->type != RW_REC_TEARDOWN)
		return;
	c = metrics_container(m, ev->proc.cgroup);
	if (!c)
		return;
	if (ev->type == RW_REC_REPARENT) {
		/* A correction replaces the prediction: move its count to the right kind. */
		if ((unsigned)ev->reparent.kind < REAPER_KINDS && !ev->reparent.corrected)
			c->reparents[ev->reparent.kind]++;
		return;
	}
	c->teardowns++;
	c->teardown_sigkilled[0] += ev->teardown.sigkilled_without_sigterm;
	c->teardown_sigkilled[1] += ev->teardown.sigkilled - ev->teardown.sigkilled_without_sigterm;
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

static int read_cgroup_stats(struct metrics *m, const struct agent_maps *maps,
			     struct cgroup_cache *cgroups)
{
	size_t n = sizeof(struct rw_cgroup_stats) / sizeof(__u64);
	__u64 *vals = calloc((size_t)maps->ncpus * n, sizeof(__u64));
	uint64_t key, next, *prev = NULL;
	struct rw_cgroup_stats sum;

	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(maps->cgroup_stats, prev, &next)) {
		struct cgroup_slot *s;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(maps->cgroup_stats, &key, vals))
			continue;
		if (was_dropped_cgroup(m, key)) {
			/* A late count for a dropped cgroup. (The walk restarts from the first
			 * key after a deleted one: each such key is met once more at most.) */
			bpf_map_delete_elem(maps->cgroup_stats, &key);
			continue;
		}
		sum_percpu(vals, maps->ncpus, n, (__u64 *)&sum);
		s = find_or_add_slot(m, key, cgroups);
		if (!s)
			break;
		s->last.forks = sum.forks;
		s->last.exits = sum.exits;
		s->last.reaps = sum.reaps;
		s->last.reap_latency_sum_ns = sum.reap_latency_sum_ns;
		memcpy(s->last.reap_latency_buckets, sum.reap_latency_buckets,
		       sizeof(sum.reap_latency_buckets));
		s->last.reaps_unmeasured = sum.reaps_unmeasured;
	}
	free(vals);
	return 0;
}

static int read_signal_stats(struct metrics *m, const struct agent_maps *maps,
			     struct cgroup_cache *cgroups)
{
	__u64 *vals = calloc((size_t)maps->ncpus, sizeof(__u64));
	struct rw_signal_key key, next, *prev = NULL;

	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(maps->signal_stats, prev, &next)) {
		struct cgroup_slot *s;
		__u64 sum;

		key = next;
		prev = &key;
		if (key.sig >= SIGNAL_SLOTS || key.origin >= ORIGIN_SLOTS ||
		    was_dropped_cgroup(m, key.cgroup_id) ||
		    bpf_map_lookup_elem(maps->signal_stats, &key, vals))
			continue; /* a dropped cgroup's: bank_gone_cgroups() deletes it */
		sum_percpu(vals, maps->ncpus, 1, &sum);
		s = find_or_add_slot(m, key.cgroup_id, cgroups);
		if (!s)
			break;
		s->last.signals[key.sig][key.origin] = sum;
	}
	free(vals);
	return 0;
}

/* Gone cgroups: bank what their entries held, then delete the entries. */
static void bank_gone_cgroups(struct metrics *m, const struct agent_maps *maps)
{
	struct rw_signal_key key, next, *prev = NULL;

	for (size_t i = 0; i < m->ncgroups; i++) {
		struct cgroup_slot *s = &m->cgroups[i];

		if (!s->gone)
			continue;
		counters_add(&s->banked, &s->last);
		memset(&s->last, 0, sizeof(s->last));
		bpf_map_delete_elem(maps->cgroup_stats, &s->id);
	}
	while (!bpf_map_get_next_key(maps->signal_stats, prev, &next)) {
		bool gone = false;

		for (size_t i = 0; i < m->ncgroups && !gone; i++)
			gone = m->cgroups[i].gone && m->cgroups[i].id == next.cgroup_id;
		gone = gone || was_dropped_cgroup(m, next.cgroup_id);
		if (gone && !bpf_map_delete_elem(maps->signal_stats, &next))
			continue; /* deleted: the next key after prev is now another one */
		key = next;
		prev = &key;
	}
}

/* pids.current and pids.max of a container: cgroup v2, else the v1 pids hierarchy. */
static int64_t read_pids_file(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1; /* "max": no limit */
	return strtoll(buf, NULL, 10);
}

static void read_pids(struct container_metrics *c)
{
	static char v2[PATH_MAX];
	const char *roots[2];
	char path[PATH_MAX * 2];

	c->pids_current = c->pids_max = -1;
	if (!c->id[0] || !c->cgroup_path[0] || c->gone)
		return;
	if (!v2[0] && cgroup2_mountpoint(v2, sizeof(v2)))
		snprintf(v2, sizeof(v2), "/sys/fs/cgroup");
	roots[0] = v2;
	roots[1] = "/sys/fs/cgroup/pids";
	for (int i = 0; i < 2 && c->pids_current < 0; i++) {
		snprintf(path, sizeof(path), "%s%s/pids.current", roots[i], c->cgroup_path);
		c->pids_current = read_pids_file(path);
		if (c->pids_current < 0)
			continue;
		snprintf(path, sizeof(path), "%s%s/pids.max", roots[i], c->cgroup_path);
		c->pids_max = read_pids_file(path);
	}
}

static void count_zombies(struct metrics *m, uint64_t now_ns)
{
	struct zombie_census *census = &m->census;
	double uptime = (double)(now_ns - m->started_ns) / 1e9;

	for (size_t i = 0; i < m->ncontainers; i++) {
		m->containers[i].zombies = 0;
		m->containers[i].zombie_oldest_s = 0;
	}
	zombie_census_free(census);
	if (zombie_census_take("/proc", census))
		return;
	zombie_census_add_ages(census);
	for (size_t i = 0; i < census->count; i++) {
		const struct zombie *z = &census->zombies[i];
		struct container_metrics *c;
		/* Died before any agent ran: it is at least as old as we are. */
		double age = z->age_known ? (double)zombie_age_ns(z, now_ns) / 1e9 : uptime;

		if (was_dropped_container(m, z->container_id))
			continue;
		c = find_or_add_container(m, z->container_id);
		if (!c)
			break;
		c->zombies++;
		if (age > c->zombie_oldest_s)
			c->zombie_oldest_s = age;
	}
}

/* Forget containers gone for longer than the SPEC keeps their series. */
static void drop_old_containers(struct metrics *m, uint64_t now_ns)
{
	size_t keep = 0;

	for (size_t i = 0; i < m->ncontainers; i++) {
		struct container_metrics *c = &m->containers[i];

		if (c->id[0] && c->gone && now_ns - c->gone_since_ns > m->gone_keep_ns) {
			size_t k = 0, ndropped = 0;
			uint64_t dropped[64];

			for (size_t j = 0; j < m->ncgroups; j++) {
				if (strcmp(m->cgroups[j].container_id, c->id))
					m->cgroups[k++] = m->cgroups[j];
				else if (ndropped < 64)
					dropped[ndropped++] = m->cgroups[j].id;
			}
			m->ncgroups = k;
			remember_dropped(m, c->id, dropped, ndropped);
			continue;
		}
		m->containers[keep++] = *c;
	}
	m->ncontainers = keep;
}

int metrics_collect(struct metrics *m, const struct agent_maps *maps, struct cgroup_cache *cgroups,
		    uint64_t now_ns)
{
	int err;

	if (!find_or_add_container(m, "")) /* the host always has its series */
		return -ENOMEM;
	for (size_t i = 0; i < m->ncgroups; i++)
		memset(&m->cgroups[i].last, 0, sizeof(m->cgroups[i].last));
	err = read_cgroup_stats(m, maps, cgroups);
	if (!err)
		err = read_signal_stats(m, maps, cgroups);
	if (err)
		return err;
	for (size_t i = 0; i < m->ncgroups; i++) {
		struct cgroup_slot *s = &m->cgroups[i];

		if (!s->gone && !cgroup_cache__alive(cgroups, s->id)) {
			s->gone = true;
			s->gone_since_ns = now_ns;
		}
	}
	bank_gone_cgroups(m, maps);

	/* Containers: the sum of their cgroups; gone when every cgroup is. */
	for (size_t i = 0; i < m->ncontainers; i++) {
		memset(&m->containers[i].counters, 0, sizeof(m->containers[i].counters));
		m->containers[i].gone = m->containers[i].id[0] != '\0';
		m->containers[i].gone_since_ns = 0;
	}
	for (size_t i = 0; i < m->ncgroups; i++) {
		struct cgroup_slot *s = &m->cgroups[i];
		struct container_metrics *c = find_or_add_container(m, s->container_id);

		if (!c)
			return -ENOMEM;
		counters_add(&c->counters, &s->banked);
		counters_add(&c->counters, &s->last);
		if (!s->gone) {
			c->gone = false;
			set_names(c, cgroup_cache__lookup(cgroups, s->id));
		} else if (s->gone_since_ns > c->gone_since_ns) {
			c->gone_since_ns = s->gone_since_ns;
		}
	}
	/* A container known only from events or zombies, with no cgroup seen: keep it
	 * while it has zombies, then let it age out like the rest. */
	for (size_t i = 0; i < m->ncontainers; i++) {
		struct container_metrics *c = &m->containers[i];

		if (c->zombies)
			c->gone = false; /* its zombies are still there to see */
		if (c->gone && !c->gone_since_ns)
			c->gone_since_ns = now_ns;
		c->activity = c->counters.forks + c->counters.exits + c->zombies;
	}
	drop_old_containers(m, now_ns);
	count_zombies(m, now_ns);
	for (size_t i = 0; i < m->ncontainers; i++)
		read_pids(&m->containers[i]);
	return 0;
}

static const struct metrics *select_m;

/* The host first, then containers with zombies, then the busiest. */
static int by_priority(const void *a, const void *b)
{
	const struct container_metrics *x = &select_m->containers[*(const size_t *)a];
	const struct container_metrics *y = &select_m->containers[*(const size_t *)b];

	if (!x->id[0] != !y->id[0])
		return !x->id[0] ? -1 : 1;
	if (!x->zombies != !y->zombies)
		return x->zombies ? -1 : 1;
	if (x->activity != y->activity)
		return x->activity > y->activity ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

size_t metrics_select(struct metrics *m, size_t max_containers, size_t *order)
{
	size_t n = m->ncontainers, keep;

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	keep = n;
	if (n && n - 1 > max_containers) {
		select_m = m;
		qsort(order, n, sizeof(*order), by_priority);
		keep = max_containers + 1; /* the host is never cut */
	}
	m->containers_over_limit = n - keep;
	/* containers[] is sorted by id already: back to that order for stable output */
	qsort(order, keep, sizeof(*order), by_index);
	return keep;
}
