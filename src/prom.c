// SPDX-License-Identifier: GPL-2.0
/*
 * reapwatch.prom: every metric of SPEC.md with HELP and TYPE, container-scoped
 * series labelled container_id, pod, namespace, container (empty strings for the
 * host or unknown names), every label value escaped.
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

#define FOR_EACH(i) for (size_t k = 0, i; k < n && ((i = order[k]), 1); k++)

static void render_gauges(FILE *out, const struct metrics *m, const size_t *order, size_t n)
{
	header(out, "reapwatch_zombies", "gauge", "Zombie processes present now.");
	FOR_EACH(i) {
		series(out, "reapwatch_zombies", &m->containers[i]);
		value_u64(out, m->containers[i].zombies);
	}
	header(out, "reapwatch_zombie_oldest_seconds", "gauge",
	       "Age of the oldest zombie (a lower bound for zombies older than the agent), "
	       "0 without zombies.");
	FOR_EACH(i) {
		series(out, "reapwatch_zombie_oldest_seconds", &m->containers[i]);
		fprintf(out, "} %.3f\n", m->containers[i].zombie_oldest_s);
	}
	header(out, "reapwatch_pids_current", "gauge",
	       "Processes and threads in the container's pids cgroup.");
	FOR_EACH(i) {
		if (m->containers[i].pids_current < 0)
			continue;
		series(out, "reapwatch_pids_current", &m->containers[i]);
		value_u64(out, (uint64_t)m->containers[i].pids_current);
	}
	header(out, "reapwatch_pids_max", "gauge",
	       "The pids cgroup's limit (absent when it is \"max\").");
	FOR_EACH(i) {
		if (m->containers[i].pids_max < 0 || m->containers[i].pids_current < 0)
			continue;
		series(out, "reapwatch_pids_max", &m->containers[i]);
		value_u64(out, (uint64_t)m->containers[i].pids_max);
	}
}

static void render_latency(FILE *out, const struct metrics *m, const size_t *order, size_t n)
{
	header(out, "reapwatch_reap_latency_seconds", "histogram",
	       "Time from a process becoming a zombie to its reaping.");
	FOR_EACH(i) {
		const struct counters *c = &m->containers[i].counters;
		uint64_t cum = 0;

		for (int b = 0; b <= RW_LATENCY_BUCKETS; b++) {
			cum += c->reap_latency_buckets[b];
			series(out, "reapwatch_reap_latency_seconds_bucket", &m->containers[i]);
			if (b < RW_LATENCY_BUCKETS)
				fprintf(out, ",le=\"%g\"", (double)latency_bounds_ns[b] / 1e9);
			else
				fputs(",le=\"+Inf\"", out);
			value_u64(out, cum);
		}
		series(out, "reapwatch_reap_latency_seconds_sum", &m->containers[i]);
		fprintf(out, "} %.9f\n", (double)c->reap_latency_sum_ns / 1e9);
		series(out, "reapwatch_reap_latency_seconds_count", &m->containers[i]);
		value_u64(out, cum);
	}
}

static void render_counters(FILE *out, const struct metrics *m, const size_t *order, size_t n)
{

	header(out, "reapwatch_exits_total", "counter", "Processes that exited.");
	FOR_EACH(i) {
		series(out, "reapwatch_exits_total", &m->containers[i]);
		value_u64(out, m->containers[i].counters.exits);
	}
	header(out, "reapwatch_reaps_unmeasured_total", "counter",
	       "Reaps whose time is only bounded (no wait() seen: timed at the task's free), "
	       "kept out of reapwatch_reap_latency_seconds.");
	FOR_EACH(i) {
		series(out, "reapwatch_reaps_unmeasured_total", &m->containers[i]);
		value_u64(out, m->containers[i].counters.reaps_unmeasured);
	}
	header(out, "reapwatch_forks_total", "counter", "Processes created.");
	FOR_EACH(i) {
		series(out, "reapwatch_forks_total", &m->containers[i]);
		value_u64(out, m->containers[i].counters.forks);
	}
	header(out, "reapwatch_reparents_total", "counter",
	       "Orphans handed to a new parent, by the kind of adopter.");
	FOR_EACH(i) {
		for (int kind = 0; kind < REAPER_KINDS; kind++) {
			series(out, "reapwatch_reparents_total", &m->containers[i]);
			label(out, "reaper_kind", reaper_kind_name(kind), false);
			value_u64(out, m->containers[i].reparents[kind]);
		}
	}
	header(out, "reapwatch_signals_total", "counter",
	       "Signals generated, by signal and origin.");
	FOR_EACH(i) {
		for (int sig = 1; sig < SIGNAL_SLOTS; sig++) {
			for (int o = 0; o < ORIGIN_SLOTS; o++) {
				uint64_t v = m->containers[i].counters.signals[sig][o];
				const char *name = signal_name(sig);

				if (!v || !name)
					continue;
				series(out, "reapwatch_signals_total", &m->containers[i]);
				label(out, "signal", name, false);
				label(out, "origin", signal_origin_name(o), false);
				value_u64(out, v);
			}
		}
	}
	header(out, "reapwatch_pidns_teardowns_total", "counter",
	       "Pid namespaces torn down because their init exited.");
	FOR_EACH(i) {
		series(out, "reapwatch_pidns_teardowns_total", &m->containers[i]);
		value_u64(out, m->containers[i].teardowns);
	}
	header(out, "reapwatch_teardown_sigkilled_total", "counter",
	       "Processes killed by a pid namespace teardown, by whether a SIGTERM came first.");
	FOR_EACH(i) {
		for (int first = 0; first < 2; first++) {
			series(out, "reapwatch_teardown_sigkilled_total", &m->containers[i]);
			label(out, "sigterm_first", first ? "true" : "false", false);
			value_u64(out, m->containers[i].teardown_sigkilled[first]);
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
	header(out, "reapwatch_containers_over_limit", "gauge",
	       "Containers whose series were left out by --max-containers.");
	fprintf(out, "reapwatch_containers_over_limit %zu\n", m->containers_over_limit);
	header(out, "reapwatch_build_info", "gauge", "reapwatch's version.");
	fputs("reapwatch_build_info{version=\"", out);
	prom_escape_label(out, REAPWATCH_VERSION, strlen(REAPWATCH_VERSION));
	fputs("\"} 1\n", out);
}
