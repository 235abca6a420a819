/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Owns no map and no program: every place where what the programs may do or read differs
 * by kernel (5.10 to the newest), each with the kernel commit that made the difference
 * (libbpf-tools' core_fixes.bpf.h habit). A difference that userspace settles before load
 * (which program is loaded, which knob is set) is said here too, with where it is settled.
 *
 * Settled by userspace (src/kernel_features.c, src/agent.c):
 *   - sched_process_exit's group_dead argument: v6.16, 3e816361e94a "sched/tracepoints:
 *     Move and extend the sched_process_exit() tracepoint". kernel_features_probe() asks
 *     whether the raw tracepoint takes two arguments; without it handle_exit_compat (or
 *     handle_exit_noloop) is loaded and the process's exit is claimed (exit_claim.bpf.h).
 *   - bpf_loop(): v5.17, e364a4aea8b0 "bpf: Add bpf_loop helper". Without it
 *     handle_exit_noloop is loaded, built with `walks` false (a constant: no call to the
 *     helper is emitted, which an older verifier refuses even where it cannot be reached):
 *     no orphan walk, no member count (RW_MEMBERS_UNKNOWN), and handle_wait not attached.
 *
 * In the programs:
 *   - sched_switch's arguments: prev_state came as the fourth in v5.18 (fa2c3254d7cf
 *     "sched/tracing: Don't re-read p->state when emitting sched_switch event"); only
 *     ctx[2] (next) is read, the same on every kernel.
 *   - signal_generate's `info`: kernel/signal.c passes SEND_SIG_NOINFO (0) or SEND_SIG_PRIV
 *     (1) instead of a siginfo pointer. Newer verifiers type such an argument as a scalar
 *     ("marking pointer arg1 as scalar as it may encode error": the mechanism is 838a10bd2ebf
 *     "bpf: Augment raw_tp arguments with PTR_MAYBE_NULL", v6.13; the commit that lists
 *     signal_generate: not found; seen on a 6.18 build, shared/KERNEL.md) and refuse a plain
 *     load through it: siginfo_code() and siginfo_pid() read it with probe reads.
 *   - task_struct.on_cpu exists only with CONFIG_SMP (a config, not a version), and is a
 *     u8 in v7.2 and v7.3 (seen on Debian's, commit not found), an int up to v6.18:
 *     task_on_cpu().
 *   - start_boottime: named so since v5.5 (cf25e24db61c "time: Rename tsk->real_start_time
 *     to ->start_boottime"), before every kernel we support: read by its name alone.
 *   - kernfs_node.id: a u64 since v5.5 (67c0496e87d1 "kernfs: convert kernfs_node->id from
 *     union kernfs_node_id to u64"), the same 8 bytes before: task_cgroup_id() (task.bpf.h).
 *   - Computed task addresses are scalars read with BPF_CORE_READ() (task.bpf.h):
 *     bpf_rdonly_cast() is v6.2 (a35b9af4ec2c "bpf: Add a kfunc for generic type cast");
 *     6.12 refuses arithmetic between a BTF pointer and a register it cannot bound, even
 *     CO-RE constants (commit not found). `current` is BTF-typed where the kernel has
 *     bpf_get_current_task_btf(), v5.11 (3ca1032ab7ab "bpf: Implement get_current_task_btf
 *     and RET_PTR_TO_BTF_ID"): current_btf() asks by CO-RE (the helper's enum value), and
 *     5.10's verifier never sees the call, in a branch that constant makes dead.
 *   - bpf_loop() callbacks: verified as if they ran once until ab5cfac139ab "bpf: verify
 *     callbacks as if they are called unknown number of times" (v6.7 or v6.8: the release
 *     not checked): the walks keep their state in per-CPU maps (orphans.bpf.h).
 *   - io_uring's waitid: v6.7, f31ecf671ddc "io_uring: add IORING_OP_WAITID support": a
 *     wait_opts not on the waiter's stack, its reap seen at the free only
 *     (reaping.bpf.h, on_waiter_stack()).
 *   - BPF_ATOMIC's compare-and-exchange: v5.12, not used (rw_slot_swap() below).
 *   - The 512-byte stack limit applied to a whole call chain, bpf_loop() callbacks
 *     included: seen on a 6.18 build (shared/KERNEL.md), commit not found; the build's
 *     384-byte budget (Makefile, `make stack`) keeps every kernel under it.
 */
#ifndef REAPWATCH_CORE_FIXES_BPF_H
#define REAPWATCH_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define RW_SI_USER   0
#define RW_SI_KERNEL 0x80
/* kernel/signal.c passes these instead of a siginfo pointer. */
#define SEND_SIG_NOINFO ((struct kernel_siginfo *)0)
#define SEND_SIG_PRIV	((struct kernel_siginfo *)1)

/* si_code as TP_STORE_SIGINFO() decodes it for the plain tracepoint (a probe read: see
 * above). */
static __always_inline void siginfo_code(int *code, struct kernel_siginfo *info)
{
	if (info == SEND_SIG_NOINFO)
		*code = RW_SI_USER;
	else if (info == SEND_SIG_PRIV)
		*code = RW_SI_KERNEL;
	else if (bpf_probe_read_kernel(code, sizeof(*code), &info->si_code))
		*code = RW_SI_USER;
}

/* A CLD_* siginfo's si_pid, 0 if unreadable; `info` a real pointer (the caller checked). */
static __always_inline int siginfo_pid(struct kernel_siginfo *info)
{
	int si_pid = 0;

	bpf_probe_read_kernel(&si_pid, sizeof(si_pid), &info->_sifields._sigchld._pid);
	return si_pid;
}

/* task_struct.on_cpu as an unsigned int: libbpf narrows a load of an unsigned field to the
 * kernel's size (it refuses to narrow a signed one, the int of vmlinux.h). */
struct task_struct___on_cpu {
	unsigned int on_cpu;
} __attribute__((preserve_access_index));

/* Is the task (BTF-typed if `btf`) on a CPU now? task_struct.on_cpu (CONFIG_SMP); without it,
 * assume not. An int up to 6.18, a u8 in 7.2 and 7.3 (with on_rq and is_blocked beside it): a
 * probe read of it takes the kernel's size. */
static __always_inline bool task_on_cpu(struct task_struct *task, bool btf)
{
	struct task_struct___on_cpu *t = (void *)task;

	if (!bpf_core_field_exists(t->on_cpu))
		return false;
	return btf ? t->on_cpu : BPF_CORE_READ_BITFIELD_PROBED(t, on_cpu);
}

/*
 * Taking a slot of a table (procs.bpf.h, the blocked waiters' in reaping.bpf.h) without a
 * lock. BPF_ATOMIC's compare-and-exchange would make it atomic, but it came in v5.12
 * (5ffa25502b5a "bpf: Add instructions for atomic_[cmp]xchg"), and 5.10's verifier refuses
 * the instruction anywhere in a program, reached or not ("BPF_STX uses reserved fields",
 * replace_map_fd_with_map_ptr()). So a check and a store: two CPUs taking one free slot
 * within the same few nanoseconds both think they did. For `procs` (two tgids a multiple of
 * the table's size apart, exiting at the same moment) the slot then holds a mix of the two
 * states; for a counters' slot, one count goes to the other cgroup.
 */
static __always_inline bool rw_slot_swap(__u64 *owner, __u64 old, __u64 new)
{
	if (*(volatile __u64 *)owner != old)
		return false;
	*(volatile __u64 *)owner = new;
	return true;
}

#endif /* REAPWATCH_CORE_FIXES_BPF_H */
