#!/usr/bin/env bash
# `reapwatch zombies`: the zombies present now, under the parent that does not reap them,
# with an exact age when an agent was running when they died, and null when nobody knows.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

HOST_PIDNS=$(pidns_of $$)
PIN_ROOT_DIR=/sys/fs/bpf/reapwatch
# the documented keys plus who orphaned an adopted zombie (null when it was not adopted)
ZOMBIE_KEYS='["adopted_from_comm","adopted_from_pid","age_seconds","comm","container_id","ns_pid","parent_comm","parent_is_subreaper","pid","pidns","ppid"]'

# Start the zombies scenario in the background; sets PARENT, CHILDREN, SCEN_OUT.
start_zombie_parent()
{
	start_scenario zombies
	PARENT=$SCEN_PID
	CHILDREN=("$(kv child1)" "$(kv child2)" "$(kv child3)")
	focus "$PARENT" "${CHILDREN[@]}"
}

# zombies_cli ARGS...: run `reapwatch zombies ARGS...`; its stdout is in $ZOMBIES_OUT.
zombies_cli()
{
	local rc=0
	ZOMBIES_OUT=$CASE_DIR/zombies-cli.$RANDOM.out
	timeout -k 5 30 "$AGENT" zombies "$@" >"$ZOMBIES_OUT" 2>"$CASE_DIR/zombies-cli.err" ||
		rc=$?
	[[ $rc -eq 0 ]] || fail "reapwatch zombies $*: exit status $rc: $(head -n3 "$CASE_DIR/zombies-cli.err")"
}

# The zombie's JSON object; exactly the documented keys, and the facts the test knows.
check_zombie_object()
{
	local child=$1 obj
	obj=$(jq -c "select(.pid == $child)" "$ZOMBIES_OUT")
	[[ $(grep -c . <<<"$obj" || true) -eq 1 ]] || {
		detail "zombies --json output:" "$(cat "$ZOMBIES_OUT")"
		fail "zombies --json: expected one object for zombie $child, got: $obj"
	}
	assert_fields "$obj" "zombies --json: zombie $child" \
		'keys' "$ZOMBIE_KEYS" .comm '"zmb_child"' .ppid "$PARENT" \
		.parent_comm '"zmb_parent"' .container_id '""' .pidns "$HOST_PIDNS" .ns_pid "$child" \
		.parent_is_subreaper false .adopted_from_pid null .adopted_from_comm null
	ZOMBIE_OBJ=$obj
}

# check_exact_ages WHY: run `zombies --json`; each of CHILDREN has its exact age, between
# (the run's start - all were zombies) and (its end - before any exited), +-2 ms.
check_exact_ages()
{
	local why=$1 child before after lo hi
	before=$(now_us)
	zombies_cli --json
	after=$(now_us)
	lo=$(((before - $(kv zombies_by_us)) / 1000))
	hi=$(((after - $(kv exited_after_us)) / 1000))
	detail "age must be within [$lo, $hi] ms (+-2 ms)"
	for child in "${CHILDREN[@]}"; do
		check_zombie_object "$child"
		assert_true "zombies --json: age of $child within [$lo, $hi] ms, $why" "$ZOMBIE_OBJ" \
			"(.age_seconds | type) == \"number\" and .age_seconds * 1000 >= $lo - 2 and .age_seconds * 1000 <= $hi + 2"
	done
}

# Zombies that died while an agent ran: their age is exact.
case_exact_age()
{
	local child
	start_agent trace --json -e exit
	start_zombie_parent
	sleep 1.2
	check_exact_ages "its agent running"
	check_json_lines "$ZOMBIES_OUT"
	zombies_cli --json --min-age 3600
	for child in "${CHILDREN[@]}"; do
		if grep -qw "\"pid\":$child" "$ZOMBIES_OUT"; then
			fail "zombies --min-age 3600 lists the zombie $child, which is about a second old"
		fi
	done
	# Text output: the parent and each of its zombies.
	zombies_cli
	assert_contains "zombies (text): the parent" "$ZOMBIES_OUT" "$PARENT"
	for child in "${CHILDREN[@]}"; do
		grep -qw -- "$child" "$ZOMBIES_OUT" || {
			detail "$(cat "$ZOMBIES_OUT")"
			fail "zombies (text): zombie $child not listed"
		}
	done
	kill -TERM "$PARENT"
	stop_agent
}

# Zombies that died while an agent ran that has ended since (a short `trace`): their age is
# still exact (docs: "died while a reapwatch agent (any command) was running"), from what the
# agent left in /run/reapwatch as it stopped.
case_age_after_agent_ends()
{
	if other_agent_running; then
		skip "another reapwatch runs on this host: its pin would give the ages"
	fi
	start_agent trace --json -e exit
	start_zombie_parent
	sleep 0.5
	stop_agent
	sleep 0.5
	check_exact_ages "its agent gone"
	kill -TERM "$PARENT"
}

