// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's model (src/metrics.c) on plain data: what the kernel's per-cgroup
 * counters said at each read, a table of cgroups in place of cgroupfs, events and a
 * census of zombies made up here. What each container gains, what a gone cgroup leaves,
 * folding, the choice of rows, and the Prometheus text of a small model.
 */
#include "unit.h"

#include "metrics.h"
#include "prom.h"

#define SEC 1000000000ull
#define HOST_CG 10 /* a host cgroup (system.slice/cron.service) */
#define WEB_CG 20  /* the container "web" */
#define DB_CG 30   /* the container "db" */

/* The cgroups of this make-believe host: what cgroupfs would say. */
struct fake_cgroup {
	struct cgroup_info info;
	bool alive;
	unsigned int forgotten;
	bool handed; /* by fake_take_new_containers() */
};

static struct fake_cgroup fakes[] = {
	{ .info = { .id = HOST_CG, .path = "/system.slice/cron.service" }, .alive = true },
	{ .info = { .id = WEB_CG, .path = "/web", .container_id = "web", .pod = "web-0",
		    .namespace = "prod", .container = "nginx" },
	  .alive = true },
	{ .info = { .id = DB_CG, .path = "/db", .container_id = "db" }, .alive = true },
};
static const struct cgroup_info unknown_cgroup = { .path = "" };

static struct fake_cgroup *fake(uint64_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(fakes); i++)
		if (fakes[i].info.id == id)
			return &fakes[i];
	return NULL;
}

static const struct cgroup_info *fake_lookup(void *ctx, uint64_t id)
{
	struct fake_cgroup *f = fake(id);

	return f ? &f->info : &unknown_cgroup;
}

static bool fake_alive(void *ctx, uint64_t id)
{
	struct fake_cgroup *f = fake(id);

	return f && f->alive;
}

static void fake_forget(void *ctx, uint64_t id)
{
	struct fake_cgroup *f = fake(id);

	if (f)
		f->forgotten++;
}

/* The cache's walk of the hierarchy: each container cgroup once. */
static void fake_take_new_containers(void *ctx, void (*fn)(void *arg, const struct cgroup_info *cg),
				     void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(fakes); i++) {
		if (fakes[i].handed || !fakes[i].info.container_id[0])
			continue;
		fakes[i].handed = true;
		fn(arg, &fakes[i].info);
	}
}

/* `walk`: the cgroups that exist are handed to the model (as collect.c does); without, it
 * knows only the cgroups the kernel's counters name. */
static struct metrics *new_model_walked(bool walk)
{
	const struct metrics_cgroups cgroups = {
		.lookup = fake_lookup,
		.alive = fake_alive,
		.forget = fake_forget,
		.take_new_containers = walk ? fake_take_new_containers : NULL,
	};
	struct metrics *m;

	for (size_t i = 0; i < ARRAY_SIZE(fakes); i++) {
		fakes[i].alive = true;
		fakes[i].forgotten = 0;
		fakes[i].handed = false;
	}
	m = metrics__new(0, &cgroups);
	assert_non_null(m);
	return m;
}

static struct metrics *new_model(void)
{
	return new_model_walked(false);
}

/* A read of the kernel's maps, built entry by entry. */
struct read {
	struct kstats ks;
	struct kstats_cgroup cgroups[8];
	struct kstats_signal signals[8];
};

static void read_reset(struct read *r)
{
	memset(r, 0, sizeof(*r));
	r->ks.cgroups = r->cgroups;
	r->ks.signals = r->signals;
}

static struct rw_cgroup_stats *read_cgroup(struct read *r, uint64_t id)
{
	struct kstats_cgroup *c = &r->cgroups[r->ks.ncgroups++];

	c->cgroup_id = id;
	return &c->stats;
}

static void read_signal(struct read *r, uint64_t id, int sig, int origin, uint64_t count)
{
	r->signals[r->ks.nsignals++] = (struct kstats_signal){
		.cgroup_id = id, .sig = sig, .origin = origin, .count = count
	};
}

