#!/usr/bin/env bash
# Process names are chosen by whoever runs the process: quotes, backslashes, newlines,
# control characters, UTF-8 and bytes that are not UTF-8 must come out as valid JSON that
# decodes to exactly the name (when it is UTF-8), and as one line of text output.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# The bytes of a JSON string value, in hex.
json_string_hex()
{
	jq -j "$1" <<<"$2" | od -An -tx1 | tr -d ' \n'
}

# json_comm MODE: the exit event's comm decodes to exactly the bytes the kernel holds.
json_comm()
{
	local mode=$1 child ev want got
	start_agent trace --json -e exit,signal
	scenario hostile_comm "$mode"
	stop_agent # also checks: every line one JSON object, valid UTF-8
	child=$(kv child)
	want=$(kv comm_hex)
	focus "$child" "$(kv parent)"
	ev=$(expect_one "exit of $child (comm '$mode')" ".type == \"exit\" and .pid == $child")
	assert_fields "$ev" "exit of $child (comm '$mode')" .exit_code 5
	got=$(json_string_hex .comm "$ev")
	detail "event: $ev"
	assert_eq "exit of $child: comm bytes (hex) after JSON decoding" "$want" "$got"
	# The same name as the parent of the SIGCHLD it sent.
	ev=$(expect_one "SIGCHLD from $child (comm '$mode')" \
		".type == \"signal\" and .sig == 17 and .sender_pid == $child")
	got=$(json_string_hex .sender_comm "$ev")
	assert_eq "SIGCHLD from $child: sender_comm bytes (hex) after JSON decoding" "$want" "$got"
}

case_quote_backslash_newline()
{
	json_comm quote
}

case_utf8()
{
	json_comm utf8
}

case_control_characters()
{
	json_comm ctrl
}

# Not UTF-8: no exact decoding to ask for, but the output stays valid UTF-8 JSON (checked
# by stop_agent) and the event is there, with the valid parts of the name.
case_invalid_utf8()
{
	local child ev
	trace_scenario -e exit -- hostile_comm invalid
	child=$(kv child)
	focus "$child"
	ev=$(expect_one "exit of $child (comm not UTF-8)" ".type == \"exit\" and .pid == $child")
	assert_fields "$ev" "exit of $child (comm not UTF-8)" .exit_code 5 \
		'.comm | startswith("v") and endswith("w")' true
}

# Text output: a header first, then the event on one line, the newline in the name escaped
# (as \n, \x0a or \012) and the backslash doubled, so that it cannot be read as an escape.
case_text_output()
{
	local child lines q nl found=""
	start_agent trace -e exit
	scenario hostile_comm quote
	stop_agent
	child=$(kv child)
	grep -qi pid "$EVENTS" || fail "text output: no header line naming the PID column"
	[[ $(head -n1 "$EVENTS") =~ [Pp][Ii][Dd] ]] ||
		fail "text output: the first line is not the header: $(head -n1 "$EVENTS")"
	lines=$(grep -Ew -- "$child" "$EVENTS" || true)
	[[ -n $lines ]] || fail "text output: no line with pid $child"
	detail "lines with pid $child:" "$lines"
	for q in '"' '\"'; do
		for nl in '\n' '\x0a' '\012' '\x0A'; do
			if grep -qF -- "a${q}b\\\\c${nl}d" <<<"$lines"; then found="a${q}b\\\\c${nl}d"; fi
		done
	done
	[[ -n $found ]] ||
		fail "text output: the line for $child does not show the name a\"b\\c<newline>d escaped, e.g. as a\"b\\\\c\\nd"
	# Nothing of the name may start a line of its own.
	if grep -q '^d' "$EVENTS"; then
		detail "$(grep -n '^d' "$EVENTS")"
		fail "text output: a line starts with 'd', the end of a name split by a raw newline"
	fi
}

# Text output: COMM is one column 16 characters wide whatever the name, padded by characters
# (not bytes) for UTF-8, and a name that escapes wider (15 control bytes: 60 characters) cut
# and marked with '+'; so NS_PID starts where the header has it, on the lines of hostile
# names as on the parent's. A peer in DETAILS keeps its whole name.
case_text_columns()
{
	# Offsets below count characters, as a terminal does.
	local LC_ALL=C.UTF-8
	local header at mode pid line want seen=0 probe='é'
	[[ ${#probe} -eq 1 ]] || skip "no C.UTF-8 locale: bash cannot count characters"
	local -A child parent comm_col=([utf8]='zé→ü            ' [long]='\x01\x02\x03+   ')
	start_agent trace -e exit,signal
	for mode in utf8 long; do
		scenario hostile_comm "$mode"
		child[$mode]=$(kv child)
		parent[$mode]=$(kv parent)
	done
	stop_agent
	header=$(head -n1 "$EVENTS")
	line=${header%%NS_PID*}
	at=${#line}
	# TIME(UTC) EVENT PID COMM, each with its space: 15+1 + 8+1 + 7+1 + 16+1.
	assert_eq "text header: offset of NS_PID" 50 "$at"
	for mode in utf8 long; do
		for pid in "${child[$mode]}" "${parent[$mode]}"; do
			while IFS= read -r line; do
				detail "$line"
				[[ ${line:at-1:1} == ' ' && ${line:at} =~ ^[0-9]+\  ]] ||
					fail "text output ($mode): NS_PID of pid $pid not at character $at as in the header"
				seen=$((seen + 1))
			done < <(awk -v p="$pid" '$3 == p' "$EVENTS")
		done
		line=$(awk -v p="${child[$mode]}" '$2 == "exit" && $3 == p' "$EVENTS")
		[[ -n $line ]] || fail "text output ($mode): no exit line of pid ${child[$mode]}"
		assert_eq "text output ($mode): COMM column of pid ${child[$mode]}" "${comm_col[$mode]}" \
			"${line:33:16}"
	done
	# Each child's exit, each parent's SIGCHLD and exit.
	[[ $seen -ge 6 ]] || fail "text output: $seen lines of the scenarios' pids, expected 6 or more"
	want="sender=${child[long]}(\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x0b\\x0c\\x0e\\x0f\\x10\\x11\\x12)"
	grep -qF -- "$want" "$EVENTS" ||
		fail "text output: the SIGCHLD from ${child[long]} does not show the whole name, $want"
}

run_case comm_quote_backslash_newline case_quote_backslash_newline
run_case comm_utf8 case_utf8
run_case comm_control_characters case_control_characters
run_case comm_invalid_utf8 case_invalid_utf8
run_case comm_text_output case_text_output
run_case comm_text_columns case_text_columns
finish
