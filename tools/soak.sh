#!/usr/bin/env bash
# tools/soak.sh — does `reapwatch export` stay bounded on a node where cgroups and
# containers come and go? (Run by `make bench` after the storms; not a test: it prints
# figures and says whether they meet the targets.)
#
# One `export` (-i SOAK_INTERVAL, gone containers folded after SOAK_GONE_KEEP seconds
# through REAPWATCH_GONE_KEEP_SECONDS) watches, while a fork/exit storm runs beside it:
#   - SOAK_HOST_CGROUPS short-lived host cgroups: /rw-soak-host-N under the cgroup2 mount,
#     a bash moved in that runs /bin/true, then rmdir (what systemd-run scopes, cron jobs and
#     sessions do to a node);
#   - SOAK_CONTAINERS short-lived containers: cgroups named /<64 hex> (runc's default path,
#     which the agent takes for a container: src/cgroup_path.c), the same bash in each; and
#     SOAK_RUNC real runc containers (tests/lib/runc.sh), when runc is installed.
# It prints, at the start, right after the churn, and after the gone keep: the agent's RSS,
# its CPU seconds (and those of an idle SOAK_IDLE-second window at the start and at the
# end), the entries of its kernel maps cgroup_stats (with the slots of stats_owners) and
# signal_stats (bpftool map dump),
# reapwatch_cgroups_tracked, and the series in reapwatch.prom: all of them, and those that
# are not some other live container's (own_series: the measure of the target on a machine
# that runs other containers meanwhile).
# Targets: RSS and own series after the keep within 10 % of the start; idle CPU as a fresh
# agent's beside it over the same window (what the node itself costs changes both alike).
#
# Must run as root. Environment knobs (defaults in brackets):
#   SOAK_HOST_CGROUPS [10000]  SOAK_CONTAINERS [2000]  SOAK_RUNC [50]
#   SOAK_GONE_KEEP [30 s]  SOAK_INTERVAL [5 s]  SOAK_IDLE [30 s]  SOAK_STORM [1: a fork storm
#   during the churn; 0: none]  REAPWATCH [./reapwatch]  OUT [build/bench/soak]
# About 6-10 minutes with the defaults on a 2-vCPU machine.
set -euo pipefail

TOOL=soak # (the prefix of die() and note(), tools/lib.sh)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=tools/lib.sh
. tools/lib.sh
no_arguments "$@"

HOSTS=${SOAK_HOST_CGROUPS:-10000}
CTRS=${SOAK_CONTAINERS:-2000}
RUNCS=${SOAK_RUNC:-50}
KEEP=${SOAK_GONE_KEEP:-30}
INTERVAL=${SOAK_INTERVAL:-5}
IDLE=${SOAK_IDLE:-30}
STORM=${SOAK_STORM:-1}
REAPWATCH=${REAPWATCH:-./reapwatch}
OUT=${OUT:-build/bench/soak}
for v in HOSTS CTRS RUNCS KEEP INTERVAL IDLE STORM; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
[[ $EUID -eq 0 ]] || die "must run as root"
[[ -x $REAPWATCH ]] || die "$REAPWATCH is not built (make)"
command -v bpftool >/dev/null || die "bpftool not found"
command -v jq >/dev/null || die "jq not found"
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[[ -n $CG2 ]] || die "no cgroup2 mount"

rm -rf "$OUT"
mkdir -p "$OUT/textfile"
PROM=$OUT/textfile/reapwatch.prom
agent=
storm=
control=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[[ -n $control ]] && kill "$control" 2>/dev/null && wait "$control" 2>/dev/null
	[[ -n $storm ]] && kill "$storm" 2>/dev/null && wait "$storm" 2>/dev/null
	if [[ -n $agent ]] && kill -0 "$agent" 2>/dev/null; then
		kill -TERM "$agent" 2>/dev/null || true
		wait "$agent" 2>/dev/null || true
	fi
	# Whatever a stopped run left behind (only our own names).
	find "$CG2" -maxdepth 1 -name 'rw-soak-host-*' -type d -exec rmdir {} + 2>/dev/null || true
	if [[ -s $OUT/container-ids ]]; then
		while read -r id; do rmdir "$CG2/$id" 2>/dev/null || true; done <"$OUT/container-ids"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'note interrupted; exit 130' INT
trap 'note terminated; exit 143' TERM

