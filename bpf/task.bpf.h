/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a task's identity and attribution, on every kernel we support.
 * Owns no map: fill_proc(), fill_peer(), pid-namespace and exit-signal readers.
 *
 * Two kinds of task pointer reach the programs:
 *   - the tracepoints' own arguments (tp_btf): BTF-typed, so their fields, and the
 *     fields of what they point to, are plain loads (CO-RE-relocated and fault-safe)
 *     instead of one bpf_probe_read_kernel() call each, which is most of an event's cost;
 *   - computed addresses: container_of() of a list node, a pointer read by a probe read,
 *     `current` from bpf_get_current_task() (bpf_rdonly_cast(), which would make any address
 *     BTF-typed again, is v6.2). Those are plain scalars (__u64 or a cast pointer) and every
 *     field goes through BPF_CORE_READ(). No verifier accepts pointer arithmetic on a BTF
 *     pointer with an offset it cannot bound (v6.12 refuses even CO-RE constants there),
 *     and a scalar needs none of that.
 * The `_at` functions below take such an address. `current` itself is BTF-typed on kernels
 * with bpf_get_current_task_btf() (v5.11): the `current_*` readers use it there.
 */
#ifndef REAPWATCH_TASK_BPF_H
#define REAPWATCH_TASK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "reapwatch.h"

#define RW_PF_EXITING 0x00000004	/* include/linux/sched.h */
/* How many pid namespaces up from a task's own our walks look: as deep as the kernel nests
 * them (MAX_PID_NS_LEVEL, 32), so none is cut. The walks stop at the host's level, so a task
 * pays for its own depth only; the verifier's cost is handle_signal_generate's ~15k
 * instructions at 8 going to ~38k at 32 (6.18), well inside every kernel's limit. */
#define MAX_PIDNS_DEPTH 32
#define RW_SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */
#define RW_SIGCHLD 17

/* A computed address of a kernel object, typed for BPF_CORE_READ(). */
#define task_at(addr) ((struct task_struct *)(unsigned long)(addr))
#define list_at(addr) ((struct list_head *)(unsigned long)(addr))

/* container_of() of a task_struct member's address: scalar arithmetic, nothing more. */
#define task_of(node, member) ((__u64)(node) - bpf_core_field_offset(struct task_struct, member))

/*
 * The next node of a list, at an address. (A function, so that the address is a local:
 * BPF_CORE_READ() of an expression such as w->node would relocate our own struct too.)
 */
static __always_inline __u64 list_next(__u64 node)
{
	return (__u64)BPF_CORE_READ(list_at(node), next);
}

/* The running task, as an address (see above). */
static __always_inline struct task_struct *current_task(void)
{
	return task_at(bpf_get_current_task());
}

/*
 * Does this kernel type `current` (bpf_get_current_task_btf(), v5.11: core_fixes.bpf.h)?
 * A CO-RE constant: on a kernel without the helper the branch that calls it is dead, and the
 * verifier never looks at it. The readers below take the typed `current` where they can, so
 * that its fields, and those of the tasks and pids it points to, are plain loads.
 */
static __always_inline bool current_btf(void)
{
	return bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf);
}

/* The running task's tgid, on every kernel without a read of the task. */
static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline __u32 current_flags(void)
{
	if (current_btf())
		return bpf_get_current_task_btf()->flags;
	return BPF_CORE_READ(current_task(), flags);
}

/*
 * A field of `ptr`: a plain load if `btf` says ptr is BTF-typed, else a probe read. `btf` is
 * a constant at every call (code built twice, for each value, under current_btf()): only
 * one branch is emitted.
 */
#define RW_READ(btf, ptr, field) ((btf) ? (ptr)->field : BPF_CORE_READ(ptr, field))

/*
 * The cgroup v2 id of a task: what bpf_get_current_cgroup_id() returns for current.
 * Before v5.5 (67c0496e87d1 "kernfs: convert kernfs_node->id from union
 * kernfs_node_id to u64") `id` was an 8-byte union whose first member was this same
 * 64-bit id, so one 8-byte read at the relocated offset serves both layouts.
 */
static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp->kn->id;
}

/*
 * A pid's number in the namespace of `level`, and that namespace's address:
 * pid->numbers[level], as pid_nr_ns() reads it (with pid->level, the pid's own namespace,
 * as task_active_pid_ns() does). A variable index: one probe read for the whole entry.
 */
static __always_inline __u64 upid_at(struct pid *pid, unsigned int level, __u32 *nr)
{
	struct upid upid = {};

	bpf_core_read(&upid, sizeof(upid), &pid->numbers[level]);
	*nr = upid.nr;
	return (__u64)upid.ns;
}

/* The pid namespace a task lives in (its innermost), as an address. */
static __always_inline struct pid_namespace *task_pidns(struct task_struct *task)
{
	struct pid *pid = task->thread_pid;
	__u32 nr;

	return (struct pid_namespace *)upid_at(pid, pid->level, &nr);
}

static __always_inline struct pid_namespace *task_pidns_at(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	__u32 nr;

	return (struct pid_namespace *)upid_at(pid, BPF_CORE_READ(pid, level), &nr);
}

