/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF side's lifecycle: open -> configure -> load -> attach -> poll -> free.
 * Every command that watches the kernel goes through this one door.
 */
#ifndef REAPWATCH_AGENT_H
#define REAPWATCH_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <bpf/libbpf.h>
#include "reapwatch.h"

struct agent;
struct kstats;

struct agent_config {
	uint32_t event_mask;  /* RW_EVENT_BIT()s the kernel side should send */
	bool track_reaping;   /* keep zombie state in the kernel (reap events, zombie ages) */
	bool aggregate;	      /* count per cgroup in the kernel (export, top) */
	bool late_reaps;      /* hand the sweep's reap records to the callback even when
				 event_mask has no reaps (export, top: to count them) */
};

/* The agent export and top run: counting is done in the kernel, per cgroup; only the rare
 * events (reparents, teardowns) come as records, and the reaps the sweep finds late. */
static inline struct agent_config agent_config_counting(void)
{
	return (struct agent_config){
		.event_mask = RW_EVENT_BIT(RW_REC_REPARENT) | RW_EVENT_BIT(RW_REC_TEARDOWN),
		.track_reaping = true,
		.late_reaps = true,
		.aggregate = true,
	};
}

/* Called for every record, in order per CPU; a negative return stops the poll. */
typedef int (*agent_record_fn)(void *ctx, void *data, size_t size);

/* libbpf's print callback for every command: its lines are kept for the one line a refused
 * load gets (load_log.h), and printed only with REAPWATCH_DEBUG set. */
int agent_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

/* Prints one line naming what failed and what to do, and returns -errno. */
int agent__open(struct agent **out, const struct agent_config *config, agent_record_fn fn,
		void *ctx);
/* Wait up to timeout_ms for the kernel to ask for a drain, then drain. Records or -errno. */
int agent__poll(struct agent *agent, int timeout_ms);
/* Stop tracing: no record comes after, and every reap of a process gone is reported (the
 * last records go to the callback). 0 or -errno. */
int agent__stop(struct agent *agent);
/* Records the kernel side could not queue (ring buffer full). */
uint64_t agent__lost(const struct agent *agent);
/* Processes whose free the kernel side missed, found gone and reported late. */
uint64_t agent__swept(const struct agent *agent);
/* One of the kernel side's counters (enum rw_counter), summed over CPUs. */
uint64_t agent__counter(const struct agent *agent, unsigned int counter);
/*
 * What the kernel side's aggregation maps hold now (config.aggregate), as plain data
 * (kstats.h) good until the next read or the agent's free. 0 or -errno.
 */
int agent__read_stats(struct agent *agent, const struct kstats **stats);
/* Delete the aggregation maps' entries of these cgroups (as the last read found them):
 * they are gone, and what the entries said is counted. */
void agent__forget_stats(struct agent *agent, const uint64_t *cgroup_ids, size_t n);

/* What the kernel side could not keep or follow, by reason: reapwatch_kernel_drops_total. */
enum agent_drop {
	AGENT_DROP_PROCS_FULL,
	AGENT_DROP_ORPHANS_FULL,
	AGENT_DROP_PENDING_FULL,
	AGENT_DROP_ORPHAN_WALK_CUT,
	AGENT_DROP_WAIT_WALK_CUT,
	AGENT_DROP_TERMED_FULL,
	AGENT_DROP_FIRST_SIGTERM_FULL,
	AGENT_DROP_TEARDOWNS_FULL,
	AGENT_DROP_TASK_WALK_CUT,
	AGENT_DROP_STATS_FULL,
	AGENT_DROP_WAITERS_FULL,
	AGENT_DROP_FREE_MISSED,
	AGENT_DROP_RECURSION,
	AGENT_DROPS,
};

struct agent_drop_reason {
	const char *name;     /* the `reason` label and the trace record's `reason` */
	unsigned int counter; /* enum rw_counter; RW_CTR_MAX: not one */
	const char *cost;     /* what the user loses, for a person */
	bool late_only;	      /* nothing is lost, only late: trace shows it as it comes */
};

extern const struct agent_drop_reason agent_drop_reasons[AGENT_DROPS];

/* Every reason's count since the agent started (monotonic). */
void agent__drops(const struct agent *agent, uint64_t drops[AGENT_DROPS]);
void agent__free(struct agent *agent);

#endif /* REAPWATCH_AGENT_H */