# killed_agent_ages THEN: zombies that died while an agent ran that was SIGKILLed since (an
# OOM-killed DaemonSet pod): it left its pin and no ages file, and the next reader (THEN
# "zombies": `reapwatch zombies` itself; "agent": an agent started meanwhile, whose start
# removes the pin) reads the ages the pin holds before removing it. Both gave "unknown".
killed_agent_ages()
{
	local then=$1
	if other_agent_running; then
		skip "another reapwatch runs on this host: its pin would give the ages"
	fi
	start_agent trace --json -e exit
	start_zombie_parent
	sleep 0.5
	kill -KILL "${AGENT_PID[agent]}"
	wait "${AGENT_PID[agent]}" 2>/dev/null || true
	if [[ $then == agent ]]; then
		start_agent --name second trace --json -e exit
		stop_named_agent second
	fi
	check_exact_ages "its agent SIGKILLed"
	if compgen -G "$PIN_ROOT_DIR/*" >/dev/null; then
		fail "the SIGKILLed agent's pin is still there: $(ls "$PIN_ROOT_DIR")"
	fi
	kill -TERM "$PARENT"
}

case_age_after_agent_killed()
{
	killed_agent_ages zombies
}

case_age_after_agent_killed_then_agent()
{
	killed_agent_ages agent
}

