#!/usr/bin/env bash
# `signal` events: who sent what to whom, how (si_code), and whether it came from a user, the
# kernel, or a pid namespace's teardown.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

HOST_PIDNS=$(pidns_of $$)

# signal_from_process HOW CODE: a sender process signals a target with HOW; the one event.
signal_from_process()
{
	local how=$1 code=$2 target sender ev
	trace_scenario -e signal,exit -- killed_by 15 "$how"
	target=$(kv target)
	sender=$(kv sender)
	focus "$target" "$sender"
	ev=$(expect_one "SIGTERM sent with $how to $target" \
		".type == \"signal\" and .pid == $target and .sig == 15")
	assert_fields "$ev" "SIGTERM sent with $how to $target" \
		.comm '"kb_target"' .signal '"SIGTERM"' .sender_pid "$sender" \
		.sender_comm '"kb_sender"' .code "\"$code\"" .origin '"user"' \
		.result '"delivered"' .pidns "$HOST_PIDNS" .ns_pid "$target" .container_id '""'
}

case_kill()
{
	signal_from_process kill SI_USER
}

case_tgkill()
{
	signal_from_process tgkill SI_TKILL
}

case_sigqueue()
{
	signal_from_process sigqueue SI_QUEUE
}

# tgkill() to a process's second thread: the event's pid is the process (its thread-group id),
# not the thread.
case_tgkill_thread()
{
	local target worker ev
	trace_scenario -e signal,exit -- killed_by 15 tgkill_thread
	target=$(kv target)
	worker=$(kv worker)
	focus "$target" "$worker" "$(kv sender)"
	ev=$(expect_one "SIGTERM sent with tgkill to thread $worker of process $target" \
		".type == \"signal\" and .sig == 15 and .sender_pid == $(kv sender)")
	assert_fields "$ev" "SIGTERM sent with tgkill to thread $worker of process $target" \
		.pid "$target" .comm '"kb_target"' .code '"SI_TKILL"' .origin '"user"' \
		.result '"delivered"' .ns_pid "$target"
	assert_count "events naming the thread id $worker as a pid" 0 \
		".pid == $worker or .sender_pid == $worker or .ppid == $worker"
}

