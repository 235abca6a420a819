#!/usr/bin/env bash
# The exit, signal, pid-namespace and teardown cases again, on the path a kernel before 5.17
# takes: without bpf_loop() the agent loads handle_exit_noloop and no handle_wait, says so
# in one "feature off" line per feature, and everything it does report must still be right
# (lib.sh's members(): a teardown's members are null there).
# REAPWATCH_NO_BPF_LOOP=1 makes the agent take that path on this kernel too.
export REAPWATCH_NO_BPF_LOOP=1 REAPWATCH_CASE_SUFFIX=_noloop
rc=0
for script in test_exit.sh test_signal.sh test_pidns.sh test_teardown.sh; do
	bash "$(dirname "$0")/$script" || rc=1
done
exit "$rc"
