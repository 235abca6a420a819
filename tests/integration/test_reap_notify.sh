#!/usr/bin/env bash
# Which signal a child's exit notifies its parent with decides whether a parent that ignores
# SIGCHLD gets a zombie (exit_notify(), do_notify_parent()): a child cloned with another exit
# signal stays a zombie, unless the parent has exec'd since the fork (then the kernel sends
# SIGCHLD instead, and the child is released at its exit); a traced child notifies its tracer
# and stays a zombie until the tracer reaps it. The scenario reads the kernel's answer from
# /proc (state_after_exit: Z, or gone); the reap event's autoreap must say the same.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# notified MODE STATE AUTOREAP: the kernel left the child STATE, the agent says AUTOREAP.
notified()
{
	local mode=$1 state=$2 autoreap=$3 parent child ev
	trace_scenario -e reap,exit -- exit_notify "$mode"
	parent=$(kv parent)
	child=$(kv child)
	focus "$parent" "$child"
	assert_eq "the child's state 200 ms after its exit ($mode), from /proc" "$state" \
		"$(kv state_after_exit)"
	ev=$(expect_one "reap of $child ($mode)" ".type == \"reap\" and .pid == $child")
	assert_fields "$ev" "reap of $child ($mode)" .comm '"en_child"' .autoreap "$autoreap"
	REAP=$ev
}

# Exit signal SIGUSR1, parent ignoring SIGCHLD: a zombie, reaped by waitpid(__WCLONE).
case_custom_exit_signal()
{
	notified noexec Z false
	assert_fields "$REAP" "reap of the SIGUSR1 child" .reaper_pid "$(kv parent)" \
		.reaper_comm '"en_parent"'
}

# The same after the parent's exec: SIGCHLD after all, released at the exit by its parent.
case_custom_exit_signal_after_exec()
{
	notified exec gone true
	assert_fields "$REAP" "reap of the SIGUSR1 child of an exec'd parent" \
		.reaper_pid "$(kv parent)" .reaper_comm '"en_parent"'
}

# A traced child of a SIGCHLD-ignoring parent: a zombie until the tracer's wait.
case_traced_child()
{
	notified traced Z false
}

run_case reap_custom_exit_signal case_custom_exit_signal
run_case reap_custom_exit_signal_after_exec case_custom_exit_signal_after_exec
run_case reap_traced_child_not_autoreaped case_traced_child
finish
