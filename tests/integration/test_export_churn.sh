#!/usr/bin/env bash
# `reapwatch export` on a node where cgroups and containers come and go: memory, work and
# series follow what exists, not everything ever seen. Host cgroups (not a container's) are
# read while they exist and forgotten once gone; a gone container's series are folded into
# container_id="(gone)" after the keep (REAPWATCH_GONE_KEEP_SECONDS) with no count lost; the
# default set of a container is the documented series budget. Bare cgroups stand for
# containers (/<64 hex>, runc's default cgroup path) and for host cgroups (/rw-host-*).
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/runc.sh
source "$REPO/tests/lib/runc.sh"

EXPORT_READY='reapwatch: exporting to'
CGROUP2=$(cgroup2_mount)
HOST='{"container_id":"","pod":"","namespace":"","container":""}'

now_s()
{
	date +%s.%N
}

# to_jsonl FILE: FILE (a copy of reapwatch.prom) must pass promtool; its samples go to
# FILE.jsonl, whose name is printed.
to_jsonl()
{
	prom_check "$1"
	jq -R -c "$PROM_JQ" "$1" >"$1.jsonl" || fail "$(basename "$1"): a line is not a sample"
	echo "$1.jsonl"
}

# count PREFIX LABELS_JSON [JSONL]: samples whose name starts with PREFIX and whose labels
# include LABELS_JSON.
count()
{
	jq -c --arg n "$1" --argjson w "$2" \
		'select((.n | startswith($n)) and (.l as $l | $w | to_entries | all(.value == $l[.key])))' \
		"${3:-$SNAP}" | grep -c . || true
}

# sum NAME JSONL: the sum of NAME over all its series.
sum()
{
	jq -s --arg n "$1" 'map(select(.n == $n) | .v) | add // 0' "$2"
}

