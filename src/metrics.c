// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's model (metrics.h): containers and their series, the cgroups that feed
 * them and what each had counted at the last read, the indexes over both, folding. Pure:
 * every input is handed in, and nothing here reads the kernel, /proc or cgroupfs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "metrics.h"

#define NO_OWNER SIZE_MAX	    /* out of memory */
#define OWNER_GONE (SIZE_MAX - 1) /* m->gone */
#define EMPTY SIZE_MAX		    /* in an index */

_Static_assert(sizeof(struct counters) == sizeof(struct rw_cgroup_stats),
	       "struct counters mirrors struct rw_cgroup_stats");

struct signal_last {
	uint8_t sig;
	uint8_t origin;
	uint64_t last;
};

/*
 * A cgroup whose kernel entries are read. The kernel's counters are cumulative per
 * cgroup: `last` is what its entries said at the last read, and only what they gained
 * since goes to the owner: its container, the host for any cgroup outside a container
 * (all of them share the host's one set of series), or m->gone for a container already
 * folded. Once the cgroup is gone (judged before a read) its entries are deleted right
 * after that read, by the caller, and the slot is forgotten: the owner has it all
 * already. A late increment (a zombie of a removed cgroup reaped later) makes a new
 * entry, read and deleted the same way. So memory and work follow the cgroups that
 * exist, not every cgroup ever seen.
 */
struct cgroup_slot {
	uint64_t id;
	size_t owner; /* index into m->containers, or OWNER_GONE */
	bool dead;    /* judged gone before this interval's read: forgotten after it */
	struct counters last;
	struct signal_last *sigs;
	uint32_t nsigs, sigs_cap;
};

struct index {
	size_t *v; /* SIZE_MAX: empty */
	size_t cap; /* a power of 2, or 0 */
	size_t n;
};

#define FOLDED_KEEP 4096

struct metrics_private {
	size_t cap;		       /* of m->containers */
	struct index container_index;  /* by id */
	struct cgroup_slot *cgroups;   /* m->ncgroups of them */
	size_t cgroups_cap;
	struct index cgroup_index;     /* by cgroup id */
	struct metrics_cgroups cg;     /* asked which container a cgroup is of, and if it lives */
	uint64_t *gone_cgroups;	       /* the last metrics__judge_cgroups()'s */
	size_t ngone_cgroups, gone_cgroups_cap;
	/*
	 * The ids of the last FOLDED_KEEP folded containers, so that a late count — a zombie
	 * of a removed cgroup reaped later — goes to the GONE_CONTAINER_ID series and does
	 * not bring a container's series back from zero: a counter must not go backwards.
	 */
	char (*folded)[CONTAINER_ID_MAX + 1];
	size_t nfolded; /* ever; the ring holds the last FOLDED_KEEP */
	struct index folded_index;
};

/* --- open-addressing indexes of array positions (linear probing) ---------------------- */

typedef size_t (*hash_of_fn)(const struct metrics *m, size_t v);
typedef bool (*match_fn)(const struct metrics *m, size_t v, const void *key);

static size_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (size_t)x;
}

static size_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return hash_u64(h);
}

static void index_put(struct index *ix, size_t h, size_t v)
{
	size_t i = h & (ix->cap - 1);

	while (ix->v[i] != EMPTY)
		i = (i + 1) & (ix->cap - 1);
	ix->v[i] = v;
	ix->n++;
}

/* Rehash into cap slots (a power of 2 above twice the count). */
static int index_resize(const struct metrics *m, struct index *ix, size_t cap, hash_of_fn hash_of)
{
	struct index old = *ix;
	size_t *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	memset(v, 0xff, cap * sizeof(*v));
	ix->v = v;
	ix->cap = cap;
	ix->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i] != EMPTY)
			index_put(ix, hash_of(m, old.v[i]), old.v[i]);
	free(old.v);
	return 0;
}

/* Room for one more at a load of at most 1/2. */
static int index_reserve(const struct metrics *m, struct index *ix, hash_of_fn hash_of)
{
	if ((ix->n + 1) * 2 <= ix->cap)
		return 0;
	return index_resize(m, ix, ix->cap ? ix->cap * 2 : 64, hash_of);
}

