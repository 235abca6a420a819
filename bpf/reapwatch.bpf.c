// SPDX-License-Identifier: GPL-2.0
/*
 * reapwatch kernel side: the process lifecycle tracepoints, each program handing
 * its event to the modules that care (events.bpf.h sends records, reaping.bpf.h
 * keeps zombie state, orphans.bpf.h the adopters, teardown.bpf.h the namespace
 * teardowns, stats.bpf.h the export counters, exit_claim.bpf.h the exit on kernels
 * without group_dead; core_fixes.bpf.h says where kernels differ).
 *
 * Owns the entry programs, the exit's per-CPU scratch `exit_scratch` (the state it builds
 * for procs and the exit record), the fork, exit, signal and cgroup records, and the test
 * knob test_miss_frees.
 *
 * BTF-typed raw tracepoints (tp_btf) only: no kprobes, no fentry trampolines, and
 * the kernel's own task_struct pointers, readable with plain loads. No syscall
 * tracepoints: attaching one slows every syscall on the host.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "reapwatch.h"
#include "core_fixes.bpf.h"
#include "events.bpf.h"
#include "task.bpf.h"
#include "reaping.bpf.h"
#include "orphans.bpf.h"
#include "teardown.bpf.h"
#include "exit_claim.bpf.h"
#include "stats.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace for tests only (REAPWATCH_TEST_MISS_FREES=1): behave as if the kernel
 * had not run handle_free for processes named rw_nofree*, as it rarely does not. */
const volatile bool test_miss_frees = false;

static __always_inline bool test_free_missed(struct task_struct *task)
{
	static const char name[] = "rw_nofree";

	for (int i = 0; i < sizeof(name) - 1; i++)
		if (task->comm[i] != name[i])
			return false;
	return true;
}

#define SIGKILL 9

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct rw_fork_record *rec;

	/* A new thread is not a new process. */
	if (child->pid != child->tgid)
		return 0;
	stats_fork(task_cgroup_id(child));
	if (!wanted(RW_REC_FORK))
		return 0;
	rec = reserve(sizeof(*rec), RW_REC_FORK, bpf_ktime_get_ns());
	if (!rec)
		return 0;
	fill_proc(&rec->child, child);
	/* real_parent, not `parent`: CLONE_PARENT makes the caller's parent the parent. */
	fill_peer(&rec->parent, child->real_parent);
	submit(rec);
	return 0;
}

/*
 * What one exit builds before it goes into `procs` and the exit record: per CPU, since
 * the stack is shared with the bpf_loop() callbacks of the orphan and member walks
 * (512 bytes for the whole chain on every kernel; our budget is 384, see Makefile).
 * No program that can interrupt an exit on its CPU (handle_free from the RCU softirq,
 * handle_signal_generate from a hardirq) touches the exit's scratch maps, and an exit
 * runs with preemption off, so one exit at a time uses them per CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rw_proc_state);
} exit_scratch SEC(".maps");

/*
 * The process's last thread is exiting: its exit, its orphans, its zombie-to-be.
 * `walks`: this kernel has bpf_loop() (core_fixes.bpf.h), which the walks of a father's
 * children and of a dying namespace's members need; the programs for older kernels are
 * built without them (a constant: no call is emitted).
 */
static __always_inline int on_process_exit(struct task_struct *task, bool walks)
{
	struct rw_exit_record *rec;
	struct rw_proc_state *st;
	__u32 zero = 0;
	__u64 now;

	st = bpf_map_lookup_elem(&exit_scratch, &zero);
	if (!st)
		return 0;
	__builtin_memset(st, 0, sizeof(*st));
	now = bpf_ktime_get_ns();
	orphans_on_exit(task, now, &st->adopted_from);
	if (walks)
		orphans_on_father_exit(task, now);
	fill_proc(&st->proc, task);
	stats_exit(st->proc.cgroup_id);
	teardown_on_exit(task, &st->proc, now, walks);
	if (track_reaping)
		reaping_on_exit(task, st, now);
	if (!wanted(RW_REC_EXIT))
		return 0;
	rec = reserve(sizeof(*rec), RW_REC_EXIT, now);
	if (!rec)
		return 0;
	rec->proc = st->proc;
	fill_peer(&rec->parent, task->real_parent);
	rec->exit_status = task_exit_status(task);
	rec->lifetime_ns = now > st->proc.start_ns ? now - st->proc.start_ns : 0;
	submit(rec);
	return 0;
}

