#!/usr/bin/env bash
# `reap` events: who collected a zombie, and how long it was a zombie (docs: accurate to
# 1 ms). The scenario measures the true zombie period from both sides with CLOCK_MONOTONIC
# (latency_lo <= truth <= latency_hi); the agent's latency_ns must lie in that window
# widened by 1 ms. These are accuracy checks, not speed checks: the window is measured, so
# a slow machine widens it instead of failing.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# reaped_by_parent MODE: the child's reap event, by its parent, within the measured window.
reaped_by_parent()
{
	local mode=$1 parent child lo hi ev
	trace_scenario -e reap,exit -- exit_code "$mode" 7
	parent=$(kv parent)
	child=$(kv child)
	lo=$(kv latency_lo)
	hi=$(kv latency_hi)
	focus "$parent" "$child"
	ev=$(expect_one "reap of $child ($mode waiter)" ".type == \"reap\" and .pid == $child")
	assert_fields "$ev" "reap of $child ($mode waiter)" \
		.comm '"ec_child"' .reaper_pid "$parent" .reaper_comm '"exit_code"' .autoreap false \
		.latency_exact true
	detail "true zombie period, measured by the scenario: [$lo, $hi] ns"
	assert_true "reap of $child ($mode waiter): latency_ns within 1 ms of the measured [$lo, $hi] ns" \
		"$ev" "(.latency_ns | type) == \"number\" and .latency_ns >= $lo - 1000000 and .latency_ns <= $hi + 1000000"
}

# The parent is already blocked in wait4() when the child exits.
case_blocked_waiter()
{
	reaped_by_parent blocked
}

# The parent notices the zombie, waits 300 ms, then reaps it.
case_late_waiter()
{
	reaped_by_parent late
}

# The parent polls with WNOHANG every 20 ms.
case_polling_waiter()
{
	reaped_by_parent poll
}

# autoreaped MODE: no wait() is needed; the reap event says so.
autoreaped()
{
	local mode=$1 parent child ev
	trace_scenario -e reap,exit -- exit_code "$mode" 7
	parent=$(kv parent)
	child=$(kv child)
	focus "$parent" "$child"
	ev=$(expect_one "reap of $child (parent with $mode)" ".type == \"reap\" and .pid == $child")
	assert_fields "$ev" "reap of $child (parent with $mode)" \
		.comm '"ec_child"' .autoreap true .reaper_pid "$parent" .reaper_comm '"exit_code"' \
		'.latency_ns | type' '"number"'
	ev=$(expect_one "exit of $child (parent with $mode)" ".type == \"exit\" and .pid == $child")
	assert_fields "$ev" "exit of $child (parent with $mode)" .exit_code 7
}

case_sigchld_ignored()
{
	autoreaped ignore
}

case_sa_nocldwait()
{
	autoreaped nocldwait
}

# handed_over_autoreaped MODE: a zombie orphaned to a subreaper that ignores SIGCHLD (or has
# SA_NOCLDWAIT) is released by the kernel at the hand-over (reparent_leader()), no wait()
# asked: an autoreap by that subreaper, timed at the hand-over.
handed_over_autoreaped()
{
	local mode=$1 reaper child lo hi ev
	trace_scenario -e reap,exit,reparent -- handover_autoreap "$mode"
	reaper=$(kv reaper)
	child=$(kv child)
	lo=$(kv latency_lo)
	hi=$(kv latency_hi)
	focus "$reaper" "$(kv father)" "$child"
	ev=$(expect_one "reap of $child (handed to a subreaper with $mode)" \
		".type == \"reap\" and .pid == $child")
	assert_fields "$ev" "reap of $child (handed to a subreaper with $mode)" \
		.comm '"hoa_child"' .reaper_pid "$reaper" .reaper_comm '"hoa_reaper"' \
		.autoreap true .latency_exact true
	detail "true zombie period, measured by the scenario: [$lo, $hi] ns"
	assert_true "reap of $child: latency_ns within 1 ms of the measured [$lo, $hi] ns" \
		"$ev" ".latency_ns >= $lo - 1000000 and .latency_ns <= $hi + 1000000"
}

case_handover_sigchld_ignored()
{
	handed_over_autoreaped ignore
}

case_handover_sa_nocldwait()
{
	handed_over_autoreaped nocldwait
}

# Every process exit is followed by exactly one reap (no duplicates, none missing), here for
# a parent that reaps three children in turn plus the parent itself.
case_one_reap_per_exit()
{
	local pids=() p
	start_agent trace --json -e reap,exit
	for mode in blocked late poll; do
		scenario exit_code "$mode" 7
		pids+=("$(kv child)" "$(kv parent)")
	done
	stop_agent
	focus "${pids[@]}"
	for p in "${pids[@]}"; do
		assert_count "exit events of $p" 1 ".type == \"exit\" and .pid == $p"
		assert_count "reap events of $p" 1 ".type == \"reap\" and .pid == $p"
	done
}

run_case reap_blocked_waiter case_blocked_waiter
run_case reap_late_waiter case_late_waiter
run_case reap_polling_waiter case_polling_waiter
run_case reap_sigchld_ignored case_sigchld_ignored
run_case reap_sa_nocldwait case_sa_nocldwait
run_case reap_one_per_exit case_one_reap_per_exit
run_case reap_handover_sigchld_ignored case_handover_sigchld_ignored
run_case reap_handover_sa_nocldwait case_handover_sa_nocldwait
finish
