# shellcheck shell=bash
# tools/lib.sh — shared by the tools that start an agent and measure it (bench.sh,
# soak.sh, startup-time.sh). Source it from the repository's root, after setting TOOL to the
# tool's name (the prefix of its messages).

# die MESSAGE: one line on stderr, exit 1. note MESSAGE: the line only.
die()
{
	echo "$TOOL: $*" >&2
	exit 1
}
note() { echo "$TOOL: $*" >&2; }

# no_arguments "$@": the tool's --help (its opening comment, up to `set -euo`) and exit 0,
# or die unless there are no arguments: the tools are configured by environment variables.
no_arguments()
{
	if [[ ${1:-} == -h || ${1:-} == --help ]]; then
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
		exit 0
	fi
	[[ $# -eq 0 ]] || die "no arguments expected (configure with environment variables; see --help)"
}

# wait_agent_ready PID LOG READY WHAT TIMEOUT POLL: wait until LOG, the agent PID's stderr,
# has a line matching READY (a grep pattern), looking every POLL seconds. Dies, after the
# log's last 20 lines, if the agent exits first (with its status where this shell is its
# parent and can tell) or if TIMEOUT seconds pass. WHAT names the agent in those messages.
wait_agent_ready()
{
	local pid=$1 log=$2 ready=$3 what=$4 timeout=$5 poll=$6 st=0
	local deadline=$((SECONDS + timeout))
	while ! grep -q -- "$ready" "$log" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || st=$?
			tail -n 20 "$log" >&2
			# (127: not this shell's child, e.g. when called in $(...): status unknown)
			[[ $st -ge 0 && $st -le 255 && $st -ne 127 ]] && st=" (status $st)" || st=
			die "$what exited$st before printing '$ready' (log: $log)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 20 "$log" >&2
			die "$what did not print '$ready' within ${timeout}s (log: $log)"
		fi
		sleep "$poll"
	done
}