/* After many removals: back to a load of about 1/4, so memory follows what is kept. */
static void index_shrink(const struct metrics *m, struct index *ix, hash_of_fn hash_of)
{
	size_t cap = 64;

	if (ix->cap <= 64 || ix->n * 8 >= ix->cap)
		return;
	while (cap < ix->n * 4)
		cap *= 2;
	index_resize(m, ix, cap, hash_of); /* on failure the old one stays */
}

static size_t index_find(const struct metrics *m, const struct index *ix, size_t h, match_fn match,
			 const void *key)
{
	if (!ix->cap)
		return EMPTY;
	for (size_t i = h & (ix->cap - 1); ix->v[i] != EMPTY; i = (i + 1) & (ix->cap - 1))
		if (match(m, ix->v[i], key))
			return ix->v[i];
	return EMPTY;
}

/* Remove value v (whose hash is h), shifting back what probed past it. */
static void index_del(const struct metrics *m, struct index *ix, size_t h, size_t v,
		      hash_of_fn hash_of)
{
	size_t mask = ix->cap - 1, i, j;

	if (!ix->cap)
		return;
	for (i = h & mask; ix->v[i] != v; i = (i + 1) & mask)
		if (ix->v[i] == EMPTY)
			return;
	ix->v[i] = EMPTY;
	ix->n--;
	for (j = (i + 1) & mask; ix->v[j] != EMPTY; j = (j + 1) & mask) {
		size_t k = hash_of(m, ix->v[j]) & mask;

		/* Leave it if its home k lies cyclically in (i, j]. */
		if (i <= j ? (k > i && k <= j) : (k > i || k <= j))
			continue;
		ix->v[i] = ix->v[j];
		ix->v[j] = EMPTY;
		i = j;
	}
}

static size_t container_hash(const struct metrics *m, size_t v)
{
	return hash_str(m->containers[v].id);
}

static bool container_match(const struct metrics *m, size_t v, const void *key)
{
	return !strcmp(m->containers[v].id, key);
}

static size_t slot_hash(const struct metrics *m, size_t v)
{
	return hash_u64(m->priv->cgroups[v].id);
}

static bool slot_match(const struct metrics *m, size_t v, const void *key)
{
	return m->priv->cgroups[v].id == *(const uint64_t *)key;
}

static size_t folded_hash(const struct metrics *m, size_t v)
{
	return hash_str(m->priv->folded[v]);
}

static bool folded_match(const struct metrics *m, size_t v, const void *key)
{
	return !strcmp(m->priv->folded[v], key);
}

/* --- containers ----------------------------------------------------------------------- */

struct metrics *metrics__new(uint64_t now_ns, const struct metrics_cgroups *cgroups)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m || !(m->priv = calloc(1, sizeof(*m->priv)))) {
		free(m);
		return NULL;
	}
	m->priv->cg = *cgroups;
	m->started_ns = now_ns;
	m->gone_keep_ns = CONTAINER_GONE_KEEP_NS;
	m->max_containers = SIZE_MAX;
	snprintf(m->gone.id, sizeof(m->gone.id), "%s", GONE_CONTAINER_ID);
	m->gone.pids_current = m->gone.pids_max = -1;
	return m;
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->ncontainers; i++)
		free(m->containers[i].signals);
	for (size_t i = 0; i < m->ncgroups; i++)
		free(m->priv->cgroups[i].sigs);
	free(m->gone.signals);
	free(m->priv->folded);
	free(m->priv->folded_index.v);
	free(m->priv->container_index.v);
	free(m->priv->cgroup_index.v);
	free(m->containers);
	free(m->priv->cgroups);
	free(m->priv->gone_cgroups);
	free(m->priv);
	free(m);
}

