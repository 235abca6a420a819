#!/usr/bin/env bash
# The exit and signal cases again, on the path a kernel before 5.17 takes: without
# bpf_loop() the agent loads handle_exit_noloop and no handle_wait, says so in one "feature
# off" line per feature, and everything it does report must still be right.
# REAPWATCH_NO_BPF_LOOP=1 makes the agent take that path on this kernel too.
# (test_teardown_noloop.sh does the same for the pid namespace and teardown suites: one
# script each keeps every script well inside the runner's time limit.)
export REAPWATCH_NO_BPF_LOOP=1 REAPWATCH_CASE_SUFFIX=_noloop
rc=0
for script in test_exit.sh test_signal.sh; do
	bash "$(dirname "$0")/$script" || rc=1
done
exit "$rc"
