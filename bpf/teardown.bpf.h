/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pid-namespace teardown: who was SIGKILLed, and who had a termination signal first.
 *
 * Owns maps `termed` (with termed_live), `ns_first_sigterm`, `teardowns` (struct
 * rw_teardown_state, with teardowns_live) and `teardown_scratch`, the knob task_walk_max,
 * and the teardown parts of the exit, signal_generate and free programs (teardown_on_*()).
 *
 * When the last thread of a namespace's init exits, exit_notify() ->
 * find_child_reaper() -> zap_pid_ns_processes() SIGKILLs every process left in the
 * namespace (SEND_SIG_PRIV, from the dying init: see is_pidns_teardown_kill()),
 * reaps its zombie children, and waits until every pid in the namespace is gone.
 * Only then does the init notify its own parent: that SIGCHLD is the moment the
 * namespace is empty. So:
 *   init's exit            -> teardown state: members counted, first termination signal taken
 *   teardown SIGKILLs      -> sigkilled, and whether each had a termination signal
 *   init's own SIGCHLD     -> the teardown record (or at its free, if autoreaped)
 * Before that, every SIGTERM/SIGINT/SIGHUP/SIGQUIT to a process inside a pid
 * namespace is remembered for that process, and the first of them for each namespace it
 * is in.
 */
#ifndef REAPWATCH_TEARDOWN_BPF_H
#define REAPWATCH_TEARDOWN_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "events.bpf.h"
#include "live.bpf.h"
#include "reapwatch.h"
#include "task.bpf.h"

#define RW_SIGHUP    1
#define RW_SIGINT    2
#define RW_SIGQUIT   3
#define RW_SIGTERM   15
#define RW_E2BIG     7 /* a full hash map refuses a new key with -E2BIG */

/* Bound on the walk of all processes that counts a namespace's members (kallsyms has no
 * init_task here, so the walk starts at the dying init); userspace lowers it only for tests
 * (REAPWATCH_TEST_MAP_ENTRIES). */
const volatile __u32 task_walk_max = 1 << 18;

/*
 * Processes inside a pid namespace that were sent a termination signal, keyed by their
 * signal_struct: it outlives an exec from a non-leader thread (de_thread() frees the old
 * leader, and the new one takes its start time), and is deleted at the leader's free.
 * The value holds the leader's start_time: an entry whose free our program missed (a few
 * in a thousand, see reaping.bpf.h) stays behind until the agent sweeps it, and its memory
 * can hold a new process's meanwhile; only an entry with that process's own start time
 * counts for it. And the first termination signal the process was sent.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct signal_struct address */
	__type(value, struct rw_termination);
} termed SEC(".maps");

/* The first termination signal this process was sent, 0 if none. */
static __always_inline __u32 first_termination(struct task_struct *task)
{
	__u64 key = (__u64)task->signal;
	struct rw_termination *t = bpf_map_lookup_elem(&termed, &key);

	return t && t->start == task->group_leader->start_time ? t->sig : 0;
}

__s64 termed_live;

/*
 * First termination signal into each pid namespace (any member, nested ones included), its
 * grace period's start. Deleted at the init's exit; one sent during the teardown makes an
 * entry that outlives the namespace (the agent sweeps it once the init is gone), and its
 * memory can hold a new namespace meanwhile: the entry names the init it was made under
 * (its leader's start time) and counts only for that one.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* struct pid_namespace address */
	__type(value, struct rw_first_sigterm);
} ns_first_sigterm SEC(".maps");

/* The namespace's init, as the entry names it. `ns` is an address (task_pidns()). */
static __always_inline void ns_init_of(struct pid_namespace *ns, struct rw_first_sigterm *first)
{
	struct task_struct *init = BPF_CORE_READ(ns, child_reaper);

	if (!init)
		return;
	first->init_start = BPF_CORE_READ(init, group_leader, start_time);
	first->init_boot_start_ns = BPF_CORE_READ(init, group_leader, start_boottime);
	first->init_pid = BPF_CORE_READ(init, tgid);
}

