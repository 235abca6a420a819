#!/usr/bin/env bash
# More `reparent` checks (issue 4's tests), each against the kernel's own answer: the
# orphan's ppid in /proc/<pid>/stat, read while it is alive.
#   - a multi-threaded father whose leader exits first: nothing until its last thread exits,
#     then one event per child, to the right adopter;
#   - `tini -s` (a subreaper that is not PID 1) adopts;
#   - a subreaper that is not the orphan's ancestor is not chosen;
#   - 2000 children orphaned at once: 2000 events, all right, none corrected;
#   - a subreaper exiting at the same moment as the father: each orphan's last event names
#     the adopter the kernel chose, corrected or not;
#   - a process `runc exec`'d into a running container, killed from the host: its orphan goes
#     to the container's PID 1;
#   - containerd for real: who adopts what, containerd-shim included.
# Every process these cases start is reaped: by a subreaper the scenario or the test sets up
# (the host's PID 1 here does not reliably reap), or by a container's init.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/runc.sh
source "$REPO/tests/lib/runc.sh"

# stat_ppid PID: the kernel's answer, the ppid in /proc/PID/stat ("" if PID is gone).
stat_ppid()
{
	local F
	if _stat_fields "$1"; then echo "${F[1]}"; fi
}

# comm_json PID: PID's comm as a JSON string.
comm_json()
{
	jq -Rn --arg c "$(cat "/proc/$1/comm")" '$c'
}

# adopters_start MODE [N]: start `adopters MODE [N] GATE` in the background; returns once
# every orphan has been adopted (ready=1). SCEN_OUT is its output, GATE_FILE lets it finish.
# It runs in a pid namespace of its own, under reaper_run as the namespace's init (adp_sub,
# a child subreaper below it, is still the nearest subreaper for every orphan): should the
# test be killed halfway, the init dies with `unshare --kill-child`, and the namespace's
# teardown kills and reaps the thousands of orphans instead of leaving them to the host.
adopters_start()
{
	GATE_FILE=$CASE_DIR/adopters.gate
	start_reaped adopters "$@" "$GATE_FILE"
	ADOPTERS_PID=$REAPED_PID
}

# adopters_finish: let the orphans exit; the scenario reaps them and must exit 0.
adopters_finish()
{
	local rc=0
	touch "$GATE_FILE"
	wait_child "$ADOPTERS_PID" 60 || rc=$?
	[[ $rc -eq 0 ]] || fail "adopters exited with status $rc: $(head -n3 "$SCEN_OUT.err")"
}

# check_kernel_ppids WANT PID...: every PID's ppid in /proc/PID/stat is WANT.
check_kernel_ppids()
{
	local want=$1 p got nbad=0 first=""
	shift
	for p in "$@"; do
		got=$(stat_ppid "$p")
		if [[ $got != "$want" ]]; then
			nbad=$((nbad + 1))
			[[ -n $first ]] || first="$p has ppid '$got'"
		fi
	done
	[[ $nbad -eq 0 ]] || fail "/proc/<pid>/stat: $nbad of $# orphans are not children of $want (first: $first)"
}

# --- a multi-threaded father whose leader exits first --------------------------------------

case_mt_father()
{
	local sub father last_us leader_us c ev children
	start_agent trace --json -e all
	adopters_start mt 3
	sub=$(kv sub)
	father=$(kv father)
	leader_us=$(kv leader_exit_us)
	last_us=$(kv last_exit_us)
	IFS=, read -ra children <<<"$(kv children)"
	check_kernel_ppids "$sub" "${children[@]}"
	adopters_finish
	stop_agent
	focus "$sub" "$father" "${children[@]}"
	detail "father $father: leader exited at $leader_us us, last thread at $last_us us"
	for c in "${children[@]}"; do
		ev=$(expect_one "reparent of $c (father's leader exited first)" \
			".type == \"reparent\" and .pid == $c")
		assert_fields "$ev" "reparent of $c" \
			.comm '"adp_mtchild"' .old_ppid "$father" .old_parent_comm '"adp_father"' \
			.new_ppid "$sub" .new_parent_comm '"adp_sub"' .reaper_kind '"subreaper"' \
			.reaper_in_pidns true .corrected false
		# Not at the leader's exit (the children only moved to its other thread): at the last.
		assert_true "reparent of $c: not before the father's last thread exited ($last_us us)" \
			"$ev" "(.time | usec) >= $last_us"
	done
	ev=$(expect_one "exit of the father $father" ".type == \"exit\" and .pid == $father")
	assert_true "exit of the father $father: at its last thread's exit" "$ev" "(.time | usec) >= $last_us"
}

# --- tini -s ---------------------------------------------------------------------------

