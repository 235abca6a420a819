// SPDX-License-Identifier: GPL-2.0
/* Kernel feature probes (kernel_features.h): what the running kernel's BPF offers, asked
 * before the load. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kernel_features.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

/*
 * Does the raw tracepoint NAME pass at least `args` arguments? A three-instruction program
 * that reads its ctx[args - 1] is attached for a moment: the kernel refuses the attach
 * (EINVAL, bpf_probe_register()) when the program reads past the tracepoint's arguments.
 * About a millisecond, where parsing the kernel's BTF for the prototype takes 50-250 ms
 * (and libbpf parses it again to load).
 */
static bool tracepoint_takes(const char *name, unsigned int args)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1,
		  .off = (short)((args - 1) * 8) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog, link;

	prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", insns, 3, NULL);
	if (prog < 0)
		return false;
	link = bpf_raw_tracepoint_open(name, prog);
	if (link >= 0)
		close(link);
	close(prog);
	return link >= 0;
}

int kernel_features__probe(struct kernel_features *kf)
{
	int loop;

	/* v6.16 passes group_dead, v5.17 has bpf_loop() (bpf/core_fixes.bpf.h) */
	kf->exit_group_dead = tracepoint_takes("sched_process_exit", 2);
	/* libbpf loads a tiny program that calls the helper (a tracing program type: ours) */
	loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop, NULL);
	if (loop < 0 && loop != -EOPNOTSUPP)
		return loop;
	kf->bpf_loop = loop > 0;
	return 0;
}

/*
 * Is this process in the initial user namespace? Its uid_map then maps every uid to
 * itself. BPF asks for capabilities there (bpf_capable(), capable() against
 * init_user_ns): a rootless container's root has them all in CapEff, and none that count.
 */
static bool in_initial_user_namespace(void)
{
	unsigned long long inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "re");
	int n;

	if (!f)
		return true; /* no user namespaces in this kernel */
	n = fscanf(f, "%llu %llu %llu", &inside, &outside, &count);
	fclose(f);
	return n == 3 && inside == 0 && outside == 0 && count == 4294967295ull;
}

bool have_bpf_capabilities(void)
{
	unsigned long long eff = 0;
	char line[256];
	bool found = false;
	FILE *f;

	/* Effective capabilities, not the uid: root in a container may lack them. */
	f = fopen("/proc/self/status", "re");
	if (!f)
		return true; /* cannot tell: let the kernel decide */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	if (!found)
		return true;
	if (!in_initial_user_namespace())
		return false;
	return (eff >> CAP_SYS_ADMIN_BIT & 1) ||
	       ((eff >> CAP_BPF_BIT & 1) && (eff >> CAP_PERFMON_BIT & 1));
}

bool bpf_syscall_exists(void)
{
	/* An empty attribute is invalid for every command: EINVAL (or EPERM) means the call
	 * exists, ENOSYS that the kernel was built without it. */
	return !(syscall(__NR_bpf, BPF_MAP_CREATE, NULL, 0) < 0 && errno == ENOSYS);
}