/* The tgid of the init (child_reaper) of a task's pid namespace; 0 if it has none. */
static __always_inline __u32 pidns_init_tgid(struct pid_namespace *ns)
{
	return BPF_CORE_READ(ns, child_reaper, tgid);
}

static __always_inline void copy_comm(char dst[RW_COMM_LEN], struct task_struct *task)
{
	__builtin_memcpy(dst, task->comm, RW_COMM_LEN);
}

/* Fill the subject of an event from any thread of the process. */
static __always_inline void fill_proc(struct rw_proc *proc, struct task_struct *task)
{
	struct task_struct *leader = task->group_leader;
	/* The leader's pid is the thread-group id in every namespace. */
	struct pid *pid = leader->thread_pid;
	struct pid_namespace *ns;

	proc->pid = task->tgid;
	proc->pidns_level = pid->level;
	ns = (struct pid_namespace *)upid_at(pid, proc->pidns_level, &proc->ns_pid);
	proc->pidns = BPF_CORE_READ(ns, ns.inum);
	proc->cgroup_id = task_cgroup_id(task);
	proc->start_ns = leader->start_time;
	copy_comm(proc->comm, leader);
}

static __always_inline void fill_proc_at(struct rw_proc *proc, struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct pid *pid = BPF_CORE_READ(leader, thread_pid);
	struct pid_namespace *ns;

	proc->pid = BPF_CORE_READ(task, tgid);
	proc->pidns_level = BPF_CORE_READ(pid, level);
	ns = (struct pid_namespace *)upid_at(pid, proc->pidns_level, &proc->ns_pid);
	proc->pidns = BPF_CORE_READ(ns, ns.inum);
	proc->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	proc->start_ns = BPF_CORE_READ(leader, start_time);
	BPF_CORE_READ_INTO(&proc->comm, leader, comm);
}

static __always_inline void fill_peer(struct rw_peer *peer, struct task_struct *task)
{
	peer->pid = task->tgid;
	peer->_pad = 0;
	copy_comm(peer->comm, task->group_leader);
}

static __always_inline void fill_peer_at(struct rw_peer *peer, struct task_struct *task)
{
	peer->pid = BPF_CORE_READ(task, tgid);
	peer->_pad = 0;
	BPF_CORE_READ_INTO(&peer->comm, task, group_leader, comm);
}

static __always_inline void fill_peer_current(struct rw_peer *peer)
{
	peer->pid = current_tgid();
	peer->_pad = 0;
	if (current_btf())
		copy_comm(peer->comm, bpf_get_current_task_btf()->group_leader);
	else
		BPF_CORE_READ_INTO(&peer->comm, current_task(), group_leader, comm);
}

/*
 * The status word wait_task_zombie() will hand the parent: the group exit code
 * when the whole group was told to exit (exit_group(), a fatal signal), else the
 * leader's own exit_code.
 */
static __always_inline __u32 task_exit_status(struct task_struct *task)
{
	struct signal_struct *sig = task->signal;

	if (sig->flags & RW_SIGNAL_GROUP_EXIT)
		return sig->group_exit_code;
	return task->group_leader->exit_code;
}

/*
 * The signal a process's exit notifies its parent with (`leader`'s, a BTF pointer), as
 * exit_notify() and do_notify_parent() choose it on every kernel since v5.10: its exit_signal,
 * but SIGCHLD for a traced child whose tracer is not its parent, and SIGCHLD when the parent
 * has exec'd since the fork (parent_exec_id != the parent's self_exec_id: "changed security
 * domain"). Whom it goes to is `leader->parent`: the tracer, if traced.
 */
static __always_inline int exit_notify_signal(struct task_struct *leader)
{
	struct task_struct *parent = leader->parent;
	int sig = leader->exit_signal;

	if (leader->ptrace && parent != leader->real_parent)
		return RW_SIGCHLD;
	if (sig != RW_SIGCHLD && leader->parent_exec_id != parent->self_exec_id)
		return RW_SIGCHLD;
	return sig;
}

static __always_inline int exit_notify_signal_at(struct task_struct *leader)
{
	struct task_struct *parent = BPF_CORE_READ(leader, parent);
	int sig = BPF_CORE_READ(leader, exit_signal);

	if (BPF_CORE_READ(leader, ptrace) && parent != BPF_CORE_READ(leader, real_parent))
		return RW_SIGCHLD;
	if (sig != RW_SIGCHLD &&
	    BPF_CORE_READ(leader, parent_exec_id) != BPF_CORE_READ(parent, self_exec_id))
		return RW_SIGCHLD;
	return sig;
}

/* How many times the task (an address) was switched out, voluntarily or not: only ever
 * grows. task_switches() for a BTF-typed task. */
static __always_inline __u64 task_switches_at(struct task_struct *task)
{
	return BPF_CORE_READ(task, nvcsw) + BPF_CORE_READ(task, nivcsw);
}

static __always_inline __u64 task_switches(struct task_struct *task)
{
	return task->nvcsw + task->nivcsw;
}

#endif /* REAPWATCH_TASK_BPF_H */
