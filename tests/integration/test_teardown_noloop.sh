#!/usr/bin/env bash
# The pid namespace and teardown cases again without bpf_loop() (see test_noloop.sh): a
# teardown's members are null there (lib.sh's members()), everything else exact.
export REAPWATCH_NO_BPF_LOOP=1 REAPWATCH_CASE_SUFFIX=_noloop
rc=0
for script in test_pidns.sh test_teardown.sh; do
	bash "$(dirname "$0")/$script" || rc=1
done
exit "$rc"