# The default set (no --container-detail) and folding. A bare cgroup container runs a bash
# with 3 children (3 forks, 4 exits): it has exactly the series of the budget (at most 14:
# 12 here, plus the pids gauges when its pids cgroup is readable) and no histogram or signal
# series of its own; those are node-wide, with empty container labels. Once its cgroup is
# removed its series go within the keep (1 s) and a write or two, never to come back; the
# "(gone)" series gain exactly its counts (when no other container was folded in the same
# interval), so no counter and no sum over all series ever went down.
case_budget_and_fold()
{
	local dir=$CASE_DIR/textfile id d lab want n f prev="" bad t_rm last="" first="" id0 fid \
		k0 k1 g0 g1
	[[ -n $CGROUP2 ]] || skip "no cgroup2 mount"
	mkdir "$dir"
	id=$(new_container_id)
	d=$CGROUP2/$id
	mkdir "$d"
	at_case_exit rmdir_retry "$d"
	lab="{\"container_id\":\"$id\"}"
	REAPWATCH_GONE_KEEP_SECONDS=1 start_agent --name export --ready "$EXPORT_READY" \
		export --textfile-dir "$dir" -i 0.2
	in_cgroup "$d" bash -c 'for i in 1 2 3; do /bin/true; done; exit 0'
	fresh_snap "$dir"
	detail "series of container $id:" "$(grep -F "\"$id\"" "$SNAP_PROM" |
		sed 's/{.*container="",*/{/')"
	assert_eq "exits_total of the container (its bash and 3 children)" 4 \
		"$(val reapwatch_exits_total "$lab")"
	assert_eq "forks_total of the container" 3 "$(val reapwatch_forks_total "$lab")"
	want=12
	[[ -r $d/pids.current ]] && want=$((want + 1))
	[[ -r $d/pids.max && $(cat "$d/pids.max") != max ]] && want=$((want + 1))
	assert_eq "series of a container in the default set (budget: at most 14)" "$want" \
		"$(count reapwatch_ "$lab")"
	assert_eq "reap latency series of the container (node-wide by default)" 0 \
		"$(count reapwatch_reap_latency_seconds "$lab")"
	assert_eq "signal series of the container (node-wide by default)" 0 \
		"$(count reapwatch_signals_total "$lab")"
	assert_eq "node-wide reap latency histogram: 23 buckets, +Inf, sum, count" 25 \
		"$(count reapwatch_reap_latency_seconds "$HOST")"
	n=$(val reapwatch_signals_total '{"container_id":"","signal":"SIGCHLD","origin":"kernel"}')
	if [[ $n == absent ]] || ((n < 3)); then
		fail "node-wide SIGCHLD count $n, below the container's own 3"
	fi
	[[ $(val reapwatch_containers_folded_total '{}') =~ ^[0-9]+$ ]] ||
		fail "no reapwatch_containers_folded_total"

	# Every write from the rmdir on, for 8 s; judged afterwards.
	rmdir "$d"
	t_rm=$(now_s)
	mkdir "$CASE_DIR/w"
	id0=$(file_id "$dir")
	while awk -v t="$t_rm" -v n="$(now_s)" 'BEGIN { exit !(n < t + 8) }'; do
		fid=$(file_id "$dir")
		if [[ $fid != "$id0" ]]; then
			id0=$fid
			cp "$dir/$PROM" "$CASE_DIR/w/$(stat -c %.9Y "$dir/$PROM").prom"
		fi
		sleep 0.05
	done
	for f in "$CASE_DIR"/w/*.prom; do
		f=$(to_jsonl "$f")
		if [[ -n $prev ]]; then
			bad=$(jq -rn --slurpfile a "$prev" --slurpfile b "$f" '
				def key: .n + (.l | tojson);
				($a | map(select(.n | test("_total$|_count$|_sum$|_bucket$"))
				  | {key: key, value: .v}) | from_entries) as $old
				| [$b[] | key as $k | select($old[$k] != null and .v < $old[$k])
				   | "\($k) \($old[$k]) -> \(.v)"] | .[0:3] | join("; ")')
			[[ -z $bad ]] || fail "a counter went down between two writes: $bad"
			for n in reapwatch_exits_total reapwatch_forks_total; do
				awk -v a="$(sum "$n" "$prev")" -v b="$(sum "$n" "$f")" 'BEGIN { exit !(b >= a) }' ||
					fail "$n summed over all series went down: $(sum "$n" "$prev") -> $(sum "$n" "$f")"
			done
		fi
		if [[ $(val reapwatch_exits_total "$lab" "$f") != absent ]]; then
			[[ -z $first ]] || fail "series of container $id came back after they were folded"
			last=$f
		elif [[ -n $last && -z $first ]]; then
			first=$f
		fi
		prev=$f
	done
	[[ -n $last ]] || fail "no write with the container's series after its rmdir"
	[[ -n $first ]] || fail "series of container $id still there 8 s after its rmdir (keep: 1 s)"
	k0=$(val reapwatch_containers_folded_total '{}' "$last")
	k1=$(val reapwatch_containers_folded_total '{}' "$first")
	((k1 >= k0 + 1)) || fail "containers_folded_total $k0 -> $k1 at the fold"
	assert_eq "labels of the (gone) series" \
		'{"container_id":"(gone)","pod":"","namespace":"","container":""}' \
		"$(jq -c 'select(.n == "reapwatch_exits_total" and .l.container_id == "(gone)") | .l' "$first")"
	for n in exits_total:4 forks_total:3; do
		g0=$(val "reapwatch_${n%:*}" '{"container_id":"(gone)"}' "$last")
		g1=$(val "reapwatch_${n%:*}" '{"container_id":"(gone)"}' "$first")
		[[ $g0 == absent ]] && g0=0
		if ((k1 == k0 + 1)); then
			assert_eq "(gone) ${n%:*} gained what the folded container had" "${n#*:}" $((g1 - g0))
		else
			detail "NOTE: $((k1 - k0)) containers folded in the same interval; checking a bound"
			((g1 - g0 >= ${n#*:})) || fail "(gone) ${n%:*} gained $((g1 - g0)), less than ${n#*:}"
		fi
	done
	stop_named_agent export TERM
}

# host_series: the samples of $SNAP with empty container labels but the signals (the node's
# signal series grow with whatever signals the machine sends).
host_series()
{
	jq -c 'select(.l.container_id == "" and .l.pod == "" and .l.namespace == ""
		and .l.container == "" and .n != "reapwatch_signals_total")' "$SNAP" | grep -c . || true
}

# 200 host cgroups /rw-host-*, each with a process that exited in it, all alive at one write,
# then removed: the agent's tracked cgroups (a kernel map entry each) rise by at least 200
# and come back down to where they were; the host's series (12, and the node-wide
# histogram: 37) neither grow nor split, and no container appears. (Other cgroups on a
# shared machine come and go too: the return is awaited for 10 s.)
case_host_cgroups_churn()
{
	local dir=$CASE_DIR/textfile base peak after i deadline h
	[[ -n $CGROUP2 ]] || skip "no cgroup2 mount"
	mkdir "$dir"
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 0.2
	fresh_snap "$dir"
	base=$(val reapwatch_cgroups_tracked '{}')
	assert_eq "host series but signals before the churn (12 + a 25-series histogram)" 37 \
		"$(host_series)"
	for i in $(seq 200); do
		h=$CGROUP2/rw-host-$$-$i
		mkdir "$h"
		at_case_exit rmdir_retry "$h"
		# shellcheck disable=SC2016 # for the inner sh
		sh -c 'echo $$ >"$0/cgroup.procs" && exec /bin/true' "$h"
	done
	fresh_snap "$dir"
	peak=$(val reapwatch_cgroups_tracked '{}')
	detail "tracked cgroups: $base before, $peak with the 200"
	((peak >= base + 200)) || fail "tracked cgroups $peak with 200 new ones, $base before"
	[[ -z $(jq -r 'select(.l.container_id != null and (.l.container_id | startswith("rw-host")))
		| .l.container_id' "$SNAP") ]] || fail "a host cgroup got container series"
	for i in $(seq 200); do
		rmdir "$CGROUP2/rw-host-$$-$i"
	done
	deadline=$((SECONDS + 10))
	while :; do
		fresh_snap "$dir"
		after=$(val reapwatch_cgroups_tracked '{}')
		((after <= base || SECONDS >= deadline)) && break
	done
	detail "tracked cgroups after the rmdirs: $after"
	((after <= base)) || fail "tracked cgroups $after after the churn, $base before: not forgotten"
	assert_eq "host series but signals after the churn" 37 "$(host_series)"
	stop_named_agent export TERM
}

run_case export_budget_and_fold case_budget_and_fold
run_case export_host_cgroups_churn case_host_cgroups_churn
finish
