#!/usr/bin/env bash
# The kernel suite's second half: exact checks, on the host, of what tests/kernels/collect.sh
# kept in OUT (a VM's run or a native one). One line per case:
#     PASS name | FAIL name: why | SKIP name: why
# then, last, "N passed, N failed, N skipped". Exit status 0 only if nothing failed.
# Also writes OUT/verdicts (STATUS NAME, one a line) and OUT/verifier (what stopped the
# agent's load, when it did not load) for tools/test-kernels.sh's table.
#
#   tests/kernels/check.sh OUT
#
# A case is SKIP only when the agent itself said, on trace's stderr, that the feature it
# needs is off on this kernel: a line "reapwatch: feature off: NAME: why" (NAME one of
# reparent, reap-wait, teardown-members). Everything else passes or fails.
set -euo pipefail
shopt -s inherit_errexit

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: check.sh OUT}
OUT=$(cd "$OUT" && pwd)
EVENTS=$OUT/trace.json
FEATURE_OFF='reapwatch: feature off: '

passed=0
failed=0
skipped=0
: >"$OUT/verdicts"
CASE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/reapwatch-kcheck.XXXXXX")
trap 'rm -rf "$CASE_TMP"' EXIT

# --- case bookkeeping ------------------------------------------------------------------

# run_case NAME FUNCTION: the function runs in a subshell with set -e; fail/skip end it.
run_case()
{
	local name=$1 fn=$2 rc=0 why
	: >"$CASE_TMP/why"
	: >"$CASE_TMP/details"
	rm -f "$CASE_TMP/skip"
	# A subshell's set -e only works if nothing around it tests its status.
	set +e
	(
		set -eEuo pipefail
		trap 'echo "line $LINENO: \`$BASH_COMMAND\` exited with status $?" >>"$CASE_TMP/why"' ERR
		"$fn"
	)
	rc=$?
	set -e
	why=$(sed -n 1p "$CASE_TMP/why")
	if [[ -e $CASE_TMP/skip ]]; then
		echo "SKIP $name: $(cat "$CASE_TMP/skip")"
		echo "SKIP $name" >>"$OUT/verdicts"
		skipped=$((skipped + 1))
	elif [[ $rc -eq 0 && -z $why ]]; then
		echo "PASS $name"
		echo "PASS $name" >>"$OUT/verdicts"
		passed=$((passed + 1))
	else
		echo "FAIL $name: ${why:-exited with status $rc}"
		echo "FAIL $name" >>"$OUT/verdicts"
		sed 's/^/      /' "$CASE_TMP/details"
		failed=$((failed + 1))
	fi
}

fail()
{
	[[ -s $CASE_TMP/why ]] || echo "$*" >"$CASE_TMP/why"
	exit 1
}

skip()
{
	echo "$*" >"$CASE_TMP/skip"
	exit 0
}

detail()
{
	printf '%s\n' "$@" >>"$CASE_TMP/details"
}

# is_off NAME: the agent said that feature NAME is off on this kernel.
is_off()
{
	grep -qF "$FEATURE_OFF$1: " "$OUT/trace.err" 2>/dev/null
}

# feature_off NAME: skip the case if the agent said NAME is off on this kernel.
feature_off()
{
	local line
	line=$(grep -F "$FEATURE_OFF$1: " "$OUT/trace.err" 2>/dev/null | sed -n 1p) || true
	[[ -z $line ]] || skip "${line#reapwatch: }"
}

# --- what the run left ---------------------------------------------------------------------

# kv SCENARIO KEY: a key=value the scenario (or the collector for it) printed.
kv()
{
	local value
	value=$(sed -n "s/^$2=//p" "$OUT/scen/$1.out" 2>/dev/null | sed -n 1p)
	[[ -n $value ]] || fail "scenario $1 printed no $2= ($(tr '\n' ' ' <"$OUT/scen/$1.out" 2>/dev/null))"
	echo "$value"
}

# scenario_ok NAME: the scenario itself ran to the end and exited 0.
scenario_ok()
{
	local rc
	rc=$(cat "$OUT/scen/$1.rc" 2>/dev/null || echo missing)
	if [[ $rc != 0 ]]; then
		detail "scenario $1 stderr: $(tr '\n' ' ' <"$OUT/scen/$1.err" 2>/dev/null)"
		fail "scenario $1 exited with status $rc"
	fi
}

