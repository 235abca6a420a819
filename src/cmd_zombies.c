// SPDX-License-Identifier: GPL-2.0
/*
 * `reapwatch zombies`: the zombies present now, grouped under the parent that has
 * not reaped them, with a verdict when a container's PID 1 is the one not reaping.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "commands.h"
#include "filter.h"
#include "render.h"
#include "subreapers.h"
#include "util.h"
#include "zombies.h"

#define PROC_ROOT "/proc"
/* A zombie younger than this may just be on its way to a normal reap. */
#define VERDICT_MIN_AGE_NS 1000000000ull

/* By parent, then oldest zombie first, unknown ages last. */

static int by_parent_then_age(const void *a, const void *b)
{
	const struct zombie *x = a, *y = b;

	if (x->stat.ppid != y->stat.ppid) {
		return x->stat.ppid < y->stat.ppid ? -1 : 1;
	}
	if (x->age_known != y->age_known)
		return x->age_known ? -1 : 1;
	if (x->age_known && x->zombie_mono_ns != y->zombie_mono_ns)
		return x->zombie_mono_ns < y->zombie_mono_ns ? -1 : 1;
	return (x->stat.pid > y->stat.pid) - (x->stat.pid < y->stat.pid);
}

static bool in_container(const struct zombie *z, const char *query)
{
	return !query ||
	       container_names_match(query, z->container_id, z->names ? z->names->pod : NULL,
				     z->names ? z->names->container : NULL);
}

static bool old_enough(const struct zombie *z, const struct zombies_opts *opts, uint64_t now)
{
	if (opts->min_age_s <= 0)
		return true;
	return z->age_known && zombie_age_ns(z, now) >= (uint64_t)(opts->min_age_s * 1e9);
}

int cmd_zombies(const struct command *cmd, int argc, char **argv)
{
	struct zombies_opts opts;
	struct zombie_census *census;
	struct subreapers *subreapers;
	char err[ARGS_ERR_LEN];
	size_t shown = 0, unknown_left_out = 0;
	uint64_t now;
	int ret;

	ret = parse_zombies_args(argc, argv, &opts, err, sizeof(err));
	if (ret == ARGS_HELP) {
		print_command_help(stdout, cmd);
		return EXIT_OK;
	}
	if (ret)
		return usage_error(cmd, err);

	ret = zombie_census__new(&census, PROC_ROOT);
	if (ret) {
		rw_error("reading %s failed: %s", PROC_ROOT, strerror(-ret));
		return EXIT_RUNTIME;
	}
	zombie_census__add_ages(census, ZOMBIE_AGES_FILE);
	zombie_census__retire_stale_pins(census, ZOMBIE_AGES_FILE);
	subreapers = subreapers__new();
	zombie_census__label_subreapers(census, subreapers);
	subreapers__free(subreapers);
	zombie_census__label_names(census, kube_log_dir(), kube_pods_dir());
	now = mono_now_ns();
	if (census->count)
		qsort(census->zombies, census->count, sizeof(*census->zombies), by_parent_then_age);

	/* Keep only what --container and --min-age ask for, in place. */
	for (size_t i = 0; i < census->count; i++) {
		if (!in_container(&census->zombies[i], opts.container))
			continue;
		if (old_enough(&census->zombies[i], &opts, now))
			census->zombies[shown++] = census->zombies[i];
		else if (!census->zombies[i].age_known)
			unknown_left_out++;
	}
	census->count = shown;

	if (opts.json)
		for (size_t i = 0; i < census->count; i++)
			render_zombie_json(stdout, &census->zombies[i], now);
	else
		render_zombies_text(stdout, census->zombies, census->count, now);

	/* The verdict: a container's PID 1 holding zombies it does not reap. */
	for (size_t i = 0; i < census->count;) {
		const struct zombie *first = &census->zombies[i];
		size_t j = i, old = 0;

		/* (an unknown age is at most the process's lifetime: one that started a moment ago
		 * is no old zombie) */
		for (; j < census->count && census->zombies[j].stat.ppid == first->stat.ppid; j++)
			old += census->zombies[j].age_known
				       ? zombie_age_ns(&census->zombies[j], now) >= VERDICT_MIN_AGE_NS
				       : zombie_lifetime_ns(&census->zombies[j]) >= VERDICT_MIN_AGE_NS;
		if (first->parent_ns_pid == 1 && first->parent_pidns &&
		    first->parent_pidns != census->host_pidns && old)
			render_init_verdict(opts.json ? stderr : stdout, first, j - i);
		i = j;
	}
	if (unknown_left_out)
		fprintf(stderr,
			"reapwatch: %zu zombie(s) of unknown age left out by --min-age (they died "
			"while no reapwatch agent was running)\n",
			unknown_left_out);
	zombie_census__free(census);
	return EXIT_OK; /* main() checks that stdout was written */
}
