#!/usr/bin/env bash
# Fault injection (issue 14): with the test knob REAPWATCH_TEST_MAP_ENTRIES=8 every kernel-side
# hash map holds 8 entries, the ring buffer one page, and every walk stops after 8 steps. Real
# processes then fill each one — zombies nobody reaps, orphans, a wait() over many children,
# termination signals into pid namespaces, namespaces torn down at once — and the agents must
# keep running, count every drop by its reason in `export`'s reapwatch_kernel_drops_total,
# and say the loss in-band in `trace --json` ({"type":"lost",...}) and on stderr while it
# happens. And: the teardown maps' entries whose free the kernel skipped are swept.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

EXPORT_READY='reapwatch: exporting'
MANY=20 # more than the 8 entries of any map, and than the 8 steps of any walk
HOLD=8	# seconds the orphans and zombies stay (what the case starts itself is killed at its end)

# MANY zombies under a parent that never waits: MANY exited processes in `procs` at once.
hold_zombies()
{
	bash -c "for i in \$(seq $MANY); do sleep 0.3 & done; exec sleep $HOLD" &
	track_pid $!
}

# Fathers that die leaving children: one with MANY (its children walk is cut), and three with
# six each (each walk is whole: 18 predictions for the `orphans` map of 8).
make_orphans()
{
	bash -c "for i in \$(seq $MANY); do sleep $HOLD & done"
	for _ in 1 2 3; do
		bash -c "for i in 1 2 3 4 5 6; do sleep $HOLD & done"
	done
}

# A shell that wait()s for MANY children: each wait walks them, cut at 8.
wait_for_many()
{
	bash -c "for i in \$(seq $MANY); do sleep 0.5 & done; wait" &
	track_pid $!
}

# MANY processes in one pid namespace, each sent a SIGTERM (ignored, inherited SIG_IGN):
# MANY entries for `termed`.
term_many_members()
{
	local unshare_pid init
	unshare -pf bash -c "trap '' TERM; for i in \$(seq $MANY); do sleep 60 & done; wait" 2>/dev/null &
	unshare_pid=$!
	track_pid "$unshare_pid"
	init=$(wait_children "$unshare_pid" 1)
	wait_children "$init" "$MANY" sleep | xargs kill -TERM
}

# MANY pid namespaces, a SIGTERM into each: MANY entries for `ns_first_sigterm`.
term_many_namespaces()
{
	local i unshare_pid
	for ((i = 0; i < MANY; i++)); do
		unshare -pf sleep 60 2>/dev/null &
		unshare_pid=$!
		track_pid "$unshare_pid"
		kill -TERM "$(wait_children "$unshare_pid" 1)"
	done
}

# MANY teardowns under way at once: each namespace keeps a member whose parent, outside it
# (nsenter), is stopped and cannot reap it; the init is SIGKILLed, the kernel's teardown
# waits for that member's pid. Sets NSENTERS, to be continued later.
hold_teardowns()
{
	local i unshare_pid init nsenter_pid
	NSENTERS=()
	for ((i = 0; i < MANY; i++)); do
		unshare -pf sleep 60 2>/dev/null &
		unshare_pid=$!
		track_pid "$unshare_pid"
		init=$(wait_children "$unshare_pid" 1)
		nsenter -t "$init" -p sleep 60 2>/dev/null &
		nsenter_pid=$!
		track_pid "$nsenter_pid"
		disown "$nsenter_pid" # (no "Killed" notice from this shell when it ends)
		wait_children "$nsenter_pid" 1 >/dev/null
		kill -STOP "$nsenter_pid"
		kill -KILL "$init"
		NSENTERS+=("$nsenter_pid")
	done
}

# Ten signals the kernel side counts per (cgroup, signal): more keys than `signal_stats` holds.
many_signals()
{
	local sig pid
	for sig in HUP INT QUIT USR1 USR2 ALRM TERM PIPE VTALRM PROF; do
		sleep 5 &
		pid=$!
		wait_comm "$pid" sleep
		kill "-$sig" "$pid"
		wait "$pid" || true
	done
}

# wait_children PID N [COMM]: the pids of PID's children (named COMM) once it has N of them,
# at most 10 s.
wait_children()
{
	local deadline=$((SECONDS + 10)) kids
	while :; do
		kids=$(pgrep -P "$1" ${3:+-x "$3"} || true)
		[[ $(grep -c . <<<"$kids") -lt $2 ]] || break
		[[ $SECONDS -lt $deadline ]] || fail "process $1 has not $2 children after 10 s"
		sleep 0.02
	done
	echo "$kids"
}