/* The cgroups the last interval judged gone, for their kernel entries to be deleted. */
static const uint64_t *gone;
static size_t ngone;

/* One interval as collect.c runs it, without a census. */
static void interval(struct metrics *m, const struct read *r, uint64_t now_ns)
{
	ngone = metrics__judge_cgroups(m, &gone);
	assert_int_equal(metrics__collect(m, &r->ks, NULL, now_ns), 0);
}

static const struct container_metrics *container(const struct metrics *m, const char *id)
{
	for (size_t i = 0; i < m->ncontainers; i++)
		if (!strcmp(m->containers[i].id, id))
			return &m->containers[i];
	return NULL;
}

static size_t judged_gone(uint64_t id)
{
	size_t found = 0;

	for (size_t i = 0; i < ngone; i++)
		found += gone[i] == id;
	return found;
}

/* Each read adds what the kernel's cumulative counters gained since the last one; a host
 * cgroup feeds the host's row, a container's cgroup its own, and the node row has both. */
static void test_counts_what_each_read_gained(void **state)
{
	struct metrics *m = new_model();
	struct read r;

	read_reset(&r);
	read_cgroup(&r, HOST_CG)->forks = 5;
	read_cgroup(&r, WEB_CG)->forks = 2;
	r.cgroups[1].stats.reaps = 1;
	r.cgroups[1].stats.reap_latency_buckets[3] = 1;
	interval(m, &r, 1 * SEC);
	assert_int_equal(container(m, "")->counters.forks, 5);
	assert_int_equal(container(m, "web")->counters.forks, 2);
	assert_int_equal(container(m, "web")->counters.reap_latency_buckets[3], 1);
	assert_string_equal(container(m, "web")->names.pod, "web-0");
	assert_string_equal(container(m, "web")->cgroup_path, "/web");
	assert_int_equal(m->node.forks, 7);
	assert_int_equal(m->ncgroups, 2);

	r.cgroups[0].stats.forks = 9; /* +4 */
	r.cgroups[1].stats.forks = 2; /* nothing new */
	interval(m, &r, 2 * SEC);
	assert_int_equal(container(m, "")->counters.forks, 9);
	assert_int_equal(container(m, "web")->counters.forks, 2);
	assert_int_equal(m->node.forks, 11);

	/* Lower than last time: a new entry under the same key, counted from zero. */
	r.cgroups[0].stats.forks = 3;
	interval(m, &r, 3 * SEC);
	assert_int_equal(container(m, "")->counters.forks, 12);
	assert_int_equal(m->node.forks, 14);
	metrics__free(m);
}

/*
 * A cgroup removed between two reads: judged gone before the read (its kernel entries to
 * be deleted after it), what its entry gained up to the rmdir is counted, and it is forgotten;
 * a host cgroup's name too. Its container, with no cgroup and no zombie left, is gone and,
 * after gone_keep_ns, folded into the "(gone)" row with every count it had.
 */
