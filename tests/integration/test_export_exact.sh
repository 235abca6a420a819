#!/usr/bin/env bash
# `reapwatch export`, held to exact numbers: DIR/reapwatch.prom as node_exporter's textfile
# collector reads it (promtool-clean at every write, replaced atomically, a last write at
# SIGTERM/SIGINT, no temp file left), and per-container series whose values the test knows
# in advance because it made them happen: runc containers (busybox rootfs) whose processes
# fork, exit, orphan children, leave zombies, wait late, and are torn down by `runc kill`
# or by tini -g; plus bare cgroups named like containers (/<64 hex>), which is all the
# agent needs to call something a container, where runc's own processes would only add
# noise.
#
# What runc itself does inside a container's cgroup (runc 1.1 here): the bootstrap process
# runc:[0:PARENT] is moved into the cgroup before it clones runc:[1:CHILD] and that one the
# init runc:[2:INIT] (which execs the container's process), and [0] and [1] exit there. So
# a container's forks_total/exits_total start at a runtime-specific count before its own
# process runs. The runc cases therefore (1) take a baseline once the container is quiet
# (only its own processes left in its pids cgroup) and assert exact deltas for what the
# container then does, and (2) hold the absolute totals to what `trace` reported for the
# same container id.
#
# Containers here wait on FIFOs under /gate (`read x </gate/go1`): a blocking builtin that
# forks nothing, so nothing but the step under test happens between two snapshots. A
# "fresh" snapshot is a copy of the file taken after two rewrites, so that it was collected
# entirely after the step it is meant to show.
#
# Most cases share one exporter (and one trace) that run for the whole script, as one agent
# runs for many containers on a node; cases that need a fresh agent, another interval or
# their own directory start their own.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/runc.sh
source "$REPO/tests/lib/runc.sh"

EXPORT_READY='reapwatch: exporting to'
# The cgroup v2 mount (/sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on a pure v2 one).
CGROUP2=$(cgroup2_mount)
VERSION_WANT=$(cat "$REPO/VERSION" 2>/dev/null || echo 0.0.0)

# Every metric family of docs/reapwatch.md (and the two extras) with its type.
SPEC_TYPES='reapwatch_zombies gauge
reapwatch_zombie_oldest_seconds gauge
reapwatch_reap_latency_seconds histogram
reapwatch_exits_total counter
reapwatch_forks_total counter
reapwatch_reparents_total counter
reapwatch_signals_total counter
reapwatch_pidns_teardowns_total counter
reapwatch_teardown_sigkilled_total counter
reapwatch_pids_current gauge
reapwatch_pids_max gauge
reapwatch_events_lost_total counter
reapwatch_build_info gauge
reapwatch_kernel_counters_dropped_total counter
reapwatch_containers_over_limit gauge
reapwatch_reaps_unmeasured_total counter'

declare -A EXP_PREFIX=() EXP_DIR=()

# --- small helpers -------------------------------------------------------------------

# fcmp AWK_CONDITION: true if the (numeric) condition holds.
fcmp()
{
	awk "BEGIN { exit !($1) }"
}

now_s()
{
	date +%s.%N
}

# write_fifo FIFO: release a container step waiting in `read x <FIFO` (at most 10 s).
write_fifo()
{
	# shellcheck disable=SC2016 # for the inner bash
	timeout 10 bash -c 'echo go >"$1"' _ "$1" || fail "nothing read $1 within 10 s"
}

# wait_for DESC SECONDS COMMAND...: poll COMMAND every 50 ms until it succeeds.
wait_for()
{
	local desc=$1 deadline
	deadline=$(awk -v n="$(now_s)" -v s="$2" 'BEGIN { printf "%.3f", n + s }')
	shift 2
	until "$@"; do
		fcmp "$(now_s) < $deadline" || fail "$desc: not within the time allowed"
		sleep 0.05
	done
}

# --- the exporter ---------------------------------------------------------------------
#
# An exporter NAME keeps its files under a prefix P (the case's directory, or the shared
# one): P.out (stdout), P.err, P.args, P.pid (the agent's pid) and, once it exited, P.rc.
# A wrapper subshell waits for it and writes P.rc, so that a case can stop an exporter
# that the script (not the case) started, and still learn its exit status.

# launch_exporter NAME PREFIX DIR ARGS...: start `reapwatch export --textfile-dir DIR
# ARGS...` in the background (the environment passes through). The wrapper's pid in
# LAUNCHED_PID.
launch_exporter()
{
	local name=$1 prefix=$2 dir=$3
	shift 3
	EXP_PREFIX[$name]=$prefix
	EXP_DIR[$name]=$dir
	rm -f "$prefix.rc" "$prefix.pid"
	: >"$prefix.err"
	echo "export --textfile-dir $dir $*" >"$prefix.args"
	# (The wrapper's own stderr would only get bash's "Killed" notices.)
	(
		# SIGINT must reach the agent as at a terminal: a background job of a
		# non-interactive shell would start with it ignored.
		env --default-signal=INT "$AGENT" export --textfile-dir "$dir" "$@" \
			>"$prefix.out" 2>"$prefix.err" &
		echo $! >"$prefix.pid"
		rc=0
		wait $! || rc=$?
		echo "$rc" >"$prefix.rc"
	) 2>/dev/null &
	LAUNCHED_PID=$!
}

# wait_exporter NAME: until it said it is exporting and its first file is there.
wait_exporter()
{
	local name=$1 prefix=${EXP_PREFIX[$1]} dir=${EXP_DIR[$1]} deadline
	deadline=$((SECONDS + AGENT_READY_TIMEOUT))
	until grep -qF "$EXPORT_READY" "$prefix.err" && [[ -f $dir/$PROM ]]; do
		if [[ -e $prefix.rc ]]; then
			fail "reapwatch $(cat "$prefix.args") exited with status $(cat "$prefix.rc")" \
				"before exporting: $(head -n3 "$prefix.err" | tr '\n' ' ')"
		fi
		[[ $SECONDS -lt $deadline ]] ||
			fail "reapwatch $(cat "$prefix.args"): no '$EXPORT_READY' and $dir/$PROM" \
				"within $AGENT_READY_TIMEOUT s"
		sleep 0.05
	done
	[[ ! -e $prefix.rc ]] || fail "reapwatch $(cat "$prefix.args") exited: $(head -n3 "$prefix.err")"
}

# start_exporter NAME DIR ARGS...: an exporter of this case (killed when the case ends).
start_exporter()
{
	local name=$1
	[[ -x $AGENT ]] || fail "agent $AGENT is not built (make)"
	launch_exporter "$name" "$CASE_DIR/$name" "${@:2}"
	track_pid "$LAUNCHED_PID"
	wait_exporter "$name"
}

# stop_exporter NAME [SIGNAL [STATUS]]: SIGTERM (or SIGNAL) the exporter; it must exit with
# STATUS (default 0) and leave no temp file; with status 0 it must have written once more,
# and that last file is then in $SNAP (see snap).
stop_exporter()
{
	local name=$1 sig=${2:-TERM} want=${3:-0} prefix dir args before deadline rc left
	prefix=${EXP_PREFIX[$name]}
	dir=${EXP_DIR[$name]}
	args=$(cat "$prefix.args")
	before=$(file_id "$dir")
	[[ ! -e $prefix.rc ]] ||
		fail "reapwatch $args had already exited (status $(cat "$prefix.rc")): $(head -n3 "$prefix.err")"
	kill "-$sig" "$(cat "$prefix.pid")"
	deadline=$((SECONDS + AGENT_STOP_TIMEOUT))
	until [[ -s $prefix.rc ]]; do
		if [[ $SECONDS -ge $deadline ]]; then
			kill -KILL "$(cat "$prefix.pid")" 2>/dev/null || true
			fail "reapwatch $args did not exit within $AGENT_STOP_TIMEOUT s of SIG$sig"
		fi
		sleep 0.05
	done
	rc=$(cat "$prefix.rc")
	if [[ $rc != "$want" ]]; then
		detail "stderr:" "$(sed -n 1,10p "$prefix.err")"
		fail "reapwatch $args exited with status $rc after SIG$sig (expected $want)"
	fi
	left=$(find "$dir" -maxdepth 1 -name ".$PROM.*" -printf '%f ')
	[[ -z $left ]] || fail "reapwatch $args left temp files in $dir after SIG$sig: $left"
	[[ $want -eq 0 ]] || return 0
	[[ $(file_id "$dir") != "$before" ]] ||
		fail "reapwatch $args did not rewrite $dir/$PROM at SIG$sig"
	snap "$dir"
}

# Labels of container ID, with optional extra labels: clab ID [KEY VALUE]...
clab()
{
	local id=$1
	shift
	jq -cn --arg id "$id" '$ARGS.positional as $p
		| reduce range(0; $p | length; 2) as $i ({container_id: $id}; .[$p[$i]] = $p[$i + 1])' \
		--args "$@"
}

# expect_val DESC WANT NAME LABELS_JSON [JSONL]
expect_val()
{
	local desc=$1 want=$2 got
	got=$(val "$3" "$4" "${5:-$SNAP}")
	if [[ $got != "$want" ]] && ! { [[ $got != absent && $want != absent ]] &&
		fcmp "$got == $want"; }; then
		detail "$(basename "${5:-$SNAP}" .jsonl).prom, samples of $3:" \
			"$(jq -c --arg n "$3" 'select(.n == $n)' "${5:-$SNAP}" | sed -n 1,12p)"
		fail "$desc: $3$4 expected $want, got $got"
	fi
}

# expect_delta DESC WANT NAME LABELS_JSON BASE_JSONL: the value in $SNAP minus the one in BASE.
expect_delta()
{
	local desc=$1 want=$2 name=$3 labels=$4 base=$5 a b d
	a=$(val "$name" "$labels" "$base")
	b=$(val "$name" "$labels")
	[[ $a == absent ]] && a=0
	[[ $b == absent ]] && fail "$desc: $name$labels absent"
	d=$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')
	[[ $d == "$want" ]] || fail "$desc: $name$labels went from $a to $b (+$d), expected +$want"
}

