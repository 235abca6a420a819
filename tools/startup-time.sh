#!/usr/bin/env bash
# tools/startup-time.sh — how long reapwatch takes to start, and where the time goes.
#
# Starts `reapwatch trace -d 1` STARTS times, one after another, and times each from its exec
# to its "reapwatch: tracing" line on stderr (printed once every program is attached and the
# zombie census is taken, src/cmd_trace.c); reports the median. While the first start runs it
# reads each BPF program the agent holds: verified_insns (the instructions the verifier
# processed, from /proc/PID/fdinfo, Linux 5.16+) and the translated and JIT-ed sizes. Then
# one more start under strace (-T; only execve, openat and bpf stop it) says where the time
# goes: process start, the cgroup walk, each parse of the kernel's BTF, libbpf's feature
# probes, map creation, each program's BPF_PROG_LOAD (verification and JIT), attach, and
# what comes after attach. strace slows the process somewhat: its total is shown too.
#
# Must run as root, on an otherwise idle machine for numbers worth comparing. Environment
# knobs (defaults in brackets):
#   STARTS [5]  REAPWATCH [./reapwatch]  READY_TIMEOUT [60 s]  STRACE [1; 0: no breakdown]
#   OUT [build/startup]
# Writes OUT/results.txt (what it prints), OUT/runs.tsv (one line per start), OUT/progs.tsv,
# OUT/strace.log and the agents' stderr under OUT/logs/.
set -euo pipefail
export LC_ALL=C

TOOL=startup-time # (the prefix of die(), tools/lib.sh)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=tools/lib.sh
. tools/lib.sh
no_arguments "$@"

STARTS=${STARTS:-5}
REAPWATCH=${REAPWATCH:-./reapwatch}
READY_TIMEOUT=${READY_TIMEOUT:-60}
STRACE=${STRACE:-1}
OUT=${OUT:-build/startup}
READY='reapwatch: tracing'

[[ $STARTS =~ ^[1-9][0-9]*$ ]] || die "STARTS must be a positive integer, not '$STARTS'"
[[ $EUID -eq 0 ]] || die "must run as root (loads BPF programs); try: sudo make startup"
[[ -x $REAPWATCH ]] || die "$REAPWATCH not built (run 'make')"
for t in bpftool jq; do
	command -v "$t" >/dev/null || die "'$t' not found in PATH (tools/install-deps.sh installs it)"
done
if [[ $STRACE != 0 ]] && ! command -v strace >/dev/null; then
	echo "startup-time: strace not found (Debian package strace): no breakdown" >&2
	STRACE=0
fi

mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
agent_argv=("$REAPWATCH" trace -d 1)

agent_pid=
cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $agent_pid ]] && kill -0 "$agent_pid" 2>/dev/null; then
		kill -INT "$agent_pid" 2>/dev/null || true
		sleep 1
		kill -KILL "$agent_pid" 2>/dev/null || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "startup-time: interrupted" >&2; exit 130' INT
trap 'echo "startup-time: terminated" >&2; exit 143' TERM

# stamp: each line of stdin, after the time it arrived (seconds since the epoch).
stamp()
{
	local line
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done
}

# wait_ready LOG WHAT: wait for the ready line in LOG (stamped stderr of agent_pid), then
# print the time it is stamped with. Dies if the agent exits first or takes longer than
# READY_TIMEOUT.
wait_ready()
{
	wait_agent_ready "$agent_pid" "$1" "$READY" "$2" "$READY_TIMEOUT" 0.01
	grep -m1 -- "$READY" "$1" | cut -d' ' -f1
}

# finish_agent WHAT: wait for agent_pid (it stops after -d 1); dies unless it exits 0.
finish_agent()
{
	local st=0 waited=0
	while kill -0 "$agent_pid" 2>/dev/null && ((waited < 300)); do
		sleep 0.1
		waited=$((waited + 1))
	done
	kill -0 "$agent_pid" 2>/dev/null && kill -INT "$agent_pid" 2>/dev/null
	wait "$agent_pid" || st=$?
	agent_pid=
	[[ $st -eq 0 ]] || die "$1 exited with status $st"
}

