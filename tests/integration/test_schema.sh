#!/usr/bin/env bash
# The JSON event schema of docs/reapwatch.md ("Events"): every event, of every process on the host, has
# exactly the common keys plus its type's keys (pod/namespace/container only when known),
# each with the right kind of value.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# jq: one string per thing wrong with the input event; nothing for a good one.
# shellcheck disable=SC2016 # jq variables
SCHEMA_PROBLEMS='
def common: ["type", "time", "pid", "comm", "ns_pid", "pidns", "container_id", "cgroup"];
def per_type: {
	fork: ["ppid", "parent_comm"],
	exit: ["ppid", "parent_comm", "exit_code", "signal", "core_dumped", "lifetime_ns"],
	# the documented keys plus "latency_exact" (docs: the event says whether latency_ns is exact
	# or an upper bound)
	reap: ["reaper_pid", "reaper_comm", "latency_ns", "latency_exact", "autoreap"],
	# the documented keys plus "corrected" (README: a wrong prediction is sent again, fixed)
	reparent: ["old_ppid", "old_parent_comm", "new_ppid", "new_parent_comm", "reaper_kind",
	           "reaper_in_pidns", "corrected"],
	signal: ["sig", "signal", "sender_pid", "sender_comm", "code", "origin", "result"],
	# the documented keys plus "warned_pids" (issue 12: which termination signal each got first)
	teardown: ["members", "sigkilled", "sigkilled_without_sigterm", "sigkilled_pids",
	           "warned_pids", "grace_ns", "duration_ns"]
};
def optional: ["pod", "namespace", "container"];
def count: type == "number" and . >= 0 and . == floor;
def pid: type == "number" and . >= 1 and . == floor;
def str: type == "string";
def bool: type == "boolean";
def check($k; ok): if has($k) and (.[$k] | ok) then empty else "\($k)=\(.[$k] | tojson)" end;
def time_ok: str and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$");
# docs/reapwatch.md: "lost" (EVENTS) and "Kernel drops" (METRICS)
def lost_reasons: ["ring_buffer_full", "output_stalled", "procs_full", "orphans_full", "pending_full",
	"orphan_walk_cut", "wait_walk_cut", "termed_full", "first_sigterm_full", "teardowns_full",
	"task_walk_cut", "stats_full", "waiters_full", "recursion"];
if .type? == "lost" then
	(if (keys | sort) != ["count", "reason", "time", "total", "type"] then
		"lost record keys: \(keys | join(","))"
	 else empty end),
	check("time"; time_ok), check("reason"; . as $r | lost_reasons | index($r) != null),
	check("count"; count and . >= 1), check("total"; count and . >= 1),
	(if .count > .total then "count \(.count) > total \(.total)" else empty end)
