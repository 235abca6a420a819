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
	start_agent trace --json -e all
	scenario pidns plain
	stop_agent
	check_teardown_sigkills 2
	ev=$(expect_one "teardown of the namespace of init $INIT" \
		".type == \"teardown\" and .pid == $INIT")
	assert_fields "$ev" "teardown of the namespace of init $INIT" \
		.comm '"ns_init"' .pidns "$NS" .ns_pid 1 .members "$(members 2)" .sigkilled 2 \
		.sigkilled_without_sigterm 2 \
		'.sigkilled_pids | sort' "[$(printf '%s\n' "$S1" "$S2" | sort -n | paste -sd,)]" \
		.grace_ns null '.duration_ns | type' '"number"'
}

# The init SIGTERMs sleeper 1 (which ignores it), waits 50 ms and exits: sleeper 1 was
# warned, sleeper 2 was not.
case_teardown_after_sigterm()
{
	local ev
	start_agent trace --json -e all
	scenario pidns sigterm
	stop_agent
	check_teardown_sigkills 2
	ev=$(expect_one "SIGTERM from init $INIT to sleeper $S1" \
		".type == \"signal\" and .pid == $S1 and .sig == 15")
	assert_fields "$ev" "SIGTERM from init $INIT to sleeper $S1" \
		.signal '"SIGTERM"' .sender_pid "$INIT" .sender_comm '"ns_init"' .code '"SI_USER"' \
		.origin '"user"' .result '"ignored"' .pidns "$NS" .ns_pid "$S1_NS"
	ev=$(expect_one "teardown of the namespace of init $INIT" \
		".type == \"teardown\" and .pid == $INIT")
	assert_fields "$ev" "teardown of the namespace of init $INIT" \
		.members "$(members 2)" .sigkilled 2 .sigkilled_without_sigterm 1 \
		'.sigkilled_pids | sort' "[$(printf '%s\n' "$S1" "$S2" | sort -n | paste -sd,)]" \
		.warned_pids "[{\"pid\": $S1, \"signal\": \"SIGTERM\"}]"
	# The init slept 50 ms between its SIGTERM and its exit.
	assert_true "teardown grace_ns covers the init's 50 ms between SIGTERM and exit" "$ev" \
		'(.grace_ns | type) == "number" and .grace_ns >= 50000000'
}

# A member that is already a zombie when the init exits still gets the teardown SIGKILL (the
# kernel reports it ignored); it was not killed by it, and the dying init reaps it.
case_teardown_with_zombie()
{
	local zombie ev
	start_agent trace --json -e all
	scenario pidns zombie
	stop_agent
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
	start_agent trace --json -e reap
	scenario pidns plain
	stop_agent
	INIT=$(kv init)
	focus "$INIT" "$(kv sleeper1)" "$(kv sleeper2)"
	for s in "$(kv sleeper1)" "$(kv sleeper2)"; do
		ev=$(expect_one "reap of torn-down member $s" ".type == \"reap\" and .pid == $s")
		assert_fields "$ev" "reap of torn-down member $s" \
			.reaper_pid "$INIT" .reaper_comm '"ns_init"' .autoreap true \
			.pidns "$(kv pidns)"
	done
}