# prog_table PID: "name id verified_insns bytes_xlated bytes_jited" for each BPF program
# PID holds a file descriptor of (its links hold the same programs). Quick: the agent of
# `trace -d 1` is gone a second after "tracing", and its programs with it.
prog_table()
{
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^prog_type:/ { p = 1 } /^prog_id:/ { id = $2 } /^verified_insns:/ { v = $2 }
			END { if (p && id) print id, (v != "" ? v : "-") }' "$f" 2>/dev/null || true
	done >"$OUT/logs/prog_ids"
	bpftool prog show --json |
		jq -r --rawfile ids "$OUT/logs/prog_ids" '
			($ids | split("\n") | map(select(. != "") | split(" ") | {key: .[0], value: .[1]})
			 | from_entries) as $v
			| .[] | select(($v[.id | tostring]) != null)
			| [.name, .id, $v[.id | tostring], .bytes_xlated, .bytes_jited] | @tsv' |
		sort -t$'\t' -k2,2n
}

# --- the timed starts -------------------------------------------------------------
RUNS=$OUT/runs.tsv
PROGS=$OUT/progs.tsv
printf 'start\tseconds\n' >"$RUNS"
: >"$PROGS"
for i in $(seq "$STARTS"); do
	log=$OUT/logs/start$i.err
	: >"$log"
	# The subshell notes the time and becomes the agent: $! is the agent's pid.
	(
		printf '%s\n' "$EPOCHREALTIME" >"$OUT/logs/start$i.t0"
		exec "${agent_argv[@]}" >/dev/null
	) 2> >(stamp >"$log") &
	agent_pid=$!
	ready=$(wait_ready "$log" "start $i")
	[[ $i -ne 1 ]] || prog_table "$agent_pid" >"$PROGS"
	finish_agent "start $i"
	t0=$(cat "$OUT/logs/start$i.t0")
	secs=$(awk -v a="$t0" -v b="$ready" 'BEGIN { printf "%.3f", b - a }')
	printf '%d\t%s\n' "$i" "$secs" >>"$RUNS"
	echo "startup-time: start $i/$STARTS: $secs s" >&2
done

# --- one more, under strace ---------------------------------------------------------
STRACE_LOG=$OUT/strace.log
strace_ready=
if [[ $STRACE != 0 ]]; then
	log=$OUT/logs/strace.err
	: >"$log"
	# Not exec'd: the stamping process must not become strace's child (strace waits for it,
	# and it for strace's stderr to close).
	{
		strace -f -ttt -T --seccomp-bpf -e trace=execve,openat,bpf -o "$STRACE_LOG" \
			"${agent_argv[@]}" >/dev/null
	} 2> >(stamp >"$log") &
	agent_pid=$!
	strace_ready=$(wait_ready "$log" "the start under strace")
	finish_agent "the start under strace"
fi

