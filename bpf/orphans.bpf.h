/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Orphans and their adopters.
 *
 * When the last thread of a process exits, exit_notify() -> forget_original_parent()
 * hands every child to find_new_reaper()'s choice: a live thread of the same process
 * (none is left by then), else the nearest ancestor that set PR_SET_CHILD_SUBREAPER
 * within the father's pid namespace, else the namespace's child_reaper (its init).
 * At sched_process_exit the children list is still the father's, so we replay that
 * rule there and report each child. The rule can race (a subreaper dying at the same
 * moment): each prediction is remembered and checked against the orphan's real
 * parent at its own exit; a disagreement is sent again, corrected, and counted.
 */
#ifndef REAPWATCH_ORPHANS_BPF_H
#define REAPWATCH_ORPHANS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "children.bpf.h"
#include "events.bpf.h"
#include "reaping.bpf.h"
#include "reapwatch.h"
#include "task.bpf.h"

#define RW_EXIT_DEAD 0x00000010
#define MAX_ANCESTORS 64

/* Set by userspace: bound on one dying father's children walk. */
const volatile __u32 orphan_walk_max = 65536;

struct orphan_prediction {
	__u32 reaper_tgid;
	__u32 _pad;
	__u64 start_time; /* the orphan's: see check_adopter() */
	struct rw_peer old_parent;
};

/* Keyed by the orphan's task_struct address; deleted at its exit or free. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct orphan_prediction);
} orphans SEC(".maps");

__s64 orphans_live;

static __always_inline unsigned int task_pid_level(struct task_struct *task)
{
	return task->thread_pid->level;
}

static __always_inline bool alive(struct task_struct *task)
{
	return task->signal->live.counter > 0;
}

/*
 * find_new_reaper() for a father none of whose threads is alive. Returns NULL when
 * the father is its namespace's init: zap_pid_ns_processes() kills and reaps what
 * is left instead (a teardown, not an adoption).
 */
static __always_inline struct task_struct *predict_reaper(struct task_struct *father, __u8 *kind)
{
	struct task_struct *reaper = task_pidns(father)->child_reaper;
	unsigned int level = task_pid_level(father);

	if (!reaper || reaper->tgid == father->tgid)
		return NULL;
	struct signal_struct *sig = father->signal;

	if (BPF_CORE_READ_BITFIELD(sig, has_child_subreaper)) {
		struct task_struct *anc = father->real_parent;

		for (int i = 0; i < MAX_ANCESTORS; i++) {
			/* Stay in the father's namespace (setns()+fork() can put an outsider
			 * in between), and stop at the idle task, pid 0. */
			if (!anc || task_pid_level(anc) != level || anc->pid == 0)
				break;
			sig = anc->signal;
			if (BPF_CORE_READ_BITFIELD(sig, is_child_subreaper) && alive(anc)) {
				*kind = RW_REAPER_SUBREAPER;
				return anc;
			}
			anc = anc->real_parent;
		}
	}
	*kind = task_pid_level(reaper) ? RW_REAPER_PIDNS_INIT : RW_REAPER_HOST_INIT;
	return reaper;
}

static __always_inline void send_reparent(struct task_struct *orphan,
					  const struct rw_peer *old_parent,
					  struct task_struct *reaper, __u8 kind, bool corrected,
					  __u64 now)
{
	struct rw_reparent_record *rec;

	rec = reserve(sizeof(*rec), RW_REC_REPARENT, now);
	if (!rec)
		return;
	fill_proc(&rec->orphan, orphan);
	rec->old_parent = *old_parent;
	fill_peer(&rec->new_parent, reaper);
	rec->reaper_kind = kind;
	rec->reaper_in_pidns = task_pid_level(reaper) == rec->orphan.pidns_level;
	rec->corrected = corrected;
	__builtin_memset(rec->_pad, 0, sizeof(rec->_pad));
	submit(rec);
}

struct orphan_walk {
	struct children_walk kids;
	struct rw_peer old_parent;
	__u64 reaper;
	__u64 now;
	__u8 kind;
};

static long orphan_walk_step(__u32 i, struct orphan_walk *w)
{
	struct orphan_prediction pred = {};
	struct task_struct *child, *reaper;
	bool end = false;
	long err;
	__u64 key;

	child = children_walk_step(&w->kids, &end);
	if (!child)
		return end;
	/* Already being released (an autoreaped zombie): nobody adopts it. */
	if (child->exit_state == RW_EXIT_DEAD)
		return 0;
	key = (__u64)child;
	reaper = as_task(w->reaper);
	if (child->exit_state) {
		/* A zombie handed over: its new holder should say whom it came from. */
		struct rw_proc_state *st = bpf_map_lookup_elem(&procs, &key);

		if (st)
			st->adopted_from = w->old_parent;
	}
	if (wanted(RW_REC_REPARENT))
		send_reparent(child, &w->old_parent, reaper, w->kind, false, w->now);
	pred.reaper_tgid = reaper->tgid;
	pred.start_time = child->start_time;
	pred.old_parent = w->old_parent;
	err = bpf_map_update_elem(&orphans, &key, &pred, BPF_NOEXIST);
	if (err)
		err = bpf_map_update_elem(&orphans, &key, &pred, BPF_EXIST) ? err : 1;
	if (err < 0)
		count(RW_CTR_ORPHANS_FULL);
	live_add(&orphans_live, err);
	return 0;
}