# `tini -s -- orphan host`: tini is a child subreaper, not PID 1; the orphan scenario's father
# exits and its child goes to the nearest subreaper above it, tini, which reaps it.
case_tini_subreaper()
{
	local tini tini_pid orphan father new_ppid ev rc=0
	tini=$(command -v tini-static || command -v tini) || skip "tini is not installed (Debian package tini)"
	start_agent trace --json -e all
	SCEN_OUT=$CASE_DIR/orphan.out
	"$tini" -s -- "$SCENARIOS/orphan" host >"$SCEN_OUT" 2>"$CASE_DIR/tini.err" &
	tini_pid=$!
	track_pid "$tini_pid"
	wait_child "$tini_pid" 30 || rc=$?
	[[ $rc -eq 0 ]] || fail "tini -s -- orphan host exited with status $rc: $(head -n3 "$CASE_DIR/tini.err")"
	stop_agent
	orphan=$(kv orphan)
	father=$(kv father)
	new_ppid=$(kv new_ppid)
	focus "$tini_pid" "$father" "$orphan"
	assert_eq "the orphan's new parent, as it saw it (getppid)" "$tini_pid" "$new_ppid"
	ev=$(expect_one "reparent of $orphan to tini" ".type == \"reparent\" and .pid == $orphan")
	assert_fields "$ev" "reparent of $orphan to tini -s ($tini_pid)" \
		.comm '"orph_child"' .old_ppid "$father" .old_parent_comm '"orph_father"' \
		.new_ppid "$tini_pid" .new_parent_comm "\"$(basename "$tini")\"" \
		.reaper_kind '"subreaper"' .reaper_in_pidns true .corrected false
	ev=$(expect_one "reap of $orphan" ".type == \"reap\" and .pid == $orphan")
	assert_fields "$ev" "reap of $orphan by tini" .reaper_pid "$tini_pid" .autoreap false
}

# --- a subreaper that is not an ancestor -------------------------------------------------

# adp_sub (subreaper) -> adp_middle -> { adp_uncle (subreaper), adp_father -> adp_orphan }.
# The uncle is nearer in the tree but not an ancestor; the middle is an ancestor but not a
# subreaper: adp_sub adopts.
case_not_ancestor()
{
	local sub uncle middle father orphan ev
	start_agent trace --json -e all
	adopters_start notancestor
	sub=$(kv sub)
	uncle=$(kv uncle)
	middle=$(kv middle)
	father=$(kv father)
	orphan=$(kv children)
	check_kernel_ppids "$sub" "$orphan"
	adopters_finish
	stop_agent
	focus "$sub" "$uncle" "$middle" "$father" "$orphan"
	detail "subreaper $sub, middle $middle, uncle (subreaper) $uncle, father $father, orphan $orphan"
	ev=$(expect_one "reparent of $orphan" ".type == \"reparent\" and .pid == $orphan")
	assert_fields "$ev" "reparent of $orphan (uncle $uncle is a subreaper, not an ancestor)" \
		.comm '"adp_orphan"' .old_ppid "$father" .new_ppid "$sub" .new_parent_comm '"adp_sub"' \
		.reaper_kind '"subreaper"' .reaper_in_pidns true .corrected false
	assert_count "reparent events to the uncle $uncle" 0 ".type == \"reparent\" and .new_ppid == $uncle"
}

# --- 2000 orphans at once ----------------------------------------------------------------

MANY=2000

case_many_orphans()
{
	local sub father n
	start_agent trace --json -e all
	adopters_start many "$MANY"
	sub=$(kv sub)
	father=$(kv father)
	kv children | tr , '\n' | sort -n >"$CASE_DIR/children"
	assert_eq "orphans the scenario made" "$MANY" "$(wc -l <"$CASE_DIR/children")"
	# shellcheck disable=SC2046 # one pid per word
	check_kernel_ppids "$sub" $(cat "$CASE_DIR/children")
	adopters_finish
	stop_agent
	focus "$sub" "$father"
	jq -s -c . "$CASE_DIR/children" >"$CASE_DIR/children.json"
	# Every reparent event of those pids (any father: a correction would be a second one).
	# shellcheck disable=SC2016 # jq program
	jq -c --slurpfile kids "$CASE_DIR/children.json" \
		'select(.type == "reparent" and (.pid as $p | $kids[0] | bsearch($p) >= 0))' \
		"$EVENTS" >"$CASE_DIR/reparents"
	n=$(wc -l <"$CASE_DIR/reparents")
	[[ $n -eq $MANY ]] || fail "reparent events of the $MANY orphans: $n (expected one each)"
	[[ $(jq -s -c 'map(.pid) | sort' "$CASE_DIR/reparents") == "$(cat "$CASE_DIR/children.json")" ]] ||
		fail "reparent events: not exactly one per orphan"
	n=$(jq -s "[.[] | select(.old_ppid != $father or .old_parent_comm != \"adp_father\"
		or .new_ppid != $sub or .new_parent_comm != \"adp_sub\" or .reaper_kind != \"subreaper\"
		or .reaper_in_pidns != true or .corrected != false or .comm != \"adp_many\")] | length" \
		"$CASE_DIR/reparents")
	if [[ $n -ne 0 ]]; then
		detail "first: $(jq -c "select(.new_ppid != $sub or .corrected != false or .old_ppid != $father)" \
			"$CASE_DIR/reparents" | sed -n 1,3p)"
		fail "$n of the $MANY reparent events are wrong (expected $father -> $sub, subreaper, not corrected)"
	fi
	assert_count "reparent events from father $father to anyone else" 0 \
		".type == \"reparent\" and .old_ppid == $father and .new_ppid != $sub"
}

