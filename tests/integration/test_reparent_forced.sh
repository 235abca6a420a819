#!/usr/bin/env bash
# A multi-threaded child subreaper exits, all of its threads, after its grandchild's father
# has passed its exit tracepoint (where the adopter is predicted) and before that father's
# exit_notify() hands the grandchild over: forced with no timing (the scenario holds the
# father in exit_files() on a FUSE flush it answers only after the subreaper is gone). The
# kernel (find_new_reaper(): no live subreaper left) gives the kid to the pid namespace's
# init; /proc's PPid says so. The agent's prediction was the subreaper; its correction must
# name the init, and reapwatch_reparents_total must count the kid under pidns_init.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

EXPORT_READY='reapwatch: exporting'

# reparents_total FILE CONTAINER KIND: the sample, "absent" when none.
reparents_total()
{
	awk -v id="container_id=\"$2\"" -v kind="reaper_kind=\"$3\"" \
		'$1 ~ /^reapwatch_reparents_total\{/ && index($1, id) && index($1, kind) { v = $2 }
		 END { print (v == "" ? "absent" : v) }' "$1"
}

case_subreaper_gone()
{
	local id dir scen init sub father kid ev got
	[[ -c /dev/fuse ]] || skip "no /dev/fuse"
	grep -qw fuse /proc/filesystems || skip "no fuse file system in this kernel"
	# A cgroup that looks like a container's, so export has a series of its own.
	fake_container_cgroup
	id=$FAKE_CTR_ID
	dir=$CASE_DIR/prom
	mkdir -p "$dir"
	start_agent trace --json -e reparent,exit
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1
	SCEN_OUT=$CASE_DIR/subreaper_gone.out
	window_begin
	bash -c "$IN_CGROUP" "$FAKE_CTR_CG" unshare -pfm "$SCENARIOS/subreaper_gone" >"$SCEN_OUT" \
		2>"$CASE_DIR/subreaper_gone.err" &
	scen=$!
	track_pid "$scen"
	wait_scenario_ready subreaper_gone "$scen" 30 "$CASE_DIR/subreaper_gone.err"
	init=$(kv init)
	sub=$(kv sub)
	father=$(kv father)
	kid=$(kv kid)
	focus "$init" "$sub" "$father" "$kid"
	assert_eq "the kid's parent, from /proc (the kernel's adopter)" "$init" \
		"$(awk '/^PPid:/ { print $2 }' "/proc/$kid/status")"
	assert_eq "the subreaper's threads before it went (scenario)" 4 "$(kv sub_threads)"
	kill -KILL "$kid"
	wait "$scen" || fail "subreaper_gone exited with status $?: $(cat "$CASE_DIR/subreaper_gone.err")"
	window_end
	sleep 1.5 # one more export interval
	stop_named_agent export
	stop_agent
	ev=$(expect_one "the prediction for kid $kid" \
		".type == \"reparent\" and .pid == $kid and .corrected == false")
	assert_fields "$ev" "the prediction for kid $kid (made while the subreaper lived)" \
		.old_ppid "$father" .new_ppid "$sub" .new_parent_comm '"sg_sub"' .reaper_kind '"subreaper"'
	ev=$(expect_one "the correction for kid $kid" \
		".type == \"reparent\" and .pid == $kid and .corrected == true")
	assert_fields "$ev" "the correction for kid $kid" \
		.old_ppid "$father" .old_parent_comm '"sg_father"' .new_ppid "$init" \
		.new_parent_comm '"sg_init"' .reaper_kind '"pidns_init"' .reaper_in_pidns true \
		.container_id "\"$id\""
	# The father, handed to the init by the subreaper's exit: predicted right.
	ev=$(expect_one "the father's reparent" ".type == \"reparent\" and .pid == $father")
	assert_fields "$ev" "the father's reparent" \
		.old_ppid "$sub" .new_ppid "$init" .reaper_kind '"pidns_init"' .corrected false
	# export: the kid and the father under pidns_init, nothing under subreaper.
	[[ -s $dir/reapwatch.prom ]] || fail "export wrote no reapwatch.prom"
	assert_eq "reapwatch_reparents_total{reaper_kind=\"pidns_init\"} of the container" 2 \
		"$(reparents_total "$dir/reapwatch.prom" "$id" pidns_init)"
	got=$(reparents_total "$dir/reapwatch.prom" "$id" subreaper)
	[[ $got == 0 || $got == absent ]] ||
		fail "reapwatch_reparents_total{reaper_kind=\"subreaper\"} of the container: expected 0, got $got"
}

run_case reparent_subreaper_gone_before_handover case_subreaper_gone
finish
