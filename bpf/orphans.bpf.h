/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Orphans and their adopters.
 *
 * Owns maps `orphans` (predictions, with orphans_live), `pending_kids` (with pending_live)
 * and `orphan_scratch`, the knob orphan_walk_max, and the orphan parts of the exit and free
 * programs: orphans_on_exit(), orphans_on_father_exit(), orphans_on_thread_exit(),
 * orphans_on_free().
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
#include "live.bpf.h"
#include "reaping.bpf.h"
#include "reapwatch.h"
#include "task.bpf.h"

#define RW_EXIT_DEAD  0x00000010
#define MAX_ANCESTORS 64

/* Bound on one dying father's children walk (userspace lowers it only for tests:
 * REAPWATCH_TEST_MAP_ENTRIES). */
const volatile __u32 orphan_walk_max = 65536;

/* Keyed by the orphan's task_struct address; deleted at its free, or by the agent's sweep
 * when that free never reached us (struct rw_orphan_prediction). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rw_orphan_prediction);
} orphans SEC(".maps");

__s64 orphans_live;

static __always_inline unsigned int task_pid_level(struct task_struct *task)
{
	return task->thread_pid->level;
}

static __always_inline void send_reparent(struct task_struct *orphan,
					  const struct rw_peer *old_parent,
					  struct task_struct *reaper, __u8 kind, bool corrected,
					  __u8 predicted_kind, __u64 now)
{
	struct rw_reparent_record *rec;

	rec = reserve(sizeof(*rec), RW_REC_REPARENT, now);
	if (!rec)
		return;
	fill_proc_at(&rec->orphan, orphan);
	rec->old_parent = *old_parent;
	fill_peer_at(&rec->new_parent, reaper);
	rec->reaper_kind = kind;
	rec->reaper_in_pidns = BPF_CORE_READ(reaper, thread_pid, level) == rec->orphan.pidns_level;
	rec->corrected = corrected;
	rec->predicted_kind = predicted_kind;
	__builtin_memset(rec->_pad, 0, sizeof(rec->_pad));
	submit(rec);
}

struct orphan_walk {
	struct children_walk kids;
	struct rw_peer old_parent; /* the father; its pid is the father's tgid */
	__u64 reaper;
	__u64 now;
	__u64 pending; /* pending_kids' key (signal_struct), for pending_tell_step() */
	__u8 kind;
};

/* A thread's children noted for the process's last thread (note_pending_kids()). */
struct pending_note {
	struct children_walk kids;
	__u64 key; /* pending_kids' (signal_struct): a map value's address would not survive
		    * a store into another map */
	__u32 father;
};

/* Is any thread of the process but `self` still alive (not PF_EXITING)? */
struct live_thread_walk {
	__u64 head; /* &signal->thread_head */
	__u64 node;
	__u64 self;
	bool found;
};

/*
 * The nearest live child subreaper above a father, within its pid level (below). "Live" as
 * find_new_reaper() has it: find_alive_thread(), a thread without PF_EXITING. signal->live
 * drops only after a thread has set PF_EXITING (exit_signals(), then the decrement), so a
 * subreaper whose every thread is exiting can still count live ones: the kernel passes it.
 * One bpf_loop() walks the ancestors and, at a subreaper, its threads.
 */
struct subreaper_walk {
	__u64 anc;   /* the ancestor looked at next, or whose threads are being walked */
	__u64 found; /* 0 while none */
	__u64 head;  /* &anc->signal->thread_head while its threads are walked, else 0 */
	__u64 node;  /* the thread node looked at last */
	__u32 level; /* the father's pid level */
	__u32 ancestors;
};

/*
 * The walks' state, per CPU, for the exit program only (one run at a time per CPU): the
 * bpf_loop() callbacks find it here instead of on a stack that is 512 bytes for the
 * whole call chain, callbacks included. (And where the verifier cannot know their
 * values: before v6.8 it checks a callback as if it ran once, so a walk's state that starts
 * as constants on the stack would have the branches for the later steps cut as dead.)
 */
