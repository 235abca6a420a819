#!/usr/bin/env bash
# `make test-kernels`: the kernel suite (tests/kernels/) on Debian's 5.10, 6.1, 6.12 and 7.x
# kernels (6.1 also as the cloud flavour, 7.x also as PREEMPT_RT, and sid's 7.x), each booted
# under QEMU, and on this host's own kernel, natively. Prints every
# case as "PASS|FAIL|SKIP [kernel] name", a count per kernel, and as its very last line
# "N passed, N failed, N skipped". Exit status 0 only if nothing failed.
# Writes build/kernels/table.md (kernel, what works, what is off) from the runs, and keeps
# each run's files in build/kernels/<kernel>/.
#
#   tools/test-kernels.sh        (after make static scenarios-static)
#
# Environment: REAPWATCH_KERNELS (lines to boot, default
#              "5.10 6.1 6.12 7 7-rt sid 6.1-cloud"; "" for none),
#              REAPWATCH_KERNELS_HOST=0 (skip the native run), REAPWATCH_KERNEL_CACHE,
#              REAPWATCH_VM_TIMEOUT, REAPWATCH_STATIC (the agent, default ./reapwatch-static;
#              see tools/fetch-kernels.sh and tools/vm-run.sh).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
OUT=$REPO/build/kernels
LINES=${REAPWATCH_KERNELS-5.10 6.1 6.12 7 7-rt sid 6.1-cloud}
AGENT=${REAPWATCH_STATIC:-$REPO/reapwatch-static}
SCEN=$REPO/build/tests/scenarios-static

total_pass=0
total_fail=0
total_skip=0
rows=()

# What each case shows works, in the table's words.
declare -A WHAT=(
	[agent_trace_loads]="loads" [agent_export_loads]="loads" [agent_features]="loads"
	[agent_percpu_memory]="per-CPU memory bounded"
	[exit_code]="exit codes" [exit_signal]="terminating signals"
	[signal_user]="kill/kill -9 as user signals" [signal_shell_kill9]="kill/kill -9 as user signals"
	[teardown_signals]="pidns teardown SIGKILLs" [teardown_event]="teardown events"
	[teardown_members]="teardown members" [reap_reaper]="reapers"
	[reap_latency]="reap latency to 1 ms" [reap_waits]="waits behind a CPU hog, clone children, thread order"
	[reparent_subreaper]="adoption by subreapers"
	[reparent_pidns_init]="adoption by pidns inits" [zombies_list]="zombies"
	[zombies_age]="zombie ages" [export_promtool]="export" [export_counts]="export"
)

# A case that passes where its feature is off checks what the agent must still say, not that
# the feature works: the table says that instead.
declare -A FEATURE_OF=([teardown_members]=teardown-members [reap_waits]=reap-wait)
declare -A WHAT_OFF=(
	[teardown_members]="teardown members as null"
	[reap_waits]="waits behind a CPU hog, for clone children, by pid (a late waitpid(-1): an upper bound, said so)"
)

# join SEP WORD...: the words, each once, in order, joined by SEP.
join()
{
	local sep=$1 out="" w
	shift
	declare -A seen=()
	for w in "$@"; do
		[[ -z ${seen[$w]:-} ]] || continue
		seen[$w]=1
		out+="${out:+$sep}$w"
	done
	echo "${out:-—}"
}

# report LABEL DIR SECONDS: a run's checked results (DIR/check.txt): print its cases and
# counts, add its row.
report()
{
	local label=$1 dir=$2 secs=$3 p f s line status name works=() fails=() off verifier
	while IFS= read -r line; do
		case $line in
		PASS\ * | FAIL\ * | SKIP\ *) echo "${line%% *} [$label] ${line#* }" ;;
		"      "*) echo "$line" ;;
		esac
	done <"$dir/check.txt"
	p=$(grep -c '^PASS ' "$dir/verdicts" || true)
	f=$(grep -c '^FAIL ' "$dir/verdicts" || true)
	s=$(grep -c '^SKIP ' "$dir/verdicts" || true)
	echo "== $label: $p passed, $f failed, $s skipped (suite ran ${secs} s)"
	# A first boot that died (guest_crash_not_ours) or lost program runs is told in the row,
	# not only in the log.
	[[ ! -f $dir.first/why ]] || fails+=("booted twice: the first boot: \`$(sed 's/|/\\|/g' "$dir.first/why")\`")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	while read -r status name; do
		case $status in
		PASS)
			if [[ -n ${FEATURE_OF[$name]:-} ]] &&
				grep -qF "reapwatch: feature off: ${FEATURE_OF[$name]}: " "$dir/trace.err" 2>/dev/null; then
				works+=("${WHAT_OFF[$name]}")
			else
				works+=("${WHAT[$name]:-$name}")
			fi
			;;
		FAIL) fails+=("$name") ;;
		esac
	done <"$dir/verdicts"
	# The agent's own words for each feature it turned off.
	# ("|" would end a table cell.)
	off=$(sed -n 's/^reapwatch: feature off: //p' "$dir/trace.err" 2>/dev/null |
		sed 's/|/\\|/g' | awk '{ printf "%s%s", (NR > 1 ? "<br>" : ""), $0 }')
	# An agent that does not load fails every case: the table says why, not which.
	if grep -qx 'FAIL agent_trace_loads' "$dir/verdicts"; then
		verifier=$(sed -n 1p "$dir/verifier" 2>/dev/null || true)
		fails=("does not load: \`${verifier:-$(sed -n 1p "$dir/trace.err")}\`")
	fi
	rows+=("| $label | $p passed, $f failed, $s skipped | $(join ', ' "${works[@]}") | ${off:-—} | $(join '; ' "${fails[@]}") |")
}

