#!/usr/bin/env bash
# `reparent` events: a father exits, its child becomes an orphan, and the kernel picks the
# adopter (find_new_reaper): a child subreaper above it, else its pid namespace's init.
# The orphan itself reports whom it ended up with; the event must say the same.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# reparent_event MODE: run the orphan scenario, check what every mode shares, and leave the
# orphan's one reparent event in EV.
reparent_event()
{
	local mode=$1 father orphan
	trace_scenario -e all -- orphan "$mode"
	father=$(kv father)
	orphan=$(kv orphan)
	focus "$(kv parent)" "$father" "$orphan" "$(kv new_ppid)"
	EV=$(expect_one "reparent of orphan $orphan ($mode)" \
		".type == \"reparent\" and .pid == $orphan")
	assert_fields "$EV" "reparent of orphan $orphan ($mode)" \
		.comm '"orph_child"' .old_ppid "$father" .old_parent_comm '"orph_father"' \
		.new_ppid "$(kv new_ppid)" .pidns "$(kv pidns)" .ns_pid "$(kv orphan_ns)"
}

# No subreaper in between: the host's init, or the subreaper this harness runs under (the
# orphan said which).
case_host()
{
	local new_ppid kind
	reparent_event host
	new_ppid=$(kv new_ppid)
	[[ $new_ppid -ne 0 ]] || fail "scenario: the orphan was never adopted"
	if [[ $new_ppid -eq 1 ]]; then kind=host_init; else kind=subreaper; fi
	detail "the orphan was adopted by $new_ppid ($(cat "/proc/$new_ppid/comm" 2>/dev/null))"
	assert_fields "$EV" "reparent of orphan $(kv orphan) to $new_ppid" \
		.reaper_kind "\"$kind\"" .reaper_in_pidns true \
		.new_parent_comm "$(jq -Rn --arg c "$(cat "/proc/$new_ppid/comm")" '$c')"
}

# The scenario's parent is a child subreaper.
case_subreaper()
{
	reparent_event subreaper
	assert_eq "scenario: the subreaper could wait() for the orphan" 1 "$(kv adopted_by_parent)"
	assert_eq "scenario: the orphan's new parent is the subreaper" "$(kv parent)" "$(kv new_ppid)"
	assert_fields "$EV" "reparent of orphan $(kv orphan) to subreaper $(kv parent)" \
		.new_parent_comm '"orphan"' .reaper_kind '"subreaper"' .reaper_in_pidns true
}

# Inside a pid namespace: its init adopts.
case_pidns_init()
{
	reparent_event pidns
	assert_eq "scenario: the orphan's new parent is the namespace's init" "$(kv init)" \
		"$(kv new_ppid)"
	assert_fields "$EV" "reparent of orphan $(kv orphan) to pidns init $(kv init)" \
		.new_parent_comm '"orph_init"' .reaper_kind '"pidns_init"' .reaper_in_pidns true
}

# The father lives in the host namespace and forked the orphan into another namespace (as
# runc exec does); the subreaper that adopts it lives outside the orphan's namespace.
case_setns()
{
	reparent_event setns
	assert_eq "scenario: the subreaper could wait() for the orphan" 1 "$(kv adopted_by_parent)"
	assert_fields "$EV" "reparent of orphan $(kv orphan) to subreaper $(kv parent) outside its namespace" \
		.new_parent_comm '"orphan"' .reaper_kind '"subreaper"' .reaper_in_pidns false
}

run_case reparent_host case_host
run_case reparent_subreaper case_subreaper
run_case reparent_pidns_init case_pidns_init
run_case reparent_setns_outside_pidns case_setns
finish