struct orphan_scratch {
	struct subreaper_walk subreaper;
	struct orphan_walk walk;
	struct pending_note note;
	struct live_thread_walk threads;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct orphan_scratch);
} orphan_scratch SEC(".maps");

static __always_inline struct orphan_scratch *orphan_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&orphan_scratch, &zero);
}

static long subreaper_step(__u32 i, void *unused)
{
	struct orphan_scratch *sc = orphan_scratch_get();
	struct subreaper_walk *w;
	struct task_struct *anc;
	struct signal_struct *sig;
	__u64 node;

	if (!sc)
		return 1;
	w = &sc->subreaper;
	anc = task_at(w->anc);

	if (w->head) {
		node = list_next(w->node);
		if (!node)
			return 1;
		w->node = node;
		if (node != w->head) {
			if (BPF_CORE_READ(task_at(task_of(node, thread_node)), flags) & RW_PF_EXITING)
				return 0;
			w->found = w->anc;
			return 1;
		}
		w->head = 0; /* every thread is exiting: on up */
		w->anc = (__u64)BPF_CORE_READ(anc, real_parent);
		return 0;
	}
	/* Stay in the father's namespace (setns()+fork() can put an outsider in between), and
	 * stop at the idle task, pid 0. */
	if (!anc || BPF_CORE_READ(anc, thread_pid, level) != w->level || !BPF_CORE_READ(anc, pid) ||
	    ++w->ancestors > MAX_ANCESTORS)
		return 1;
	sig = BPF_CORE_READ(anc, signal);
	if (BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper)) {
		w->head = w->node = (__u64)&sig->thread_head;
		return 0;
	}
	w->anc = (__u64)BPF_CORE_READ(anc, real_parent);
	return 0;
}

/*
 * find_new_reaper() for a father none of whose threads is alive. Returns 0 when
 * the father is its namespace's init: zap_pid_ns_processes() kills and reaps what
 * is left instead (a teardown, not an adoption). The ancestors and their threads are
 * walked in a bpf_loop() callback, which the verifier checks once instead of once per step.
 */
static RW_COLD __u64 predict_reaper(struct orphan_scratch *sc, struct task_struct *father,
				    __u8 *kind)
{
	struct task_struct *reaper = BPF_CORE_READ(task_pidns(father), child_reaper);
	struct signal_struct *sig = father->signal;
	struct subreaper_walk *w = &sc->subreaper;

	if (!reaper || BPF_CORE_READ(reaper, tgid) == father->tgid)
		return 0;
	if (BPF_CORE_READ_BITFIELD(sig, has_child_subreaper)) {
		w->anc = (__u64)father->real_parent;
		w->found = w->head = w->node = 0;
		w->level = task_pid_level(father);
		w->ancestors = 0;
		if (bpf_loop(orphan_walk_max, subreaper_step, NULL, 0) >= orphan_walk_max)
			count(RW_CTR_ORPHAN_WALK_CUT);
		if (w->found) {
			*kind = RW_REAPER_SUBREAPER;
			return w->found;
		}
	}
	*kind = BPF_CORE_READ(reaper, thread_pid, level) ? RW_REAPER_PIDNS_INIT : RW_REAPER_HOST_INIT;
	return (__u64)reaper;
}

/*
 * Remember that `father` (its peer) hands `child` to `reaper_tgid`, for check_adopter().
 * False when this father's hand-over of this child was told already: a thread of it that
 * exited first, the last thread's walk and its pending list (below) can each see the
 * same child.
 */