static void test_gone_cgroup_counted_released_folded(void **state)
{
	struct metrics *m = new_model();
	struct read r;

	m->gone_keep_ns = 10 * SEC;
	read_reset(&r);
	read_cgroup(&r, HOST_CG)->exits = 1;
	read_cgroup(&r, WEB_CG)->exits = 2;
	interval(m, &r, 1 * SEC);
	assert_int_equal(judged_gone(WEB_CG), 0);

	fakes[0].alive = fakes[1].alive = false; /* rmdir after the read */
	r.cgroups[0].stats.exits = 4;
	r.cgroups[1].stats.exits = 6;
	interval(m, &r, 2 * SEC);
	assert_int_equal(container(m, "")->counters.exits, 4);
	assert_int_equal(container(m, "web")->counters.exits, 6);
	assert_int_equal(judged_gone(HOST_CG), 1);
	assert_int_equal(judged_gone(WEB_CG), 1);
	assert_int_equal(m->ncgroups, 0);
	assert_int_equal(fakes[0].forgotten, 1); /* a host cgroup: its name is not needed */
	assert_int_equal(fakes[1].forgotten, 0); /* a container's: its row still is */
	assert_true(container(m, "web")->gone);
	assert_false(container(m, "")->gone);

	/* Deleted in the kernel: the next read finds nothing of them. */
	read_reset(&r);
	interval(m, &r, 5 * SEC);
	assert_int_equal(ngone, 0); /* forgotten: not judged again */
	assert_non_null(container(m, "web")); /* gone 3 s of 10: kept */
	interval(m, &r, 12 * SEC);
	assert_null(container(m, "web"));
	assert_true(m->gone_used);
	assert_int_equal(m->containers_folded, 1);
	assert_string_equal(m->gone.id, GONE_CONTAINER_ID);
	assert_int_equal(m->gone.counters.exits, 6);
	assert_int_equal(container(m, "")->counters.exits, 4); /* the host is never folded */

	/* A late count of the folded container (a zombie of its cgroup reaped later) goes
	 * to "(gone)": its own row does not come back from zero. */
	read_cgroup(&r, WEB_CG)->exits = 1;
	interval(m, &r, 13 * SEC);
	assert_null(container(m, "web"));
	assert_int_equal(m->gone.counters.exits, 7);
	assert_int_equal(m->node.exits, 11);
	metrics__free(m);
}

/*
 * A container whose processes neither fork nor exit (started before the agent, idle) has its
 * series from the first interval, with its cgroup path for the pids gauges; each cgroup is
 * handed over once; one removed before it was looked at gets none.
 */
static void test_idle_containers_have_series(void **state)
{
	struct metrics *m = new_model_walked(true);
	struct read r;

	fakes[2].alive = false; /* "db": removed before the first interval */
	read_reset(&r);
	interval(m, &r, 1 * SEC);
	assert_int_equal(m->ncontainers, 2);
	assert_non_null(container(m, ""));
	assert_non_null(container(m, "web"));
	assert_string_equal(container(m, "web")->cgroup_path, "/web");
	assert_string_equal(container(m, "web")->names.pod, "web-0");
	assert_false(container(m, "web")->gone);
	assert_int_equal(container(m, "web")->counters.forks, 0);
	assert_null(container(m, "db"));
	assert_int_equal(m->ncgroups, 0); /* no kernel entry of its own */

	fakes[2].alive = true; /* (handed once: not asked again) */
	interval(m, &r, 2 * SEC);
	assert_int_equal(m->ncontainers, 2);
	assert_null(container(m, "db"));

	/* Gone, folded: a cgroup handed again (the cache started over) brings no row back... */
	m->gone_keep_ns = 1 * SEC;
	fakes[1].alive = false;
	interval(m, &r, 3 * SEC);
	interval(m, &r, 5 * SEC);
	assert_null(container(m, "web"));
	assert_int_equal(m->containers_folded, 1);
	fakes[1].handed = false;
	interval(m, &r, 6 * SEC);
	assert_null(container(m, "web"));
	/* ... but a live one of the same name does (`runc run web` again), idle as it is. */
	fakes[1].alive = true;
	fakes[1].handed = false;
	interval(m, &r, 7 * SEC);
	assert_non_null(container(m, "web"));
	assert_false(container(m, "web")->gone);
	metrics__free(m);
}

/* Kubernetes names that come after the container was first seen (the kubelet's log link
 * made later): taken at the next interval, though nothing in it forked or exited since. */
