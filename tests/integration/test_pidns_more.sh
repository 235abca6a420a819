#!/usr/bin/env bash
# Pid-namespace teardowns in harder shapes (issue 12), with bare namespaces as test_pidns.sh:
# members warned by SIGTERM, SIGQUIT or SIGINT in nested namespaces torn down from outside,
# an init whose own exit sends its parent a SIGIO first, and a member whose leader called
# pthread_exit(). (Not run again without bpf_loop(): test_teardown_noloop.sh runs
# test_pidns.sh and test_teardown.sh, within the runner's time limit.)
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# Three nested pid namespaces, each with two sleepers, and the unshare that made the next
# one (as test_pidns.sh's nested case). Before the outermost init exits, four of the six
# sleepers (which ignore SIGTERM, and as background jobs of a script, SIGINT and SIGQUIT)
# get termination signals: one at each level SIGTERM, SIGQUIT or SIGINT only, and one
# SIGINT then SIGTERM (its first counts). They survive them (the kernel's
# answer, from /proc); the teardown names each with its first signal and counts the other six
# as killed without a termination signal.
case_nested_teardown_from_outside_warned()
{
	local ev want p depth o1 m1 m2 i1 warned=()
	local -A at=()
	nested_pidns_start "trap '' TERM"
	# the sleepers by depth (NSpid has one number per level: 2, 3, 4)
	for p in $NESTED_VICTIMS; do
		[[ $(cat "/proc/$p/comm") == sleep ]] || continue
		depth=$(awk '/^NSpid:/ { print NF - 1 }' "/proc/$p/status")
		at[$depth]="${at[$depth]:-} $p"
	done
	read -r o1 _ <<<"${at[2]}"
	read -r m1 m2 <<<"${at[3]}"
	read -r i1 _ <<<"${at[4]}"
	kill -TERM "$o1"
	kill -QUIT "$m1"
	kill -INT "$i1"
	kill -INT "$m2"
	kill -TERM "$m2"
	sleep 0.2
	for p in "$o1" "$m1" "$i1" "$m2"; do
		running "$p" || fail "sleeper $p died of its termination signal"
	done
	warned=("{\"pid\": $o1, \"signal\": \"SIGTERM\"}" "{\"pid\": $m1, \"signal\": \"SIGQUIT\"}"
		"{\"pid\": $i1, \"signal\": \"SIGINT\"}" "{\"pid\": $m2, \"signal\": \"SIGINT\"}")
	nested_pidns_teardown
	ev=$NESTED_EVENT
	want=$(paste -sd, <<<"$NESTED_VICTIMS")
	assert_fields "$ev" "teardown of the outer namespace (init $NESTED_INIT)" \
		.members "$(members 10)" .sigkilled 10 .sigkilled_without_sigterm 6 \
		'.warned_pids | sort_by(.pid)' "$(printf '%s\n' "${warned[@]}" | jq -sc 'sort_by(.pid)')" \
		'.sigkilled_pids | sort' "[$want]"
}

# An init whose own exit sends its parent a SIGIO with POLL_IN (a pipe's last write end
# closing in exit_files(), before exit_notify()) while its exit signal is SIGIO too: the
# teardown still ends at the init's exit notification, after zap has killed both members,
# not at that SIGIO (the scenario gets both, poll_in=1 and cld_killed=1: the kernel's word).
case_sigio_init()
{
	local init members ev
	start_agent trace --json -e all
	window_begin
	start_scenario sigio_init
	init=$(kv init)
	members=$(children_of "$init" | sort -n | paste -sd,)
	kill -KILL "$init"
	wait "$SCEN_PID" || fail "sigio_init exited with status $?: $(cat "$CASE_DIR/sigio_init.err")"
	window_end
	stop_agent
	# shellcheck disable=SC2086 # one pid a word
	focus "$init" ${members//,/ }
	assert_eq "SIGIOs with POLL_IN the parent got from the init's exit_files()" 1 "$(kv poll_in)"
	# The exit notification's SIGIO is a second standard SIGIO: if the first is still
	# pending then (a loaded machine), the kernel does not queue it (legacy_queue()).
	[[ $(kv cld_killed) == [01] ]] ||
		fail "SIGIOs with CLD_KILLED (the init's exit notification): $(kv cld_killed), not 0 or 1"
	ev=$(expect_one "teardown of the namespace of init $init" \
		".type == \"teardown\" and .pid == $init")
	assert_fields "$ev" "teardown of the namespace of init $init" \
		.comm '"si_init"' .members "$(members 2)" .sigkilled 2 .sigkilled_without_sigterm 2 \
		'.sigkilled_pids | sort' "[$members]" .warned_pids '[]'
}

# A member whose leader called pthread_exit() while a thread runs on looks like a zombie in
# /proc ('Z', Threads: 2) but is alive, and zap_pid_ns_processes() kills it: a member, and
# sigkilled; its real zombie child is neither (issue 12).
case_live_leader_member()
{
	local d=$CASE_DIR u init proc zombie ev deadline
	command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
	mkfifo "$d/gate"
	start_agent trace --json -e signal,teardown,exit
	window_begin
	unshare -pf sh -c "\"\$0\" >$d/ll.out & read -r go <$d/gate; exit 0" "$SCENARIOS/live_leader" &
	u=$!
	track_pid "$u"
	SCEN_OUT=$d/ll.out
	wait_scenario_ready "the namespace's live_leader" "$u" 20
	init=$(children_of "$u")
	proc=$(children_of "$init")
	[[ $init =~ ^[0-9]+$ && $proc =~ ^[0-9]+$ ]] || fail "init '$init', its child '$proc'"
	zombie=$(children_of "$proc")
	deadline=$((SECONDS + 20))
	until [[ $(proc_state "$proc") == Z ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "the leader of $proc did not leave"
		sleep 0.05
	done
	assert_eq "threads of $proc (its leader 'Z')" 2 "$(awk '/^Threads:/ { print $2 }' "/proc/$proc/status")"
	assert_eq "state of its child $zombie" Z "$(proc_state "$zombie")"
	echo go >"$d/gate"
	wait "$u" || true
	window_end
	stop_agent
	focus "$init" "$proc" "$zombie"
	ev=$(expect_one "exit of $proc" ".type == \"exit\" and .pid == $proc")
	assert_fields "$ev" "exit of $proc (the live process with a 'Z' leader)" \
		.comm '"ll_proc"' .signal '"SIGKILL"'
	ev=$(expect_one "teardown of the namespace of init $init" \
		".type == \"teardown\" and .pid == $init")
	assert_fields "$ev" "teardown of the namespace of init $init" \
		.members "$(members 1)" .sigkilled 1 .sigkilled_without_sigterm 1 .sigkilled_pids "[$proc]"
}

run_case pidns_nested_teardown_from_outside_warned case_nested_teardown_from_outside_warned
run_case pidns_sigio_init case_sigio_init
run_case pidns_live_leader_member case_live_leader_member
finish