elif (per_type[.type? // ""] == null) then "unknown type \(.type | tojson)"
else
	((common + per_type[.type]) | sort) as $want
	| ((keys - optional) | sort) as $got
	| (if $got != $want then
		"keys: missing \($want - $got | join(",")), unexpected \($got - $want | join(","))"
	  else empty end),
	check("time"; time_ok),
	check("pid"; pid), check("comm"; str), check("ns_pid"; pid), check("pidns"; pid),
	check("container_id"; str and test("^([0-9a-f]{64})?$")), check("cgroup"; str),
	(optional[] as $k | if has($k) then check($k; str) else empty end),
	(if .type == "fork" then check("ppid"; count), check("parent_comm"; str)
	 elif .type == "exit" then
		check("ppid"; count), check("parent_comm"; str),
		check("exit_code"; . == null or (count and . <= 255)),
		check("signal"; . == null or (str and startswith("SIG"))),
		check("core_dumped"; bool), check("lifetime_ns"; count),
		(if (.exit_code == null) == (.signal == null) then
			"exit_code=\(.exit_code | tojson) and signal=\(.signal | tojson): exactly one is null"
		 else empty end)
	 elif .type == "reap" then
		check("reaper_pid"; count), check("reaper_comm"; str), check("latency_ns"; . == null or count),
		check("latency_exact"; . == null or bool), check("autoreap"; bool),
		(if (.latency_ns == null) != (.latency_exact == null) then
			"latency_ns=\(.latency_ns | tojson) and latency_exact=\(.latency_exact | tojson): both null or neither"
		 else empty end)
	 elif .type == "reparent" then
		check("old_ppid"; count), check("old_parent_comm"; str), check("new_ppid"; pid),
		check("new_parent_comm"; str),
		check("reaper_kind"; . == "thread" or . == "subreaper" or . == "pidns_init" or . == "host_init"),
		check("reaper_in_pidns"; bool), check("corrected"; bool)
	 elif .type == "signal" then
		check("sig"; count and . >= 1 and . <= 64), check("signal"; str and startswith("SIG")),
		check("sender_pid"; count), check("sender_comm"; str),
		check("code"; str or (type == "number" and . == floor)),
		check("origin"; . == "user" or . == "kernel" or . == "pidns_teardown" or . == "parent_death"),
		check("result"; . == "delivered" or . == "ignored" or . == "already_pending"
		                or . == "overflow_fail" or . == "lose_info")
	 else
		check("members"; . == null or count), check("sigkilled"; count),
		check("sigkilled_without_sigterm"; count),
		check("sigkilled_pids"; type == "array" and length <= 64 and all(.[]; pid)),
		check("warned_pids"; type == "array" and all(.[]; (keys == ["pid", "signal"]) and
			(.pid | pid) and (.signal | str and startswith("SIG")))),
		(.sigkilled_pids as $killed
		 | if (.sigkilled <= 64 and (.warned_pids | length) + .sigkilled_without_sigterm != .sigkilled)
		    or any(.warned_pids[]; .pid as $p | ($killed | index($p)) == null) then
			"warned_pids \(.warned_pids | tojson) do not fit sigkilled_pids and the counts"
		 else empty end),
		check("grace_ns"; . == null or count), check("duration_ns"; count),
		(if (.members != null and .sigkilled > .members) or .sigkilled_without_sigterm > .sigkilled
		    or (.sigkilled_pids | length) > .sigkilled then
			"counts do not add up: members \(.members), sigkilled \(.sigkilled), without sigterm \(.sigkilled_without_sigterm), \(.sigkilled_pids | length) pids"
		 else empty end)
	 end)
end'

case_schema()
{
	local bad types
	start_agent trace --json -e all
	scenario exit_code blocked 7
	scenario exit_code ignore 7
	scenario killed_by 15
	scenario pidns sigterm
	scenario orphan subreaper
	scenario leader_exits_first
	stop_agent
	bad=$(jq -c '{event: ., problems: [('"$SCHEMA_PROBLEMS"')]} | select(.problems != [])' \
		"$EVENTS" | sed -n 1,10p)
	if [[ -n $bad ]]; then
		detail "$bad"
		fail "events that break the schema: $(grep -c . <<<"$bad" | sed 's/^10$/10 or more/'), first: $(sed -n 1p <<<"$bad" | jq -c .problems)"
	fi
	# The scenarios above produce every type of event.
	types=$(jq -r .type "$EVENTS" | sort -u | paste -sd,)
	assert_eq "event types seen" "exit,fork,reap,reparent,signal,teardown" "$types"
}

# With every map at 8 entries and the ring buffer at a page (REAPWATCH_TEST_MAP_ENTRIES, a
# test knob), a burst of processes loses events: the stream says so in-band with `lost`
# records, which keep to their schema as events do to theirs.
case_lost_schema()
{
	local bad n
	REAPWATCH_TEST_MAP_ENTRIES=8 start_agent trace --json -e all
	scenario exit_code blocked 7
	scenario pidns sigterm
	for _ in $(seq 300); do /bin/true; done
	sleep 1.2 # a `lost` record at most once a second
	stop_agent
	bad=$(jq -c '{event: ., problems: [('"$SCHEMA_PROBLEMS"')]} | select(.problems != [])' \
		"$EVENTS" | sed -n 1,10p)
	if [[ -n $bad ]]; then
		detail "$bad"
		fail "records that break the schema, first: $(sed -n 1p <<<"$bad" | jq -c .problems)"
	fi
	n=$(jq -s 'map(select(.type == "lost" and .reason == "ring_buffer_full")) | length' "$EVENTS")
	[[ $n -ge 1 ]] || fail "no {\"type\":\"lost\",\"reason\":\"ring_buffer_full\"} record after a burst into a one-page ring buffer"
}

run_case schema_every_event case_schema
run_case schema_lost_record case_lost_schema
finish
