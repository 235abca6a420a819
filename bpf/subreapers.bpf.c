// SPDX-License-Identifier: GPL-2.0
/*
 * The processes that are child subreapers right now (prctl(PR_SET_CHILD_SUBREAPER)),
 * started before any agent or not: a task iterator prints their tgids, one per line.
 * `reapwatch zombies` runs it once to label parents, `export --log-events` at each zombie line
 * due (src/subreapers.c keeps it loaded).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("iter/task")
int list_subreapers(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct signal_struct *sig;

	if (!task || task->pid != task->tgid)
		return 0; /* one line per process: its leader */
	sig = task->signal;
	if (BPF_CORE_READ_BITFIELD(sig, is_child_subreaper))
		BPF_SEQ_PRINTF(ctx->meta->seq, "%d\n", task->tgid);
	return 0;
}
