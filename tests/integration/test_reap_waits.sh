#!/usr/bin/env bash
# Reaps by waits of every kind (issue 12.2, 12.3), each against the kernel's own answer: the
# scenario wait_kinds prints which pid each wait returned and the reaper's wall clock before
# the wait and right after it returned.
#   - exact (latency_exact true): the reap event's `time` within 1 ms before the reaper's
#     clock after the wait returned, and not before the wait began;
#   - a bound (latency_exact false): `time` is when the task was freed, after the reap: not
#     before the reaper's clock after the wait returned (1 ms slack).
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# waits MODE: run `wait_kinds MODE` under the agent (skip where the scenario says so).
waits()
{
	trace_scenario -e exit,reap -- wait_kinds "$1"
	if grep -q '^skip=' "$SCEN_OUT"; then
		skip "$(kv skip)"
	fi
	REAPER=$(kv reaper)
}

# reap_of NAME: the one reap event of the child the scenario printed as NAME=, by the reaper.
reap_of()
{
	local pid ev
	pid=$(kv "$1")
	ev=$(expect_one "reap of $1 ($pid)" ".type == \"reap\" and .pid == $pid")
	assert_fields "$ev" "reap of $1 ($pid)" .reaper_pid "$REAPER" .autoreap false \
		'.latency_ns | type' '"number"'
	echo "$ev"
}

# exact NAME: NAME's reap is exact, and within 1 ms before the reaper's clock after its wait.
exact()
{
	local ev wait_us reaped_us
	ev=$(reap_of "$1")
	wait_us=$(($(kv "$1_wait_ns") / 1000))
	reaped_us=$(($(kv "$1_reaped_ns") / 1000))
	detail "$1: the reaper waited from $wait_us us, the wait returned by $reaped_us us (wall)"
	assert_fields "$ev" "reap of $1" .latency_exact true
	assert_true "reap of $1: time within 1 ms before the reaper's clock after its wait ($reaped_us us)" \
		"$ev" "(.time | usec) <= $reaped_us and (.time | usec) >= $reaped_us - 1000"
	assert_true "reap of $1: time not before the wait began ($wait_us us)" \
		"$ev" "(.time | usec) >= $wait_us"
	echo "$ev"
}

# claim_holds NAME: whatever NAME's reap event claims is true: exact as above, or a bound
# that is not before the reap (the reaper's clock after its wait, 1 ms slack).
claim_holds()
{
	local ev reaped_us
	ev=$(reap_of "$1")
	if [[ $(jq -r .latency_exact <<<"$ev") == true ]]; then
		exact "$1" >/dev/null
		return
	fi
	reaped_us=$(($(kv "$1_reaped_ns") / 1000))
	assert_fields "$ev" "reap of $1" .latency_exact false
	assert_true "reap of $1: its bound not before the reaper's clock after its wait ($reaped_us us)" \
		"$ev" "(.time | usec) >= $reaped_us - 1000"
}

# export_value NAME: the sample NAME{container_id="$ID",...} in the exporter's file, 0 if absent.
export_value()
{
	local v
	v=$(prom_value "$PROM_DIR/reapwatch.prom" \
		"$1{container_id=\"$ID\",pod=\"\",namespace=\"\",container=\"\"}")
	echo "${v/absent/0}"
}

# export: a reap whose time is only a bound goes into reapwatch_reaps_unmeasured_total, never
# into the latency histogram. In a cgroup of its own, wait_kinds ptrace_other's child is traced
# by its sibling and reaped by its parent, asleep in waitpid(), once the tracer's wait let it
# go (no wait seen: timed at its free); the tracer (reaped by waitpid()) and the scenario
# itself (by this shell) are exact.
case_export_unmeasured()
{
	local cg deadline rc=0
	cg=$(cgroup2_mount)
	[[ -n $cg ]] || skip "no cgroup2 mount"
	ID=$(new_container_id)
	mkdir "$cg/$ID"
	at_case_exit rmdir "$cg/$ID"
	PROM_DIR=$CASE_DIR/prom
	mkdir "$PROM_DIR"
	start_agent --ready "reapwatch: exporting" export --textfile-dir "$PROM_DIR" --interval 0.2 \
		--container-detail
	in_cgroup "$cg/$ID" "$SCENARIOS/wait_kinds" \
		ptrace_other >"$CASE_DIR/wait_kinds.out" 2>&1 || rc=$?
	[[ $rc -eq 0 ]] || fail "wait_kinds ptrace_other: status $rc: $(head -n3 "$CASE_DIR/wait_kinds.out")"
	# Reaps are counted at the task's free (an RCU callback), or, when the kernel did not run
	# our program there, by the agent's sweep (within 5 + 2 + 1 s): until all 3 are in, 15 s
	# at most.
	deadline=$((SECONDS + 15))
	until (($(export_value reapwatch_reaps_unmeasured_total) + \
		$(export_value reapwatch_reap_latency_seconds_count) >= 3)) || ((SECONDS >= deadline)); do
		sleep 0.1
	done
	sleep 0.5 # one more write: nothing else may come
	stop_agent
	detail "wait_kinds: $(tr '\n' ' ' <"$CASE_DIR/wait_kinds.out")" \
		"$(grep -F "$ID" "$PROM_DIR/reapwatch.prom" | grep -E 'unmeasured|latency_seconds_(count|bucket.*Inf)')"
	assert_eq "reaps_unmeasured_total of the cgroup (the traced child)" 1 \
		"$(export_value reapwatch_reaps_unmeasured_total)"
	assert_eq "reap_latency_seconds_count of the cgroup (the tracer, the scenario)" 2 \
		"$(export_value reapwatch_reap_latency_seconds_count)"
}

