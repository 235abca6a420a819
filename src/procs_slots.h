/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The slots of the kernel side's table of exited processes (struct rw_proc_state[n], n a
 * power of two; bpf/procs.bpf.h) as plain memory: reading a slot, giving one up, and keeping
 * the `spill` counts right. Apart from the mapping (procs_table.c), so that a test can run
 * them on memory of its own; every access is atomic, as the kernel side changes the slots
 * meanwhile.
 */
#ifndef REAPWATCH_PROCS_SLOTS_H
#define REAPWATCH_PROCS_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include "reapwatch.h"

/* Copy slot `i` into `st`: false if it is free (or was given to another while copied). */
bool procs_slots_read(const struct rw_proc_state *slots, size_t i, struct rw_proc_state *st);
/* Free slot `i` if the owner of `st` (its copy) still holds it: true if it did. A state in a
 * later probe than its first is taken off its first slot's `spill`. */
bool procs_slots_release(struct rw_proc_state *slots, size_t n, size_t i,
			 const struct rw_proc_state *st);
/* Raise every `spill` count found lower than the states held in later probes of its slot
 * (or wrapped below 0): a rare race of the kernel side with a release may leave one too low,
 * which would hide a state from lookups. Returns how many it raised; -1 out of memory. */
int procs_slots_repair_spills(struct rw_proc_state *slots, size_t n);
/* How many slots the table wants for a kernel.pid_max: a slot for every pid the kernel may
 * hand out, so that no two live states share a first slot (a power of two, 1024 at least,
 * RW_PROC_SLOTS at most). */
unsigned long procs_slots_for_pid_max(unsigned long pid_max);

#endif /* REAPWATCH_PROCS_SLOTS_H */
