#!/usr/bin/env bash
# tools/bench.sh — what reapwatch costs the processes it watches.
#
# Runs the shared yardstick workload (procstorm: a fork+exit+wait storm and a signal
# ping-pong) under five configurations, in interleaved rounds so that drift on these shared
# machines hits every configuration alike:
#   none        no agent
#   mt-count    mintrace -m count        (the floor: a per-CPU counter bump per event)
#   mt-nowake   mintrace -m ring-nowake  (64 B ring-buffer record per event, no wakeups)
#   rw-all      ./reapwatch trace --json -e all >/dev/null
#   rw-default  ./reapwatch trace --json >/dev/null   (default event set, no fork)
#   rw-export   ./reapwatch export (counting in the kernel; records only for reparents
#               and teardowns: the agent tracking zombies and reaps, printing nothing)
# With kernel.bpf_stats_enabled=1 it reads run_time_ns / run_cnt of every BPF program the
# agent holds (found through the agent's /proc/PID/fdinfo) just before stopping it, and
# reports ns per invocation: the invocation-weighted mean and per program (not prefault_procs,
# run once at the agent's start, before it attaches: a startup cost).
# Prints a table of medians over rounds and writes it to build/bench/results.txt; raw data
# per run goes to build/bench/runs.tsv and build/bench/progs.tsv, agent logs to build/bench/logs/.
# Then tools/startup-time.sh: the agent's time from exec to "tracing" (median of STARTS idle
# starts), each program's verifier-processed instruction count, and where the startup time
# goes; appended to the table (its files under build/bench/startup/). Then tools/soak.sh:
# `export`'s RSS, CPU, kernel map entries and series before and after a churn of cgroups
# and containers (build/bench/soak/), appended too.
#
# Must run as root. Environment knobs (defaults in brackets):
#   ROUNDS [5]  FORK_N [10000]  SIGNAL_N [450000]  (procstorm -n: ~2 s each on an idle 2-vCPU
#     machine, ~3-4 s when it is busy; whole bench ~2.5-4 min)
#   CONFIGS ["none mt-count mt-nowake rw-all rw-default rw-export"]  WORKLOADS ["fork signal"]
#   BENCH_DIR [../shared/bench from the repo root, else /work/shared/bench]
#   REAPWATCH [./reapwatch]  READY_TIMEOUT [30 s]  STOP_TIMEOUT [20 s]  SETTLE [0.2 s]
#   STARTS [5; 0 skips the startup measurement]
#   SOAK [1; 0 skips the soak: tools/soak.sh, export under a churn of 10 000 host cgroups
#     and 2 000 containers, ~6-10 min; its own SOAK_* knobs shorten it]
set -euo pipefail

TOOL=bench # (the prefix of die() and note(), tools/lib.sh)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=tools/lib.sh
. tools/lib.sh
no_arguments "$@"