# wait_gone PID: until PID has been reaped, at most 10 s.
wait_gone()
{
	local deadline=$((SECONDS + 10))
	while [[ -n $(proc_state "$1") ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "process $1 still there after 10 s"
		sleep 0.02
	done
}

# Reasons each workload above makes the kernel side count. Not here: pending_full (an exiting
# thread's children beyond pending_kids' ring), free_missed (a free the kernel skips now and
# then) and recursion: none can be made to happen on purpose; present, with a value.
DROPS_EXPECTED="procs_full orphans_full orphan_walk_cut wait_walk_cut termed_full \
first_sigterm_full teardowns_full task_walk_cut stats_full"
DROPS_PRESENT="pending_full free_missed recursion"

case_pressure()
{
	local dir=$CASE_DIR/textfile prom=$CASE_DIR/textfile/reapwatch.prom started
	local reason v lines total sum
	mkdir -p "$dir"
	export REAPWATCH_TEST_MAP_ENTRIES=8
	start_agent --name trace trace --json -e all
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1
	started=$SECONDS

	hold_zombies
	make_orphans
	wait_for_many
	term_many_members
	term_many_namespaces
	many_signals
	hold_teardowns
	sleep 2
	# The teardowns end: each stopped parent reaps its member, the namespace empties.
	kill -CONT "${NSENTERS[@]}"
	sleep 2

	running "${AGENT_PID[trace]}" || fail "trace died under pressure"
	running "${AGENT_PID[export]}" || fail "export died under pressure"
	# Said while it happens, at most once a second: not only in the closing line.
	grep -Eq '^reapwatch: lost [0-9]+ events \(ring buffer full\)$' "$CASE_DIR/trace.err" ||
		fail "trace said nothing on stderr about the ring buffer's loss while it ran"
	lines=$(grep -Ec '^reapwatch: lost [0-9]+ events' "$CASE_DIR/trace.err")
	[[ $lines -le $((SECONDS - started + 2)) ]] ||
		fail "trace said the ring buffer's loss $lines times in $((SECONDS - started)) s"

	stop_named_agent export TERM
	stop_named_agent trace

	for reason in $DROPS_EXPECTED; do
		v=$(prom_value "$prom" "reapwatch_kernel_drops_total{reason=\"$reason\"}")
		[[ $v != absent && $v -gt 0 ]] || {
			detail "$(grep kernel_drops "$prom")"
			fail "export: reapwatch_kernel_drops_total{reason=\"$reason\"} is $v, not > 0"
		}
	done
	for reason in $DROPS_PRESENT; do
		v=$(prom_value "$prom" "reapwatch_kernel_drops_total{reason=\"$reason\"}")
		[[ $v != absent ]] || fail "export: no reapwatch_kernel_drops_total{reason=\"$reason\"}"
	done
	if command -v promtool >/dev/null; then
		promtool check metrics <"$prom" >"$CASE_DIR/promtool.out" 2>&1 || {
			detail "$(cat "$CASE_DIR/promtool.out")"
			fail "promtool check metrics rejects reapwatch.prom"
		}
	fi

	# In-band: every reason trace can see (it keeps no per-cgroup counts: no stats_full),
	# and the ring buffer's loss; each reason's counts add up to its last total.
	for reason in ring_buffer_full ${DROPS_EXPECTED/stats_full/}; do
		total=$(jq -rs --arg r "$reason" \
			'map(select(.type == "lost" and .reason == $r)) | .[-1].total // 0' "$EVENTS")
		sum=$(jq -rs --arg r "$reason" \
			'map(select(.type == "lost" and .reason == $r) | .count) | add // 0' "$EVENTS")
		[[ $total -gt 0 ]] || fail "trace --json: no {\"type\":\"lost\",\"reason\":\"$reason\"} record"
		assert_eq "trace --json: $reason: the counts add up to the last total" "$total" "$sum"
	done
	grep -Eq '^reapwatch: lost [0-9]+: .*\(termed_full\)$' "$CASE_DIR/trace.err" ||
		fail "trace said nothing on stderr about termed_full"
}

# map_id PID NAME: the id of agent PID's map NAME (bpftool cuts names at 15 bytes).
map_id()
{
	local id
	id=$(agent_bpf_ids "$1" map | awk -v n="$2" '$1 == n { print $2 }')
	[[ -n $id ]] || fail "agent $1 has no map $2"
	echo "$id"
}

# map_entries ID JQ: how many entries of map ID pass the jq filter JQ over bpftool's
# formatted value.
map_entries()
{
	bpftool map dump id "$1" -j | jq "map(.formatted.value | select($2)) | length"
}

# The kernel skips our free program now and then (REAPWATCH_TEST_MISS_FREES=1 makes it
# skip the processes named rw_nofree*): what `termed` and `ns_first_sigterm` hold for them
# would stay until the memory of their key happens to be reused. The agent sweeps such
# entries once their process (for a namespace's first SIGTERM, its init) is gone on two
# looks a second apart.
case_swept()
{
	local unshare_pid init members nsenter_pid member stale ours n nsfd termed first
	export REAPWATCH_TEST_MISS_FREES=1
	cp /bin/sleep "$CASE_DIR/rw_nofree_sleep"
	start_agent trace --json -e teardown
	# (Looked up now: the looks below must come within the second a sweep waits.)
	termed=$(map_id "${AGENT_PID[agent]}" termed)
	first=$(map_id "${AGENT_PID[agent]}" ns_first_sigter)

	# MANY members sent a SIGTERM each, then killed: their frees are not seen. (A new
	# process whose signal_struct takes a dead one's memory deletes its entry at its own
	# free, and on a busy host that is soon: how many stay for the sweep varies, maybe none.)
	unshare -pf bash -c "trap '' TERM; for i in \$(seq $MANY); do $CASE_DIR/rw_nofree_sleep 60 & done; wait" 2>/dev/null &
	unshare_pid=$!
	track_pid "$unshare_pid"
	init=$(wait_children "$unshare_pid" 1)
	members=$(wait_children "$init" "$MANY" rw_nofree_sleep)
	xargs kill -TERM <<<"$members"
	sleep 0.2
	xargs kill -KILL <<<"$members"
	ours=".pid as \$p | [$(paste -sd, <<<"$members")] | index(\$p) != null"

	# A SIGTERM into a namespace whose init is gone already (a member whose parent, outside,
	# is stopped keeps the namespace): no init's exit will ever read or delete it. (The
	# open file keeps the namespace's memory from a new namespace, whose init's exit would.)
	unshare -pf sleep 60 2>/dev/null &
	unshare_pid=$!
	track_pid "$unshare_pid"
	init=$(wait_children "$unshare_pid" 1)
	exec {nsfd}<"/proc/$init/ns/pid"
	nsenter -t "$init" -p sleep 60 2>/dev/null &
	nsenter_pid=$!
	track_pid "$nsenter_pid"
	disown "$nsenter_pid"
	member=$(wait_children "$nsenter_pid" 1 sleep)
	kill -STOP "$nsenter_pid"
	# Stopped before the member dies: one still in wait() would scan its children first
	# (do_wait()) and reap the killed member before it stops.
	until [[ $(proc_state "$nsenter_pid") == T ]]; do
		[[ -n $(proc_state "$nsenter_pid") ]] || fail "nsenter $nsenter_pid is gone"
		sleep 0.01
	done
	kill -KILL "$init"
	sleep 0.2
	kill -TERM "$member"
	kill -CONT "$nsenter_pid"
	wait_gone "$init"

	stale=$(map_entries "$termed" "$ours")
	n=$(map_entries "$first" ".init_pid == $init")
	detail "before the sweep: $stale termed entries of the $MANY killed members," \
		"$n ns_first_sigterm entries for the dead init $init"
	assert_eq "ns_first_sigterm entries for the dead init $init before the sweep" 1 "$n"
	# Sweeps every 5 s, candidates confirmed a second later.
	sleep 9
	assert_eq "termed entries of the killed members after the sweep" 0 \
		"$(map_entries "$termed" "$ours")"
	assert_eq "ns_first_sigterm entries for the dead init $init after the sweep" 0 \
		"$(map_entries "$first" ".init_pid == $init")"
	stop_agent
}

# The procs table (bpf/procs.bpf.h) has a slot for every pid the kernel may hand out, so that
# no two live states want the same first slot: kernel.pid_max, read when the agent starts,
# rounded up to a power of two (1024 at least, RW_PROC_SLOTS, 65536, at most; the rounding's
# own cases are unit tests: tests/unit/test_procs_slots.c). Against this host's pid_max,
# which a test should not change under the rest of the host.
case_procs_follow_pid_max()
{
	local pid_max want=1024 got
	pid_max=$(cat /proc/sys/kernel/pid_max)
	while ((want < pid_max && want < 65536)); do want=$((want * 2)); done
	start_agent trace --json -e reap
	got=$(bpftool map show id "$(map_id "${AGENT_PID[agent]}" procs)" -j | jq .max_entries)
	stop_agent
	detail "pid_max $pid_max: procs has $got slots"
	assert_eq "procs slots with kernel.pid_max $pid_max" "$want" "$got"
}

run_case pressure_every_drop_counted case_pressure
run_case procs_follow_pid_max case_procs_follow_pid_max
run_case teardown_maps_swept case_swept
finish
