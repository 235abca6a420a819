#!/usr/bin/env bash
# A zombie held by an adopter: `reapwatch zombies` names the subreaper holding it and the
# father it was orphaned by (that needs an agent to have seen the orphaning).
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# start_adopted_zombie: the scenario runs in the background until its child is a zombie.
start_adopted_zombie()
{
	start_scenario adopted_zombie
	REAPER=$SCEN_PID
	FATHER=$(kv father)
	CHILD=$(kv child)
}

zombie_object()
{
	local out=$CASE_DIR/zombies.$RANDOM.json
	timeout -k 5 30 "$AGENT" zombies --json >"$out" 2>"$CASE_DIR/zombies.err" ||
		fail "reapwatch zombies --json failed: $(head -n3 "$CASE_DIR/zombies.err")"
	jq -c "select(.pid == $CHILD)" "$out"
}

# With an agent running when the father died: the adopter, the label and the father.
case_adopted_seen()
{
	local obj text
	start_agent trace --json -e reparent
	start_adopted_zombie
	obj=$(zombie_object)
	assert_fields "$obj" "zombies --json: adopted zombie $CHILD" \
		.ppid "$REAPER" .parent_comm '"adz_reaper"' .parent_is_subreaper true \
		.adopted_from_pid "$FATHER" .adopted_from_comm '"adz_father"' .comm '"adz_child"'
	text=$CASE_DIR/zombies.txt
	timeout -k 5 30 "$AGENT" zombies >"$text" 2>/dev/null || fail "reapwatch zombies failed"
	assert_contains "zombies: the parent line" "$text" "parent $REAPER (adz_reaper) [subreaper]"
	assert_contains "zombies: the adopted-from column" "$text" "$FATHER(adz_father)"
	kill -USR1 "$REAPER"
	wait "$REAPER" || fail "scenario did not reap its zombie"
	stop_agent
	expect_one "reparent of $CHILD" \
		".type == \"reparent\" and .pid == $CHILD and .old_ppid == $FATHER and .new_ppid == $REAPER and .reaper_kind == \"subreaper\"" >/dev/null
}

# The agent that saw the orphaning has ended: what it left in /run/reapwatch/zombie-ages still
# names the father (as it keeps the age), for any later `zombies`.
case_adopted_after_agent_ends()
{
	local obj
	if other_agent_running; then
		skip "another reapwatch runs on this host: its pin would name the father"
	fi
	start_agent trace --json -e reparent
	start_adopted_zombie
	sleep 0.3
	stop_agent
	sleep 0.3
	obj=$(zombie_object)
	assert_fields "$obj" "zombies --json: adopted zombie $CHILD, the agent gone" \
		.ppid "$REAPER" .adopted_from_pid "$FATHER" .adopted_from_comm '"adz_father"' \
		'.age_seconds | type' '"number"'
	kill -USR1 "$REAPER"
	wait "$REAPER" || fail "scenario did not reap its zombie"
}

# export --log-events' line for the same zombie says what `zombies` says: the parent is a
# subreaper (it said false: only `zombies` asked the kernel), the father it was orphaned by.
case_adopted_log_events()
{
	local dir=$CASE_DIR/textfile z
	mkdir "$dir"
	REAPWATCH_TEST_ZOMBIE_LOG_SECONDS=1 start_agent --name export --ready 'reapwatch: exporting' \
		export --textfile-dir "$dir" -i 0.3 --log-events
	start_adopted_zombie
	sleep 2.5
	# The subreaper iterator is loaded once and kept for the next line (a load is ~60 ms of CPU).
	agent_bpf_ids "${AGENT_PID[export]}" prog | grep -q '^list_subreapers ' ||
		fail "export let the subreaper iterator go after its zombie line"
	stop_named_agent export TERM
	EVENTS=$CASE_DIR/export.out
	check_json_lines "$EVENTS"
	z=$(expect_one "zombie $CHILD on stdout" ".type == \"zombie\" and .pid == $CHILD")
	assert_fields "$z" "export --log-events: adopted zombie $CHILD" \
		.ppid "$REAPER" .parent_comm '"adz_reaper"' .parent_is_subreaper true \
		.adopted_from_pid "$FATHER" .adopted_from_comm '"adz_father"'
	kill -USR1 "$REAPER"
	wait "$REAPER" || fail "scenario did not reap its zombie"
}

# No agent when the father died: the subreaper label still holds (the kernel says so),
# whom it was orphaned by is unknown (null), never made up.
case_adopted_unseen()
{
	local obj
	if other_agent_running; then
		skip "another reapwatch runs on this host; it may have seen the orphaning"
	fi
	start_adopted_zombie
	obj=$(zombie_object)
	assert_fields "$obj" "zombies --json: adopted zombie $CHILD, no agent" \
		.ppid "$REAPER" .parent_is_subreaper true .adopted_from_pid null \
		.adopted_from_comm null .age_seconds null
	kill -USR1 "$REAPER"
	wait "$REAPER" || fail "scenario did not reap its zombie"
}

run_case zombies_adopted_seen case_adopted_seen
run_case zombies_adopted_log_events case_adopted_log_events
run_case zombies_adopted_unseen case_adopted_unseen
run_case zombies_adopted_after_agent_ends case_adopted_after_agent_ends
finish
