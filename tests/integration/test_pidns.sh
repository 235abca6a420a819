#!/usr/bin/env bash
# A pid namespace's init exits while two members still run: the kernel SIGKILLs both
# (zap_pid_ns_processes, si_code SI_KERNEL, sent by the dying init). The agent must tell
# those apart from a user's kill -9, place every event in the namespace, and sum the
# teardown up in one `teardown` event.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# check_teardown_sigkills N: the checks every teardown case shares; N teardown SIGKILLs in
# all (the two sleepers' and any zombie's). Sets INIT, NS, S1, S2, S1_NS, S2_NS.
check_teardown_sigkills()
{
	local nr_sigkills=$1 s s_ns idx ev
	INIT=$(kv init)
	NS=$(kv pidns)
	S1=$(kv sleeper1)
	S2=$(kv sleeper2)
	S1_NS=$(kv sleeper1_ns)
	S2_NS=$(kv sleeper2_ns)
	focus "$INIT" "$S1" "$S2"
	assert_eq "scenario: the members were gone once the init was reaped" 1 "$(kv members_gone)"

	assert_count "teardown SIGKILLs sent by init $INIT" "$nr_sigkills" \
		".type == \"signal\" and .origin == \"pidns_teardown\" and .sender_pid == $INIT"
	for s in "$S1:$S1_NS:1" "$S2:$S2_NS:2"; do
		IFS=: read -r s s_ns idx <<<"$s"
		ev=$(expect_one "teardown SIGKILL of sleeper $s" \
			".type == \"signal\" and .pid == $s and .sig == 9")
		assert_fields "$ev" "teardown SIGKILL of sleeper $s" \
			.comm "\"ns_sleeper$idx\"" .signal '"SIGKILL"' .code '"SI_KERNEL"' \
			.origin '"pidns_teardown"' .sender_pid "$INIT" .sender_comm '"ns_init"' \
			.pidns "$NS" .ns_pid "$s_ns" .result '"delivered"'
		ev=$(expect_one "exit of sleeper $s" ".type == \"exit\" and .pid == $s")
		assert_fields "$ev" "exit of sleeper $s" \
			.comm "\"ns_sleeper$idx\"" .ppid "$INIT" .parent_comm '"ns_init"' \
			.exit_code null .signal '"SIGKILL"' .pidns "$NS" .ns_pid "$s_ns"
	done
	ev=$(expect_one "exit of init $INIT" ".type == \"exit\" and .pid == $INIT")
	assert_fields "$ev" "exit of init $INIT" \
		.comm '"ns_init"' .ppid "$(kv parent)" .parent_comm '"pidns"' .exit_code 0 \
		.signal null .pidns "$NS" .ns_pid 1
	assert_count "user-origin SIGKILLs of the sleepers" 0 \
		".type == \"signal\" and .sig == 9 and .origin != \"pidns_teardown\" and (.pid == $S1 or .pid == $S2)"
}

# The init exits without warning: both members die by SIGKILL alone.
case_teardown()
{
	local ev
	trace_scenario -e all -- pidns plain
	check_teardown_sigkills 2
	ev=$(expect_one "teardown of the namespace of init $INIT" \
		".type == \"teardown\" and .pid == $INIT")
	assert_fields "$ev" "teardown of the namespace of init $INIT" \
		.comm '"ns_init"' .pidns "$NS" .ns_pid 1 .members "$(members 2)" .sigkilled 2 \
		.sigkilled_without_sigterm 2 \
		'.sigkilled_pids | sort' "[$(printf '%s\n' "$S1" "$S2" | sort -n | paste -sd,)]" \
		.grace_ns null '.duration_ns | type' '"number"'
}

