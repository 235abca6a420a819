#!/usr/bin/env bash
# `reapwatch healthcheck` against a real `export`: 0 while it runs and rewrites reapwatch.prom;
# 1, saying why, once it is stopped (SIGSTOP: the file grows old) or gone (the file is still
# fresh, but nothing holds the directory's lock); and its lock probe never keeps an export from
# starting. Usage errors are status 2.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

EXPORT_READY='reapwatch: exporting'

# check DIR [ARGS...]: run `reapwatch healthcheck --textfile-dir DIR ARGS...`; its status in RC,
# its stdout and stderr in $CASE_DIR/hc.out and hc.err.
check()
{
	local dir=$1
	shift
	RC=0
	"$AGENT" healthcheck --textfile-dir "$dir" "$@" >"$CASE_DIR/hc.out" 2>"$CASE_DIR/hc.err" || RC=$?
}

# expect_status STATUS DESC: the last check() exited STATUS.
expect_status()
{
	[[ $RC -eq $1 ]] ||
		fail "healthcheck $2: status $RC, expected $1 (stdout: $(head -c 300 "$CASE_DIR/hc.out"); stderr: $(head -c 300 "$CASE_DIR/hc.err"))"
}

case_live_stopped_gone()
{
	local dir=$CASE_DIR/textfile pid
	mkdir "$dir"
	check "$dir"
	expect_status 1 "with no export and no file"
	assert_contains "no export, no file" "$CASE_DIR/hc.err" \
		"no $dir/reapwatch.prom yet: no reapwatch export runs for that directory"

	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1
	pid=${AGENT_PID[export]}
	wait_fresh "$dir/reapwatch.prom" 1
	check "$dir" --max-age 5
	expect_status 0 "while the export writes every second"
	assert_contains "healthy line" "$CASE_DIR/hc.out" "$dir/reapwatch.prom rewritten"
	assert_contains "healthy line" "$CASE_DIR/hc.out" "by a running export"
	[[ ! -s $CASE_DIR/hc.err ]] || fail "healthcheck wrote to stderr while healthy: $(head -n1 "$CASE_DIR/hc.err")"

	# Stopped: it holds the lock still, but the file grows old.
	kill -STOP "$pid"
	at_case_exit kill -CONT "$pid"
	touch -d '-300 seconds' "$dir/reapwatch.prom"
	check "$dir" --max-age 5
	expect_status 1 "with the export stopped and reapwatch.prom 300 s old"
	assert_contains "stale line" "$CASE_DIR/hc.err" "$dir/reapwatch.prom not rewritten for 30"
	assert_contains "stale line" "$CASE_DIR/hc.err" "(--max-age 5)"
	check "$dir" --max-age 400
	expect_status 0 "with reapwatch.prom 300 s old and --max-age 400"
	kill -CONT "$pid"
	wait_fresh "$dir/reapwatch.prom" 1
	check "$dir" --max-age 5
	expect_status 0 "once the export writes again"

	# Gone: its last write (at SIGTERM) is fresh, but nothing holds the lock.
	stop_named_agent export TERM
	check "$dir" --max-age 60
	expect_status 1 "after the export ended, its last file fresh"
	assert_contains "gone line" "$CASE_DIR/hc.err" \
		"reapwatch: no reapwatch export runs for $dir (nothing holds its lock)"
}

# A probe takes a shared lock on the directory for an instant: an export that starts just then
# waits for it and starts, and does not take it for another exporter. (An instant is too short
# to hit on purpose: a shared lock held for a second stands for it.)
case_probe_does_not_block_export()
{
	local dir=$CASE_DIR/textfile holder
	mkdir "$dir"
	flock -s "$dir" sleep 1 &
	holder=$!
	track_pid "$holder"
	sleep 0.2
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1
	wait "$holder" || true
	wait_fresh "$dir/reapwatch.prom" 1
	check "$dir" --max-age 5
	expect_status 0 "after an export started while a probe held its shared lock"
	stop_named_agent export TERM
	! grep -q "another reapwatch export" "$CASE_DIR/export.err" ||
		fail "the export took a probe for another exporter: $(head -n1 "$CASE_DIR/export.err")"
}

# Probes as fast as they come, two at a time, while exports start and stop three times: each
# export starts, and the probes pass once it writes.
case_probe_loops()
{
	local dir=$CASE_DIR/textfile loops=() i
	mkdir "$dir"
	for i in 1 2; do
		(while :; do "$AGENT" healthcheck --textfile-dir "$dir" >/dev/null 2>&1 || true; done) &
		loops+=("$!")
		track_pid "$!"
	done
	for i in 1 2 3; do
		start_agent --name "export$i" --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1
		wait_fresh "$dir/reapwatch.prom" 1
		check "$dir" --max-age 5
		expect_status 0 "with export $i running under two probe loops"
		stop_named_agent "export$i" TERM
	done
	kill "${loops[@]}"
}

case_usage_errors()
{
	local dir=$CASE_DIR/textfile
	mkdir "$dir"
	: >"$dir/file"
	check "$CASE_DIR/missing"
	expect_status 2 "with a directory that does not exist"
	assert_contains "missing directory" "$CASE_DIR/hc.err" \
		"reapwatch: healthcheck: --textfile-dir: '$CASE_DIR/missing' does not exist"
	check "$dir/file"
	expect_status 2 "with a file for a directory"
	assert_contains "not a directory" "$CASE_DIR/hc.err" "is not a directory"
	check "$dir" --max-age -1
	expect_status 2 "with --max-age -1"
	assert_contains "bad --max-age" "$CASE_DIR/hc.err" "--max-age: '-1' is not a positive number"
	RC=0
	"$AGENT" healthcheck >/dev/null 2>"$CASE_DIR/hc.err" || RC=$?
	expect_status 2 "without --textfile-dir"
	assert_contains "no --textfile-dir" "$CASE_DIR/hc.err" "--textfile-dir DIR is required"
	# A reapwatch.prom that is not a regular file: the runtime answer, not a usage error.
	mkdir "$dir/reapwatch.prom"
	check "$dir"
	expect_status 1 "with a directory named reapwatch.prom"
	assert_contains "not a file" "$CASE_DIR/hc.err" "reapwatch.prom is not a regular file"
}

run_case healthcheck_live_stopped_gone case_live_stopped_gone
run_case healthcheck_probe_does_not_block_export case_probe_does_not_block_export
run_case healthcheck_probe_loops case_probe_loops
run_case healthcheck_usage_errors case_usage_errors
finish