# descendants PID: every process below PID, from /proc's parent links.
descendants()
{
	local queue=("$1") p c
	while [[ ${#queue[@]} -gt 0 ]]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for c in $(children_of "$p"); do
			echo "$c"
			queue+=("$c")
		done
	done
}

# Three nested pid namespaces, each with two sleepers, and the unshare that made the next
# one: the outermost init exits, and zap_pid_ns_processes() SIGKILLs every pid allocated in
# its namespace, the nested namespaces' processes included (10 of them), before any of them
# dies. Every one of those SIGKILLs is the teardown's (issue 12: only the outer namespace's
# own were, 2 of 10).
case_nested_teardown_from_outside()
{
	nested_teardown_from_outside
}

# nested_teardown_from_outside [warn]: the case above; with `warn`, before the outer init
# exits, four of the six sleepers (which ignore SIGTERM, and as background jobs of a script,
# SIGINT and SIGQUIT) get termination signals: one at each level SIGTERM, SIGQUIT or SIGINT
# only, and one SIGINT then SIGTERM (its first counts). They survive them (the kernel's
# answer, from /proc); the teardown names each with its first signal and counts the other six
# as killed without a termination signal.
nested_teardown_from_outside()
{
	local warn=${1:-} d=$CASE_DIR u1 init victims want ev n p depth o1 m1 m2 i1 warned=()
	local -A at=()
	command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
	cat >"$d/l3.sh" <<-EOF
		trap '' TERM
		sleep 1000 & sleep 1000 & touch $d/ready; wait
	EOF
	cat >"$d/l2.sh" <<-EOF
		trap '' TERM
		sleep 1000 & sleep 1000 & unshare -pf sh $d/l3.sh & wait
	EOF
	cat >"$d/l1.sh" <<-EOF
		trap '' TERM
		sleep 1000 & sleep 1000 & unshare -pf sh $d/l2.sh &
		while [ ! -e $d/ready ]; do sleep 0.05; done
		read -r go <$d/gate
		exit 0
	EOF
	mkfifo "$d/gate"
	start_agent trace --json -e signal,teardown
	window_begin
	unshare -pf sh "$d/l1.sh" &
	u1=$!
	track_pid "$u1"
	until [[ -e $d/ready ]]; do
		running "$u1" || fail "the nested namespaces did not start"
		sleep 0.05
	done
	init=$(children_of "$u1")
	[[ $init =~ ^[0-9]+$ ]] || fail "unshare $u1 has no single child (the init): '$init'"
	# every process in the outer namespace but its init, before it exits
	victims=$(descendants "$init" | sort -n)
	n=$(grep -c . <<<"$victims")
	detail "init $init; its namespace's other processes: $(paste -sd' ' <<<"$victims")"
	assert_eq "processes in the outer namespace besides its init" 10 "$n"
	if [[ $warn == warn ]]; then
		# the sleepers by depth (NSpid has one number per level: 2, 3, 4)
		for p in $victims; do
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
	fi
	echo go >"$d/gate"
	wait "$u1" || true
	window_end
	stop_agent
	# shellcheck disable=SC2086 # one pid a word
	focus "$init" $victims
	want=$(paste -sd, <<<"$victims")
	assert_count "teardown SIGKILLs sent by init $init" 10 \
		".type == \"signal\" and .sig == 9 and .origin == \"pidns_teardown\" and .sender_pid == $init"
	assert_none "SIGKILLs of the victims called anything but the teardown's" \
		".type == \"signal\" and .sig == 9 and (.pid | IN($want)) and .origin != \"pidns_teardown\""
	ev=$(expect_one "teardown of the outer namespace (init $init)" \
		".type == \"teardown\" and .pid == $init")
	assert_fields "$ev" "teardown of the outer namespace (init $init)" \
		.members "$(members 10)" .sigkilled 10 .sigkilled_without_sigterm $((10 - ${#warned[@]})) \
		'.warned_pids | sort_by(.pid)' "$(printf '%s\n' "${warned[@]}" | jq -sc 'sort_by(.pid)')" \
		'.sigkilled_pids | sort' "[$want]"
}

# The same, four of the sleepers warned first (SIGTERM, SIGQUIT, SIGINT; issue 12).
case_nested_teardown_from_outside_warned()
{
	nested_teardown_from_outside warn
}

# An init whose own exit sends its parent a SIGIO with POLL_IN (a pipe's last write end
# closing in exit_files(), before exit_notify()) while its exit signal is SIGIO too: the
# teardown still ends at the init's exit notification, after zap has killed both members,
# not at that SIGIO (the scenario gets both, poll_in=1 and cld_killed=1: the kernel's word).
case_sigio_init()
{
	local init members ev scen
	start_agent trace --json -e all
	SCEN_OUT=$CASE_DIR/sigio_init.out
	window_begin
	"$SCENARIOS/sigio_init" >"$SCEN_OUT" 2>"$CASE_DIR/sigio_init.err" &
	scen=$!
	track_pid "$scen"
	until grep -q '^ready=1$' "$SCEN_OUT"; do
		running "$scen" || fail "sigio_init exited early: $(cat "$CASE_DIR/sigio_init.err")"
		sleep 0.05
	done
	init=$(kv init)
	members=$(children_of "$init" | sort -n | paste -sd,)
	kill -KILL "$init"
	wait "$scen" || fail "sigio_init exited with status $?: $(cat "$CASE_DIR/sigio_init.err")"
	window_end
	stop_agent
	# shellcheck disable=SC2086 # one pid a word
	focus "$init" ${members//,/ }
	assert_eq "SIGIOs with POLL_IN the parent got from the init's exit_files()" 1 "$(kv poll_in)"
	assert_eq "SIGIOs with CLD_KILLED (the init's exit notification)" 1 "$(kv cld_killed)"
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
	deadline=$((SECONDS + 20))
	until grep -q '^ready=1$' "$d/ll.out" 2>/dev/null; do
		running "$u" || fail "the namespace did not start"
		[[ $SECONDS -lt $deadline ]] || fail "live_leader not ready within 20 s"
		sleep 0.05
	done
	init=$(children_of "$u")
	proc=$(children_of "$init")
	[[ $init =~ ^[0-9]+$ && $proc =~ ^[0-9]+$ ]] || fail "init '$init', its child '$proc'"
	zombie=$(children_of "$proc")
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

run_case pidns_teardown case_teardown
run_case pidns_teardown_after_sigterm case_teardown_after_sigterm
run_case pidns_teardown_with_zombie case_teardown_with_zombie
run_case pidns_teardown_reaps case_teardown_reaps
run_case pidns_nested_teardown_from_outside case_nested_teardown_from_outside
run_case pidns_nested_teardown_from_outside_warned case_nested_teardown_from_outside_warned
run_case pidns_sigio_init case_sigio_init
run_case pidns_live_leader_member case_live_leader_member
finish
