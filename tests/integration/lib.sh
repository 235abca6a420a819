# shellcheck shell=bash
# Shared helpers for tests/integration/test_*.sh.
#
# A test script sources this file, defines one function per case and runs each with
#     run_case NAME FUNCTION [ARGS...]
# then ends with `finish`. Each case runs in its own subshell with `set -eEuo pipefail`:
# the first failed assertion (or any failed command) ends the case and prints
#     FAIL NAME: why
# otherwise the case prints "PASS NAME" (or "SKIP NAME: why" after `skip`). Whatever a case
# starts (agents, scenarios, gated commands) is killed when the case ends, pass or fail.
#
# Agent:      start_agent [--name N] [--ready TEXT] ARGS...   stop_agent   stop_named_agent N [SIG]
#             wait_printed WHAT PID FILE TEXT  (an agent started some other way: until ready)
# Scenarios:  scenario NAME ARGS...  (runs build/tests/scenarios/NAME, output in $SCEN_OUT)
#             trace_scenario [TRACE_ARGS...] -- NAME ARGS...  (the same under trace --json)
#             kv KEY [FILE]          (a key=value the scenario printed)
#             start_scenario NAME ARGS...  (in the background, until it prints ready=1)
#             start_reaped NAME ARGS...    (the same in a pid namespace, under reaper_run)
#             wait_scenario_ready WHAT PID [SECONDS] [ERRFILE]  (one started some other way)
# Cgroups:    new_container_id, fake_container_cgroup, in_cgroup DIR CMD..., rmdir_retry DIR
# Prom file:  snap DIR, fresh_snap DIR (export's reapwatch.prom as samples in $SNAP),
#             val NAME LABELS_JSON [JSONL], prom_check FILE, file_id DIR
# Events:     events FILTER, count_events FILTER, expect_one DESC FILTER,
#             assert_fields EVENT DESC EXPR JSON [EXPR JSON...], assert_count DESC N FILTER
#             (all within the case's time window, see window_begin), assert_none DESC FILTER
# Filters are jq expressions over one event; `usec` turns an RFC 3339 time into microseconds.
# Pipelines that keep only the first lines end in `sed -n 1,Np`, not `head`: with pipefail,
# a writer killed by SIGPIPE when head exits early would fail the case.
# REAPWATCH_KEEP_TMP=1 keeps every case's files (agent output, scenario output) for a look.

set -uo pipefail
shopt -s inherit_errexit

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AGENT=${REAPWATCH:-$REPO/reapwatch}
SCENARIOS=$REPO/build/tests/scenarios
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/reapwatch-test.XXXXXX")
chmod 755 "$TEST_TMP"

# The agent prints this on stderr once its BPF programs are attached.
AGENT_READY='reapwatch: tracing'
# ... and this as its last words after SIGINT/SIGTERM or --duration.
AGENT_SUMMARY_RE='^reapwatch: [0-9]+ events, [0-9]+ lost$'
AGENT_READY_TIMEOUT=30
AGENT_STOP_TIMEOUT=15
# Time for the agent to see the last exits and frees of a scenario before it is stopped.
SETTLE_SECONDS=0.5

JQ_DEFS='def usec: (.[0:19] + "Z" | fromdateiso8601) * 1000000 + (.[20:26] | tonumber);'

CASE_SEQ=0
CASES_FAILED=0
SCRIPT_CLEANUPS=()

# --- script-level setup and cleanup ------------------------------------------

# at_script_exit CMD...: run CMD when the script ends, however it ends.
at_script_exit()
{
	SCRIPT_CLEANUPS+=("$(printf '%q ' "$@")")
}

