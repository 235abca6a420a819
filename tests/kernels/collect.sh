#!/bin/sh
# shellcheck shell=dash
# The kernel suite's first half: runs the scenarios under the agent and keeps everything
# they printed in OUT; it judges nothing. tests/kernels/check.sh reads OUT on the host
# (jq and promtool are there, not in the VM) and prints PASS/FAIL/SKIP.
#
#   collect.sh AGENT SCENARIO_DIR OUT
#
# It runs inside a VM's busybox initramfs (/init of tools/vm-run.sh) and natively on the
# host, with busybox's applets first in PATH both times, so that the shell, sleep, kill and
# unshare are the same programs everywhere. Hence POSIX sh, not bash (no bash in the VM).
#
# OUT gets: kernel, host_pidns, version, trace.{json,err,rc}, trace-debug.err (libbpf's log
# when trace did not start), export.{out,err,rc}, prom/reapwatch.prom, and per scenario
# scen/NAME.{out,err,rc} (key=value lines the checks read).
set -eu

AGENT=$1
SCEN=$2
OUT=$3
READY_TIMEOUT=${REAPWATCH_READY_TIMEOUT:-90}

mkdir -p "$OUT/scen" "$OUT/prom"
uname -r >"$OUT/kernel"
readlink /proc/self/ns/pid | tr -dc 0-9 >"$OUT/host_pidns"
"$AGENT" --version >"$OUT/version" 2>&1 || true

# Seconds since boot on each line: where a slow VM spends its time.
log()
{
	local up
	read -r up _ </proc/uptime
	echo "collect: [$up] $*" >&2
}