# --- measurements ------------------------------------------------------------------
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$agent/status"; }
# utime + stime of the agent (or of process $1), seconds.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/${1:-$agent}/stat"
}
# map_entries NAME: entries of the agent's map NAME (found through its fds); of the slot
# table stats_owners, the slots a cgroup holds.
map_entries() {
	local f id
	for f in /proc/"$agent"/fdinfo/*; do
		id=$(sed -n 's/^map_id:[[:space:]]*\([0-9][0-9]*\)$/\1/p' "$f" 2>/dev/null) || continue
		[[ -n $id ]] || continue
		if [[ $(bpftool map show id "$id" 2>/dev/null) == *" name $1 "* ]]; then
			bpftool map dump id "$id" -j 2>/dev/null |
				jq '[.[] | select((.formatted.value // 1) != 0)] | length'
			return
		fi
	done
	echo NA
}
series() { grep -vc '^#' "$PROM"; }
# The series that are not some other live container's (a shared machine runs others): the
# host's, the node-wide ones, "(gone)", the agent's own, and those of this soak's containers.
own_series() {
	awk -v ids="$OUT/container-ids" '
		BEGIN { while ((getline l < ids) > 0) ours["container_id=\"" l "\""] = 1 }
		/^#/ { next }
		!/container_id="/ || /container_id=""/ || /container_id="\(gone\)"/ { n++; next }
		{ match($0, /container_id="[^"]*"/); if (substr($0, RSTART, RLENGTH) in ours) n++ }
		END { print n + 0 }' "$PROM"
}
metric() { awk -v n="$1" '$1 == n { print $2 }' "$PROM"; }
# Wait for two rewrites: the file then holds what happened before this call.
two_writes() {
	local i id0
	for i in 1 2; do
		id0=$(stat -c %i.%Y.%Z "$PROM")
		until [[ $(stat -c %i.%Y.%Z "$PROM") != "$id0" ]]; do sleep 0.2; done
	done
}
# idle_cpu KEY [CONTROL_PID]: the agent's CPU seconds over SOAK_IDLE seconds of no churn
# in R[KEY.idle] (and those of CONTROL_PID over the same window in R[control.idle]).
idle_cpu() {
	local a b c0 c1
	a=$(cpu_s)
	[[ -n ${2:-} ]] && c0=$(cpu_s "$2")
	sleep "$IDLE"
	b=$(cpu_s)
	R[$1.idle]=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }')
	if [[ -n ${2:-} ]]; then
		c1=$(cpu_s "$2")
		R[control.idle]=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')
	fi
}
declare -A R
measure() { # measure LABEL
	two_writes
	R[$1.rss]=$(rss_kib)
	R[$1.cpu]=$(cpu_s)
	R[$1.series]=$(series)
	R[$1.own_series]=$(own_series)
	R[$1.tracked]=$(metric reapwatch_cgroups_tracked)
	R[$1.folded]=$(metric reapwatch_containers_folded_total)
	local hashed slotted
	hashed=$(map_entries cgroup_stats)
	slotted=$(map_entries stats_owners)
	[[ $hashed$slotted =~ ^[0-9]+$ ]] && R[$1.cgroup_stats]=$((hashed + slotted)) ||
		R[$1.cgroup_stats]=NA
	R[$1.signal_stats]=$(map_entries signal_stats)
	R[$1.containers]=$(grep -o 'container_id="[^"]*"' "$PROM" | sort -u | grep -vc 'container_id=""' || true)
	note "$1: rss ${R[$1.rss]} KiB, cpu ${R[$1.cpu]} s, ${R[$1.series]} series," \
		"${R[$1.containers]} container ids, tracked ${R[$1.tracked]}," \
		"cgroup_stats ${R[$1.cgroup_stats]}, signal_stats ${R[$1.signal_stats]}"
}

# --- the agent -----------------------------------------------------------------------
REAPWATCH_GONE_KEEP_SECONDS=$KEEP "$REAPWATCH" export --textfile-dir "$OUT/textfile" \
	-i "$INTERVAL" >/dev/null 2>"$OUT/export.err" </dev/null &
agent=$!
wait_agent_ready "$agent" "$OUT/export.err" 'reapwatch: exporting' export 30 0.1
note "export pid $agent, -i $INTERVAL, gone keep $KEEP s; warming up"
# Warm-up: one host cgroup and one container come and go, so that the series of what
# folded containers counted (container_id="(gone)", 11 series made at the first fold,
# never more) are there from the start.
d=$CG2/rw-soak-host-0
mkdir "$d"
# shellcheck disable=SC2016
sh -c 'echo $$ >"$0/cgroup.procs" && /bin/true' "$d"
rmdir "$d"
id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$id" >"$OUT/container-ids"
mkdir "$CG2/$id"
# shellcheck disable=SC2016
sh -c 'echo $$ >"$0/cgroup.procs" && /bin/true' "$CG2/$id"
rmdir "$CG2/$id"
sleep $((KEEP + INTERVAL * 2))
measure start
idle_cpu start

# --- the churn -----------------------------------------------------------------------
t0=$SECONDS
if [[ $STORM -ne 0 ]]; then
	# One CPU's worth of fork, exit and reap, beside the churn.
	# shellcheck disable=SC2016
	bash -c 'while :; do /bin/true; done' &
	storm=$!
fi
note "churn: $HOSTS host cgroups"
for i in $(seq "$HOSTS"); do
	d=$CG2/rw-soak-host-$i
	mkdir "$d"
	# Its exit is counted in the cgroup: the kernel side makes an entry for it.
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$0/cgroup.procs" && exec /bin/true' "$d"
	rmdir "$d" 2>/dev/null || { sleep 0.05; rmdir "$d"; }
done
note "churn: $CTRS synthetic containers"
for i in $(seq "$CTRS"); do
	id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "$id" >>"$OUT/container-ids"
	mkdir "$CG2/$id"
	# A fork, two exits, a reap and a SIGCHLD in the container.
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$0/cgroup.procs" && /bin/true' "$CG2/$id"
	rmdir "$CG2/$id" 2>/dev/null || { sleep 0.05; rmdir "$CG2/$id"; }
done
runc_done=0
if [[ $RUNCS -gt 0 ]] && command -v runc >/dev/null && [[ -r tests/lib/runc.sh ]]; then
	note "churn: $RUNCS runc containers"
	# shellcheck source=tests/lib/runc.sh
	source tests/lib/runc.sh
	if rootfs=$(test_rootfs 2>/dev/null); then
		make_bundle "$OUT/runc-bundle" "$rootfs" '["sh", "-c", "true; true; exit 0"]' \
			>/dev/null 2>&1 || die "runc spec failed"
		for i in $(seq "$RUNCS"); do
			runc run -b "$OUT/runc-bundle" "rw-soak-$$-$i" </dev/null >/dev/null 2>&1 || true
			runc_done=$((runc_done + 1))
		done
	else
		note "no test rootfs: runc containers skipped"
	fi
fi
[[ -n $storm ]] && { kill "$storm" 2>/dev/null; wait "$storm" 2>/dev/null || true; storm=; }
churn_s=$((SECONDS - t0))
note "churn took $churn_s s ($runc_done runc containers)"
measure churn
note "waiting for the gone keep ($KEEP s) and two writes"
sleep "$KEEP"
measure after
# A fresh agent beside it for the idle window: what the node costs an agent now, without
# the churn's history (other work on a shared machine changes both alike).
mkdir -p "$OUT/control"
"$REAPWATCH" export --textfile-dir "$OUT/control" -i "$INTERVAL" >/dev/null \
	2>"$OUT/control.err" </dev/null &
control=$!
sleep $((INTERVAL * 2 + 2))
idle_cpu after "$control"
kill -TERM "$control" 2>/dev/null || true
wait "$control" 2>/dev/null || true
control=

# --- the figures ---------------------------------------------------------------------
{
	echo "soak: $HOSTS host cgroups, $CTRS synthetic + $runc_done runc containers," \
		"storm $([[ $STORM -ne 0 ]] && echo on || echo off), churn $churn_s s," \
		"export -i $INTERVAL, gone keep $KEEP s"
	printf '%-24s %12s %12s %12s\n' "" start "after churn" "after keep"
	for k in rss cpu series own_series containers tracked folded cgroup_stats signal_stats; do
		printf '%-24s %12s %12s %12s\n' "$k" "${R[start.$k]}" "${R[churn.$k]}" "${R[after.$k]}"
	done
	printf '%-24s %12s %12s %12s\n' "idle cpu s per ${IDLE}s" "${R[start.idle]}" "" "${R[after.idle]}"
	printf '%-24s %12s %12s %12s\n' "  a fresh agent beside" "" "" "${R[control.idle]}"
	awk -v r0="${R[start.rss]}" -v r1="${R[after.rss]}" -v s0="${R[start.own_series]}" \
		-v s1="${R[after.own_series]}" -v i0="${R[control.idle]}" -v i1="${R[after.idle]}" 'BEGIN {
		rr = (r1 - r0) / r0 * 100; sr = (s1 - s0) / s0 * 100
		printf "RSS %+.1f %%, own series %+.1f %% (target: within 10 %%): %s\n", rr, sr,
			(rr <= 10 && rr >= -10 && sr <= 10 && sr >= -10) ? "met" : "NOT MET"
		printf "idle CPU after the churn %.2f s, a fresh agent %.2f s, per window: %s\n", i1, i0,
			(i1 <= i0 + 0.05 + i0 * 0.5) ? "unchanged" : "GREW"
	}'
} | tee "$OUT/results.txt"
