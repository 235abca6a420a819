// SPDX-License-Identifier: GPL-2.0
/* The procs table's slots as memory (see procs_slots.h). */
#include <stdlib.h>
#include <string.h>
#include "procs_slots.h"

bool procs_slots_read(const struct rw_proc_state *slots, size_t i, struct rw_proc_state *st)
{
	const struct rw_proc_state *slot = &slots[i];
	__u64 owner = __atomic_load_n(&slot->task, __ATOMIC_ACQUIRE);

	/* Most slots are free: one load before the copy. A slot given to another process
	 * while it was copied is not this one's: its owner is looked at again. */
	if (!owner)
		return false;
	memcpy(st, slot, sizeof(*st));
	return st->task == owner && __atomic_load_n(&slot->task, __ATOMIC_ACQUIRE) == owner;
}

bool procs_slots_release(struct rw_proc_state *slots, size_t n, size_t i,
			 const struct rw_proc_state *st)
{
	__u64 owner = st->task;

	if (!__atomic_compare_exchange_n(&slots[i].task, &owner, 0, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	if (st->probe)
		__atomic_fetch_sub(&slots[rw_proc_slot(st->proc.pid, 0, (__u32)n - 1)].spill, 1,
				   __ATOMIC_RELAXED);
	return true;
}

int procs_slots_repair_spills(struct rw_proc_state *slots, size_t n)
{
	__u32 mask = (__u32)n - 1, *held = calloc(n, sizeof(*held));
	int repaired = 0;

	if (!held)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct rw_proc_state *slot = &slots[i];

		if (__atomic_load_n(&slot->task, __ATOMIC_ACQUIRE) && slot->probe)
			held[rw_proc_slot(slot->proc.pid, 0, mask)]++;
	}
	for (size_t i = 0; i < n; i++) {
		__u32 *spill = &slots[i].spill;
		__u32 seen = __atomic_load_n(spill, __ATOMIC_ACQUIRE);

		/* (a count it raises too far, a state having been released meanwhile, only costs
		 * lookups a probe or two; one that changed meanwhile is left to the next sweep) */
		if ((seen < held[i] || seen >= 1u << 31) &&
		    __atomic_compare_exchange_n(spill, &seen, held[i], false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			repaired++;
	}
	free(held);
	return repaired;
}

unsigned long procs_slots_for_pid_max(unsigned long pid_max)
{
	unsigned long slots = 1024;

	while (slots < pid_max && slots < RW_PROC_SLOTS)
		slots *= 2;
	return slots;
}