static __always_inline bool remember_orphan(struct task_struct *child, __u32 reaper_tgid,
					    __u8 kind, const struct rw_peer *father)
{
	struct rw_orphan_prediction pred = {}, *old;
	__u64 key = (__u64)child;
	long err;

	pred.reaper_tgid = reaper_tgid;
	pred.kind = kind;
	pred.pid = BPF_CORE_READ(child, tgid);
	pred.start_time = BPF_CORE_READ(child, start_time);
	pred.boot_start_ns = BPF_CORE_READ(child, start_boottime);
	pred.made_ns = bpf_ktime_get_ns();
	pred.old_parent = *father;
	err = bpf_map_update_elem(&orphans, &key, &pred, BPF_NOEXIST);
	if (!err) {
		live_add(&orphans_live, 0);
		return true;
	}
	old = bpf_map_lookup_elem(&orphans, &key);
	if (!old) {
		count(RW_CTR_ORPHANS_FULL);
		return true;
	}
	if (old->start_time == pred.start_time && old->old_parent.pid == father->pid)
		return false;
	/* An earlier hand-over of the same child (adopted, then orphaned again), or a stale
	 * entry whose free we missed: this one replaces it. */
	*old = pred;
	return true;
}

/* Tell of one child handed over by `father`: to `reaper` of `kind`. */
static __always_inline void tell_orphan(struct task_struct *child, const struct rw_peer *father,
					struct task_struct *reaper, __u8 kind, bool adopted,
					__u64 now)
{
	int exit_state = BPF_CORE_READ(child, exit_state);

	/* Being released by the father itself (an autoreaped zombie): nobody adopts it.
	 * (`adopted`: the reaper has it already, and may have reaped it.) */
	if (exit_state == RW_EXIT_DEAD && !adopted)
		return;
	if (!remember_orphan(child, BPF_CORE_READ(reaper, tgid), kind, father))
		return;
	if (exit_state) {
		/* A zombie handed over: its new holder should say whom it came from. */
		__u64 key = (__u64)child;
		struct rw_proc_state *st = procs_find(key, BPF_CORE_READ(child, tgid));

		if (st) {
			st->adopted_from = *father;
			if (!adopted)
				reaping_on_handover(st, child, reaper, now);
		}
	}
	if (wanted(RW_REC_REPARENT))
		send_reparent(child, father, reaper, kind, false, kind, now);
}

static long orphan_walk_step(__u32 i, void *unused)
{
	struct orphan_scratch *sc = orphan_scratch_get();
	struct orphan_walk *w;
	bool end = false;
	__u64 child;

	if (!sc)
		return 1;
	w = &sc->walk;
	child = children_walk_step(&w->kids, &end);
	if (!child)
		return end;
	tell_orphan(task_at(child), &w->old_parent, task_at(w->reaper), w->kind, false, w->now);
	return 0;
}

/* Tell of the children of `father` (its thread's own only: `first_only`) as adopted by
 * w->reaper, which the caller has predicted; w->old_parent is the father. */
static RW_COLD void walk_orphans(struct orphan_walk *w, struct task_struct *father, bool first_only)
{
	long n;

	children_walk_start(&w->kids, father);
	w->kids.first_only = first_only;
	n = bpf_loop(orphan_walk_max, orphan_walk_step, NULL, 0);
	if (n >= orphan_walk_max)
		count(RW_CTR_ORPHAN_WALK_CUT);
}

/* Which kind of reaper `parent` is to `orphan` (both may be addresses). */
static __always_inline __u8 actual_kind(struct task_struct *orphan, struct task_struct *parent)
{
	__u32 init_tgid = pidns_init_tgid(task_pidns_at(orphan));
	struct signal_struct *sig;

	if (init_tgid && init_tgid == BPF_CORE_READ(parent, tgid))
		return BPF_CORE_READ(parent, thread_pid, level) ? RW_REAPER_PIDNS_INIT
								 : RW_REAPER_HOST_INIT;
	sig = BPF_CORE_READ(parent, signal);
	if (BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper))
		return RW_REAPER_SUBREAPER;
	return RW_REAPER_THREAD;
}