# ids_in JSONL: the non-empty container_id values, one per line.
ids_in()
{
	jq -r 'select(.l.container_id != null and .l.container_id != "") | .l.container_id' \
		"${1:-$SNAP}" | sort -u
}

# --- containers --------------------------------------------------------------------------

# ctr_start ARGS_JSON [JQ_EDIT]: `runc run` a busybox container (default cgroup /<id>)
# whose /gate is a host directory holding FIFOs go1..go3 (and /gate/tini, a static tini);
# JQ_EDIT changes its config.json. Returns once the container created /gate/ready. Sets
# CID (NEXT_CID if set, else a new one), GATE, RUNC_PID, INIT and PIDS_DIR (its pids cgroup
# directory).
ctr_start()
{
	local args=$1 edit=${2:-.} bundle rootfs cg
	command -v runc >/dev/null || skip "runc is not installed"
	rootfs=$(test_rootfs) || fail "cannot build the busybox rootfs"
	CID=${NEXT_CID:-$(new_container_id)}
	NEXT_CID=
	bundle=$CASE_DIR/bundle-${CID:0:8}
	GATE=$CASE_DIR/gate-${CID:0:8}
	mkdir -p "$GATE"
	mkfifo "$GATE/go1" "$GATE/go2" "$GATE/go3"
	# A static tini for the cases that run it as the container's init.
	if [[ -x /usr/bin/tini-static ]]; then
		cp /usr/bin/tini-static "$GATE/tini"
	fi
	make_bundle "$bundle" "$rootfs" "$args" "" "$GATE"
	jq "$edit" "$bundle/config.json" >"$bundle/config.json.new"
	mv "$bundle/config.json.new" "$bundle/config.json"
	at_case_exit runc delete --force "$CID"
	runc run --bundle "$bundle" "$CID" >"$CASE_DIR/runc-${CID:0:8}.out" \
		2>"$CASE_DIR/runc-${CID:0:8}.err" &
	RUNC_PID=$!
	track_pid "$RUNC_PID"
	wait_for "container $CID creating /gate/ready" 30 _ctr_ready
	INIT=$(runc state "$CID" | jq -r .pid)
	[[ $INIT =~ ^[0-9]+$ ]] || fail "runc state $CID: no pid"
	cg=$(sed -n 's/^[0-9]*:pids://p' "/proc/$INIT/cgroup")
	if [[ -n $cg ]]; then
		PIDS_DIR=/sys/fs/cgroup/pids$cg
	else
		PIDS_DIR=$CGROUP2$(sed -n 's/^0:://p' "/proc/$INIT/cgroup")
	fi
	detail "container $CID: init $INIT, cgroups:" "$(sed 's/^/  /' "/proc/$INIT/cgroup")"
}

_ctr_ready()
{
	[[ -e $GATE/ready ]] && return 0
	running "$RUNC_PID" ||
		fail "runc run $CID exited early: $(head -n3 "$CASE_DIR/runc-${CID:0:8}.err")"
	return 1
}

# ctr_quiet N: wait until the container's pids cgroup holds exactly N tasks (runc's
# bootstrap processes gone), then a little longer: a reaped task is freed (and its reap
# counted) up to tens of ms later.
ctr_quiet()
{
	wait_for "pids.current of container $CID reaching $1" 10 _pids_is "$1"
	sleep 0.3
}

_pids_is()
{
	[[ $(cat "$PIDS_DIR/pids.current" 2>/dev/null) == "$1" ]]
}

# settled_snap DIR LABELS [UNREAPED]: fresh snapshots of DIR until every exit counted for
# LABELS but UNREAPED (zombies the case keeps, default 0) has its reap counted too, in the
# histogram or in reaps_unmeasured (15 s at most; the checks that follow fail if not). A
# reap is counted at the task's free, an RCU callback that can lag on a busy host; when the
# kernel did not run our program there (a few frees in a thousand), the agent's sweep counts
# it within 5 + 2 + 1 s. A baseline taken before a missed free of runc's bootstrap was
# counted made the next step's delta one too many.
settled_snap()
{
	local dir=$1 labels=$2 unreaped=${3:-0} deadline=$((SECONDS + 15)) t0=$SECONDS e r u
	while :; do
		fresh_snap "$dir"
		e=$(val reapwatch_exits_total "$labels")
		r=$(val reapwatch_reap_latency_seconds_count "$labels")
		u=$(val reapwatch_reaps_unmeasured_total "$labels")
		[[ $e == absent ]] && e=0
		[[ $r == absent ]] && r=0
		[[ $u == absent ]] && u=0
		((e == r + u + unreaped)) && break
		((SECONDS < deadline)) || {
			detail "not settled after 15 s: $e exits, $r reaps timed, $u unmeasured," \
				"$unreaped unreaped"
			return 0
		}
	done
	((SECONDS - t0 < 2)) || detail "settled after $((SECONDS - t0)) s ($e exits)"
}

# ctr_wait_exit: wait for `runc run` to return (the container is gone); its status in RUNC_RC.
ctr_wait_exit()
{
	RUNC_RC=0
	wait_child "$RUNC_PID" 20 || RUNC_RC=$?
}

# sh_args SCRIPT: the JSON args of `sh -c SCRIPT`.
sh_args()
{
	jq -cn --arg s "$1" '["sh", "-c", $s]'
}

# --- bare cgroups as containers ----------------------------------------------------------

# fake_ctr ID: a cgroup v2 directory /ID (ID: 64 hex digits, the way runc names one).
fake_ctr()
{
	[[ -n $CGROUP2 ]] || skip "no cgroup2 mount"
	mkdir "$CGROUP2/$1"
	at_case_exit rmdir_retry "$CGROUP2/$1"
}

# --- the shared agents -------------------------------------------------------------------
#
# Most cases watch their own container through one exporter that runs for the whole script
# (as on a node: one agent, many containers coming and going), writing every 0.2 s, with
# --log-events, a 3 s keep for gone containers and its own kubelet log directory; beside it
# a `trace --json -e fork,exit` whose counts the exporter's must match. The last shared
# case stops both.
SHARED=$TEST_TMP/shared
SHARED_DIR=$SHARED/textfile
KUBE_LOGS=$SHARED/kubelet-logs
KUBE_PODS=$SHARED/pods # (beside the links, as kubelet_log makes it)
GONE_KEEP=3

start_shared_agents()
{
	mkdir -p "$SHARED_DIR" "$KUBE_LOGS"
	[[ -x $AGENT ]] || return 0 # each case says so
	export REAPWATCH_GONE_KEEP_SECONDS=$GONE_KEEP REAPWATCH_KUBELET_LOG_DIR=$KUBE_LOGS \
		REAPWATCH_KUBELET_PODS_DIR=$KUBE_PODS
	launch_exporter shared "$SHARED/export" "$SHARED_DIR" -i 0.2 --log-events \
		--container-detail
	export -n REAPWATCH_GONE_KEEP_SECONDS REAPWATCH_KUBELET_LOG_DIR REAPWATCH_KUBELET_PODS_DIR
	at_script_exit _stop_shared "$SHARED/export" "$LAUNCHED_PID"
	(
		env --default-signal=INT "$AGENT" trace --json -e fork,exit \
			>"$SHARED/trace.out" 2>"$SHARED/trace.err" &
		echo $! >"$SHARED/trace.pid"
		rc=0
		wait $! || rc=$?
		echo "$rc" >"$SHARED/trace.rc"
	) 2>/dev/null &
	at_script_exit _stop_shared "$SHARED/trace" "$!"
}

# _stop_shared PREFIX WRAPPER: at the script's end, kill a shared agent still running and
# wait for its wrapper (before the directory it writes to is removed).
_stop_shared()
{
	local pid
	if [[ ! -e $1.rc ]] && pid=$(cat "$1.pid" 2>/dev/null); then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$2" 2>/dev/null || true
}

# use_shared: this case watches through the shared exporter (and trace); fails unless both
# run. Sets dir (the textfile directory) for the case.
use_shared()
{
	local deadline=$((SECONDS + AGENT_READY_TIMEOUT))
	[[ -x $AGENT ]] || fail "agent $AGENT is not built (make)"
	wait_exporter shared
	until grep -qF "$AGENT_READY" "$SHARED/trace.err"; do
		[[ ! -e $SHARED/trace.rc ]] ||
			fail "the shared trace exited: $(head -n3 "$SHARED/trace.err" | tr '\n' ' ')"
		[[ $SECONDS -lt $deadline ]] || fail "the shared trace did not start"
		sleep 0.05
	done
	dir=$SHARED_DIR
	# The first file a case saw: the shutdown case holds the last one to it.
	if [[ ! -e $SHARED/early.prom ]]; then
		cp "$dir/$PROM" "$SHARED/early.prom"
	fi
}

# trace_counts CID: "FORKS EXITS", the shared trace's events of container CID so far.
trace_counts()
{
	sleep 0.3 # trace flushes every 100 ms
	grep -F "\"$1\"" "$SHARED/trace.out" | jq -rs --arg id "$1" '
		map(select(.container_id == $id))
		| "\(map(select(.type == "fork")) | length) \(map(select(.type == "exit")) | length)"'
}

# =====================================================================================
# Cases
# =====================================================================================