# --- a subreaper exiting at the same moment as the father -----------------------------------

# fail_on_verdicts WHAT...: fail if any line of $CASE_DIR/verdicts (one per orphan: pid,
# problems) has problems, showing the first few, and for the first one what the kernel did
# ($CASE_DIR/kernel.jsonl) and its reparent events ($CASE_DIR/reparents). WHAT says what
# is wrong with them.
fail_on_verdicts()
{
	local n line kid
	n=$(jq -s '[.[] | select(.problems != [])] | length' "$CASE_DIR/verdicts")
	[[ $n -eq 0 ]] && return 0
	detail "first wrong orphans:" \
		"$(jq -c 'select(.problems != [])' "$CASE_DIR/verdicts" | sed -n 1,5p)"
	line=$(jq -c 'select(.problems != [])' "$CASE_DIR/verdicts" | sed -n 1p)
	kid=$(jq -r .pid <<<"$line")
	detail "the kernel on $kid: $(jq -c "select(.pid == $kid)" "$CASE_DIR/kernel.jsonl")" \
		"reparent events of $kid:" "$(jq -c "select(.pid == $kid)" "$CASE_DIR/reparents" | sed -n 1,5p)"
	fail "$n of $(wc -l <"$CASE_DIR/verdicts") $* (first, $kid:" \
		"$(jq -r '.problems | join("; ")' <<<"$line"))"
}

RACE_TRIALS=40
RACE_KIDS=8

