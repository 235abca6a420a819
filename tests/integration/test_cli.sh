#!/usr/bin/env bash
# The command line contract: help and version exit 0, usage errors exit 2 and name the bad
# argument, a missing privilege exits 1 with one line saying so, --duration and SIGTERM end
# a trace cleanly.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# cli ARGS...: run reapwatch to completion (at most 20 s); CLI_RC, CLI_OUT, CLI_ERR.
cli()
{
	CLI_OUT=$CASE_DIR/cli.out
	CLI_ERR=$CASE_DIR/cli.err
	CLI_RC=0
	timeout -k 5 20 "$AGENT" "$@" >"$CLI_OUT" 2>"$CLI_ERR" </dev/null || CLI_RC=$?
	[[ $CLI_RC -ne 124 ]] || fail "reapwatch $* still running after 20 s"
}

# usage_error NAME_IN_MESSAGE ARGS...: exit 2, and stderr names the bad argument.
usage_error()
{
	local named=$1
	shift
	cli "$@"
	[[ $CLI_RC -eq 2 ]] || {
		detail "stderr: $(head -n 5 "$CLI_ERR")"
		fail "reapwatch $*: exit status expected 2 (usage error), got $CLI_RC"
	}
	grep -qF -- "$named" "$CLI_ERR" || {
		detail "stderr: $(head -n 5 "$CLI_ERR")"
		fail "reapwatch $*: stderr does not name the bad argument '$named'"
	}
	if grep -qF "$AGENT_READY" "$CLI_ERR"; then
		fail "reapwatch $*: started tracing despite the usage error"
	fi
}

# ok_with_output WORD ARGS...: exit 0 and WORD on stdout.
ok_with_output()
{
	local word=$1
	shift
	cli "$@"
	assert_eq "reapwatch $*: exit status" 0 "$CLI_RC"
	assert_contains "reapwatch $*: stdout" "$CLI_OUT" "$word"
}

case_help()
{
	ok_with_output trace --help
	ok_with_output trace help
	ok_with_output zombies help
	ok_with_output --duration trace --help
	ok_with_output --textfile-dir export --help
	# every command takes --help, those without options too
	ok_with_output "reapwatch version" version --help
	ok_with_output "reapwatch help" help --help
	ok_with_output "reapwatch help" help -h
	usage_error extra help trace extra
	usage_error nosuch help nosuch
}

case_version()
{
	local version rev
	version=$(cat "$REPO/VERSION")
	ok_with_output "$version" --version
	ok_with_output "$version" version
	usage_error junk version junk
	usage_error junk --version junk
	usage_error junk -V junk
	# The commit it names is the checkout's (make rebuilds main.o when HEAD moves), when the
	# agent under test is this checkout's build.
	if [[ $AGENT == "$REPO/reapwatch" ]] && rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null); then
		ok_with_output "reapwatch $version ($rev)" --version
	fi
}

case_unknown_command()
{
	usage_error frobnicate frobnicate
}

case_unknown_flag()
{
	usage_error bogus-flag trace --bogus-flag
	# a known flag given a value is named as itself, not as an unknown option
	usage_error "option '--json' takes no value" trace --json=1
}

case_bad_duration()
{
	usage_error abc trace -d abc
	usage_error 1x trace --duration 1x
}

case_bad_event_list()
{
	usage_error bogus trace -e bogus
	usage_error bogus2 trace --events exit,bogus2
}

case_bad_pid()
{
	usage_error notapid trace -p notapid
}

case_missing_value()
{
	usage_error -- "-p" trace -p
	usage_error -- "--container" trace --container
}

# export without its one required flag: the message names the flag, and the command once.
case_export_needs_textfile_dir()
{
	usage_error --textfile-dir export
	assert_eq "reapwatch export: stderr" \
		"reapwatch: export: --textfile-dir DIR is required (see 'reapwatch export --help')" \
		"$(cat "$CLI_ERR")"
	usage_error /nonexistent-dir export --textfile-dir /nonexistent-dir
	assert_contains "reapwatch export --textfile-dir /nonexistent-dir: stderr" "$CLI_ERR" \
		"'/nonexistent-dir' does not exist"
	: >"$CASE_DIR/a-file"
	usage_error "$CASE_DIR/a-file" export --textfile-dir "$CASE_DIR/a-file"
	assert_contains "reapwatch export --textfile-dir FILE: stderr" "$CLI_ERR" \
		"'$CASE_DIR/a-file' is not a directory"
}