/* Teardowns under way, keyed by the dying init's group leader task_struct. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct rw_teardown_state);
} teardowns SEC(".maps");

__s64 teardowns_live;

/* Too big for the BPF stack: built here, then copied into the map. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rw_teardown_state);
} teardown_scratch SEC(".maps");

static __always_inline bool termination_signal(int sig)
{
	return sig == RW_SIGTERM || sig == RW_SIGINT || sig == RW_SIGHUP || sig == RW_SIGQUIT;
}

static RW_COLD void remember_termination(int sig, struct task_struct *target, __u64 now)
{
	struct pid_namespace *ns = task_pidns(target);
	__u64 key = (__u64)target->signal;
	struct rw_termination t = {.start = target->group_leader->start_time,
				   .boot_start_ns = target->group_leader->start_boottime,
				   .pid = target->tgid,
				   .sig = sig}, *old;
	unsigned int level, sender_level;
	struct pid *sender;
	long err;
	__u32 nr;

	if (!BPF_CORE_READ(ns, level))
		return; /* the host's processes never see a teardown */
	err = bpf_map_update_elem(&termed, &key, &t, BPF_NOEXIST);
	if (err == -RW_E2BIG)
		count(RW_CTR_TERMED_FULL);
	else if (err && (old = bpf_map_lookup_elem(&termed, &key)) && old->start != t.start)
		*old = t; /* a stale entry's: now ours (ours already keeps its first signal) */
	live_add(&termed_live, err);
	/*
	 * A namespace's grace period starts at the first termination signal of the four into it
	 * (the docs; images stop with SIGQUIT or SIGINT as well: nginx, postgres), from outside, as a
	 * runtime's stop comes: one sent inside (a reload's SIGHUP, a query cancel's SIGINT, the
	 * init's own) warns its target but stops nothing. The sender (`current`: kill() runs in
	 * it) is inside a namespace if its pid has a number there, and then inside every outer one.
	 */
	sender = BPF_CORE_READ(current_task(), thread_pid);
	sender_level = BPF_CORE_READ(sender, level);
	for (int i = 0; i < MAX_PIDNS_DEPTH && ns && (level = BPF_CORE_READ(ns, level)); i++) {
		struct rw_first_sigterm first = {.time_ns = now}, *had;

		if (sender_level >= level && upid_at(sender, level, &nr) == (__u64)ns)
			break;
		ns_init_of(ns, &first);
		key = (__u64)ns;
		err = bpf_map_update_elem(&ns_first_sigterm, &key, &first, BPF_NOEXIST);
		if (err == -RW_E2BIG)
			count(RW_CTR_FIRST_SIGTERM_FULL);
		else if (err && (had = bpf_map_lookup_elem(&ns_first_sigterm, &key)) &&
			 had->init_start != first.init_start)
			*had = first; /* a stale entry's: this namespace's first now */
		ns = BPF_CORE_READ(ns, parent);
	}
}

/* A teardown SIGKILL that landed (a zombie's is `ignored`: it was dead already). */
static RW_COLD void count_teardown_kill(struct task_struct *target, int result)
{
	__u64 key = (__u64)BPF_CORE_READ(current_task(), group_leader);
	struct rw_teardown_state *td;
	__u32 warned;

	if (result != 0)
		return;
	td = bpf_map_lookup_elem(&teardowns, &key);
	if (!td)
		return;
	/* (termed_live gates nothing here: a teardown is rare, the lookup is exact) */
	warned = first_termination(target);
	td->td.sigkilled++;
	if (!warned)
		td->td.sigkilled_without_sigterm++;
	if (td->td.npids < RW_TEARDOWN_MAX_PIDS) {
		__u32 i = td->td.npids++ & (RW_TEARDOWN_MAX_PIDS - 1);

		td->td.sigkilled_pids[i] = target->tgid;
		td->td.sigkilled_warned[i] = warned;
	}
}

static __always_inline void teardown_on_signal(int sig, struct task_struct *target, int result,
					       bool teardown_kill, __u64 now)
{
	if (termination_signal(sig))
		remember_termination(sig, target, now);
	else if (teardown_kill)
		count_teardown_kill(target, result);
}

struct member_walk {
	__u64 node;  /* &task->tasks of the process being looked at */
	__u64 head;  /* where the walk started: the dying init's own node */
	__u64 ns;    /* the dying namespace */
	__u32 level; /* its level */
	__u32 init_tgid;
	__u32 members;
};

/* Is this process alive and inside ns (at any depth below it)? Alive: a thread of it is,
 * whatever its leader's state (a leader that called pthread_exit() is a zombie-looking
 * task of a live process, which zap_pid_ns_processes() does kill). */
static long member_walk_step(__u32 i, struct member_walk *w)
{
	__u32 level = w->level; /* a local: bpf_core_read() must not relocate our struct */
	struct task_struct *task;
	struct pid *pid;
	__u32 nr;

	if (!w->node || w->node == w->head)
		return 1;
	task = task_at(task_of(w->node, tasks));
	w->node = (__u64)BPF_CORE_READ(task, tasks.next);
	pid = BPF_CORE_READ(task, thread_pid);
	if (BPF_CORE_READ(task, signal, live.counter) <= 0 || BPF_CORE_READ(pid, level) < level ||
	    BPF_CORE_READ(task, tgid) == w->init_tgid)
		return 0;
	if (upid_at(pid, level, &nr) == w->ns)
		w->members++;
	return 0;
}

/* The last thread of a namespace's init is exiting: the teardown starts. Its members are
 * counted by a walk of every process (bpf_loop(), v5.17: `walks`), else left unknown. */
