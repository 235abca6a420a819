#!/usr/bin/env bash
# Pid-namespace teardown in real runc containers (busybox-static rootfs): when a container's
# PID 1 exits, the kernel (zap_pid_ns_processes) SIGKILLs whatever is left in the namespace.
# The agent's one `teardown` event per namespace says who was alive (members), who that
# SIGKILL killed (sigkilled, sigkilled_pids) and which of them never had a SIGTERM (or
# SIGINT/SIGHUP/SIGQUIT) first; `signal` events carry origin "pidns_teardown" for those
# SIGKILLs only. Each case runs a different PID 1 (sh, tini, tini -g, dumb-init), stops the
# container the way a runtime does (runc kill) and checks every count and pid exactly.
# (test_pidns.sh covers the same with bare `unshare`-style namespaces and no runtime.)
#
# Every container writes the pids of its processes (as its own namespace numbers them) into
# /gate, a host directory bind-mounted read-write, and touches /gate/ready once all run;
# the test maps them to host pids by walking /proc/<init>/task/*/children.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/runc.sh
source "$REPO/tests/lib/runc.sh"

TINI=/usr/bin/tini-static
DUMB_INIT=/usr/bin/dumb-init

# --- helpers ---------------------------------------------------------------------------

# descendants PID: the host pids of PID's descendants, from /proc/PID/task/*/children.
descendants()
{
	local queue=("$1") p c
	while [[ ${#queue[@]} -gt 0 ]]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null || true); do
			echo "$c"
			queue+=("$c")
		done
	done
}

# host_pid ROOT NS NSPID [COMM]: the host pid of the process ROOT or one of its descendants
# that has pid NSPID in pid namespace NS (and, if given, has exec'd COMM); waits up to 10 s.
host_pid()
{
	local root=$1 ns=$2 nspid=$3 comm=${4:-} deadline=$((SECONDS + 10)) p
	while :; do
		for p in "$root" $(descendants "$root"); do
			[[ $(pidns_of "$p" 2>/dev/null) == "$ns" ]] || continue
			[[ $(ns_pid_of "$p" 2>/dev/null) == "$nspid" ]] || continue
			[[ -z $comm || $(cat "/proc/$p/comm" 2>/dev/null) == "$comm" ]] || continue
			echo "$p"
			return 0
		done
		[[ $SECONDS -lt $deadline ]] ||
			fail "no process under $root has pid $nspid in pidns $ns${comm:+ and comm $comm}"
		sleep 0.05
	done
}

# wait_file FILE [SECONDS]: wait until FILE exists (while the container's runc runs).
wait_file()
{
	wait_files "the container" "${RUNC_PID:-}" "$CASE_DIR/runc.err" "${2:-30}" "$1"
}

# gate_pid NAME: the namespace pid the container wrote into /gate/NAME.
gate_pid()
{
	local v
	v=$(cat "$GATE/$1")
	[[ $v =~ ^[0-9]+$ ]] || fail "/gate/$1 holds '$v', not a pid"
	echo "$v"
}

# copy_binary SRC NAME: copy SRC into the case's rootfs as /bin/NAME. Debian's tini-static
# is static; its dumb-init is dynamically linked (libc), so the loader and libraries ldd
# names go into the rootfs at the same paths. (ldd, from libc-bin, is on every Debian
# machine; `file` is not. It fails with "not a dynamic executable" for a static binary.)
copy_binary()
{
	local src=$1 name=$2 libs lib
	cp "$src" "$ROOTFS/bin/$name"
	libs=$(ldd "$src" 2>/dev/null) || return 0
	while IFS= read -r lib; do
		[[ -e $lib ]] || skip "$src needs $lib, which is missing"
		cp -L --parents "$lib" "$ROOTFS"
	done < <(grep -o '/[^ ]*' <<<"$libs")
}

# case_rootfs [INIT...]: a per-case copy of the busybox rootfs (the cached one is never
# modified) with the named inits (tini, dumb-init) in /bin; its path is in ROOTFS. Skips the
# case when runc or an init is not installed.
case_rootfs()
{
	local base
	command -v runc >/dev/null || skip "runc is not installed"
	base=$(test_rootfs) || fail "cannot build the busybox rootfs"
	ROOTFS=$CASE_DIR/rootfs
	cp -a "$base" "$ROOTFS"
	while [[ $# -gt 0 ]]; do
		case $1 in
		tini)
			[[ -x $TINI ]] || skip "$TINI not found (Debian package tini)"
			copy_binary "$TINI" tini
			;;
		dumb-init)
			[[ -x $DUMB_INIT ]] || skip "$DUMB_INIT not found (Debian package dumb-init)"
			copy_binary "$DUMB_INIT" dumb-init
			;;
		esac
		shift
	done
}

# start_container ARGS_JSON [SPEC_JQ]: run a container of ROOTFS with process.args ARGS_JSON
# (SPEC_JQ, if given, edits config.json further) and wait until it touches /gate/ready. Sets
# ID, GATE, RUNC_PID, INIT (host pid of its PID 1), INIT_COMM, NS (its pidns inode).
start_container()
{
	local args=$1 spec_jq=${2:-.} bundle=$CASE_DIR/bundle
	ID=$(new_container_id)
	GATE=$CASE_DIR/gate
	mkdir -p "$GATE"
	make_bundle "$bundle" "$ROOTFS" "$args" "" "$GATE"
	jq "$spec_jq" "$bundle/config.json" >"$bundle/config.json.new"
	mv "$bundle/config.json.new" "$bundle/config.json"
	at_case_exit runc delete --force "$ID"
	runc run --bundle "$bundle" "$ID" >"$CASE_DIR/runc.out" 2>"$CASE_DIR/runc.err" &
	RUNC_PID=$!
	track_pid "$RUNC_PID"
	wait_file "$GATE/ready"
	INIT=$(runc state "$ID" | jq -r .pid)
	NS=$(pidns_of "$INIT")
	INIT_COMM=$(cat "/proc/$INIT/comm")
	detail "container $ID: init $INIT ($INIT_COMM), pidns $NS"
}

# end_container: wait until runc run returns (the container's PID 1 has exited and runc has
# seen it), whatever its status.
end_container()
{
	wait_child "$RUNC_PID" 30 || true
}

# stop_agent_narrow: stop the agent, then keep (in $EVENTS) only the events of container ID,
# of its pid namespace NS, or naming one of the focus pids in any role: the host's other
# events (a busy CI machine has thousands) would only slow every assertion down.
stop_agent_narrow()
{
	local all pids
	stop_agent
	all=$EVENTS
	pids=$(printf '%s,' "${FOCUS_PIDS[@]}")
	EVENTS=$CASE_DIR/narrow.out
	jq -c --arg id "$ID" --argjson ns "$NS" --argjson p "[${pids%,}]" '
		select(.container_id == $id or .pidns == $ns or
		       any(.pid, .sender_pid, .ppid, .reaper_pid, .old_ppid, .new_ppid;
		           . as $x | $p | index([$x]) != null))' "$all" >"$EVENTS"
}

# fields EVENT DESC EXPR JSON [EXPR JSON...]: assert_fields in one jq run while all hold
# (assert_fields runs jq twice per field, which adds up on a loaded machine); on any
# mismatch, assert_fields itself says which.
fields()
{
	local a=("$@") prog="" sep="" i
	for ((i = 2; i + 1 < ${#a[@]}; i += 2)); do
		prog+="$sep((${a[i]}) == (${a[i + 1]}))"
		sep=", "
	done
	if [[ $(jq -c "$JQ_DEFS [$prog] | all" <<<"$1" 2>/dev/null) == true ]]; then
		return 0
	fi
	assert_fields "$@"
}

# sorted PID...: a JSON array of the pids, ascending (sigkilled_pids is compared sorted).
sorted()
{
	printf '%s\n' "$@" | sort -n | paste -sd, | sed 's/^/[/; s/$/]/'
}

# check_teardown_sigkill PID COMM: PID got exactly one SIGKILL, the teardown's, from INIT.
check_teardown_sigkill()
{
	local pid=$1 comm=$2 ev
	ev=$(expect_one "teardown SIGKILL of $comm $pid" \
		".type == \"signal\" and .pid == $pid and .sig == 9")
	fields "$ev" "teardown SIGKILL of $comm $pid" \
		.comm "\"$comm\"" .signal '"SIGKILL"' .code '"SI_KERNEL"' .origin '"pidns_teardown"' \
		.sender_pid "$INIT" .sender_comm "\"$INIT_COMM\"" .result '"delivered"' .pidns "$NS" \
		.container_id "\"$ID\""
}

# check_sigterms PID N SENDER: PID was sent exactly N termination signals (TERM, INT, HUP,
# QUIT), each a SIGTERM from SENDER, user origin.
check_sigterms()
{
	local pid=$1 n=$2 sender=$3 filter ev
	filter=".type == \"signal\" and .pid == $pid"
	filter+=" and (.sig == 1 or .sig == 2 or .sig == 3 or .sig == 15)"
	assert_count "termination signals sent to $pid" "$n" "$filter"
	while IFS= read -r ev; do
		[[ -n $ev ]] || continue
		fields "$ev" "termination signal to $pid" \
			.signal '"SIGTERM"' .sender_pid "$sender" .code '"SI_USER"' .origin '"user"'
	done <<<"$(events "$filter")"
}

# assert_teardown_sigkills N: N teardown SIGKILLs in the container's pid namespace.
assert_teardown_sigkills()
{
	assert_count "teardown SIGKILLs in pidns $NS of container $ID" "$1" \
		".type == \"signal\" and .origin == \"pidns_teardown\" and .pidns == $NS and .container_id == \"$ID\""
}

# The SIGTERM that runc kill sends to the container's PID 1 (exactly one).
check_runc_sigterm()
{
	local result=$1 ev
	ev=$(expect_one "SIGTERM from runc kill to PID 1 $INIT" \
		".type == \"signal\" and .pid == $INIT and .sig == 15")
	fields "$ev" "SIGTERM from runc kill to PID 1 $INIT" \
		.sender_comm '"runc"' .code '"SI_USER"' .origin '"user"' .result "\"$result\"" \
		.ns_pid 1 .pidns "$NS"
}

# --- cases -----------------------------------------------------------------------------

# The container of cases 1, 2 and 7: busybox sh as PID 1 with three background sleepers.
# shellcheck disable=SC2016 # expanded by the container's shell
SH_SLEEPERS='sleep 1000 & echo $! >/gate/s1
sleep 1000 & echo $! >/gate/s2
sleep 1000 & echo $! >/gate/s3
echo 1 >/gate/ready
wait'

# start_sh_sleepers: start that container; sets S1 S2 S3 (host pids, once they are sleep).
start_sh_sleepers()
{
	case_rootfs
	start_container "$(jq -cn --arg s "$SH_SLEEPERS" '["sh", "-c", $s]')"
	S1=$(host_pid "$INIT" "$NS" "$(gate_pid s1)" sleep)
	S2=$(host_pid "$INIT" "$NS" "$(gate_pid s2)" sleep)
	S3=$(host_pid "$INIT" "$NS" "$(gate_pid s3)" sleep)
	focus "$INIT" "$S1" "$S2" "$S3"
}

# check_sh_sleepers_teardown: the three sleepers died by the teardown SIGKILL, none warned.
check_sh_sleepers_teardown()
{
	local s ev
	for s in "$S1" "$S2" "$S3"; do
		check_teardown_sigkill "$s" sleep
		check_sigterms "$s" 0 none
	done
	assert_teardown_sigkills 3
	assert_count "teardown SIGKILLs sent by PID 1 $INIT (sh)" 3 \
		".type == \"signal\" and .origin == \"pidns_teardown\" and .sender_pid == $INIT"
	ev=$(expect_one "SIGKILL from runc kill to PID 1 $INIT" \
		".type == \"signal\" and .pid == $INIT and .sig == 9")
	fields "$ev" "SIGKILL from runc kill to PID 1 $INIT" \
		.sender_comm '"runc"' .code '"SI_USER"' .origin '"user"' .result '"delivered"'
	ev=$(expect_one "teardown of container $ID" \
		".type == \"teardown\" and .pidns == $NS and .container_id == \"$ID\"")
	fields "$ev" "teardown of container $ID" \
		.pid "$INIT" .comm '"sh"' .ns_pid 1 .container_id "\"$ID\"" .members "$(members 3)" .sigkilled 3 \
		.sigkilled_without_sigterm 3 '.sigkilled_pids | sort' "$(sorted "$S1" "$S2" "$S3")" \
		'.duration_ns | type' '"number"'
	TEARDOWN=$ev
}

# 1. sh as PID 1, `runc kill KILL`: the three sleepers are killed by the teardown, unwarned.
case_sh_kill()
{
	start_agent trace --json -e all
	start_sh_sleepers
	runc kill "$ID" KILL
	end_container
	stop_agent_narrow
	check_sh_sleepers_teardown
	fields "$TEARDOWN" "teardown of container $ID (no SIGTERM at all)" .grace_ns null
}

# 2. The same, `runc kill TERM` first (sh as PID 1 has no handler: the kernel discards it
# for a namespace init), KILL 0.5 s later: the grace period is that gap, and still nobody
# but PID 1 had a SIGTERM.
case_sh_term_then_kill()
{
	local t0a t0b t1a t1b lo hi
	start_agent trace --json -e all
	start_sh_sleepers
	t0a=$(date +%s%N)
	runc kill "$ID" TERM
	t0b=$(date +%s%N)
	sleep 0.5
	t1a=$(date +%s%N)
	runc kill "$ID" KILL
	t1b=$(date +%s%N)
	end_container
	stop_agent_narrow
	check_sh_sleepers_teardown
	check_runc_sigterm ignored
	# grace_ns runs from the SIGTERM (sent at some moment while `runc kill TERM` ran, between
	# t0a and t0b) to PID 1's exit (after the SIGKILL, sent between t1a and t1b). So it is at
	# least t1a - t0b (>= 0.5 s by the sleep; 10 ms off for the two clocks, the test's
	# realtime and the agent's monotonic one) and at most t1b - t0a plus the time PID 1 takes
	# to die once SIGKILLed, for which 1 s is a generous margin on a loaded machine.
	lo=$((t1a - t0b - 10000000))
	hi=$((t1b - t0a + 1000000000))
	detail "runc kill TERM ran $t0a..$t0b, runc kill KILL $t1a..$t1b: grace in [$lo, $hi] ns"
	assert_true "teardown grace_ns between $lo and $hi ns" "$TEARDOWN" \
		"(.grace_ns | type) == \"number\" and .grace_ns >= $lo and .grace_ns <= $hi"
}

# 3. tini as PID 1 forwards SIGTERM to its child only. The child sh traps TERM and exits; its
# own child (a sleep, the grandchild) never got a SIGTERM and is killed by the teardown.
# shellcheck disable=SC2016 # expanded by the container's shell
TINI_CHILD='trap "exit 0" TERM
sleep 1000 & echo $! >/gate/gc
echo $$ >/gate/sh
echo 1 >/gate/ready
wait'

case_tini()
{
	local sh gc ev
	case_rootfs tini
	start_agent trace --json -e all
	start_container "$(jq -cn --arg s "$TINI_CHILD" '["/bin/tini", "--", "sh", "-c", $s]')"
	sh=$(host_pid "$INIT" "$NS" "$(gate_pid sh)" sh)
	gc=$(host_pid "$INIT" "$NS" "$(gate_pid gc)" sleep)
	focus "$INIT" "$sh" "$gc"
	runc kill "$ID" TERM
	end_container
	stop_agent_narrow
	check_runc_sigterm delivered
	# Who got a SIGTERM: the sh, forwarded by tini.
	check_sigterms "$sh" 1 "$INIT"
	ev=$(expect_one "SIGTERM forwarded by tini to sh $sh" \
		".type == \"signal\" and .pid == $sh and .sig == 15")
	fields "$ev" "SIGTERM forwarded by tini to sh $sh" \
		.sender_comm '"tini"' .result '"delivered"' .pidns "$NS"
	ev=$(expect_one "exit of sh $sh" ".type == \"exit\" and .pid == $sh")
	fields "$ev" "exit of sh $sh (its TERM trap)" .exit_code 0 .signal null
	# Who was killed: the grandchild, without a SIGTERM.
	check_sigterms "$gc" 0 none
	check_teardown_sigkill "$gc" sleep
	assert_teardown_sigkills 1
	ev=$(expect_one "teardown of container $ID" \
		".type == \"teardown\" and .pidns == $NS and .container_id == \"$ID\"")
	fields "$ev" "teardown of container $ID (tini, grandchild left behind)" \
		.pid "$INIT" .comm '"tini"' .ns_pid 1 .container_id "\"$ID\"" .members "$(members 1)" \
		.sigkilled 1 .sigkilled_without_sigterm 1 .sigkilled_pids "[$gc]"
	assert_true "teardown grace_ns (runc's SIGTERM → tini's exit) is a number under 10 s" "$ev" \
		'(.grace_ns | type) == "number" and .grace_ns > 0 and .grace_ns < 10000000000'
}

# 4. tini -g forwards SIGTERM to its child's whole process group. The sh and both sleepers
# get it; the sleepers die of it, the sh (trap: wait for them, then exit) reaps them and
# exits, and tini follows. The namespace is empty when PID 1 exits: no member, nothing for
# the teardown to kill.
# shellcheck disable=SC2016 # expanded by the container's shell
GROUP_HONOURS='trap "wait; exit 0" TERM
sleep 1000 & echo $! >/gate/s1
sleep 1000 & echo $! >/gate/s2
echo $$ >/gate/sh
echo 1 >/gate/ready
wait'

case_tini_group()
{
	local sh s1 s2 s ev
	case_rootfs tini
	start_agent trace --json -e all
	start_container "$(jq -cn --arg s "$GROUP_HONOURS" '["/bin/tini", "-g", "--", "sh", "-c", $s]')"
	sh=$(host_pid "$INIT" "$NS" "$(gate_pid sh)" sh)
	s1=$(host_pid "$INIT" "$NS" "$(gate_pid s1)" sleep)
	s2=$(host_pid "$INIT" "$NS" "$(gate_pid s2)" sleep)
	focus "$INIT" "$sh" "$s1" "$s2"
	runc kill "$ID" TERM
	end_container
	stop_agent_narrow
	check_runc_sigterm delivered
	for s in "$sh" "$s1" "$s2"; do
		check_sigterms "$s" 1 "$INIT"
	done
	for s in "$s1" "$s2"; do
		ev=$(expect_one "exit of sleeper $s" ".type == \"exit\" and .pid == $s")
		fields "$ev" "exit of sleeper $s" .signal '"SIGTERM"' .ppid "$sh"
	done
	assert_teardown_sigkills 0
	ev=$(expect_one "teardown of container $ID" \
		".type == \"teardown\" and .pidns == $NS and .container_id == \"$ID\"")
	fields "$ev" "teardown of container $ID (tini -g, everyone honoured SIGTERM)" \
		.pid "$INIT" .comm '"tini"' .container_id "\"$ID\"" .members "$(members 0)" .sigkilled 0 \
		.sigkilled_without_sigterm 0 .sigkilled_pids '[]'
	assert_true "teardown grace_ns is a number under 10 s" "$ev" \
		'(.grace_ns | type) == "number" and .grace_ns > 0 and .grace_ns < 10000000000'
}

# 5. dumb-init as PID 1 runs its child in a new session and forwards SIGTERM to the child's
# process group; when the child exits it sends SIGTERM to that group once more and exits.
# Here the group holds the sh, a sleep that honours SIGTERM and one that ignores it (SIG_IGN
# set before exec). The sh waits for the honest sleep and exits; the stubborn one gets both
# SIGTERMs and then the teardown SIGKILL: killed, but with a SIGTERM first.
# shellcheck disable=SC2016 # expanded by the container's shell
GROUP_MIXED='sleep 1000 & S=$!; echo $S >/gate/honest
(trap "" TERM; exec sleep 1000) & echo $! >/gate/stubborn
trap "wait $S; exit 0" TERM
echo $$ >/gate/sh
echo 1 >/gate/ready
wait'

case_dumb_init()
{
	local sh honest stubborn s ev
	case_rootfs dumb-init
	start_agent trace --json -e all
	start_container "$(jq -cn --arg s "$GROUP_MIXED" '["/bin/dumb-init", "sh", "-c", $s]')"
	sh=$(host_pid "$INIT" "$NS" "$(gate_pid sh)" sh)
	honest=$(host_pid "$INIT" "$NS" "$(gate_pid honest)" sleep)
	stubborn=$(host_pid "$INIT" "$NS" "$(gate_pid stubborn)" sleep)
	focus "$INIT" "$sh" "$honest" "$stubborn"
	runc kill "$ID" TERM
	end_container
	stop_agent_narrow
	check_runc_sigterm delivered
	for s in "$sh" "$honest"; do
		check_sigterms "$s" 1 "$INIT"
	done
	check_sigterms "$stubborn" 2 "$INIT"
	assert_count "SIGTERMs from dumb-init that $stubborn ignored" 2 \
		".type == \"signal\" and .pid == $stubborn and .sig == 15 and
		 .sender_comm == \"dumb-init\" and .result == \"ignored\""
	ev=$(expect_one "exit of the honest sleeper $honest" ".type == \"exit\" and .pid == $honest")
	fields "$ev" "exit of the honest sleeper $honest" .signal '"SIGTERM"'
	check_teardown_sigkill "$stubborn" sleep
	assert_teardown_sigkills 1
	ev=$(expect_one "teardown of container $ID" \
		".type == \"teardown\" and .pidns == $NS and .container_id == \"$ID\"")
	fields "$ev" "teardown of container $ID (dumb-init, one member ignores SIGTERM)" \
		.pid "$INIT" .comm '"dumb-init"' .container_id "\"$ID\"" .members "$(members 1)" .sigkilled 1 \
		.sigkilled_without_sigterm 0 .sigkilled_pids "[$stubborn]" \
		.warned_pids "[{\"pid\": $stubborn, \"signal\": \"SIGTERM\"}]"
	assert_true "teardown grace_ns is a number under 10 s" "$ev" \
		'(.grace_ns | type) == "number" and .grace_ns > 0 and .grace_ns < 10000000000'
}

# 6. tini -g, and a member that ignores SIGTERM: the sh exits on SIGTERM at once, the member
# stays, and the teardown kills it — with a SIGTERM first.
# shellcheck disable=SC2016 # expanded by the container's shell
GROUP_IGNORER='trap "exit 0" TERM
(trap "" TERM; exec sleep 1000) & echo $! >/gate/stubborn
echo $$ >/gate/sh
echo 1 >/gate/ready
wait'

case_tini_group_ignorer()
{
	local sh stubborn ev
	case_rootfs tini
	start_agent trace --json -e all
	start_container "$(jq -cn --arg s "$GROUP_IGNORER" '["/bin/tini", "-g", "--", "sh", "-c", $s]')"
	sh=$(host_pid "$INIT" "$NS" "$(gate_pid sh)" sh)
	stubborn=$(host_pid "$INIT" "$NS" "$(gate_pid stubborn)" sleep)
	focus "$INIT" "$sh" "$stubborn"
	runc kill "$ID" TERM
	end_container
	stop_agent_narrow
	check_runc_sigterm delivered
	check_sigterms "$sh" 1 "$INIT"
	check_sigterms "$stubborn" 1 "$INIT"
	ev=$(expect_one "SIGTERM from tini to $stubborn" \
		".type == \"signal\" and .pid == $stubborn and .sig == 15")
	fields "$ev" "SIGTERM from tini to $stubborn" .sender_comm '"tini"' .result '"ignored"'
	check_warned_member_teardown "$stubborn" "tini -g, one member ignores SIGTERM" .comm '"tini"'
}

# check_warned_member_teardown PID WHY [FIELD VALUE]...: the teardown SIGKILLed PID (now
# sleep), its one member, which had a SIGTERM first; FIELD VALUE pairs are checked too.
check_warned_member_teardown()
{
	local pid=$1 why=$2 ev
	shift 2
	check_teardown_sigkill "$pid" sleep
	assert_teardown_sigkills 1
	ev=$(expect_one "teardown of container $ID" \
		".type == \"teardown\" and .pidns == $NS and .container_id == \"$ID\"")
	fields "$ev" "teardown of container $ID ($why)" \
		.pid "$INIT" .container_id "\"$ID\"" .members "$(members 1)" .sigkilled 1 \
		.sigkilled_without_sigterm 0 .sigkilled_pids "[$pid]" \
		.warned_pids "[{\"pid\": $pid, \"signal\": \"SIGTERM\"}]" "$@"
}

# 6b. A member that had its SIGTERM (it ignores it), then exec'd from a non-leader thread:
# de_thread() frees its old group leader and the exec'ing thread takes over, so the process
# the teardown SIGKILLs has a new leader; it was still warned.
TERM_EXEC='/bin/term_exec /gate /bin/sleep 1000 &
echo $$ >/gate/sh
echo 1 >/gate/ready
wait'

case_term_then_exec()
{
	local member ev
	case_rootfs
	copy_binary "$SCENARIOS/term_exec" term_exec
	start_agent trace --json -e all
	start_container "$(jq -cn --arg s "$TERM_EXEC" '["sh", "-c", $s]')"
	wait_file "$GATE/member"
	member=$(host_pid "$INIT" "$NS" "$(gate_pid member)" te_member)
	focus "$INIT" "$member"
	kill -TERM "$member"
	touch "$GATE/exec"
	wait_comm "$member" sleep # exec'd from its thread
	runc kill "$ID" KILL
	end_container
	stop_agent_narrow
	ev=$(expect_one "SIGTERM from the host to $member" \
		".type == \"signal\" and .pid == $member and .sig == 15")
	fields "$ev" "SIGTERM from the host to $member" .comm '"te_member"' .result '"ignored"'
	check_warned_member_teardown "$member" "the member was warned, then exec'd from a thread" \
		.comm '"sh"'
}

# 7. `kill -9` from the host of a container process (not its PID 1): a user's SIGKILL, never a
# teardown's, and no teardown for the container, which keeps running.
case_host_kill()
{
	local killer ev
	start_agent trace --json -e all
	start_sh_sleepers
	killer=$BASHPID
	focus "$INIT" "$S1" "$S2" "$S3" "$killer"
	kill -9 "$S2"
	# The sh (PID 1, in `wait`) reaps it.
	local deadline=$((SECONDS + 10))
	while [[ -n $(proc_state "$S2") ]]; do
		[[ $SECONDS -lt $deadline ]] || fail "sleeper $S2 still exists 10 s after kill -9"
		sleep 0.02
	done
	sleep 0.5
	stop_agent_narrow
	assert_eq "the container's state after kill -9 of one member" running \
		"$(runc state "$ID" | jq -r .status)"
	running "$INIT" || fail "PID 1 $INIT of container $ID is gone after kill -9 of $S2"
	if ! running "$S1" || ! running "$S3"; then fail "the other sleepers $S1 $S3 are gone"; fi
	ev=$(expect_one "kill -9 from the host to $S2" \
		".type == \"signal\" and .pid == $S2 and .sig == 9")
	fields "$ev" "kill -9 from the host to $S2" \
		.sender_pid "$killer" .code '"SI_USER"' .origin '"user"' .result '"delivered"' \
		.pidns "$NS" .container_id "\"$ID\""
	ev=$(expect_one "exit of $S2" ".type == \"exit\" and .pid == $S2")
	fields "$ev" "exit of $S2" .signal '"SIGKILL"'
	assert_teardown_sigkills 0
	assert_count "teardown SIGKILLs sent by PID 1 $INIT" 0 \
		".type == \"signal\" and .origin == \"pidns_teardown\" and .sender_pid == $INIT"
	assert_count "teardowns of container $ID" 0 \
		".type == \"teardown\" and .container_id == \"$ID\""
}

# 8. Nested pid namespaces in one container: the container's sh runs a sleeper and
# `unshare -p -f sh` (an inner namespace whose init has two sleepers). The inner init exits
# first: one teardown for the inner namespace (its inode), its two sleepers killed; later the
# container's PID 1 exits: a separate teardown for the outer namespace, its sleeper killed.
# unshare(CLONE_NEWPID) needs CAP_SYS_ADMIN, which runc's default spec drops; added here.
# shellcheck disable=SC2016 # expanded by the inner shell (the script /gate/inner.sh)
NESTED_INNER='sleep 1000 & echo $! >/gate/i1
sleep 1000 & echo $! >/gate/i2
echo 1 >/gate/inner_ready
while [ ! -e /gate/inner_go ]; do usleep 20000; done
exit 0'
# shellcheck disable=SC2016 # expanded by the container's shell
NESTED_OUTER='sleep 1000 & echo $! >/gate/o1
unshare -p -f sh /gate/inner.sh & U=$!; echo $U >/gate/unshare
while [ ! -e /gate/inner_ready ]; do usleep 20000; done
echo 1 >/gate/ready
wait $U; echo $? >/gate/inner_done
while [ ! -e /gate/outer_go ]; do usleep 20000; done
exit 0'

case_nested()
{
	local u inner inner_ns i1 i2 o1 ev s inner_time outer_exit_time
	case_rootfs
	mkdir -p "$CASE_DIR/gate"
	echo "$NESTED_INNER" >"$CASE_DIR/gate/inner.sh"
	start_agent trace --json -e all
	start_container "$(jq -cn --arg s "$NESTED_OUTER" '["sh", "-c", $s]')" \
		'.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	o1=$(host_pid "$INIT" "$NS" "$(gate_pid o1)" sleep)
	u=$(host_pid "$INIT" "$NS" "$(gate_pid unshare)" unshare)
	inner=$(children_of "$u")
	[[ $inner =~ ^[0-9]+$ ]] || fail "unshare $u has children '$inner', expected one (the inner init)"
	inner_ns=$(pidns_of "$inner")
	[[ $inner_ns != "$NS" ]] || fail "the inner init $inner is in the container's pidns $NS"
	assert_eq "ns pid of the inner init $inner" 1 "$(ns_pid_of "$inner")"
	i1=$(host_pid "$inner" "$inner_ns" "$(gate_pid i1)" sleep)
	i2=$(host_pid "$inner" "$inner_ns" "$(gate_pid i2)" sleep)
	focus "$INIT" "$o1" "$u" "$inner" "$i1" "$i2"
	detail "inner init $inner (pidns $inner_ns), inner sleepers $i1 $i2, outer sleeper $o1"
	touch "$GATE/inner_go"
	wait_file "$GATE/inner_done"
	assert_eq "exit status of unshare (the inner init's)" 0 "$(cat "$GATE/inner_done")"
	running "$o1" || fail "outer sleeper $o1 died with the inner namespace"
	touch "$GATE/outer_go"
	end_container
	stop_agent_narrow
	# The inner namespace: torn down by the inner init, once.
	for s in "$i1" "$i2"; do
		ev=$(expect_one "teardown SIGKILL of inner sleeper $s" \
			".type == \"signal\" and .pid == $s and .sig == 9")
		fields "$ev" "teardown SIGKILL of inner sleeper $s" \
			.code '"SI_KERNEL"' .origin '"pidns_teardown"' .sender_pid "$inner" \
			.result '"delivered"' .pidns "$inner_ns" .container_id "\"$ID\""
	done
	ev=$(expect_one "teardown of the inner pidns $inner_ns" \
		".type == \"teardown\" and .pidns == $inner_ns and .container_id == \"$ID\"")
	fields "$ev" "teardown of the inner pidns $inner_ns" \
		.pid "$inner" .comm '"sh"' .ns_pid 1 .container_id "\"$ID\"" .members "$(members 2)" .sigkilled 2 \
		.sigkilled_without_sigterm 2 '.sigkilled_pids | sort' "$(sorted "$i1" "$i2")" \
		.grace_ns null
	inner_time=$(jq -r "$JQ_DEFS .time | usec" <<<"$ev")
	# The outer namespace: its own teardown, later, by the container's PID 1.
	check_teardown_sigkill "$o1" sleep
	ev=$(expect_one "teardown of the container's pidns $NS" \
		".type == \"teardown\" and .pidns == $NS and .container_id == \"$ID\"")
	fields "$ev" "teardown of the container's pidns $NS" \
		.pid "$INIT" .comm '"sh"' .ns_pid 1 .container_id "\"$ID\"" .members "$(members 1)" .sigkilled 1 \
		.sigkilled_without_sigterm 1 .sigkilled_pids "[$o1]" .grace_ns null
	outer_exit_time=$(expect_one "exit of PID 1 $INIT" ".type == \"exit\" and .pid == $INIT" |
		jq -r "$JQ_DEFS .time | usec")
	[[ $inner_time -lt $outer_exit_time ]] ||
		fail "the inner teardown ($inner_time µs) is not before the outer init's exit ($outer_exit_time µs)"
	assert_count "teardowns of container $ID" 2 \
		".type == \"teardown\" and .container_id == \"$ID\""
	assert_count "teardown SIGKILLs in container $ID" 3 \
		".type == \"signal\" and .origin == \"pidns_teardown\" and .container_id == \"$ID\""
}

run_case teardown_sh_pid1_kill case_sh_kill
run_case teardown_sh_pid1_term_then_kill case_sh_term_then_kill
run_case teardown_tini_grandchild case_tini
run_case teardown_tini_group case_tini_group
run_case teardown_dumb_init case_dumb_init
run_case teardown_tini_group_ignores_term case_tini_group_ignorer
run_case teardown_term_then_exec_from_thread case_term_then_exec
run_case teardown_not_for_host_kill case_host_kill
run_case teardown_nested_pidns case_nested
finish
