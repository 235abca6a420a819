#!/usr/bin/env bash
# The exit, signal and reap cases again, on the path a kernel before 5.17 takes: without
# bpf_loop() the agent loads handle_exit_noloop and handle_wait_noloop, says so in one "feature
# off" line per feature, and everything it does report must still be right.
# REAPWATCH_NO_BPF_LOOP=1 makes the agent take that path on this kernel too.
# (test_teardown_noloop.sh does the same for the pid namespace and teardown suites: one
# script each keeps every script well inside the runner's time limit.)
export REAPWATCH_NO_BPF_LOOP=1 REAPWATCH_CASE_SUFFIX=_noloop
rc=0
for script in test_exit.sh test_signal.sh; do
	bash "$(dirname "$0")/$script" || rc=1
done
# The reaps that need no walk: waiters blocked at the exit, and later waits for one child by
# its pid (handle_wait_noloop); a handed-over zombie needs the orphan walk.
reaps="reap_blocked_waiter reap_late_waiter reap_polling_waiter reap_sigchld_ignored"
reaps+=" reap_sa_nocldwait reap_one_per_exit"
REAPWATCH_CASES=$reaps bash "$(dirname "$0")/test_reap.sh" || rc=1
# Two zombies for one waiter kept off its CPU: neither timed exactly (the waitpid(-1) that
# takes the second is not seen), and saying so.
REAPWATCH_CASES="reap_wait_hog_two reap_wait_hog_two_older_first" \
	bash "$(dirname "$0")/test_reap_waits.sh" || rc=1
exit "$rc"