/* The father's last thread is exiting: report where each of its children goes. */
static __always_inline void orphans_on_father_exit(struct task_struct *father, __u64 now)
{
	struct orphan_walk w = { .now = now };
	struct task_struct *reaper;
	long n;

	/* Most processes die childless: one look at each list before any work. */
	if (father->children.next == &father->children &&
	    father->signal->nr_threads <= 1)
		return;
	reaper = predict_reaper(father, &w.kind);
	if (!reaper)
		return;
	w.reaper = (__u64)reaper;
	fill_peer(&w.old_parent, father);
	children_walk_start(&w.kids, father);
	n = bpf_loop(orphan_walk_max, orphan_walk_step, &w, 0);
	if (n >= orphan_walk_max)
		count(RW_CTR_ORPHAN_WALK_CUT);
}

/* Is any thread of the process but `self` still alive (not PF_EXITING)? */
struct live_thread_walk {
	__u64 head; /* &signal->thread_head */
	__u64 node;
	__u64 self;
	bool found;
};

static long live_thread_step(__u32 i, struct live_thread_walk *w)
{
	struct task_struct *t;

	w->node = (__u64)as_list(w->node)->next;
	if (!w->node || w->node == w->head)
		return 1;
	t = task_of(w->node, thread_node);
	if ((__u64)t != w->self && !(t->flags & RW_PF_EXITING)) {
		w->found = true;
		return 1;
	}
	return 0;
}

/*
 * A thread that is not the process's last is exiting. Its children go to another live
 * thread of the process (find_alive_thread()): no event, the last thread's walk sees
 * them. But when every other thread is exiting too (exit_group(): a Go program such as
 * runc ending), find_new_reaper() hands them out of the process now, and the last
 * thread never sees them: report them here. (No sibling becomes alive again, so a
 * report here is never wrong; a sibling that starts exiting after this look leaves
 * the children to its own exit.)
 */
static __always_inline void orphans_on_thread_exit(struct task_struct *thread, __u64 now)
{
	struct live_thread_walk lw = { .self = (__u64)thread };
	struct orphan_walk w = { .now = now };
	struct task_struct *reaper;
	long n;

	if (thread->children.next == &thread->children)
		return;
	lw.head = lw.node = (__u64)&thread->signal->thread_head;
	bpf_loop(orphan_walk_max, live_thread_step, &lw, 0);
	if (lw.found)
		return;
	reaper = predict_reaper(thread, &w.kind);
	if (!reaper)
		return;
	w.reaper = (__u64)reaper;
	fill_peer(&w.old_parent, thread);
	children_walk_start(&w.kids, thread);
	w.kids.first_only = true;
	n = bpf_loop(orphan_walk_max, orphan_walk_step, &w, 0);
	if (n >= orphan_walk_max)
		count(RW_CTR_ORPHAN_WALK_CUT);
}

static __always_inline __u8 actual_kind(struct task_struct *orphan, struct task_struct *parent)
{
	struct task_struct *reaper = task_pidns(orphan)->child_reaper;

	if (reaper && reaper->tgid == parent->tgid)
		return task_pid_level(parent) ? RW_REAPER_PIDNS_INIT : RW_REAPER_HOST_INIT;
	struct signal_struct *sig = parent->signal;

	if (BPF_CORE_READ_BITFIELD(sig, is_child_subreaper))
		return RW_REAPER_SUBREAPER;
	return RW_REAPER_THREAD;
}

/*
 * Was the orphan adopted by whom we said? Checked at its own exit, or at its free
 * when it died before the hand-over: the father's tracepoint comes before its
 * exit_notify(), and a child dying in between is handed over as a zombie.
 */
static __always_inline void check_adopter(struct task_struct *orphan, bool at_free, __u64 now,
					  struct rw_peer *adopted_from)
{
	struct orphan_prediction *pred;
	struct task_struct *parent;
	__u64 key = (__u64)orphan;

	if (!live_any(&orphans_live))
		return;
	pred = bpf_map_lookup_elem(&orphans, &key);
	if (!pred)
		return;
	/* A prediction whose orphan's free we missed, and this task_struct's memory holds
	 * another task now: not this one's. */
	if (pred->start_time != orphan->start_time) {
		live_sub(&orphans_live, bpf_map_delete_elem(&orphans, &key));
		return;
	}
	parent = orphan->real_parent;
	if (parent->tgid == pred->old_parent.pid && !at_free)
		return; /* not handed over yet: look again at its free */
	if (adopted_from)
		*adopted_from = pred->old_parent;
	if (parent->tgid != pred->reaper_tgid) {
		count(RW_CTR_REPARENT_CORRECTED);
		if (wanted(RW_REC_REPARENT))
			send_reparent(orphan, &pred->old_parent, parent,
				      actual_kind(orphan, parent), true, now);
	}
	live_sub(&orphans_live, bpf_map_delete_elem(&orphans, &key));
}

/* At an orphan's exit: whom it was adopted from goes into its zombie state. */
static __always_inline void orphans_on_exit(struct task_struct *task, __u64 now,
					    struct rw_peer *adopted_from)
{
	check_adopter(task->group_leader, false, now, adopted_from);
}

static __always_inline void orphans_on_free(struct task_struct *task, __u64 now)
{
	check_adopter(task, true, now, NULL);
}

#endif /* REAPWATCH_ORPHANS_BPF_H */