static void test_names_that_come_later(void **state)
{
	struct metrics *m = new_model();
	struct read r;

	read_reset(&r);
	read_cgroup(&r, DB_CG)->forks = 1;
	interval(m, &r, 1 * SEC);
	assert_string_equal(container(m, "db")->names.pod, "");
	fakes[2].info.pod = "db-0";
	fakes[2].info.namespace = "prod";
	fakes[2].info.container = "postgres";
	interval(m, &r, 2 * SEC);
	fakes[2].info.pod = fakes[2].info.namespace = fakes[2].info.container = NULL;
	assert_string_equal(container(m, "db")->names.pod, "db-0");
	assert_string_equal(container(m, "db")->names.namespace, "prod");
	assert_string_equal(container(m, "db")->names.container, "postgres");
	assert_int_equal(container(m, "db")->counters.forks, 1);
	metrics__free(m);
}

/* Signals are counted node-wide; per container only with --container-detail. A signal
 * number or origin out of range is not counted anywhere. */
static void test_signals(void **state)
{
	struct metrics *m = new_model();
	struct read r;

	m->container_detail = true;
	read_reset(&r);
	read_signal(&r, WEB_CG, 9, RW_ORIGIN_PIDNS_TEARDOWN, 3);
	read_signal(&r, HOST_CG, 15, RW_ORIGIN_USER, 1);
	read_signal(&r, WEB_CG, SIGNAL_SLOTS, RW_ORIGIN_USER, 5);
	interval(m, &r, 1 * SEC);
	r.signals[0].count = 5;
	interval(m, &r, 2 * SEC);
	assert_int_equal(m->node_signals[9][RW_ORIGIN_PIDNS_TEARDOWN], 5);
	assert_int_equal(m->node_signals[15][RW_ORIGIN_USER], 1);
	assert_non_null(container(m, "web")->signals);
	assert_int_equal((*container(m, "web")->signals)[9][RW_ORIGIN_PIDNS_TEARDOWN], 5);
	assert_int_equal((*container(m, "web")->signals)[15][RW_ORIGIN_USER], 0);
	metrics__free(m);
}

static struct event reparent(uint64_t cgroup, enum rw_reaper_kind kind)
{
	struct event ev = { .type = RW_REC_REPARENT };

	ev.proc.cgroup = fake_lookup(NULL, cgroup);
	ev.reparent.kind = kind;
	return ev;
}

/* The father's exit is over: the orphan's real adopter was not the one predicted. */
static struct event correction(uint64_t cgroup, enum rw_reaper_kind predicted,
			       enum rw_reaper_kind kind)
{
	struct event ev = reparent(cgroup, kind);

	ev.reparent.corrected = true;
	ev.reparent.predicted_kind = predicted;
	return ev;
}

/* A correction moves the orphan's count from the predicted kind to the real one, unless
 * the prediction was written out already: a counter never goes down, and the orphan is
 * not counted twice. Teardowns count their kills by whether a SIGTERM came first. */
static void test_events(void **state)
{
	struct metrics *m = new_model();
	struct event ev = reparent(WEB_CG, RW_REAPER_HOST_INIT);
	const struct container_metrics *web;

	metrics__count_event(m, &ev);
	ev = correction(WEB_CG, RW_REAPER_HOST_INIT, RW_REAPER_SUBREAPER);
	metrics__count_event(m, &ev);
	web = container(m, "web");
	assert_int_equal(web->reparents[RW_REAPER_HOST_INIT], 0);
	assert_int_equal(web->reparents[RW_REAPER_SUBREAPER], 1);

	ev = reparent(WEB_CG, RW_REAPER_HOST_INIT);
	metrics__count_event(m, &ev);
	metrics__written(m);
	ev = correction(WEB_CG, RW_REAPER_HOST_INIT, RW_REAPER_SUBREAPER);
	metrics__count_event(m, &ev);
	web = container(m, "web");
	assert_int_equal(web->reparents[RW_REAPER_HOST_INIT], 1);
	assert_int_equal(web->reparents[RW_REAPER_SUBREAPER], 1);

	ev = (struct event){ .type = RW_REC_TEARDOWN };
	ev.proc.cgroup = fake_lookup(NULL, DB_CG);
	ev.teardown.sigkilled = 5;
	ev.teardown.sigkilled_without_sigterm = 2;
	metrics__count_event(m, &ev);
	assert_int_equal(container(m, "db")->teardowns, 1);
	assert_int_equal(container(m, "db")->teardown_sigkilled[0], 2);
	assert_int_equal(container(m, "db")->teardown_sigkilled[1], 3);
	metrics__free(m);
}

