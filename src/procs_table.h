/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side's table of exited processes (map `procs`, bpf/procs.bpf.h), read through
 * mmap(): the agent's sweep of states whose free never came, and `reapwatch zombies`
 * through another agent's pin. Reads copy a slot; the only write is a release.
 */
#ifndef REAPWATCH_PROCS_TABLE_H
#define REAPWATCH_PROCS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include "reapwatch.h"

struct procs_table;

/* Map `map_fd` (kept open by the caller while the table lives). -errno; -EPROTO when the
 * map is not this version's table (`other_build`: another reapwatch's pin, whose layout its
 * BTF tells where we may read it). */
int procs_table__new(struct procs_table **out, int map_fd, bool writable, bool other_build);
size_t procs_table__slots(const struct procs_table *table);
/* Copy slot `i`: false if it is free. */
bool procs_table__read(const struct procs_table *table, size_t i, struct rw_proc_state *st);
/* Free slot `i` if the owner of `st` (its copy) still holds it (the kernel side may have given
 * it to another process meanwhile): true if it did. The table's size is a power of two. */
bool procs_table__release(struct procs_table *table, size_t i, const struct rw_proc_state *st);
/* procs_slots_repair_spills() on the table. */
int procs_table__repair_spills(struct procs_table *table);
void procs_table__free(struct procs_table *table);

#endif /* REAPWATCH_PROCS_TABLE_H */
