/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CO-RE reads of a task's identity and attribution. Raw tracepoints hand us the
 * kernel's own pointers, so every field goes through BPF_CORE_READ (probe reads
 * relocated against this kernel's BTF).
 */
#ifndef REAPWATCH_TASK_BPF_H
#define REAPWATCH_TASK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "reapwatch.h"

#define RW_PF_EXITING 0x00000004	/* include/linux/sched.h */
#define RW_SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */

/*
 * The programs are tp_btf: their task_struct arguments are BTF-typed, so fields
 * are plain loads (CO-RE-relocated, fault-safe) instead of one bpf_probe_read_kernel()
 * call each, which is most of what an event costs. What hangs off a computed
 * pointer (container_of, a variable array index) still goes through BPF_CORE_READ().
 */

/* Make a computed address (container_of, a probe read) BTF-typed again (v6.2+). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

static __always_inline struct task_struct *as_task(__u64 addr)
{
	return bpf_rdonly_cast((void *)addr, bpf_core_type_id_kernel(struct task_struct));
}

static __always_inline struct list_head *as_list(__u64 addr)
{
	return bpf_rdonly_cast((void *)addr, bpf_core_type_id_kernel(struct list_head));
}

#define task_of(node, member)                                                                      \
	as_task((__u64)(node) - bpf_core_field_offset(struct task_struct, member))

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
 * A task's pid as its own (innermost) pid namespace numbers it, and that namespace:
 * pid->numbers[pid->level], as task_active_pid_ns() and pid_nr_ns() read them.
 */
static __always_inline struct pid_namespace *pid_innermost(struct pid *pid, __u32 *nr,
							   __u32 *level)
{
	unsigned int lvl = pid->level;
	struct upid upid = {};

	/* A variable index: one probe read for the whole entry. */
	bpf_core_read(&upid, sizeof(upid), &pid->numbers[lvl]);
	*level = lvl;
	*nr = upid.nr;
	return bpf_rdonly_cast(upid.ns, bpf_core_type_id_kernel(struct pid_namespace));
}

static __always_inline struct pid_namespace *task_pidns(struct task_struct *task)
{
	__u32 nr, level;

	return pid_innermost(task->thread_pid, &nr, &level);
}

static __always_inline void copy_comm(char dst[RW_COMM_LEN], struct task_struct *task)
{
	__builtin_memcpy(dst, task->comm, RW_COMM_LEN);
}

/* Fill the subject of an event from any thread of the process. */
static __always_inline void fill_proc(struct rw_proc *proc, struct task_struct *task)
{
	struct task_struct *leader = task->group_leader;
	struct pid_namespace *ns;

	proc->pid = task->tgid;
	/* The leader's pid is the thread-group id in every namespace. */
	ns = pid_innermost(leader->thread_pid, &proc->ns_pid, &proc->pidns_level);
	proc->pidns = ns->ns.inum;
	proc->cgroup_id = task_cgroup_id(task);
	proc->start_ns = leader->start_time;
	copy_comm(proc->comm, leader);
}

static __always_inline void fill_peer(struct rw_peer *peer, struct task_struct *task)
{
	peer->pid = task->tgid;
	peer->_pad = 0;
	copy_comm(peer->comm, task->group_leader);
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

#endif /* REAPWATCH_TASK_BPF_H */