case_bad_zombies_min_age()
{
	usage_error abc zombies --min-age abc
}

case_needs_root()
{
	local lines cli_unprivileged
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	# A copy that uid 65534 can reach, wherever the repository was cloned.
	install -m 755 "$AGENT" "$CASE_DIR/reapwatch"
	cli_unprivileged=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
		--bounding-set=-all "$CASE_DIR/reapwatch" trace)
	CLI_RC=0
	timeout -k 5 20 "${cli_unprivileged[@]}" >"$CASE_DIR/cli.out" 2>"$CASE_DIR/cli.err" ||
		CLI_RC=$?
	detail "stderr: $(head -n 5 "$CASE_DIR/cli.err")"
	assert_eq "trace as uid 65534 without capabilities: exit status" 1 "$CLI_RC"
	assert_contains "trace as uid 65534: stderr" "$CASE_DIR/cli.err" "needs root or CAP_BPF"
	lines=$(grep -c . "$CASE_DIR/cli.err" || true)
	assert_eq "trace as uid 65534: lines on stderr (docs: one line)" 1 "$lines"
}

# one_line_failure WHAT PATTERN: the last command exited 1 with exactly one line on stderr,
# containing PATTERN, and never started tracing.
one_line_failure()
{
	local what=$1 pattern=$2 lines
	detail "stderr: $(head -n 5 "$CLI_ERR")"
	assert_eq "$what: exit status" 1 "$CLI_RC"
	assert_contains "$what: stderr" "$CLI_ERR" "$pattern"
	lines=$(grep -c . "$CLI_ERR" || true)
	assert_eq "$what: lines on stderr (docs: one line)" 1 "$lines"
}

# Root is not enough: a container's root often has a bounded capability set. The check is on
# the effective capabilities, before the verifier could be blamed.
case_root_without_bpf_capabilities()
{
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	CLI_OUT=$CASE_DIR/cli.out CLI_ERR=$CASE_DIR/cli.err CLI_RC=0
	timeout -k 5 20 setpriv --bounding-set=-bpf,-perfmon,-sys_admin --inh-caps=-all \
		"$AGENT" trace >"$CLI_OUT" 2>"$CLI_ERR" </dev/null || CLI_RC=$?
	one_line_failure "trace as root without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN" \
		"needs root or CAP_BPF and CAP_PERFMON"
	# A user namespace's root (a rootless container) has every capability, none for BPF.
	if unshare -Ur true 2>/dev/null; then
		CLI_RC=0
		timeout -k 5 20 unshare -Ur "$AGENT" trace >"$CLI_OUT" 2>"$CLI_ERR" </dev/null ||
			CLI_RC=$?
		one_line_failure "trace as root of a user namespace" "needs root or CAP_BPF and CAP_PERFMON"
	fi
	# CAP_BPF and CAP_PERFMON without CAP_SYS_ADMIN are enough (the DaemonSet's set).
	CLI_RC=0
	timeout -k 5 20 setpriv --bounding-set=-sys_admin --inh-caps=-all \
		"$AGENT" trace -d 1 >"$CLI_OUT" 2>"$CLI_ERR" </dev/null || CLI_RC=$?
	detail "stderr: $(head -n 5 "$CLI_ERR")"
	assert_eq "trace as root with CAP_BPF and CAP_PERFMON only: exit status" 0 "$CLI_RC"
}

# A kernel without BTF (CONFIG_DEBUG_INFO_BTF=n): shown here by hiding /sys/kernel/btf in a
# mount namespace of our own.
case_kernel_without_btf()
{
	command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
	CLI_OUT=$CASE_DIR/cli.out CLI_ERR=$CASE_DIR/cli.err CLI_RC=0
	timeout -k 5 20 unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$0" trace' \
		"$AGENT" >"$CLI_OUT" 2>"$CLI_ERR" </dev/null || CLI_RC=$?
	one_line_failure "trace without kernel BTF" "kernel BTF not readable at /sys/kernel/btf/vmlinux"
	assert_contains "trace without kernel BTF: what to do" "$CLI_ERR" "CONFIG_DEBUG_INFO_BTF=y"
}

