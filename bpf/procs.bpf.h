/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state of exited processes until their free (struct rw_proc_state): map `procs`,
 * which this header owns, and the only code that finds, claims or releases its slots.
 *
 * Not a hash map. On the fork/exit path of every process a hash map costs an insert at the
 * exit and a delete at the free, each under the bucket's lock with interrupts off, and two
 * or three cache misses per lookup (measured here: 1-1.5 us of a process's BPF time).
 * Instead, an array of slots indexed by the process's host tgid: a tgid is the process's own
 * from its fork till its reap (the number goes back to the allocator in release_task() ->
 * free_pid(), never earlier), and a zombie is what we hold state for, so while pid_max is no
 * larger than the table (the kernel's default on up to 32 CPUs is 32768), no two states
 * ever want the same first slot. Above that (systemd raises pid_max to 4194304), a tgid that
 * finds its slot taken tries RW_PROC_PROBES slots in all: states live for the milliseconds
 * from exit to free, or a zombie's life, so few are held at once. A slot is taken by setting
 * its `task` (the owner's leader address) where it was 0 (core_fixes.bpf.h, rw_slot_swap()),
 * released by storing 0: no lock, and a lookup is one array access.
 *
 * A lookup that misses (a process with no state: its parent autoreaps, or it exited before we
 * started) would take all RW_PROC_PROBES slots, each in another page, cold: 1.8 us per free
 * measured here. So a state in a later probe is counted in its tgid's first slot (`spill`,
 * atomic adds only: every CPU and the agent's sweep change it), and a lookup whose first slot
 * holds neither it nor a spill stops there (1.0 us). A count left too high costs only probes;
 * one left too low (a release racing a claim on 5.10, which has no compare-and-exchange) is
 * raised again by the agent's sweep (src/procs_slots.c, procs_slots_repair_spills()).
 *
 * Userspace reads the table through mmap() (BPF_F_MMAPABLE): the agent's sweep of states
 * whose free never came (src/agent.c), and `reapwatch zombies` through the pin.
 */
#ifndef REAPWATCH_PROCS_BPF_H
#define REAPWATCH_PROCS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "reapwatch.h"
#include "core_fixes.bpf.h"

/* Set by userspace: the table's size less one (a power of two less one): from kernel.pid_max,
 * smaller for the test knob REAPWATCH_TEST_MAP_ENTRIES, one slot for an agent that keeps no
 * state. */
const volatile __u32 procs_mask = RW_PROC_SLOTS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RW_PROC_SLOTS);
	__type(key, __u32);
	__type(value, struct rw_proc_state);
} procs SEC(".maps");

/* The table's slot for a tgid's probe `i`, or NULL. */
static __always_inline struct rw_proc_state *procs_slot(__u32 tgid, __u32 i)
{
	__u32 idx = rw_proc_slot(tgid, i, procs_mask);

	return bpf_map_lookup_elem(&procs, &idx);
}

/* The state of the process whose leader is at `task`, or NULL. */
static __always_inline struct rw_proc_state *procs_find(__u64 task, __u32 tgid)
{
	struct rw_proc_state *st;

	for (__u32 i = 0; i < RW_PROC_PROBES; i++) {
		st = procs_slot(tgid, i);
		if (!st)
			return NULL;
		if (st->task == task)
			return st;
		if (!i && !*(volatile __u32 *)&st->spill)
			return NULL; /* no state of this first slot's is in a later probe */
	}
	return NULL;
}

/* Count a state of `tgid` taken (1) or given up (-1) in its probe `probe`: only later ones. */
static __always_inline void procs_spill(__u32 tgid, __u32 probe, __s32 delta)
{
	struct rw_proc_state *first;

	if (!probe || !(first = procs_slot(tgid, 0)))
		return;
	__sync_fetch_and_add(&first->spill, delta);
}

/*
 * Fill the slot `st`, taken as probe `probe` of the state `new` (built elsewhere), with it:
 * all but the slot's own `spill`. `displaced`: the slot held a state till now (the same
 * task_struct's, whose free we missed, or a stale one of the same tgid), given up in the
 * counts first; a free slot's content is a released state's, already given up.
 */
static __always_inline void procs_fill(struct rw_proc_state *st, const struct rw_proc_state *new,
				       __u64 task, __u32 probe, bool displaced)
{
	if (displaced)
		procs_spill(st->proc.pid, st->probe, -1);
	procs_spill(new->proc.pid, probe, 1);
	st->how = new->how;
	st->autoreap = new->autoreap;
	st->probe = probe;
	st->_pad = 0;
	__builtin_memcpy(&st->proc, &new->proc,
			 sizeof(*st) - __builtin_offsetof(struct rw_proc_state, proc));
	st->task = task;
}

/* The owner of a slot being refilled for the task that owned it (procs_claim()): no task's
 * address, so no lookup finds it and the agent's sweep does not give it up. */
#define PROCS_FILLING 1ull

/* Take the slot from `owner` (0: a free slot; else a stale state's): another CPU may be
 * taking it at this moment, or the agent's sweep giving it up. */
static __always_inline bool procs_take(struct rw_proc_state *st, __u64 owner, __u64 task)
{
	return rw_slot_swap(&st->task, owner, task);
}

/* Give up the slot if `task` still owns it (the agent's sweep may have freed it for
 * another meanwhile). */
static __always_inline void procs_release(struct rw_proc_state *st, __u64 task)
{
	__u32 tgid = st->proc.pid, probe = st->probe; /* (before: the slot may be taken at once) */

	if (rw_slot_swap(&st->task, task, 0))
		procs_spill(tgid, probe, -1);
}

/*
 * Write every page of the table once from the kernel side, before the programs are attached
 * (prefault_procs, reapwatch.bpf.c). The first access to a page of this vmalloc()ed table
 * costs, in a guest whose host shadows its page tables (these machines), ~10 us: a fresh
 * agent's exits paid it for every 28 new tgids, 0.4 us per process, until every page had been
 * touched once. Each slot's `_pad`, 0 in a table nothing has used yet.
 */
#define PROCS_SLOTS_PER_PAGE (4096 / sizeof(struct rw_proc_state))

static __always_inline void procs_prefault(void)
{
	struct rw_proc_state *st;
	__u32 idx;

	for (__u32 i = 0; i < RW_PROC_SLOTS / PROCS_SLOTS_PER_PAGE + 1; i++) {
		idx = i * PROCS_SLOTS_PER_PAGE;
		if (idx > procs_mask)
			break;
		st = bpf_map_lookup_elem(&procs, &idx);
		if (st)
			st->_pad = 0;
	}
}

#endif /* REAPWATCH_PROCS_BPF_H */