# --- the report -----------------------------------------------------------------------
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- 2>/dev/null || rev="$rev+dirty"
cgmount=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
{
	printf 'reapwatch startup  %s  rev %s  kernel %s  %s CPUs  load average %s\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$rev" "$(uname -r)" "$(nproc)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
	awk -F'\t' -v n="$STARTS" 'NR > 1 { t[NR - 1] = $2 + 0 }
	END {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && t[j - 1] > t[j]; j--) { x = t[j]; t[j] = t[j - 1]; t[j - 1] = x }
		med = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
		printf "exec to \"reapwatch: tracing\" of `reapwatch trace -d 1`, %d starts: median %.3f s (min %.3f, max %.3f)\n", n, med, t[1], t[n]
	}' "$RUNS"
	echo
	# strace names a program by its first 15 characters (BPF_OBJ_NAME_LEN).
	awk -v progs="$PROGS" -v ready="${strace_ready:-0}" -v cgmount="$cgmount" '
	function dur(    s) { s = $NF; gsub(/[<>]/, "", s); return s + 0 }
	BEGIN {
		while ((getline line < progs) > 0) {
			split(line, f, "\t")
			n++; name[n] = f[1]; id[n] = f[2]; ver[n] = f[3]; xl[n] = f[4]; jit[n] = f[5]
			short[substr(f[1], 1, 15)] = n
		}
	}
	{ ts = ($1 ~ /\./) ? $1 + 0 : $2 + 0 }
	/ execve\(/ && !t_exec { t_exec = ts; next }
	waiting && !/"\/sys\/kernel\/btf\/vmlinux"/ { parse[n_vm] = ts - vm_ts[n_vm]; waiting = 0 }
	/ openat\(.*"\/sys\/kernel\/btf\/vmlinux"/ { vm_ts[++n_vm] = ts; waiting = 1; next }
	/ openat\(.*"\/proc\/self\/mountinfo"/ && !n_vm && !t_main { t_main = ts; next }
	/ bpf\(BPF_MAP_CREATE/ { n_maps++; t_maps += dur(); next }
	/ bpf\(BPF_BTF_LOAD/ { t_probes += dur(); next }
	/ bpf\(BPF_LINK_CREATE|bpf\(BPF_RAW_TRACEPOINT_OPEN/ {
		n_links++; t_links += dur(); t_attached = ts + dur(); next
	}
	/ bpf\(BPF_PROG_LOAD/ {
		pn = ""
		if (match($0, /prog_name="[^"]*"/)) pn = substr($0, RSTART + 11, RLENGTH - 12)
		if (pn in short) {
			load[short[pn]] += dur(); t_loads += dur()
			if ($0 ~ /= -1 /) failed[short[pn]] = 1
		} else {
			t_probes += dur()
		}
	}
	END {
		printf "%-24s %14s %9s %8s %9s\n", "program", "verified_insns", "xlated B", "jited B", "load ms"
		for (i = 1; i <= n; i++) {
			printf "%-24s %14s %9s %8s %9s\n", name[i], ver[i], xl[i], jit[i], (i in load) ? sprintf("%.1f%s", load[i] * 1000, (i in failed) ? "!" : "") : "-"
			if (ver[i] ~ /^[0-9]+$/) tv += ver[i]
		}
		printf "%-24s %14d %9s %8s %9s\n", "all " n, tv, "", "", t_loads ? sprintf("%.1f", t_loads * 1000) : "-"
		printf "verified_insns: instructions the verifier processed (/proc/PID/fdinfo); load ms: the program'"'"'s\n"
		printf "BPF_PROG_LOAD under strace (verification and JIT; \"!\": it failed and libbpf tried again)\n"
		if (!t_exec || !ready) exit
		total = ready - t_exec
		printf "\nwhere the time goes, from one more start under strace (%.3f s in all)\n", total
		row("process start: exec, shared libraries, arguments", t_main - t_exec)
		row("decoder: cgroup walk of " (cgmount != "" ? cgmount : "(no cgroup2)") "; libbpf opens the object", vm_ts[1] - t_main)
		for (i = 1; i <= n_vm; i++)
			row("kernel BTF parsed (/sys/kernel/btf/vmlinux, " i (i == 1 ? "st" : i == 2 ? "nd" : "th") " time)", parse[i])
		row("libbpf feature probes and BTF upload", t_probes)
		row("maps created (" n_maps ")", t_maps)
		row("programs loaded: verification and JIT (" n ")", t_loads)
		row("attached (" n_links " links)", t_links)
		row("after attach to \"tracing\": pin, /proc zombie census", ready - t_attached)
		row("the rest: libbpf between syscalls (CO-RE relocation...)", total - sum)
	}
	function row(what, secs) {
		printf "  %-72s %7.1f ms\n", what, secs * 1000
		sum += secs
	}' "$([[ $STRACE != 0 ]] && echo "$STRACE_LOG" || echo /dev/null)"
} >"$OUT/results.txt"
[[ $STRACE != 0 ]] || rm -f "$STRACE_LOG"
cat "$OUT/results.txt"