# fail_run LABEL WHY: a kernel whose suite could not run at all counts as one failure.
fail_run()
{
	echo "FAIL [$1] suite: $2"
	echo "== $1: 0 passed, 1 failed, 0 skipped"
	total_fail=$((total_fail + 1))
	rows+=("| $1 | did not run | — | — | $2 |")
}

# guest_crash_not_ours CONSOLE: the guest kernel oopsed or panicked with none of our BPF
# programs on the stack. QEMU's multi-threaded TCG sometimes traps in the kernel's own live
# patching of a static key (text_poke_bp()'s int3, "Oops: int3" in __schedule as the
# sched_switch tracepoint is enabled): a fault of the emulator, not of the kernel under test.
# Prints the oops's first line. (A crash of ours shows bpf_prog_ frames: no second boot.)
guest_crash_not_ours()
{
	local console=$1
	[[ -f $console ]] || return 1
	grep -q 'bpf_prog_' "$console" && return 1
	# (an oops's header, "int3: 0000 [#1] SMP" before 6.10 and "Oops: int3: ..." since, or a
	# panic; not a BUG: warning the kernel survives)
	grep -m1 -E -o '[^]]*: [0-9a-f]{4} \[#[0-9]+\].*|Kernel panic - .*' "$console" |
		sed 's/^ *//' | cut -c1-120 | grep .
}

# guest_hung DIR: the VM was killed at its time limit with nothing on its console after the
# collector started: no oops, no RCU stall or hung-task report (the guest's detectors print
# even with `quiet`), no frame of ours. A guest kernel that hangs says so within a minute;
# silence means its vCPUs stopped running at all, which QEMU's multi-threaded TCG has done
# here (once in many boots, on a kernel whose run takes 25 s). Prints why.
guest_hung()
{
	local dir=$1
	[[ -f $dir/timed_out && -f $dir/console.log ]] || return 1
	grep -q -E 'bpf_prog_|\[#[0-9]+\]|Kernel panic|rcu:|INFO: task|soft lockup|BUG:' \
		"$dir/console.log" && return 1
	echo "the VM was killed after $(cat "$dir/timed_out") s with its console silent since" \
		"'$(grep -a -o 'vm: collector starts[^\r]*' "$dir/console.log" | tail -n1)'"
}

# Runs, in order, reported once all are checked: "LABEL<TAB>DIR<TAB>SECONDS", or
# "LABEL<TAB>-<TAB>WHY" for one that gave no results.
runs=()
check_pids=()

mkdir -p "$OUT"
[[ -x $AGENT && -d $SCEN ]] || {
	echo "test-kernels: needs ./reapwatch-static and $SCEN (make static scenarios-static)" >&2
	exit 2
}
# The host's run links to it from elsewhere.
AGENT=$(realpath "$AGENT")

