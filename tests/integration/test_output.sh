#!/usr/bin/env bash
# trace's output as a reader sees it: events arrive while the agent runs (flushed at least
# every 100 ms, not only at exit), and the text output has one line per event. Output that
# cannot be written (a full disk: /dev/full) is a runtime failure with one line and status 1, for
# every command; a reader that goes away (`| head -1`) is not.
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

NO_SPACE='reapwatch: cannot write output: No space left on device'

# run_writing WHERE ARGS...: `reapwatch ARGS...` with stdout on /dev/full (WHERE=full) or
# into `head -n1` (WHERE=head), processes exiting meanwhile so that there are events to
# write; its exit status in RC, stderr in $CASE_DIR/run.err.
run_writing()
{
	local where=$1 pid churn
	shift
	: >"$CASE_DIR/run.err"
	( while :; do /bin/true; sleep 0.02; done ) &
	churn=$!
	track_pid "$churn"
	RC=0
	if [[ $where == full ]]; then
		timeout -k 5 30 "$AGENT" "$@" >/dev/full 2>"$CASE_DIR/run.err" || RC=$?
	else
		timeout -k 5 30 "$AGENT" "$@" 2>"$CASE_DIR/run.err" | head -n1 >"$CASE_DIR/run.head" ||
			true
		RC=${PIPESTATUS[0]}
	fi
	kill "$churn"
	detail "reapwatch $* (stdout to $where): stderr:" "$(cat "$CASE_DIR/run.err")"
}

# `trace > /dev/full`, JSON or text: status 1 and one line saying why; not the closing
# "N events" line, for none of them was written.
case_trace_full_disk()
{
	local args
	for args in "trace --json -e exit -d 5" "trace -e exit -d 5"; do
		# shellcheck disable=SC2086 # the words of args
		run_writing full $args
		assert_eq "reapwatch $args > /dev/full: exit status" 1 "$RC"
		assert_eq "reapwatch $args > /dev/full: its last line on stderr" "$NO_SPACE" \
			"$(tail -n1 "$CASE_DIR/run.err")"
		assert_eq "reapwatch $args > /dev/full: lines claiming events shown" 0 \
			"$(grep -Ec "$AGENT_SUMMARY_RE" "$CASE_DIR/run.err" || true)"
	done
}

# `trace | head -1`: the reader went away; the agent stops soon after, with status 0 and its
# closing line, and no complaint.
case_trace_reader_gone()
{
	local start=$SECONDS
	run_writing head trace --json -e exit -d 20
	assert_eq "reapwatch trace | head -1: exit status" 0 "$RC"
	[[ $((SECONDS - start)) -lt 15 ]] || fail "trace ran on for $((SECONDS - start)) s after its reader left"
	jq -e '.type == "exit"' "$CASE_DIR/run.head" >/dev/null ||
		fail "head -1 did not read an exit event: $(cat "$CASE_DIR/run.head")"
	grep -Eq "$AGENT_SUMMARY_RE" "$CASE_DIR/run.err" || fail "no closing line after the reader left"
	assert_eq "complaints about the output" 0 "$(grep -c 'cannot write' "$CASE_DIR/run.err" || true)"
}

# zombies, top, help and version: the same status and line on a full disk (zombies prints
# "no zombies" if there are none, so it always writes); a reader gone is no failure.
case_other_commands_full_disk()
{
	local args
	for args in "zombies" "top -i 0.2" "help" "version"; do
		# shellcheck disable=SC2086 # the words of args
		run_writing full $args
		assert_eq "reapwatch $args > /dev/full: exit status" 1 "$RC"
		assert_eq "reapwatch $args > /dev/full: stderr's last line" "$NO_SPACE" \
			"$(tail -n1 "$CASE_DIR/run.err")"
	done
	for args in "zombies" "top -i 0.2"; do
		# shellcheck disable=SC2086 # the words of args
		run_writing head $args
		assert_eq "reapwatch $args | head -1: exit status" 0 "$RC"
		assert_eq "reapwatch $args | head -1: complaints" 0 \
			"$(grep -c 'cannot write' "$CASE_DIR/run.err" || true)"
	done
}

# A reader that takes nothing for a while (a paused pager, a stuck pipeline stage): the agent
# keeps draining the kernel's ring buffer into its own backlog (src/outq.c), so no event is
# lost and every one reaches the reader once it reads. The ring is cut to one page (the
# map-size test knob): an agent whose write() blocked would lose events within a second.
case_stalled_reader()
{
	local hold=$CASE_DIR/hold.fifo out=$CASE_DIR/stalled.out err=$CASE_DIR/stalled.err
	local agent reader forker n
	mkfifo "$hold" "$CASE_DIR/out.fifo" "$CASE_DIR/tick.fifo"
	# the reader opens the pipe at once, then reads nothing until released
	{ read -r _ <"$hold"; cat >"$out"; } <"$CASE_DIR/out.fifo" &
	reader=$!
	track_pid "$reader"
	REAPWATCH_TEST_MAP_ENTRIES=64 "$AGENT" trace --json -e fork >"$CASE_DIR/out.fifo" 2>"$err" &
	agent=$!
	track_pid "$agent"
	wait_printed "the agent" "$agent" "$err" "$AGENT_READY"
	# 400 processes over ~5 s (the delay is bash's own read timeout, no process): about
	# 120 KiB of JSON, twice what a pipe holds; at most a few hundred bytes of ring a drain.
	# shellcheck disable=SC2016 # for the inner bash
	bash -c 'exec 3<>"$1"; for ((i = 0; i < 400; i++)); do /bin/true; read -rt 0.01 -u 3 _; done; exit 0' \
		rw_forker "$CASE_DIR/tick.fifo" &
	forker=$!
	wait "$forker"
	sleep 0.5
	echo go >"$hold"
	kill -INT "$agent"
	wait "$agent" || fail "the agent exited with status $?: $(cat "$err")"
	wait "$reader"
	detail "agent's stderr:" "$(cat "$err")"
	n=$(jq -c "select(.type == \"fork\" and .ppid == $forker)" "$out" | grep -c . || true)
	assert_eq "fork events of the forker $forker the stalled reader got" 400 "$n"
	# (ring buffer losses: the small walks of REAPWATCH_TEST_MAP_ENTRIES may be cut by anything
	# else on the host meanwhile, a pid namespace torn down, and say so in lost records too)
	assert_eq "ring buffer lost records in the output" 0 \
		"$(jq -c 'select(.type == "lost" and .reason == "ring_buffer_full")' "$out" | grep -c . || true)"
	grep -Eq 'reapwatch: [0-9]+ events, 0 lost$' "$err" || fail "the agent's closing line does not say 0 lost"
}

run_case output_flushed_while_running case_flushed_while_running
run_case output_text_one_line_per_event case_text_one_line_per_event
run_case output_trace_full_disk case_trace_full_disk
run_case output_trace_reader_gone case_trace_reader_gone
run_case output_other_commands_full_disk case_other_commands_full_disk
run_case output_stalled_reader case_stalled_reader
finish