/* A reap the agent's sweep found (the kernel never counted it): in the histogram when its
 * latency is exact, else only in reaps_unmeasured; one of a process that died before the
 * agent started is not counted at all. */
static void test_late_reaps(void **state)
{
	struct metrics *m = new_model();
	struct event ev = { .type = RW_REC_REAP };
	const struct container_metrics *web;

	ev.proc.cgroup = fake_lookup(NULL, WEB_CG);
	ev.reap.how = RW_REAP_WAIT_ENTRY;
	ev.reap.latency_known = true;
	ev.reap.latency_ns = 3 * SEC;
	metrics__count_event(m, &ev);
	ev.reap.how = RW_REAP_FREE_ONLY;
	metrics__count_event(m, &ev);
	ev.reap.how = RW_REAP_UNTRACKED;
	metrics__count_event(m, &ev);
	web = container(m, "web");
	assert_int_equal(web->counters.reaps, 1);
	assert_int_equal(web->counters.reap_latency_sum_ns, 3 * SEC);
	assert_int_equal(web->counters.reap_latency_buckets[rw_latency_bucket(3 * SEC)], 1);
	assert_int_equal(web->counters.reaps_unmeasured, 1);
	assert_int_equal(m->node.reaps + m->node.reaps_unmeasured, 2);
	metrics__free(m);
}

static struct zombie *add_zombie(struct zombie_census *c, const char *container_id, uint64_t cg,
				 bool age_known, uint64_t zombie_ns)
{
	struct zombie *z = &c->zombies[c->count++];

	memset(z, 0, sizeof(*z));
	snprintf(z->container_id, sizeof(z->container_id), "%s", container_id);
	z->cgroup_id = cg;
	z->age_known = age_known;
	z->zombie_mono_ns = zombie_ns;
	return z;
}

/* The census gives each row its zombies and the oldest one's age; one that died before
 * any agent ran is at least as old as this one. */
static void test_zombies(void **state)
{
	struct metrics *m = new_model();
	struct zombie_census *census = calloc(1, sizeof(*census));
	struct read r;

	assert_non_null(census);
	census->zombies = calloc(4, sizeof(*census->zombies));
	assert_non_null(census->zombies);
	add_zombie(census, "web", WEB_CG, true, 5 * SEC);
	add_zombie(census, "web", WEB_CG, true, 2 * SEC);
	add_zombie(census, "", HOST_CG, false, 0);
	read_reset(&r);
	ngone = metrics__judge_cgroups(m, &gone);
	assert_int_equal(metrics__collect(m, &r.ks, census, 9 * SEC), 0);
	assert_int_equal(container(m, "web")->zombies, 2);
	assert_float_equal(container(m, "web")->zombie_oldest_s, 7.0, 1e-9);
	assert_int_equal(container(m, "")->zombies, 1);
	assert_float_equal(container(m, "")->zombie_oldest_s, 9.0, 1e-9); /* started at 0 */

	/* No census this time (/proc unreadable): no zombie counted. */
	assert_int_equal(metrics__collect(m, &r.ks, NULL, 10 * SEC), 0);
	assert_int_equal(container(m, "web")->zombies, 0);
	free(census->zombies);
	free(census);
	metrics__free(m);
}

/* Over --max-containers: the host, then containers with zombies, then the busiest are
 * kept, written out by id; the count of those left out is kept. */
