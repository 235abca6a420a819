#!/usr/bin/env bash
# `reapwatch top` for a person at a terminal: a table that fits 80 columns, the worst
# container first, and 'q' (or Ctrl-C) ends it with the terminal as it was. Driven
# through tmux, a real terminal.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

TMUX_SOCKET=reapwatch-test-$$

tmux_()
{
	tmux -L "$TMUX_SOCKET" "$@"
}

# start_top: reapwatch top in an 80x24 tmux pane; the pane's shell says when top ended.
start_top()
{
	at_case_exit tmux -L "$TMUX_SOCKET" kill-server
	tmux_ new-session -d -s top -x 80 -y 24 \
		"stty -echo; $AGENT top -i 0.5; echo \"top-exited rc=\$?\"; sleep 30"
	local i
	for i in $(seq 1 100); do
		tmux_ capture-pane -p -t top | grep -q '^CONTAINER' && return 0
		sleep 0.1
	done
	detail "pane: $(tmux_ capture-pane -p -t top)"
	fail "top did not draw its table within 10 s"
}

wait_exit()
{
	local i
	for i in $(seq 1 50); do
		tmux_ capture-pane -p -t top | grep -q 'top-exited' && return 0
		sleep 0.1
	done
	detail "pane: $(tmux_ capture-pane -p -t top)"
	fail "top did not exit within 5 s"
}

# q quits, the alternate screen is left (the table is gone), the status is 0.
case_quit_restores_terminal()
{
	local pane width
	start_top
	pane=$(tmux_ capture-pane -p -t top)
	width=$(printf '%s\n' "$pane" | awk '{ if (length($0) > w) w = length($0) } END { print w }')
	[[ $width -le 80 ]] || fail "a line of top is $width columns wide"
	assert_contains "top's header" <(printf '%s\n' "$pane") "ZOMB"
	assert_contains "the host row" <(printf '%s\n' "$pane") "(host)"
	assert_contains "top's title at a terminal" <(printf '%s\n' "$pane") "q: quit"
	tmux_ send-keys -t top q
	wait_exit
	pane=$(tmux_ capture-pane -p -t top)
	assert_contains "exit status after q" <(printf '%s\n' "$pane") "top-exited rc=0"
	if printf '%s\n' "$pane" | grep -q '^CONTAINER'; then
		fail "the table is still on the screen: the alternate screen was not left"
	fi
}

case_ctrl_c()
{
	local pane
	start_top
	tmux_ send-keys -t top C-c
	wait_exit
	pane=$(tmux_ capture-pane -p -t top)
	assert_contains "exit status after Ctrl-C" <(printf '%s\n' "$pane") "top-exited rc=0"
}

# More containers than the pane has rows, in a pane narrower than the table: the title stays
# on the first row (the "... N more" line scrolled it off), and no line wraps (60 columns).
case_more_containers_than_rows()
{
	local pane i id cg first root
	root=$(cgroup2_mount)
	[[ -n $root ]] || skip "no cgroup v2 hierarchy is mounted"
	start_top
	tmux_ resize-window -t top -x 60 -y 24 2>/dev/null || tmux_ resize-pane -t top -x 60 -y 24
	mkdir -p "$root/rwtest-top"
	# shellcheck disable=SC2016 # globbed when the case ends, by the inner shell
	at_case_exit bash -c 'rmdir "$0"/*.scope "$0"' "$root/rwtest-top"
	for i in $(seq 1 30); do
		id=$(printf '%064x' "$((0x7e57000 + i))")
		cg=$root/rwtest-top/docker-$id.scope
		mkdir -p "$cg"
		# one process born and dead in it: its container has a row
		bash -c "echo \$\$ >$cg/cgroup.procs && exec true"
	done
	for i in $(seq 1 50); do
		pane=$(tmux_ capture-pane -p -t top)
		grep -q 'more$' <<<"$pane" && break
		sleep 0.1
	done
	first=$(sed -n 1p <<<"$pane")
	detail "pane:" "$pane"
	[[ $first == "reapwatch top"* ]] || fail "the pane's first row is not top's title: '$first'"
	grep -q 'more$' <<<"$pane" || fail "no '... N more' line with 31 rows to show in 24"
	[[ $(grep -c '^[0-9a-f]\{12\} ' <<<"$pane") -ge 15 ]] ||
		fail "fewer than 15 container rows in a 24-row pane"
	tmux_ send-keys -t top q
	wait_exit
}

# Without a terminal: a table per interval, no escape codes, and no key to press.
case_not_a_terminal()
{
	local out=$CASE_DIR/top.out rc=0
	timeout --preserve-status -s INT 2.5 "$AGENT" top -i 1 </dev/null >"$out" 2>"$CASE_DIR/top.err" || rc=$?
	assert_eq "top's exit status at SIGINT" 0 "$rc"
	[[ $(grep -c '^CONTAINER' "$out") -ge 2 ]] ||
		{ detail "stdout:" "$(cat "$out")"; fail "top without a terminal: fewer than 2 tables in 2.5 s"; }
	if grep -q $'\033' "$out"; then
		fail "top without a terminal wrote escape codes"
	fi
	if grep -q 'q: quit' "$out"; then
		fail "top without a terminal says 'q: quit', but reads no keys"
	fi
}

run_case top_quit_restores_terminal case_quit_restores_terminal
run_case top_not_a_terminal case_not_a_terminal
run_case top_ctrl_c case_ctrl_c
run_case top_more_containers_than_rows case_more_containers_than_rows
finish
