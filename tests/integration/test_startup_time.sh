#!/usr/bin/env bash
# tools/startup-time.sh (make startup, and the end of make bench): one timed start of the
# agent and one under strace give a time to "tracing", a row per program the agent loaded
# with the verifier's instruction count, and a breakdown whose rows add up to its total.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

case_startup_report()
{
	local out=$CASE_DIR/startup res rc=0 progs want got total sum
	command -v strace >/dev/null || skip "no strace (Debian package strace)"
	STARTS=1 REAPWATCH=$AGENT OUT=$out "$REPO/tools/startup-time.sh" \
		>"$CASE_DIR/startup.out" 2>"$CASE_DIR/startup.err" || rc=$?
	assert_eq "startup-time.sh ($(tail -n 1 "$CASE_DIR/startup.err")): exit status" 0 "$rc"
	res=$out/results.txt
	grep -Eq '^exec to "reapwatch: tracing" .*, 1 starts: median [0-9]+\.[0-9]{3} s' "$res" ||
		fail "no median time to 'tracing' in results.txt"
	# Every program the agent held, with a count from the verifier and a load time.
	progs=$(awk '$1 ~ /^(handle|prefault)_/ && $2 ~ /^[1-9][0-9]*$/ && $5 ~ /^[0-9.]+$/ { print $1 }' "$res" | sort)
	want=$(awk -F'\t' '{ print $1 }' "$out/progs.tsv" | sort)
	[[ -n $want ]] || fail "progs.tsv lists no program"
	assert_eq "programs with verified_insns and a load time" "$want" "$progs"
	for got in handle_fork handle_signal_generate handle_wait handle_free handle_cgroup_mkdir; do
		grep -qx "$got" <<<"$progs" || fail "no row for $got"
	done
	grep -Eqx 'handle_exit|handle_exit_compat' <<<"$progs" || fail "no row for an exit program"
	# The breakdown's rows add up to its total (each is rounded to 0.1 ms).
	total=$(sed -n 's/^where the time goes, .*(\([0-9.]*\) s in all)$/\1/p' "$res")
	[[ -n $total ]] || fail "no breakdown in results.txt"
	sum=$(sed -n '/^where the time goes/,$p' "$res" | awk '/ ms$/ { s += $(NF - 1) } END { print s }')
	awk -v t="$total" -v s="$sum" 'BEGIN { d = t * 1000 - s; exit !(d < 1 && d > -1) }' ||
		fail "the breakdown's rows add up to $sum ms, its total is $total s"
}

run_case startup_time_report case_startup_report
finish
