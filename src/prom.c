// SPDX-License-Identifier: GPL-2.0
/*
 * reapwatch.prom: every metric of docs/reapwatch.md with HELP and TYPE, container-scoped
 * series labelled container_id, pod, namespace, container (empty strings for the
 * host or unknown names), every label value escaped. The rows are the containers
 * chosen (the host first), then GONE_CONTAINER_ID once something was folded into it.
 * The reap latency histogram and the signals are node-wide, with empty container
 * labels, unless --container-detail asks for them per row.
 */
#include <inttypes.h>
#include <string.h>
#include "escape.h"
#include "event.h"
#include "prom.h"
#include "signames.h"

static const uint64_t latency_bounds_ns[RW_LATENCY_BUCKETS] = RW_LATENCY_BOUNDS_NS;

static void header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label(FILE *out, const char *name, const char *value, bool first)
{
	fprintf(out, "%s%s=\"", first ? "" : ",", name);
	prom_escape_label(out, value, strlen(value));
	putc('"', out);
}

/* `name{container labels[,extra="value"]...` — the caller closes the brace. */
static void series(FILE *out, const char *name, const struct container_metrics *c)
{
	fprintf(out, "%s{", name);
	label(out, "container_id", c->id, true);
	label(out, "pod", c->names.pod, false);
	label(out, "namespace", c->names.namespace, false);
	label(out, "container", c->names.container, false);
}

static void value_u64(FILE *out, uint64_t v)
{
	fprintf(out, "} %" PRIu64 "\n", v);
}

/* Each row: order[0..n), then the folded containers' when there are any. */
#define FOR_EACH(c)                                                                      \
	for (size_t k = 0; k < n + m->gone_used; k++)                                    \
		for (const struct container_metrics *c =                                 \
			     k < n ? &m->containers[order[k]] : &m->gone;                \
		     c; c = NULL)

/* The node-wide row of the histogram and the signals: every label empty. */
static const struct container_metrics node_row;

static void render_gauges(FILE *out, const struct metrics *m, const size_t *order, size_t n)
{
	header(out, "reapwatch_zombies", "gauge", "Zombie processes present now.");
	FOR_EACH(c) {
		series(out, "reapwatch_zombies", c);
		value_u64(out, c->zombies);
	}
	header(out, "reapwatch_zombie_oldest_seconds", "gauge",
	       "Age of the oldest zombie (a lower bound for zombies older than the agent), "
	       "0 without zombies.");
	FOR_EACH(c) {
		series(out, "reapwatch_zombie_oldest_seconds", c);
		fprintf(out, "} %.3f\n", c->zombie_oldest_s);
	}
	header(out, "reapwatch_pids_current", "gauge",
	       "Processes and threads in the container's pids cgroup.");
	FOR_EACH(c) {
		if (c->pids_current < 0)
			continue;
		series(out, "reapwatch_pids_current", c);
		value_u64(out, (uint64_t)c->pids_current);
	}
	header(out, "reapwatch_pids_max", "gauge",
	       "The pids cgroup's limit (absent when it is \"max\").");
	FOR_EACH(c) {
		if (c->pids_max < 0 || c->pids_current < 0)
			continue;
		series(out, "reapwatch_pids_max", c);
		value_u64(out, (uint64_t)c->pids_max);
	}
}

static void latency_row(FILE *out, const struct container_metrics *row, const struct counters *c)
{
	uint64_t cum = 0;

	for (int b = 0; b <= RW_LATENCY_BUCKETS; b++) {
		cum += c->reap_latency_buckets[b];
		series(out, "reapwatch_reap_latency_seconds_bucket", row);
		if (b < RW_LATENCY_BUCKETS)
			fprintf(out, ",le=\"%g\"", (double)latency_bounds_ns[b] / 1e9);
		else
			fputs(",le=\"+Inf\"", out);
		value_u64(out, cum);
	}
	series(out, "reapwatch_reap_latency_seconds_sum", row);
	fprintf(out, "} %.9f\n", (double)c->reap_latency_sum_ns / 1e9);
	series(out, "reapwatch_reap_latency_seconds_count", row);
	value_u64(out, cum);
}

static void render_latency(FILE *out, const struct metrics *m, const size_t *order, size_t n)
{
	if (!m->container_detail) {
		header(out, "reapwatch_reap_latency_seconds", "histogram",
		       "Time from a process becoming a zombie to its reaping, node-wide "
		       "(per container with --container-detail).");
		latency_row(out, &node_row, &m->node);
		return;
	}
	header(out, "reapwatch_reap_latency_seconds", "histogram",
	       "Time from a process becoming a zombie to its reaping.");
	FOR_EACH(c)
		latency_row(out, c, &c->counters);
}