/*
 * The children of a process's threads that exited before its last one, while a sibling
 * was still alive. exit_notify() gives them to a thread not yet PF_EXITING, if one is
 * left by then (find_alive_thread()), else out of the process at once: when the siblings
 * start exiting between that thread's tracepoint and its exit_notify(), its children are
 * gone from every list before the last thread's walk. The last thread tells of those
 * from here. Keyed by signal_struct address; a ring of the most recent children (a
 * thread with more has the rest told of only if they are still in a list).
 */
#define PENDING_KIDS 16

struct pending_kids {
	__u64 leader_start; /* the process's, against a stale entry */
	__u32 next;	    /* slots taken, ever: the ring's head */
	__u32 fence;	    /* only ever added 0 to: see note_pending_kids() */
	__u64 kid[PENDING_KIDS];
	__u64 kid_start[PENDING_KIDS];
	/* The noting thread's tgid: a note through an entry deleted and reused meanwhile
	 * lands in another process's ring, where it must be ignored. */
	__u32 kid_father[PENDING_KIDS];
};

/* LRU: the notes of a long-lived process (a thread pool whose threads fork and exit) are
 * harmless to lose, their children were handed to a live thread, where the walk sees
 * them. Deleted at the last thread's exit, and at the leader's free for a note made
 * after that (a thread's tracepoint can come after the last thread's). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64); /* struct signal_struct address */
	__type(value, struct pending_kids);
} pending_kids SEC(".maps");

__s64 pending_live;
static struct pending_kids pending_empty;

static long pending_note_step(__u32 i, void *unused)
{
	struct orphan_scratch *sc = orphan_scratch_get();
	struct pending_note *n;
	struct pending_kids *p;
	bool end = false;
	__u64 child, key;
	__u32 slot;

	if (!sc)
		return 1;
	n = &sc->note;
	key = n->key;
	p = bpf_map_lookup_elem(&pending_kids, &key);
	if (!p)
		return 1;

	child = children_walk_step(&n->kids, &end);
	if (!child)
		return end;
	if (i >= PENDING_KIDS) {
		count(RW_CTR_PENDING_FULL); /* more children than the ring holds */
		return 1;
	}
	slot = __sync_fetch_and_add(&p->next, 1) % PENDING_KIDS;
	p->kid_start[slot] = BPF_CORE_READ(task_at(child), start_time);
	p->kid_father[slot] = n->father;
	p->kid[slot] = child;
	return 0;
}

/* A thread with children exits, not the process's last: note them for the last one. */
static __always_inline void note_pending_kids(struct task_struct *thread)
{
	__u64 key = (__u64)thread->signal, start = thread->group_leader->start_time;
	struct orphan_scratch *sc = orphan_scratch_get();
	struct pending_kids *p;
	long err;

	if (!sc)
		return;

	p = bpf_map_lookup_elem(&pending_kids, &key);
	if (p && p->leader_start && p->leader_start != start) {
		/* Stale: this signal_struct's memory held another process. */
		p->leader_start = start;
		p->next = 0;
	}
	if (!p) {
		/* (Too big for the stack: a zeroed global, then the start.) */
		err = bpf_map_update_elem(&pending_kids, &key, &pending_empty, BPF_NOEXIST);
		live_add(&pending_live, err);
		p = bpf_map_lookup_elem(&pending_kids, &key);
		if (!p) {
			count(RW_CTR_PENDING_FULL);
			return;
		}
		p->leader_start = start;
	}
	sc->note.key = key;
	sc->note.father = thread->tgid;
	children_walk_start(&sc->note.kids, thread);
	sc->note.kids.first_only = true;
	bpf_loop(PENDING_KIDS + 1, pending_note_step, NULL, 0);
	/* A full barrier (a fetching atomic) between the notes and the look at the siblings'
	 * PF_EXITING: the last thread must see the notes, or this thread must see it exiting. */
	volatile __u32 fenced = __sync_fetch_and_add(&p->fence, 0);
	(void)fenced;
}

