// SPDX-License-Identifier: GPL-2.0
/*
 * `reapwatch top`: one screen, 80 columns, a row per container, worst first
 * (most zombies, then most teardown SIGKILLs).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "render.h"

static const uint64_t bounds_ns[RW_LATENCY_BUCKETS] = RW_LATENCY_BOUNDS_NS;

/* "12us", "3.4ms", "2.5s", "1m05s", "3h02m" */
static void format_duration(char *buf, size_t len, double secs)
{
	if (secs < 0.001)
		snprintf(buf, len, "%.0fus", secs * 1e6);
	else if (secs < 1)
		snprintf(buf, len, "%.1fms", secs * 1e3);
	else if (secs < 60)
		snprintf(buf, len, "%.1fs", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%dm%02ds", (int)secs / 60, (int)secs % 60);
	else
		snprintf(buf, len, "%dh%02dm", (int)(secs / 3600), (int)secs % 3600 / 60);
}

/* At least `secs` (rounded down), in at most 7 columns: ">0.4s", ">47.1s", ">12m05s". */
static void format_lower_bound(char *buf, size_t len, double secs)
{
	buf[0] = '>';
	if (secs < 60)
		snprintf(buf + 1, len - 1, "%.1fs", (double)(long long)(secs * 10) / 10);
	else
		format_duration(buf + 1, len - 1, secs);
}

/* The histogram's q-quantile, as the upper bound of the bucket it falls in. */
static void format_quantile(char *buf, size_t len, const struct counters *c, double q)
{
	uint64_t total = 0, seen = 0;

	for (int b = 0; b <= RW_LATENCY_BUCKETS; b++)
		total += c->reap_latency_buckets[b];
	if (!total) {
		snprintf(buf, len, "-");
		return;
	}
	for (int b = 0; b < RW_LATENCY_BUCKETS; b++) {
		seen += c->reap_latency_buckets[b];
		if ((double)seen >= q * (double)total) {
			buf[0] = '<';
			format_duration(buf + 1, len - 1, (double)bounds_ns[b] / 1e9);
			return;
		}
	}
	snprintf(buf, len, ">1h");
}

static const struct metrics *sort_m;

static int worst_first(const void *a, const void *b)
{
	const struct container_metrics *x = &sort_m->containers[*(const size_t *)a];
	const struct container_metrics *y = &sort_m->containers[*(const size_t *)b];
	uint64_t kx = x->teardown_sigkilled[0] + x->teardown_sigkilled[1];
	uint64_t ky = y->teardown_sigkilled[0] + y->teardown_sigkilled[1];

	if (x->zombies != y->zombies)
		return x->zombies > y->zombies ? -1 : 1;
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return strcmp(x->id, y->id);
}

void render_top(FILE *out, const struct metrics *m, const char *now, double interval_s,
		size_t max_rows, bool keys)
{
	size_t *order = calloc(m->ncontainers + 1, sizeof(*order));
	size_t n = m->ncontainers;

	if (!order)
		return;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_m = m;
	qsort(order, n, sizeof(*order), worst_first);

	fprintf(out, "reapwatch top  %s  every %gs  %zu container%s  lost %" PRIu64 "%s\n", now,
		interval_s, n ? n - 1 : 0, n == 2 ? "" : "s", m->events_lost,
		keys ? "  q: quit" : "");
	fprintf(out, "%-12s %-17s %5s %7s %7s %7s %5s %6s %6s\n", "CONTAINER", "POD/CONTAINER",
		"ZOMB", "OLDEST", "REAP50", "REAP99", "ORPH", "KILLED", "NOTERM");
	for (size_t k = 0; k < n && k < max_rows; k++) {
		const struct container_metrics *c = &m->containers[order[k]];
		char name[2 * KUBE_NAME_MAX + 2] = "-", esc[TEXT_COLUMN_CAP(17)], oldest[16] = "-";
		char escaped[4 * sizeof(name)], p50[16], p99[16];
		uint64_t orphans = 0;

		for (int kind = 0; kind < REAPER_KINDS; kind++)
			orphans += c->reparents[kind];
		if (c->names.pod[0] && c->names.container[0])
			snprintf(name, sizeof(name), "%s/%s", c->names.pod, c->names.container);
		else if (c->names.pod[0]) /* a pod's sandbox, or one whose log link is to come */
			snprintf(name, sizeof(name), "%s", c->names.pod);
		text_escape(escaped, sizeof(escaped), name, strlen(name));
		text_column(esc, sizeof(esc), escaped, 17);
		if (c->zombies && c->zombie_oldest_bound)
			format_lower_bound(oldest, sizeof(oldest), c->zombie_oldest_s);
		else if (c->zombies)
			format_duration(oldest, sizeof(oldest), c->zombie_oldest_s);
		format_quantile(p50, sizeof(p50), &c->counters, 0.5);
		format_quantile(p99, sizeof(p99), &c->counters, 0.99);
		fprintf(out, "%-12.12s %s %5" PRIu32 " %7s %7s %7s %5" PRIu64 " %6" PRIu64
			     " %6" PRIu64 "\n",
			c->id[0] ? c->id : "(host)", esc, c->zombies, oldest, p50, p99, orphans,
			c->teardown_sigkilled[0] + c->teardown_sigkilled[1],
			c->teardown_sigkilled[0]);
	}
	if (n > max_rows)
		fprintf(out, "... %zu more\n", n - max_rows);
	free(order);
}
