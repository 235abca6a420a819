#!/usr/bin/env bash
# trace's output as a reader sees it: events arrive while the agent runs (flushed at least
# every 100 ms, not only at exit), and the text output has one line per event.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# The exit event is in the output file while the agent still runs. (A generous bound: this
# checks that output is flushed before exit, not how fast.)
case_flushed_while_running()
{
	local child deadline found=""
	start_agent trace --json -e exit
	scenario exit_code blocked 7
	child=$(kv child)
	deadline=$((SECONDS + 5))
	while [[ $SECONDS -lt $deadline ]]; do
		if grep -q "\"pid\":$child," "$EVENTS"; then
			found=yes
			break
		fi
		sleep 0.05
	done
	running "${AGENT_PID[agent]}" || fail "the agent exited on its own"
	[[ -n $found ]] ||
		fail "the exit event of $child was not in trace's output 5 s after the exit (not flushed while running)"
	stop_agent
}

# The same events as text and as JSON: one text line per event, after one header line, each
# naming its event type and pid.
case_text_one_line_per_event()
{
	local parent json_n text_n agent
	gated_start "$CASE_DIR/scenario.out" "$SCENARIOS/killed_by" 15
	parent=$GATED_PID
	start_agent --name json trace --json -e all -p "$parent"
	start_agent --name text trace -e all -p "$parent"
	gate_open
	wait_child "$parent" 30 || fail "scenario killed_by exited with status $?"
	stop_named_agent text
	stop_named_agent json
	for agent in json text; do
		grep -Eq '^reapwatch: [0-9]+ events, 0 lost$' "$CASE_DIR/$agent.err" ||
			skip "the $agent agent lost events: the host is too busy to compare outputs"
	done
	json_n=$(grep -c . "$CASE_DIR/json.out" || true)
	text_n=$(($(grep -c . "$CASE_DIR/text.out" || true) - 1))
	detail "text output:" "$(cat "$CASE_DIR/text.out")"
	[[ $json_n -ge 6 ]] || fail "only $json_n JSON events for scenario killed_by (pid $parent)"
	assert_eq "text lines after the header, vs JSON events of the same run" "$json_n" "$text_n"
	assert_eq "the text header's first three columns" "TIME(UTC) EVENT PID" \
		"$(head -n1 "$CASE_DIR/text.out" | awk '{ print $1, $2, $3 }')"
	# The same events: each text line names its type and pid in the EVENT and PID columns.
	# (Compared as sets: two agents' ring buffers can order events from different CPUs,
	# such as two RCU-delayed frees, differently.)
	jq -r '"\(.type) \(.pid)"' "$CASE_DIR/json.out" | sort >"$CASE_DIR/json.events"
	tail -n +2 "$CASE_DIR/text.out" | awk '{ print $2, $3 }' | sort >"$CASE_DIR/text.events"
	if ! cmp -s "$CASE_DIR/json.events" "$CASE_DIR/text.events"; then
		detail "JSON events not in the text (<) and text lines not in the JSON (>):" \
			"$(diff "$CASE_DIR/json.events" "$CASE_DIR/text.events" | grep '^[<>]')"
		fail "the text lines do not name the events of the JSON output (type and pid)"
	fi
}

run_case output_flushed_while_running case_flushed_while_running
run_case output_text_one_line_per_event case_text_one_line_per_event
finish