static void signals_row(FILE *out, const struct container_metrics *row, const signal_counts *sc)
{
	for (int sig = 1; sig < SIGNAL_SLOTS; sig++) {
		for (int o = 0; o < ORIGIN_SLOTS; o++) {
			uint64_t v = sc ? (*sc)[sig][o] : 0;
			const char *name = signal_name(sig);

			if (!v || !name)
				continue;
			series(out, "reapwatch_signals_total", row);
			label(out, "signal", name, false);
			label(out, "origin", signal_origin_name(o), false);
			value_u64(out, v);
		}
	}
}

static void render_counters(FILE *out, const struct metrics *m, const size_t *order, size_t n)
{

	header(out, "reapwatch_exits_total", "counter", "Processes that exited.");
	FOR_EACH(c) {
		series(out, "reapwatch_exits_total", c);
		value_u64(out, c->counters.exits);
	}
	header(out, "reapwatch_reaps_unmeasured_total", "counter",
	       "Reaps whose time is only bounded (no wait() seen: timed at the task's free), "
	       "kept out of reapwatch_reap_latency_seconds.");
	FOR_EACH(c) {
		series(out, "reapwatch_reaps_unmeasured_total", c);
		value_u64(out, c->counters.reaps_unmeasured);
	}
	header(out, "reapwatch_forks_total", "counter", "Processes created.");
	FOR_EACH(c) {
		series(out, "reapwatch_forks_total", c);
		value_u64(out, c->counters.forks);
	}
	header(out, "reapwatch_reparents_total", "counter",
	       "Orphans handed to a new parent, by the kind of adopter.");
	FOR_EACH(c) {
		for (int kind = 0; kind < REAPER_KINDS; kind++) {
			series(out, "reapwatch_reparents_total", c);
			label(out, "reaper_kind", reaper_kind_name(kind), false);
			value_u64(out, c->reparents[kind]);
		}
	}
	if (!m->container_detail) {
		header(out, "reapwatch_signals_total", "counter",
		       "Signals generated, by signal and origin, node-wide "
		       "(per container with --container-detail).");
		signals_row(out, &node_row, &m->node_signals);
	} else {
		header(out, "reapwatch_signals_total", "counter",
		       "Signals generated, by signal and origin.");
		FOR_EACH(c)
			signals_row(out, c, c->signals);
	}
	header(out, "reapwatch_pidns_teardowns_total", "counter",
	       "Pid namespaces torn down because their init exited.");
	FOR_EACH(c) {
		series(out, "reapwatch_pidns_teardowns_total", c);
		value_u64(out, c->teardowns);
	}
	header(out, "reapwatch_teardown_sigkilled_total", "counter",
	       "Processes killed by a pid namespace teardown, by whether a SIGTERM came first.");
	FOR_EACH(c) {
		for (int first = 0; first < 2; first++) {
			series(out, "reapwatch_teardown_sigkilled_total", c);
			label(out, "sigterm_first", first ? "true" : "false", false);
			value_u64(out, c->teardown_sigkilled[first]);
		}
	}
}

void render_prometheus(FILE *out, const struct metrics *m, const size_t *order, size_t n)
{
	render_gauges(out, m, order, n);
	render_latency(out, m, order, n);
	render_counters(out, m, order, n);

	header(out, "reapwatch_events_lost_total", "counter",
	       "Events the kernel side could not queue (ring buffer full).");
	fprintf(out, "reapwatch_events_lost_total %" PRIu64 "\n", m->events_lost);
	header(out, "reapwatch_kernel_counters_dropped_total", "counter",
	       "Per-cgroup counts the kernel side could not keep (its maps were full).");
	fprintf(out, "reapwatch_kernel_counters_dropped_total %" PRIu64 "\n", m->stats_dropped);
	header(out, "reapwatch_kernel_drops_total", "counter",
	       "What the kernel side could not keep or follow, by reason (see reapwatch(8)).");
	for (size_t i = 0; i < m->nkernel_drops; i++) {
		fputs("reapwatch_kernel_drops_total{", out);
		label(out, "reason", m->kernel_drops[i].reason, true);
		value_u64(out, m->kernel_drops[i].count);
	}
	header(out, "reapwatch_containers_over_limit", "gauge",
	       "Containers whose series were left out by --max-containers.");
	fprintf(out, "reapwatch_containers_over_limit %zu\n", m->containers_over_limit);
	header(out, "reapwatch_containers_folded_total", "counter",
	       "Gone containers whose series were folded into those with container_id=\""
	       GONE_CONTAINER_ID "\".");
	fprintf(out, "reapwatch_containers_folded_total %" PRIu64 "\n", m->containers_folded);
	header(out, "reapwatch_cgroups_tracked", "gauge",
	       "Cgroups whose kernel-side counters the agent reads now (live ones, and gone ones "
	       "until their last read).");
	fprintf(out, "reapwatch_cgroups_tracked %zu\n", m->ncgroups);
	header(out, "reapwatch_build_info", "gauge", "reapwatch's version.");
	fputs("reapwatch_build_info{version=\"", out);
	prom_escape_label(out, REAPWATCH_VERSION, strlen(REAPWATCH_VERSION));
	fputs("\"} 1\n", out);
}