# The parent, outside the namespace, SIGTERMs sleeper 1 (which ignores it) and 50 ms later
# lets the init exit: sleeper 1 was warned, sleeper 2 was not, and the grace period is those
# 50 ms.
case_teardown_after_sigterm()
{
	local ev parent
	trace_scenario -e all -- pidns sigterm
	parent=$(kv parent)
	check_teardown_sigkills 2
	ev=$(expect_one "SIGTERM from the parent $parent to sleeper $S1" \
		".type == \"signal\" and .pid == $S1 and .sig == 15")
	assert_fields "$ev" "SIGTERM from the parent $parent to sleeper $S1" \
		.signal '"SIGTERM"' .sender_pid "$parent" .sender_comm '"pidns"' .code '"SI_USER"' \
		.origin '"user"' .result '"ignored"' .pidns "$NS" .ns_pid "$S1_NS"
	ev=$(expect_one "teardown of the namespace of init $INIT" \
		".type == \"teardown\" and .pid == $INIT")
	assert_fields "$ev" "teardown of the namespace of init $INIT" \
		.members "$(members 2)" .sigkilled 2 .sigkilled_without_sigterm 1 \
		'.sigkilled_pids | sort' "[$(printf '%s\n' "$S1" "$S2" | sort -n | paste -sd,)]" \
		.warned_pids "[{\"pid\": $S1, \"signal\": \"SIGTERM\"}]"
	# The parent waited 50 ms between its SIGTERM and the init's exit.
	assert_true "teardown grace_ns covers the 50 ms between the SIGTERM and the init's exit" "$ev" \
		'(.grace_ns | type) == "number" and .grace_ns >= 50000000'
}

# warned_teardown MODE SIGNAL: `pidns MODE`, in which sleeper 1 alone is sent SIGNAL, and its
# teardown; the teardown event in TEARDOWN_EV.
warned_teardown()
{
	trace_scenario -e all -- pidns "$1"
	check_teardown_sigkills 2
	TEARDOWN_EV=$(expect_one "teardown of the namespace of init $INIT" \
		".type == \"teardown\" and .pid == $INIT")
	assert_fields "$TEARDOWN_EV" "teardown of the namespace of init $INIT" \
		.members "$(members 2)" .sigkilled 2 .sigkilled_without_sigterm 1 \
		.warned_pids "[{\"pid\": $S1, \"signal\": \"$2\"}]"
}

# The same with SIGQUIT, the STOPSIGNAL of images such as nginx: the grace period runs from
# the first termination signal of any of the four from outside, not only SIGTERM.
case_teardown_after_sigquit()
{
	warned_teardown sigquit SIGQUIT
	assert_true "teardown grace_ns covers the 50 ms between the SIGQUIT and the init's exit" \
		"$TEARDOWN_EV" '(.grace_ns | type) == "number" and .grace_ns >= 50000000'
}

# A termination signal sent inside the namespace (here the init's SIGHUP to sleeper 1, as a
# reload is; a query cancel is a SIGINT between members) warns that member but starts no
# grace period: only one from outside stops the container.
case_teardown_after_reload()
{
	warned_teardown reload SIGHUP
	assert_fields "$TEARDOWN_EV" "teardown after a SIGHUP from inside" .grace_ns null
}

# A member that is already a zombie when the init exits still gets the teardown SIGKILL (the
# kernel reports it ignored); it was not killed by it, and the dying init reaps it.
case_teardown_with_zombie()
{
	local zombie ev
	trace_scenario -e all -- pidns zombie
	check_teardown_sigkills 3
	zombie=$(kv zombie)
	focus "$INIT" "$S1" "$S2" "$zombie"
	ev=$(expect_one "exit of the zombie-to-be $zombie" ".type == \"exit\" and .pid == $zombie")
	assert_fields "$ev" "exit of the zombie-to-be $zombie" \
		.comm '"ns_zombie"' .exit_code 0 .signal null .ns_pid "$(kv zombie_ns)" .pidns "$NS"
	ev=$(expect_one "teardown SIGKILL of zombie $zombie" \
		".type == \"signal\" and .pid == $zombie and .sig == 9")
	assert_fields "$ev" "teardown SIGKILL of zombie $zombie" \
		.origin '"pidns_teardown"' .code '"SI_KERNEL"' .sender_pid "$INIT" .result '"ignored"'
	ev=$(expect_one "reap of zombie $zombie" ".type == \"reap\" and .pid == $zombie")
	assert_fields "$ev" "reap of zombie $zombie by the dying init" \
		.reaper_pid "$INIT" .reaper_comm '"ns_init"' .autoreap true
	ev=$(expect_one "teardown of the namespace of init $INIT" \
		".type == \"teardown\" and .pid == $INIT")
	assert_fields "$ev" "teardown of the namespace of init $INIT (a zombie among the members)" \
		.sigkilled 2 .sigkilled_without_sigterm 2 \
		'.sigkilled_pids | sort' "[$(printf '%s\n' "$S1" "$S2" | sort -n | paste -sd,)]"
}

