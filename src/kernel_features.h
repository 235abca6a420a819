/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel offers the BPF side, probed before anything is loaded, so that
 * the agent picks programs that this kernel's verifier accepts instead of failing the
 * whole load (one missing feature turns one feature off, with a line saying so). Also the preconditions whose absence deserves its own message: BTF, the
 * bpf() system call, capabilities.
 */
#ifndef REAPWATCH_KERNEL_FEATURES_H
#define REAPWATCH_KERNEL_FEATURES_H

#include <stdbool.h>

#define KERNEL_BTF_PATH "/sys/kernel/btf/vmlinux"

struct kernel_features {
	/* sched_process_exit passes group_dead (v6.16, "sched: Add group_dead to the
	 * sched_process_exit tracepoint"); before, the exit programs decide from
	 * signal->live and a claim. */
	bool exit_group_dead;
	/* the bpf_loop() helper (v5.17, e364a4aea8b0): the walks of a dying father's
	 * children, of a wait()'s children and of a dying namespace's members. */
	bool bpf_loop;
};

/* Probes the kernel with two tiny programs (a millisecond or two). -errno when it cannot. */
int kernel_features__probe(struct kernel_features *kf);

/* CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN, in our effective set (root has all), in the
 * initial user namespace (a user namespace's capabilities do not count for BPF). */
bool have_bpf_capabilities(void);

/* Does this kernel have the bpf() system call at all (CONFIG_BPF_SYSCALL)? */
bool bpf_syscall_exists(void);

#endif /* REAPWATCH_KERNEL_FEATURES_H */
