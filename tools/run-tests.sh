#!/usr/bin/env bash
# Runs reapwatch's tests and prints, as its very last line, "N passed, N failed" (with
# ", N skipped" when some were). Exit status 0 only if nothing failed.
#
#   tools/run-tests.sh [--unit BIN...] [--integration]
#
# --unit BIN...   cmocka programs: each is run and its "[  PASSED  ] N test(s)." and
#                 "[  FAILED  ] N test(s)," lines are counted; one that crashes or fails
#                 without such a count counts as one failed test.
# --integration   every tests/integration/test_*.sh, in order, each with a time limit. A
#                 script prints "PASS name", "FAIL name: why" or "SKIP name: why" per case;
#                 one that exits non-zero without a FAIL, prints nothing or times out counts
#                 as one failed case. Needs root: otherwise every script counts as failed.
#
# Environment: REAPWATCH_TEST_TIMEOUT (seconds per integration script, default 180),
#              REAPWATCH_TESTS (only integration scripts whose name contains this).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

SCRIPT_TIMEOUT=${REAPWATCH_TEST_TIMEOUT:-180}
UNIT_TIMEOUT=60

passed=0
failed=0
skipped=0
failures=()

usage()
{
	sed -n '2,/^set /{ /^set /d; s/^# \{0,1\}//p }' "$0"
}

unit_bins=()
integration=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--unit)
		shift
		while [[ $# -gt 0 && $1 != --* ]]; do
			unit_bins+=("$1")
			shift
		done
		;;
	--integration)
		integration=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "run-tests.sh: unknown argument '$1'" >&2
		usage >&2
		exit 2
		;;
	esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-tests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Sum of the numbers a sed -E expression extracts from FILE.
sum_of()
{
	sed -nE "$1" "$2" | awk '{ s += $1 } END { print s + 0 }'
}

indent()
{
	sed 's/^/      /'
}

# --- unit tests -----------------------------------------------------------------
run_unit()
{
	local bin=$1 name out rc=0 p f s extra=""
	name=$(basename "$bin")
	out=$tmp/$name.unit
	if [[ ! -x $bin ]]; then
		echo "  FAIL $name: not built"
		failed=$((failed + 1))
		failures+=("unit $name: not built")
		return
	fi
	# In a subshell, so that the shell's note of a crash ("Aborted") lands in $out too.
	(CMOCKA_MESSAGE_OUTPUT=STDOUT timeout -k 5 "$UNIT_TIMEOUT" "$bin" >"$out" 2>&1 </dev/null
		exit $?) \
		2>>"$out" || rc=$?
	p=$(sum_of 's/^\[  PASSED  \] ([0-9]+) test\(s\)\..*/\1/p' "$out")
	f=$(sum_of 's/^\[  FAILED  \] ([0-9]+) test\(s\),.*/\1/p' "$out")
	s=$(sum_of 's/^\[  SKIPPED \] ([0-9]+) test\(s\),.*/\1/p' "$out")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if ! grep -Eq '^\[ +(PASSED|FAILED|SKIPPED) +\] [0-9]+ test\(s\)' "$out"; then
		f=1
		failed=$((failed + 1))
		failures+=("unit $name: exited with status $rc and reported no test counts")
	elif [[ $rc -ne 0 && $f -eq 0 ]]; then
		f=1
		failed=$((failed + 1))
		failures+=("unit $name: exited with status $rc although no test failed")
	else
		while IFS= read -r line; do
			failures+=("unit $name: $line")
		done < <(sed -nE 's/^\[  FAILED  \] ([^0-9].*)$/\1/p' "$out" | sort -u)
	fi
	if [[ $f -eq 0 ]]; then
		[[ $s -eq 0 ]] || extra=", $s skipped"
		echo "  ok   $name: $p passed$extra"
	else
		echo "  FAIL $name: $p passed, $f failed"
		grep -Ev '^\[ +(RUN|OK) +\]' "$out" | tail -n 40 | indent
	fi
}

if [[ ${#unit_bins[@]} -gt 0 ]]; then
	echo "unit tests"
	for bin in "${unit_bins[@]}"; do
		run_unit "$bin"
	done
fi

# --- integration tests ----------------------------------------------------------
run_script()
{
	local script=$1 name log err rc start p f s
	name=$(basename "$script")
	log=$tmp/$name.log
	err=$tmp/$name.err
	start=$SECONDS
	echo "  $name"
	timeout -k 10 "$SCRIPT_TIMEOUT" bash "$script" 2>"$err" </dev/null |
		tee "$log" | grep --line-buffered -E '^(PASS|FAIL|SKIP) ' | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	while IFS= read -r line; do
		failures+=("$name: ${line#FAIL }")
	done < <(grep '^FAIL ' "$log")
	if [[ $rc -eq 124 || $rc -eq 137 ]]; then
		f=$((f + 1))
		failures+=("$name: timed out after $SCRIPT_TIMEOUT s")
		echo "    FAIL $name: timed out after $SCRIPT_TIMEOUT s"
	elif [[ $rc -ne 0 && $f -eq 0 ]]; then
		f=$((f + 1))
		failures+=("$name: exited with status $rc without reporting a failed case")
		echo "    FAIL $name: exited with status $rc without reporting a failed case"
	elif [[ $((p + f + s)) -eq 0 ]]; then
		f=1
		failures+=("$name: reported no cases")
		echo "    FAIL $name: reported no cases"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [[ $f -gt 0 && -s $err ]]; then
		echo "    details ($name, stderr):"
		tail -n 80 "$err" | indent
	fi
	echo "    ($((SECONDS - start)) s)"
}

if [[ $integration -eq 1 ]]; then
	scripts=()
	for script in tests/integration/test_*.sh; do
		[[ -e $script ]] || continue
		[[ -z ${REAPWATCH_TESTS:-} || $script == *"$REAPWATCH_TESTS"* ]] || continue
		scripts+=("$script")
	done
	echo "integration tests"
	if [[ $(id -u) -ne 0 ]]; then
		echo "  integration tests need root (they load eBPF programs and run containers);" \
			"running as uid $(id -u): counting each of ${#scripts[@]} scripts as failed"
		for script in "${scripts[@]}"; do
			failed=$((failed + 1))
			failures+=("$(basename "$script"): not run (needs root)")
		done
	else
		# The tracepoints live in tracefs, which a fresh boot may not have mounted.
		mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing ||
			echo "  warning: cannot mount tracefs on /sys/kernel/tracing" >&2
		for script in "${scripts[@]}"; do
			run_script "$script"
		done
	fi
fi

if [[ ${#failures[@]} -gt 0 ]]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
summary="$passed passed, $failed failed"
[[ $skipped -eq 0 ]] || summary+=", $skipped skipped"
echo "$summary"
[[ $failed -eq 0 ]]