# The members of a torn-down namespace are reaped by the dying init without a wait() of
# theirs to count: autoreap.
case_teardown_reaps()
{
	local s ev
	trace_scenario -e reap -- pidns plain
	INIT=$(kv init)
	focus "$INIT" "$(kv sleeper1)" "$(kv sleeper2)"
	for s in "$(kv sleeper1)" "$(kv sleeper2)"; do
		ev=$(expect_one "reap of torn-down member $s" ".type == \"reap\" and .pid == $s")
		assert_fields "$ev" "reap of torn-down member $s" \
			.reaper_pid "$INIT" .reaper_comm '"ns_init"' .autoreap true \
			.pidns "$(kv pidns)"
	done
}

# Three nested pid namespaces, each with two sleepers, and the unshare that made the next
# one: the outermost init exits, and zap_pid_ns_processes() SIGKILLs every pid allocated in
# its namespace, the nested namespaces' processes included (10 of them), before any of them
# dies. Every one of those SIGKILLs is the teardown's (issue 12: only the outer namespace's
# own were, 2 of 10).
case_nested_teardown_from_outside()
{
	local ev want
	nested_pidns_start
	nested_pidns_teardown
	ev=$NESTED_EVENT
	want=$(paste -sd, <<<"$NESTED_VICTIMS")
	assert_fields "$ev" "teardown of the outer namespace (init $NESTED_INIT)" \
		.members "$(members 10)" .sigkilled 10 .sigkilled_without_sigterm 10 .warned_pids '[]' \
		'.sigkilled_pids | sort' "[$want]"
}

# A member whose exit began before its init's and whose exit_notify() came after the init's
# zap_pid_ns_processes() made SIGCHLD ignored (a whole container killed at once): released
# with no SIGCHLD and no wait, an autoreap with no zombie period. It was reported as a reap
# timed only by its free (latency_exact false, autoreap false, tens of ms). The scenario holds
# the member in exit_mm() with 768 MiB to free; that follows the exit's tracepoint since v6.16
# (before, the exit is seen once the init ignores SIGCHLD: the same autoreap, seen at the exit).
case_teardown_member_still_exiting()
{
	local member ev
	trace_scenario -e exit,reap,signal,teardown -- late_member
	member=$(kv member)
	focus "$(kv init)" "$member"
	detail "the member's exit took until the init's end: $(kv exit_ms) ms"
	ev=$(expect_one "reap of the member $member" ".type == \"reap\" and .pid == $member")
	assert_fields "$ev" "reap of the member $member (released by the teardown)" \
		.comm '"lm_member"' .reaper_pid "$(kv init)" .reaper_comm '"lm_init"' \
		.autoreap true .latency_exact true .latency_ns 0
}

run_case pidns_teardown case_teardown
run_case pidns_teardown_after_sigterm case_teardown_after_sigterm
run_case pidns_teardown_after_sigquit case_teardown_after_sigquit
run_case pidns_teardown_after_reload case_teardown_after_reload
run_case pidns_teardown_with_zombie case_teardown_with_zombie
run_case pidns_teardown_reaps case_teardown_reaps
run_case pidns_nested_teardown_from_outside case_nested_teardown_from_outside
run_case pidns_teardown_member_still_exiting case_teardown_member_still_exiting
finish