# need_trace: the trace agent started; else the case fails with what stopped it.
need_trace()
{
	[[ $(cat "$OUT/trace.state" 2>/dev/null) == ready ]] ||
		fail "reapwatch trace did not start: $(sed -n 1p "$OUT/trace.err" 2>/dev/null)"
}

HOST_PIDNS=$(cat "$OUT/host_pidns")

# events FILTER: the events (compact JSON lines) for which the jq FILTER is true.
events()
{
	jq -c "select($1)" "$EVENTS"
}

# one DESC FILTER: the one event matching FILTER; fails unless exactly one.
one()
{
	local found n
	found=$(events "$2")
	n=$(grep -c . <<<"$found" || true)
	if [[ $n -ne 1 ]]; then
		detail "filter: $2" "matching events:" "$(sed -n 1,8p <<<"$found")"
		fail "$1: expected exactly 1 event, got $n"
	fi
	echo "$found"
}

# count DESC N FILTER: exactly N events match FILTER.
count()
{
	local n
	n=$(events "$3" | wc -l)
	if [[ $n -ne $2 ]]; then
		detail "filter: $3" "matching events:" "$(events "$3" | sed -n 1,8p)"
		fail "$1: expected $2 events, got $n"
	fi
}

# fields EVENT DESC EXPR JSON [EXPR JSON...]: each jq EXPR on EVENT gives exactly JSON.
fields()
{
	local event=$1 desc=$2 expr want got bad=() a=("$@") prog="" i
	# One jq run while everything holds (jq's start-up is most of a check's time); field by
	# field only to say what did not.
	for ((i = 2; i + 1 < ${#a[@]}; i += 2)); do
		prog+="${prog:+, }((${a[i]}) == (${a[i + 1]}))"
	done
	[[ $(jq -c "[$prog] | all" <<<"$event" 2>/dev/null) == true ]] && return 0
	shift 2
	while [[ $# -ge 2 ]]; do
		expr=$1
		want=$(jq -c . <<<"$2")
		shift 2
		got=$(jq -c "$expr" <<<"$event" 2>&1) || got="(jq error: $got)"
		[[ $got == "$want" ]] || bad+=("$expr expected $want, got $got")
	done
	if [[ ${#bad[@]} -gt 0 ]]; then
		detail "event: $event"
		fail "$desc: $(printf '%s; ' "${bad[@]}" | sed 's/; $//')"
	fi
}

# holds DESC EVENT CONDITION: a jq condition on EVENT is true.
holds()
{
	if [[ $(jq -c "$3" <<<"$2" 2>&1) != true ]]; then
		detail "event: $2"
		fail "$1: expected $3"
	fi
}

eq()
{
	[[ $2 == "$3" ]] || fail "$1: expected '$2', got '$3'"
}

# jstr TEXT: TEXT as a JSON string.
jstr()
{
	jq -cn --arg s "$1" '$s'
}

# --- the agents ---------------------------------------------------------------------------

# The verifier's own words for a load that failed: libbpf's program name and the last line of
# each load log (the reason), or a missing kernel symbol.
verifier_summary()
{
	local log=$OUT/trace-debug.err
	[[ -s $log ]] || return 0
	# (The log is the tail of libbpf's: a load log's BEGIN line may be cut off, never its END.)
	awk '
		/-- BEGIN PROG LOAD LOG --/ { prog = $2 " " $3; last = ""; next }
		/-- END PROG LOAD LOG --/ { if (last != "") print (prog == "" ? "" : prog " ") last; prog = last = ""; next }
		/not found in kernel/ || /failed to find/ { print; next }
		/^libbpf: / || /^reapwatch: / { next }
		!/^(verification time|stack depth|processed [0-9]+ insns)/ && NF { last = $0 }
	' "$log" | sed 's/^libbpf: //' | awk '!seen[$0]++' | sed -n 1,6p
}

case_agent_trace()
{
	local summary
	verifier_summary >"$OUT/verifier"
	if [[ $(cat "$OUT/trace.state" 2>/dev/null) != ready ]]; then
		[[ -s $OUT/verifier ]] && detail "verifier / libbpf:" "$(sed 's/^/  /' "$OUT/verifier")"
		fail "reapwatch trace did not start: $(sed -n 1p "$OUT/trace.err" 2>/dev/null)"
	fi
	eq "reapwatch trace's exit status after SIGTERM" 0 "$(cat "$OUT/trace.rc")"
	summary=$(grep -E '^reapwatch: [0-9]+ events, [0-9]+ lost$' "$OUT/trace.err" | tail -n1) ||
		fail "reapwatch trace: no 'reapwatch: N events, M lost' line on stderr"
	[[ $summary == *", 0 lost" ]] || detail "NOTE: $summary"
	[[ -s $EVENTS ]] || fail "reapwatch trace --json wrote no events"
	jq -e -s 'all(type == "object")' "$EVENTS" >/dev/null 2>&1 ||
		fail "reapwatch trace --json: not one JSON object per line"
}

# Issue 11: every feature on from Linux 6.1; before, each one off is said once, in the form
# the SKIPs here key on, with a reason.
case_agent_features()
{
	local release major minor off bad
	need_trace
	release=$(cat "$OUT/kernel")
	IFS=. read -r major minor _ <<<"$release"
	off=$(grep -F "$FEATURE_OFF" "$OUT/trace.err" || true)
	if [[ $major -gt 6 || ($major -eq 6 && $minor -ge 1) ]]; then
		[[ -z $off ]] || {
			detail "$off"
			fail "Linux $release (>= 6.1) should have every feature, the agent turned off: $(sed "s/^$FEATURE_OFF//; s/:.*//" <<<"$off" | paste -sd' ')"
		}
		return 0
	fi
	bad=$(grep -vE "^${FEATURE_OFF}[a-z0-9-]+: .+" <<<"$off" || true)
	[[ -z $bad || -z $off ]] || fail "a feature-off line not of the form '${FEATURE_OFF}NAME: why': $(sed -n 1p <<<"$bad")"
	# ("reapwatch", "feature off", NAME, why)
	bad=$(awk -F': ' 'seen[$3]++ { print $3 }' <<<"$off")
	[[ -z $bad ]] || fail "feature $bad is said to be off more than once"
}

case_agent_export()
{
	[[ $(cat "$OUT/export.state" 2>/dev/null) == ready ]] ||
		fail "reapwatch export did not start: $(sed -n 1p "$OUT/export.err" 2>/dev/null)"
	eq "reapwatch export's exit status after SIGTERM" 0 "$(cat "$OUT/export.rc")"
}

# The two agents' per-CPU kernel memory: a per-CPU map holds a value for every possible CPU,
# so what was preallocated per cgroup grew with the node (226 MiB for export on 128 CPUs,
# before). Now export's per-CPU stats slots are kept within 4 MiB whatever the CPUs, the
# per-cgroup and per-signal maps allocate only the entries used, and trace counts nothing.
# Allowed: 4 MiB of slots, 64 KiB per possible CPU for the small per-CPU maps of both
# agents (counters, scratch), and 2 MiB of allocator slack.
case_agent_percpu_memory()
{
	local possible ncpus before after used limit
	possible=$(sed -n 's/^possible=//p' "$OUT/percpu")
	before=$(sed -n 's/^before_kb=//p' "$OUT/percpu")
	after=$(sed -n 's/^agents_kb=//p' "$OUT/percpu")
	[[ -n $possible && -n $before && -n $after ]] ||
		fail "no Percpu figures from /proc/meminfo ($(tr '\n' ' ' <"$OUT/percpu"))"
	[[ $(cat "$OUT/export.state") == ready && $(cat "$OUT/trace.state") == ready ]] ||
		fail "the agents did not both start"
	# "0-63", "0-1,4-7", "0": the ranges' lengths summed
	ncpus=$(tr ',' '\n' <<<"$possible" |
		awk -F- '{ n += (NF == 2 ? $2 - $1 + 1 : 1) } END { print n }')
	used=$((after - before))
	limit=$((4096 + 64 * ncpus + 2048))
	detail "possible CPUs $possible ($ncpus); Percpu ${before} kB before the agents, ${after} kB with both"
	((used <= limit)) ||
		fail "the agents took $used kB of per-CPU memory on $ncpus possible CPUs (allowed: $limit kB)"
}

# --- exits and signals ---------------------------------------------------------------------

# A child that exits 7 and its parent that exits 0.
case_exit_code()
{
	local parent child ev
	need_trace
	scenario_ok exit_blocked
	parent=$(kv exit_blocked parent)
	child=$(kv exit_blocked child)
	eq "wait() in the scenario saw exit code" 7 "$(kv exit_blocked wait_exit_code)"
	ev=$(one "exit of child $child" ".type == \"exit\" and .pid == $child")
	fields "$ev" "exit of child $child" \
		.comm '"ec_child"' .ppid "$parent" .parent_comm '"exit_code"' .exit_code 7 \
		.signal null .core_dumped false .ns_pid "$child" .pidns "$HOST_PIDNS" \
		.container_id '""' \
		'.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")' true
	holds "exit of child $child: lifetime (it lives 100 ms)" "$ev" \
		'.lifetime_ns >= 100000000 and .lifetime_ns < 60000000000'
	ev=$(one "exit of parent $parent" ".type == \"exit\" and .pid == $parent")
	fields "$ev" "exit of parent $parent" .comm '"exit_code"' .exit_code 0 .signal null
}

# Killed by SIGTERM and by SIGKILL: no exit code, the terminating signal instead.
case_exit_signal()
{
	local run sig name target ev
	need_trace
	for run in killed_term:15:SIGTERM killed_kill:9:SIGKILL; do
		IFS=: read -r run sig name <<<"$run"
		scenario_ok "$run"
		target=$(kv "$run" target)
		eq "wait() in $run saw the target die of signal" "$sig" "$(kv "$run" target_signal)"
		ev=$(one "exit of $name'd target $target" ".type == \"exit\" and .pid == $target")
		fields "$ev" "exit of $name'd target $target" \
			.comm '"kb_target"' .ppid "$(kv "$run" parent)" .parent_comm '"killed_by"' \
			.exit_code null .signal "\"$name\"" .core_dumped false
	done
}

# kill(2) from a process: SI_USER, origin user, sent by that process.
case_signal_user()
{
	local run sig name target sender ev
	need_trace
	for run in killed_term:15:SIGTERM killed_kill:9:SIGKILL; do
		IFS=: read -r run sig name <<<"$run"
		target=$(kv "$run" target)
		sender=$(kv "$run" sender)
		ev=$(one "$name from $sender to $target" \
			".type == \"signal\" and .pid == $target and .sig == $sig")
		fields "$ev" "$name from $sender to $target" \
			.comm '"kb_target"' .signal "\"$name\"" .sender_pid "$sender" \
			.sender_comm '"kb_sender"' .code '"SI_USER"' .origin '"user"' \
			.result '"delivered"' .pidns "$HOST_PIDNS" .ns_pid "$target"
	done
	# ... and the kernel's SIGPIPE, though its code is SI_USER, is not a user's.
	target=$(kv sigpipe writer)
	ev=$(one "SIGPIPE to the writer $target" \
		".type == \"signal\" and .pid == $target and .sig == 13")
	fields "$ev" "SIGPIPE to the writer $target" .sender_pid "$target" .code '"SI_USER"' \
		.origin '"kernel"'
}

# `kill -9` from a shell: a user's SIGKILL, never a namespace teardown.
case_signal_shell_kill9()
{
	local shell victim ev
	need_trace
	shell=$(kv shell_kill shell)
	victim=$(kv shell_kill victim)
	ev=$(one "kill -9 from shell $shell to $victim" \
		".type == \"signal\" and .pid == $victim and .sig == 9")
	fields "$ev" "kill -9 from shell $shell to $victim" \
		.signal '"SIGKILL"' .sender_pid "$shell" .sender_comm "$(jstr "$(kv shell_kill shell_comm)")" \
		.code '"SI_USER"' .origin '"user"' .result '"delivered"'
	count "pidns_teardown signals to $victim" 0 \
		".type == \"signal\" and .origin == \"pidns_teardown\" and .pid == $victim"
	ev=$(one "exit of $victim" ".type == \"exit\" and .pid == $victim")
	fields "$ev" "exit of $victim" .signal '"SIGKILL"' .exit_code null .ppid "$shell"
}

# --- pid namespace teardown ---------------------------------------------------------------

# Sets INIT, INIT_COMM, NS, M (host pids of the members), M_NS (their namespace pids).
teardown_facts()
{
	local i
	eq "members the collector found in the namespace" 3 "$(kv teardown found)"
	eq "exit status of unshare (its init exits 0)" 0 "$(cat "$OUT/scen/teardown.rc")"
	INIT=$(kv teardown init)
	INIT_COMM=$(kv teardown init_comm)
	NS=$(kv teardown pidns)
	M=()
	M_NS=()
	for i in 1 2 3; do
		M+=("$(kv teardown "member$i")")
		M_NS+=("$(kv teardown "member${i}_ns")")
	done
}

# The init's SIGKILLs: origin pidns_teardown, SI_KERNEL, one per member; the SIGTERM the
# init sent member 1 before is a user's signal, which member 1 ignored.
case_teardown_signals()
{
	local i ev
	need_trace
	teardown_facts
	count "teardown SIGKILLs sent by init $INIT" 3 \
		".type == \"signal\" and .origin == \"pidns_teardown\" and .sender_pid == $INIT"
	for i in 0 1 2; do
		ev=$(one "teardown SIGKILL of member ${M[i]}" \
			".type == \"signal\" and .pid == ${M[i]} and .sig == 9")
		fields "$ev" "teardown SIGKILL of member ${M[i]}" \
			.comm '"sleep"' .signal '"SIGKILL"' .code '"SI_KERNEL"' \
			.origin '"pidns_teardown"' .sender_pid "$INIT" .sender_comm "$(jstr "$INIT_COMM")" \
			.result '"delivered"' .pidns "$NS" .ns_pid "${M_NS[i]}"
		ev=$(one "exit of member ${M[i]}" ".type == \"exit\" and .pid == ${M[i]}")
		fields "$ev" "exit of member ${M[i]}" \
			.ppid "$INIT" .exit_code null .signal '"SIGKILL"' .pidns "$NS" .ns_pid "${M_NS[i]}"
	done
	ev=$(one "SIGTERM from init $INIT to member ${M[0]}" \
		".type == \"signal\" and .pid == ${M[0]} and .sig == 15")
	fields "$ev" "SIGTERM from init $INIT to member ${M[0]}" \
		.sender_pid "$INIT" .code '"SI_USER"' .origin '"user"' .result '"ignored"'
	ev=$(one "exit of init $INIT" ".type == \"exit\" and .pid == $INIT")
	fields "$ev" "exit of init $INIT" .exit_code 0 .signal null .pidns "$NS" .ns_pid 1
}

# The one teardown event: who was killed, who had a SIGTERM first, the grace period.
case_teardown_event()
{
	local ev
	need_trace
	teardown_facts
	ev=$(one "teardown of the namespace of init $INIT" ".type == \"teardown\" and .pid == $INIT")
	fields "$ev" "teardown of the namespace of init $INIT" \
		.comm "$(jstr "$INIT_COMM")" .pidns "$NS" .ns_pid 1 .sigkilled 3 \
		.sigkilled_without_sigterm 2 \
		'.sigkilled_pids | sort' "[$(printf '%s\n' "${M[@]}" | sort -n | paste -sd,)]" \
		'.duration_ns | type' '"number"'
	# The outside SIGTERMed the init, then the init slept 200 ms before its exit (its own
	# SIGTERM to a member, from inside, starts no grace period).
	holds "teardown of $INIT: grace_ns covers the init's 200 ms after the outside's SIGTERM" "$ev" \
		'(.grace_ns | type) == "number" and .grace_ns >= 200000000 and .grace_ns < 30000000000'
}

# members: every process alive in the namespace when the init exited.
# Where the agent says it cannot count them (no bpf_loop()), members is null, never a guess.
case_teardown_members()
{
	local ev want=3
	need_trace
	is_off teardown-members && want=null
	teardown_facts
	ev=$(one "teardown of the namespace of init $INIT" ".type == \"teardown\" and .pid == $INIT")
	fields "$ev" "teardown of the namespace of init $INIT" .members "$want"
}

# --- reaps ---------------------------------------------------------------------------------

# reap_event RUN: the child's reap event in RUN, by its parent; sets LO, HI (the true zombie
# period the scenario measured, ns).
reap_event()
{
	local run=$1 child parent
	scenario_ok "$run"
	child=$(kv "$run" child)
	parent=$(kv "$run" parent)
	LO=$(kv "$run" latency_lo)
	HI=$(kv "$run" latency_hi)
	EV=$(one "reap of $child ($run)" ".type == \"reap\" and .pid == $child")
	detail "true zombie period of $child, measured by the scenario: [$LO, $HI] ns"
	fields "$EV" "reap of $child ($run)" \
		.comm '"ec_child"' .reaper_pid "$parent" .reaper_comm '"exit_code"' .autoreap false
}

# The right reaper, and a latency that is at least an upper bound of the truth (where the
# agent cannot see the wait, it takes the task's free, tens of ms later at most); one the
# event calls exact (latency_exact) is within 1 ms.
case_reap_reaper()
{
	local run
	need_trace
	for run in exit_blocked exit_late; do
		reap_event "$run"
		holds "reap ($run): latency_ns not below the measured zombie period, at most 2 s above" \
			"$EV" "(.latency_ns | type) == \"number\" and .latency_ns >= $LO - 1000000 and .latency_ns <= $HI + 2000000000"
		holds "reap ($run): latency_exact is a boolean; if true, latency_ns is within 1 ms of [$LO, $HI] ns" \
			"$EV" "(.latency_exact | type) == \"boolean\" and ((.latency_exact | not) or .latency_ns <= $HI + 1000000)"
	done
}

# docs: accurate to 1 ms where the reaper's wait is seen, else an upper bound, and the event
# says which. Both parents wait for their child by its pid: seen on every kernel, without
# bpf_loop() too (reap-wait off is about waits for any child, case_reap_waits).
case_reap_latency()
{
	local run
	need_trace
	for run in exit_blocked exit_late; do
		reap_event "$run"
		fields "$EV" "reap ($run)" .latency_exact true
		holds "reap ($run): latency_ns within 1 ms of the measured [$LO, $HI] ns" \
			"$EV" ".latency_ns >= $LO - 1000000 and .latency_ns <= $HI + 1000000"
	done
}

# wait_claim RUN NAME [exact]: the reap of the child RUN printed as NAME=, by the scenario:
# exact (required with `exact`) within SLACK before the reaper's clock after the wait that took
# it and not before that wait began; else a bound, not before that clock (SLACK). SLACK is
# 1 ms natively; under QEMU's TCG, where the waiter's few microseconds from its stamp (its
# switch-in, its wait's entry) to its clock read take milliseconds, 10 ms.
USEC='def usec: (.[0:19] + "Z" | fromdateiso8601) * 1000000 + (.[20:26] | tonumber);'
SLACK_US=1000
[[ $(cat "$OUT/vm" 2>/dev/null) == qemu ]] && SLACK_US=10000
wait_claim()
{
	local run=$1 name=$2 pid wait_us reaped_us
	pid=$(kv "$run" "$name")
	wait_us=$(($(kv "$run" "${name}_wait_ns") / 1000))
	reaped_us=$(($(kv "$run" "${name}_reaped_ns") / 1000))
	EV=$(one "reap of $name $pid ($run)" ".type == \"reap\" and .pid == $pid")
	detail "$run: the wait that took $name began at $wait_us us and returned by $reaped_us us"
	fields "$EV" "reap of $name $pid ($run)" .reaper_pid "$(kv "$run" reaper)" .autoreap false
	if [[ ${3:-} == exact || $(jq -r .latency_exact <<<"$EV") == true ]]; then
		fields "$EV" "reap of $name ($run)" .latency_exact true
		holds "reap of $name ($run): within $SLACK_US us before the reaper's clock after its wait" \
			"$EV" "$USEC (.time | usec) as \$t | \$t <= $reaped_us and \$t >= $reaped_us - $SLACK_US and \$t >= $wait_us"
	else
		holds "reap of $name ($run): a bound not before the reaper's clock after its wait" \
			"$EV" "$USEC (.time | usec) >= $reaped_us - $SLACK_US"
	fi
}

# Issue 12: a waiter asleep behind a SCHED_FIFO busy loop on its CPU is timed when it runs
# (also when two of its children die before it does);
# a fork child beside a clone child with exit signal 0 is taken by a plain waitpid(-1);
# a wait goes round the thread group from the calling thread. Waits asleep before the exit,
# and later ones for one child by its pid, are exact everywhere; a later waitpid(-1) is a
# bound without bpf_loop() (reap-wait off).
case_reap_waits()
{
	local later=""
	need_trace
	is_off reap-wait || later=exact
	scenario_ok wait_hog
	if grep -q '^skip=' "$OUT/scen/wait_hog.out"; then
		skip "wait_kinds hog: $(kv wait_hog skip)"
	fi
	wait_claim wait_hog child exact
	holds "reap of the child (wait_hog): not before the busy loop let the waiter's CPU go" \
		"$EV" "$USEC (.time | usec) >= $(($(kv wait_hog hog_end_ns) / 1000))"
	# Two zombies for that waiter, the younger first: its scan takes the older (list order),
	# timed at its switch-in; the other by its next waitpid(-1), which only the walk sees
	# (without it, both are bounds).
	scenario_ok wait_hog_two
	wait_claim wait_hog_two x $later
	if [[ -n $later ]]; then
		holds "reap of x (wait_hog_two): not before the busy loop let the waiter's CPU go" \
			"$EV" "$USEC (.time | usec) >= $(($(kv wait_hog_two hog_end_ns) / 1000))"
	fi
	wait_claim wait_hog_two y $later
	scenario_ok wait_clone
	wait_claim wait_clone fork exact
	wait_claim wait_clone clone exact # waitpid(K, __WCLONE): by its pid
	scenario_ok wait_threads
	wait_claim wait_threads c_child $later # waitpid(-1) after the exit: the walk
	wait_claim wait_threads l_child exact # waitpid(L's child)
}

# --- orphans -------------------------------------------------------------------------------

# reparent_event RUN: the orphan's one reparent event (EV), checked for what all share.
reparent_event()
{
	local run=$1 orphan
	need_trace
	scenario_ok "$run"
	orphan=$(kv "$run" orphan)
	if is_off reparent; then
		# Off means silent: no reparent event at all, not a wrong one.
		count "reparent events with the feature off" 0 '.type == "reparent"'
		skip "the agent says: $(grep -F "${FEATURE_OFF}reparent: " "$OUT/trace.err" | sed -n 1p)"
	fi
	EV=$(one "reparent of orphan $orphan ($run)" ".type == \"reparent\" and .pid == $orphan")
	fields "$EV" "reparent of orphan $orphan ($run)" \
		.comm '"orph_child"' .old_ppid "$(kv "$run" father)" .old_parent_comm '"orph_father"' \
		.new_ppid "$(kv "$run" new_ppid)" .pidns "$(kv "$run" pidns)" \
		.ns_pid "$(kv "$run" orphan_ns)" .reaper_in_pidns true
}

case_reparent_subreaper()
{
	reparent_event orphan_subreaper
	eq "scenario: the orphan's new parent is the subreaper" \
		"$(kv orphan_subreaper parent)" "$(kv orphan_subreaper new_ppid)"
	fields "$EV" "reparent to subreaper $(kv orphan_subreaper parent)" \
		.new_parent_comm '"orphan"' .reaper_kind '"subreaper"'
}

case_reparent_pidns_init()
{
	reparent_event orphan_pidns
	eq "scenario: the orphan's new parent is the namespace's init" \
		"$(kv orphan_pidns init)" "$(kv orphan_pidns new_ppid)"
	fields "$EV" "reparent to pidns init $(kv orphan_pidns init)" \
		.new_parent_comm '"orph_init"' .reaper_kind '"pidns_init"'
}

# --- zombies --------------------------------------------------------------------------------

# zombie_object CHILD: its one object in zombies --json (ZOBJ).
zombie_object()
{
	ZOBJ=$(jq -c "select(.pid == $1)" "$OUT/zombies.json")
	if [[ $(grep -c . <<<"$ZOBJ" || true) -ne 1 ]]; then
		detail "zombies --json:" "$(sed -n 1,10p "$OUT/zombies.json")"
		fail "zombies --json: expected one object for zombie $1, got $(grep -c . <<<"$ZOBJ" || true)"
	fi
}

case_zombies_list()
{
	local parent child i
	eq "reapwatch zombies --json exit status" 0 "$(cat "$OUT/zombies.rc")"
	kv zombies ready >/dev/null
	parent=$(kv zombies parent)
	jq -e -s 'all(type == "object")' "$OUT/zombies.json" >/dev/null ||
		fail "zombies --json: not one JSON object per line"
	for i in 1 2 3; do
		child=$(kv zombies "child$i")
		zombie_object "$child"
		fields "$ZOBJ" "zombies --json: zombie $child" \
			.comm '"zmb_child"' .ppid "$parent" .parent_comm '"zmb_parent"' \
			.container_id '""' .pidns "$HOST_PIDNS" .ns_pid "$child"
	done
}

# The zombies died while the trace agent ran: their age is exact (here: to the second the
# collector's clock gives, on both sides).
case_zombies_age()
{
	local before after lo hi child i
	need_trace
	eq "reapwatch zombies --json exit status" 0 "$(cat "$OUT/zombies.rc")"
	before=$(sed -n 's/^before_s=//p' "$OUT/zombies.times")
	after=$(sed -n 's/^after_s=//p' "$OUT/zombies.times")
	lo=$((before * 1000 - $(kv zombies zombies_by_us) / 1000 - 2))
	hi=$(((after + 1) * 1000 - $(kv zombies exited_after_us) / 1000 + 2))
	for i in 1 2 3; do
		child=$(kv zombies "child$i")
		zombie_object "$child"
		holds "zombies --json: age of $child within [$lo, $hi] ms" "$ZOBJ" \
			"(.age_seconds | type) == \"number\" and .age_seconds * 1000 >= $lo and .age_seconds * 1000 <= $hi"
	done
}

# --- export ---------------------------------------------------------------------------------

PROM=$OUT/prom/reapwatch.prom

# prom_sum NAME LABEL=\"VALUE\"...: the sum of NAME's samples that carry all those labels.
prom_sum()
{
	local name=$1
	shift
	awk -v name="$name" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		$0 !~ /^#/ {
			split($0, parts, "{"); if (parts[1] != name) next
			ok = 1
			for (i = 1; i <= n; i++) if (index($0, w[i]) == 0) ok = 0
			if (ok) s += $NF
		}
		END { print s + 0 }' "$PROM"
}

case_export_promtool()
{
	local out
	[[ -s $PROM ]] || fail "export wrote no reapwatch.prom"
	command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus)"
	out=$(promtool check metrics <"$PROM" 2>&1) || {
		detail "$out"
		fail "promtool check metrics refuses reapwatch.prom: $(sed -n 1p <<<"$out")"
	}
}

# What export counted agrees with the scenarios: at least what they did, and in a VM, where
# nothing else runs, exactly what trace saw.
case_export_counts()
{
	local host='container_id=""' version got want
	[[ -s $PROM ]] || fail "export wrote no reapwatch.prom"
	version=$(cat "$REPO/VERSION")
	eq "reapwatch_build_info{version=\"$version\"}" 1 \
		"$(prom_sum reapwatch_build_info "version=\"$version\"")"
	got=$(prom_sum reapwatch_pidns_teardowns_total "$host")
	[[ $got -ge 2 ]] || fail "reapwatch_pidns_teardowns_total on the host: $got, the scenarios tore down 2 namespaces"
	got=$(prom_sum reapwatch_teardown_sigkilled_total "$host" 'sigterm_first="false"')
	[[ $got -ge 2 ]] || fail "teardown_sigkilled_total{sigterm_first=\"false\"}: $got, expected at least 2"
	got=$(prom_sum reapwatch_teardown_sigkilled_total "$host" 'sigterm_first="true"')
	[[ $got -ge 1 ]] || fail "teardown_sigkilled_total{sigterm_first=\"true\"}: $got, expected at least 1"
	[[ -e $OUT/vm ]] || return 0
	need_trace
	want=$(jq -s 'map(select(.type == "teardown")) | length' "$EVENTS")
	eq "reapwatch_pidns_teardowns_total (the VM's teardown events)" "$want" \
		"$(prom_sum reapwatch_pidns_teardowns_total "$host")"
	want=$(jq -s 'map(select(.type == "teardown") | .sigkilled_without_sigterm) | add // 0' "$EVENTS")
	eq "teardown_sigkilled_total{sigterm_first=\"false\"} (the VM's teardown events)" "$want" \
		"$(prom_sum reapwatch_teardown_sigkilled_total "$host" 'sigterm_first="false"')"
	want=$(jq -s 'map(select(.type == "teardown") | .sigkilled - .sigkilled_without_sigterm) | add // 0' "$EVENTS")
	eq "teardown_sigkilled_total{sigterm_first=\"true\"} (the VM's teardown events)" "$want" \
		"$(prom_sum reapwatch_teardown_sigkilled_total "$host" 'sigterm_first="true"')"
}

[[ -f $OUT/kernel ]] || {
	echo "check.sh: $OUT holds no collector results" >&2
	exit 2
}
run_case agent_trace_loads case_agent_trace
run_case agent_export_loads case_agent_export
run_case agent_features case_agent_features
run_case agent_percpu_memory case_agent_percpu_memory
run_case exit_code case_exit_code
run_case exit_signal case_exit_signal
run_case signal_user case_signal_user
run_case signal_shell_kill9 case_signal_shell_kill9
run_case teardown_signals case_teardown_signals
run_case teardown_event case_teardown_event
run_case teardown_members case_teardown_members
run_case reap_reaper case_reap_reaper
run_case reap_latency case_reap_latency
run_case reap_waits case_reap_waits
run_case reparent_subreaper case_reparent_subreaper
run_case reparent_pidns_init case_reparent_pidns_init
run_case zombies_list case_zombies_list
run_case zombies_age case_zombies_age
run_case export_promtool case_export_promtool
run_case export_counts case_export_counts
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