# hog_case MODE: `wait_kinds MODE`'s waiter, asleep in waitpid() behind a SCHED_FIFO busy
# loop on its CPU, is timed exactly and not before the loop let its CPU go.
hog_case()
{
	local ev hog_us exit_us
	waits "$1"
	focus "$REAPER" "$(kv child)"
	hog_us=$(($(kv hog_end_ns) / 1000))
	exit_us=$(($(kv child_exit_ns) / 1000))
	detail "the child exited at $exit_us us, the busy loop let the CPU go at $hog_us us"
	ev=$(exact child)
	assert_true "reap of the child: not before the busy loop let the waiter's CPU go ($hog_us us)" \
		"$ev" "(.time | usec) >= $hog_us"
}

# Woken at the child's exit, the waiter runs (and reaps) only when the loop ends, 50 ms later.
case_hog()
{
	hog_case hog
}

# The same with a SIGCHLD handler: the signal itself wakes the waiter (complete_signal()),
# before the agent's signal_generate program runs, so the waiter is queued to run, not
# asleep, when it is found on the wait queue.
case_hog_handler()
{
	hog_case hog_handler
}

# The same, but the waiter only sleeps after the reap: no later wait() of its own follows,
# and its switch-in alone times the reap.
case_hog_sleep()
{
	hog_case hog_sleep
}

# hog_two_case MODE: two children exit while the waiter is kept off its CPU in waitpid(-1).
# Both SIGCHLDs find it on the wait queue; when it runs, its scan takes X, the older (list
# order), whichever exited first: X is timed by that switch-in, not by its own SIGCHLD 50 ms
# before; Y by the second waitpid(-1). Without bpf_loop() that second wait is not seen, nor
# which of the two the first took: both reaps are bounds, and say so.
hog_two_case()
{
	local ev hog_us child
	waits "$1"
	focus "$REAPER" "$(kv x)" "$(kv y)"
	hog_us=$(($(kv hog_end_ns) / 1000))
	detail "the last child exited at $(($(kv child_exit_ns) / 1000)) us, the busy loop let the CPU go at $hog_us us"
	if without_bpf_loop; then
		for child in x y; do
			assert_fields "$(reap_of "$child")" "reap of $child" .latency_exact false
			claim_holds "$child"
		done
		return
	fi
	ev=$(exact x)
	assert_true "reap of x: not before the busy loop let the waiter's CPU go ($hog_us us)" \
		"$ev" "(.time | usec) >= $hog_us"
	exact y >/dev/null
}

# Y (the younger) exits first: the waiter was remembered for Y when X's SIGCHLD came.
case_hog_two()
{
	hog_two_case hog_two
}

# X (the older) exits first: the waiter takes the zombie it was remembered for first.
case_hog_two_older_first()
{
	hog_two_case hog_two_older_first
}

# A clone() child with exit signal 0, a zombie, beside a fork child: a plain waitpid(-1)
# takes the fork child when it exits (eligible_child()); waitpid(K, __WCLONE) takes K later.
case_clone()
{
	waits clone
	focus "$REAPER" "$(kv fork)" "$(kv clone)"
	exact fork >/dev/null
	exact clone >/dev/null
}

# waitpid(-1, __WALL), asleep: takes the clone child (which sends no SIGCHLD), then, asleep
# again, the fork child.
case_wall()
{
	waits wall
	focus "$REAPER" "$(kv fork)" "$(kv clone)"
	exact fork >/dev/null
	claim_holds clone
}

# waitpid(Y), asleep, with an older zombie Z in process group Y: Y is credited, Z is reaped
# 100 ms later by waitpid(Z).
case_pgid()
{
	waits pgid
	focus "$REAPER" "$(kv y)" "$(kv z)"
	exact y >/dev/null
	exact z >/dev/null
}

# Thread B's waitpid(-1) with zombie children of the leader and of thread C, created after B:
# the kernel goes round the thread group from B and takes C's child; L's is taken 100 ms later.
case_threads()
{
	waits threads
	focus "$REAPER" "$(kv c_child)" "$(kv l_child)"
	exact c_child >/dev/null
	exact l_child >/dev/null
}

# The parent traces its child and reaps it.
case_ptrace()
{
	waits ptrace
	focus "$REAPER" "$(kv child)"
	claim_holds child
}

# A sibling traces the child; the parent, asleep in waitpid(C), reaps it once the tracer's
# wait has let it go.
case_ptrace_other()
{
	waits ptrace_other
	focus "$REAPER" "$(kv child)" "$(kv tracer)"
	claim_holds child
}

# io_uring waitid (Linux 6.7+).
case_uring()
{
	waits uring
	focus "$REAPER" "$(kv child)"
	claim_holds child
}

run_case reap_wait_export_unmeasured case_export_unmeasured
run_case reap_wait_hog case_hog
run_case reap_wait_hog_handler case_hog_handler
run_case reap_wait_hog_sleep case_hog_sleep
run_case reap_wait_hog_two case_hog_two
run_case reap_wait_hog_two_older_first case_hog_two_older_first
run_case reap_wait_clone case_clone
run_case reap_wait_wall case_wall
run_case reap_wait_pgid case_pgid
run_case reap_wait_threads case_threads
run_case reap_wait_ptrace case_ptrace
run_case reap_wait_ptrace_other case_ptrace_other
run_case reap_wait_uring case_uring
finish
