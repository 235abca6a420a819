#!/usr/bin/env bash
# `fork` events: one per new process (never per thread), naming its parent; only with
# -e fork or -e all.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

HOST_PIDNS=$(pidns_of $$)

case_fork()
{
	local parent child ev
	trace_scenario -e all -- exit_code blocked 7
	parent=$(kv parent)
	child=$(kv child)
	focus "$parent" "$child"
	ev=$(expect_one "fork of $child" ".type == \"fork\" and .pid == $child")
	# At fork time the child still has its parent's name; it renames itself afterwards.
	assert_fields "$ev" "fork of $child" \
		.comm '"exit_code"' .ppid "$parent" .parent_comm '"exit_code"' \
		.ns_pid "$child" .pidns "$HOST_PIDNS" .container_id '""'
	assert_true "fork of $child comes before its exit" "$ev" \
		"(.time | usec) <= ($(events ".type == \"exit\" and .pid == $child" | jq -c .time) | usec)"
}

# A new thread is not a new process: no fork event for it. The child forks nothing and
# creates one thread (worker), so the one fork event that names it, in any role, is its own;
# a thread reported as a fork would name the child as its parent (or as itself, by tgid).
case_thread_is_not_a_fork()
{
	local child worker
	trace_scenario -e fork -- leader_exits_first
	child=$(kv child)
	worker=$(kv worker)
	focus "$child" "$worker"
	# The premise, from the worker itself: a thread of the child (its tgid), not its leader.
	assert_eq "tgid of the worker $worker" "$child" "$(kv worker_tgid)"
	assert_true "the worker $worker is another task than the child's leader" "$worker" \
		". != $child"
	assert_count "fork events naming $child or its thread $worker" 1 \
		".type == \"fork\" and ([.pid, .ppid, .tid] | any(. == $child or . == $worker))"
	expect_one "fork of process $child by its parent" \
		".type == \"fork\" and .pid == $child and .ppid == $(kv parent)" >/dev/null
}

# A process forked into a new pid namespace carries that namespace and its pid there.
case_fork_into_pidns()
{
	local ev
	trace_scenario -e fork -- pidns plain
	focus "$(kv init)" "$(kv sleeper1)" "$(kv sleeper2)"
	ev=$(expect_one "fork of init $(kv init)" ".type == \"fork\" and .pid == $(kv init)")
	assert_fields "$ev" "fork of init $(kv init) into a new pid namespace" \
		.ppid "$(kv parent)" .parent_comm '"pidns"' .pidns "$(kv pidns)" .ns_pid 1
	ev=$(expect_one "fork of sleeper $(kv sleeper2)" ".type == \"fork\" and .pid == $(kv sleeper2)")
	assert_fields "$ev" "fork of sleeper $(kv sleeper2)" \
		.ppid "$(kv init)" .parent_comm '"ns_init"' .pidns "$(kv pidns)" \
		.ns_pid "$(kv sleeper2_ns)"
}

run_case fork_event case_fork
run_case fork_thread_is_not_a_fork case_thread_is_not_a_fork
run_case fork_into_pidns case_fork_into_pidns
finish
