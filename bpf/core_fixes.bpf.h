/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels we run on, one helper each, citing the change.
 */
#ifndef REAPWATCH_CORE_FIXES_BPF_H
#define REAPWATCH_CORE_FIXES_BPF_H

#include "vmlinux.h"

/*
 * BPF_ATOMIC's compare-and-exchange came in v5.12 (5ffa25502b5a "bpf: Add instructions for
 * atomic_[cmp]xchg"); set by userspace from a probe (src/kernel_features.c). On an older
 * kernel the instruction is never reached, so its verifier never sees it (the branch is
 * decided by this read-only constant), and a slot is taken by a check and a store: two CPUs
 * taking one free slot for two processes in the same few nanoseconds could both succeed.
 */
const volatile bool has_cmpxchg = false;

static __always_inline bool rw_cmpxchg_u64(__u64 *p, __u64 old, __u64 new)
{
	if (has_cmpxchg)
		return __sync_val_compare_and_swap(p, old, new) == old;
	if (*(volatile __u64 *)p != old)
		return false;
	*p = new;
	return true;
}

#endif /* REAPWATCH_CORE_FIXES_BPF_H */
