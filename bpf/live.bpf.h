/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Owns no map: the occupancy counts (`*_live` globals, kept by each map's owner and told
 * by the agent's sweeps) that let a hot path skip the lookup in a map that is nearly
 * always empty.
 *
 * Entries in a map that most tasks never have an entry in (orphans, pending_kids,
 * termination signals, teardowns, blocked waiters). Every task's free looks keys up in
 * those maps; while one is empty, which is nearly always, the lookup is skipped. Only
 * inserts that created a key and deletes that removed one count, so the count is never
 * below the map's entries; it may be above them (an LRU map's eviction, pending_kids; a
 * delete by userspace's sweep that does not subtract), which costs only lookups that find
 * nothing.
 */
#ifndef REAPWATCH_LIVE_BPF_H
#define REAPWATCH_LIVE_BPF_H

#include "vmlinux.h"

static __always_inline void live_add(__s64 *c, long err)
{
	if (!err)
		__sync_fetch_and_add(c, 1);
}

static __always_inline void live_sub(__s64 *c, long err)
{
	if (!err)
		__sync_fetch_and_add(c, -1);
}

static __always_inline bool live_any(const __s64 *c)
{
	return *(volatile const __s64 *)c > 0;
}

#endif /* REAPWATCH_LIVE_BPF_H */