# A kernel without bpf_loop() (before 5.17), as the agent takes it on request: it starts, and
# says in one line per feature what is off and why.
case_features_off_without_bpf_loop()
{
	local off
	CLI_OUT=$CASE_DIR/cli.out CLI_ERR=$CASE_DIR/cli.err CLI_RC=0
	REAPWATCH_NO_BPF_LOOP=1 timeout -k 5 20 "$AGENT" trace -d 1 >"$CLI_OUT" 2>"$CLI_ERR" \
		</dev/null || CLI_RC=$?
	detail "stderr: $(head -n 8 "$CLI_ERR")"
	assert_eq "trace without bpf_loop: exit status" 0 "$CLI_RC"
	off=$(sed -n 's/^reapwatch: feature off: \([a-z-]*\): .*bpf_loop() (Linux 5.17).*/\1/p' \
		"$CLI_ERR" | sort | tr '\n' ' ')
	assert_eq "trace without bpf_loop: features off" "reap-wait reparent teardown-members " "$off"
	assert_contains "trace without bpf_loop: started" "$CLI_ERR" "$AGENT_READY"
	# and on a kernel that has it, nothing is said to be off
	cli trace -d 1
	assert_eq "trace: exit status" 0 "$CLI_RC"
	if grep -q "feature off" "$CLI_ERR"; then
		fail "trace on a kernel with bpf_loop says a feature is off: $(cat "$CLI_ERR")"
	fi
}

case_duration_ends_trace()
{
	local start elapsed_ms
	local cg loop
	# While it runs: cgroups made (records the agent reads but does not show) and processes
	# that exit and are reaped (events it shows).
	cg=$(cgroup2_mount)
	[[ -n $cg ]] || skip "no cgroup v2 mount"
	cg=$cg/rwcli.$$
	mkdir "$cg" || skip "cannot make a cgroup v2 directory ($cg)"
	rmdir "$cg"
	at_case_exit rmdir "$cg"
	(
		while [[ ! -e $CASE_DIR/stop ]]; do
			mkdir "$cg" && rmdir "$cg"
			sh -c 'exit 3' || true
			sleep 0.2
		done
	) &
	loop=$!
	track_pid "$loop"
	start=$(date +%s%N)
	cli trace --json -d 1
	touch "$CASE_DIR/stop"
	wait "$loop" || true
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	detail "stderr: $(head -n 5 "$CLI_ERR")"
	assert_eq "trace --json -d 1: exit status" 0 "$CLI_RC"
	grep -Eq "$AGENT_SUMMARY_RE" "$CLI_ERR" ||
		fail "trace -d 1: no 'reapwatch: N events, M lost' line on stderr"
	# The summary counts the events written, not the records read (cgroup names are internal).
	[[ -s $CLI_OUT ]] || fail "trace -d 1: no events while a process exited"
	assert_eq "trace -d 1: events in the summary vs lines written" \
		"$(grep -c . "$CLI_OUT" || true)" "$(sed -En 's/^reapwatch: ([0-9]+) events, .*/\1/p' "$CLI_ERR")"
	[[ $elapsed_ms -ge 1000 ]] || fail "trace -d 1 returned after $elapsed_ms ms, before 1 s"
	check_json_lines "$CLI_OUT"
}

case_sigterm_ends_trace()
{
	local pid rc=0
	start_agent trace --json
	pid=${AGENT_PID[agent]}
	kill -TERM "$pid"
	for _ in $(seq 100); do
		running "$pid" || break
		sleep 0.1
	done
	running "$pid" && fail "trace still running 10 s after SIGTERM"
	wait "$pid" || rc=$?
	assert_eq "trace after SIGTERM: exit status" 0 "$rc"
	grep -Eq "$AGENT_SUMMARY_RE" "$CASE_DIR/agent.err" ||
		fail "trace after SIGTERM: no 'reapwatch: N events, M lost' line on stderr"
	check_json_lines "$CASE_DIR/agent.out"
}

run_case cli_help case_help
run_case cli_version case_version
run_case cli_unknown_command case_unknown_command
run_case cli_unknown_flag case_unknown_flag
run_case cli_bad_duration case_bad_duration
run_case cli_bad_event_list case_bad_event_list
run_case cli_bad_pid case_bad_pid
run_case cli_missing_value case_missing_value
run_case cli_export_needs_textfile_dir case_export_needs_textfile_dir
run_case cli_bad_zombies_min_age case_bad_zombies_min_age
run_case cli_needs_root case_needs_root
run_case cli_root_without_bpf_capabilities case_root_without_bpf_capabilities
run_case cli_kernel_without_btf case_kernel_without_btf
run_case cli_features_off_without_bpf_loop case_features_off_without_bpf_loop
run_case cli_duration_ends_trace case_duration_ends_trace
run_case cli_sigterm_ends_trace case_sigterm_ends_trace
finish