/*
 * do_exit() fires this once per thread; exactly one thread of a process sees
 * group_dead (the one that drops signal->live to zero, not necessarily the leader),
 * and only then has the process exited.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task, bool group_dead)
{
	if (track_reaping)
		reaping_on_thread_exit(task);
	if (!group_dead) {
		orphans_on_thread_exit(task, bpf_ktime_get_ns());
		return 0;
	}
	return on_process_exit(task, true);
}

static __always_inline int on_exit_compat(struct task_struct *task, bool walks)
{
	if (track_reaping)
		reaping_on_thread_exit(task);
	if (exit_claimed(task))
		return on_process_exit(task, walks);
	/* Not the last thread, or one that lost the claim to a sibling that saw zero first
	 * (and is walking the process's children, while this thread's own may leave). */
	if (walks)
		orphans_on_thread_exit(task, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_compat, struct task_struct *task)
{
	return on_exit_compat(task, true);
}

/* No bpf_loop() (core_fixes.bpf.h), so no orphan or member walks (userspace says so). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_noloop, struct task_struct *task)
{
	return on_exit_compat(task, false);
}

/*
 * A SIGKILL that zap_pid_ns_processes() sends to whatever is left in a pid
 * namespace whose init is exiting. It sends with SEND_SIG_PRIV (si_code SI_KERNEL)
 * from the exiting init (PF_EXITING), which is the child_reaper of the target's
 * namespace or of one it is nested in: zap kills every pid allocated in the dying
 * namespace, nested namespaces' processes included. User space cannot send SI_KERNEL
 * to another process, and an OOM kill, also SI_KERNEL, comes from a task that is no
 * namespace init of the target's.
 */
static __always_inline bool is_pidns_teardown_kill(int sig, int code, struct task_struct *target)
{
	struct task_struct *current = current_task();
	struct pid_namespace *ns;
	__u32 tgid;

	if (sig != SIGKILL || code != RW_SI_KERNEL || (__u64)current == (__u64)target)
		return false;
	if (!(BPF_CORE_READ(current, flags) & RW_PF_EXITING))
		return false;
	tgid = BPF_CORE_READ(current, tgid);
	ns = task_pidns(target);
	for (int i = 0; i < MAX_PIDNS_DEPTH && ns && BPF_CORE_READ(ns, level); i++) {
		if (pidns_init_tgid(ns) == tgid)
			return true;
		ns = BPF_CORE_READ(ns, parent);
	}
	return false;
}

/*
 * A child's PR_SET_PDEATHSIG signal: forget_original_parent() sends it with SEND_SIG_NOINFO
 * (so si_code SI_USER, as a kill() would have) from the exiting parent, after it has set the
 * child's real_parent to the adopter. No process that is exiting sends a signal with no
 * siginfo otherwise (a tty hangup at exit is SEND_SIG_PRIV).
 */
static __always_inline bool is_parent_death_signal(int sig, struct task_struct *target)
{
	struct task_struct *current = current_task();

	return target->pdeath_signal == sig && (__u64)current != (__u64)target &&
	       (BPF_CORE_READ(current, flags) & RW_PF_EXITING);
}

/*
 * Signals the kernel makes on its own, though their si_code is not SI_KERNEL:
 *   - SIGPIPE (pipe_write()) and SIGXFSZ (generic_write_check_limits()): send_sig(sig,
 *     current, 0), with no siginfo (SEND_SIG_NOINFO), to the writing thread itself;
 *     __send_signal_locked() fills in SI_USER with it as the sender. Not every signal sent
 *     with no siginfo is the kernel's: kill() passes none on 7.3 (seen on Debian's; up to
 *     7.2 it prepares one), so only these two, to the sending thread itself (a process
 *     that kill()s itself with SIGPIPE is taken for the kernel there);
 *   - a POSIX timer's expiry (SI_TIMER), a message queue's notification (SI_MESGQ), SIGIO
 *     (SI_SIGIO), de_thread()'s (SI_DETHREAD). Not SI_ASYNCIO nor SI_ASYNCNL: glibc's POSIX
 *     AIO and getaddrinfo_a() send those from a thread of the process with
 *     rt_sigqueueinfo(). A process could forge the others the same way (the kernel refuses
 *     only si_code >= 0 and SI_TKILL for another process, do_rt_sigqueueinfo()).
 */
#define RW_SI_TIMER   (-2)
#define RW_SI_MESGQ   (-3)
#define RW_SI_SIGIO   (-5)
#define RW_SI_DETHREAD (-7)

#define SIGPIPE 13
#define SIGXFSZ 25