# The file itself: every documented family with HELP and the right TYPE, the host's series (with
# every reaper_kind and both sigterm_first values), build_info, over_limit 0. With a 60 s
# interval nothing but the first write and the one at SIGTERM happen: that last write must
# hold what a cgroup did right before the signal (exits and forks are counted in the kernel
# at once; SIGCHLDs too).
# Last: a container that came and went between two writes (a Job, a crash-looping init
# container: anything shorter than the interval, 15 s by default) still has its own series
# afterwards, kept like any gone container's; its processes are not the host's. A second
# cgroup runs a bash with 3 children and is removed before the write at SIGTERM: 3 forks and
# 4 exits for that id. Both containers' series are in the first write already, zeros: their
# cgroups exist.
case_file_and_final_write()
{
	local dir=$CASE_DIR/textfile id short fam type line host
	mkdir "$dir"
	id=$(new_container_id)
	short=$(new_container_id)
	fake_ctr "$id"
	fake_ctr "$short"
	start_exporter export "$dir" --interval 60 --container-detail
	grep -qxF "reapwatch: exporting to $dir/$PROM every 60s" "$CASE_DIR/export.err" ||
		fail "ready line: expected 'reapwatch: exporting to $dir/$PROM every 60s', got" \
			"'$(head -n1 "$CASE_DIR/export.err")'"
	snap "$dir"
	while read -r fam type; do
		grep -qxF "# TYPE $fam $type" "$SNAP_PROM" ||
			fail "no '# TYPE $fam $type' line in the first file"
		grep -q "^# HELP $fam " "$SNAP_PROM" || fail "no '# HELP $fam' line in the first file"
	done <<<"$SPEC_TYPES"
	line=$(tail -n1 "$SNAP_PROM")
	assert_eq "last line of the file" "reapwatch_build_info{version=\"$VERSION_WANT\"} 1" "$line"
	expect_val "first file" 0 reapwatch_containers_over_limit '{}'
	expect_val "first file" 0 reapwatch_kernel_counters_dropped_total '{}'
	[[ $(val reapwatch_events_lost_total '{}') =~ ^[0-9]+$ ]] ||
		fail "first file: reapwatch_events_lost_total is $(val reapwatch_events_lost_total '{}')"
	host='{"container_id":"","pod":"","namespace":"","container":""}'
	for fam in reapwatch_zombies reapwatch_zombie_oldest_seconds reapwatch_exits_total \
		reapwatch_forks_total reapwatch_pidns_teardowns_total \
		reapwatch_reap_latency_seconds_count reapwatch_reap_latency_seconds_sum \
		reapwatch_reaps_unmeasured_total; do
		[[ $(val "$fam" "$host") != absent ]] || fail "first file: no host series $fam$host"
	done
	for kind in thread subreaper pidns_init host_init; do
		[[ $(val reapwatch_reparents_total "{\"container_id\":\"\",\"reaper_kind\":\"$kind\"}") \
			!= absent ]] || fail "first file: no host reparents_total{reaper_kind=\"$kind\"}"
	done
	for first in true false; do
		[[ $(val reapwatch_teardown_sigkilled_total \
			"{\"container_id\":\"\",\"sigterm_first\":\"$first\"}") != absent ]] ||
			fail "first file: no host teardown_sigkilled_total{sigterm_first=\"$first\"}"
	done
	[[ $(val reapwatch_pids_current '{"container_id":""}') == absent ]] ||
		fail "first file: the host has a pids_current series (it has no container pids cgroup)"
	[[ -z $(ids_in) ]] || detail "NOTE: containers already known: $(ids_in | tr '\n' ' ')"
	# A container that exists has its series from the first write, before it did anything.
	expect_val "first file (before the cgroup did anything)" 0 reapwatch_exits_total \
		"$(clab "$id")"
	expect_val "first file (before the cgroup did anything)" 0 reapwatch_forks_total \
		"$(clab "$short")"

	# 5 children of a bash inside the cgroup, then the bash itself: 5 forks, 6 exits, and a
	# SIGCHLD to the bash per child. SIGTERM right after.
	in_cgroup "$CGROUP2/$short" bash -c 'for i in 1 2 3; do /bin/true; done; exit 0'
	rmdir "$CGROUP2/$short"
	in_cgroup "$CGROUP2/$id" bash -c 'for i in 1 2 3 4 5; do /bin/true; done; exit 0'
	stop_exporter export TERM
	expect_val "last write (SIGTERM right after the work)" 6 reapwatch_exits_total "$(clab "$id")"
	expect_val "last write" 5 reapwatch_forks_total "$(clab "$id")"
	expect_val "last write" 5 reapwatch_signals_total \
		"$(clab "$id" signal SIGCHLD origin kernel)"
	expect_val "last write: no Kubernetes names for a bare cgroup" 6 reapwatch_exits_total \
		"$(clab "$id" pod "" namespace "" container "")"
	for kind in thread subreaper pidns_init host_init; do
		expect_val "last write" 0 reapwatch_reparents_total "$(clab "$id" reaper_kind "$kind")"
	done
	expect_val "last write" 0 reapwatch_teardown_sigkilled_total \
		"$(clab "$id" sigterm_first true)"
	expect_val "last write" 0 reapwatch_teardown_sigkilled_total \
		"$(clab "$id" sigterm_first false)"
	expect_val "a container gone before any write saw it" 4 reapwatch_exits_total \
		"$(clab "$short")"
	expect_val "a container gone before any write saw it" 3 reapwatch_forks_total \
		"$(clab "$short")"
}

