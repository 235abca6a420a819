#!/usr/bin/env bash
# trace's filters: -p PID (any role), -c COMM, -e LIST and the default event set. Each case
# runs an unfiltered "control" agent next to the filtered one, so that a filter is shown to
# have dropped something that really happened, and kept everything it should.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# Short-lived processes that have nothing to do with the scenario.
noise()
{
	local i
	for i in 1 2 3 4 5; do
		/bin/true
		sh -c 'exit 3' || true
	done
}

# jq, with $p bound: the event mentions pid $p in some role.
# shellcheck disable=SC2016 # jq variables
MENTIONS_PID='any(.pid, .ppid, .reaper_pid, .sender_pid, .old_ppid, .new_ppid; . == $p)'
# jq, with $c bound: the event mentions comm $c in some role.
# shellcheck disable=SC2016 # jq variables
MENTIONS_COMM='any(.comm, .parent_comm, .reaper_comm, .sender_comm, .old_parent_comm,
	.new_parent_comm; . == $c)'

# Tuples that identify events across two agents' outputs.
event_keys()
{
	jq -c "select($1) | [.type, .pid, .ppid, .sig, .sender_pid, .reaper_pid, .new_ppid]" \
		--argjson p "${2:-0}" "$3" | sort
}

case_pid_filter()
{
	local parent child control filtered missing extra agent
	gated_start "$CASE_DIR/scenario.out" "$SCENARIOS/exit_code" blocked 7
	parent=$GATED_PID
	start_agent --name control trace --json -e all
	start_agent --name filtered trace --json -e all -p "$parent"
	noise
	gate_open
	wait_child "$parent" 30 || fail "scenario exit_code exited with status $?"
	noise
	stop_named_agent filtered
	stop_named_agent control
	SCEN_OUT=$CASE_DIR/scenario.out
	child=$(kv child)
	assert_eq "the scenario's parent is the pid we filtered on" "$parent" "$(kv parent)"
	control=$CASE_DIR/control.out
	filtered=$CASE_DIR/filtered.out
	EVENTS=$control
	[[ $(jq -c 'select(.comm == "true")' "$EVENTS" | wc -l) -gt 0 ]] ||
		fail "control agent saw no noise events (comm true): the case proves nothing"
	EVENTS=$filtered
	focus "$parent" "$child"
	assert_none "events in the -p $parent output that do not mention $parent" \
		"($parent as \$p | $MENTIONS_PID) | not"
	assert_count "fork of $child (parent $parent)" 1 ".type == \"fork\" and .pid == $child"
	assert_count "exit of $child (parent $parent)" 1 ".type == \"exit\" and .pid == $child"
	assert_count "exit of $parent itself" 1 ".type == \"exit\" and .pid == $parent"
	assert_count "SIGCHLD from $child to $parent" 1 \
		".type == \"signal\" and .pid == $parent and .sender_pid == $child"
	# Exactly what the control agent saw that mentions $parent in any role, which can only be
	# compared when neither agent lost events.
	for agent in control filtered; do
		grep -Eq '^reapwatch: [0-9]+ events, 0 lost$' "$CASE_DIR/$agent.err" ||
			skip "the $agent agent lost events ($(tail -n1 "$CASE_DIR/$agent.err")): the host is too busy to compare outputs"
	done
	missing=$(comm -23 <(event_keys "$MENTIONS_PID" "$parent" "$control") \
		<(event_keys true 0 "$filtered"))
	extra=$(comm -13 <(event_keys "$MENTIONS_PID" "$parent" "$control") \
		<(event_keys true 0 "$filtered"))
	if [[ -n $missing || -n $extra ]]; then
		detail "[type,pid,ppid,sig,sender_pid,reaper_pid,new_ppid] seen by the unfiltered agent, mentioning $parent, but missing from -p:" \
			"$missing" "and in -p output only:" "$extra"
		fail "-p $parent output differs from the unfiltered output's events that mention $parent"
	fi
}

case_comm_filter()
{
	local child
	start_agent --name control trace --json -e all
	start_agent --name filtered trace --json -e all -c ec_child
	noise
	scenario exit_code blocked 7
	noise
	stop_named_agent filtered
	stop_named_agent control
	child=$(kv child)
	EVENTS=$CASE_DIR/control.out
	[[ $(jq -c 'select(.comm == "true")' "$EVENTS" | wc -l) -gt 0 ]] ||
		fail "control agent saw no noise events (comm true): the case proves nothing"
	EVENTS=$CASE_DIR/filtered.out
	focus "$child"
	assert_count "exit of $child (comm ec_child) in the -c ec_child output" 1 \
		".type == \"exit\" and .pid == $child"
	local bad
	bad=$(jq -c --arg c ec_child "select($MENTIONS_COMM | not)" "$EVENTS" | sed -n 1,5p)
	[[ -z $bad ]] || {
		detail "$bad"
		fail "-c ec_child output has events that do not involve a process named ec_child"
	}
}

case_event_filter_exit()
{
	local target
	trace_scenario -e exit -- killed_by 15
	target=$(kv target)
	focus "$target"
	assert_none "events other than exit with -e exit" '.type != "exit"'
	assert_count "exit of $target" 1 ".type == \"exit\" and .pid == $target"
}

case_event_filter_list()
{
	local target
	trace_scenario -e exit,signal -- killed_by 15
	target=$(kv target)
	focus "$target"
	assert_none "events other than exit and signal with -e exit,signal" \
		'.type != "exit" and .type != "signal"'
	assert_count "exit of $target" 1 ".type == \"exit\" and .pid == $target"
	assert_count "SIGTERM to $target" 1 ".type == \"signal\" and .pid == $target and .sig == 15"
}

# Without -e: every type but fork.
case_default_events()
{
	local child
	start_agent --name control trace --json -e all
	start_agent --name default trace --json
	scenario exit_code blocked 7
	stop_named_agent default
	stop_named_agent control
	child=$(kv child)
	focus "$child"
	EVENTS=$CASE_DIR/control.out
	assert_count "fork of $child with -e all" 1 ".type == \"fork\" and .pid == $child"
	EVENTS=$CASE_DIR/default.out
	assert_none "fork events without -e" '.type == "fork"'
	assert_count "exit of $child without -e" 1 ".type == \"exit\" and .pid == $child"
	assert_count "SIGCHLD from $child without -e" 1 \
		".type == \"signal\" and .sender_pid == $child"
}

run_case filter_pid case_pid_filter
run_case filter_comm case_comm_filter
run_case filter_events_exit case_event_filter_exit
run_case filter_events_list case_event_filter_list
run_case filter_default_events case_default_events
finish