ROUNDS=${ROUNDS:-5}
FORK_N=${FORK_N:-10000}
SIGNAL_N=${SIGNAL_N:-450000}
CONFIGS=${CONFIGS:-"none mt-count mt-nowake rw-all rw-default rw-export"}
WORKLOADS=${WORKLOADS:-"fork signal"}
REAPWATCH=${REAPWATCH:-./reapwatch}
READY_TIMEOUT=${READY_TIMEOUT:-30}
STOP_TIMEOUT=${STOP_TIMEOUT:-20}
SETTLE=${SETTLE:-0.2}
STARTS=${STARTS:-5}
SOAK=${SOAK:-1}
OUT=build/bench
LOGS=$OUT/logs

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$ROUNDS'"
[[ $FORK_N =~ ^[1-9][0-9]*$ ]] || die "FORK_N must be a positive integer, not '$FORK_N'"
[[ $SIGNAL_N =~ ^[1-9][0-9]*$ ]] || die "SIGNAL_N must be a positive integer, not '$SIGNAL_N'"
[[ $STARTS =~ ^[0-9]+$ ]] || die "STARTS must be a number, not '$STARTS'"
read -r -a configs <<<"$CONFIGS"
read -r -a workloads <<<"$WORKLOADS"
[[ ${#configs[@]} -gt 0 ]] || die "CONFIGS is empty"
[[ ${#workloads[@]} -gt 0 ]] || die "WORKLOADS is empty"
for c in "${configs[@]}"; do
	case $c in none | mt-count | mt-nowake | rw-all | rw-default | rw-export) ;;
	*) die "unknown configuration '$c' (none mt-count mt-nowake rw-all rw-default rw-export)" ;;
	esac
done
for w in "${workloads[@]}"; do
	case $w in fork | signal) ;; *) die "unknown workload '$w' (fork signal)" ;; esac
done

# --- preconditions ------------------------------------------------------------
if [[ $EUID -ne 0 ]]; then
	die "must run as root (loads BPF programs and sets kernel.bpf_stats_enabled); try: sudo make bench"
fi
for t in make cc clang bpftool jq timeout; do
	command -v "$t" >/dev/null || die "'$t' not found in PATH (tools/install-deps.sh installs the build and test packages)"
done
# mintrace (the yardstick) attaches classic tracepoints, which live in tracefs; a fresh boot
# may not have it mounted (reapwatch itself needs no tracefs: tp_btf only).
if [[ ${configs[*]} == *mt-* ]] && ! mountpoint -q /sys/kernel/tracing; then
	mount -t tracefs nodev /sys/kernel/tracing ||
		die "tracefs is not mounted on /sys/kernel/tracing and mounting it failed (mintrace needs it)"
fi
STATS_SYSCTL=/proc/sys/kernel/bpf_stats_enabled
[[ -w $STATS_SYSCTL ]] || die "$STATS_SYSCTL is missing or not writable (kernel without BPF stats support?)"

if [[ -n ${BENCH_DIR:-} ]]; then
	[[ -f $BENCH_DIR/procstorm.c && -f $BENCH_DIR/Makefile ]] ||
		die "BENCH_DIR=$BENCH_DIR holds no procstorm.c and Makefile"
else
	for d in "$ROOT/../shared/bench" /work/shared/bench; do
		if [[ -f $d/procstorm.c ]]; then
			BENCH_DIR=$d
			break
		fi
	done
fi
[[ -n ${BENCH_DIR:-} && -f $BENCH_DIR/procstorm.c && -f $BENCH_DIR/Makefile ]] ||
	die "yardstick not found (looked in ../shared/bench and /work/shared/bench); set BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)

need_rw=0
for c in "${configs[@]}"; do [[ $c == rw-* ]] && need_rw=1; done
if [[ $need_rw -eq 1 ]]; then
	if [[ ! -x $REAPWATCH ]]; then
		note "WARNING: $REAPWATCH not built; skipping the reapwatch configurations (run 'make bench')"
		kept=()
		for c in "${configs[@]}"; do [[ $c == rw-* ]] || kept+=("$c"); done
		configs=("${kept[@]}")
	fi
fi

# --- build the yardstick in a copy (never in the shared folder) ----------------
mkdir -p "$OUT" "$LOGS"
OUT=$(cd "$OUT" && pwd)
LOGS=$OUT/logs
for f in "$BENCH_DIR"/*; do
	[[ -f $f ]] && cp -p -- "$f" "$OUT/"
done
chmod -R u+w "$OUT"
if ! make -C "$OUT" procstorm mintrace >"$OUT/make.log" 2>&1; then
	tail -n 30 "$OUT/make.log" >&2
	die "building the yardstick in $OUT failed (full log: $OUT/make.log)"
fi
PROCSTORM=$OUT/procstorm
MINTRACE=$OUT/mintrace

# --- cleanup: stop any agent we started, restore the sysctl ----------------------
agent_pid=
stats_prev=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $agent_pid ]] && kill -0 "$agent_pid" 2>/dev/null; then
		kill -INT "$agent_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$agent_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$agent_pid" 2>/dev/null || true
		wait "$agent_pid" 2>/dev/null || true
	fi
	if [[ -n $stats_prev ]]; then
		echo "$stats_prev" >"$STATS_SYSCTL" || echo "bench: could not restore kernel.bpf_stats_enabled=$stats_prev" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'echo "bench: terminated" >&2; exit 143' TERM

stats_prev=$(cat "$STATS_SYSCTL")
echo 1 >"$STATS_SYSCTL" || die "could not set kernel.bpf_stats_enabled=1"

# --- one run -------------------------------------------------------------------
RUNS=$OUT/runs.tsv
PROGS=$OUT/progs.tsv
printf 'round\tconfig\tworkload\trate\tsecs\tevents\tlost\tagent_rc\tprog_ns\tprog_cnt\tfailed_workers\n' >"$RUNS"
printf 'round\tconfig\tworkload\tprog\tid\trun_time_ns\trun_cnt\n' >"$PROGS"

# agent_cmd CONFIG: sets agent_argv, ready_re and agent_stdout for a configuration.
agent_cmd() {
	case $1 in
	mt-count) agent_argv=("$MINTRACE" -m count) ready_re='mintrace ready' agent_stdout=file ;;
	mt-nowake) agent_argv=("$MINTRACE" -m ring-nowake) ready_re='mintrace ready' agent_stdout=file ;;
	rw-all) agent_argv=("$REAPWATCH" trace --json -e all) ready_re='reapwatch: tracing' agent_stdout=null ;;
	rw-default) agent_argv=("$REAPWATCH" trace --json) ready_re='reapwatch: tracing' agent_stdout=null ;;
	rw-export)
		mkdir -p "$OUT/textfile"
		agent_argv=("$REAPWATCH" export --textfile-dir "$OUT/textfile" -i 15)
		ready_re='reapwatch: exporting' agent_stdout=null
		;;
	*) die "internal: no agent for $1" ;;
	esac
}

# prog_ids PID: the ids of the BPF programs PID holds, directly or through bpf links.
prog_ids() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		sed -n 's/^prog_id:[[:space:]]*\([0-9][0-9]*\)$/\1/p' "$f" 2>/dev/null || true
	done | sort -un
}

# run_one ROUND CONFIG WORKLOAD: appends one line to runs.tsv and the agent's programs to progs.tsv.
run_one() {
	local round=$1 cfg=$2 wl=$3 n log err out ids rate secs fw line
	local events=NA lost=NA arc=NA pns=NA pcnt=NA
	case $wl in fork) n=$FORK_N ;; signal) n=$SIGNAL_N ;; esac
	log=$LOGS/r$round-$cfg-$wl
	err=$log.stderr
	out=$log.stdout

	if [[ $cfg != none ]]; then
		agent_cmd "$cfg"
		: >"$err"
		if [[ $agent_stdout == null ]]; then
			"${agent_argv[@]}" >/dev/null 2>"$err" </dev/null &
		else
			"${agent_argv[@]}" >"$out" 2>"$err" </dev/null &
		fi
		agent_pid=$!
		wait_agent_ready "$agent_pid" "$err" "$ready_re" "$cfg" "$READY_TIMEOUT" 0.05
	fi
	sleep "$SETTLE"

	local st=0
	line=$(timeout --foreground 300 "$PROCSTORM" -m "$wl" -n "$n" | tail -n 1) || st=$?
	case $st in
	0) ;;
	130) die "interrupted" ;;
	124) die "procstorm -m $wl -n $n timed out after 300 s under $cfg" ;;
	*) die "procstorm -m $wl -n $n failed (status $st) under $cfg: '$line'" ;;
	esac
	echo "$line" >"$log.procstorm"
	rate=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line")
	secs=$(sed -n 's/.* secs=\([0-9.]*\).*/\1/p' <<<"$line")
	fw=$(sed -n 's/.* failed_workers=\([0-9]*\).*/\1/p' <<<"$line")
	[[ -n $rate && -n $secs ]] || die "cannot parse procstorm output: '$line'"

	if [[ $cfg != none ]]; then
		# BPF run-time statistics of the agent's programs, before it starts tearing down.
		ids=$(prog_ids "$agent_pid" | paste -sd, -)
		if [[ -n $ids ]]; then
			bpftool prog show --json |
				jq -r --argjson ids "[$ids]" --arg r "$round" --arg c "$cfg" --arg w "$wl" \
					'.[] | select(.id as $i | any($ids[]; . == $i))
					 | select((.name // "") | startswith("prefault_") | not)
					 | [$r, $c, $w, (.name // "?"), .id, (.run_time_ns // 0), (.run_cnt // 0)] | @tsv' \
					>"$log.progs"
			cat "$log.progs" >>"$PROGS"
			pns=$(awk -F'\t' '{s += $6} END {printf "%d", s}' "$log.progs")
			pcnt=$(awk -F'\t' '{s += $7} END {printf "%d", s}' "$log.progs")
		else
			note "WARNING: no BPF programs found in /proc/$agent_pid/fdinfo for $cfg"
		fi

		if ! kill -INT "$agent_pid" 2>/dev/null; then
			local st=0
			wait "$agent_pid" || st=$?
			agent_pid=
			tail -n 20 "$err" >&2
			die "$cfg exited (status $st) during the workload (log: $err)"
		fi
		local waited=0
		while kill -0 "$agent_pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 10)); do
			sleep 0.1
			waited=$((waited + 1))
		done
		if kill -0 "$agent_pid" 2>/dev/null; then
			note "WARNING: $cfg did not exit within ${STOP_TIMEOUT}s of SIGINT; killing it"
			kill -KILL "$agent_pid" 2>/dev/null || true
		fi
		arc=0
		wait "$agent_pid" || arc=$?
		agent_pid=

		case $cfg in
		rw-*)
			# trace ends with "reapwatch: N events, M lost"; export with "reapwatch: wrote
			# FILE N times; ...; M events lost" (its records are few: events stays NA).
			line=$(grep -E 'reapwatch: [0-9]+ events, [0-9]+ lost' "$err" | tail -n 1 || true)
			if [[ -n $line ]]; then
				events=$(sed -E 's/.*reapwatch: ([0-9]+) events, ([0-9]+) lost.*/\1/' <<<"$line")
				lost=$(sed -E 's/.*reapwatch: ([0-9]+) events, ([0-9]+) lost.*/\2/' <<<"$line")
			elif line=$(grep -E '^reapwatch: wrote .*; [0-9]+ events lost' "$err" | tail -n 1); then
				lost=$(sed -E 's/.*; ([0-9]+) events lost.*/\1/' <<<"$line")
			else
				note "WARNING: $cfg printed no 'reapwatch: N events, M lost' line (log: $err)"
			fi
			;;
		mt-count)
			events=$(awk '/^mintrace mode=/ {for (i = 1; i <= NF; i++) if ($i ~ /^(fork|exit|sig|wait|free)=/) {split($i, a, "="); s += a[2]} printf "%d", s}' "$out")
			;;
		mt-nowake)
			events=$(sed -n 's/^mintrace .* received=\([0-9]*\).*/\1/p' "$out")
			lost=$(sed -n 's/^mintrace .* rb_drop=\([0-9]*\).*/\1/p' "$out")
			;;
		esac
		[[ -n $events ]] || events=NA
		[[ -n $lost ]] || lost=NA
	fi

	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$round" "$cfg" "$wl" "$rate" "$secs" "$events" "$lost" "$arc" "$pns" "$pcnt" "${fw:-NA}" >>"$RUNS"
	local nsinv=-
	[[ $pcnt != NA && $pcnt -gt 0 ]] && nsinv=$((pns / pcnt))
	printf 'bench: round %d/%d  %-10s %-6s rate=%-9s ns/inv=%-6s events=%-8s lost=%s\n' \
		"$round" "$ROUNDS" "$cfg" "$wl" "$rate" "$nsinv" "$events" "$lost" >&2
}

# --- the rounds ------------------------------------------------------------------
note "yardstick: $BENCH_DIR -> $OUT; ${#configs[@]} configurations x ${#workloads[@]} workloads x $ROUNDS rounds"
note "procstorm -n: fork=$FORK_N signal=$SIGNAL_N; kernel.bpf_stats_enabled=1 (was $stats_prev)"
start=$(date +%s)
for round in $(seq "$ROUNDS"); do
	for cfg in "${configs[@]}"; do
		for wl in "${workloads[@]}"; do
			run_one "$round" "$cfg" "$wl"
		done
	done
done
elapsed=$(($(date +%s) - start))

# --- the table -------------------------------------------------------------------
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- 2>/dev/null || rev="$rev+dirty"
{
	printf 'reapwatch bench  %s  rev %s  kernel %s  %s CPUs  %d rounds  %ds\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$rev" "$(uname -r)" "$(nproc)" "$ROUNDS" "$elapsed"
	printf 'procstorm -m fork -n %s / -m signal -n %s; medians over rounds\n' "$FORK_N" "$SIGNAL_N"
	printf 'vs-none = median of per-round rate/none-rate (paired); ns/inv = BPF run_time_ns/run_cnt\n\n'
	awk -F'\t' -v cfgs="${configs[*]}" -v wls="${workloads[*]}" -v forkn="$FORK_N" '
	function median(s,    a, n, i, j, t) {
		n = split(s, a, " ")
		if (n == 0) return ""
		for (i = 2; i <= n; i++) {
			t = a[i] + 0; j = i - 1
			while (j >= 1 && a[j] + 0 > t) { a[j + 1] = a[j]; j-- }
			a[j + 1] = t
		}
		return (n % 2) ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function add(arr, k, v) { arr[k] = (k in arr) ? arr[k] " " v : v }
	FNR == 1 { file++; next }
	file == 1 {
		k = $2 SUBSEP $3
		rate[$2, $3, $1] = $4; add(rates, k, $4)
		if ($6 != "NA") add(events, k, $6)
		if ($7 != "NA") { lostsum[k] += $7; if ($7 > lostmax[k]) lostmax[k] = $7; haslost[k] = 1 }
		if ($10 != "NA" && $10 > 0) add(nsinv, k, $9 / $10)
		if ($9 != "NA" && $3 == "fork") add(nsproc, k, $9 / forkn)
		if ($8 != "NA" && $8 != 0) badrc[k] = badrc[k] " r" $1 "=" $8
		if ($11 != "NA" && $11 != 0) badfw[k] = badfw[k] " r" $1
		rounds[$1] = 1
		next
	}
	file == 2 {
		k = $2 SUBSEP $3
		pk = k SUBSEP $4
		if (!(pk in pseen)) { pseen[pk] = 1; plist[k] = plist[k] " " $4 }
		if ($7 > 0) add(pns, pk, $6 / $7)
		add(pcnt, pk, $7)
	}
	END {
		nc = split(cfgs, C, " "); nw = split(wls, W, " ")
		printf "%-10s %-6s %10s %7s %7s %7s %7s %9s %9s  %s\n", "config", "work", "rate/s", "vs-none", "med/med", "ns/inv", "ns/proc", "events", "lost", "per-program ns/inv"
		for (w = 1; w <= nw; w++) for (c = 1; c <= nc; c++) {
			cfg = C[c]; wl = W[w]; k = cfg SUBSEP wl
			if (!(k in rates)) continue
			r = median(rates[k])
			ratios = ""
			for (rd in rounds) if ((cfg, wl, rd) in rate && ("none", wl, rd) in rate && rate["none", wl, rd] > 0)
				ratios = ratios " " rate[cfg, wl, rd] / rate["none", wl, rd]
			vs = (ratios != "") ? sprintf("%.3f", median(ratios)) : "-"
			base = (("none", wl) in rates) ? median(rates["none" SUBSEP wl]) : 0
			mm = (base > 0) ? sprintf("%.3f", r / base) : "-"
			ns = (k in nsinv) ? sprintf("%.0f", median(nsinv[k])) : "-"
			np = (k in nsproc) ? sprintf("%.0f", median(nsproc[k])) : "-"
			if (k in nsproc) procmed[cfg] = median(nsproc[k])
			ev = (k in events) ? sprintf("%.0f", median(events[k])) : "-"
			lo = (k in haslost) ? sprintf("%d%s", lostsum[k], lostsum[k] > 0 ? "!" : "") : "-"
			pp = ""
			n = split(plist[k], P, " ")
			for (i = 1; i <= n; i++) {
				pk = k SUBSEP P[i]
				pp = pp sprintf("%s%s:%s", i > 1 ? " " : "", P[i], (pk in pns) ? sprintf("%.0f", median(pns[pk])) : "-")
			}
			printf "%-10s %-6s %10.0f %7s %7s %7s %7s %9s %9s  %s\n", cfg, wl, r, vs, mm, ns, np, ev, lo, pp
			if (lostsum[k] > 0) notes = notes sprintf("NOTE: %s/%s lost %d events in total over the rounds (max %d in one run)\n", cfg, wl, lostsum[k], lostmax[k])
			if (badrc[k] != "") notes = notes sprintf("NOTE: %s/%s agent exited non-zero:%s\n", cfg, wl, badrc[k])
			if (badfw[k] != "") notes = notes sprintf("NOTE: %s/%s procstorm reported failed workers in rounds%s\n", cfg, wl, badfw[k])
		}
		printf "\nlost: sum over rounds (\"!\" = nonzero); events: median per run (whole node, not only procstorm)\n"
		printf "ns/proc: fork workload, all the configuration'"'"'s BPF run time over the %d processes procstorm made\n", forkn
		if ("mt-nowake" in procmed && procmed["mt-nowake"] > 0)
			for (c = 1; c <= nc; c++) if (C[c] ~ /^rw-/ && C[c] in procmed)
				printf "  %s: %.2fx the ring floor per process\n", C[c], procmed[C[c]] / procmed["mt-nowake"]
		printf "%s", notes
	}' "$RUNS" "$PROGS"
} >"$OUT/results.txt"

# --- startup: time to load, and what the verifier does for each program ---------------
if [[ $STARTS -gt 0 && -x $REAPWATCH ]]; then
	note "startup: $STARTS starts of $REAPWATCH trace -d 1 (tools/startup-time.sh)"
	if STARTS=$STARTS REAPWATCH=$REAPWATCH READY_TIMEOUT=$READY_TIMEOUT OUT=$OUT/startup \
		tools/startup-time.sh >/dev/null 2>"$OUT/startup.log"; then
		{
			echo
			cat "$OUT/startup/results.txt"
		} >>"$OUT/results.txt"
	else
		tail -n 5 "$OUT/startup.log" >&2
		note "WARNING: the startup measurement failed (log: $OUT/startup.log)"
	fi
fi
# --- soak: export under a churn of host cgroups and containers (tools/soak.sh) --------
if [[ $SOAK != 0 && -x $REAPWATCH ]]; then
	note "soak: tools/soak.sh (SOAK=0 skips it; SOAK_* knobs: tools/soak.sh --help)"
	if REAPWATCH=$REAPWATCH OUT=$OUT/soak tools/soak.sh 2>"$OUT/soak.log"; then
		{
			echo
			cat "$OUT/soak/results.txt"
		} >>"$OUT/results.txt"
	else
		tail -n 5 "$OUT/soak.log" >&2
		note "WARNING: the soak failed (log: $OUT/soak.log)"
	fi
fi
cat "$OUT/results.txt"
note "table written to $OUT/results.txt (raw: runs.tsv, progs.tsv, logs/)"