static void test_select(void **state)
{
	struct metrics *m = new_model();
	struct zombie_census *census = calloc(1, sizeof(*census));
	struct read r;
	size_t order[8], n;

	assert_non_null(census);
	census->zombies = calloc(1, sizeof(*census->zombies));
	assert_non_null(census->zombies);
	add_zombie(census, "db", DB_CG, true, 0);
	read_reset(&r);
	read_cgroup(&r, WEB_CG)->forks = 100;
	read_cgroup(&r, DB_CG)->forks = 1;
	read_cgroup(&r, HOST_CG)->forks = 1;
	ngone = metrics__judge_cgroups(m, &gone);
	assert_int_equal(metrics__collect(m, &r.ks, census, 1 * SEC), 0);
	assert_int_equal(m->ncontainers, 3);
	assert_int_equal(container(m, "db")->zombies, 1);
	free(census->zombies);
	free(census);

	n = metrics__select(m, 1, order);
	assert_int_equal(n, 2);
	assert_int_equal(m->containers_over_limit, 1);
	assert_string_equal(m->containers[order[0]].id, "");
	assert_string_equal(m->containers[order[1]].id, "db");

	n = metrics__select(m, 5, order);
	assert_int_equal(n, 3);
	assert_int_equal(m->containers_over_limit, 0);
	assert_string_equal(m->containers[order[1]].id, "db");
	assert_string_equal(m->containers[order[2]].id, "web");
	metrics__free(m);
}

/* Over --max-containers, a container near its pids limit (threads leaking, nothing forking
 * or exiting) is kept before a busier one: its gauges are what the alert needs. */
static void test_select_near_pids_limit(void **state)
{
	struct metrics *m = new_model_walked(true);
	struct read r;
	size_t order[8], n;

	read_reset(&r);
	read_cgroup(&r, WEB_CG)->forks = 100;
	interval(m, &r, 1 * SEC);
	assert_int_equal(m->ncontainers, 3);
	((struct container_metrics *)container(m, "db"))->pids_current = 48;
	((struct container_metrics *)container(m, "db"))->pids_max = 50;
	n = metrics__select(m, 1, order);
	assert_int_equal(n, 2);
	assert_string_equal(m->containers[order[1]].id, "db");
	((struct container_metrics *)container(m, "db"))->pids_current = 20;
	n = metrics__select(m, 1, order);
	assert_string_equal(m->containers[order[1]].id, "web");
	metrics__free(m);
}

/* The Prometheus text of a small model: labels from the container's names, the host with
 * empty ones, counters as read. */
static void test_prometheus_text(void **state)
{
	struct metrics *m = new_model();
	struct capture cap;
	struct read r;
	size_t order[4], n;

	read_reset(&r);
	read_cgroup(&r, WEB_CG)->exits = 3;
	read_cgroup(&r, HOST_CG)->exits = 2;
	interval(m, &r, 1 * SEC);
	n = metrics__select(m, SIZE_MAX, order);
	render_prometheus(capture_open(&cap), m, order, n);
	capture_close(&cap);
	assert_non_null(strstr(cap.buf, "# TYPE reapwatch_exits_total counter\n"
					"reapwatch_exits_total{container_id=\"\",pod=\"\","
					"namespace=\"\",container=\"\"} 2\n"
					"reapwatch_exits_total{container_id=\"web\",pod=\"web-0\","
					"namespace=\"prod\",container=\"nginx\"} 3\n"));
	assert_non_null(strstr(cap.buf, "reapwatch_cgroups_tracked 2\n"));
	assert_null(strstr(cap.buf, "container_id=\"" GONE_CONTAINER_ID "\",")); /* no such row */
	capture_free(&cap);
	metrics__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_what_each_read_gained),
		cmocka_unit_test(test_gone_cgroup_counted_released_folded),
		cmocka_unit_test(test_idle_containers_have_series),
		cmocka_unit_test(test_names_that_come_later),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_late_reaps),
		cmocka_unit_test(test_zombies),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_select_near_pids_limit),
		cmocka_unit_test(test_prometheus_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
