// SPDX-License-Identifier: GPL-2.0
/* A throwaway object for test_stack_budget.sh: one entry program whose frame, bpf_loop()
 * callback, callee and the callee's callee have the sizes given with -D (a size left out
 * leaves that function out), so that tools/bpf-stack-budget.sh can be checked against a
 * known shape and against the verifier itself.
 *
 *   FRAME         the entry program's buffer (bytes; default 64)
 *   LOOP_FRAME    the buffer of a bpf_loop() callback, loop_step
 *   CALL_FRAME    the buffer of a function it calls, callee
 *   NESTED_FRAME  the buffer of a function callee calls, nested_callee
 *
 * Each buffer is filled whole by bpf_get_current_comm(), so the verifier sees every byte of
 * it used, and read at both ends, so the compiler keeps it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#ifndef FRAME
#define FRAME 64
#endif

#define FILL(buf) bpf_get_current_comm(buf, sizeof(buf))

#ifdef LOOP_FRAME
static long loop_step(__u64 i, void *ctx)
{
	char buf[LOOP_FRAME];

	FILL(buf);
	return buf[i & 7] == buf[LOOP_FRAME - 1];
}
#endif

#ifdef NESTED_FRAME
static __noinline int nested_callee(int x)
{
	char buf[NESTED_FRAME];

	FILL(buf);
	return buf[x & 7] + buf[NESTED_FRAME - 1];
}
#endif

#ifdef CALL_FRAME
static __noinline int callee(int x)
{
	char buf[CALL_FRAME];

	FILL(buf);
#ifdef NESTED_FRAME
	x += nested_callee(buf[3]);
#endif
	return buf[x & 7] + buf[CALL_FRAME - 1];
}
#endif

SEC("tp_btf/sched_process_exit")
int fixture_prog(void *ctx)
{
	char buf[FRAME];
	int n = 0;

	FILL(buf);
#ifdef LOOP_FRAME
	n += bpf_loop(4, loop_step, NULL, 0);
#endif
#ifdef CALL_FRAME
	n += callee(buf[1]);
#endif
	return buf[n & 7] == buf[FRAME - 1];
}
