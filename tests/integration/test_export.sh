#!/usr/bin/env bash
# `reapwatch export`: DIR/reapwatch.prom in the Prometheus text format, replaced atomically
# every interval and once more at SIGTERM; per-container counters that agree with what
# `trace` saw of the same container; escaped label values; notable events on stdout with
# --log-events.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/runc.sh
source "$REPO/tests/lib/runc.sh"

EXPORT_READY='reapwatch: exporting'

# jq -R: one line of the text format -> {name, labels, value}, {comment}, or {bad}.
# shellcheck disable=SC2016 # jq program
PROM_LINE='
def unescape: [scan("\\\\.|[^\\\\]")]
	| map(if . == "\\n" then "\n" elif startswith("\\") then .[1:] else . end) | add // "";
. as $line
| if test("^#") then {comment: $line}
  else
	(capture("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>.*)\\})? (?<value>[^ ]+)( -?[0-9]+)?$")
	 // {bad: $line})
	| if has("bad") then .
	  else
		(.labels // "") as $l
		| [$l | scan("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\n]|\\\\[\\\\\"n])*)\"")] as $pairs
		| ($pairs | map("\(.[0])=\"\(.[1])\"") | join(",")) as $rebuilt
		| if ($l != $rebuilt and $l != $rebuilt + ",")
		     or (.value | test("^([-+]?([0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?|Inf)|NaN)$") | not)
		  then {bad: $line}
		  else {name, labels: ($pairs | map({(.[0]): (.[1] | unescape)}) | add // {}),
		        value: (.value | if test("Inf|NaN") then . else tonumber end)}
		  end
	  end
  end'

# The metric families of docs/reapwatch.md and their types.
SPEC_TYPES='{"reapwatch_zombies":"gauge","reapwatch_zombie_oldest_seconds":"gauge",
"reapwatch_reap_latency_seconds":"histogram","reapwatch_exits_total":"counter",
"reapwatch_forks_total":"counter","reapwatch_reparents_total":"counter",
"reapwatch_signals_total":"counter","reapwatch_pidns_teardowns_total":"counter",
"reapwatch_teardown_sigkilled_total":"counter","reapwatch_pids_current":"gauge",
"reapwatch_pids_max":"gauge","reapwatch_events_lost_total":"counter",
"reapwatch_build_info":"gauge"}'
# Their labels beyond the four container labels (events_lost_total and build_info have none
# of those: see check_prom_structure).
SPEC_LABELS='{"reapwatch_reparents_total":["reaper_kind"],
"reapwatch_signals_total":["signal","origin"],"reapwatch_teardown_sigkilled_total":["sigterm_first"],
"reapwatch_reap_latency_seconds_bucket":["le"]}'

# parse_prom FILE OUT: check FILE line by line; its samples as JSON lines in OUT.
parse_prom()
{
	local file=$1 out=$2 bad
	[[ -s $file ]] || fail "$(basename "$file") is empty"
	[[ $(tail -c1 "$file" | od -An -c | tr -d ' ') == '\n' ]] ||
		fail "$(basename "$file") does not end with a newline (a cut-off file?)"
	jq -R -c "$PROM_LINE" "$file" >"$out.all" || fail "cannot parse $(basename "$file") with jq"
	bad=$(jq -r 'select(has("bad")) | .bad' "$out.all" | sed -n 1,3p)
	[[ -z $bad ]] || {
		detail "lines that are not the Prometheus text format:" "$bad"
		fail "$(basename "$file"): a line is not in the text format: $(sed -n 1p <<<"$bad")"
	}
	jq -c 'select(has("name"))' "$out.all" >"$out"
}

# The value of the one sample NAME{LABELS...}, "absent" if none: sample OUT NAME JQ_LABELS.
sample()
{
	jq -rs --arg n "$2" --argjson l "$3" \
		'map(select(.name == $n and (.labels | contains($l)))) |
		 if length == 0 then "absent" elif length == 1 then .[0].value
		 else "\(length) samples" end' "$1"
}

# Types, label sets and histogram shapes, against docs/reapwatch.md.
check_prom_structure()
{
	local file=$1 samples=$2 problems version
	version=$(cat "$REPO/VERSION")
	problems=$(
		{
			# Every documented family that has samples has its # TYPE, and the right one.
			jq -rs --argjson types "$SPEC_TYPES" '
				(map(select(has("comment")) | .comment
				     | capture("^# TYPE (?<n>[^ ]+) (?<t>[^ ]+)$")) | map({(.n): .t}) | add // {})
				as $declared
				| map(select(has("name")) | .name | sub("_(bucket|sum|count)$"; "")) | unique[]
				| select($types[.] != null) | select($declared[.] != $types[.])
				| "\(.): # TYPE \($declared[.] // "missing"), the docs say \($types[.])"' \
				"$samples.all"
			# Each documented series carries exactly its labels: the container's four and its own.
			jq -r --argjson types "$SPEC_TYPES" --argjson extra "$SPEC_LABELS" '
				.name as $n | ($n | sub("_(bucket|sum|count)$"; "")) as $base
				| select(any($types | keys[]; . == $base))
				| (if $n == "reapwatch_events_lost_total" then []
				   elif $n == "reapwatch_build_info" then ["version"]
				   else ["container_id", "pod", "namespace", "container"] + ($extra[$n] // [])
				   end) as $want
				| select((.labels | keys | sort) != ($want | sort))
				| "\($n)\(.labels | tojson): labels \(.labels | keys), docs: \($want | sort)"' \
				"$samples"
			# Histograms: cumulative buckets, +Inf bucket == _count.
			jq -rs '
				map(select(.name | endswith("_bucket")))
				| group_by([.name, (.labels | del(.le))])[]
				| (map(select(.labels.le != "+Inf")) | sort_by(.labels.le | tonumber)
				   | map(.value)) as $finite
				| (map(select(.labels.le == "+Inf")) | .[0].value) as $inf
				| select(($finite | . != sort) or ($finite | length > 0 and .[-1] > $inf)
				         or $inf == null)
				| "\(.[0].name)\(.[0].labels | del(.le) | tojson): buckets not cumulative"' \
				"$samples"
			jq -rs '
				(map(select(.name | endswith("_bucket")) | select(.labels.le == "+Inf")
				     | {k: [(.name | sub("_bucket$"; "")), (.labels | del(.le))], v: .value}))
				as $inf
				| map(select(.name | endswith("_count"))
				      | {k: [(.name | sub("_count$"; "")), .labels], v: .value})[]
				| . as $c | ($inf | map(select(.k == $c.k)) | .[0].v) as $i
				| select($i != $c.v)
				| "\($c.k[0])\($c.k[1] | tojson): _count \($c.v), +Inf bucket \($i)"' \
				"$samples"
		} | sed -n 1,10p
	)
	[[ -z $problems ]] || {
		detail "$problems"
		fail "reapwatch.prom: $(sed -n 1p <<<"$problems")"
	}
	assert_eq "reapwatch.prom: reapwatch_build_info{version=\"$version\"}" 1 \
		"$(sample "$samples" reapwatch_build_info "{\"version\":\"$version\"}")"
	[[ $(sample "$samples" reapwatch_events_lost_total '{}') =~ ^[0-9]+$ ]] ||
		fail "reapwatch.prom: reapwatch_events_lost_total missing"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$file" >"$CASE_DIR/promtool.out" 2>&1 || {
			detail "$(cat "$CASE_DIR/promtool.out")"
			fail "promtool check metrics rejects reapwatch.prom"
		}
	fi
}

# The counters of one container agree with the events `trace` saw of it. The container runs
# through a few rewrites; its end (exit, teardown) is in the file written at SIGTERM.
case_counts_match_trace()
{
	local dir samples id_labels got want key
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	start_agent --name trace trace --json -e all
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1 \
		--container-detail
	CONTAINER_LINGER=2.5 run_container ""
	stop_named_agent export TERM
	stop_named_agent trace
	EVENTS=$CASE_DIR/trace.out
	samples=$CASE_DIR/samples
	parse_prom "$dir/reapwatch.prom" "$samples"
	check_prom_structure "$dir/reapwatch.prom" "$samples"
	assert_eq "files left in the textfile directory" "reapwatch.prom" "$(ls -A "$dir")"
	id_labels="{\"container_id\":\"$ID\",\"pod\":\"\",\"namespace\":\"\",\"container\":\"\"}"
	focus "$INIT" "$MEMBER"
	detail "container $ID series:" "$(grep -F "$ID" "$dir/reapwatch.prom" | grep -v _bucket || true)"
	grep -qF "$ID" "$samples" || fail "reapwatch.prom has no series for container $ID"
	# Counts can only be compared if the trace saw everything.
	grep -Eq '^reapwatch: [0-9]+ events, 0 lost$' "$CASE_DIR/trace.err" ||
		skip "the trace agent lost events ($(tail -n1 "$CASE_DIR/trace.err")): the host is too busy to compare counts"
	for key in exit:reapwatch_exits_total fork:reapwatch_forks_total; do
		want=$(count_events ".type == \"${key%%:*}\" and .container_id == \"$ID\"")
		assert_eq "${key#*:} of container $ID (trace saw $want ${key%%:*} events)" "$want" \
			"$(sample "$samples" "${key#*:}" "$id_labels")"
	done
	# Signals, by (signal, origin): the same table from both.
	want=$(jq -sc --arg id "$ID" 'map(select(.type == "signal" and .container_id == $id))
		| group_by([.signal, .origin]) | map([.[0].signal, .[0].origin, length])' "$EVENTS")
	got=$(jq -sc --arg id "$ID" 'map(select(.name == "reapwatch_signals_total"
			and .labels.container_id == $id and .value > 0))
		| map([.labels.signal, .labels.origin, .value]) | sort' "$samples")
	assert_eq "reapwatch_signals_total of container $ID by [signal, origin, count], vs trace" \
		"$want" "$got"
	assert_eq "reapwatch_pidns_teardowns_total of container $ID" 1 \
		"$(sample "$samples" reapwatch_pidns_teardowns_total "$id_labels")"
	assert_eq "reapwatch_teardown_sigkilled_total{sigterm_first=\"false\"} of container $ID" 1 \
		"$(sample "$samples" reapwatch_teardown_sigkilled_total \
			"{\"container_id\":\"$ID\",\"sigterm_first\":\"false\"}")"
	got=$(sample "$samples" reapwatch_teardown_sigkilled_total \
		"{\"container_id\":\"$ID\",\"sigterm_first\":\"true\"}")
	[[ $got == 0 || $got == absent ]] ||
		fail "reapwatch_teardown_sigkilled_total{sigterm_first=\"true\"} of container $ID: expected 0, got $got"
	want=$(count_events ".type == \"reparent\" and .container_id == \"$ID\"")
	got=$(jq -s --arg id "$ID" 'map(select(.name == "reapwatch_reparents_total"
		and .labels.container_id == $id) | .value) | add // 0' "$samples")
	assert_eq "reapwatch_reparents_total of container $ID, summed (trace saw $want)" "$want" "$got"
}

# Rewritten every interval by rename: a reader never sees a partial file, and each rewrite is
# a new inode.
case_atomic_rewrites()
{
	local dir n=0 inodes=() inode deadline activity snap sum sums=() i
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1
	# Activity, so that the contents change between rewrites.
	(for _ in $(seq 40); do "$SCENARIOS/exit_code" blocked 7 >/dev/null || true; done) &
	activity=$!
	track_pid "$activity"
	# Read it as often as we can for 4 s; look at what was read afterwards.
	deadline=$((SECONDS + 4))
	while [[ $SECONDS -lt $deadline ]]; do
		inode=$(stat -c %i "$dir/reapwatch.prom" 2>/dev/null) || continue
		n=$((n + 1))
		cp "$dir/reapwatch.prom" "$CASE_DIR/snap$n" 2>/dev/null || continue
		[[ " ${inodes[*]} " == *" $inode "* ]] || inodes+=("$inode")
		sleep 0.01
	done
	wait_child "$activity" 60 || true
	stop_named_agent export TERM
	[[ $n -ge 20 ]] || fail "only $n reads of reapwatch.prom in 4 s"
	[[ ${#inodes[@]} -ge 3 ]] ||
		fail "reapwatch.prom had ${#inodes[@]} inode(s) in 4 s with -i 1: not replaced by rename every interval"
	# Every read was a whole file.
	for ((i = 1; i <= n; i++)); do
		snap=$CASE_DIR/snap$i
		[[ -e $snap ]] || continue
		grep -q '^reapwatch_build_info' "$snap" ||
			fail "read $i of reapwatch.prom has no reapwatch_build_info (a partial file?)"
		sum=$(md5sum <"$snap")
		[[ " ${sums[*]} " == *" $sum "* ]] && continue
		sums+=("$sum")
		parse_prom "$snap" "$snap.samples"
	done
	[[ ${#sums[@]} -ge 2 ]] || fail "reapwatch.prom never changed in 4 s with -i 1"
	parse_prom "$dir/reapwatch.prom" "$CASE_DIR/final.samples"
	check_prom_structure "$dir/reapwatch.prom" "$CASE_DIR/final.samples"
	assert_eq "files left in the textfile directory" "reapwatch.prom" "$(ls -A "$dir")"
}

# A container that starts and ends between two rewrites (a Job, a crash loop) is still
# counted: its exit and its teardown are in the next file.
case_short_lived_container()
{
	local dir samples id_labels
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 3600
	run_container ""
	stop_named_agent export TERM
	samples=$CASE_DIR/samples
	parse_prom "$dir/reapwatch.prom" "$samples"
	detail "the container ran about a second; reapwatch.prom was written at start and at SIGTERM"
	id_labels="{\"container_id\":\"$ID\"}"
	[[ $(sample "$samples" reapwatch_exits_total "$id_labels") =~ ^[1-9][0-9]*$ ]] ||
		fail "reapwatch_exits_total of short-lived container $ID: expected a count > 0, got $(sample "$samples" reapwatch_exits_total "$id_labels")"
	assert_eq "reapwatch_pidns_teardowns_total of short-lived container $ID" 1 \
		"$(sample "$samples" reapwatch_pidns_teardowns_total "$id_labels")"
}

# export's closing line tells what it exported: its numbers are the last file's, summed over
# its series (here with a container that ran and was torn down, and the host).
case_closing_line()
{
	local dir samples line want got
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1
	run_container ""
	# a reap whose time is only bounded (a traced child let go by a tracer that is not its
	# parent): counted with the line's reaps too
	"$SCENARIOS/wait_kinds" ptrace_other >"$CASE_DIR/wait_kinds.out" 2>&1 ||
		fail "wait_kinds ptrace_other: $(head -n3 "$CASE_DIR/wait_kinds.out")"
	sleep 1.5
	stop_named_agent export TERM
	samples=$CASE_DIR/samples
	parse_prom "$dir/reapwatch.prom" "$samples"
	line=$(grep '^reapwatch: wrote ' "$CASE_DIR/export.err" || true)
	detail "export's stderr:" "$(cat "$CASE_DIR/export.err")"
	[[ -n $line ]] || fail "export: no closing 'reapwatch: wrote ...' line on stderr"
	assert_eq "export: its last line on stderr is the closing line" "$line" \
		"$(tail -n 1 "$CASE_DIR/export.err")"
	# {containers, exits, reaps, reparents, teardowns, zombies, lost} from the line and the file
	got=$(sed -E 's/^reapwatch: wrote .*\/reapwatch\.prom [0-9]+ times?; the last has (the host and )?([0-9]+) containers?: ([0-9]+) exits?, ([0-9]+) reaps?, ([0-9]+) reparents?, ([0-9]+) pid namespace teardowns?, ([0-9]+) zombies?; ([0-9]+) events? lost$/\1\2 \3 \4 \5 \6 \7 \8/' <<<"$line")
	[[ $got != "$line" ]] || fail "export: the closing line is not in the expected form: $line"
	want=$(jq -rs '
		def total($n): map(select(.name == $n) | .value) | add // 0;
		(map(select(.name == "reapwatch_exits_total") | .labels.container_id) | unique) as $ids
		| [(if ($ids | index("")) then "the host and" else empty end),
		   ($ids | map(select(. != "")) | length),
		   total("reapwatch_exits_total"),
		   total("reapwatch_reap_latency_seconds_count") + total("reapwatch_reaps_unmeasured_total"),
		   total("reapwatch_reparents_total"), total("reapwatch_pidns_teardowns_total"),
		   total("reapwatch_zombies"), total("reapwatch_events_lost_total")]
		| map(tostring) | join(" ")' "$samples")
	assert_eq "export: the closing line's numbers vs reapwatch.prom's series" "$want" "$got"
	jq -se 'map(select(.name == "reapwatch_reaps_unmeasured_total") | .value) | add >= 1' \
		"$samples" >/dev/null || fail "export: no reap counted in reapwatch_reaps_unmeasured_total"
	[[ $(sample "$samples" reapwatch_pidns_teardowns_total "{\"container_id\":\"$ID\"}") == 1 ]] ||
		fail "export: the container's teardown is not in reapwatch.prom"
	assert_eq "export's closing line: times written (at start, every second, at SIGTERM)" 1 \
		"$(grep -Ec '^reapwatch: wrote .* ([3-9]|[1-9][0-9]+) times;' <<<"$line")"
}

# --log-events: teardowns and reparents as JSON Lines on stdout; not every exit and fork.
case_log_events()
{
	local dir init orphan
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	start_agent --name export --ready "$EXPORT_READY" \
		export --textfile-dir "$dir" -i 3600 --log-events
	scenario pidns plain
	init=$(kv init)
	scenario orphan subreaper
	orphan=$(kv orphan)
	stop_named_agent export TERM
	EVENTS=$CASE_DIR/export.out
	check_json_lines "$EVENTS"
	focus "$init" "$orphan"
	assert_count "teardown of the namespace of init $init on stdout" 1 \
		".type == \"teardown\" and .pid == $init"
	assert_count "reparent of orphan $orphan on stdout" 1 \
		".type == \"reparent\" and .pid == $orphan"
	assert_none "fork, exit, reap and signal events on stdout (not notable)" \
		'.type == "fork" or .type == "exit" or .type == "reap" or .type == "signal"'
}

# start_fifo_exporter DIR INTERVAL FIFO ERR: export --log-events into DIR every INTERVAL,
# its stdout the FIFO (a reader must have it open), its stderr ERR; its pid in FIFO_EXPORTER
# once it is exporting.
start_fifo_exporter()
{
	"$AGENT" export --textfile-dir "$1" -i "$2" --log-events >"$3" 2>"$4" &
	FIFO_EXPORTER=$!
	track_pid "$FIFO_EXPORTER"
	wait_printed "export --log-events" "$FIFO_EXPORTER" "$4" "$EXPORT_READY"
}

# reparent_burst: 300 orphans at once (adopters many, in a pid namespace of its own), all
# adopted and reaped when it returns: 300 reparent lines for --log-events, about 100 KiB,
# more than a pipe holds. Sets BURST_KIDS to their pids (comma list).
reparent_burst()
{
	start_reaped adopters many 300 "$CASE_DIR/adopters.gate"
	BURST_KIDS=$(kv children)
	touch "$CASE_DIR/adopters.gate"
	wait_child "$REAPED_PID" 60 || fail "adopters exited with status $?"
}

# --log-events with a reader that takes nothing for a while: 300 orphans at once, about
# 100 KiB of reparent lines (more than a pipe holds), wait in export's output backlog while
# export goes on rewriting reapwatch.prom; once the reader reads, it gets one line for each
# orphan, none dropped, and export ends as usual.
case_log_events_stalled_reader()
{
	local dir hold fifo reader pid n rc=0 deadline
	dir=$CASE_DIR/textfile
	hold=$CASE_DIR/hold.fifo
	fifo=$CASE_DIR/out.fifo
	mkdir "$dir"
	mkfifo "$hold" "$fifo"
	# the reader opens the pipe at once, then reads nothing until released
	{ read -r _ <"$hold"; cat >"$CASE_DIR/stalled.out"; } <"$fifo" &
	reader=$!
	track_pid "$reader"
	start_fifo_exporter "$dir" 0.2 "$fifo" "$CASE_DIR/stalled.err"
	pid=$FIFO_EXPORTER
	reparent_burst
	# The pipe is full by now: an export that wrote its lines itself would be stuck in write().
	sleep 1
	rm -f "$dir/reapwatch.prom"
	deadline=$((SECONDS + 5))
	until [[ -s $dir/reapwatch.prom ]]; do
		running "$pid" || fail "export exited: $(head -n3 "$CASE_DIR/stalled.err")"
		[[ $SECONDS -lt $deadline ]] ||
			fail "export wrote no reapwatch.prom in 5 s (-i 0.2) while its reader stalled"
		sleep 0.05
	done
	echo go >"$hold"
	kill -TERM "$pid"
	wait_child "$pid" 15 || rc=$?
	detail "export --log-events, stalled reader: stderr:" "$(cat "$CASE_DIR/stalled.err")"
	assert_eq "export --log-events after a stalled reader: exit status" 0 "$rc"
	wait "$reader" || fail "the reader (cat) failed"
	check_json_lines "$CASE_DIR/stalled.out"
	n=$(jq -c "select(.type == \"reparent\" and (.pid | IN($BURST_KIDS)))" "$CASE_DIR/stalled.out" |
		wc -l)
	assert_eq "reparent lines of the 300 orphans, read after the stall" 300 "$n"
	assert_eq "lines export said it dropped" 0 "$(grep -c 'dropped' "$CASE_DIR/stalled.err" || true)"
}

# --log-events with a reader that never reads: at SIGTERM export still writes its last
# reapwatch.prom, gives the reader 2 s for the lines that wait, then ends with status 1 and
# one line saying the rest was not written.
case_log_events_reader_never_reads()
{
	local dir fifo pid rc=0 t0
	dir=$CASE_DIR/textfile
	fifo=$CASE_DIR/out.fifo
	mkdir "$dir"
	mkfifo "$fifo"
	# shellcheck disable=SC2217 # it holds the pipe open and reads nothing
	sleep 1000 <"$fifo" &
	track_pid "$!"
	start_fifo_exporter "$dir" 3600 "$fifo" "$CASE_DIR/never.err"
	pid=$FIFO_EXPORTER
	reparent_burst
	sleep 1
	rm -f "$dir/reapwatch.prom"
	t0=$SECONDS
	kill -TERM "$pid"
	wait_child "$pid" 15 || rc=$?
	detail "export --log-events, a reader that never reads: stderr:" "$(cat "$CASE_DIR/never.err")"
	assert_eq "export --log-events, a reader that never reads: exit status" 1 "$rc"
	assert_eq "its last line" \
		"reapwatch: the reader took no output for 2 s after the end: the rest was not written" \
		"$(tail -n1 "$CASE_DIR/never.err")"
	[[ -s $dir/reapwatch.prom ]] || fail "export ended without its last write of reapwatch.prom"
	((SECONDS - t0 >= 1)) || fail "export ended at once: it did not wait for the reader"
}

# A pod name with a quote and a backslash (a kubelet log link may be named anything): the
# file stays valid, and a pod label, if written, decodes to exactly the name.
case_hostile_label_values()
{
	local dir pod_uid pod ns ctr samples got
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	pod_uid=$(cat /proc/sys/kernel/random/uuid)
	pod='evil"pod\x'
	ns=rw-test-ns
	ctr=rw-test-ctr
	CONTAINER_ID=$(new_container_id)
	kubelet_log /var/log/containers "$pod" "$ns" "$ctr" "$CONTAINER_ID" "$pod_uid"
	start_agent --name export --ready "$EXPORT_READY" export --textfile-dir "$dir" -i 1
	CONTAINER_LINGER=2.5 run_container "/kubepods/besteffort/pod$pod_uid/@ID@"
	stop_named_agent export TERM
	samples=$CASE_DIR/samples
	parse_prom "$dir/reapwatch.prom" "$samples"
	check_prom_structure "$dir/reapwatch.prom" "$samples"
	got=$(jq -r --arg id "$ID" 'select(.labels.container_id == $id) | .labels.pod' "$samples" |
		sort -u)
	detail "pod label values of container $ID: '$got'"
	# An empty pod label is a series too: count them, not their (possibly empty) values.
	[[ $(jq -r --arg id "$ID" 'select(.labels.container_id == $id) | 1' "$samples" |
		wc -l) -gt 0 ]] || fail "no series for container $ID"
	if [[ $got != "" && $got != "$pod" ]]; then
		fail "pod label of container $ID decodes to '$got', not '$pod'"
	fi
}

# --log-events with stdout on a full disk: the first notable event cannot be written, and
# export ends with status 1 and one line saying why, after its last write of reapwatch.prom.
# With a reader that goes away (`| head -1`) it ends with status 0 and its closing line.
case_log_events_unwritable()
{
	local dir pid rc=0
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	"$AGENT" export --textfile-dir "$dir" -i 3600 --log-events >/dev/full 2>"$CASE_DIR/full.err" &
	pid=$!
	track_pid "$pid"
	wait_printed "export >/dev/full" "$pid" "$CASE_DIR/full.err" "$EXPORT_READY"
	rm -f "$dir/reapwatch.prom"
	scenario orphan subreaper
	wait_child "$pid" 15 || rc=$?
	detail "export > /dev/full: stderr:" "$(cat "$CASE_DIR/full.err")"
	assert_eq "export --log-events > /dev/full: exit status" 1 "$rc"
	assert_eq "export --log-events > /dev/full: its last line" \
		"reapwatch: cannot write output: No space left on device" "$(tail -n1 "$CASE_DIR/full.err")"
	[[ -s $dir/reapwatch.prom ]] || fail "export ended without its last write of reapwatch.prom"

	rm -f "$dir/reapwatch.prom"
	{ "$AGENT" export --textfile-dir "$dir" -i 3600 --log-events 2>"$CASE_DIR/head.err" |
		head -n1 >"$CASE_DIR/head.out"; echo "${PIPESTATUS[0]}" >"$CASE_DIR/head.rc"; } &
	pid=$!
	track_pid "$pid"
	wait_printed "export | head" "$pid" "$CASE_DIR/head.err" "$EXPORT_READY"
	scenario orphan subreaper
	scenario orphan subreaper
	wait_child "$pid" 15 || true
	detail "export | head -1: stderr:" "$(cat "$CASE_DIR/head.err")"
	assert_eq "export --log-events | head -1: exit status" 0 "$(cat "$CASE_DIR/head.rc")"
	# (an event of anything on the host: other tests may run)
	jq -e '.type | type == "string"' "$CASE_DIR/head.out" >/dev/null ||
		fail "head -1 did not read an event: $(cat "$CASE_DIR/head.out")"
	grep -q '^reapwatch: wrote .*reapwatch.prom 2 times;' "$CASE_DIR/head.err" ||
		fail "export | head -1: no closing line for two writes"
	[[ -s $dir/reapwatch.prom ]] || fail "export | head -1 ended without its last write"
}

# Each rename of reapwatch.prom into place is followed by an fsync of the directory: the
# rename is in the directory, and without it a crash can bring back the old file, or none.
case_directory_synced()
{
	local dir st pid agent renames synced
	command -v strace >/dev/null || skip "no strace (Debian package strace)"
	dir=$CASE_DIR/textfile
	mkdir "$dir"
	st=$CASE_DIR/strace.out
	strace -f -qq -y -e trace=rename,renameat,renameat2,fsync -o "$st" \
		"$AGENT" export --textfile-dir "$dir" -i 0.3 2>"$CASE_DIR/export.err" &
	pid=$!
	track_pid "$pid"
	wait_printed "export under strace" "$pid" "$CASE_DIR/export.err" "$EXPORT_READY"
	sleep 1
	agent=$(children_of "$pid")
	kill -TERM "$agent"
	wait_child "$pid" 15 || fail "strace export exited with status $?"
	# The rename and the fsync that follows it, each on one line: the next call of that
	# process after a rename must be fsync of the directory.
	renames=$(grep -Ec "rename.*reapwatch\.prom" "$st" || true)
	synced=$(awk -v d="<$dir>)" '
		/rename.*reapwatch\.prom/ { pending[$1] = 1; next }
		$1 in pending && /fsync\(/ { if (index($0, d)) n++; delete pending[$1] }
		END { print n + 0 }' "$st")
	detail "strace:" "$(tail -n 8 "$st")"
	[[ $renames -ge 3 ]] || fail "only $renames renames of reapwatch.prom in 1 s at -i 0.3"
	assert_eq "renames of reapwatch.prom followed by an fsync of $dir" "$renames" "$synced"
}

run_case export_counts_match_trace case_counts_match_trace
run_case export_short_lived_container case_short_lived_container
run_case export_atomic_rewrites case_atomic_rewrites
run_case export_directory_synced case_directory_synced
run_case export_closing_line case_closing_line
run_case export_log_events case_log_events
run_case export_log_events_unwritable case_log_events_unwritable
run_case export_log_events_stalled_reader case_log_events_stalled_reader
run_case export_log_events_reader_never_reads case_log_events_reader_never_reads
run_case export_hostile_label_values case_hostile_label_values
finish
