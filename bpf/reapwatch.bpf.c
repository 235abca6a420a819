// SPDX-License-Identifier: GPL-2.0
/*
 * reapwatch kernel side: process lifecycle tracepoints -> one ring buffer of
 * tagged records (include/reapwatch.h).
 *
 * Raw tracepoints only: they exist on every kernel with BTF, need no kprobes or
 * fentry, and hand us the kernel's own task_struct pointers.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "reapwatch.h"
#include "task.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load. */
const volatile __u32 event_mask = RW_EVENTS_DEFAULT;
/*
 * Records are submitted without waking the reader (a wakeup costs 1-7 us per
 * event here, see shared/bench); userspace drains every 100 ms. Once this much is
 * waiting, wake it so a burst cannot fill the ring between two drains.
 */
const volatile __u64 wakeup_bytes = 1 << 20;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by userspace before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

#define SI_USER 0
#define SI_KERNEL 0x80
#define SIGKILL 9
/* kernel/signal.c passes these instead of a siginfo pointer. */
#define SEND_SIG_NOINFO ((struct kernel_siginfo *)0)
#define SEND_SIG_PRIV ((struct kernel_siginfo *)1)

static __always_inline bool wanted(enum rw_record_type type)
{
	return event_mask & RW_EVENT_BIT(type);
}

static __always_inline void count(enum rw_counter ctr)
{
	__u32 key = ctr;
	__u64 *val = bpf_map_lookup_elem(&counters, &key);

	if (val)
		*val += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline void *reserve(__u32 size, enum rw_record_type type)
{
	struct rw_header *hdr = bpf_ringbuf_reserve(&events, size, 0);

	if (!hdr) {
		count(RW_CTR_RINGBUF_LOST);
		return NULL;
	}
	hdr->type = type;
	hdr->size = size;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts_ns = bpf_ktime_get_ns();
	return hdr;
}

static __always_inline void submit(void *rec)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct rw_fork_record *rec;

	if (!wanted(RW_REC_FORK))
		return 0;
	/* A new thread is not a new process. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	rec = reserve(sizeof(*rec), RW_REC_FORK);
	if (!rec)
		return 0;
	fill_proc(&rec->child, child);
	/* real_parent, not `parent`: CLONE_PARENT makes the caller's parent the parent. */
	fill_peer(&rec->parent, BPF_CORE_READ(child, real_parent));
	submit(rec);
	return 0;
}

/*
 * do_exit() fires this once per thread; exactly one thread of a process sees
 * group_dead (the one that drops signal->live to zero, not necessarily the leader),
 * and only then has the process exited. Reading signal->live here instead would race:
 * two threads exiting at once can both see it at zero.
 */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task, bool group_dead)
{
	struct rw_exit_record *rec;
	__u64 now;

	if (!wanted(RW_REC_EXIT))
		return 0;
	if (!group_dead)
		return 0;
	rec = reserve(sizeof(*rec), RW_REC_EXIT);
	if (!rec)
		return 0;
	fill_proc(&rec->proc, task);
	fill_peer(&rec->parent, BPF_CORE_READ(task, real_parent));
	rec->exit_status = task_exit_status(task);
	now = rec->hdr.ts_ns;
	rec->lifetime_ns = now > rec->proc.start_ns ? now - rec->proc.start_ns : 0;
	submit(rec);
	return 0;
}

/*
 * A SIGKILL that zap_pid_ns_processes() sends to whatever is left in a pid
 * namespace whose init is exiting. It sends with SEND_SIG_PRIV (si_code SI_KERNEL)
 * from the exiting init (PF_EXITING), which is the target namespace's child_reaper.
 * User space cannot send SI_KERNEL to another process, and an OOM kill, also
 * SI_KERNEL, comes from a task that is not the target's child_reaper.
 */
static __always_inline bool is_pidns_teardown_kill(int sig, int code, struct task_struct *target)
{
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();
	struct task_struct *reaper;

	if (sig != SIGKILL || code != SI_KERNEL || current == target)
		return false;
	if (!(BPF_CORE_READ(current, flags) & RW_PF_EXITING))
		return false;
	reaper = BPF_CORE_READ(task_pidns(target), child_reaper);
	return reaper && BPF_CORE_READ(reaper, tgid) == BPF_CORE_READ(current, tgid);
}

SEC("raw_tp/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *target, int group, int result)
{
	struct rw_signal_record *rec;
	int code;

	if (!wanted(RW_REC_SIGNAL))
		return 0;
	/* As TP_STORE_SIGINFO() decodes it for the plain tracepoint. */
	if (info == SEND_SIG_NOINFO)
		code = SI_USER;
	else if (info == SEND_SIG_PRIV)
		code = SI_KERNEL;
	else
		code = BPF_CORE_READ(info, si_code);

	rec = reserve(sizeof(*rec), RW_REC_SIGNAL);
	if (!rec)
		return 0;
	fill_proc(&rec->target, target);
	fill_peer(&rec->sender, (struct task_struct *)bpf_get_current_task());
	rec->sig = sig;
	rec->code = code;
	rec->result = result;
	rec->group = group != 0;
	if (is_pidns_teardown_kill(sig, code, target))
		rec->origin = RW_ORIGIN_PIDNS_TEARDOWN;
	else if (code == SI_KERNEL || code > 0)
		rec->origin = RW_ORIGIN_KERNEL;
	else
		rec->origin = RW_ORIGIN_USER;
	submit(rec);
	return 0;
}