# A reader polling the file while the shared agent rewrites it every 0.2 s (and a cgroup
# forks all the while) only ever sees whole files: each distinct content read passes promtool and
# ends with the build_info line. Between two successive versions no counter goes down.
case_atomic_reader()
{
	local dir reads=$CASE_DIR/reads id churn k=0 start id0 fid seen=0 sum f prev="" n=0 bad
	use_shared
	mkdir "$reads"
	id=$(new_container_id)
	fake_ctr "$id"
	# shellcheck disable=SC2016 # for the inner bash
	in_cgroup "$CGROUP2/$id" bash -c 'while :; do /bin/true; done' &
	churn=$!
	track_pid "$churn"
	# At least 3 s, and on until 6 rewrites were seen (a loaded machine writes less often).
	start=$(now_s)
	id0=$(file_id "$dir")
	while fcmp "$(now_s) < $start + 3" || { [[ $seen -lt 6 ]] && fcmp "$(now_s) < $start + 12"; }; do
		k=$((k + 1))
		cat "$dir/$PROM" >"$reads/$(printf %06d "$k")"
		fid=$(file_id "$dir")
		if [[ $fid != "$id0" ]]; then
			id0=$fid
			seen=$((seen + 1))
		fi
	done
	kill_tree "$churn"
	wait "$churn" 2>/dev/null || true
	snap "$dir"
	[[ $(stat -c %a "$dir/$PROM") == 644 ]] ||
		fail "$PROM has mode $(stat -c %a "$dir/$PROM"), expected 644 (node_exporter" \
			"may run as another user)"
	# Distinct versions, in the order they were read.
	for f in "$reads"/*; do
		sum=$(md5sum <"$f")
		[[ $sum == "$prev" ]] && continue
		prev=$sum
		n=$((n + 1))
		mv "$f" "$reads/v$(printf %04d "$n").prom"
	done
	detail "$k reads, $n distinct versions"
	[[ $n -ge 5 ]] || fail "only $n distinct versions of $PROM in $k reads over" \
		"$(awk "BEGIN { printf \"%.1f\", $(now_s) - $start }") s at -i 0.2"
	for f in "$reads"/v*.prom; do
		[[ $(tail -c1 "$f" | od -An -c | tr -d ' ') == '\n' ]] ||
			fail "a read of $PROM does not end with a newline: $(basename "$f")"
		[[ $(tail -n1 "$f") == "reapwatch_build_info{version=\"$VERSION_WANT\"} 1" ]] ||
			fail "a read of $PROM does not end with the build_info line: $(tail -n1 "$f" | cat -v)"
		prom_check "$f"
		jq -R -c "$PROM_JQ" "$f" >"${f%.prom}.jsonl"
	done
	prev=""
	for f in "$reads"/v*.jsonl "$SNAP"; do
		if [[ -n $prev ]]; then
			bad=$(counters_down "$prev" "$f")
			[[ -z $bad ]] || fail "a counter went down from $(basename "$prev") to" \
				"$(basename "$f"): $bad"
		fi
		prev=$f
	done
	# The cgroup's counts grew while it was read.
	[[ $(val reapwatch_forks_total "$(clab "$id")" "$reads/v0001.jsonl") == absent ||
		$(val reapwatch_forks_total "$(clab "$id")" "$reads/v0001.jsonl") -lt \
		$(val reapwatch_forks_total "$(clab "$id")") ]] ||
		fail "forks_total of the busy cgroup did not grow during the reads"
}

# counters_down A.jsonl B.jsonl: counter samples (…_total, histogram parts) present in both
# whose value is lower in B; empty if none.
counters_down()
{
	jq -rn --slurpfile a "$1" --slurpfile b "$2" '
		def key: .n + "{" + (.l | to_entries | sort_by(.key)
			| map("\(.key)=\(.value | tojson)") | join(",")) + "}";
		def counter: .n | test("_total$|_count$|_sum$|_bucket$");
		($a | map(select(counter) | {key: key, value: .v}) | from_entries) as $old
		| [$b[] | select(counter) | key as $k | select($old[$k] != null and .v < $old[$k])
		   | "\($k) \($old[$k]) -> \(.v)"] | .[0:3] | join("; ")'
}

# forks_total / exits_total of a runc container. The init waits on /gate/go1, runs 5
# short-lived children ( (exit 3) subshells, each a fork), waits on /gate/go2 and exits.
# Deltas are exact: +5 forks, +5 exits, +5 reaps, +5 SIGCHLDs to the init; then the init's
# own exit and reap. The absolute totals (runc's bootstrap included) equal what `trace`
# reported for the same container id. No pids limit: pids_current 1, no pids_max.
# shellcheck disable=SC2016 # the container's shell expands these
SCRIPT_CHILDREN='echo >/gate/ready
read x </gate/go1
i=0
while [ $i -lt 5 ]; do (exit 3); i=$((i + 1)); done
echo >/gate/done1
read x </gate/go2
exit 0'
case_runc_forks_exits()
{
	local dir base lab trace_exits trace_forks
	use_shared
	ctr_start "$(sh_args "$SCRIPT_CHILDREN")"
	lab=$(clab "$CID")
	ctr_quiet 1
	settled_snap "$dir" "$lab"
	base=$SNAP
	detail "before the container's own work (runc's bootstrap): forks $(val \
		reapwatch_forks_total "$lab"), exits $(val reapwatch_exits_total "$lab")"
	expect_val "quiet container (its sh alone)" 1 reapwatch_pids_current "$lab"
	[[ $(cat "$PIDS_DIR/pids.max") == max ]] || fail "test bug: $PIDS_DIR/pids.max is not max"
	expect_val "container without a pids limit" absent reapwatch_pids_max "$lab"
	[[ $(val reapwatch_exits_total "$lab") != absent ]] ||
		fail "no exits_total series for container $CID"

	write_fifo "$GATE/go1"
	wait_for "the container's 5 children" 10 test -e "$GATE/done1"
	ctr_quiet 1
	settled_snap "$dir" "$lab"
	expect_delta "5 children" 5 reapwatch_forks_total "$lab" "$base"
	expect_delta "5 children" 5 reapwatch_exits_total "$lab" "$base"
	expect_delta "5 children reaped" 5 reapwatch_reap_latency_seconds_count "$lab" "$base"
	expect_delta "5 children reaped" 5 reapwatch_reap_latency_seconds_bucket \
		"$(clab "$CID" le +Inf)" "$base"
	expect_delta "a SIGCHLD per child" 5 reapwatch_signals_total \
		"$(clab "$CID" signal SIGCHLD origin kernel)" "$base"
	expect_val "after the children" 1 reapwatch_pids_current "$lab"

	write_fifo "$GATE/go2"
	ctr_wait_exit
	assert_eq "runc run exit status" 0 "$RUNC_RC"
	settled_snap "$dir" "$lab"
	expect_delta "children and the init" 6 reapwatch_exits_total "$lab" "$base"
	expect_delta "children (the init was forked before)" 5 reapwatch_forks_total "$lab" "$base"
	expect_delta "children and the init reaped" 6 reapwatch_reap_latency_seconds_count \
		"$lab" "$base"
	expect_delta "every reap timed by a wait seen" 0 reapwatch_reaps_unmeasured_total "$lab" "$base"
	read -r trace_forks trace_exits < <(trace_counts "$CID")
	detail "trace: $trace_forks forks, $trace_exits exits in container $CID"
	expect_val "the exits trace saw in the container" "$trace_exits" reapwatch_exits_total "$lab"
	expect_val "the forks trace saw in the container" "$trace_forks" reapwatch_forks_total "$lab"
}

# pids_current / pids_max from the container's pids cgroup: limit 20 in config.json, an
# init with 2 background sleepers (3 tasks); the limit changed live is seen at the next write.
case_runc_pids()
{
	local dir lab
	use_shared
	ctr_start "$(sh_args 'sleep 1000 & sleep 1000 & echo >/gate/ready; read x </gate/go1; exit 0')" \
		'.linux.resources.pids = {limit: 20}'
	lab=$(clab "$CID")
	ctr_quiet 3
	fresh_snap "$dir"
	expect_val "init + 2 sleepers" 3 reapwatch_pids_current "$lab"
	expect_val "pids.current of $PIDS_DIR" "$(cat "$PIDS_DIR/pids.current")" \
		reapwatch_pids_current "$lab"
	expect_val "pids limit 20" 20 reapwatch_pids_max "$lab"
	echo 10 >"$PIDS_DIR/pids.max"
	fresh_snap "$dir"
	expect_val "pids limit changed to 10" 10 reapwatch_pids_max "$lab"
	write_fifo "$GATE/go1"
	ctr_wait_exit
}

# A limit on the pod's cgroup, none on the container's own (podPidsLimit: Kubernetes leaves the
# container's pids.max at "max"): the gauges are the pod cgroup's, the nearest limit up. There
# was no pids_max series, and ReapwatchPidsNearLimit could never fire.
case_runc_pids_pod_limit()
{
	local dir lab pod pod_dir
	use_shared
	pod=rwtest-pod-$RANDOM
	# (runc makes /$pod in every hierarchy; registered first, run last: after runc delete)
	# shellcheck disable=SC2016 # globbed when the case ends, by the inner shell
	at_case_exit bash -c 'for d in /sys/fs/cgroup/*/"$0" /sys/fs/cgroup/"$0"; do
		[ -d "$d" ] && rmdir "$d"; done; true' "$pod"
	NEXT_CID=$(new_container_id)
	ctr_start "$(sh_args 'sleep 1000 & echo >/gate/ready; read x </gate/go1; exit 0')" \
		".linux.cgroupsPath = \"/$pod/$NEXT_CID\""
	lab=$(clab "$CID")
	pod_dir=${PIDS_DIR%/*}
	[[ ${pod_dir##*/} == "$pod" ]] || fail "test bug: the container's pids cgroup $PIDS_DIR is not under /$pod"
	ctr_quiet 2
	[[ $(cat "$PIDS_DIR/pids.max") == max ]] || fail "test bug: $PIDS_DIR/pids.max is not max"
	echo 33 >"$pod_dir/pids.max"
	fresh_snap "$dir"
	expect_val "the pod cgroup's limit" 33 reapwatch_pids_max "$lab"
	expect_val "pids.current of the pod cgroup $pod_dir" "$(cat "$pod_dir/pids.current")" \
		reapwatch_pids_current "$lab"
	write_fifo "$GATE/go1"
	ctr_wait_exit
}

