/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Owns no map: what keeps the hot paths short. The occupancy counts (`*_live` globals, kept
 * by each map's owner and told by the agent's sweeps) that let a hot path skip the lookup in
 * a map that is nearly always empty; and RW_COLD, below.
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

/* (Nearly always false: the compiler lays out what it guards after the hot path.) */
static __always_inline bool live_any(const __s64 *c)
{
	return __builtin_expect(*(volatile const __s64 *)c > 0, 0);
}

/*
 * A function of a rare path (an orphan's walk or its check, a teardown, a state whose free was
 * missed): a BPF-to-BPF call, out of line, instead of inlined into the program that calls it,
 * so that the code every exit, SIGCHLD and free runs is not spread among it (the instruction
 * cache: the exit program went from 2265 to 1103 instructions). Measured here (fork storm,
 * 8 interleaved rounds against the build before): 6 % less BPF time per process, SIGCHLD's
 * and free's programs most; within the noise of this host for the exit's. At most 5
 * arguments; nothing that reaches a bpf_loop() from a program built for kernels without it
 * (handle_*_noloop): a subprogram is linked in wherever a call to it is left, whatever its
 * arguments.
 */
#define RW_COLD __attribute__((noinline))

#endif /* REAPWATCH_LIVE_BPF_H */