# sr_main (a child subreaper) -> sr_sub (a child subreaper) -> sr_father -> 8 sr_kid: the
# subreaper and the father exit together, 40 times, the subreaper's delay behind the father
# swept from -20 to +100 us. The agent predicts the kids' adopter at the father's exit and may
# see the subreaper alive when the kernel does not (it is already exiting); then a corrected
# event must follow at the kid's exit. The kernel's answers: each kid's ppid in /proc once
# every hand-over is done, and each father waited for by sr_main (the scenario checks).
# For every orphan (kids and fathers) the last reparent event must name that adopter, and a
# corrected one must be the last. Corrections are counted, not required.
case_subreaper_race()
{
	local main line pair value sub father delay kid ppid rc=0 n race_pid
	local kids=() pairs=()
	start_agent trace --json -e reparent,exit
	window_begin
	start_reaped subreaper_race "$RACE_TRIALS" "$RACE_KIDS"
	race_pid=$REAPED_PID
	main=$(kv main)
	: >"$CASE_DIR/kernel.jsonl"
	while read -r line; do
		[[ $line == trial=* ]] || continue
		sub='' father='' delay='' kids=()
		read -ra pairs <<<"$line"
		for pair in "${pairs[@]}"; do
			value=${pair#*=}
			case ${pair%%=*} in
			sub) sub=$value ;;
			father) father=$value ;;
			delay_ns) delay=$value ;;
			kids) IFS=, read -ra kids <<<"$value" ;;
			esac
		done
		# The father went to sr_main (the scenario waited for it): it is an orphan too.
		printf '{"pid":%d,"comm":"sr_father","from":%d,"sub":%d,"ppid":%d,"delay_ns":%d}\n' \
			"$father" "$sub" "$sub" "$main" "$delay" >>"$CASE_DIR/kernel.jsonl"
		for kid in "${kids[@]}"; do
			ppid=$(stat_ppid "$kid")
			[[ -n $ppid ]] || fail "kid $kid (father $father) is gone before it was killed"
			# sr_main is the only live subreaper above the kids once the trial is over.
			[[ $ppid == "$main" ]] ||
				fail "/proc/$kid/stat: ppid $ppid ($(cat "/proc/$ppid/comm" 2>/dev/null)), not sr_main $main"
			printf '{"pid":%d,"comm":"sr_kid","from":%d,"sub":%d,"ppid":%d,"delay_ns":%d}\n' \
				"$kid" "$father" "$sub" "$ppid" "$delay" >>"$CASE_DIR/kernel.jsonl"
		done
	done <"$SCEN_OUT"
	n=$(grep -c '"sr_kid"' "$CASE_DIR/kernel.jsonl" || true)
	[[ $n -eq $((RACE_TRIALS * RACE_KIDS)) ]] ||
		fail "the scenario reported $n kids (expected $RACE_TRIALS x $RACE_KIDS)"
	# shellcheck disable=SC2046 # one pid per word
	kill -KILL $(jq -r 'select(.comm == "sr_kid") | .pid' "$CASE_DIR/kernel.jsonl")
	wait_child "$race_pid" 60 || rc=$?
	[[ $rc -eq 0 ]] || fail "subreaper_race exited with status $rc: $(head -n3 "$SCEN_OUT.err")"
	stop_agent
	focus "$main"

	# Every reparent event of the case, in the order the agent wrote them.
	events '.type == "reparent"' >"$CASE_DIR/reparents"
	# One verdict per orphan: what its events say against what the kernel did.
	# shellcheck disable=SC2016 # jq program
	jq -c -n --slurpfile got "$CASE_DIR/reparents" '
		($got | to_entries | map(.value + {seq: .key}) | group_by(.pid)
			| map({key: (.[0].pid | tostring), value: sort_by(.seq)}) | from_entries) as $by
		| inputs | . as $w | ($by[$w.pid | tostring] // []) as $evs | ($evs | last) as $last
		| {pid, comm, delay_ns, n: ($evs | length),
		   corrected: ([$evs[] | select(.corrected)] | length),
		   via_sub: any($evs[]; .new_ppid == $w.sub and (.corrected | not)),
		   problems: [
			if ($evs | length) == 0 then "no reparent event" else
			(if $last.new_ppid != $w.ppid then "last new_ppid \($last.new_ppid), kernel \($w.ppid)" else empty end),
			(if $last.reaper_kind != "subreaper" then "last reaper_kind \($last.reaper_kind)" else empty end),
			(if $last.new_parent_comm != "sr_main" then "last new_parent_comm \($last.new_parent_comm)" else empty end),
			(if $last.reaper_in_pidns != true then "last reaper_in_pidns \($last.reaper_in_pidns)" else empty end),
			(if any($evs[0:-1][]; .corrected) then "an event after a corrected one" else empty end),
			(if $evs[0].old_ppid != $w.from then "first old_ppid \($evs[0].old_ppid), not \($w.from)" else empty end),
			(if any($evs[]; .comm != $w.comm) then "comm not \($w.comm)" else empty end),
			# A hand-over goes on from the last adopter; a correction names the same father.
			(range(1; $evs | length) as $i
				| if $evs[$i].corrected then
					(if $evs[$i].old_ppid != $evs[$i - 1].old_ppid then "corrected old_ppid \($evs[$i].old_ppid)" else empty end)
				  elif $evs[$i].old_ppid != $evs[$i - 1].new_ppid then
					"event \($i + 1) old_ppid \($evs[$i].old_ppid) after new_ppid \($evs[$i - 1].new_ppid)"
				  else empty end)
			end]}' "$CASE_DIR/kernel.jsonl" >"$CASE_DIR/verdicts"

	# How the races went (kids only): predicted right at once, through the subreaper, corrected.
	detail "$(jq -r -s '[.[] | select(.comm == "sr_kid")] |
		"\(length) kids in '"$RACE_TRIALS"' trials: \([.[] | select(.corrected > 0)] | length) corrected, " +
		"\([.[] | select(.via_sub and .corrected == 0)] | length) adopted through sr_sub, " +
		"\([.[] | select(.n == 1 and .corrected == 0)] | length) by sr_main at once"' \
		"$CASE_DIR/verdicts")" \
		"$(jq -r -s '[.[] | select(.comm == "sr_father")] |
		"\(length) fathers: \([.[] | select(.corrected > 0)] | length) corrected"' "$CASE_DIR/verdicts")"
	fail_on_verdicts "orphans: the last reparent event is not the kernel's answer, or the" \
		"events disagree"
	# The subreapers themselves were never orphaned (sr_main outlives them).
	# shellcheck disable=SC2016 # jq program
	n=$(jq -s --slurpfile k "$CASE_DIR/kernel.jsonl" \
		'[$k[].sub] as $subs | [.[] | select(.pid as $p | any($subs[]; . == $p))] | length' \
		"$CASE_DIR/reparents")
	[[ $n -eq 0 ]] || fail "$n reparent events of an sr_sub (expected none: sr_main outlives them)"
}

# --- the threads of one father, each with a child, exiting at the same moment ---------------

# Which thread hands its child out of the process, and whether before or after the last
# thread's tracepoint, is a race (kernel/exit.c find_alive_thread()); runc, a Go program
# ending with exit_group(), is the case in the wild. Every child must still be told of
# exactly once, adopted by to_main, the scenario's subreaper (its wait() for each child is
# the kernel's answer: it exits 1 if one was not handed to it).
THREAD_TRIALS=100
THREAD_COUNT=4