# alive PID: PID exists and is not a zombie (a child we have not waited for yet is one).
alive()
{
	local state
	state=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_ready PID ERRFILE TEXT: until ERRFILE has TEXT; false if PID exits first or time runs out.
wait_ready()
{
	local pid=$1 err=$2 text=$3 n=0
	until grep -qF "$text" "$err"; do
		alive "$pid" || return 1
		n=$((n + 1))
		[ "$n" -le $((READY_TIMEOUT * 10)) ] || return 1
		sleep 0.1
	done
}

# stop PID NAME: SIGTERM an agent, wait (at most 20 s) and keep its exit status in NAME.rc.
stop()
{
	local pid=$1 name=$2 n=0 rc=0
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid" && [ $n -lt 200 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" || rc=$?
	echo "$rc" >"$OUT/$name.rc"
}

# run NAME PROG ARGS...: one scenario program to its end (at most 30 s).
run()
{
	local name=$1 prog=$2 rc=0
	shift 2
	timeout -k 5 30 "$SCEN/$prog" "$@" >"$OUT/scen/$name.out" 2>"$OUT/scen/$name.err" || rc=$?
	echo "$rc" >"$OUT/scen/$name.rc"
}

# children PID: the pids of PID's children (all its threads').
children()
{
	cat /proc/"$1"/task/*/children 2>/dev/null || true
}

# nspid PID: PID's number in its own pid namespace.
nspid()
{
	sed -n 's/^NSpid:.*[[:space:]]\([0-9]*\)$/\1/p' "/proc/$1/status" 2>/dev/null || true
}

# percpu_kb: the kernel's per-CPU allocations (/proc/meminfo's Percpu), where the agents'
# per-CPU maps go: a value for every possible CPU (the VMs have 64, see tools/vm-run.sh).
percpu_kb()
{
	sed -n 's/^Percpu:[[:space:]]*\([0-9]*\) kB$/\1/p' /proc/meminfo
}

# --- agents -------------------------------------------------------------------------
# Both start at once: their verifier passes overlap (the slow part under TCG).
log "starting agents"
{
	echo "possible=$(cat /sys/devices/system/cpu/possible)"
	echo "before_kb=$(percpu_kb)"
} >"$OUT/percpu"
"$AGENT" trace --json -e all >"$OUT/trace.json" 2>"$OUT/trace.err" &
TRACE=$!
"$AGENT" export --textfile-dir "$OUT/prom" -i 1 >"$OUT/export.out" 2>"$OUT/export.err" &
EXPORT=$!
if wait_ready "$TRACE" "$OUT/trace.err" "reapwatch: tracing"; then
	echo ready >"$OUT/trace.state"
else
	echo failed >"$OUT/trace.state"
	log "trace did not start; again with libbpf's log"
	# libbpf's own log says what the verifier refused; its tail is where the reason is.
	REAPWATCH_DEBUG=1 timeout -k 5 90 "$AGENT" trace --json -d 1 >/dev/null 2>"$OUT/trace-debug.full" || true
	tail -n 400 "$OUT/trace-debug.full" >"$OUT/trace-debug.err"
	rm -f "$OUT/trace-debug.full"
fi
if wait_ready "$EXPORT" "$OUT/export.err" "reapwatch: exporting"; then
	echo ready >"$OUT/export.state"
else
	echo failed >"$OUT/export.state"
fi
log "trace $(cat "$OUT/trace.state"), export $(cat "$OUT/export.state")"
echo "agents_kb=$(percpu_kb)" >>"$OUT/percpu"

# --- exits, signals, reaps ---------------------------------------------------------
run exit_blocked exit_code blocked 7
run exit_late exit_code late 7
run wait_hog wait_kinds hog
run wait_hog_two wait_kinds hog_two
run wait_clone wait_kinds clone
run wait_threads wait_kinds threads
run killed_term killed_by 15 kill
run killed_kill killed_by 9 kill

# A write to a pipe nobody reads: the kernel's SIGPIPE to the writer (no siginfo: SI_USER, the
# writer its own sender; on 7.3 a kill() comes with no siginfo too).
# shellcheck disable=SC2016 # expanded by the inner shell
sh -c 'echo "writer=$$" >"$0"; exec yes' "$OUT/scen/sigpipe.out" 2>/dev/null | head -c1 >/dev/null || true

# `kill -9` from a shell: a user's SIGKILL.
# shellcheck disable=SC2016 # expanded by the inner shell
sh -c 'read -r c </proc/$$/comm; echo "shell=$$"; echo "shell_comm=$c"
	sleep 30 & echo "victim=$!"; kill -9 $!; wait' >"$OUT/scen/shell_kill.out" 2>&1 || true

# --- a pid namespace torn down ------------------------------------------------------
# unshare's child, a shell, is the namespace's init. It starts three members: the first
# ignores SIGTERM (SIG_IGN survives its exec of sleep). Once the outside has found them, it
# SIGTERMs the init (as a runtime's stop does; an init ignores it) and says go; the init
# SIGTERMs the first member, waits 200 ms and exits 0: the kernel SIGKILLs all three, two of
# them without any SIGTERM before, and the grace period runs from the outside's SIGTERM.
log "pidns teardown"
G=$OUT/scen/teardown.gate
mkdir -p "$G"
# shellcheck disable=SC2016 # expanded by the namespace's init
unshare -p -f sh -c '
	sh -c "trap \"\" TERM; exec sleep 1000" &
	a=$!
	sleep 1000 &
	b=$!
	sleep 1000 &
	c=$!
	echo "$a $b $c" >"$0/nspids"
	n=0
	while [ ! -e "$0/go" ] && [ $n -lt 400 ]; do
		n=$((n + 1))
		sleep 0.05
	done
	kill -TERM "$a"
	sleep 0.2
	exit 0' "$G" >"$OUT/scen/teardown.err" 2>&1 &
UNSHARE=$!
TD=$OUT/scen/teardown.out
: >"$TD"
n=0
init=""
found=0
while [ $n -lt 200 ] && [ $found -lt 3 ]; do
	n=$((n + 1))
	sleep 0.05
	[ -n "$init" ] || init=$(children "$UNSHARE" | tr ' ' '\n' | sed -n 1p)
	if [ -z "$init" ] || [ ! -s "$G/nspids" ]; then
		continue
	fi
	found=0
	: >"$TD.members"
	read -r nspids <"$G/nspids"
	for ns in $nspids; do
		for p in $(children "$init"); do
			# The member has exec'd sleep (until then it is a copy of the shell).
			if [ "$(nspid "$p")" = "$ns" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ]; then
				found=$((found + 1))
				echo "$p $ns" >>"$TD.members"
			fi
		done
	done
done
{
	echo "unshare=$UNSHARE"
	echo "init=$init"
	echo "init_comm=$(cat "/proc/$init/comm" 2>/dev/null)"
	echo "pidns=$(readlink "/proc/$init/ns/pid" | tr -dc 0-9)"
	i=1
	while read -r p ns; do
		echo "member$i=$p"
		echo "member${i}_ns=$ns"
		i=$((i + 1))
	done <"$TD.members"
	echo "found=$found"
} >>"$TD"
[ -z "$init" ] || kill -TERM "$init" 2>/dev/null || true
touch "$G/go"
rc=0
wait "$UNSHARE" || rc=$?
echo "$rc" >"$OUT/scen/teardown.rc"

# --- orphans ------------------------------------------------------------------------
run orphan_subreaper orphan subreaper
run orphan_pidns orphan pidns

# --- zombies ------------------------------------------------------------------------
log "zombies"
"$SCEN/zombies" >"$OUT/scen/zombies.out" 2>"$OUT/scen/zombies.err" &
ZP=$!
n=0
until grep -q '^ready=1$' "$OUT/scen/zombies.out" || [ $n -ge 200 ]; do
	n=$((n + 1))
	sleep 0.1
done
# Old enough that an exact age and an unknown one cannot be mistaken for each other.
sleep 1.2
echo "before_s=$(date +%s)" >"$OUT/zombies.times"
rc=0
timeout -k 5 60 "$AGENT" zombies --json >"$OUT/zombies.json" 2>"$OUT/zombies.err" || rc=$?
echo "$rc" >"$OUT/zombies.rc"
echo "after_s=$(date +%s)" >>"$OUT/zombies.times"
kill -TERM "$ZP" 2>/dev/null || true
wait "$ZP" || true

# --- the end ------------------------------------------------------------------------
# The last frees arrive up to tens of ms after a reap (RCU), slower under TCG.
sleep 1
log "stopping agents"
stop "$TRACE" trace
stop "$EXPORT" export
log "done"