# --- Debian's kernels under QEMU -------------------------------------------------------------
kernels=()
if [[ -n $LINES ]]; then
	# shellcheck disable=SC2086 # a list of lines
	if list=$(tools/fetch-kernels.sh $LINES) && [[ -n $list ]]; then
		mapfile -t kernels <<<"$list"
	else
		runs+=("debian"$'\t-\t'"tools/fetch-kernels.sh $LINES failed")
	fi
	[[ ${#kernels[@]} -eq 0 ]] || tools/vm-run.sh --build-initramfs "$OUT/initramfs.cpio.gz"
fi
for k in "${kernels[@]}"; do
	line=${k%%$'\t'*}
	kdir=${k#*$'\t'}
	pkg=$(basename "$kdir")
	case $line in
	5.10) distro="Debian 11" ;;
	6.1) distro="Debian 12" ;;
	6.12) distro="Debian 13" ;;
	7) distro="Debian 13 backports" ;;
	7-rt) distro="Debian 13 backports, PREEMPT_RT" ;;
	sid) distro="Debian unstable" ;;
	6.1-cloud) distro="Debian 12, cloud" ;;
	*) distro="Debian" ;;
	esac
	label="${pkg#linux-image-} ($distro, QEMU)"
	dir=$OUT/$line
	rm -rf "$dir" "$dir.first"
	echo "== $label: booting $pkg under QEMU"
	start=$SECONDS
	ok=0
	tools/vm-run.sh --initramfs "$OUT/initramfs.cpio.gz" "$kdir" "$dir" && ok=1
	if [[ $ok == 0 ]] && why=$(guest_crash_not_ours "$dir/console.log" || guest_hung "$dir"); then
		mv "$dir" "$dir.first" && echo "$why" >"$dir.first/why"
		echo "== $label: the guest died or stopped outside our programs ($why; see $dir.first/console.log): booting once more"
		start=$SECONDS
		tools/vm-run.sh --initramfs "$OUT/initramfs.cpio.gz" "$kdir" "$dir" && ok=1
	fi
	if [[ $ok == 1 ]]; then
		runs+=("$label"$'\t'"$dir"$'\t'$((SECONDS - start))$'\t'"$kdir")
		# Checked while the next kernel boots: jq's start-ups add up to 10-20 s a kernel.
		tests/kernels/check.sh "$dir" >"$dir/check.txt" 2>&1 &
		check_pids+=($!)
	elif [[ -f $dir.first/why ]]; then
		runs+=("$label"$'\t-\t'"no results from the VM, booted twice (see $dir.first/console.log and $dir/console.log)")
	else
		runs+=("$label"$'\t-\t'"no results from the VM (see $dir/console.log)")
	fi
done
# The host's run below measures reap latencies to the millisecond: nothing of ours in parallel.
for pid in "${check_pids[@]}"; do
	wait "$pid" || true
done
# A run with failures whose agents said the kernel skipped a program run (recursion_misses,
# reported as lost) boots once more: on PREEMPT_RT a program is preemptible, and a task
# that hits the same tracepoint on that CPU meanwhile has its run skipped (__bpf_trace_run()'s
# per-CPU guard), a few in thousands under TCG. The agent counts it; no program can avoid it.
for i in "${!runs[@]}"; do
	IFS=$'\t' read -r label dir secs kdir <<<"${runs[$i]}"
	[[ $dir != - && -n ${kdir:-} ]] && grep -q '^FAIL ' "$dir/verdicts" 2>/dev/null || continue
	why=$(grep -h -m1 -o 'lost [0-9]*: program runs the kernel skipped (recursion_misses)' \
		"$dir"/*.err 2>/dev/null | sed -n 1p) || true
	# (once: a kernel booted twice already, after a crash, keeps that first run's evidence)
	[[ -n $why && ! -e $dir.first ]] || continue
	mv "$dir" "$dir.first" && echo "$why" >"$dir.first/why"
	echo "== $label: failed after its agent reported $why: booting once more"
	start=$SECONDS
	if tools/vm-run.sh --initramfs "$OUT/initramfs.cpio.gz" "$kdir" "$dir"; then
		tests/kernels/check.sh "$dir" >"$dir/check.txt" 2>&1 || true
		runs[$i]="$label"$'\t'"$dir"$'\t'$((SECONDS - start))
	else
		runs[$i]="$label"$'\t-\t'"no results from the VM's second boot (see $dir/console.log)"
	fi
done

# --- this host's own kernel, natively --------------------------------------------------------
if [[ ${REAPWATCH_KERNELS_HOST:-1} != 0 ]]; then
	label="$(uname -r) (host)"
	dir=$OUT/host
	rm -rf "$dir"
	mkdir -p "$dir/bin"
	# busybox's applets first in PATH, as in the VM: the same shell, sleep, kill, unshare.
	for applet in $(busybox --list); do
		[[ $applet == busybox ]] || ln -s "$(command -v busybox)" "$dir/bin/$applet"
	done
	# The agent under the name the image gives it (see tools/vm-run.sh).
	ln -s "$AGENT" "$dir/bin/reapwatch"
	echo "== $label: running natively"
	start=$SECONDS
	if PATH=$dir/bin:$PATH timeout -k 10 300 busybox sh tests/kernels/collect.sh \
		"$dir/bin/reapwatch" "$SCEN" "$dir" 2>"$dir/collect.log"; then
		runs+=("$label"$'\t'"$dir"$'\t'$((SECONDS - start)))
		tests/kernels/check.sh "$dir" >"$dir/check.txt" 2>&1 || true
	else
		runs+=("$label"$'\t-\t'"the collector failed (see $dir/collect.log)")
	fi
fi

for r in "${runs[@]}"; do
	IFS=$'\t' read -r label dir secs _ <<<"$r"
	if [[ $dir == - ]]; then
		fail_run "$label" "$secs"
	else
		report "$label" "$dir" "$secs"
	fi
done

{
	echo "| kernel | suite | works | off on this kernel (the agent's words) | fails |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} >"$OUT/table.md"
echo "== table: $OUT/table.md"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[[ $total_fail -eq 0 ]]