static __always_inline bool kernel_made(int sig, int code, struct kernel_siginfo *info,
					struct task_struct *target)
{
	if (code == RW_SI_KERNEL || code > 0)
		return true;
	if (info == SEND_SIG_NOINFO)
		return (sig == SIGPIPE || sig == SIGXFSZ) && (__u64)target == (__u64)current_task();
	return code == RW_SI_TIMER || code == RW_SI_MESGQ || code == RW_SI_SIGIO ||
	       code == RW_SI_DETHREAD;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *target, int group, int result)
{
	struct rw_signal_record *rec;
	__u8 origin;
	__u64 now;
	int code;

	siginfo_code(&code, info); /* (`info` may be no pointer: core_fixes.bpf.h) */
	now = bpf_ktime_get_ns();
	if (is_pidns_teardown_kill(sig, code, target))
		origin = RW_ORIGIN_PIDNS_TEARDOWN;
	else if (info == SEND_SIG_NOINFO && is_parent_death_signal(sig, target))
		origin = RW_ORIGIN_PARENT_DEATH;
	else if (kernel_made(sig, code, info, target))
		origin = RW_ORIGIN_KERNEL;
	else
		origin = RW_ORIGIN_USER;
	if (track_reaping) {
		reaping_on_child_signal(code, info, target, now);
		if (origin == RW_ORIGIN_PIDNS_TEARDOWN)
			reaping_on_teardown_kill(target);
	}
	teardown_on_signal(sig, target, result, origin == RW_ORIGIN_PIDNS_TEARDOWN, now);
	stats_signal(task_cgroup_id(target), sig, origin);
	teardown_on_child_signal(sig, code, target, now);
	if (!wanted(RW_REC_SIGNAL))
		return 0;

	rec = reserve(sizeof(*rec), RW_REC_SIGNAL, now);
	if (!rec)
		return 0;
	fill_proc(&rec->target, target);
	fill_peer_current(&rec->sender);
	rec->sig = sig;
	rec->code = code;
	rec->result = result;
	rec->group = group != 0;
	rec->origin = origin;
	submit(rec);
	return 0;
}

/* do_wait() entry: wait4(), waitid(), and a dying namespace init's kernel_wait4(). */
SEC("tp_btf/sched_process_wait")
int BPF_PROG(handle_wait, struct pid *wo_pid)
{
	if (track_reaping)
		reaping_on_wait(wo_pid, bpf_ktime_get_ns(), true);
	return 0;
}

/* No bpf_loop() (core_fixes.bpf.h): only waits for one child by its pid. */
SEC("tp_btf/sched_process_wait")
int BPF_PROG(handle_wait_noloop, struct pid *wo_pid)
{
	if (track_reaping)
		reaping_on_wait(wo_pid, bpf_ktime_get_ns(), false);
	return 0;
}

/*
 * A context switch, on every CPU all the time: returns at once unless a blocked waiter is
 * remembered (reaping.bpf.h, blocked_waiter_takes()). Only `next` is read: ctx[2] on every
 * kernel (core_fixes.bpf.h).
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	reaping_on_sched_switch(next);
	return 0;
}

/*
 * The task_struct is being freed (delayed_put_task_struct(), an RCU callback):
 * whoever reaped it has done so. A raw tracepoint, never tp/: a plain tracepoint
 * program here is skipped by the recursion guard when the callback runs nested in
 * another BPF program (KERNEL.md). `current` is unrelated.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(handle_free, struct task_struct *task)
{
	__u64 now;

	if (test_miss_frees && test_free_missed(task))
		return 0;
	now = bpf_ktime_get_ns();
	if (exit_compat)
		release_exit_claim(task);
	orphans_on_free(task, now);
	teardown_on_free(task, now);
	if (track_reaping)
		reaping_on_free(task, now);
	return 0;
}

/* Never attached: run once by the agent before it attaches the others (procs_prefault()). */
SEC("raw_tp")
int prefault_procs(void *ctx)
{
	procs_prefault();
	return 0;
}

/*
 * A cgroup directory is made. The kernel computes `path` for the tracepoint only
 * while someone listens (TRACE_CGROUP_PATH() in kernel/cgroup/cgroup.c). Only the
 * default (v2) hierarchy's ids are the ones tasks report: a v1 hierarchy numbers
 * its kernfs nodes on its own, so compare roots with any task's dfl_cgrp.
 */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct rw_cgroup_record *rec;

	if ((__u64)cgrp->root != (__u64)BPF_CORE_READ(current_task(), cgroups, dfl_cgrp, root))
		return 0;
	rec = reserve(sizeof(*rec), RW_REC_CGROUP, bpf_ktime_get_ns());
	if (!rec)
		return 0;
	rec->cgroup_id = cgrp->kn->id;
	if (bpf_probe_read_kernel_str(rec->path, sizeof(rec->path), path) < 0)
		rec->path[0] = '\0';
	submit(rec);
	return 0;
}