_script_exit()
{
	local i
	for ((i = ${#SCRIPT_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${SCRIPT_CLEANUPS[i]}" >/dev/null 2>&1 || true
	done
	if [[ -n ${REAPWATCH_KEEP_TMP:-} ]]; then
		echo "kept $TEST_TMP" >&2
	else
		rm -rf "$TEST_TMP"
	fi
}
trap _script_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# tracefs is where the tracepoints live; a fresh boot may not have it mounted.
if [[ $(id -u) -eq 0 ]]; then
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing || true
fi

# --- case bookkeeping ----------------------------------------------------------

# run_case NAME FUNCTION [ARGS...]
run_case()
{
	# (REAPWATCH_CASE_SUFFIX tells apart the same cases run again another way.)
	local name=$1${REAPWATCH_CASE_SUFFIX:-} rc why
	# (REAPWATCH_CASES, space-separated names: run only those cases of the script.)
	[[ -z ${REAPWATCH_CASES:-} || " $REAPWATCH_CASES " == *" $1 "* ]] || return 0
	shift
	# A case's own `set -e` only works if nothing around it tests its status.
	set +e
	CASE_SEQ=$((CASE_SEQ + 1))
	CASE_DIR=$TEST_TMP/case$CASE_SEQ
	mkdir -p "$CASE_DIR"
	chmod 755 "$CASE_DIR"
	: >"$CASE_DIR/why"
	: >"$CASE_DIR/details"
	(_case_body "$@") </dev/null
	rc=$?
	why=$(head -n1 "$CASE_DIR/why")
	if [[ -e $CASE_DIR/skip ]]; then
		echo "SKIP $name: $(cat "$CASE_DIR/skip")"
	elif [[ $rc -eq 0 && -z $why ]]; then
		echo "PASS $name"
	else
		CASES_FAILED=$((CASES_FAILED + 1))
		echo "FAIL $name: ${why:-exited with status $rc}"
		{
			echo "--- $name"
			sed 's/^/    /' "$CASE_DIR/details"
			local f
			for f in "$CASE_DIR"/*.err; do
				[[ -s $f ]] || continue
				echo "    [$(basename "$f")]"
				tail -n 15 "$f" | sed 's/^/      /'
			done
			_failed_case_events
		} >&2
	fi
	return 0
}

# _failed_case_events: under a failed case, what each JSON agent output (NAME.out beside its
# NAME.args) says of the pids its scenarios printed (key=PID lines of the other .out files;
# numbers up to 300, which the kernel hands out only at boot, are counts and flags instead),
# 20 events at most each: CI keeps nothing but this log.
_failed_case_events()
{
	local pids f out
	pids=$(for f in "$CASE_DIR"/*.out; do
		[[ -e ${f%.out}.args ]] || sed -En 's/^[a-z_]+=([0-9]{1,7})$/\1/p' "$f"
	done 2>/dev/null | awk '$1 > 300' | sort -un | paste -sd, -)
	[[ -n $pids ]] || return 0
	for f in "$CASE_DIR"/*.args; do
		out=${f%.args}.out
		[[ -s $out ]] || continue
		echo "    [$(basename "$out"): the events of pids $pids]"
		jq -c --argjson p "[$pids]" 'select(type == "object" and
			([.pid, .ppid, .reaper_pid, .old_ppid, .new_ppid, .sender_pid] |
			 any(. as $x | $x != null and ($p | index([$x])))))' "$out" 2>/dev/null |
			sed -n 1,20p | sed 's/^/      /'
	done
}

# finish: the script's exit status says whether every case passed.
finish()
{
	[[ $CASES_FAILED -eq 0 ]]
	exit
}

# Runs in the case's subshell: nothing it sets outlives the case.
_case_body()
{
	set -eEuo pipefail
	CASE_PIDS=()
	CASE_CLEANUPS=()
	declare -gA AGENT_PID=()
	trap '_case_err "$?" "$LINENO" "$BASH_COMMAND"' ERR
	trap _case_exit EXIT
	"$@"
}

_case_err()
{
	local status=$1 line=$2 cmd=$3
	if [[ ! -s $CASE_DIR/why ]]; then
		echo "line $line: '$cmd' exited with status $status" >"$CASE_DIR/why"
	fi
}

_case_exit()
{
	local i pid entry
	# The case is over: no "Killed" job notices from the waits below.
	exec 2>/dev/null
	# Processes first (what the cleanups remove may be in use), and only what is still the
	# process we started: a pid may have been reused since.
	for entry in "${CASE_PIDS[@]}"; do
		pid=${entry%%:*}
		if [[ -n ${entry#*:} && $(proc_start "$pid") == "${entry#*:}" ]]; then
			kill_tree "$pid"
		fi
	done
	for entry in "${CASE_PIDS[@]}"; do
		wait "${entry%%:*}" 2>/dev/null || true
	done
	for ((i = ${#CASE_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CASE_CLEANUPS[i]}" >/dev/null 2>&1 || true
	done
}

# fail MESSAGE: end the case; MESSAGE is the one-line reason.
fail()
{
	[[ -s $CASE_DIR/why ]] || echo "$*" >"$CASE_DIR/why"
	exit 1
}

# skip REASON: end the case as skipped.
skip()
{
	echo "$*" >"$CASE_DIR/skip"
	exit 0
}

# detail TEXT...: shown under the FAIL line.
detail()
{
	printf '%s\n' "$@" >>"$CASE_DIR/details"
}

# at_case_exit CMD...: run CMD when the case ends.
at_case_exit()
{
	CASE_CLEANUPS+=("$(printf '%q ' "$@")")
}

# track_pid PID: kill PID and its descendants when the case ends.
track_pid()
{
	CASE_PIDS+=("$1:$(proc_start "$1")")
}

# --- the host ------------------------------------------------------------------

# cgroup2_mount: where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup/unified on a
# hybrid host, /sys/fs/cgroup on a pure v2 one); empty if nowhere.
cgroup2_mount()
{
	awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}

# new_container_id: 64 hex digits, like a containerd/Docker container id.
new_container_id()
{
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# other_agent_running: another reapwatch (not a zombie) runs on this host, 3 s after the
# last case's agents were told to stop (so that they had the time to exit).
other_agent_running()
{
	local i
	for i in $(seq 30); do
		pgrep -r R,S,D,T,t,I -x reapwatch >/dev/null || return 1
		sleep 0.1
	done
	return 0
}

# fake_container_cgroup: a cgroup v2 directory that looks like a container's (systemd
# driver: reapwatch-test-PID/docker-ID.scope), so that export keeps series of its own for
# what runs in it; removed when the case ends. Sets FAKE_CTR_ID (ID) and FAKE_CTR_CG (the
# directory). Skips the case without a cgroup v2 hierarchy, or where it cannot be made.
fake_container_cgroup()
{
	local root
	root=$(cgroup2_mount)
	[[ -n $root ]] || skip "no cgroup v2 hierarchy"
	FAKE_CTR_ID=$(new_container_id)
	FAKE_CTR_CG=$root/reapwatch-test-$$/docker-$FAKE_CTR_ID.scope
	mkdir -p "$FAKE_CTR_CG" || skip "cannot create a cgroup under $root"
	at_case_exit rmdir "$FAKE_CTR_CG" "$root/reapwatch-test-$$"
}

# in_cgroup DIR CMD...: run CMD inside cgroup DIR. The bash that moves itself there was
# forked outside it; from its exec of CMD on, every fork and exit counts for DIR.
# In the background use `bash -c "$IN_CGROUP" DIR CMD... &` instead: $! is then CMD's pid
# (not a subshell's), and a CMD the case kills does not fail it.
# shellcheck disable=SC2016 # for the inner bash
IN_CGROUP='echo $$ >"$0/cgroup.procs" && exec "$@"'
in_cgroup()
{
	bash -c "$IN_CGROUP" "$@"
}

# rmdir_retry DIR: remove cgroup DIR, trying for 5 s while its last processes leave it
# (until they are gone, rmdir fails with EBUSY).
rmdir_retry()
{
	local i
	for i in $(seq 50); do
		[[ -d $1 ]] || return 0
		rmdir "$1" 2>/dev/null && return 0
		sleep 0.1
	done
}

# agent_bpf_ids PID map|prog: "name id" for each BPF map or program that process PID
# holds open (its fdinfo), sorted.
agent_bpf_ids()
{
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		id=$(sed -n "s/^$2_id:[[:space:]]*//p" "$f" 2>/dev/null) || continue
		[[ -n $id ]] || continue
		echo "$(bpftool "$2" show id "$id" -j | jq -r .name) $id"
	done | sort -u
}

# prom_value FILE SERIES: the value of the sample SERIES (name{labels} as the agent writes
# it), "absent" if the file or the sample is missing.
prom_value()
{
	awk -v s="$2" '$1 == s { v = $2 } END { print (v == "" ? "absent" : v) }' "$1" 2>/dev/null ||
		echo absent
}

# --- processes -------------------------------------------------------------------

# wait_comm PID COMM: until PID (e.g. a forked shell) has exec'd COMM, at most 10 s.
wait_comm()
{
	local deadline=$((SECONDS + 10))
	until [[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "process $1 is '$(cat "/proc/$1/comm" 2>/dev/null)', not '$2', after 10 s"
		sleep 0.02
	done
}

# The fields of /proc/PID/stat after "(comm) ", in F (state is F[0], ppid F[1], start
# time F[19]); false if PID is gone. No subprocess: this runs for every pid on the host.
_stat_fields()
{
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	read -ra F <<<"${stat##*) }"
}

# The state letter of a process, "" if it is gone.
proc_state()
{
	local F
	if _stat_fields "$1"; then echo "${F[0]}"; fi
}

# The start time of a process (clock ticks after boot), "" if it is gone.
proc_start()
{
	local F
	if _stat_fields "$1"; then echo "${F[19]}"; fi
}

# True while PID runs (a zombie is not running).
running()
{
	local s
	s=$(proc_state "$1")
	[[ -n $s && $s != Z && $s != X ]]
}

# children_of PID: host pids of PID's children.
children_of()
{
	local f pid F
	for f in /proc/[0-9]*; do
		pid=${f#/proc/}
		_stat_fields "$pid" || continue
		[[ ${F[1]} == "$1" ]] && echo "$pid"
	done
	return 0
}

# kill_tree PID: SIGKILL PID and all its descendants (stopped first, so none escapes).
kill_tree()
{
	local all=() queue=("$1") p c
	[[ -n $(proc_state "$1") ]] || return 0
	while [[ ${#queue[@]} -gt 0 ]]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		all+=("$p")
		kill -STOP "$p" 2>/dev/null || true
		for c in $(children_of "$p"); do
			queue+=("$c")
		done
	done
	for p in "${all[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
}

# wait_child PID SECONDS: wait for a child of this shell, at most SECONDS; its status.
wait_child()
{
	local pid=$1 deadline=$((SECONDS + $2)) rc=0
	while running "$pid"; do
		if [[ $SECONDS -ge $deadline ]]; then
			fail "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) still running after $2 s"
		fi
		sleep 0.05
	done
	wait "$pid" || rc=$?
	window_end
	return "$rc"
}

pidns_of()
{
	stat -L -c %i "/proc/$1/ns/pid"
}

# The pid of PID inside its own pid namespace.
ns_pid_of()
{
	awk '/^NSpid:/ { print $NF }' "/proc/$1/status"
}

# _wait_ready WHAT PID SECONDS SHOW READY GREP_ARGS...: until `grep -q GREP_ARGS...` finds
# the line PID writes once it is ready; fails the case if PID ends first (showing the first
# lines of the file SHOW) or SECONDS pass. READY says what was awaited ("printed 'X'").
_wait_ready()
{
	local what=$1 pid=$2 secs=$3 show=$4 ready=$5 deadline rc=0
	shift 5
	deadline=$((SECONDS + secs))
	until grep -q "$@" 2>/dev/null; do
		if ! running "$pid"; then
			wait "$pid" 2>/dev/null || rc=$?
			fail "$what exited with status $rc before it $ready:" \
				"$(head -n3 "$show" 2>/dev/null | tr '\n' ' ')"
		fi
		[[ $SECONDS -lt $deadline ]] || fail "$what had not $ready after $secs s"
		sleep 0.05
	done
}

# wait_files WHAT PID SHOW SECONDS FILE...: until every FILE has something in it (the gate
# files a container's steps write), while PID (runc run, runc exec; none if empty) runs;
# fails the case, showing the first lines of SHOW (PID's stderr), if PID ends first or
# SECONDS pass. WHAT names what was awaited.
wait_files()
{
	local what=$1 pid=$2 show=$3 secs=$4 deadline f
	shift 4
	deadline=$((SECONDS + secs))
	for f in "$@"; do
		until [[ -s $f ]]; do
			if [[ -n $pid ]] && ! running "$pid"; then
				fail "$what: process $pid exited before $(basename "$f") was written:" \
					"$(head -n3 "$show" 2>/dev/null | tr '\n' ' ')"
			fi
			[[ $SECONDS -lt $deadline ]] || fail "$what: no $(basename "$f") within $secs s"
			sleep 0.05
		done
	done
}

# wait_printed WHAT PID FILE TEXT: until FILE (PID's stderr, where an agent says it is
# ready) has TEXT, at most AGENT_READY_TIMEOUT s; for an agent that start_agent cannot start
# (stdout elsewhere, under strace, in a container). WHAT names it in a failure.
wait_printed()
{
	_wait_ready "$1" "$2" "$AGENT_READY_TIMEOUT" "$3" "printed '$4'" -F -- "$4" "$3"
}

# --- kernel features -------------------------------------------------------------

# Kernels before 5.17 have no bpf_loop(); REAPWATCH_NO_BPF_LOOP=1 makes the agent take that
# path here (test_noloop.sh). Those programs cannot walk every process to count a dying
# namespace's members, nor an exiting parent's children to find their adopters.
without_bpf_loop()
{
	[[ ${REAPWATCH_NO_BPF_LOOP:-0} != 0 ]]
}

# members N: what a teardown event's members is: N, or null without bpf_loop().
members()
{
	if without_bpf_loop; then echo null; else echo "$1"; fi
}

# descendants PID: every process below PID, from /proc's parent links.
descendants()
{
	local queue=("$1") p c
	while [[ ${#queue[@]} -gt 0 ]]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for c in $(children_of "$p"); do
			echo "$c"
			queue+=("$c")
		done
	done
}

# nested_pidns_start [LINE]: three nested pid namespaces, each with two sleepers, and the
# unshare that made the next one, each level's shell starting with LINE (e.g. "trap '' TERM");
# a `trace --json -e signal,teardown` agent watches. Sets NESTED_UNSHARE (the outer unshare),
# NESTED_INIT (the outer init) and NESTED_VICTIMS (the other 10 processes of the outer
# namespace, nested ones included, sorted). The outer init exits at nested_pidns_teardown.
nested_pidns_start()
{
	local d=$CASE_DIR line=${1:-} n
	command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
	cat >"$d/l3.sh" <<-EOF
		$line
		sleep 1000 & sleep 1000 & touch $d/ready; wait
	EOF
	cat >"$d/l2.sh" <<-EOF
		$line
		sleep 1000 & sleep 1000 & unshare -pf sh $d/l3.sh & wait
	EOF
	cat >"$d/l1.sh" <<-EOF
		$line
		sleep 1000 & sleep 1000 & unshare -pf sh $d/l2.sh &
		while [ ! -e $d/ready ]; do sleep 0.05; done
		read -r go <$d/gate
		exit 0
	EOF
	mkfifo "$d/gate"
	start_agent trace --json -e signal,teardown
	window_begin
	unshare -pf sh "$d/l1.sh" &
	NESTED_UNSHARE=$!
	track_pid "$NESTED_UNSHARE"
	until [[ -e $d/ready ]]; do
		running "$NESTED_UNSHARE" || fail "the nested namespaces did not start"
		sleep 0.05
	done
	NESTED_INIT=$(children_of "$NESTED_UNSHARE")
	[[ $NESTED_INIT =~ ^[0-9]+$ ]] ||
		fail "unshare $NESTED_UNSHARE has no single child (the init): '$NESTED_INIT'"
	# every process in the outer namespace but its init, before it exits
	NESTED_VICTIMS=$(descendants "$NESTED_INIT" | sort -n)
	n=$(grep -c . <<<"$NESTED_VICTIMS")
	detail "init $NESTED_INIT; its namespace's other processes: $(paste -sd' ' <<<"$NESTED_VICTIMS")"
	assert_eq "processes in the outer namespace besides its init" 10 "$n"
}

# nested_pidns_teardown: the outer init of nested_pidns_start exits; checks that each of the
# 10 is SIGKILLed by the teardown (zap_pid_ns_processes() kills the nested namespaces'
# processes too) and nothing else, and sets NESTED_EVENT to the teardown event.
nested_pidns_teardown()
{
	local want
	echo go >"$CASE_DIR/gate"
	wait "$NESTED_UNSHARE" || true
	window_end
	stop_agent
	# shellcheck disable=SC2086 # one pid a word
	focus "$NESTED_INIT" $NESTED_VICTIMS
	want=$(paste -sd, <<<"$NESTED_VICTIMS")
	assert_count "teardown SIGKILLs sent by init $NESTED_INIT" 10 \
		".type == \"signal\" and .sig == 9 and .origin == \"pidns_teardown\" and .sender_pid == $NESTED_INIT"
	assert_none "SIGKILLs of the victims called anything but the teardown's" \
		".type == \"signal\" and .sig == 9 and (.pid | IN($want)) and .origin != \"pidns_teardown\""
	NESTED_EVENT=$(expect_one "teardown of the outer namespace (init $NESTED_INIT)" \
		".type == \"teardown\" and .pid == $NESTED_INIT")
}

# --- scenarios -------------------------------------------------------------------

# wait_scenario_ready WHAT PID [SECONDS] [ERRFILE]: until the scenario PID, run in the
# background with its output in $SCEN_OUT, has printed ready=1 (at most SECONDS, 20 by
# default); a failure shows ERRFILE (its stderr) if given.
wait_scenario_ready()
{
	_wait_ready "$1" "$2" "${3:-20}" "${4:-/dev/null}" "printed ready=1" -xF ready=1 "$SCEN_OUT"
}

# start_reaped NAME ARG...: scenario NAME in a pid namespace of its own under reaper_run, so
# that nothing it orphans is left to the host's init; output in SCEN_OUT, its pid in
# REAPED_PID, once it has printed ready=1 (60 s at most).
start_reaped()
{
	local name=$1
	shift
	SCEN_OUT=$CASE_DIR/$name.out
	unshare --pid --fork --kill-child "$SCENARIOS/reaper_run" \
		"$SCENARIOS/$name" "$@" >"$SCEN_OUT" 2>"$SCEN_OUT.err" &
	REAPED_PID=$!
	track_pid "$REAPED_PID"
	wait_scenario_ready "scenario $name" "$REAPED_PID" 60 "$SCEN_OUT.err"
}

# start_scenario NAME ARGS...: run a scenario program in the background, killed when the case
# ends, until it prints ready=1 (20 s at most); its pid in SCEN_PID, its key=value output in
# $SCEN_OUT (kv reads it), its stderr in $CASE_DIR/NAME.err.
start_scenario()
{
	local name=$1
	shift
	[[ -x $SCENARIOS/$name ]] || fail "scenario $SCENARIOS/$name is not built (make scenarios)"
	SCEN_OUT=$CASE_DIR/$name.out
	"$SCENARIOS/$name" "$@" >"$SCEN_OUT" 2>"$CASE_DIR/$name.err" &
	SCEN_PID=$!
	track_pid "$SCEN_PID"
	wait_scenario_ready "scenario $name" "$SCEN_PID" 20 "$CASE_DIR/$name.err"
}

# scenario NAME ARGS...: run a scenario program to completion (at most 30 s); its
# key=value output is in $SCEN_OUT (and kv reads it). Fails the case if it fails.
scenario()
{
	local name=$1 rc=0
	shift
	[[ -x $SCENARIOS/$name ]] || fail "scenario $SCENARIOS/$name is not built (make scenarios)"
	SCEN_OUT=$CASE_DIR/$name.$RANDOM.out
	window_begin
	timeout -k 5 30 "$SCENARIOS/$name" "$@" >"$SCEN_OUT" 2>"$CASE_DIR/$name.err" || rc=$?
	window_end
	if [[ $rc -ne 0 ]]; then
		detail "scenario output:" "$(cat "$SCEN_OUT")"
		fail "scenario $name $* exited with status $rc"
	fi
}

# kv KEY [FILE]: the value a scenario printed as KEY=value.
kv()
{
	local key=$1 file=${2:-$SCEN_OUT} value
	value=$(sed -n "s/^$key=//p" "$file" | sed -n 1p)
	[[ -n $value ]] || fail "scenario printed no $key= (output: $(tr '\n' ' ' <"$file"))"
	echo "$value"
}

# gated_start OUT CMD...: start CMD in the background, held before it execs until
# gate_open; its pid (which CMD keeps) is in GATED_PID. Output goes to OUT.
gated_start()
{
	local out=$1
	shift
	GATE=$CASE_DIR/gate.$RANDOM
	mkfifo "$GATE"
	# shellcheck disable=SC2016 # expanded by the inner shell
	bash -c 'read -r _ <"$0"; exec "$@"' "$GATE" "$@" >"$out" 2>"$out.err" &
	GATED_PID=$!
	track_pid "$GATED_PID"
}

gate_open()
{
	window_begin
	echo go >"$GATE"
}

# --- agent -------------------------------------------------------------------------

# start_agent [--name NAME] [--ready TEXT] ARGS...: start `reapwatch ARGS...` in the
# background and wait until its stderr says TEXT (default: that it is tracing). Its stdout is
# $CASE_DIR/NAME.out (also put in $EVENTS for the event helpers), stderr $CASE_DIR/NAME.err.
# NAME defaults to "agent".
start_agent()
{
	local name=agent ready=$AGENT_READY pid
	while [[ ${1:-} == --name || ${1:-} == --ready ]]; do
		if [[ $1 == --name ]]; then name=$2; else ready=$2; fi
		shift 2
	done
	[[ -x $AGENT ]] || fail "agent $AGENT is not built (make)"
	EVENTS=$CASE_DIR/$name.out
	: >"$CASE_DIR/$name.err"
	# SIGINT must reach the agent as it does at a terminal; a non-interactive shell would
	# start a background job with SIGINT ignored.
	env --default-signal=INT "$AGENT" "$@" >"$EVENTS" 2>"$CASE_DIR/$name.err" &
	pid=$!
	AGENT_PID[$name]=$pid
	echo "$*" >"$CASE_DIR/$name.args"
	track_pid "$pid"
	wait_printed "reapwatch $*" "$pid" "$CASE_DIR/$name.err" "$ready"
}

# trace_scenario [TRACE_ARGS...] -- NAME ARGS...: one run of scenario NAME under
# `reapwatch trace --json TRACE_ARGS...` (start_agent, scenario, stop_agent): its events in
# $EVENTS, its key=value output for kv.
trace_scenario()
{
	local args=()
	while [[ $# -gt 0 && $1 != -- ]]; do
		args+=("$1")
		shift
	done
	[[ ${1:-} == -- ]] || fail "trace_scenario: no -- before the scenario's name"
	shift
	start_agent trace --json "${args[@]}"
	scenario "$@"
	stop_agent
}

# kill_from_shell KILL_ARGS [TRACE_ARGS...]: under `reapwatch trace --json TRACE_ARGS...`, a bash
# starts `sleep 30 &` and runs `kill KILL_ARGS` on it: the shell's pid in KILL_SHELL, the
# sleep's in KILL_VICTIM (both in focus).
kill_from_shell()
{
	local how=$1 out
	shift
	start_agent trace --json "$@"
	out=$CASE_DIR/shell.out
	window_begin
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout 30 bash -c 'sleep 30 & echo "shell=$$"; echo "victim=$!"; kill '"$how"' $!; wait' \
		>"$out" 2>/dev/null || true
	window_end
	stop_agent
	KILL_SHELL=$(kv shell "$out")
	KILL_VICTIM=$(kv victim "$out")
	focus "$KILL_SHELL" "$KILL_VICTIM"
}

# stop_agent: let the last events arrive, SIGINT the agent, and check that it exits 0, with
# (trace) its summary line, and (with --json) that every line it wrote is a JSON object.
# stop_named_agent NAME [SIGNAL]: the same for an agent started with --name NAME.
stop_agent()
{
	stop_named_agent agent
}

stop_named_agent()
{
	local name=$1 signal=${2:-INT} pid args out err deadline rc=0
	pid=${AGENT_PID[$name]}
	args=$(cat "$CASE_DIR/$name.args")
	out=$CASE_DIR/$name.out
	err=$CASE_DIR/$name.err
	EVENTS=$out
	sleep "$SETTLE_SECONDS"
	kill "-$signal" "$pid" 2>/dev/null || true
	deadline=$((SECONDS + AGENT_STOP_TIMEOUT))
	while running "$pid"; do
		if [[ $SECONDS -ge $deadline ]]; then
			kill -KILL "$pid" 2>/dev/null || true
			fail "reapwatch $args did not exit within $AGENT_STOP_TIMEOUT s of SIG$signal"
		fi
		sleep 0.05
	done
	wait "$pid" || rc=$?
	[[ $rc -eq 0 ]] ||
		fail "reapwatch $args exited with status $rc after SIG$signal (expected 0)"
	if [[ $args == trace* ]]; then
		grep -Eq "$AGENT_SUMMARY_RE" "$err" ||
			fail "reapwatch $args: no 'reapwatch: N events, M lost' line on stderr after SIG$signal"
		# Lost events explain missing ones; say so next to any failure of this case.
		if ! grep -Eq '^reapwatch: [0-9]+ events, 0 lost$' "$err"; then
			detail "NOTE: reapwatch $args: $(grep -E "$AGENT_SUMMARY_RE" "$err" | tail -n1)"
		fi
	fi
	if [[ " $args " == *" --json "* || " $args " == *" -j "* ]]; then
		check_json_lines "$out"
	fi
}

# check_json_lines FILE: every line is one JSON object, and the file is valid UTF-8.
check_json_lines()
{
	local file=$1 n=0 line
	if ! iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1; then
		detail "first lines that are not UTF-8:" \
			"$(grep -naxv '.*' "$file" | sed -n 1,3p | cat -v)"
		fail "output is not valid UTF-8 (JSON must be)"
	fi
	if jq -e -s 'all(type == "object")' "$file" >/dev/null 2>&1 &&
		[[ $(jq -c . "$file" | wc -l) -eq $(wc -l <"$file") ]]; then
		return 0
	fi
	while IFS= read -r line || [[ -n $line ]]; do
		n=$((n + 1))
		if ! jq -e 'type == "object"' <<<"$line" >/dev/null 2>&1; then
			detail "line $n: $(cat -v <<<"$line")"
			fail "output line $n is not one JSON object"
		fi
	done <"$file"
	fail "output is not one JSON object per line"
}


# --- events ------------------------------------------------------------------------

now_us()
{
	echo $(($(date +%s%N) / 1000))
}

# The event helpers below (but assert_none) look only at events timed within the case's
# window: from just before its first scenario started to a second after its last one ended.
# So a pid in a filter cannot match another process that had the same pid earlier or later
# (pids wrap quickly on a busy host). scenario, gate_open and wait_child move the window;
# a case that starts processes by other means calls window_begin and window_end itself.
window_begin()
{
	[[ -n ${WINDOW_FROM:-} ]] || WINDOW_FROM=$(($(now_us) - 200000))
}

window_end()
{
	WINDOW_TO=$(($(now_us) + 1000000))
}

# events FILTER: the events (compact JSON, one a line) in the window for which FILTER is true.
events()
{
	jq -c --argjson from "${WINDOW_FROM:-0}" --argjson to "${WINDOW_TO:-0}" \
		"$JQ_DEFS"'def in_window: (.time | usec) as $t | $t >= $from and ($to == 0 or $t <= $to);
		select(in_window and ('"$1"'))' "$EVENTS"
}

count_events()
{
	events "$1" | wc -l
}

# assert_none DESC FILTER: no event at all in the output (window or not) matches FILTER.
assert_none()
{
	local desc=$1 filter=$2 found
	found=$(jq -c "$JQ_DEFS select($filter)" "$EVENTS" | sed -n 1,10p)
	if [[ -n $found ]]; then
		detail "filter: $filter" "matching events:" "$found"
		fail "$desc: expected none, got $(jq -c "$JQ_DEFS select($filter)" "$EVENTS" | wc -l)"
	fi
}

# focus PID...: the pids a case is about; failures show every event that mentions them.
focus()
{
	FOCUS_PIDS=("$@")
}

_show_focus()
{
	local list
	[[ -n ${FOCUS_PIDS[*]:-} ]] || return 0
	list=$(printf '%s,' "${FOCUS_PIDS[@]}")
	detail "events that mention pids ${list%,}:"
	detail "$(jq -c --argjson p "[${list%,}]" \
		'select(any(.pid, .ppid, .reaper_pid, .sender_pid, .old_ppid, .new_ppid;
		            . as $x | $p | any(.[]; . == $x)))' "$EVENTS" 2>/dev/null |
		sed -n 's/^/  /; 1,25p')"
}

# expect_one DESC FILTER: print the one event matching FILTER; fail unless exactly one.
expect_one()
{
	local desc=$1 filter=$2 found n
	found=$(events "$filter")
	n=$(grep -c . <<<"$found" || true)
	if [[ $n -ne 1 ]]; then
		detail "filter: $filter" "matching events:" "$(head -n 10 <<<"$found")"
		_show_focus
		fail "$desc: expected exactly 1 event, got $n"
	fi
	echo "$found"
}

# assert_count DESC N FILTER
assert_count()
{
	local desc=$1 want=$2 filter=$3 n
	n=$(count_events "$filter")
	if [[ $n -ne $want ]]; then
		detail "filter: $filter" "matching events:" "$(events "$filter" | sed -n 1,10p)"
		_show_focus
		fail "$desc: expected $want events, got $n"
	fi
}

# assert_fields EVENT DESC EXPR JSON [EXPR JSON...]: each jq EXPR on EVENT gives JSON.
assert_fields()
{
	local event=$1 desc=$2 expr want got bad=()
	shift 2
	while [[ $# -ge 2 ]]; do
		expr=$1 want=$2
		shift 2
		want=$(jq -c . <<<"$want") || fail "test bug: expected value '$2' is not JSON"
		got=$(jq -c "$JQ_DEFS $expr" <<<"$event" 2>&1) || got="(jq error: $got)"
		[[ $got == "$want" ]] || bad+=("$expr expected $want, got $got")
	done
	if [[ ${#bad[@]} -gt 0 ]]; then
		detail "event: $event"
		fail "$desc: $(printf '%s; ' "${bad[@]}" | sed 's/; $//')"
	fi
}

# assert_eq DESC EXPECTED ACTUAL
assert_eq()
{
	[[ $2 == "$3" ]] || fail "$1: expected '$2', got '$3'"
}

# assert_true DESC EVENT JQ_CONDITION: a condition (e.g. a bound) holds for EVENT.
assert_true()
{
	local desc=$1 event=$2 cond=$3
	if [[ $(jq -c "$JQ_DEFS $cond" <<<"$event" 2>&1) != true ]]; then
		detail "event: $event"
		fail "$desc: expected $cond"
	fi
}

# assert_contains DESC FILE TEXT: FILE contains TEXT (fixed string).
assert_contains()
{
	if ! grep -qF -- "$3" "$2"; then
		detail "$(basename "$2"):" "$(head -n 10 "$2")"
		fail "$1: expected to contain '$3'"
	fi
}

# --- reapwatch.prom ------------------------------------------------------------------
# export's file, read as JSON lines of samples: snap (or fresh_snap) a copy that promtool
# accepts, then val picks a sample out of it.

PROM=reapwatch.prom

# One line of the text format -> {n: name, l: {labels, unescaped}, v: value}; comments and
# blank lines dropped; anything else is an error.
# shellcheck disable=SC2016 # jq program
PROM_JQ='
def unesc: [scan("\\\\.|[^\\\\]+")]
	| map(if . == "\\n" then "\n" elif startswith("\\") then .[1:] else . end) | join("");
if test("^#") or . == "" then empty
else
	(capture("^(?<n>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<l>.*)\\})? (?<v>[^ ]+)$")
	 // error("not a sample line: \(.)"))
	| {n, v: (.v | tonumber? // .),
	   l: ([(.l // "") | scan("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
	       | map({key: .[0], value: (.[1] | unesc)}) | from_entries)}
end'

# file_id DIR: what changes at every rewrite of DIR/reapwatch.prom (a rename brings a new
# inode; the modification time tells apart a reused inode number).
file_id()
{
	stat -c '%i %.9Y %.9Z' "$1/$PROM" 2>/dev/null || echo none
}

# snap DIR: copy DIR/reapwatch.prom; it must pass `promtool check metrics`. Sets SNAP (the
# samples as JSON lines, see PROM_JQ), SNAP_PROM (the copy) and SNAP_MTIME (when it was
# written, seconds since the epoch).
SNAP_SEQ=0
snap()
{
	local dir=$1 out
	SNAP_SEQ=$((SNAP_SEQ + 1))
	SNAP_PROM=$CASE_DIR/snap$SNAP_SEQ.prom
	SNAP=$CASE_DIR/snap$SNAP_SEQ.jsonl
	# cp reads whichever complete file the name points at: a rename never truncates it.
	# shellcheck disable=SC2034 # for the scripts
	SNAP_MTIME=$(stat -c %.9Y "$dir/$PROM")
	cp "$dir/$PROM" "$SNAP_PROM"
	prom_check "$SNAP_PROM"
	jq -R -c "$PROM_JQ" "$SNAP_PROM" >"$SNAP" 2>"$SNAP.err" || {
		detail "$(cat "$SNAP.err")"
		fail "$SNAP_PROM: a line the test cannot parse as a sample"
	}
}

# prom_check FILE: `promtool check metrics` finds no problem (lint warnings included).
prom_check()
{
	local out
	if ! out=$(promtool check metrics <"$1" 2>&1) || [[ -n $out ]]; then
		detail "promtool check metrics:" "$(sed -n 1,10p <<<"$out")" \
			"file (first lines):" "$(sed -n 1,12p "$1" | cat -v)"
		fail "promtool check metrics rejects $(basename "$1"): $(sed -n 1p <<<"$out")"
	fi
}

# fresh_snap DIR: snap a file written entirely after this call began (two rewrites later:
# the first may have collected its numbers before the call), 10 s at most for each.
fresh_snap()
{
	local dir=$1 id0 i deadline
	for i in 1 2; do
		id0=$(file_id "$dir")
		deadline=$((SECONDS + 10))
		while [[ $(file_id "$dir") == "$id0" ]]; do
			((SECONDS < deadline)) || fail "no rewrite of $dir/$PROM within 10 s"
			sleep 0.05
		done
	done
	snap "$dir"
}

# val NAME LABELS_JSON [JSONL]: the value of the one sample NAME whose labels include
# LABELS_JSON (exact values); "absent" if none; fails if several match.
val()
{
	local name=$1 labels=$2 file=${3:-$SNAP} found n
	found=$(jq -r --arg n "$name" --argjson w "$labels" \
		'select(.n == $n and (.l as $l | $w | to_entries | all(.value == $l[.key]))) | .v' \
		"$file")
	n=$(grep -c . <<<"$found" || true)
	if [[ $n -eq 0 ]]; then
		echo absent
	elif [[ $n -eq 1 ]]; then
		echo "$found"
	else
		fail "$name $labels: $n samples in $(basename "$file") (expected one)"
	fi
}

# --- Kubernetes names --------------------------------------------------------------

# wait_fresh FILE SECONDS: FILE (an export's) rewritten less than SECONDS ago, within 10 s.
wait_fresh()
{
	local deadline=$((SECONDS + 10))
	until [[ -f $1 && $(($(date +%s) - $(stat -c %Y "$1"))) -lt $2 ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "$1 not rewritten less than $2 s ago within 10 s"
		sleep 0.1
	done
}

# kubelet_log DIR POD NS CTR ID [POD_UID]: the kubelet's log entry DIR/POD_NS_CTR-ID.log, where
# the agent finds container ID's names. With POD_UID a link into DIR/../pods as on a node,
# removed when the case ends; without, an empty file.
kubelet_log()
{
	local dir=$1 pod=$2 ns=$3 ctr=$4 id=$5 pod_uid=${6:-} link pods logdir d
	link=$dir/${pod}_${ns}_$ctr-$id.log
	if [[ -z $pod_uid ]]; then
		: >"$link"
		return 0
	fi
	pods=${dir%/*}/pods
	logdir=$pods/${ns}_${pod}_$pod_uid
	for d in "$pods" "$dir"; do
		if [[ ! -d $d ]]; then
			mkdir -p "$d"
			at_case_exit rmdir "$d"
		fi
	done
	mkdir -p "$logdir/$ctr"
	: >"$logdir/$ctr/0.log"
	at_case_exit rm -rf "$logdir"
	ln -s "$logdir/$ctr/0.log" "$link"
	at_case_exit rm -f "$link"
}