/* The leader's free: after every thread's exit, so no note can follow it. */
static __always_inline void forget_pending_kids(struct task_struct *task)
{
	__u64 key = (__u64)task->signal;

	if (task->pid == task->tgid && live_any(&pending_live))
		live_sub(&pending_live, bpf_map_delete_elem(&pending_kids, &key));
}

static long pending_tell_step(__u32 i, void *unused)
{
	struct orphan_scratch *sc = orphan_scratch_get();
	struct task_struct *child, *parent;
	struct orphan_walk *w;
	struct pending_kids *p;
	__u32 father, slot = i % PENDING_KIDS;
	__u64 key;

	if (!sc)
		return 1;
	w = &sc->walk;
	key = w->pending;
	p = bpf_map_lookup_elem(&pending_kids, &key);
	if (!p || i >= p->next)
		return 1;
	father = w->old_parent.pid;
	/* A slot taken but not yet written: its thread, whose look at the siblings comes
	 * after the write, finds none alive and tells of its children itself. */
	if (!p->kid[slot] || p->kid_father[slot] != father)
		return 0;
	child = task_at(p->kid[slot]);
	if (BPF_CORE_READ(child, start_time) != p->kid_start[slot])
		return 0; /* gone, its memory reused */
	/* Reaped already: release_task() detached its pid (__change_pid() sets thread_pid to
	 * NULL), and nothing left in its memory says by whom (on 6.18 its real_parent reads
	 * &init_task by then). Nearly always a child handed to a sibling thread and reaped by
	 * the process itself (a worker thread forks and exits, the main thread waits): no
	 * orphan. Not told: the rare one that left in the race above and was reaped by its
	 * adopter before this last thread's exit goes unreported. */
	if (!BPF_CORE_READ(child, thread_pid))
		return 0;
	parent = BPF_CORE_READ(child, real_parent);
	if (BPF_CORE_READ(parent, tgid) == father)
		/* Still ours (the last walk raced a move between threads): it goes where the
		 * walk says. */
		tell_orphan(child, &w->old_parent, task_at(w->reaper), w->kind, false, w->now);
	else
		/* Handed out already: we know where it went. */
		tell_orphan(child, &w->old_parent, parent, actual_kind(child, parent), true,
			    w->now);
	return 0;
}

/* The last thread, after its walk (w): tell of the noted children the walk did not
 * (tell_orphan() dedupes), then drop the notes, kept under `key`. */
static RW_COLD void tell_pending_kids(struct task_struct *father, __u64 key, struct pending_kids *p,
				      struct orphan_walk *w)
{
	if (w->reaper && p->leader_start == father->group_leader->start_time) {
		w->pending = key;
		bpf_loop(PENDING_KIDS, pending_tell_step, NULL, 0);
	}
	live_sub(&pending_live, bpf_map_delete_elem(&pending_kids, &key));
}

/* The father's last thread is exiting: report where each of its children goes. */
static RW_COLD void father_exit_slow(struct task_struct *father, __u64 now,
				     struct pending_kids *pending, bool childless, __u64 key)
{
	struct orphan_scratch *sc;
	struct orphan_walk *w;

	sc = orphan_scratch_get();
	if (!sc)
		return;
	w = &sc->walk;
	w->now = now;
	w->pending = 0;
	/* 0 for a namespace's init: its children are killed, not adopted. */
	w->reaper = predict_reaper(sc, father, &w->kind);
	fill_peer(&w->old_parent, father);
	if (w->reaper && !childless)
		walk_orphans(w, father, false);
	if (pending)
		tell_pending_kids(father, key, pending, w);
}

static __always_inline void orphans_on_father_exit(struct task_struct *father, __u64 now)
{
	struct pending_kids *pending = NULL;
	__u64 key = (__u64)father->signal;
	bool childless;

	if (live_any(&pending_live))
		pending = bpf_map_lookup_elem(&pending_kids, &key);
	/* Most processes die childless: one look at each list before any work. */
	childless = father->children.next == &father->children && father->signal->nr_threads <= 1;
	if (childless && !pending)
		return;
	father_exit_slow(father, now, pending, childless, key);
}

