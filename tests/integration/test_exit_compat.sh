#!/usr/bin/env bash
# The exit and reap cases again, on the path a kernel before v6.16 takes:
# sched_process_exit passes no group_dead there, so the agent loads handle_exit_compat,
# which decides from signal->live which thread's exit ends the process and lets only the
# first such thread claim it (bpf/reapwatch.bpf.c).
# REAPWATCH_EXIT_COMPAT=1 makes the agent take that path on this kernel too.
# (test_reparent_compat.sh and test_teardown_compat.sh do the same for their suites: one
# script each keeps every script well inside the runner's time limit.)
export REAPWATCH_EXIT_COMPAT=1 REAPWATCH_CASE_SUFFIX=_compat
rc=0
for script in test_exit.sh test_reap.sh; do
	bash "$(dirname "$0")/$script" || rc=1
done
exit "$rc"
