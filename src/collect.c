// SPDX-License-Identifier: GPL-2.0
/* One interval's reading for the exporter's model (collect.h). It keeps no state: the
 * model, the agent and the census belong to the command. */
#include <errno.h>
#include <stdlib.h>
#include "collect.h"
#include "util.h"

static const struct cgroup_info *cache_lookup(void *ctx, uint64_t id)
{
	return cgroup_cache__lookup(ctx, id);
}

static bool cache_alive(void *ctx, uint64_t id)
{
	return cgroup_cache__alive(ctx, id);
}

static void cache_forget(void *ctx, uint64_t id)
{
	cgroup_cache__forget(ctx, id);
}

static void cache_take_new_containers(void *ctx, void (*fn)(void *arg, const struct cgroup_info *cg),
				      void *arg)
{
	cgroup_cache__take_new_containers(ctx, fn, arg);
}

struct metrics *collect_metrics_new(struct cgroup_cache *cache, uint64_t now_ns)
{
	const struct metrics_cgroups cgroups = {
		.ctx = cache,
		.lookup = cache_lookup,
		.alive = cache_alive,
		.forget = cache_forget,
		.take_new_containers = cache_take_new_containers,
	};
	const char *keep = getenv("REAPWATCH_GONE_KEEP_SECONDS");
	struct metrics *m = metrics__new(now_ns, &cgroups);
	char *end;
	double secs;

	/* For tests and `make bench`, which cannot wait five minutes; not a user-facing knob. */
	if (m && keep && *keep) {
		secs = strtod(keep, &end);
		if (!*end && secs >= 0 && secs < 1e6)
			m->gone_keep_ns = (uint64_t)(secs * 1e9);
	}
	return m;
}

/* A container's pids gauges: read while it has a live cgroup. */
static void read_pids(struct container_metrics *c)
{
	c->pids_current = c->pids_max = -1;
	if (c->id[0] && c->cgroup_path[0] && !c->gone)
		cgroup_pids_read(c->cgroup_path, &c->pids_current, &c->pids_max);
}

int collect_interval(struct metrics *m, struct agent *agent, struct zombie_census **census,
		     uint64_t now_ns)
{
	const struct kstats *stats;
	const uint64_t *gone;
	size_t ngone;
	int err;

	/* Before the read: what a gone cgroup's entries gained up to its rmdir is in this
	 * read; they are deleted right after it, before anything slower runs. */
	ngone = metrics__judge_cgroups(m, &gone);
	err = agent__read_stats(agent, &stats);
	if (err)
		return err;
	agent__forget_stats(agent, gone, ngone);
	zombie_census__free(*census);
	if (!zombie_census__new(census, "/proc")) { /* else no zombie counted this interval */
		zombie_census__add_ages(*census, ZOMBIE_AGES_FILE);
		zombie_census__retire_stale_pins(*census, ZOMBIE_AGES_FILE);
	}
	err = metrics__collect(m, stats, *census, now_ns);
	if (err)
		return err;
	for (size_t i = 0; i < m->ncontainers; i++)
		read_pids(&m->containers[i]);
	m->events_lost = agent__lost(agent);
	return 0;
}

int collect_begin(struct decoder *dec, struct metrics **metrics)
{
	uint64_t started;

	rw_install_stop_signals();
	started = mono_now_ns();
	*metrics = NULL;
	if (decoder__init(dec)) {
		rw_error("out of memory");
		return -ENOMEM;
	}
	*metrics = collect_metrics_new(dec->cgroups, started);
	if (!*metrics) {
		decoder__fini(dec);
		rw_error("out of memory");
		return -ENOMEM;
	}
	return 0;
}
