#!/usr/bin/env bash
# `exit` events: one per process (never per thread), with the exit status its parent sees.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

HOST_PIDNS=$(pidns_of $$)
# Scenarios inherit this shell's cgroup; the v2 path is the "0::" line.
MY_CGROUP=$(sed -n 's/^0:://p' /proc/self/cgroup)

# A child that exits 7: one exit event, with everything about it exact.
case_exit_code()
{
	local parent child ev
	trace_scenario -e all -- exit_code blocked 7
	parent=$(kv parent)
	child=$(kv child)
	focus "$parent" "$child"
	assert_eq "wait() in the scenario saw exit code" 7 "$(kv wait_exit_code)"
	ev=$(expect_one "exit of the child $child" ".type == \"exit\" and .pid == $child")
	assert_fields "$ev" "exit of the child $child" \
		.comm '"ec_child"' .ppid "$parent" .parent_comm '"exit_code"' \
		.exit_code 7 .signal null .core_dumped false \
		.ns_pid "$child" .pidns "$HOST_PIDNS" .container_id '""' \
		.cgroup "$(jq -n --arg c "$MY_CGROUP" '$c')" \
		'.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")' true
	# The child sleeps 100 ms before it exits.
	assert_true "lifetime of the child $child (it lived at least 100 ms)" "$ev" \
		'.lifetime_ns >= 100000000 and .lifetime_ns < 60000000000'
	ev=$(expect_one "exit of the parent $parent" ".type == \"exit\" and .pid == $parent")
	assert_fields "$ev" "exit of the parent $parent" \
		.comm '"exit_code"' .exit_code 0 .signal null .core_dumped false
}

# Killed by a signal: no exit code, the terminating signal instead.
case_killed_by_signal()
{
	local target ev
	trace_scenario -- killed_by 15
	target=$(kv target)
	focus "$target" "$(kv sender)" "$(kv parent)"
	assert_eq "wait() in the scenario saw the target die of signal" 15 "$(kv target_signal)"
	ev=$(expect_one "exit of the SIGTERMed target $target" \
		".type == \"exit\" and .pid == $target")
	assert_fields "$ev" "exit of the SIGTERMed target $target" \
		.comm '"kb_target"' .ppid "$(kv parent)" .parent_comm '"killed_by"' \
		.exit_code null .signal '"SIGTERM"' .core_dumped false
}

# Exit codes at both ends of the range.
case_exit_code_range()
{
	local code child ev
	local -A output=()
	start_agent trace --json -e exit
	for code in 0 255; do
		scenario exit_code blocked "$code"
		output[$code]=$SCEN_OUT
	done
	stop_agent
	for code in 0 255; do
		child=$(kv child "${output[$code]}")
		focus "$child"
		ev=$(expect_one "exit of $child (exit code $code)" ".type == \"exit\" and .pid == $child")
		assert_fields "$ev" "exit of $child (exit code $code)" .exit_code "$code" .signal null
	done
}

# A two-threaded process SIGKILLed through its second thread: one exit, for the process.
case_multithreaded_sigkill()
{
	local target worker ev
	trace_scenario -e all -- killed_by 9 tgkill_thread
	target=$(kv target)
	worker=$(kv worker)
	focus "$target" "$worker"
	ev=$(expect_one "exit of the SIGKILLed two-thread process $target" \
		".type == \"exit\" and .pid == $target")
	assert_fields "$ev" "exit of the SIGKILLed two-thread process $target" \
		.comm '"kb_target"' .exit_code null .signal '"SIGKILL"' .ppid "$(kv parent)"
	assert_count "events naming the thread id $worker as a pid" 0 \
		".pid == $worker or .ppid == $worker or .sender_pid == $worker or .reaper_pid == $worker"
}

# A signal whose default action dumps core; core_dumped is what wait() said.
case_core_dump()
{
	local target ev core
	[[ $(cat /proc/sys/kernel/core_pattern) == core* ]] ||
		skip "core_pattern is '$(cat /proc/sys/kernel/core_pattern)'; this case needs a plain file pattern"
	start_agent trace --json -e exit
	# The core file lands in the case's directory, which is removed with it.
	cd "$CASE_DIR"
	scenario killed_by 3 kill core
	stop_agent
	target=$(kv target)
	core=$(kv target_core)
	[[ $core == 1 ]] || skip "the kernel did not dump core here (wait status without WCOREDUMP)"
	focus "$target"
	ev=$(expect_one "exit of the SIGQUIT target $target" ".type == \"exit\" and .pid == $target")
	assert_fields "$ev" "exit of the SIGQUIT target $target" \
		.exit_code null .signal '"SIGQUIT"' .core_dumped true
}

# The main thread leaves first (SYS_exit); a worker ends the process 200 ms later with
# exit_group(3). One exit event, exit code 3, when the worker exits.
case_leader_exits_first()
{
	local child worker ev
	trace_scenario -e all -- leader_exits_first
	child=$(kv child)
	worker=$(kv worker)
	focus "$child" "$worker"
	assert_eq "wait() in the scenario saw exit code" 3 "$(kv wait_exit_code)"
	ev=$(expect_one "exit of process $child (leader exited first)" \
		".type == \"exit\" and .pid == $child")
	assert_fields "$ev" "exit of process $child (leader exited first)" \
		.comm '"lef_child"' .exit_code 3 .signal null .ppid "$(kv parent)"
	# It lived as long as its worker: at least 200 ms, and the event is not the leader's
	# exit (allow 50 ms for converting the kernel's clock to wall time).
	assert_true "exit of $child: lifetime covers the worker's 200 ms" "$ev" \
		'.lifetime_ns >= 200000000'
	assert_true "exit of $child: time is the worker's exit, not the leader's" "$ev" \
		"(.time | usec) >= $(kv worker_exit_us) - 50000"
	assert_count "events with the worker thread's tid $worker as pid" 0 ".pid == $worker"
}