case_thread_fathers()
{
	local main line father kids kid n
	start_agent trace --json -e reparent
	scenario thread_orphans "$THREAD_TRIALS" "$THREAD_COUNT"
	main=$(kv main)
	: >"$CASE_DIR/kernel.jsonl"
	while read -r line; do
		[[ $line =~ ^trial=[0-9]+\ father=([0-9]+)\ kids=([0-9,]+)$ ]] || continue
		father=${BASH_REMATCH[1]}
		IFS=, read -ra kids <<<"${BASH_REMATCH[2]}"
		for kid in "${kids[@]}"; do
			printf '{"pid":%d,"father":%d}\n' "$kid" "$father" >>"$CASE_DIR/kernel.jsonl"
		done
	done <"$SCEN_OUT"
	n=$(grep -c . "$CASE_DIR/kernel.jsonl" || true)
	[[ $n -eq $((THREAD_TRIALS * THREAD_COUNT)) ]] ||
		fail "the scenario reported $n children (expected $THREAD_TRIALS x $THREAD_COUNT)"
	stop_agent
	focus "$main"
	events '.type == "reparent"' >"$CASE_DIR/reparents"
	# shellcheck disable=SC2016 # jq program
	jq -c -n --slurpfile got "$CASE_DIR/reparents" --argjson main "$main" '
		($got | group_by(.pid) | map({key: (.[0].pid | tostring), value: .}) | from_entries) as $by
		| inputs | . as $k | ($by[$k.pid | tostring] // []) as $evs
		| {pid, father, n: ($evs | length), problems: [
			if ($evs | length) != 1 then "\($evs | length) reparent events, not 1" else
			($evs[0] | (if .old_ppid != $k.father then "old_ppid \(.old_ppid)" else empty end),
				(if .new_ppid != $main then "new_ppid \(.new_ppid)" else empty end),
				(if .new_parent_comm != "to_main" then "new_parent_comm \(.new_parent_comm)" else empty end),
				(if .old_parent_comm != "to_father" then "old_parent_comm \(.old_parent_comm)" else empty end),
				(if .reaper_kind != "subreaper" then "reaper_kind \(.reaper_kind)" else empty end),
				(if .comm != "to_kid" then "comm \(.comm)" else empty end),
				(if .corrected then "corrected" else empty end))
			end]}' "$CASE_DIR/kernel.jsonl" >"$CASE_DIR/verdicts"
	fail_on_verdicts "children of exiting threads: not exactly one right reparent event"
	# Nobody else was orphaned: no event names a father the scenario did not start.
	n=$(jq -s --slurpfile k "$CASE_DIR/kernel.jsonl" \
		'[$k[].father] as $f | [.[] | select(.old_parent_comm == "to_father" and
			(.old_ppid as $p | any($f[]; . == $p) | not))] | length' "$CASE_DIR/reparents")
	[[ $n -eq 0 ]] || fail "$n reparent events from a to_father the scenario did not report"
}

# --- a thread's children: one reaped by its own process, one orphaned --------------------------

# A worker thread forks two children and exits: both go to the main thread. The process reaps
# one, then exits with the other alive: only that one is an orphan (of the subreaper main).
# (The reaped one's note, kept for the process's last thread, once came back as a reparent
# to "swapper/0" from the freed task's memory.)
case_thread_kid_reaped()
{
	local main line trials=5 n=0
	start_agent trace --json -e reparent,reap
	scenario thread_kid_reaped "$trials"
	main=$(kv main)
	stop_agent
	while read -r line; do
		[[ $line =~ ^trial=[0-9]+\ father=([0-9]+)\ reaped=([0-9]+)\ orphan=([0-9]+)$ ]] ||
			continue
		local father=${BASH_REMATCH[1]} reaped=${BASH_REMATCH[2]} orphan=${BASH_REMATCH[3]} ev
		n=$((n + 1))
		focus "$father" "$reaped" "$orphan"
		assert_none "reparent of $reaped (reaped by its own process before it exited)" \
			".type == \"reparent\" and .pid == $reaped"
		ev=$(expect_one "reap of $reaped" ".type == \"reap\" and .pid == $reaped")
		assert_fields "$ev" "reap of $reaped" .reaper_pid "$father" .reaper_comm '"tkr_father"'
		ev=$(expect_one "reparent of $orphan (alive when its process exited)" \
			".type == \"reparent\" and .pid == $orphan")
		assert_fields "$ev" "reparent of $orphan" .old_ppid "$father" \
			.old_parent_comm '"tkr_father"' .new_ppid "$main" .new_parent_comm '"tkr_main"' \
			.reaper_kind '"subreaper"' .corrected false
	done <"$SCEN_OUT"
	[[ $n -eq $trials ]] || fail "the scenario reported $n trials (expected $trials)"
}

# --- runc exec'd process killed from the host -----------------------------------------------