# A limit above the pod's cgroup only (the kubelet's allocatable pids on `kubepods`, no
# podPidsLimit): it is the node's, shared by every pod, and the gauges stop at the pod. The
# container has its own count and no pids_max (every pod of the node reported that limit as
# its own, and ReapwatchPidsNearLimit fired for each of them).
case_runc_pids_node_limit()
{
	local dir lab top pod_cg
	use_shared
	top=rwtest-kubepods-$RANDOM
	pod_cg=$top/pod$(cat /proc/sys/kernel/random/uuid)
	# shellcheck disable=SC2016 # globbed when the case ends, by the inner shell
	at_case_exit bash -c 'for d in /sys/fs/cgroup/*/"$0" /sys/fs/cgroup/"$0" \
		/sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do [ -d "$d" ] && rmdir "$d"; done; true' \
		"$pod_cg" "$top"
	NEXT_CID=$(new_container_id)
	ctr_start "$(sh_args 'sleep 1000 & echo >/gate/ready; read x </gate/go1; exit 0')" \
		".linux.cgroupsPath = \"/$pod_cg/$NEXT_CID\""
	lab=$(clab "$CID")
	[[ $PIDS_DIR == */$pod_cg/* ]] || fail "test bug: the container's pids cgroup $PIDS_DIR is not under /$pod_cg"
	ctr_quiet 2
	echo 33 >"${PIDS_DIR%/"$pod_cg"/*}/$top/pids.max"
	fresh_snap "$dir"
	expect_val "no limit of its own or its pod's" absent reapwatch_pids_max "$lab"
	expect_val "its own pids.current" "$(cat "$PIDS_DIR/pids.current")" reapwatch_pids_current "$lab"
	write_fifo "$GATE/go1"
	ctr_wait_exit
}

# A container started before the agent, in which nothing forks or exits while it runs (a
# service that only holds threads): its pids gauges are there from the first write. The
# exporter knew a container only once the kernel counted something in its cgroup, so a
# service leaking threads towards its limit after an agent restart had no series and the
# ReapwatchPidsNearLimit alert could not fire.
case_runc_idle_before_agent()
{
	local dir=$CASE_DIR/textfile lab
	ctr_start "$(sh_args 'sleep 1000 & sleep 1000 & echo >/gate/ready; read x </gate/go1; exit 0')" \
		'.linux.resources.pids = {limit: 20}'
	lab=$(clab "$CID")
	ctr_quiet 3
	mkdir -p "$dir"
	start_exporter idle "$dir" -i 0.2
	fresh_snap "$dir"
	expect_val "the idle container's pids" 3 reapwatch_pids_current "$lab"
	expect_val "its limit" 20 reapwatch_pids_max "$lab"
	expect_val "no exit counted in it" 0 reapwatch_exits_total "$lab"
	stop_exporter idle INT
	write_fifo "$GATE/go1"
	ctr_wait_exit
}

# More cgroups than the agent's cgroup cache holds (12 288: it starts over when full), as on a
# node with many systemd units: containers among them, started before the agent and idle,
# all have their series in the first file. The cache's start-over lost the ones it had
# learned in its walk before it, unless something in them forked or exited later.
case_many_cgroups_idle_containers()
{
	local dir=$CASE_DIR/textfile parent ids=() id i
	[[ -n $CGROUP2 ]] || skip "no cgroup2 mount"
	parent=$CGROUP2/rwtest-many-$RANDOM
	mkdir "$parent" "$parent/docker"
	at_case_exit bash -c 'find "$0" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null; rmdir "$0"' "$parent"
	for i in $(seq 13000); do echo "$parent/h$i"; done | xargs mkdir
	for i in 1 2 3 4 5 6; do
		id=$(new_container_id)
		ids+=("$id")
		mkdir "$parent/docker/$id"
	done
	mkdir -p "$dir"
	start_exporter many "$dir" -i 0.5
	fresh_snap "$dir"
	for id in "${ids[@]}"; do
		expect_val "idle container $id among 13 000 cgroups" 0 reapwatch_exits_total "$(clab "$id")"
	done
	stop_exporter many INT
}

# A container whose kubelet log link comes after its cgroup was first seen, and in which
# nothing forks or exits after: its series take the Kubernetes names within the cache's 5 s
# retry. They stayed empty: a container was asked its names only when a new cgroup of it was.
case_names_come_later()
{
	local dir id
	use_shared
	id=$(new_container_id)
	fake_ctr "$id"
	in_cgroup "$CGROUP2/$id" sleep 1000 &
	track_pid $!
	fresh_snap "$dir"
	expect_val "the container, no names yet" 0 reapwatch_zombies "$(clab "$id" pod "")"
	kubelet_log "$KUBE_LOGS" late-0 team-b app "$id"
	names_come "$id" late-0 team-b app
}

# names_come ID POD NS CTR: wait up to 12 s (the cache asks the kubelet's directory again 5 s
# after a miss) for container ID's series (in the caller's $dir) to carry these names.
names_come()
{
	local t0=$SECONDS got=absent
	while ((SECONDS - t0 < 12)); do
		fresh_snap "$dir"
		got=$(val reapwatch_zombies "$(clab "$1" pod "$2" namespace "$3" container "$4")")
		[[ $got == absent ]] || break
	done
	[[ $got == 0 ]] || fail "container $1's series took no names $3/$2/$4 within 12 s of its log link"
}

# A pod's sandbox ("pause") container never has a kubelet log link: its series take their pod
# and namespace names from the pod's log directory (<namespace>_<pod>_<uid>, the uid from its
# cgroup path), container "". So does an app container of the pod until its own link comes,
# then its series carry its container name (and the pod-only ones are gone).
case_pod_sandbox_names()
{
	local dir uid sid aid top pod_cg
	use_shared
	[[ -n $CGROUP2 ]] || skip "no cgroup2 mount"
	uid=$(cat /proc/sys/kernel/random/uuid)
	sid=$(new_container_id)
	aid=$(new_container_id)
	top=$CGROUP2/rwtest-kubepods-$$
	pod_cg=$top/burstable/pod$uid
	mkdir -p "$KUBE_PODS/team-c_web-7_$uid" "$pod_cg/$sid" "$pod_cg/$aid"
	at_case_exit rm -rf "$KUBE_PODS/team-c_web-7_$uid"
	at_case_exit rmdir "$pod_cg" "$top/burstable" "$top"
	at_case_exit rmdir_retry "$pod_cg/$sid"
	at_case_exit rmdir_retry "$pod_cg/$aid"
	bash -c "$IN_CGROUP" "$pod_cg/$sid" sleep 1000 &
	track_pid $!
	bash -c "$IN_CGROUP" "$pod_cg/$aid" sleep 1000 &
	track_pid $!
	fresh_snap "$dir"
	expect_val "the sandbox, named by its pod's log directory" 0 reapwatch_zombies \
		"$(clab "$sid" pod web-7 namespace team-c container "")"
	expect_val "the app container before its log link" 0 reapwatch_zombies \
		"$(clab "$aid" pod web-7 namespace team-c container "")"
	kubelet_log "$KUBE_LOGS" web-7 team-c app "$aid"
	names_come "$aid" web-7 team-c app
	expect_val "its pod-only series, gone" absent reapwatch_zombies \
		"$(clab "$aid" container "")"
	expect_val "the sandbox, still its pod's names" 0 reapwatch_zombies \
		"$(clab "$sid" pod web-7 namespace team-c container "")"
}

# sleepers_of PID N: wait until PID has N children running sleep; their pids, sorted.
sleepers_of()
{
	wait_for "$2 sleep children of $1" 10 _has_sleepers "$1" "$2"
	_sleepers "$1"
}

_sleepers()
{
	local c
	for c in $(children_of "$1"); do
		[[ $(cat "/proc/$c/comm" 2>/dev/null) == sleep ]] && echo "$c"
	done | sort -n
}

_has_sleepers()
{
	[[ $(_sleepers "$1" | grep -c .) -eq $2 ]]
}

# A container's sh init runs a subshell that starts 3 sleepers and exits: the 3 orphans go
# to the init (reparents_total{reaper_kind="pidns_init"} 3, every other kind 0). Then
# `runc kill ID KILL`: the init dies (1 user SIGKILL) and the kernel kills the 3 sleepers
# (3 pidns_teardown SIGKILLs): pidns_teardowns_total 1, teardown_sigkilled_total 3 with
# sigterm_first="false", 0 with "true". --log-events wrote the 3 reparents and the teardown.
# shellcheck disable=SC2016 # the container's shell expands these
SCRIPT_ORPHANS='(sleep 1000 & sleep 1000 & sleep 1000 &)
echo >/gate/ready
read x </gate/go1'
case_runc_orphans_teardown_kill()
{
	local dir lab kind sleepers ev n
	use_shared
	ctr_start "$(sh_args "$SCRIPT_ORPHANS")"
	lab=$(clab "$CID")
	sleepers=$(sleepers_of "$INIT" 3)
	ctr_quiet 4
	fresh_snap "$dir"
	expect_val "3 orphans adopted by the container's init" 3 reapwatch_reparents_total \
		"$(clab "$CID" reaper_kind pidns_init)"
	for kind in thread subreaper host_init; do
		expect_val "orphans adopted by the container's init" 0 reapwatch_reparents_total \
			"$(clab "$CID" reaper_kind "$kind")"
	done
	expect_val "before runc kill" 0 reapwatch_pidns_teardowns_total "$lab"
	expect_val "before runc kill" 0 reapwatch_teardown_sigkilled_total \
		"$(clab "$CID" sigterm_first false)"
	expect_val "before runc kill" 0 reapwatch_teardown_sigkilled_total \
		"$(clab "$CID" sigterm_first true)"
	expect_val "before runc kill" absent reapwatch_signals_total \
		"$(clab "$CID" signal SIGKILL origin pidns_teardown)"

	runc kill "$CID" KILL
	ctr_wait_exit
	sleep 0.3
	fresh_snap "$dir"
	expect_val "runc kill KILL" 1 reapwatch_pidns_teardowns_total "$lab"
	expect_val "3 sleepers killed without a SIGTERM" 3 reapwatch_teardown_sigkilled_total \
		"$(clab "$CID" sigterm_first false)"
	expect_val "3 sleepers killed without a SIGTERM" 0 reapwatch_teardown_sigkilled_total \
		"$(clab "$CID" sigterm_first true)"
	expect_val "teardown SIGKILLs" 3 reapwatch_signals_total \
		"$(clab "$CID" signal SIGKILL origin pidns_teardown)"
	expect_val "runc kill's SIGKILL to the init" 1 reapwatch_signals_total \
		"$(clab "$CID" signal SIGKILL origin user)"
	expect_val "no new orphans at the teardown" 3 reapwatch_reparents_total \
		"$(clab "$CID" reaper_kind pidns_init)"

	# --log-events: JSON Lines as trace --json writes them, for this container the 3
	# reparents and the teardown.
	EVENTS=$CASE_DIR/log-events.out
	sleep 0.2 # stdout is flushed every 100 ms
	grep -F "\"$CID\"" "$SHARED/export.out" >"$EVENTS" || true
	check_json_lines "$EVENTS"
	assert_count "reparent lines of container $CID" 3 \
		".type == \"reparent\" and .container_id == \"$CID\""
	n=$(count_events ".type == \"reparent\" and .container_id == \"$CID\" and .new_ppid == $INIT
		and .reaper_kind == \"pidns_init\" and .reaper_in_pidns == true and .old_ppid != $INIT")
	[[ $n -eq 3 ]] || {
		detail "$(events ".container_id == \"$CID\"")"
		fail "reparent lines: $n of 3 say new_ppid $INIT, pidns_init, reaper_in_pidns true"
	}
	assert_eq "pids of the reparent lines (the sleepers)" "$(tr '\n' ' ' <<<"$sleepers")" \
		"$(events ".type == \"reparent\" and .container_id == \"$CID\"" | jq -r .pid |
			sort -n | tr '\n' ' ')"
	ev=$(expect_one "teardown line of container $CID" \
		".type == \"teardown\" and .container_id == \"$CID\"")
	assert_fields "$ev" "teardown line of container $CID" \
		.pid "$INIT" .comm '"sh"' .ns_pid 1 .members 3 .sigkilled 3 \
		.sigkilled_without_sigterm 3 .grace_ns null \
		'.sigkilled_pids | sort' "$(jq -cn '[inputs]' <<<"$sleepers")"
}

# tini -g as the container's init: `runc kill ID TERM` reaches tini, which forwards it to
# its child's process group: the sh (which exits on it) and 2 sleepers that ignore it; a
# third sleeper left the group (setsid) and gets nothing. tini exits with its child and
# the kernel kills the 3 sleepers: sigterm_first="true" 2, "false" 1.
# shellcheck disable=SC2016 # the container's shell expands these
SCRIPT_TINI='trap "" TERM
sleep 1000 &
sleep 1000 &
setsid sleep 1000 &
trap "exit 0" TERM
echo >/gate/ready
wait'
case_runc_tini_sigterm_first()
{
	local dir lab ev sh_pid sleepers
	[[ -x /usr/bin/tini-static ]] || skip "no /usr/bin/tini-static (Debian package tini)"
	use_shared
	ctr_start "$(jq -cn --arg s "$SCRIPT_TINI" '["/gate/tini", "-g", "--", "sh", "-c", $s]')"
	lab=$(clab "$CID")
	sh_pid=$(children_of "$INIT")
	[[ $sh_pid =~ ^[0-9]+$ ]] || fail "tini $INIT: expected one child (the sh), got '$sh_pid'"
	sleepers=$(sleepers_of "$sh_pid" 3)
	ctr_quiet 5
	runc kill "$CID" TERM
	ctr_wait_exit
	assert_eq "runc run exit status (tini's, its child's: exit 0)" 0 "$RUNC_RC"
	sleep 0.3
	fresh_snap "$dir"
	expect_val "tini's teardown" 1 reapwatch_pidns_teardowns_total "$lab"
	expect_val "2 sleepers got tini's SIGTERM before the teardown SIGKILL" 2 \
		reapwatch_teardown_sigkilled_total "$(clab "$CID" sigterm_first true)"
	expect_val "the setsid sleeper got no SIGTERM" 1 \
		reapwatch_teardown_sigkilled_total "$(clab "$CID" sigterm_first false)"
	expect_val "teardown SIGKILLs" 3 reapwatch_signals_total \
		"$(clab "$CID" signal SIGKILL origin pidns_teardown)"
	expect_val "SIGTERMs: runc to tini, tini to sh and 2 sleepers" 4 reapwatch_signals_total \
		"$(clab "$CID" signal SIGTERM origin user)"
	EVENTS=$CASE_DIR/log-events.out
	sleep 0.2 # stdout is flushed every 100 ms
	grep -F "\"$CID\"" "$SHARED/export.out" >"$EVENTS" || true
	check_json_lines "$EVENTS"
	ev=$(expect_one "teardown line of container $CID" \
		".type == \"teardown\" and .container_id == \"$CID\"")
	assert_fields "$ev" "teardown line of container $CID" \
		.pid "$INIT" .comm '"tini"' .members 3 .sigkilled 3 .sigkilled_without_sigterm 1 \
		'.grace_ns | type' '"number"' \
		'.sigkilled_pids | sort' "$(jq -cn '[inputs]' <<<"$sleepers")"
}

# The reap-latency histogram: `(true & exec sleep 0.3)` in the container: the subshell
# forks `true` (a zombie at once) and becomes sleep, which never waits; 300 ms later the
# zombie goes to the init, which reaps it. 2 reaps: the subshell (at once, le="0.1") and
# the zombie (~0.3 s: in le="0.5", not in le="0.25").
# shellcheck disable=SC2016 # the container's shell expands these
SCRIPT_LATE='echo >/gate/ready
read x </gate/go1
(true & exec sleep 0.3)
echo >/gate/done1
read x </gate/go2'
case_runc_reap_latency()
{
	local dir lab base d
	use_shared
	ctr_start "$(sh_args "$SCRIPT_LATE")"
	lab=$(clab "$CID")
	ctr_quiet 1
	settled_snap "$dir" "$lab"
	base=$SNAP
	write_fifo "$GATE/go1"
	wait_for "the late reap" 10 test -e "$GATE/done1"
	ctr_quiet 1
	settled_snap "$dir" "$lab"
	expect_delta "2 reaps" 2 reapwatch_reap_latency_seconds_count "$lab" "$base"
	expect_delta "the subshell, reaped at once" 1 reapwatch_reap_latency_seconds_bucket \
		"$(clab "$CID" le 0.1)" "$base"
	expect_delta "the ~0.3 s zombie is not in le=0.25" 1 reapwatch_reap_latency_seconds_bucket \
		"$(clab "$CID" le 0.25)" "$base"
	expect_delta "the ~0.3 s zombie is in le=0.5" 2 reapwatch_reap_latency_seconds_bucket \
		"$(clab "$CID" le 0.5)" "$base"
	expect_delta "2 reaps" 2 reapwatch_reap_latency_seconds_bucket \
		"$(clab "$CID" le +Inf)" "$base"
	d=$(awk -v a="$(val reapwatch_reap_latency_seconds_sum "$lab" "$base")" \
		-v b="$(val reapwatch_reap_latency_seconds_sum "$lab")" 'BEGIN { print b - a }')
	fcmp "$d >= 0.29 && $d < 0.5" ||
		fail "reap_latency_seconds_sum grew by $d, expected ~0.3 (0.29 to 0.5)"
	expect_delta "the zombie went to the init" 1 reapwatch_reparents_total \
		"$(clab "$CID" reaper_kind pidns_init)" "$base"
	write_fifo "$GATE/go2"
	ctr_wait_exit
}

# zombie_children PID: how many children of PID are zombies.
zombie_children()
{
	local c n=0
	for c in $(children_of "$1"); do
		[[ $(proc_state "$c") == Z ]] && n=$((n + 1))
	done
	echo "$n"
}

_zombies_are()
{
	[[ $(zombie_children "$1") -eq $2 ]]
}

# A container's init forks 3 children that exit at once and execs sleep, which never
# reaps them: reapwatch_zombies 3; zombie_oldest_seconds is their age at the write. The
# zombies appeared after T0 (just before the test let the init go) and before T1 (when the
# test saw all 3 in /proc), so at a write ending at M the age is within [M - T1 - 0.25,
# M - T0 + 0.01]: 0.25 s for the write itself (render, fsync, rename) and for polling /proc,
# 0.01 s for the file's coarse timestamp and the 3 decimals. Between two writes the age
# grows by the time between them. Then `runc kill` tears the namespace down, which reaps
# them: 0 zombies, and 4 more reaps (the zombies, aged > 1 s, and the init).
# shellcheck disable=SC2016 # the container's shell expands these
SCRIPT_ZOMBIES='echo >/gate/ready
read x </gate/go1
true & true & true & exec sleep 1000'
case_runc_zombies()
{
	local dir lab t0 t1 o1 m1 o2 m2 base
	use_shared
	ctr_start "$(sh_args "$SCRIPT_ZOMBIES")"
	lab=$(clab "$CID")
	ctr_quiet 1
	t0=$(now_s)
	write_fifo "$GATE/go1"
	wait_for "3 zombie children of $INIT" 10 _zombies_are "$INIT" 3
	t1=$(now_s)
	sleep 1
	fresh_snap "$dir"
	expect_val "3 unreaped children" 3 reapwatch_zombies "$lab"
	o1=$(val reapwatch_zombie_oldest_seconds "$lab")
	m1=$SNAP_MTIME
	fcmp "$o1 >= $m1 - $t1 - 0.25 && $o1 <= $m1 - $t0 + 0.01" ||
		fail "zombie_oldest_seconds $o1 for zombies born between $t0 and $t1, file written" \
			"at $m1: expected $(awk "BEGIN { printf \"%.3f to %.3f\", $m1 - $t1 - 0.25, $m1 - $t0 + 0.01 }")"
	sleep 0.5
	settled_snap "$dir" "$lab" 3
	expect_val "3 unreaped children, later" 3 reapwatch_zombies "$lab"
	o2=$(val reapwatch_zombie_oldest_seconds "$lab")
	m2=$SNAP_MTIME
	fcmp "$o2 - $o1 >= $m2 - $m1 - 0.25 && $o2 - $o1 <= $m2 - $m1 + 0.25" ||
		fail "zombie_oldest_seconds went from $o1 to $o2 between writes $(awk \
			"BEGIN { printf \"%.3f\", $m2 - $m1 }") s apart"
	base=$SNAP
	runc kill "$CID" KILL
	ctr_wait_exit
	settled_snap "$dir" "$lab"
	expect_val "the teardown reaped them" 0 reapwatch_zombies "$lab"
	expect_val "no zombies left" 0 reapwatch_zombie_oldest_seconds "$lab"
	expect_delta "3 zombies and the init reaped" 4 reapwatch_reap_latency_seconds_count \
		"$lab" "$base"
	expect_delta "only the init was reaped within 1 s" 1 reapwatch_reap_latency_seconds_bucket \
		"$(clab "$CID" le 1)" "$base"
}

# Label values that come from outside: a kubelet log link whose pod name holds a quote, a
# backslash and a newline (not a Kubernetes name: the names must stay empty or be that
# exact text, escaped), one with a valid name (pod web-0.frontend, namespace team-a,
# container nginx: exact labels), and processes named (prctl) with a quote, backslash and
# newline, UTF-8, control characters and bytes that are not UTF-8, inside the first. The
# file stays valid for promtool and UTF-8; comms never reach labels; the counts are exact
# (each hostile_comm: 1 fork, 2 exits).
HOSTILE_POD=$'we"ird\\pod\nx'
case_hostile_names()
{
	local dir h v lab mode pod ns ctr
	use_shared
	h=$(new_container_id)
	v=$(new_container_id)
	kubelet_log "$KUBE_LOGS" "$HOSTILE_POD" default app "$h"
	kubelet_log "$KUBE_LOGS" web-0.frontend team-a nginx "$v"
	fake_ctr "$h"
	fake_ctr "$v"
	[[ -x $SCENARIOS/hostile_comm ]] || fail "scenario hostile_comm is not built (make scenarios)"
	for mode in quote utf8 ctrl invalid; do
		in_cgroup "$CGROUP2/$h" "$SCENARIOS/hostile_comm" "$mode" >"$CASE_DIR/hostile_comm.$mode.out"
	done
	in_cgroup "$CGROUP2/$v" /bin/true
	fresh_snap "$dir"
	iconv -f UTF-8 -t UTF-8 "$SNAP_PROM" >/dev/null 2>&1 || fail "$PROM is not valid UTF-8"
	lab=$(clab "$h")
	expect_val "4 hostile_comm runs" 8 reapwatch_exits_total "$lab"
	expect_val "4 hostile_comm runs" 4 reapwatch_forks_total "$lab"
	pod=$(jq -r --arg id "$h" 'select(.n == "reapwatch_exits_total" and .l.container_id == $id)
		| .l.pod' "$SNAP")
	ns=$(jq -r --arg id "$h" 'select(.n == "reapwatch_exits_total" and .l.container_id == $id)
		| .l.namespace' "$SNAP")
	ctr=$(jq -r --arg id "$h" 'select(.n == "reapwatch_exits_total" and .l.container_id == $id)
		| .l.container' "$SNAP")
	if [[ -n $pod ]]; then
		[[ $pod == "$HOSTILE_POD" && $ns == default && $ctr == app ]] ||
			fail "hostile pod name: labels pod=$(printf %q "$pod") namespace=$ns" \
				"container=$ctr, expected the exact names (or none)"
	else
		[[ -z $ns && -z $ctr ]] || fail "hostile pod name: pod empty but namespace=$ns container=$ctr"
	fi
	expect_val "a container with Kubernetes names" 1 reapwatch_exits_total \
		"$(clab "$v" pod web-0.frontend namespace team-a container nginx)"
	# Comms are not labels: none of the names set with prctl appears in the file.
	if grep -aqF -e 'a"b' -e 'a\"b' -e $'z\xc3\xa9' -e $'x\x01y' -e $'v\xff' "$SNAP_PROM"; then
		fail "a process name (hostile_comm) appears in $PROM"
	fi
	# Every line is a comment or a reapwatch_ sample (the parser in snap took each one).
	[[ $(grep -cv -e '^# ' -e '^reapwatch_' "$SNAP_PROM") -eq 0 ]] ||
		fail "$PROM has lines that are neither comments nor reapwatch_ samples"
}

# A container gone longer than REAPWATCH_GONE_KEEP_SECONDS (3 for the shared exporter)
# loses all its series: still there in every write up to 2.4 s after `runc run` returned
# (its cgroup was removed just before), gone from every write from 4.3 s on (3 s + one
# interval to notice, 1 s to spare) and never back; counters never went down from one
# write to the next meanwhile; every write passes promtool.
case_gone_series()
{
	local dir lab t_gone id0 id prev="" bad present early=0 late=0 f m
	use_shared
	ctr_start "$(sh_args 'echo >/gate/ready; read x </gate/go1; exit 0')"
	lab=$(clab "$CID")
	ctr_quiet 1
	fresh_snap "$dir"
	[[ $(val reapwatch_exits_total "$lab") != absent ]] || fail "no series for container $CID"
	write_fifo "$GATE/go1"
	ctr_wait_exit
	t_gone=$(now_s)
	# Copy every write (only copy: a loaded machine must not make the test miss writes);
	# judge them afterwards. On until a write late enough to show the drop.
	id0=$(file_id "$dir")
	mkdir "$CASE_DIR/versions.d"
	: >"$CASE_DIR/versions"
	while fcmp "$(now_s) < $t_gone + $GONE_KEEP + 12"; do
		id=$(file_id "$dir")
		if [[ $id != "$id0" ]]; then
			id0=$id
			m=$(stat -c %.9Y "$dir/$PROM")
			f=$CASE_DIR/versions.d/$m.prom
			cp "$dir/$PROM" "$f"
			echo "$m $f" >>"$CASE_DIR/versions"
			fcmp "$m < $t_gone + $GONE_KEEP + 1.5" || break
		fi
		sleep 0.05
	done
	: >"$CASE_DIR/judged"
	while read -r m f; do
		prom_check "$f"
		jq -R -c "$PROM_JQ" "$f" >"${f%.prom}.jsonl"
		present=0
		if ids_in "${f%.prom}.jsonl" | grep -qxF "$CID"; then
			present=1
		fi
		echo "$m $present ${f%.prom}.jsonl" >>"$CASE_DIR/judged"
	done <"$CASE_DIR/versions"
	detail "writes after the container was gone at $t_gone (mtime, series present):" \
		"$(cut -d' ' -f1,2 "$CASE_DIR/judged")"
	while read -r m present f; do
		if fcmp "$m <= $t_gone + $GONE_KEEP - 0.6"; then
			early=$((early + 1))
			[[ $present -eq 1 ]] || fail "series of container $CID dropped $(awk \
				"BEGIN { printf \"%.2f\", $m - $t_gone }") s after it was gone (keep: $GONE_KEEP s)"
		elif fcmp "$m >= $t_gone + $GONE_KEEP + 1.3"; then
			late=$((late + 1))
			[[ $present -eq 0 ]] || fail "series of container $CID still there $(awk \
				"BEGIN { printf \"%.2f\", $m - $t_gone }") s after it was gone (keep: $GONE_KEEP s)"
		fi
		if [[ -n $prev ]]; then
			[[ ! ($present -eq 1 && $(cut -d' ' -f2 <<<"$prev") -eq 0) ]] ||
				fail "series of container $CID came back after they were dropped"
			bad=$(counters_down "$(cut -d' ' -f3 <<<"$prev")" "$f")
			[[ -z $bad ]] || fail "a counter went down between two writes: $bad"
		fi
		prev="$m $present $f"
		[[ $(val reapwatch_exits_total '{"container_id":""}' "$f") != absent ]] ||
			fail "a write without the host's series"
	done <"$CASE_DIR/judged"
	[[ $early -gt 0 && $late -gt 0 ]] ||
		fail "not enough writes to judge: $early early, $late late"
}

# Once a gone container's series are dropped, a late event about one of its processes (its
# zombie, whose parent lives outside it, is reparented and reaped after the drop) must not
# bring them back with lower values: a counter never goes down within the agent's life.
# The cgroup /<id> holds one process that exits at once; its parent (outside, a sleep that
# never reaps) keeps it a zombie while the cgroup is removed and the keep (3 s) runs out;
# then the test kills the parent.
case_gone_series_stay_gone()
{
	local dir id parent zombie t_rm exits
	use_shared
	id=$(new_container_id)
	fake_ctr "$id"
	# The child exits only once its parent is sleep, which never reaps: before the exec, bash's
	# own SIGCHLD handler could reap it first. (Builtins only: a process forked in the cgroup
	# would be another exit there.)
	# shellcheck disable=SC2016 # for the inner bash
	bash -c '(echo $BASHPID >"$0/cgroup.procs"
		until read -r c </proc/$$/comm && [[ $c == sleep ]]; do :; done
		exit 0) & exec sleep 1000' "$CGROUP2/$id" &
	parent=$!
	track_pid "$parent"
	wait_for "a zombie child of $parent" 10 _zombies_are "$parent" 1
	zombie=$(children_of "$parent")
	fresh_snap "$dir"
	expect_val "the process that exited in cgroup /$id" 1 reapwatch_exits_total "$(clab "$id")"
	wait_for "removing cgroup /$id (only a zombie left in it)" 5 rmdir "$CGROUP2/$id"
	t_rm=$(now_s)
	wait_for "the series of the removed cgroup /$id dropped" $((GONE_KEEP + 5)) _no_series "$dir" "$id"
	detail "series dropped $(awk "BEGIN { printf \"%.2f\", $(now_s) - $t_rm }") s after rmdir"
	# The zombie goes to a reaper (the host's init or a subreaper), which should reap it
	# (its reparenting alone is already an event about the container).
	kill -KILL "$parent"
	wait "$parent" 2>/dev/null || true
	for _ in $(seq 50); do
		_gone "$zombie" && break
		sleep 0.1
	done
	_gone "$zombie" || detail "NOTE: zombie $zombie was not reaped within 5 s"
	sleep 0.5
	fresh_snap "$dir"
	exits=$(val reapwatch_exits_total "$(clab "$id")")
	if [[ $exits != absent && $exits -lt 1 ]]; then
		detail "series of $id after the late reap:" \
			"$(grep -F "$id" "$SNAP_PROM" | grep -v '_bucket' | sed -n 1,12p)"
		fail "the dropped series of gone container $id came back with exits_total $exits" \
			"(it was 1): a counter went down"
	fi
}

_no_series()
{
	! grep -qF "\"$2\"" "$1/$PROM"
}

_gone()
{
	[[ -z $(proc_state "$1") ]]
}

# --max-containers 1 with two containers (bare cgroups): A forks 30 short-lived children,
# B one. An exporter with the limit and one without start together (-i 60: only the first
# write and the last, at SIGINT); the limited one keeps the host and the busiest container,
# and counts the rest: containers_over_limit 1 (when no other container on the host did
# anything meanwhile; else only >= 1 is sure).
case_max_containers()
{
	local a b lim all lim_ids all_ids n
	a=$(new_container_id)
	b=$(new_container_id)
	fake_ctr "$a"
	fake_ctr "$b"
	mkdir "$CASE_DIR/lim" "$CASE_DIR/all"
	launch_exporter limited "$CASE_DIR/limited" "$CASE_DIR/lim" -i 60 --max-containers 1
	track_pid "$LAUNCHED_PID"
	launch_exporter all "$CASE_DIR/unlimited" "$CASE_DIR/all" -i 60
	track_pid "$LAUNCHED_PID"
	wait_exporter limited
	wait_exporter all
	# shellcheck disable=SC2016 # for the inner bash
	in_cgroup "$CGROUP2/$a" bash -c 'for i in {1..30}; do /bin/true; done; echo >"$0"; exec sleep 1000' \
		"$CASE_DIR/a.done" &
	track_pid $!
	# shellcheck disable=SC2016 # for the inner bash
	in_cgroup "$CGROUP2/$b" bash -c '/bin/true; echo >"$0"; exec sleep 1000' "$CASE_DIR/b.done" &
	track_pid $!
	wait_for "container A's 30 children" 10 test -e "$CASE_DIR/a.done"
	wait_for "container B's child" 10 test -e "$CASE_DIR/b.done"
	stop_exporter all INT
	all=$SNAP
	stop_exporter limited INT
	lim=$SNAP
	all_ids=$(ids_in "$all")
	lim_ids=$(ids_in "$lim")
	detail "containers without the limit: $(tr '\n' ' ' <<<"$all_ids")" \
		"containers with --max-containers 1: $(tr '\n' ' ' <<<"$lim_ids")"
	grep -qxF "$a" <<<"$all_ids" || fail "container A $a missing without the limit"
	grep -qxF "$b" <<<"$all_ids" || fail "container B $b missing without the limit"
	expect_val "A without the limit" 30 reapwatch_exits_total "$(clab "$a")" "$all"
	n=$(grep -c . <<<"$all_ids")
	[[ $(grep -c . <<<"$lim_ids") -eq 1 ]] ||
		fail "--max-containers 1: $(grep -c . <<<"$lim_ids") containers' series, expected 1"
	[[ $(val reapwatch_exits_total '{"container_id":""}' "$lim") != absent ]] ||
		fail "--max-containers 1 dropped the host's series"
	if [[ $n -eq 2 ]]; then
		expect_val "--max-containers 1 with 2 containers" 1 reapwatch_containers_over_limit \
			'{}' "$lim"
		assert_eq "the container kept under --max-containers 1 (the busier)" "$a" "$lim_ids"
		expect_val "A under the limit" 30 reapwatch_exits_total "$(clab "$a")" "$lim"
		expect_val "A under the limit" 30 reapwatch_forks_total "$(clab "$a")" "$lim"
	else
		# Other containers on the host came and went meanwhile: the two agents' final
		# writes, a moment apart, need not know the same ones.
		detail "NOTE: other containers were active; not checking the exact count or which was kept"
		fcmp "$(val reapwatch_containers_over_limit '{}' "$lim") >= 1" ||
			fail "--max-containers 1 with at least 2 containers: containers_over_limit" \
				"$(val reapwatch_containers_over_limit '{}' "$lim")"
	fi
	expect_val "without the limit" 0 reapwatch_containers_over_limit '{}' "$all"
}

# The shared exporter ends at SIGTERM: status 0, a last write, no temp file; no counter
# went down over its life (first file a case saw vs the last); every --log-events line is
# a JSON object. The shared trace ends with status 0 too.
case_shared_shutdown()
{
	local dir bad deadline
	use_shared
	stop_exporter shared TERM
	jq -R -c "$PROM_JQ" "$SHARED/early.prom" >"$CASE_DIR/early.jsonl"
	bad=$(counters_down "$CASE_DIR/early.jsonl" "$SNAP")
	[[ -z $bad ]] || fail "a counter went down over the exporter's life: $bad"
	check_json_lines "$SHARED/export.out"
	kill -INT "$(cat "$SHARED/trace.pid")"
	deadline=$((SECONDS + AGENT_STOP_TIMEOUT))
	until [[ -s $SHARED/trace.rc ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "the shared trace did not exit after SIGINT"
		sleep 0.05
	done
	assert_eq "the shared trace's exit status" 0 "$(cat "$SHARED/trace.rc")"
}

# expect_usage WANT_STATUS WANT_TEXT ARGS...: `reapwatch export ARGS...` exits WANT_STATUS
# at once, with WANT_TEXT in its one-line message, and writes no file.
expect_usage()
{
	local want=$1 text=$2 rc=0 err
	shift 2
	err=$CASE_DIR/usage.err
	timeout 10 "$AGENT" export "$@" >"$CASE_DIR/usage.out" 2>"$err" || rc=$?
	[[ $rc -eq $want ]] ||
		fail "reapwatch export $*: exit status $rc, expected $want ($(head -n1 "$err"))"
	grep -qF -- "$text" "$err" ||
		fail "reapwatch export $*: message '$(head -n1 "$err")' does not name '$text'"
	[[ $(wc -l <"$err") -eq 1 ]] ||
		fail "reapwatch export $*: $(wc -l <"$err") lines on stderr, expected one"
	[[ ! -s $CASE_DIR/usage.out ]] || fail "reapwatch export $*: wrote to stdout"
}

case_usage_errors()
{
	local d=$CASE_DIR/dir ro=$CASE_DIR/ro
	[[ -x $AGENT ]] || fail "agent $AGENT is not built (make)"
	mkdir "$d"
	: >"$CASE_DIR/plain-file"
	expect_usage 2 --textfile-dir
	expect_usage 2 --textfile-dir -i 1
	expect_usage 2 "$CASE_DIR/missing" --textfile-dir "$CASE_DIR/missing"
	expect_usage 2 "$CASE_DIR/plain-file" --textfile-dir "$CASE_DIR/plain-file"
	expect_usage 2 --textfile-dir --textfile-dir ""
	expect_usage 2 --textfile-dir --textfile-dir
	expect_usage 2 abc --textfile-dir "$d" -i abc
	expect_usage 2 --interval --textfile-dir "$d" --interval 0
	expect_usage 2 --interval --textfile-dir "$d" --interval -1
	expect_usage 2 1x --textfile-dir "$d" --interval 1x
	expect_usage 2 --max-containers --textfile-dir "$d" --max-containers 0
	expect_usage 2 --max-containers --textfile-dir "$d" --max-containers many
	expect_usage 2 --bogus --textfile-dir "$d" --bogus
	expect_usage 2 stray --textfile-dir "$d" stray
	[[ -z $(ls -A "$d") ]] || fail "a usage error left files in $d: $(ls -A "$d")"
	# A directory it cannot write to: a runtime failure (1), naming it.
	mkdir "$ro"
	mount -t tmpfs -o ro,size=1m tmpfs "$ro" || skip "cannot mount a tmpfs here"
	at_case_exit umount "$ro"
	expect_usage 1 "$ro" --textfile-dir "$ro" -i 1
	# One where root may write (access() says yes) but no file can be made: refused at start,
	# not retried for ever.
	expect_usage 1 /proc --textfile-dir /proc -i 1
}

# Two exporters on one directory would replace each other's file, each with its own counts: a
# counter going down at every other scrape. The second is refused (status 1, one line naming
# the directory) after waiting a few seconds for the first to end, and the first goes on
# exporting; once the first is gone (SIGKILLed, even), one can start there again, and it
# removes the temporary files a killed export leaves (CI once saw the first's).
case_one_per_directory()
{
	local dir=$CASE_DIR/textfile t0 took
	mkdir "$dir"
	start_exporter first "$dir" -i 0.2
	t0=$(now_s)
	launch_exporter second "$CASE_DIR/second" "$dir" -i 0.2
	track_pid "$LAUNCHED_PID"
	wait_for "the second exporter to end" 15 test -s "$CASE_DIR/second.rc"
	took=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')
	assert_eq "the second exporter's status" 1 "$(cat "$CASE_DIR/second.rc")"
	assert_eq "its message" \
		"reapwatch: --textfile-dir: another reapwatch export writes to '$dir' (two would overwrite each other's counters): stop it, or give each its own directory" \
		"$(cat "$CASE_DIR/second.err")"
	fcmp "$took >= 4" || fail "refused after $took s: the first exporter was not waited for"
	grep -qF "$EXPORT_READY" "$CASE_DIR/first.err" || fail "the first exporter is not exporting"
	[[ ! -e $CASE_DIR/first.rc ]] || fail "the first exporter ended: $(head -n3 "$CASE_DIR/first.err")"
	kill -KILL "$(cat "$CASE_DIR/first.pid")"
	wait_for "the first exporter to be gone" 10 test -s "$CASE_DIR/first.rc"
	# What an export killed in the middle of a write leaves (as the first may have): the
	# next one removes it once the directory is its own; other files stay.
	echo 'reapwatch_exits_total 1' >"$dir/.$PROM.Zq7xY2"
	echo 'mine' >"$dir/.$PROM-notes"
	echo 'mine' >"$dir/.$PROM.longer-name"
	echo 'mine' >"$dir/.$PROM.bak-01"
	mkdir "$dir/.$PROM.Dir123"
	start_exporter third "$dir" -i 0.2
	[[ ! -e $dir/.$PROM.Zq7xY2 ]] || fail "a killed export's temporary file is still there"
	[[ -e $dir/.$PROM-notes && -e $dir/.$PROM.longer-name && -e $dir/.$PROM.bak-01 &&
		-d $dir/.$PROM.Dir123 ]] ||
		fail "the third exporter removed a file that is not an export's temporary one"
	rm -r "$dir/.$PROM.longer-name" "$dir/.$PROM.bak-01" "$dir/.$PROM.Dir123"
	stop_exporter third INT
}

# Writes that fail (the directory turned read-only) are said once on stderr, not at every
# interval, leave the last good file in place, and the agent keeps running; once writable
# again it says so and writes. A last write that fails at SIGTERM makes the status 1, and the
# last line on stderr says so.
case_write_failure()
{
	local mnt=$CASE_DIR/mnt msg
	mkdir "$mnt"
	mount -t tmpfs -o size=4m tmpfs "$mnt" || skip "cannot mount a tmpfs here"
	at_case_exit umount "$mnt"
	start_exporter export "$mnt" -i 0.2
	fresh_snap "$mnt"
	mount -o remount,ro "$mnt"
	sleep 1.2
	msg="writing $mnt/$PROM failed"
	[[ $(grep -cF "$msg" "$CASE_DIR/export.err") -eq 1 ]] || {
		detail "stderr:" "$(cat "$CASE_DIR/export.err")"
		fail "6 failed writes: expected one '$msg' line on stderr, got" \
			"$(grep -cF "$msg" "$CASE_DIR/export.err")"
	}
	[[ ! -e $CASE_DIR/export.rc ]] || fail "the agent exited when writes failed"
	snap "$mnt" # the last good file, whole
	mount -o remount,rw "$mnt"
	wait_for "'works again' on stderr" 5 grep -qF "writing $mnt/$PROM works again" \
		"$CASE_DIR/export.err"
	fresh_snap "$mnt"
	mount -o remount,ro "$mnt"
	stop_exporter export TERM 1
	# ... and its last line says why, however long ago the first failure was said
	msg="reapwatch: the last write of $mnt/$PROM failed: Read-only file system"
	[[ $(tail -n 1 "$CASE_DIR/export.err") == "$msg"* ]] || {
		detail "stderr:" "$(tail -n 5 "$CASE_DIR/export.err")"
		fail "exit status 1: the last line on stderr is not '$msg...'"
	}
}

# The shared agents load while the first cases run.
start_shared_agents
run_case export_usage_errors case_usage_errors
run_case export_one_per_directory case_one_per_directory
run_case export_final_write case_file_and_final_write
run_case export_max_containers_sigint case_max_containers
run_case export_write_failure case_write_failure
run_case export_atomic_reader case_atomic_reader
run_case export_runc_forks_exits case_runc_forks_exits
run_case export_runc_pids case_runc_pids
run_case export_runc_pids_pod_limit case_runc_pids_pod_limit
run_case export_runc_pids_node_limit case_runc_pids_node_limit
run_case export_runc_idle_before_agent case_runc_idle_before_agent
run_case export_names_come_later case_names_come_later
run_case export_pod_sandbox_names case_pod_sandbox_names
run_case export_many_cgroups_idle_containers case_many_cgroups_idle_containers
run_case export_runc_orphans_teardown_kill case_runc_orphans_teardown_kill
run_case export_runc_tini_sigterm_first case_runc_tini_sigterm_first
run_case export_runc_reap_latency case_runc_reap_latency
run_case export_runc_zombies case_runc_zombies
run_case export_hostile_names case_hostile_names
run_case export_gone_series case_gone_series
run_case export_gone_series_stay_gone case_gone_series_stay_gone
run_case export_shared_shutdown case_shared_shutdown
finish