# The verdict ("PID 1 ... is not reaping") is for zombies at least a second old. One of unknown
# age (no agent ran) is no older than its process: zombies that started a moment ago under a
# namespace's PID 1 that never waits get no verdict (they got one at once), and get it once
# they have lived a second.
case_verdict_needs_a_second()
{
	local init kids=() start_s now_s waited=0 p
	if other_agent_running; then
		skip "another reapwatch runs on this host: the ages would be known"
	fi
	# sh forks two short sleeps, then becomes `sleep 30`, the namespace's PID 1, which never waits.
	unshare -fp --kill-child sh -c 'sleep 0.01 & sleep 0.01 & exec sleep 30' &
	track_pid $!
	while [[ ${#kids[@]} -lt 2 && $waited -lt 500 ]]; do
		sleep 0.02
		waited=$((waited + 1))
		init=$(pgrep -P $! -x sleep | head -n1) || continue
		mapfile -t kids < <(for p in $(pgrep -P "$init"); do
			[[ $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) == Z ]] && echo "$p"
		done)
	done
	[[ ${#kids[@]} -eq 2 ]] || fail "the namespace's PID 1 ($init) did not get two zombies"
	focus "$init" "${kids[@]}"
	zombies_cli
	# (how long the zombies' processes had lived when zombies ran: /proc's starttime, in ticks)
	start_s=$(awk -v hz="$(getconf CLK_TCK)" '{print $22 / hz}' "/proc/${kids[0]}/stat")
	now_s=$(awk '{print $1}' /proc/uptime)
	detail "zombies ran $(awk -v a="$now_s" -v b="$start_s" 'BEGIN{print a - b}') s after the zombies' start"
	if awk -v a="$now_s" -v b="$start_s" 'BEGIN{exit !(a - b < 0.9)}'; then
		if grep -q '^verdict:' "$ZOMBIES_OUT"; then
			detail "$(cat "$ZOMBIES_OUT")"
			fail "zombies: a verdict for zombies under a second old"
		fi
	else
		detail "NOTE: the machine was too slow to look within 0.9 s; the first check was not made"
	fi
	sleep 1.2
	zombies_cli
	# (no runtime made the namespace: no container id, it is named by its inode)
	assert_contains "zombies (text): the verdict once the zombies are a second old" \
		"$ZOMBIES_OUT" "verdict: PID 1 of pid namespace $(pidns_of "$init") (sleep, host pid $init) is not reaping 2 zombies"
	kill -KILL "$init" 2>/dev/null || true
}

# `zombies` run in a pid namespace of its own (a debug container without hostPID, `unshare
# -pf --mount-proc`), while an agent on the host traces: /proc there numbers the zombies as the
# namespace does, and their ages are found by namespace and ns_pid (they were all unknown).
case_age_from_another_pidns()
{
	local out child pid
	command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
	start_agent trace --json -e exit
	out=$CASE_DIR/ns-zombies.json
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout -k 5 30 unshare -pf --mount-proc bash -c '
		"$0" >"$1.scenario" & sleep 1.2
		"$2" zombies --json >"$1"; rc=$?
		kill %1; wait; exit $rc' "$SCENARIOS/zombies" "$out" "$AGENT" 2>"$CASE_DIR/ns-zombies.err" ||
		fail "zombies in a new pid namespace failed: $(head -n3 "$CASE_DIR/ns-zombies.err")"
	stop_agent
	check_json_lines "$out"
	detail "zombies --json in the namespace:" "$(cat "$out")"
	for child in $(sed -n 's/^child[0-9]=//p' "$out.scenario"); do
		# (the scenario prints its fork()s: the namespace's pids)
		pid=$(jq -c "select(.ns_pid == $child and .comm == \"zmb_child\") | .pid" "$out")
		[[ $pid == "$child" ]] || fail "zombies --json in the namespace: no zombie $child"
		assert_true "zombies --json in the namespace: zombie $child has an age" \
			"$(jq -c "select(.pid == $child)" "$out")" \
			'(.age_seconds | type) == "number" and .age_seconds > 0.5 and .age_seconds < 30'
	done
	[[ $(grep -c . "$out") -eq 3 ]] || fail "zombies --json in the namespace: expected 3 zombies"
}

# Zombies that died while no agent ran: nobody knows their age.
case_unknown_age()
{
	local child
	if other_agent_running; then
		skip "another reapwatch runs on this host; it may know the zombies' age"
	fi
	start_zombie_parent
	zombies_cli --json
	check_json_lines "$ZOMBIES_OUT"
	for child in "${CHILDREN[@]}"; do
		check_zombie_object "$child"
		assert_fields "$ZOMBIE_OBJ" "zombies --json: zombie $child (died with no agent running)" \
			.age_seconds null
	done
}

# Run by a user who may not look into root's processes (uid 65534, no capabilities): /proc
# does not give their pid namespace, and `zombies` says unknown (null in JSON), never 0. The
# subreaper question (a BPF iterator, which needs CAP_BPF) fails quietly.
case_unreadable_pidns()
{
	local child obj header
	local unprivileged=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
		--bounding-set=-all "$CASE_DIR/reapwatch" zombies)
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	# A copy that uid 65534 can reach, wherever the repository was cloned.
	install -m 755 "$AGENT" "$CASE_DIR/reapwatch"
	start_zombie_parent
	"${unprivileged[@]}" --json >"$CASE_DIR/json.out" 2>"$CASE_DIR/json.err" ||
		fail "zombies --json as uid 65534 failed: $(head -n 3 "$CASE_DIR/json.err")"
	"${unprivileged[@]}" >"$CASE_DIR/text.out" 2>"$CASE_DIR/text.err" ||
		fail "zombies as uid 65534 failed: $(head -n 3 "$CASE_DIR/text.err")"
	detail "zombies as uid 65534:" "$(cat "$CASE_DIR/text.out")"
	check_json_lines "$CASE_DIR/json.out"
	for child in "${CHILDREN[@]}"; do
		obj=$(jq -c "select(.pid == $child)" "$CASE_DIR/json.out")
		[[ -n $obj ]] || fail "zombies --json as uid 65534: no object for zombie $child"
		assert_fields "$obj" "zombies --json as uid 65534: zombie $child" \
			'keys' "$ZOMBIE_KEYS" .ppid "$PARENT" .parent_comm '"zmb_parent"' \
			.pidns null .ns_pid "$child"
	done
	header=$(grep "^parent $PARENT " "$CASE_DIR/text.out" || true)
	assert_eq "zombies as uid 65534: the parent's line" \
		"parent $PARENT (zmb_parent) container - pidns unknown ns_pid $PARENT: 3 zombies, oldest unknown" \
		"$header"
	assert_eq "zombies --json as uid 65534: stderr" "" "$(cat "$CASE_DIR/json.err")"
	assert_eq "zombies as uid 65534: stderr" "" "$(cat "$CASE_DIR/text.err")"
}

# pinned_dir_of PID: the directory under /sys/fs/bpf/reapwatch whose procs pin is the map
# that process PID holds open; empty if none is.
pinned_dir_of()
{
	local id d
	id=$(agent_bpf_ids "$1" map | awk '$1 == "procs" { print $2 }')
	[[ -n $id ]] || return 0
	for d in /sys/fs/bpf/reapwatch/*/; do
		if [[ $(bpftool map show pinned "${d}procs" -j 2>/dev/null | jq .id) == "$id" ]]; then
			echo "${d%/}"
			return 0
		fi
	done
}

# start_pidns_agent NAME: `reapwatch trace` as pid 1 of a new pid namespace (as in a debug
# container without hostPID); sets NS_AGENT[NAME] to its host pid once it traces.
start_pidns_agent()
{
	local name=$1 u
	unshare -pf --mount-proc --kill-child "$AGENT" trace >"$CASE_DIR/$name.out" \
		2>"$CASE_DIR/$name.err" &
	u=$!
	track_pid "$u"
	wait_printed "unshare -pf reapwatch trace ($name)" "$u" "$CASE_DIR/$name.err" "$AGENT_READY"
	NS_AGENT[$name]=$(children_of "$u")
	assert_eq "$name: the agent's pid in its own namespace" 1 "$(ns_pid_of "${NS_AGENT[$name]}")"
}

# A host agent (pid N) and two agents that are pid 1 of their own pid namespaces share
# /sys/fs/bpf/reapwatch: each keeps its own directory (N-1, 1-1 and 1-2), and none takes another's
# for stale, though none can see the others' pids. An agent killed with SIGKILL leaves its
# directory; the next reapwatch run (here `zombies`) removes it and only it.
case_pins_across_pidns()
{
	local host_dir dir_a dir_b
	local -A NS_AGENT=()
	command -v bpftool >/dev/null || skip "bpftool is not installed"
	command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
	start_agent trace --json
	host_dir=$(pinned_dir_of "${AGENT_PID[agent]}")
	assert_eq "the host agent's pin directory" "/sys/fs/bpf/reapwatch/${AGENT_PID[agent]}-1" "$host_dir"
	start_pidns_agent ns_a
	start_pidns_agent ns_b
	dir_a=$(pinned_dir_of "${NS_AGENT[ns_a]}")
	dir_b=$(pinned_dir_of "${NS_AGENT[ns_b]}")
	[[ ${dir_a##*/} =~ ^1-[0-9]+$ && ${dir_b##*/} =~ ^1-[0-9]+$ ]] ||
		fail "pin directories of the pid-1 agents: '$dir_a' and '$dir_b', expected 1-N"
	[[ $dir_a != "$dir_b" ]] || fail "two agents with pid 1 share the pin directory $dir_a"
	assert_eq "the host agent's pin directory, after two agents started in other pid namespaces" \
		"$host_dir" "$(pinned_dir_of "${AGENT_PID[agent]}")"
	timeout -k 5 30 unshare -pf --mount-proc "$AGENT" zombies >/dev/null 2>"$CASE_DIR/ns-zombies.err" ||
		fail "zombies in a new pid namespace failed: $(head -n3 "$CASE_DIR/ns-zombies.err")"
	assert_eq "the pin directories of the three live agents, after zombies in another pid namespace" \
		"$host_dir $dir_a $dir_b" "$(pinned_dir_of "${AGENT_PID[agent]}") $(pinned_dir_of "${NS_AGENT[ns_a]}") $(pinned_dir_of "${NS_AGENT[ns_b]}")"

	kill -KILL "${NS_AGENT[ns_a]}"
	while running "${NS_AGENT[ns_a]}"; do sleep 0.05; done
	[[ -e $dir_a/procs ]] || fail "$dir_a/procs went with SIGKILL; the test cannot tell who removed it"
	zombies_cli
	[[ ! -e $dir_a ]] || fail "$dir_a of the SIGKILLed agent is still there after zombies ran"
	assert_eq "the pin directories of the two live agents, after zombies removed the dead one's" \
		"$host_dir $dir_b" "$(pinned_dir_of "${AGENT_PID[agent]}") $(pinned_dir_of "${NS_AGENT[ns_b]}")"
	kill -INT "${NS_AGENT[ns_b]}"
	while running "${NS_AGENT[ns_b]}"; do sleep 0.05; done
	[[ ! -e $dir_b ]] || fail "$dir_b is still there after its agent exited on SIGINT"
	stop_agent
	[[ ! -e $host_dir ]] || fail "$host_dir is still there after its agent exited on SIGINT"
}

# Directories named by a bare pid are from agents before the locks: judged as those judged
# each other, by that pid in our namespace. One whose pid runs a reapwatch (comm starting
# "reapwatch", as reapwatch-static's "reapwatch-stati") is kept; one whose pid is gone is
# removed by the next run.
case_pins_legacy_dirs()
{
	local dead live root=/sys/fs/bpf/reapwatch
	command -v bpftool >/dev/null || skip "bpftool is not installed"
	[[ -d $root ]] || mkdir -m 700 "$root"
	/bin/true &
	dead=$!
	wait "$dead"
	cp /bin/sleep "$CASE_DIR/reapwatch-stati"
	"$CASE_DIR/reapwatch-stati" 1000 &
	live=$!
	track_pid "$live"
	wait_comm "$live" reapwatch-stati
	[[ ! -e $root/$dead && ! -e $root/$live ]] || skip "$root/$dead or $root/$live exists already"
	at_case_exit rm -rf "$root/$dead" "$root/$live"
	mkdir "$root/$dead" "$root/$live"
	bpftool map create "$root/$dead/procs" type hash key 8 value 8 entries 1 name procs
	bpftool map create "$root/$live/procs" type hash key 8 value 8 entries 1 name procs
	zombies_cli
	[[ ! -e $root/$dead ]] || fail "$root/$dead (pid $dead is gone) is still there after zombies ran"
	[[ -e $root/$live/procs ]] || fail "$root/$live of a running reapwatch-stati was removed"
}

# live_leader_ready SCEN: waits (20 s at most) for the live_leader scenario SCEN to be ready
# and its leader to have left (/proc says 'Z'); sets pid and zombie (the caller's locals).
live_leader_ready()
{
	local deadline=$((SECONDS + 20))
	until grep -q '^ready=1$' "$SCEN_OUT"; do
		# (not `running`: its leader shows 'Z' once it has printed ready=1)
		[[ -d /proc/$1 ]] || fail "scenario live_leader exited early"
		[[ $SECONDS -lt $deadline ]] || fail "scenario live_leader not ready within 20 s"
		sleep 0.05
	done
	pid=$(kv pid)
	zombie=$(kv zombie)
	until [[ $(proc_state "$pid") == Z ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "the leader of $pid did not leave"
		sleep 0.05
	done
}

# A process whose leader called pthread_exit() while a thread runs on: /proc says 'Z' for
# it (the kernel's own answer, with Threads: 2), but it is alive and cannot be reaped, so it
# is no zombie; its real zombie child is (issue 12).
case_live_leader()
{
	local scen pid zombie
	SCEN_OUT=$CASE_DIR/live_leader.out
	"$SCENARIOS/live_leader" >"$SCEN_OUT" 2>"$CASE_DIR/live_leader.err" &
	scen=$!
	track_pid "$scen"
	live_leader_ready "$scen"
	focus "$pid" "$zombie"
	assert_eq "threads of $pid (its leader 'Z')" 2 "$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")"
	zombies_cli --json
	check_json_lines "$ZOMBIES_OUT"
	assert_eq "zombies --json objects for the live process $pid" 0 \
		"$(jq -c "select(.pid == $pid)" "$ZOMBIES_OUT" | grep -c . || true)"
	assert_eq "zombies --json objects for its zombie child $zombie" 1 \
		"$(jq -c "select(.pid == $zombie and .ppid == $pid and .comm == \"ll_zombie\")" "$ZOMBIES_OUT" | grep -c . || true)"
	kill -KILL "$pid"
}

# The same process in a cgroup that looks like a container's, seen by `export` and `top`,
# started 3 s after them: the container has one zombie (the child), whose age is known and
# under those 3 s; a live process taken for a zombie would count 2, with an unknown age
# reported as the agents' uptime (over 3 s, and climbing).
case_live_leader_export_top()
{
	local id dir scen pid zombie t0 pane row oldest
	command -v tmux >/dev/null || skip "tmux not installed"
	fake_container_cgroup
	id=$FAKE_CTR_ID
	dir=$CASE_DIR/prom
	mkdir -p "$dir"
	start_agent --name export --ready 'reapwatch: exporting' export --textfile-dir "$dir" -i 1
	at_case_exit tmux -L "reapwatch-test-$$" kill-server
	tmux -L "reapwatch-test-$$" new-session -d -s top -x 80 -y 24 "$AGENT top -i 0.5; sleep 30"
	sleep 3
	SCEN_OUT=$CASE_DIR/live_leader.out
	t0=$SECONDS
	bash -c "$IN_CGROUP" "$FAKE_CTR_CG" "$SCENARIOS/live_leader" >"$SCEN_OUT" \
		2>"$CASE_DIR/live_leader.err" &
	scen=$!
	track_pid "$scen"
	live_leader_ready "$scen"
	sleep 2.5 # two export intervals, five of top's
	# export: what it wrote last
	assert_eq "reapwatch_zombies of the container" 1 \
		"$(awk -v id="container_id=\"$id\"" '$1 ~ /^reapwatch_zombies\{/ && index($1, id) { print $2 }' \
			"$dir/reapwatch.prom")"
	oldest=$(awk -v id="container_id=\"$id\"" \
		'$1 ~ /^reapwatch_zombie_oldest_seconds\{/ && index($1, id) { print $2 }' "$dir/reapwatch.prom")
	detail "reapwatch_zombie_oldest_seconds: $oldest (the zombie is at most $((SECONDS - t0)) s old)"
	awk -v v="$oldest" -v max=$((SECONDS - t0)) 'BEGIN { exit !(v != "" && v + 0 <= max) }' ||
		fail "reapwatch_zombie_oldest_seconds of the container is '$oldest', over $((SECONDS - t0)) s"
	# top: the container's row (its id's first 12 characters), ZOMB 1
	pane=$(tmux -L "reapwatch-test-$$" capture-pane -p -t top)
	row=$(grep "^${id:0:12} " <<<"$pane" || true)
	[[ -n $row ]] || { detail "pane:" "$pane"; fail "top shows no row for container ${id:0:12}"; }
	assert_eq "top's ZOMB for the container" 1 "$(awk '{ print $3 }' <<<"$row")"
	# (died while top ran: its age is exact, not a bound)
	[[ $(awk '{ print $4 }' <<<"$row") != ">"* ]] ||
		{ detail "row: $row"; fail "top gives the zombie's known age as a lower bound"; }
	kill -KILL "$pid"
	stop_named_agent export
}

# `zombies` in a cgroup namespace of its own (a DaemonSet that is not privileged: containerd
# and CRI-O give its container one), rooted at a sibling of the container's cgroup: /proc then
# shows the zombie's cgroup as "/../reapwatch-test-PID/docker-ID.scope", with no directory of
# that name under /sys/fs/cgroup. The zombie still belongs to its container.
case_container_from_cgroup_namespace()
{
	local root agent_cg seen parent child rc=0
	fake_container_cgroup
	root=$(cgroup2_mount)
	agent_cg=$root/reapwatch-test-$$-agent
	mkdir "$agent_cg" || skip "cannot create a cgroup under $root"
	at_case_exit rmdir_retry "$agent_cg"
	SCEN_OUT=$CASE_DIR/zombies.out
	bash -c "$IN_CGROUP" "$FAKE_CTR_CG" "$SCENARIOS/zombies" >"$SCEN_OUT" 2>"$CASE_DIR/zombies.err" &
	parent=$!
	track_pid "$parent"
	wait_scenario_ready "scenario zombies" "$parent" 20 "$CASE_DIR/zombies.err"
	child=$(kv child1)
	focus "$parent" "$child"
	ZOMBIES_OUT=$CASE_DIR/zombies-cgroupns.out
	# shellcheck disable=SC2016 # for the inner bash
	timeout -k 5 30 bash -c 'echo $$ >"$0/cgroup.procs" && exec unshare --cgroup "$@"' \
		"$agent_cg" "$AGENT" zombies --json >"$ZOMBIES_OUT" 2>"$CASE_DIR/zombies-cli.err" || rc=$?
	[[ $rc -eq 0 ]] || fail "reapwatch zombies --json in a cgroup namespace: exit status $rc: $(head -n3 "$CASE_DIR/zombies-cli.err")"
	# shellcheck disable=SC2016 # for the inner bash
	seen=$(timeout 5 bash -c 'echo $$ >"$0/cgroup.procs" && exec unshare --cgroup cat "/proc/$1/cgroup"' \
		"$agent_cg" "$child" | grep '^0::')
	detail "/proc/$child/cgroup from that namespace: $seen"
	[[ $seen == "0::/../reapwatch-test-$$/docker-$FAKE_CTR_ID.scope" ]] ||
		fail "test bug: the zombie's cgroup from the namespace is '$seen', not a path above its root"
	assert_eq "container_id of zombie $child, seen from a cgroup namespace" "\"$FAKE_CTR_ID\"" \
		"$(jq -c "select(.pid == $child) | .container_id" "$ZOMBIES_OUT")"
}

# A zombie older than every agent (made before top starts): top's OLDEST is a lower bound,
# the agent's uptime, and says so with '>' (a plain age would be off by as much as the zombie
# is older than the agent).
case_top_oldest_bound()
{
	local parent row pane oldest i
	command -v tmux >/dev/null || skip "tmux not installed"
	if other_agent_running; then
		skip "another reapwatch runs on this host; it may know the zombie's age"
	fi
	fake_container_cgroup
	bash -c "$IN_CGROUP" "$FAKE_CTR_CG" sh -c 'sleep 0.1 & exec sleep 60' &
	parent=$!
	track_pid "$parent"
	sleep 2 # its child a zombie for 1.9 s
	at_case_exit tmux -L "reapwatch-test-$$" kill-server
	tmux -L "reapwatch-test-$$" new-session -d -s top -x 80 -y 24 "$AGENT top -i 0.5; sleep 30"
	for i in $(seq 1 100); do
		pane=$(tmux -L "reapwatch-test-$$" capture-pane -p -t top)
		row=$(grep "^${FAKE_CTR_ID:0:12} " <<<"$pane" || true)
		[[ -z $row ]] || break
		sleep 0.1
	done
	[[ -n $row ]] || { detail "pane:" "$pane"; fail "top shows no row for container ${FAKE_CTR_ID:0:12}"; }
	detail "row: $row"
	assert_eq "top's ZOMB for the container" 1 "$(awk '{ print $3 }' <<<"$row")"
	oldest=$(awk '{ print $4 }' <<<"$row")
	[[ $oldest =~ ^\>[0-9]+\.[0-9]s$ ]] ||
		fail "top's OLDEST for a zombie older than the agent is '$oldest', not '>N.Ns' (a lower bound)"
	kill -KILL "$parent"
}

# wait_late_zombie: SIGUSR1 the zombies scenario's parent for one more zombie, of a known age
# if an agent runs; its pid in LATE once it is a zombie.
wait_late_zombie()
{
	local i
	kill -USR1 "$PARENT"
	for i in $(seq 1 100); do
		grep -q '^late=' "$SCEN_OUT" && break
		sleep 0.05
	done
	LATE=$(kv late)
}

# A parent with zombies of unknown age (made before any agent) and one of a known age: its
# line's oldest is the known age as a lower bound ('>'), since one of the others may be older.
case_oldest_bound_mixed()
{
	local header
	if other_agent_running; then
		skip "another reapwatch runs on this host; it may know the zombies' ages"
	fi
	start_zombie_parent
	start_agent trace --json -e exit
	wait_late_zombie
	focus "$PARENT" "${CHILDREN[@]}" "$LATE"
	sleep 0.2
	zombies_cli
	stop_agent
	detail "zombies:" "$(cat "$ZOMBIES_OUT")"
	header=$(grep "^parent $PARENT " "$ZOMBIES_OUT" || true)
	[[ $header =~ \ 4\ zombies,\ oldest\ \>[0-9]+\.[0-9]s$ ]] ||
		fail "the parent's line with 3 zombies of unknown age and 1 of known age: '$header', not '... 4 zombies, oldest >N.Ns'"
	grep -Eq "^  $LATE +$LATE +zmb_late +- +[0-9]+\.[0-9]s " "$ZOMBIES_OUT" ||
		fail "no row with a known age for the late zombie $LATE"
}

# export --log-events logs each zombie once it is old enough (REAPWATCH_TEST_ZOMBIE_LOG_SECONDS
# for the minute): one of a known age by its age, one of unknown age (it died before any
# agent) once export has run that long, with a null age.
case_log_events_zombies()
{
	local dir z
	if other_agent_running; then
		skip "another reapwatch runs on this host; it may know the zombies' ages"
	fi
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	start_zombie_parent
	REAPWATCH_TEST_ZOMBIE_LOG_SECONDS=2 start_agent --name export --ready 'reapwatch: exporting' \
		export --textfile-dir "$dir" -i 0.5 --log-events
	wait_late_zombie
	focus "$PARENT" "${CHILDREN[@]}" "$LATE"
	sleep 3.5
	stop_named_agent export TERM
	EVENTS=$CASE_DIR/export.out
	check_json_lines "$EVENTS"
	for z in "${CHILDREN[@]}"; do
		z=$(expect_one "zombie $z (of unknown age) on stdout" ".type == \"zombie\" and .pid == $z")
		assert_fields "$z" "zombie line" .ppid "$PARENT" .age_seconds null
	done
	z=$(expect_one "zombie $LATE (of known age) on stdout" ".type == \"zombie\" and .pid == $LATE")
	assert_true "the late zombie's age is at least the 2 s it waited" "$z" '.age_seconds >= 2'
}

# Kubernetes names, from the kubelet's log layout (made here in directories of the case's,
# through REAPWATCH_KUBELET_LOG_DIR and REAPWATCH_KUBELET_PODS_DIR): a container with a log
# link (<pod>_<namespace>_<container>-<id>.log) has pod, namespace and container; one without
# a link (a pod's sandbox, or a link still to come) in a pod's cgroup (.../pod<uid>/<id>, the
# cgroupfs driver's layout) has its pod's names from the pod's log directory
# (<namespace>_<pod>_<uid>) and no container; a zombie on the host none. In `zombies --json`
# (keys as in trace's events), its text (after the parent's container id, and a last column)
# and export's --log-events lines; `zombies --container` takes the names as trace's does.
# Without the names an SRE had a container id to look up by hand for each zombie.
case_kubernetes_names()
{
	local root uid id2 uid3 id3 pod_cgs logs pods p1 p2 p3 p4 z1 z2 z3 z4 obj text want_keys i
	fake_container_cgroup
	root=$(cgroup2_mount)
	uid=$(cat /proc/sys/kernel/random/uuid)
	id2=$(new_container_id)
	uid3=$(cat /proc/sys/kernel/random/uuid)
	id3=$(new_container_id)
	pod_cgs=$root/reapwatch-test-$$/kubepods
	mkdir -p "$pod_cgs/burstable/pod$uid/$id2"
	at_case_exit rmdir "$pod_cgs/burstable/pod$uid/$id2" "$pod_cgs/burstable/pod$uid" \
		"$pod_cgs/burstable" "$pod_cgs"
	logs=$CASE_DIR/containers
	pods=$CASE_DIR/pods
	mkdir -p "$logs" "$pods/team-b_db-1_$uid"
	ln -s "/var/log/pods/team-a_web-0_x/nginx/0.log" "$logs/web-0_team-a_nginx-$FAKE_CTR_ID.log"
	# (a link for another container, and one whose names are not Kubernetes names)
	ln -s /dev/null "$logs/other_team-a_nginx-$(new_container_id).log"
	ln -s /dev/null "$logs/Web\"0_team-a_nginx-$id2.log"
	# shellcheck disable=SC2016 # for the inner sh
	bash -c "$IN_CGROUP" "$FAKE_CTR_CG" sh -c 'sleep 0.05 & exec sleep 60' &
	p1=$!
	# shellcheck disable=SC2016 # for the inner sh
	bash -c "$IN_CGROUP" "$pod_cgs/burstable/pod$uid/$id2" sh -c 'sleep 0.05 & exec sleep 60' &
	p2=$!
	sh -c 'sleep 0.05 & exec sleep 60' &
	p3=$!
	# (a parent in another pod's container without a link, whose child moved itself to the
	# root cgroup before it exited: the parent's names come by its own cgroup's pod uid)
	mkdir -p "$pod_cgs/burstable/pod$uid3/$id3" "$pods/team-c_api-2_$uid3"
	at_case_exit rmdir "$pod_cgs/burstable/pod$uid3/$id3" "$pod_cgs/burstable/pod$uid3"
	# shellcheck disable=SC2016 # for the inner sh
	bash -c "$IN_CGROUP" "$pod_cgs/burstable/pod$uid3/$id3" sh -c \
		'sh -c "echo \$\$ >$0/cgroup.procs" & exec sleep 60' "$root" &
	p4=$!
	track_pid "$p1"
	track_pid "$p2"
	track_pid "$p3"
	track_pid "$p4"
	for i in $(seq 100); do
		z1=$(children_of "$p1")
		z2=$(children_of "$p2")
		z3=$(children_of "$p3")
		z4=$(children_of "$p4")
		[[ $(proc_state "$z1") == Z && $(proc_state "$z2") == Z &&
			$(proc_state "$z3") == Z && $(proc_state "$z4") == Z ]] && break
		sleep 0.1
	done
	focus "$p1" "$z1" "$p2" "$z2" "$p3" "$z3" "$p4" "$z4"
	[[ $z1 =~ ^[0-9]+$ && $z2 =~ ^[0-9]+$ && $z3 =~ ^[0-9]+$ && $z4 =~ ^[0-9]+$ ]] ||
		fail "test bug: expected a zombie child of each of $p1 $p2 $p3 $p4, got '$z1' '$z2' '$z3' '$z4'"
	export REAPWATCH_KUBELET_LOG_DIR=$logs REAPWATCH_KUBELET_PODS_DIR=$pods

	zombies_cli --json
	want_keys=$(jq -c '. + ["container", "namespace", "pod"] | sort' <<<"$ZOMBIE_KEYS")
	obj=$(jq -c "select(.pid == $z1)" "$ZOMBIES_OUT")
	assert_fields "$obj" "zombie $z1 (a container with a log link)" keys "$want_keys" \
		.container_id "\"$FAKE_CTR_ID\"" .pod '"web-0"' .namespace '"team-a"' \
		.container '"nginx"'
	obj=$(jq -c "select(.pid == $z2)" "$ZOMBIES_OUT")
	assert_fields "$obj" "zombie $z2 (in a pod's cgroup, no log link)" \
		keys "$(jq -c '. + ["namespace", "pod"] | sort' <<<"$ZOMBIE_KEYS")" \
		.container_id "\"$id2\"" .pod '"db-1"' .namespace '"team-b"'
	obj=$(jq -c "select(.pid == $z3)" "$ZOMBIES_OUT")
	assert_fields "$obj" "zombie $z3 (on the host)" keys "$ZOMBIE_KEYS" .container_id '""'
	obj=$(jq -c "select(.pid == $z4)" "$ZOMBIES_OUT")
	assert_fields "$obj" "zombie $z4 (in the root cgroup, its parent in a pod)" \
		keys "$ZOMBIE_KEYS" .container_id '""' .ppid "$p4"

	zombies_cli
	text=$(cat "$ZOMBIES_OUT")
	assert_contains "zombies: the group line of $p1" "$ZOMBIES_OUT" \
		"parent $p1 (sleep) container ${FAKE_CTR_ID:0:12} (team-a/web-0/nginx) pidns"
	assert_contains "zombies: the group line of $p2" "$ZOMBIES_OUT" \
		"parent $p2 (sleep) container ${id2:0:12} (team-b/db-1) pidns"
	assert_contains "zombies: the group line of $p3" "$ZOMBIES_OUT" "parent $p3 (sleep) container - pidns"
	assert_contains "zombies: the group line of $p4" "$ZOMBIES_OUT" \
		"parent $p4 (sleep) container ${id3:0:12} (team-c/api-2) pidns"
	assert_contains "zombies: the header" "$ZOMBIES_OUT" \
		"  PID      NS_PID   COMM             CONTAINER    AGE       ADOPTED_FROM              NAMESPACE/POD/CONTAINER"
	grep -qE "^  $z1 +$z1 +sleep +${FAKE_CTR_ID:0:12} +[^ ]+ +- +team-a/web-0/nginx\$" <<<"$text" ||
		fail "zombies: no row for $z1 ending in team-a/web-0/nginx: $(grep "^  $z1 " <<<"$text")"
	grep -qE "^  $z2 +$z2 +sleep +${id2:0:12} +[^ ]+ +- +team-b/db-1\$" <<<"$text" ||
		fail "zombies: no row for $z2 ending in team-b/db-1: $(grep "^  $z2 " <<<"$text")"
	grep -qE "^  $z3 +$z3 +sleep +- +[^ ]+ +- +-\$" <<<"$text" ||
		fail "zombies: no row for $z3 ending in '-': $(grep "^  $z3 " <<<"$text")"

	# --container: a pod's name, a container's, a prefix of an id; nothing else
	zombies_cli --json --container web-0
	assert_eq "pids of zombies --container web-0" "$z1" "$(jq -r .pid "$ZOMBIES_OUT" | xargs)"
	zombies_cli --json --container nginx
	assert_eq "pids of zombies --container nginx" "$z1" "$(jq -r .pid "$ZOMBIES_OUT" | xargs)"
	zombies_cli --json --container db-1
	assert_eq "pids of zombies --container db-1" "$z2" "$(jq -r .pid "$ZOMBIES_OUT" | xargs)"
	zombies_cli --json --container "${id2:0:10}"
	assert_eq "pids of zombies --container ${id2:0:10}" "$z2" "$(jq -r .pid "$ZOMBIES_OUT" | xargs)"
	zombies_cli --container team-a
	assert_eq "zombies --container team-a (a namespace is not a container's name)" \
		"no zombies" "$(cat "$ZOMBIES_OUT")"

	# export --log-events: the zombie lines have them too (zombies of unknown age: logged
	# once the agent has run the knob's 2 s)
	mkdir "$CASE_DIR/textfile"
	REAPWATCH_TEST_ZOMBIE_LOG_SECONDS=2 start_agent --name export --ready 'reapwatch: exporting' \
		export --textfile-dir "$CASE_DIR/textfile" -i 0.5 --log-events
	sleep 3.5
	stop_named_agent export TERM
	export -n REAPWATCH_KUBELET_LOG_DIR REAPWATCH_KUBELET_PODS_DIR
	EVENTS=$CASE_DIR/export.out
	check_json_lines "$EVENTS"
	obj=$(expect_one "zombie $z1 on export's stdout" ".type == \"zombie\" and .pid == $z1")
	assert_fields "$obj" "export's zombie line for $z1" .pod '"web-0"' .namespace '"team-a"' \
		.container '"nginx"'
	obj=$(expect_one "zombie $z3 on export's stdout" ".type == \"zombie\" and .pid == $z3")
	assert_fields "$obj" "export's zombie line for $z3 (on the host)" .pod null .namespace null
}

run_case zombies_exact_age case_exact_age
run_case zombies_age_after_agent_killed case_age_after_agent_killed
run_case zombies_age_after_agent_killed_then_agent case_age_after_agent_killed_then_agent
run_case zombies_unknown_age case_unknown_age
run_case zombies_age_after_agent_ends case_age_after_agent_ends
run_case zombies_verdict_needs_a_second case_verdict_needs_a_second
run_case zombies_age_from_another_pidns case_age_from_another_pidns
run_case zombies_unreadable_pidns case_unreadable_pidns
run_case zombies_pins_across_pidns case_pins_across_pidns
run_case zombies_pins_legacy_dirs case_pins_legacy_dirs
run_case zombies_live_leader_is_no_zombie case_live_leader
run_case zombies_live_leader_export_top case_live_leader_export_top
run_case zombies_container_from_cgroup_namespace case_container_from_cgroup_namespace
run_case zombies_top_oldest_bound case_top_oldest_bound
run_case zombies_oldest_bound_mixed case_oldest_bound_mixed
run_case zombies_log_events case_log_events_zombies
run_case zombies_kubernetes_names case_kubernetes_names
finish