# signal_generate's result, one of each: queued, already pending, ignored.
case_results()
{
	local target sender got
	trace_scenario -e signal -- signal_result
	target=$(kv target)
	sender=$(kv sender)
	focus "$target" "$sender"
	got=$(jq -sc "map(select(.type == \"signal\" and .pid == $target and .sender_pid == $sender))
		| sort_by(.time) | map([.signal, .result])" "$EVENTS")
	assert_eq "signals from $sender to $target, in order, as [signal, result]" \
		'[["SIGUSR1","delivered"],["SIGUSR1","already_pending"],["SIGUSR2","ignored"],["SIGKILL","delivered"]]' \
		"$got"
}

# `kill -9` from a shell is a user's SIGKILL, never a namespace teardown.
case_sigkill_from_shell()
{
	local shell victim ev
	kill_from_shell -9 -e signal
	shell=$KILL_SHELL victim=$KILL_VICTIM
	ev=$(expect_one "kill -9 from shell $shell to $victim" \
		".type == \"signal\" and .pid == $victim and .sig == 9")
	assert_fields "$ev" "kill -9 from shell $shell to $victim" \
		.signal '"SIGKILL"' .sender_pid "$shell" .sender_comm '"bash"' .code '"SI_USER"' \
		.origin '"user"' .result '"delivered"'
	assert_count "pidns_teardown signals anywhere near $victim" 0 \
		".type == \"signal\" and .origin == \"pidns_teardown\" and (.pid == $victim or .sender_pid == $shell)"
}

# Real-time signals by the names bash's `kill -l` gives them (glibc's SIGRTMIN is 34): a
# `kill -s SIGRTMIN+3` (systemd's halt, a STOPSIGNAL of systemd images) is reported as that
# name, on the signal and on the exit it causes. They were numbered from the kernel's 32
# (34 was "SIGRTMIN+2").
case_realtime_names()
{
	local victim sig ev
	kill_from_shell "-s RTMIN+3" -e signal,exit
	victim=$KILL_VICTIM
	sig=$(bash -c 'kill -l RTMIN+3')
	assert_eq "bash's number for RTMIN+3" 37 "$sig"
	ev=$(expect_one "kill -s RTMIN+3 to $victim" ".type == \"signal\" and .pid == $victim")
	assert_fields "$ev" "kill -s RTMIN+3 to $victim" .sig 37 .signal '"SIGRTMIN+3"'
	ev=$(expect_one "exit of $victim" ".type == \"exit\" and .pid == $victim")
	assert_fields "$ev" "exit of $victim" .signal '"SIGRTMIN+3"'
}

# A child's exit sends its parent SIGCHLD: a kernel signal, sent by the exiting child.
case_sigchld()
{
	local parent child target ev
	start_agent trace --json -e signal
	scenario exit_code blocked 7
	parent=$(kv parent)
	child=$(kv child)
	scenario killed_by 15
	target=$(kv target)
	stop_agent
	focus "$parent" "$child" "$target"
	ev=$(expect_one "SIGCHLD to $parent for the exit of $child" \
		".type == \"signal\" and .pid == $parent and .sig == 17 and .sender_pid == $child")
	assert_fields "$ev" "SIGCHLD to $parent for the exit of $child" \
		.signal '"SIGCHLD"' .sender_comm '"ec_child"' .origin '"kernel"' \
		'.code == "CLD_EXITED" or .code == 1' true
	ev=$(expect_one "SIGCHLD to $(kv parent) for the SIGTERM death of $target" \
		".type == \"signal\" and .pid == $(kv parent) and .sig == 17 and .sender_pid == $target")
	assert_fields "$ev" "SIGCHLD to $(kv parent) for the SIGTERM death of $target" \
		.signal '"SIGCHLD"' .origin '"kernel"' '.code == "CLD_KILLED" or .code == 2' true
}

# Signals the kernel makes though their si_code is not SI_KERNEL are `kernel`, not `user`:
# SIGPIPE on a write to a pipe nobody reads (sent with no siginfo: SI_USER, the writer its own
# sender) and a POSIX timer's SIGALRM (SI_TIMER, from whatever ran when it fired: `timeout`
# arms one). A shell's `kill -PIPE` is still `user`.
case_kernel_made()
{
	local yes_pid timeout_pid victim ev
	start_agent trace --json -e signal
	bash -c 'echo $$ >"$0"; exec yes' "$CASE_DIR/yes.pid" | head -c1 >/dev/null || true # (yes dies of it: 141)
	yes_pid=$(cat "$CASE_DIR/yes.pid")
	timeout 0.2 sleep 5 &
	timeout_pid=$!
	wait "$timeout_pid" || true
	sleep 5 &
	victim=$!
	wait_comm "$victim" sleep
	kill -PIPE "$victim"
	wait "$victim" || true
	stop_agent
	focus "$yes_pid" "$timeout_pid" "$victim"
	ev=$(expect_one "SIGPIPE to yes ($yes_pid)" \
		".type == \"signal\" and .pid == $yes_pid and .signal == \"SIGPIPE\"")
	assert_fields "$ev" "SIGPIPE to yes ($yes_pid)" .code '"SI_USER"' .origin '"kernel"' \
		.sender_pid "$yes_pid"
	ev=$(expect_one "SIGALRM to timeout ($timeout_pid)" \
		".type == \"signal\" and .pid == $timeout_pid and .signal == \"SIGALRM\"")
	assert_fields "$ev" "SIGALRM to timeout ($timeout_pid)" .code '"SI_TIMER"' .origin '"kernel"'
	ev=$(expect_one "kill -PIPE to $victim" \
		".type == \"signal\" and .pid == $victim and .signal == \"SIGPIPE\"")
	assert_fields "$ev" "kill -PIPE to $victim" .code '"SI_USER"' .origin '"user"' .sender_pid "$BASHPID"
}

# A child's PR_SET_PDEATHSIG signal comes from its dying parent as SI_USER, like a kill():
# its origin is parent_death, never user; the parent's own kill() before is user.
case_parent_death()
{
	local parent child ev
	trace_scenario -e signal -- pdeathsig
	parent=$(kv parent)
	child=$(kv child)
	focus "$parent" "$child"
	assert_eq "scenario: the child got its parent-death signal and exited 0" 0 "$(kv child_status)"
	ev=$(expect_one "SIGUSR2 from $parent to $child (kill)" \
		".type == \"signal\" and .pid == $child and .sig == 12")
	assert_fields "$ev" "SIGUSR2 from $parent to $child (kill)" \
		.sender_pid "$parent" .code '"SI_USER"' .origin '"user"'
	ev=$(expect_one "SIGUSR1 to $child as its parent $parent died" \
		".type == \"signal\" and .pid == $child and .sig == 10")
	assert_fields "$ev" "SIGUSR1 to $child as its parent $parent died" \
		.comm '"pd_child"' .sender_pid "$parent" .sender_comm '"pd_parent"' .code '"SI_USER"' \
		.origin '"parent_death"' .result '"delivered"'
}

run_case signal_kill case_kill
run_case signal_tgkill case_tgkill
run_case signal_sigqueue case_sigqueue
run_case signal_tgkill_thread case_tgkill_thread
run_case signal_results case_results
run_case signal_sigkill_from_shell case_sigkill_from_shell
run_case signal_realtime_names case_realtime_names
run_case signal_sigchld case_sigchld
run_case signal_parent_death case_parent_death
run_case signal_kernel_made case_kernel_made
finish
