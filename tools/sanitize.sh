#!/usr/bin/env bash
# make sanitize: the unit tests and the agent built with AddressSanitizer (LeakSanitizer
# included) and UndefinedBehaviorSanitizer, then a short storm for the agent: `trace --json`
# and `export --log-events` (two writes a second) while a fork/exit storm (the soak scenario:
# orphans, reaps, pid namespace teardowns) runs, and `zombies --json` while three zombies wait
# for a reaper and the agents know their ages. Any sanitizer report fails it; so does any
# command that does not end as it should.
#
#   tools/sanitize.sh SAN_DIR      (SAN_DIR: where make put reapwatch and tests/unit/)
#
# Environment: REAPWATCH_SANITIZE_STORM (processes in the storm, default 3000).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

SAN=${1:?usage: tools/sanitize.sh SAN_DIR}
AGENT=$SAN/reapwatch
SCENARIOS=build/tests/scenarios
STORM=${REAPWATCH_SANITIZE_STORM:-3000}
# A report ends the process with this status, so that it cannot pass for another failure.
SAN_STATUS=86
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=$SAN_STATUS:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=$SAN_STATUS"
export LSAN_OPTIONS="exitcode=$SAN_STATUS"
SAN_REPORT='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer|LeakSanitizer has encountered'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/reapwatch-sanitize.XXXXXX")
pids=()
cleanup()
{
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0

fail()
{
	echo "sanitize: FAIL $*" >&2
	failed=1
}

# check NAME STATUS WANT ERRFILE: the command NAME ended with status WANT and its stderr has
# no sanitizer report.
check()
{
	local name=$1 status=$2 want=$3 err=$4
	if grep -Eq "$SAN_REPORT" "$err"; then
		fail "$name: a sanitizer report:"
		sed 's/^/    /' "$err" | head -n 60 >&2
	elif [[ $status -ne $want ]]; then
		fail "$name: exit status $status (expected $want):"
		sed 's/^/    /' "$err" | head -n 20 >&2
	else
		echo "sanitize: ok   $name"
	fi
}

# wait_for FILE TEXT PID: until FILE has TEXT, as long as PID runs (at most 30 s).
wait_for()
{
	local deadline=$((SECONDS + 30))
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || return 1
		[[ $SECONDS -lt $deadline ]] || return 1
		sleep 0.05
	done
}

# stop PID SIGNAL: signal PID and wait for it (at most 30 s); its exit status.
stop()
{
	local deadline=$((SECONDS + 30)) rc=0
	kill "-$2" "$1" 2>/dev/null || true
	while kill -0 "$1" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" || rc=$?
	return "$rc"
}

# LeakSanitizer stops the process's threads with ptrace at exit: where ptrace is denied
# (yama ptrace_scope 3, a seccomp profile) it cannot run, and says so rather than passing.
cat >"$tmp/leak.c" <<'EOF'
#include <stdlib.h>
int main(void) { return malloc(1) ? 0 : 1; }
EOF
if cc -fsanitize=address -g "$tmp/leak.c" -o "$tmp/leak" 2>"$tmp/leak.err"; then
	rc=0
	"$tmp/leak" 2>"$tmp/leak.err" || rc=$?
	if [[ $rc -ne $SAN_STATUS ]] || ! grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$tmp/leak.err"; then
		fail "LeakSanitizer does not run here (a known leak gave status $rc):"
		sed 's/^/    /' "$tmp/leak.err" | head -n 5 >&2
	fi
fi

# --- unit tests ---------------------------------------------------------------------
for t in "$SAN"/tests/unit/test_*; do
	rc=0
	"$t" >"$tmp/unit.out" 2>"$tmp/unit.err" || rc=$?
	cat "$tmp/unit.out" >>"$tmp/unit.err"
	check "unit $(basename "$t")" "$rc" 0 "$tmp/unit.err"
done

# --- the agent: trace and export through a storm, zombies beside them -------------------
if [[ $(id -u) -ne 0 ]]; then
	fail "the agent's storm needs root"
	exit 1
fi
mkdir "$tmp/textfile"
env --default-signal=INT "$AGENT" trace --json -e all >"$tmp/trace.out" 2>"$tmp/trace.err" &
trace_pid=$!
pids+=("$trace_pid")
"$AGENT" export --textfile-dir "$tmp/textfile" -i 0.5 --log-events >"$tmp/export.out" \
	2>"$tmp/export.err" &
export_pid=$!
pids+=("$export_pid")
wait_for "$tmp/trace.err" 'reapwatch: tracing' "$trace_pid" || fail "trace did not start"
wait_for "$tmp/export.err" 'reapwatch: exporting' "$export_pid" || fail "export did not start"

"$SCENARIOS/zombies" >"$tmp/zombies-scenario.out" 2>&1 &
zombie_parent=$!
pids+=("$zombie_parent")
wait_for "$tmp/zombies-scenario.out" 'ready=1' "$zombie_parent" || fail "scenario zombies not ready"

rc=0
timeout -k 5 60 unshare --pid --fork --kill-child "$SCENARIOS/soak" "$STORM" \
	>"$tmp/soak.out" 2>"$tmp/soak.err" || rc=$?
[[ $rc -eq 0 ]] || fail "the storm (soak $STORM) exited with status $rc: $(head -n3 "$tmp/soak.err")"
sleep 1.2 # two more writes of reapwatch.prom after the storm

rc=0
"$AGENT" zombies --json >"$tmp/zombies.out" 2>"$tmp/zombies.err" || rc=$?
check "zombies --json" "$rc" 0 "$tmp/zombies.err"
# The three zombies, their ages known from the agents' pins: the pins path ran too.
n=$(grep -c '"comm":"zmb_child".*"age_seconds":[0-9]' "$tmp/zombies.out" || true)
[[ $n -eq 3 ]] || fail "zombies --json: $n zombies of the scenario with an age, expected 3"
kill -TERM "$zombie_parent" 2>/dev/null
wait "$zombie_parent" 2>/dev/null

rc=0
stop "$trace_pid" INT || rc=$?
check "trace --json" "$rc" 0 "$tmp/trace.err"
events=$(grep -c . "$tmp/trace.out" || true)
[[ $events -ge $STORM ]] || fail "trace --json wrote $events events for a storm of $STORM processes"
rc=0
stop "$export_pid" TERM || rc=$?
check "export" "$rc" 0 "$tmp/export.err"
grep -q '^reapwatch: wrote .* time' "$tmp/export.err" || fail "export: no closing line"
[[ -s $tmp/textfile/reapwatch.prom ]] || fail "export wrote no reapwatch.prom"

if [[ $failed -ne 0 ]]; then
	echo "sanitize: FAILED" >&2
	exit 1
fi
echo "sanitize: clean (unit tests, trace, export and zombies under ASan+UBSan; a storm of $STORM processes)"