static long live_thread_step(__u32 i, void *unused)
{
	struct orphan_scratch *sc = orphan_scratch_get();
	struct live_thread_walk *w;
	__u64 t;

	if (!sc)
		return 1;
	w = &sc->threads;
	w->node = list_next(w->node);
	if (!w->node || w->node == w->head)
		return 1;
	t = task_of(w->node, thread_node);
	if (t != w->self && !(BPF_CORE_READ(task_at(t), flags) & RW_PF_EXITING)) {
		w->found = true;
		return 1;
	}
	return 0;
}

/*
 * A thread that is not the process's last is exiting. Its children go to another live
 * thread of the process (find_alive_thread()): no event; the last thread's walk sees
 * them, or its pending list does (above), which gets them first. But when every other
 * thread is exiting already (exit_group(): a Go program such as runc ending), they
 * leave the process at this thread's exit_notify(), which may come after the last
 * thread's tracepoint: report them now. (No sibling becomes alive again, so a report
 * here is never wrong.) Noting them before looking closes the window where the last
 * thread takes its pending list between this thread's look and its note.
 */
static __always_inline void orphans_on_thread_exit(struct task_struct *thread, __u64 now)
{
	struct signal_struct *sig = thread->signal;
	struct orphan_scratch *sc;
	struct orphan_walk *w;

	if (thread->children.next == &thread->children)
		return;
	note_pending_kids(thread);
	sc = orphan_scratch_get();
	if (!sc)
		return;
	sc->threads.head = sc->threads.node = (__u64)&sig->thread_head;
	sc->threads.self = (__u64)thread;
	sc->threads.found = false;
	bpf_loop(orphan_walk_max, live_thread_step, NULL, 0);
	if (sc->threads.found)
		return;
	w = &sc->walk;
	w->now = now;
	w->pending = 0;
	w->reaper = predict_reaper(sc, thread, &w->kind);
	if (!w->reaper)
		return;
	fill_peer(&w->old_parent, thread);
	walk_orphans(w, thread, true);
}

/*
 * Was the orphan adopted by whom we said? Checked at its own exit, or at its free
 * when it died before the hand-over: the father's tracepoint comes before its
 * exit_notify(), and a child dying in between is handed over as a zombie.
 */
static RW_COLD void check_adopter_slow(struct task_struct *orphan, bool at_free, __u64 now,
				       struct rw_peer *adopted_from)
{
	struct rw_orphan_prediction *pred;
	struct task_struct *parent;
	__u64 key = (__u64)orphan;

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
	if (!pred->checked) {
		if (parent->tgid == pred->old_parent.pid && !at_free)
			return; /* not handed over yet: look again at its free */
		if (adopted_from)
			*adopted_from = pred->old_parent;
		if (parent->tgid != pred->reaper_tgid) {
			count(RW_CTR_REPARENT_CORRECTED);
			if (wanted(RW_REC_REPARENT))
				send_reparent(orphan, &pred->old_parent, parent,
					      actual_kind(orphan, parent), true, pred->kind, now);
		}
		pred->checked = 1;
	}
	/* Kept till the free: a late second sight of this hand-over (remember_orphan())
	 * must still find it. */
	if (at_free)
		live_sub(&orphans_live, bpf_map_delete_elem(&orphans, &key));
}

static __always_inline void check_adopter(struct task_struct *orphan, bool at_free, __u64 now,
					  struct rw_peer *adopted_from)
{
	if (live_any(&orphans_live))
		check_adopter_slow(orphan, at_free, now, adopted_from);
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
	forget_pending_kids(task);
}

#endif /* REAPWATCH_ORPHANS_BPF_H */