# in_ns_pid NS NSPID: the host pid of the process whose pid in namespace NS is NSPID.
in_ns_pid()
{
	local f pid
	for f in /proc/[0-9]*; do
		pid=${f#/proc/}
		[[ $(stat -L -c %i "$f/ns/pid" 2>/dev/null) == "$1" ]] || continue
		[[ $(ns_pid_of "$pid" 2>/dev/null) == "$2" ]] && echo "$pid" && return 0
	done
	return 1
}

# The container's init (busybox sh) waits for /gate/go; `runc exec` starts a shell that
# backgrounds a sleep (the orphan-to-be) and waits. SIGKILL the exec'd shell from the host:
# the walk for a subreaper stops at the namespace boundary (runc exec above it lives in the
# host namespace), so the container's PID 1 adopts — in its namespace.
# shellcheck disable=SC2016 # expanded by the container's shell
RUNC_EXEC_INIT='echo ready >/gate/ready; while [ ! -e /gate/go ]; do usleep 20000; done; exit 0'
# shellcheck disable=SC2016
RUNC_EXEC_CMD='sleep 300 & echo $! >/gate/orphan_ns; echo $$ >/gate/father_ns; wait'

case_runc_exec()
{
	local bundle gate runc_pid exec_pid deadline father orphan orphan_ns ev rc=0
	command -v runc >/dev/null || skip "runc is not installed"
	ROOTFS=$(test_rootfs) || fail "cannot build the busybox rootfs"
	ID=$(new_container_id)
	bundle=$CASE_DIR/bundle
	gate=$CASE_DIR/gate
	mkdir -p "$gate"
	make_bundle "$bundle" "$ROOTFS" "$(jq -cn --arg s "$RUNC_EXEC_INIT" '["sh", "-c", $s]')" "" "$gate"
	at_case_exit runc delete --force "$ID"
	start_agent trace --json -e all
	runc run --bundle "$bundle" "$ID" >"$CASE_DIR/runc.out" 2>"$CASE_DIR/runc.err" &
	runc_pid=$!
	track_pid "$runc_pid"
	wait_files "the container's start" "$runc_pid" "$CASE_DIR/runc.err" 30 "$gate/ready"
	INIT=$(runc state "$ID" | jq -r .pid)
	NS=$(pidns_of "$INIT")
	runc exec "$ID" sh -c "$RUNC_EXEC_CMD" >"$CASE_DIR/exec.out" 2>"$CASE_DIR/exec.err" &
	exec_pid=$!
	track_pid "$exec_pid"
	wait_files "the exec'd shell's start" "$exec_pid" "$CASE_DIR/exec.err" 30 \
		"$gate/father_ns" "$gate/orphan_ns"
	orphan_ns=$(cat "$gate/orphan_ns")
	father=$(in_ns_pid "$NS" "$(cat "$gate/father_ns")") || fail "no process with pid $(cat "$gate/father_ns") in pidns $NS"
	orphan=$(in_ns_pid "$NS" "$orphan_ns") || fail "no process with pid $orphan_ns in pidns $NS"
	focus "$INIT" "$father" "$orphan"
	wait_comm "$orphan" sleep
	detail "container $ID: init $INIT, exec'd shell $father (parent $(stat_ppid "$father"): $(cat "/proc/$(stat_ppid "$father")/comm")), orphan $orphan"
	kill -KILL "$father"
	deadline=$((SECONDS + 10))
	until [[ $(stat_ppid "$orphan") == "$INIT" ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "/proc/$orphan/stat: ppid $(stat_ppid "$orphan"), not the container's init $INIT"
		sleep 0.05
	done
	touch "$gate/go"
	wait_child "$runc_pid" 30 || rc=$?
	assert_eq "runc run exit status" 0 "$rc"
	rc=0
	wait_child "$exec_pid" 30 || rc=$?
	assert_eq "runc exec exit status (its process was SIGKILLed)" 137 "$rc"
	stop_agent
	ev=$(expect_one "reparent of $orphan" ".type == \"reparent\" and .pid == $orphan")
	assert_fields "$ev" "reparent of $orphan (father $father runc exec'd, killed from the host)" \
		.comm '"sleep"' .ns_pid "$orphan_ns" .pidns "$NS" .container_id "\"$ID\"" \
		.old_ppid "$father" .old_parent_comm '"sh"' .new_ppid "$INIT" .new_parent_comm '"sh"' \
		.reaper_kind '"pidns_init"' .reaper_in_pidns true .corrected false
}

# --- containerd -----------------------------------------------------------------------------

# containerd runs under reaper_run (a child subreaper that reaps everything and exits once
# nothing is left), so the shims it leaves behind are reaped too.
CTR_NS=reapwatch-test

ctr_()
{
	ctr --address "$CTD_DIR/containerd.sock" --namespace "$CTR_NS" "$@"
}

# containerd_stop: task, container, then containerd; everything under reaper_run is reaped.
containerd_stop()
{
	local i
	if [[ -n ${CTD_ID:-} ]]; then
		ctr_ task kill --signal SIGKILL "$CTD_ID" >/dev/null 2>&1 || true
		for ((i = 0; i < 50; i++)); do
			if ctr_ task delete "$CTD_ID" >/dev/null 2>&1; then break; fi
			# Gone already (the init exited): nothing left to delete.
			if ! ctr_ task ls -q 2>/dev/null | grep -qxF -- "$CTD_ID"; then break; fi
			sleep 0.1
		done
		ctr_ container delete "$CTD_ID" >/dev/null 2>&1 || true
	fi
	if [[ -n ${CTD_RUNNER:-} ]]; then
		kill -TERM "$CTD_RUNNER" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			running "$CTD_RUNNER" || break
			sleep 0.1
		done
		if running "$CTD_RUNNER"; then kill_tree "$CTD_RUNNER"; fi
		wait "$CTD_RUNNER" 2>/dev/null || true
		CTD_RUNNER=
	fi
	# runc's state directory for our containerd namespace, empty by now, and ctr's cgroup
	# parent named after it, in every hierarchy (runc removes only the container's own).
	rmdir "/run/containerd/runc/$CTR_NS" /sys/fs/cgroup/"$CTR_NS" /sys/fs/cgroup/*/"$CTR_NS" \
		2>/dev/null || true
	return 0
}

# shellcheck disable=SC2016 # expanded by the container's shell
CTD_INIT='/bin/sh -c "sleep 300 & echo \$! >/gate/orphan1_ns; usleep 200000"
echo $$ >/gate/ready
while [ ! -e /gate/go ]; do usleep 20000; done'
# shellcheck disable=SC2016
CTD_EXEC='sleep 300 & echo $! >/gate/orphan2_ns; echo $$ >/gate/exec_ns; wait'

case_containerd()
{
	local c gate deadline init shim runner runner_comm exec_sh orphan1 orphan2 ev cid
	for c in containerd ctr containerd-shim-runc-v2 runc; do
		command -v "$c" >/dev/null || skip "$c is not installed (Debian package containerd)"
	done
	ROOTFS=$(test_rootfs) || fail "cannot build the busybox rootfs"
	CTD_DIR=$(mktemp -d /tmp/rwctd.XXXXXX) # short: unix socket paths are limited
	at_case_exit rm -rf "$CTD_DIR"
	gate=$CASE_DIR/gate
	mkdir -p "$gate"
	cat >"$CTD_DIR/config.toml" <<-EOF
		version = 2
		root = "$CTD_DIR/root"
		state = "$CTD_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTD_DIR/containerd.sock"
		[ttrpc]
		  address = "$CTD_DIR/containerd.sock.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
	EOF
	start_agent trace --json -e all
	at_case_exit containerd_stop
	"$SCENARIOS/reaper_run" containerd --config "$CTD_DIR/config.toml" \
		>"$CASE_DIR/containerd.out" 2>"$CASE_DIR/containerd.err" &
	CTD_RUNNER=$!
	deadline=$((SECONDS + 30))
	until ctr_ version >/dev/null 2>&1; do
		running "$CTD_RUNNER" ||
			skip "containerd cannot run here: $(grep -m1 -iE 'level=(fatal|error)' "$CASE_DIR/containerd.err")"
		[[ $SECONDS -lt $deadline ]] || skip "containerd did not answer within 30 s"
		sleep 0.1
	done
	CTD_ID=$(new_container_id)
	# (--rootfs is a flag: the rootfs directory is the first argument.)
	if ! ctr_ run -d --read-only --mount "type=bind,src=$gate,dst=/gate,options=rbind:rw" \
		--rootfs "$ROOTFS" "$CTD_ID" /bin/sh -c "$CTD_INIT" >"$CASE_DIR/ctr-run.out" 2>&1; then
		skip "ctr run failed here: $(head -n2 "$CASE_DIR/ctr-run.out")"
	fi
	until [[ -s $gate/ready && -s $gate/orphan1_ns ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "the containerd container did not start within 30 s"
		sleep 0.05
	done
	init=$(ctr_ task ls | awk -v id="$CTD_ID" '$1 == id { print $2 }')
	NS=$(pidns_of "$init")
	shim=$(stat_ppid "$init")
	orphan1=$(in_ns_pid "$NS" "$(cat "$gate/orphan1_ns")") || fail "no orphan1 in pidns $NS"
	# ctr exits 137 when the exec'd shell is killed below: not a failure of the case.
	{ ctr_ task exec --exec-id e1 "$CTD_ID" /bin/sh -c "$CTD_EXEC" >"$CASE_DIR/exec.out" 2>&1 || true; } &
	track_pid $!
	until [[ -s $gate/exec_ns && -s $gate/orphan2_ns ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "ctr task exec did not start within 30 s: $(head -n2 "$CASE_DIR/exec.out")"
		sleep 0.05
	done
	exec_sh=$(in_ns_pid "$NS" "$(cat "$gate/exec_ns")") || fail "no exec'd shell in pidns $NS"
	orphan2=$(in_ns_pid "$NS" "$(cat "$gate/orphan2_ns")") || fail "no orphan2 in pidns $NS"
	runner=$CTD_RUNNER
	runner_comm=$(cat "/proc/$runner/comm")
	focus "$init" "$shim" "$exec_sh" "$orphan1" "$orphan2"
	detail "containerd under reaper_run $CTD_RUNNER; container $CTD_ID: init $init (pidns $NS), shim $shim," \
		"exec'd shell $exec_sh, orphan of a child of init: $orphan1, orphan of the exec'd shell: $orphan2"
	# The kernel's answers, while everyone is alive.
	assert_eq "comm of the init's parent" containerd-shim "$(cat "/proc/$shim/comm")"
	assert_eq "/proc/$shim/stat ppid (the shim, daemonized: adopted by reaper_run)" "$CTD_RUNNER" "$(stat_ppid "$shim")"
	assert_eq "/proc/$exec_sh/stat ppid (the exec'd shell)" "$shim" "$(stat_ppid "$exec_sh")"
	assert_eq "/proc/$orphan1/stat ppid" "$init" "$(stat_ppid "$orphan1")"
	wait_comm "$orphan2" sleep
	kill -KILL "$exec_sh"
	deadline=$((SECONDS + 10))
	until [[ $(stat_ppid "$orphan2") == "$init" ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "/proc/$orphan2/stat: ppid $(stat_ppid "$orphan2"), not the container's init $init"
		sleep 0.05
	done
	touch "$gate/go"
	cid=$CTD_ID
	containerd_stop
	CTD_ID=
	stop_agent

	# The shim: started by containerd (`containerd-shim-runc-v2 ... start`), which daemonizes
	# it and exits; containerd is no subreaper, so reaper_run above it adopts.
	ev=$(expect_one "reparent of containerd-shim $shim" ".type == \"reparent\" and .pid == $shim")
	assert_fields "$ev" "reparent of containerd-shim $shim" \
		.comm '"containerd-shim"' .new_ppid "$runner" .new_parent_comm "\"$runner_comm\"" \
		.reaper_kind '"subreaper"' .reaper_in_pidns true .corrected false
	# The container's init: `runc create` (its parent, in the host namespace) exits; the shim,
	# a subreaper, adopts it from outside its namespace.
	ev=$(expect_one "reparent of the container's init $init" ".type == \"reparent\" and .pid == $init")
	assert_fields "$ev" "reparent of the container's init $init" \
		.ns_pid 1 .pidns "$NS" .old_parent_comm '"runc"' .new_ppid "$shim" \
		.new_parent_comm '"containerd-shim"' \
		.reaper_kind '"subreaper"' .reaper_in_pidns false .corrected false
	# The exec'd shell: `runc exec` (the runc setns+fork helper, in the host namespace) exits
	# once it has started it — sometimes before runc's init in it has exec'd the shell —
	# and the shim adopts it, from outside its namespace.
	ev=$(expect_one "reparent of the exec'd shell $exec_sh" ".type == \"reparent\" and .pid == $exec_sh")
	assert_fields "$ev" "reparent of the exec'd shell $exec_sh" \
		.pidns "$NS" .old_parent_comm '"runc"' .new_ppid "$shim" \
		.new_parent_comm '"containerd-shim"' .reaper_kind '"subreaper"' .reaper_in_pidns false \
		.corrected false
	assert_true "reparent of the exec'd shell $exec_sh: comm sh, or runc's init not yet exec'd" \
		"$ev" '.comm == "sh" or .comm == "runc:[2:INIT]"'
	# Orphans made inside the container: its PID 1 adopts, inside the namespace.
	ev=$(expect_one "reparent of $orphan1 (its father, a child of init, exited)" \
		".type == \"reparent\" and .pid == $orphan1")
	assert_fields "$ev" "reparent of $orphan1" \
		.comm '"sleep"' .pidns "$NS" .container_id "\"$cid\"" .new_ppid "$init" \
		.new_parent_comm '"sh"' .reaper_kind '"pidns_init"' .reaper_in_pidns true .corrected false
	ev=$(expect_one "reparent of $orphan2 (its father, the exec'd shell, was killed from the host)" \
		".type == \"reparent\" and .pid == $orphan2")
	assert_fields "$ev" "reparent of $orphan2" \
		.comm '"sleep"' .pidns "$NS" .old_ppid "$exec_sh" .new_ppid "$init" .new_parent_comm '"sh"' \
		.reaper_kind '"pidns_init"' .reaper_in_pidns true .corrected false
}

run_case reparent_mt_father_leader_first case_mt_father
run_case reparent_tini_subreaper case_tini_subreaper
run_case reparent_subreaper_not_ancestor case_not_ancestor
run_case reparent_2000_orphans case_many_orphans
run_case reparent_subreaper_exits_with_father case_subreaper_race
run_case reparent_threads_exit_with_children case_thread_fathers
run_case reparent_thread_kid_reaped_in_process case_thread_kid_reaped
run_case reparent_runc_exec_killed case_runc_exec
run_case reparent_containerd case_containerd
finish
