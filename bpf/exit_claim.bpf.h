/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Owns map `exit_claims` and the knob `exit_compat`: which thread's exit is the process's
 * on a kernel whose sched_process_exit does not pass group_dead (core_fixes.bpf.h,
 * exit_has_group_dead()), for handle_exit_compat and handle_exit_noloop; handle_free
 * releases the claims.
 *
 * do_exit() decrements signal->live before the tracepoint, so the thread that took it to
 * zero sees zero there; but a sibling that decremented it first and reaches the tracepoint
 * later sees zero too. The first thread to claim the process (keyed by its signal_struct,
 * deleted at the leader's free, which comes after every thread's exit) is the one: one
 * exit per process either way, from whichever thread got there first.
 */
#ifndef REAPWATCH_EXIT_CLAIM_BPF_H
#define REAPWATCH_EXIT_CLAIM_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Set by userspace: the kernel has no group_dead: handle_exit_compat or handle_exit_noloop
 * runs, and frees release their exit claims. */
const volatile bool exit_compat = false;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* LRU: a claim whose free we missed ages out */
	__uint(max_entries, 8192);
	__type(key, __u64);   /* struct signal_struct address */
	__type(value, __u64); /* the claiming process's leader start_time */
} exit_claims SEC(".maps");

static __always_inline bool claim_process_exit(struct task_struct *task)
{
	__u64 key = (__u64)task->signal, start = task->group_leader->start_time, *claim;

	if (!bpf_map_update_elem(&exit_claims, &key, &start, BPF_NOEXIST))
		return true;
	claim = bpf_map_lookup_elem(&exit_claims, &key);
	if (!claim)
		return true; /* the map refused it: one exit too many beats one missing */
	if (*claim == start)
		return false; /* a sibling thread claimed it */
	/* A stale claim: this signal_struct's memory held another process before. */
	*claim = start;
	return true;
}

/* Is this thread's exit its process's? No thread left alive, and the first to say so. */
static __always_inline bool exit_claimed(struct task_struct *task)
{
	return !task->signal->live.counter && claim_process_exit(task);
}

/* At a task's free: the leader goes last, after every thread's exit tracepoint. */
static __always_inline void release_exit_claim(struct task_struct *task)
{
	__u64 key = (__u64)task->signal;

	if (task->pid == task->tgid)
		bpf_map_delete_elem(&exit_claims, &key);
}

#endif /* REAPWATCH_EXIT_CLAIM_BPF_H */