# A non-leader thread execs: the old leader thread is killed by de_thread() and the process
# lives on under the same pid, then exits 6. One exit event, for the process's real end.
case_exec_from_thread()
{
	local child worker ev
	trace_scenario -e all -- exec_from_thread
	child=$(kv child)
	worker=$(kv worker)
	focus "$child" "$worker"
	assert_eq "wait() in the scenario saw exit code" 6 "$(kv wait_exit_code)"
	ev=$(expect_one "exit of process $child (exec from a thread)" \
		".type == \"exit\" and .pid == $child")
	assert_fields "$ev" "exit of process $child (exec from a thread)" \
		.comm '"eft_after"' .exit_code 6 .signal null .ppid "$(kv parent)"
	assert_count "events with the exec'ing thread's old tid $worker as pid" 0 ".pid == $worker"
}

# kill -9 of a background job from a shell.
case_sigkill_from_shell()
{
	local shell victim ev
	kill_from_shell -9
	shell=$KILL_SHELL victim=$KILL_VICTIM
	ev=$(expect_one "exit of the SIGKILLed sleep $victim" ".type == \"exit\" and .pid == $victim")
	assert_fields "$ev" "exit of the SIGKILLed sleep $victim" \
		.ppid "$shell" .parent_comm '"bash"' .exit_code null .signal '"SIGKILL"' \
		.core_dumped false
}

# Processes whose threads all exit at once (SYS_exit, the leader first): which thread
# ends the process is a race, and each process still has exactly one exit and one reap,
# under its own pid, with status 0. On the older kernels' path (REAPWATCH_EXIT_COMPAT=1,
# see test_exit_compat.sh) this is where two threads both see signal->live at zero.
case_threads_exit_together()
{
	local procs n bad
	trace_scenario -e exit,reap -- thread_exits 60 8
	[[ $(kv finished) == 1 ]] || fail "thread_exits did not finish"
	procs=$(sed -n 's/^proc=//p' "$SCEN_OUT" | paste -sd, -)
	n=$(tr ',' '\n' <<<"$procs" | grep -c .)
	assert_eq "processes the scenario ran" 60 "$n"
	assert_count "exit events of the 60 te_proc processes" 60 \
		"(.type == \"exit\") and (.pid as \$p | [$procs] | any(. == \$p))"
	assert_count "reap events of the 60 te_proc processes" 60 \
		"(.type == \"reap\") and (.pid as \$p | [$procs] | any(. == \$p))"
	assert_count "exit events of te_proc with a status other than 0" 0 \
		"(.type == \"exit\") and .comm == \"te_proc\" and .exit_code != 0"
	# Every te_proc exit is one of those processes (none is a thread's tid).
	bad=$(count_events "(.type == \"exit\") and .comm == \"te_proc\" and (.pid as \$p | [$procs] | any(. == \$p) | not)")
	assert_eq "te_proc exit events under another pid (a thread's)" 0 "$bad"
}

# The agent loads the exit program this kernel calls for: handle_exit where
# sched_process_exit passes group_dead (v6.16+), handle_exit_compat where it does not
# or REAPWATCH_EXIT_COMPAT=1 asks for it. 
case_exit_program_chosen()
{
	local pid names want vlen
	start_agent trace --json -e exit
	pid=${AGENT_PID[agent]}
	names=$(agent_bpf_ids "$pid" prog | awk '$1 ~ /^handle_exit/ { print $1 }' | paste -sd, -)
	stop_agent
	if without_bpf_loop; then
		want=handle_exit_noloop
	elif [[ ${REAPWATCH_EXIT_COMPAT:-0} != 0 ]]; then
		want=handle_exit_compat
	else
		# The kernel's own answer: the tracepoint's prototype in its BTF (a function of
		# ctx and the arguments: 3 parameters with group_dead, 2 without).
		vlen=$(bpftool btf dump file /sys/kernel/btf/vmlinux format raw |
			grep -A2 "TYPEDEF 'btf_trace_sched_process_exit'" |
			sed -n 's/.*FUNC_PROTO.*vlen=\([0-9]*\).*/\1/p')
		detail "btf_trace_sched_process_exit: a function of ${vlen:-?} parameters"
		if [[ ${vlen:-0} -ge 3 ]]; then
			want=handle_exit
		else
			want=handle_exit_compat
		fi
	fi
	assert_eq "the agent's sched_process_exit program" "$want" "$names"
}

run_case exit_code case_exit_code
run_case exit_code_range case_exit_code_range
run_case exit_killed_by_signal case_killed_by_signal
run_case exit_multithreaded_sigkill case_multithreaded_sigkill
run_case exit_core_dump case_core_dump
run_case exit_leader_exits_first case_leader_exits_first
run_case exit_exec_from_thread case_exec_from_thread
run_case exit_sigkill_from_shell case_sigkill_from_shell
run_case exit_threads_exit_together case_threads_exit_together
run_case exit_program_chosen case_exit_program_chosen
finish