static void counters_add(struct counters *dst, const struct counters *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	/* struct counters is nothing but uint64_t */
	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static void signals_add(signal_counts *dst, const signal_counts *src)
{
	for (int s = 0; s < SIGNAL_SLOTS; s++)
		for (int o = 0; o < ORIGIN_SLOTS; o++)
			(*dst)[s][o] += (*src)[s][o];
}

static size_t find_container(const struct metrics *m, const char *id)
{
	return index_find(m, &m->priv->container_index, hash_str(id), container_match, id);
}

static size_t add_container(struct metrics *m, const char *id)
{
	struct container_metrics *c;

	if (m->ncontainers == m->priv->cap) {
		size_t cap = m->priv->cap ? m->priv->cap * 2 : 16;
		struct container_metrics *grown = realloc(m->containers, cap * sizeof(*grown));

		if (!grown)
			return NO_OWNER;
		m->containers = grown;
		m->priv->cap = cap;
	}
	if (index_reserve(m, &m->priv->container_index, container_hash))
		return NO_OWNER;
	c = &m->containers[m->ncontainers];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->pids_current = c->pids_max = -1;
	index_put(&m->priv->container_index, hash_str(c->id), m->ncontainers);
	return m->ncontainers++;
}

static size_t find_or_add_container(struct metrics *m, const char *id)
{
	size_t i = find_container(m, id);

	return i != EMPTY ? i : add_container(m, id);
}

static size_t find_folded(const struct metrics *m, const char *id)
{
	if (!id[0])
		return EMPTY;
	return index_find(m, &m->priv->folded_index, hash_str(id), folded_match, id);
}

static void remember_folded(struct metrics *m, const char *id)
{
	size_t pos = m->priv->nfolded % FOLDED_KEEP;

	if (!m->priv->folded && !(m->priv->folded = calloc(FOLDED_KEEP, sizeof(*m->priv->folded))))
		return;
	if (index_reserve(m, &m->priv->folded_index, folded_hash))
		return;
	if (m->priv->folded[pos][0]) /* the oldest makes room */
		index_del(m, &m->priv->folded_index, hash_str(m->priv->folded[pos]), pos,
			  folded_hash);
	snprintf(m->priv->folded[pos], sizeof(m->priv->folded[pos]), "%s", id);
	index_put(&m->priv->folded_index, hash_str(id), pos);
	m->priv->nfolded++;
}

/* A container of a folded one's name is alive again (`runc run NAME` once more). */
static void unfold(struct metrics *m, size_t pos)
{
	index_del(m, &m->priv->folded_index, hash_str(m->priv->folded[pos]), pos, folded_hash);
	m->priv->folded[pos][0] = '\0';
}

static struct container_metrics *owner_ptr(struct metrics *m, size_t owner)
{
	if (owner == OWNER_GONE) {
		m->gone_used = true;
		return &m->gone;
	}
	return &m->containers[owner];
}

static void set_names(struct container_metrics *c, const struct cgroup_info *cg)
{
	if (cg->path && cg->path[0] && !c->cgroup_path[0])
		snprintf(c->cgroup_path, sizeof(c->cgroup_path), "%s", cg->path);
	if (cg->id && !c->cgroup_id)
		c->cgroup_id = cg->id;
	/* (a container's own name may come after its pod's: cgroups.c, entry_find_names()) */
	if (cg->pod &&
	    (!c->names.pod[0] || (!c->names.container[0] && cg->container && cg->container[0]))) {
		snprintf(c->names.pod, sizeof(c->names.pod), "%s", cg->pod);
		snprintf(c->names.namespace, sizeof(c->names.namespace), "%s", cg->namespace);
		snprintf(c->names.container, sizeof(c->names.container), "%s", cg->container);
	}
}

static bool cgroup_alive(const struct metrics *m, uint64_t id)
{
	return id && m->priv->cg.alive(m->priv->cg.ctx, id);
}

/*
 * Whose are the counts of cgroup cg: its container's (made if new), the host's, or
 * OWNER_GONE for a container already folded whose cgroup is gone (a late count).
 */
static size_t owner_of(struct metrics *m, const struct cgroup_info *cg)
{
	size_t i = find_container(m, cg->container_id), pos;

	if (i == EMPTY && (pos = find_folded(m, cg->container_id)) != EMPTY) {
		if (!cgroup_alive(m, cg->id))
			return OWNER_GONE;
		unfold(m, pos);
	}
	if (i == EMPTY)
		i = add_container(m, cg->container_id);
	if (i != NO_OWNER)
		set_names(&m->containers[i], cg);
	return i;
}

/*
 * A container cgroup that exists: its container has series from now on, though nothing in it
 * forks or exits (a service started before the agent, idle or leaking threads towards its pids
 * limit: the gauges are what matters there). Not one gone by now; one folded whose name is in
 * use again (`runc run NAME` once more) comes back, as owner_of() brings back any that lives.
 */
static void note_container(void *arg, const struct cgroup_info *cg)
{
	struct metrics *m = arg;

	if (cgroup_alive(m, cg->id))
		owner_of(m, cg);
}

/*
 * A container without Kubernetes names, or with only its pod's, asked again: the kubelet's log
 * link may have come after its cgroup was first looked at, and a container that neither forks
 * nor exits is not looked at again otherwise. (The cache asks the kubelet's directory 5 s after
 * a miss, then less and less often: cgroups.c, names_retry_ns(). A pod's sandbox never has a
 * link.)
 */
static void ask_names_again(struct metrics *m)
{
	for (size_t i = 0; i < m->ncontainers; i++) {
		struct container_metrics *c = &m->containers[i];

		if (c->id[0] && !c->names.container[0] && c->cgroup_id && !c->gone)
			set_names(c, m->priv->cg.lookup(m->priv->cg.ctx, c->cgroup_id));
	}
}

struct container_metrics *metrics__container(struct metrics *m, const struct cgroup_info *cg)
{
	size_t owner = owner_of(m, cg);

	return owner == NO_OWNER ? NULL : owner_ptr(m, owner);
}

/* --- what the kernel counted ---------------------------------------------------------- */

static size_t find_slot(const struct metrics *m, uint64_t id)
{
	return index_find(m, &m->priv->cgroup_index, hash_u64(id), slot_match, &id);
}

static struct cgroup_slot *find_or_add_slot(struct metrics *m, uint64_t id)
{
	size_t i = find_slot(m, id), owner;
	struct cgroup_slot *s;

	if (i != EMPTY)
		return &m->priv->cgroups[i];
	owner = owner_of(m, m->priv->cg.lookup(m->priv->cg.ctx, id));
	if (owner == NO_OWNER)
		return NULL;
	if (m->ncgroups == m->priv->cgroups_cap) {
		size_t cap = m->priv->cgroups_cap ? m->priv->cgroups_cap * 2 : 64;
		struct cgroup_slot *grown = realloc(m->priv->cgroups, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		m->priv->cgroups = grown;
		m->priv->cgroups_cap = cap;
	}
	if (index_reserve(m, &m->priv->cgroup_index, slot_hash))
		return NULL;
	s = &m->priv->cgroups[m->ncgroups];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->owner = owner;
	index_put(&m->priv->cgroup_index, hash_u64(id), m->ncgroups++);
	if (owner != OWNER_GONE)
		m->containers[owner].nslots++;
	return s;
}

static void remove_slot(struct metrics *m, size_t i)
{
	size_t last = m->ncgroups - 1;

	free(m->priv->cgroups[i].sigs);
	index_del(m, &m->priv->cgroup_index, hash_u64(m->priv->cgroups[i].id), i, slot_hash);
	if (i != last) {
		index_del(m, &m->priv->cgroup_index, hash_u64(m->priv->cgroups[last].id), last,
			  slot_hash);
		m->priv->cgroups[i] = m->priv->cgroups[last];
		index_put(&m->priv->cgroup_index, hash_u64(m->priv->cgroups[i].id), i);
	}
	m->ncgroups--;
}

static void add_counts(struct metrics *m, size_t owner, const struct counters *d)
{
	counters_add(&m->node, d);
	counters_add(&owner_ptr(m, owner)->counters, d);
}

static void add_signal(struct metrics *m, size_t owner, int sig, int origin, uint64_t n)
{
	struct container_metrics *c;

	m->node_signals[sig][origin] += n;
	if (!m->container_detail)
		return;
	c = owner_ptr(m, owner);
	if (!c->signals && !(c->signals = calloc(1, sizeof(*c->signals))))
		return;
	(*c->signals)[sig][origin] += n;
}

/*
 * A reap whose free the kernel side missed, found by the agent's sweep: the kernel never
 * counted it. With its evidence the latency is exact, and it is counted as the kernel's
 * counts are; without, only that it was reaped is counted (reaps_unmeasured), as the kernel
 * side does for a reap it saw only at the free.
 */
static void count_late_reap(struct metrics *m, const struct event *ev)
{
	bool exact = ev->reap.latency_known && event_reap_latency_exact(ev);
	struct counters d = { 0 };
	size_t owner;

	if (ev->reap.how == RW_REAP_UNTRACKED)
		return;
	owner = owner_of(m, ev->proc.cgroup);
	if (owner == NO_OWNER)
		return;
	if (!exact) {
		d.reaps_unmeasured = 1;
	} else {
		d.reaps = 1;
		d.reap_latency_sum_ns = ev->reap.latency_ns;
		d.reap_latency_buckets[rw_latency_bucket(ev->reap.latency_ns)] = 1;
	}
	add_counts(m, owner, &d);
}

void metrics__written(struct metrics *m)
{
	for (size_t i = 0; i < m->ncontainers; i++)
		memcpy(m->containers[i].reparents_written, m->containers[i].reparents,
		       sizeof(m->containers[i].reparents));
	memcpy(m->gone.reparents_written, m->gone.reparents, sizeof(m->gone.reparents));
}

void metrics__count_event(struct metrics *m, const struct event *ev)
{
	struct container_metrics *c;

	/* export and top ask the kernel side for no reap records: these are the sweep's. */
	if (ev->type == RW_REC_REAP) {
		count_late_reap(m, ev);
		return;
	}
	if (ev->type != RW_REC_REPARENT && ev->type != RW_REC_TEARDOWN)
		return;
	c = metrics__container(m, ev->proc.cgroup);
	if (!c)
		return;
	if (ev->type == RW_REC_REPARENT) {
		/* A correction replaces the prediction: move its count to the right kind. */
		if ((unsigned)ev->reparent.kind >= REAPER_KINDS)
			return;
		/*
		 * A correction names the real adopter of an orphan counted under its predicted
		 * kind: the count moves, unless the prediction is out already (a counter may
		 * not go down), where it stays, so that the orphan is not counted twice. The
		 * correction comes within the father's exit, nearly always before any write.
		 */
		if (ev->reparent.corrected) {
			unsigned int was = ev->reparent.predicted_kind;

			if (was >= REAPER_KINDS || c->reparents[was] <= c->reparents_written[was])
				return;
			c->reparents[was]--;
		}
		c->reparents[ev->reparent.kind]++;
		return;
	}
	c->teardowns++;
	c->teardown_sigkilled[0] += ev->teardown.sigkilled_without_sigterm;
	c->teardown_sigkilled[1] += ev->teardown.sigkilled - ev->teardown.sigkilled_without_sigterm;
}

static uint64_t gained(uint64_t now, uint64_t last)
{
	return now >= last ? now - last : now; /* lower: a new entry under the same key */
}

static void add_cgroup_stats(struct metrics *m, const struct kstats *stats)
{
	size_t n = sizeof(struct counters) / sizeof(uint64_t);

	for (size_t k = 0; k < stats->ncgroups; k++) {
		struct cgroup_slot *s = find_or_add_slot(m, stats->cgroups[k].cgroup_id);
		struct counters now, d;
		const uint64_t *a = (const uint64_t *)&now, *b;
		uint64_t *out = (uint64_t *)&d;

		if (!s)
			break; /* out of memory: the rest is counted at the next read */
		memcpy(&now, &stats->cgroups[k].stats, sizeof(now));
		b = (const uint64_t *)&s->last;
		for (size_t i = 0; i < n; i++)
			out[i] = gained(a[i], b[i]);
		add_counts(m, s->owner, &d);
		s->last = now;
	}
}

static void add_signal_stats(struct metrics *m, const struct kstats *stats)
{
	for (size_t k = 0; k < stats->nsignals; k++) {
		const struct kstats_signal *e = &stats->signals[k];
		struct cgroup_slot *s;
		struct signal_last *l = NULL;

		if (e->sig >= SIGNAL_SLOTS || e->origin >= ORIGIN_SLOTS)
			continue;
		s = find_or_add_slot(m, e->cgroup_id);
		if (!s)
			break;
		for (uint32_t i = 0; i < s->nsigs && !l; i++)
			if (s->sigs[i].sig == e->sig && s->sigs[i].origin == e->origin)
				l = &s->sigs[i];
		if (!l) {
			if (s->nsigs == s->sigs_cap) {
				uint32_t cap = s->sigs_cap ? s->sigs_cap * 2 : 4;
				struct signal_last *grown = realloc(s->sigs, cap * sizeof(*grown));

				if (!grown)
					break;
				s->sigs = grown;
				s->sigs_cap = cap;
			}
			l = &s->sigs[s->nsigs++];
			*l = (struct signal_last){ .sig = e->sig, .origin = e->origin };
		}
		add_signal(m, s->owner, e->sig, e->origin, gained(e->count, l->last));
		l->last = e->count;
	}
}

size_t metrics__judge_cgroups(struct metrics *m, const uint64_t **gone)
{
	m->priv->ngone_cgroups = 0;
	for (size_t i = 0; i < m->ncgroups; i++) {
		struct cgroup_slot *s = &m->priv->cgroups[i];

		s->dead = false;
		if (cgroup_alive(m, s->id))
			continue;
		if (m->priv->ngone_cgroups == m->priv->gone_cgroups_cap) {
			size_t cap = m->priv->gone_cgroups_cap ? m->priv->gone_cgroups_cap * 2 : 64;
			uint64_t *grown = realloc(m->priv->gone_cgroups, cap * sizeof(*grown));

			if (!grown)
				break; /* the rest are judged again at the next interval */
			m->priv->gone_cgroups = grown;
			m->priv->gone_cgroups_cap = cap;
		}
		m->priv->gone_cgroups[m->priv->ngone_cgroups++] = s->id;
		s->dead = true;
	}
	*gone = m->priv->gone_cgroups;
	return m->priv->ngone_cgroups;
}

/* After the read: forget the cgroups judged gone before it. */
static size_t forget_dead_cgroups(struct metrics *m)
{
	size_t forgotten = 0;

	for (size_t i = 0; i < m->ncgroups;) {
		struct cgroup_slot *s = &m->priv->cgroups[i];

		if (!s->dead) {
			i++;
			continue;
		}
		if (s->owner != OWNER_GONE) {
			m->containers[s->owner].nslots--;
			/* a host cgroup: done */
			if (!m->containers[s->owner].id[0] && m->priv->cg.forget)
				m->priv->cg.forget(m->priv->cg.ctx, s->id);
		}
		remove_slot(m, i); /* the last one moves to i */
		forgotten++;
	}
	return forgotten;
}

/* --- zombies -------------------------------------------------------------------------- */

static void count_zombies(struct metrics *m, const struct zombie_census *census, uint64_t now_ns)
{
	double uptime = (double)(now_ns - m->started_ns) / 1e9;

	for (size_t i = 0; i < m->ncontainers; i++) {
		m->containers[i].zombies = 0;
		m->containers[i].zombie_oldest_s = 0;
		m->containers[i].zombie_oldest_bound = false;
	}
	m->gone.zombies = 0;
	m->gone.zombie_oldest_s = 0;
	m->gone.zombie_oldest_bound = false;
	if (!census)
		return;
	for (size_t i = 0; i < census->count; i++) {
		const struct zombie *z = &census->zombies[i];
		struct container_metrics *c;
		/* Died before any agent ran: it is at least as old as we are. */
		double age = z->age_known ? (double)zombie_age_ns(z, now_ns) / 1e9 : uptime;
		size_t k = find_container(m, z->container_id);

		if (k == EMPTY && find_folded(m, z->container_id) != EMPTY) {
			c = owner_ptr(m, OWNER_GONE);
		} else {
			if (k == EMPTY)
				k = add_container(m, z->container_id);
			if (k == NO_OWNER)
				break;
			c = &m->containers[k];
			if (!c->cgroup_id)
				c->cgroup_id = z->cgroup_id;
		}
		if (!c->zombies++ || age > c->zombie_oldest_s)
			c->zombie_oldest_s = age;
		/* One of unknown age may be older than any known one: the oldest is a bound. */
		if (!z->age_known)
			c->zombie_oldest_bound = true;
	}
}

/* --- folding gone containers ---------------------------------------------------------- */

static void fold(struct metrics *m, struct container_metrics *c)
{
	struct container_metrics *g = owner_ptr(m, OWNER_GONE);

	counters_add(&g->counters, &c->counters);
	for (int k = 0; k < REAPER_KINDS; k++)
		g->reparents[k] += c->reparents[k];
	g->teardowns += c->teardowns;
	g->teardown_sigkilled[0] += c->teardown_sigkilled[0];
	g->teardown_sigkilled[1] += c->teardown_sigkilled[1];
	if (c->signals && (g->signals || (g->signals = calloc(1, sizeof(*g->signals)))))
		signals_add(g->signals, c->signals);
	free(c->signals);
	c->signals = NULL;
	remember_folded(m, c->id);
	m->containers_folded++;
}

static const struct metrics *sort_m;

static int by_gone_since(const void *a, const void *b)
{
	const struct container_metrics *x = &sort_m->containers[*(const size_t *)a];
	const struct container_metrics *y = &sort_m->containers[*(const size_t *)b];

	if (x->gone_since_ns != y->gone_since_ns)
		return x->gone_since_ns < y->gone_since_ns ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * Fold the containers gone for longer than gone_keep_ns into m->gone, and, while more
 * containers than max_containers are known, the gone ones that are left (the longest
 * gone first): they never push a live container out of the file. Returns how many.
 */
static size_t fold_gone(struct metrics *m, uint64_t now_ns)
{
	size_t *cand, ncand = 0, nfold = 0, keep = 0, *remap;
	bool *folding;

	cand = calloc(m->ncontainers + 1, sizeof(*cand));
	folding = calloc(m->ncontainers + 1, sizeof(*folding));
	remap = calloc(m->ncontainers + 1, sizeof(*remap));
	if (!cand || !folding || !remap)
		goto out;
	for (size_t i = 0; i < m->ncontainers; i++) {
		const struct container_metrics *c = &m->containers[i];

		if (!c->id[0] || !c->gone || c->nslots || c->zombies)
			continue;
		if (now_ns - c->gone_since_ns >= m->gone_keep_ns) {
			folding[i] = true;
			nfold++;
		} else {
			cand[ncand++] = i;
		}
	}
	if (m->ncontainers - 1 - nfold > m->max_containers && ncand) {
		size_t over = m->ncontainers - 1 - nfold - m->max_containers;

		sort_m = m;
		qsort(cand, ncand, sizeof(*cand), by_gone_since);
		for (size_t k = 0; k < ncand && k < over; k++, nfold++)
			folding[cand[k]] = true;
	}
	if (!nfold)
		goto out;
	for (size_t i = 0; i < m->ncontainers; i++) {
		if (folding[i]) {
			fold(m, &m->containers[i]);
			continue;
		}
		remap[i] = keep;
		if (keep != i)
			m->containers[keep] = m->containers[i];
		keep++;
	}
	m->ncontainers = keep;
	for (size_t i = 0; i < m->ncgroups; i++)
		if (m->priv->cgroups[i].owner != OWNER_GONE)
			m->priv->cgroups[i].owner = remap[m->priv->cgroups[i].owner];
	/* Rebuild the index of what is left; memory follows the containers kept. */
	free(m->priv->container_index.v);
	memset(&m->priv->container_index, 0, sizeof(m->priv->container_index));
	if (m->priv->cap > 64 && m->ncontainers * 4 < m->priv->cap) {
		size_t cap = 64;
		struct container_metrics *shrunk;

		while (cap < m->ncontainers * 2)
			cap *= 2;
		shrunk = realloc(m->containers, cap * sizeof(*shrunk));
		if (shrunk) {
			m->containers = shrunk;
			m->priv->cap = cap;
		}
	}
	for (size_t i = 0; i < m->ncontainers; i++) {
		if (index_reserve(m, &m->priv->container_index, container_hash))
			break; /* out of memory: lookups miss, containers are made anew */
		index_put(&m->priv->container_index, hash_str(m->containers[i].id), i);
	}
out:
	free(cand);
	free(folding);
	free(remap);
	return nfold;
}

int metrics__collect(struct metrics *m, const struct kstats *stats,
		     const struct zombie_census *census, uint64_t now_ns)
{
	size_t released;

	if (find_or_add_container(m, "") == NO_OWNER) /* the host always has its series */
		return -ENOMEM;
	add_cgroup_stats(m, stats);
	add_signal_stats(m, stats);
	released = forget_dead_cgroups(m);
	if (m->priv->cg.take_new_containers)
		m->priv->cg.take_new_containers(m->priv->cg.ctx, note_container, m);
	ask_names_again(m);

	/*
	 * A container is gone once no cgroup of it is left and it has no zombie (as of the
	 * last census). One known only from an event or a zombie is alive while the cgroup
	 * it was seen in is (asked until it is gone: an id is never reused).
	 */
	for (size_t i = 0; i < m->ncontainers; i++) {
		struct container_metrics *c = &m->containers[i];
		bool alive = !c->id[0] || c->nslots || c->zombies ||
			     (!c->gone && cgroup_alive(m, c->cgroup_id));

		if (alive) {
			c->gone = false;
			c->gone_since_ns = 0;
		} else if (!c->gone) {
			c->gone = true;
			c->gone_since_ns = now_ns;
		}
		c->activity = c->counters.forks + c->counters.exits + c->zombies;
	}
	released += fold_gone(m, now_ns);
	count_zombies(m, census, now_ns);
	if (released) {
		if (m->priv->cgroups_cap > 64 && m->ncgroups * 4 < m->priv->cgroups_cap) {
			size_t cap = 64;
			struct cgroup_slot *shrunk;

			while (cap < m->ncgroups * 2)
				cap *= 2;
			shrunk = realloc(m->priv->cgroups, cap * sizeof(*shrunk));
			if (shrunk) {
				m->priv->cgroups = shrunk;
				m->priv->cgroups_cap = cap;
			}
		}
		index_shrink(m, &m->priv->cgroup_index, slot_hash);
#ifdef __GLIBC__
		if (released >= 64)
			malloc_trim(0); /* give what a churn of cgroups took back to the system */
#endif
	}
	return 0;
}

/* --- what to render ------------------------------------------------------------------- */

/* Near its pids limit (at least 3/4 of it): what ReapwatchPidsNearLimit needs the series of,
 * though nothing in it may fork or exit (threads leaking). */
static bool near_pids_limit(const struct container_metrics *c)
{
	return c->pids_max > 0 && c->pids_current >= 0 && c->pids_current * 4 >= c->pids_max * 3;
}

/* The host first, then containers with zombies, those near their pids limit, the busiest. */
static int by_priority(const void *a, const void *b)
{
	const struct container_metrics *x = &sort_m->containers[*(const size_t *)a];
	const struct container_metrics *y = &sort_m->containers[*(const size_t *)b];

	if (!x->id[0] != !y->id[0])
		return !x->id[0] ? -1 : 1;
	if (!x->zombies != !y->zombies)
		return x->zombies ? -1 : 1;
	if (near_pids_limit(x) != near_pids_limit(y))
		return near_pids_limit(x) ? -1 : 1;
	if (x->activity != y->activity)
		return x->activity > y->activity ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* By id: the host ("") first. */
static int by_id(const void *a, const void *b)
{
	return strcmp(sort_m->containers[*(const size_t *)a].id,
		      sort_m->containers[*(const size_t *)b].id);
}

size_t metrics__select(struct metrics *m, size_t max_containers, size_t *order)
{
	size_t n = m->ncontainers, keep;

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	keep = n;
	sort_m = m;
	if (n && n - 1 > max_containers) {
		qsort(order, n, sizeof(*order), by_priority);
		keep = max_containers + 1; /* the host is never cut */
	}
	m->containers_over_limit = n - keep;
	/* A stable output: by id. */
	qsort(order, keep, sizeof(*order), by_id);
	return keep;
}