static __always_inline void teardown_on_exit(struct task_struct *task, const struct rw_proc *proc,
					     __u64 now, bool walks)
{
	struct member_walk w = {};
	struct rw_teardown_state *td;
	struct rw_first_sigterm *first;
	struct pid_namespace *ns;
	__u32 zero = 0;
	__u64 key;
	long n, err;

	/* A host process (its pid's level, read by fill_proc()) is no namespace's init. */
	if (!proc->pidns_level)
		return;
	ns = task_pidns(task);
	w.level = proc->pidns_level;
	if (pidns_init_tgid(ns) != task->tgid)
		return;
	td = bpf_map_lookup_elem(&teardown_scratch, &zero);
	if (!td)
		return;
	__builtin_memset(td, 0, sizeof(*td));
	td->td.init = *proc;
	td->td.init_exit_ns = now;
	td->init_boot_start_ns = task->group_leader->start_boottime;
	key = (__u64)ns;
	first = bpf_map_lookup_elem(&ns_first_sigterm, &key);
	if (first) {
		if (first->init_start == task->group_leader->start_time)
			td->td.first_sigterm_ns = first->time_ns;
		bpf_map_delete_elem(&ns_first_sigterm, &key);
	}

	if (walks) {
		/* The process list is a ring (init_task's node is in it too, pid level 0). */
		w.head = (__u64)&task->group_leader->tasks;
		w.node = (__u64)task->group_leader->tasks.next;
		w.ns = (__u64)ns;
		w.init_tgid = task->tgid;
		n = bpf_loop(task_walk_max, member_walk_step, &w, 0);
		if (n >= task_walk_max)
			count(RW_CTR_TASK_WALK_CUT);
		td->td.members = w.members;
	} else {
		td->td.members = RW_MEMBERS_UNKNOWN;
	}

	key = (__u64)task->group_leader;
	err = bpf_map_update_elem(&teardowns, &key, td, BPF_NOEXIST);
	if (err && bpf_map_update_elem(&teardowns, &key, td, BPF_EXIST))
		count(RW_CTR_TEARDOWNS_FULL);
	live_add(&teardowns_live, err);
}

/* The namespace is empty: send what the teardown did. */
static RW_COLD void teardown_finish_slow(__u64 init_leader, __u64 now)
{
	struct rw_teardown_record *rec;
	struct rw_teardown_state *td;

	td = bpf_map_lookup_elem(&teardowns, &init_leader);
	if (!td)
		return;
	if (wanted(RW_REC_TEARDOWN)) {
		rec = reserve(sizeof(*rec), RW_REC_TEARDOWN, now);
		if (rec) {
			rec->td = td->td;
			submit(rec);
		}
	}
	live_sub(&teardowns_live, bpf_map_delete_elem(&teardowns, &init_leader));
}

static __always_inline void teardown_finish(__u64 init_leader, __u64 now)
{
	if (live_any(&teardowns_live))
		teardown_finish_slow(init_leader, now);
}

/*
 * The init notifies its parent (do_notify_parent()) only after zap_pid_ns_processes(): its
 * exit signal (CLD_EXITED/KILLED/DUMPED), from the exiting init, to its parent (the tracer,
 * if traced; exit_notify_signal() says which signal). Not any signal with such a code from
 * it: exit_files() runs before exit_notify(), and a SIGIO with POLL_IN (1) can come from a
 * file closing then, to an F_SETOWN owner that can be the parent, as the very signal an init
 * cloned with exit signal SIGIO notifies with. The notifying thread has its exit_state set
 * by then (exit_notify() sets it first; for a leader that exited before the last thread,
 * release_task() notifies from that last thread, after its own exit_notify()).
 */
static __always_inline void teardown_on_child_signal(int sig, int code, struct task_struct *target,
						     __u64 now)
{
	struct task_struct *current, *leader;

	if (code < 1 || code > 3 || !live_any(&teardowns_live))
		return;
	current = current_task();
	if (!(BPF_CORE_READ(current, flags) & RW_PF_EXITING) || !BPF_CORE_READ(current, exit_state))
		return;
	leader = BPF_CORE_READ(current, group_leader);
	if (target->tgid != BPF_CORE_READ(leader, parent, tgid) ||
	    sig != exit_notify_signal_at(leader))
		return;
	teardown_finish((__u64)leader, now);
}

static __always_inline void teardown_on_free(struct task_struct *task, __u64 now)
{
	__u64 key = (__u64)task;

	teardown_finish(key, now); /* an init whose parent ignores SIGCHLD */
	/* The leader's free comes after every thread's exit (and after de_thread(), the
	 * old leader's pid is no longer the tgid). */
	key = (__u64)task->signal;
	if (task->pid == task->tgid && live_any(&termed_live))
		live_sub(&termed_live, bpf_map_delete_elem(&termed, &key));
}

#endif /* REAPWATCH_TEARDOWN_BPF_H */
