#!/usr/bin/env bash
# The build's BPF stack budget (tools/bpf-stack-budget.sh): an object whose entry program,
# with its deepest chain of callees and bpf_loop() callbacks, needs more stack than the
# budget fails with one line naming the program; the sizes it computes are the verifier's
# own ("combined stack size of N calls is M", "stack depth A+B"); and make stops before the
# skeleton when an object is over BPF_STACK_BUDGET.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

CHECKER=$REPO/tools/bpf-stack-budget.sh
FIXTURE=$REPO/tests/integration/stack_budget.bpf.c

# fixture NAME -DFRAME=N...: compile the fixture with those sizes into $CASE_DIR/NAME.o
# (stripped of debug info as the Makefile strips the agent's objects).
fixture()
{
	local name=$1
	shift
	clang -g -O2 -target bpf -mcpu=v3 -Wall -Werror -I"$REPO" "$@" \
		-c "$FIXTURE" -o "$CASE_DIR/$name.o" 2>"$CASE_DIR/$name.clang.err" ||
		fail "compiling the fixture with $*: $(head -n 3 "$CASE_DIR/$name.clang.err")"
	llvm-strip -g "$CASE_DIR/$name.o"
}

# check NAME ARGS...: run the checker on NAME.o; CHECK_RC, CHECK_OUT, CHECK_ERR.
check()
{
	local name=$1
	shift
	CHECK_OUT=$CASE_DIR/$name.check.out
	CHECK_ERR=$CASE_DIR/$name.check.err
	CHECK_RC=0
	"$CHECKER" "$@" "$CASE_DIR/$name.o" >"$CHECK_OUT" 2>"$CHECK_ERR" || CHECK_RC=$?
}

# over_budget NAME TEXT: the checker failed NAME.o with exactly one line, naming
# fixture_prog and containing TEXT.
over_budget()
{
	local lines
	assert_eq "checker on $1 ($(tail -n 1 "$CHECK_ERR")): exit status" 1 "$CHECK_RC"
	lines=$(wc -l <"$CHECK_ERR")
	[[ $lines -eq 1 ]] || {
		detail "stderr:" "$(cat "$CHECK_ERR")"
		fail "checker on $1: expected one line on stderr, got $lines"
	}
	assert_contains "checker on $1: stderr" "$CHECK_ERR" "$1.o: fixture_prog needs"
	assert_contains "checker on $1: stderr" "$CHECK_ERR" "$2"
	# The table comes with the failure, without -v.
	grep -q '^  fixture_prog ' "$CHECK_OUT" || fail "checker on $1: no table row for fixture_prog"
}

# row NAME COLUMN: a number from fixture_prog's row of NAME's table (2 frame, 3 chain,
# 4 total, 5 total/32).
row()
{
	awk -v c="$2" '$1 == "fixture_prog" && NF >= 5 { print $c; exit }' "$CASE_DIR/$1.check.out"
}

# Small frames, a callback and two levels of calls: within the budget, nothing printed.
case_within_budget()
{
	fixture small -DFRAME=64 -DLOOP_FRAME=64 -DCALL_FRAME=64 -DNESTED_FRAME=64
	check small
	assert_eq "checker on small: exit status" 0 "$CHECK_RC"
	[[ ! -s $CHECK_OUT && ! -s $CHECK_ERR ]] || fail "checker on small printed something without -v"
	check small -v
	assert_eq "checker -v on small: exit status" 0 "$CHECK_RC"
	assert_eq "small: fixture_prog's chain (loop_step 64; callee 64 + nested_callee 64)" 128 "$(row small 3)"
	assert_eq "small: fixture_prog's total" 192 "$(row small 4)"
}

# One frame of 448 bytes, nothing called: over a budget of 384, and the line says so.
case_big_frame()
{
	fixture big -DFRAME=448
	check big
	over_budget big "needs 448 bytes of stack"
	assert_contains "checker on big: stderr" "$CHECK_ERR" "over the budget of 384"
	check big -b 448
	assert_eq "checker -b 448 on big: exit status" 0 "$CHECK_RC"
}

# 256 bytes in the program and 256 in its bpf_loop() callback: each fits, together they do
# not (the verifier counts the callback as a call made where its address is taken).
case_bpf_loop_callback()
{
	fixture alone -DFRAME=256
	check alone
	assert_eq "checker on the program without its callback: exit status" 0 "$CHECK_RC"
	fixture with_loop -DFRAME=256 -DLOOP_FRAME=256
	check with_loop
	over_budget with_loop "+ loop_step 256"
}

# 128 + 128 + 160 bytes down a chain of calls: 416, over 384, within 512.
case_call_chain()
{
	fixture chain -DFRAME=128 -DCALL_FRAME=128 -DNESTED_FRAME=160
	check chain
	over_budget chain "frame 128 + callee 128 + nested_callee 160"
	assert_contains "checker on chain: stderr" "$CHECK_ERR" "needs 416 bytes"
	check chain -b 512
	assert_eq "checker -b 512 on chain: exit status" 0 "$CHECK_RC"
}

# kernel_at_least MAJOR MINOR
kernel_at_least()
{
	local v maj min
	v=$(uname -r)
	maj=${v%%.*}
	min=${v#*.}
	min=${min%%[!0-9]*}
	((maj > $1 || (maj == $1 && min >= $2)))
}

# verifier_agrees NAME CALLS -D...: load NAME (over 512 bytes) with bpftool; the verifier
# refuses it with the checker's total for CALLS calls and the checker's frames.
verifier_agrees()
{
	local name=$1 calls=$2 log=$CASE_DIR/$1.bpftool pin want got frames depths
	shift 2
	fixture "$name" "$@"
	check "$name" -v -a -b 10000
	assert_eq "checker on $name: exit status" 0 "$CHECK_RC"
	# Linux 6.9+ rounds frames to 16 bytes when the program is JIT-compiled, older kernels
	# and the interpreter to 32 (kernel/bpf/verifier.c, round_up_stack_depth()).
	if kernel_at_least 6 9 && [[ $(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo 1) != 0 ]]; then
		want=$(row "$name" 4)
	else
		want=$(row "$name" 5)
	fi
	pin=/sys/fs/bpf/reapwatch-test-stack-$$-$name
	at_case_exit rm -rf "$pin"
	if bpftool -d prog loadall "$CASE_DIR/$name.o" "$pin" >"$log" 2>&1; then
		skip "this kernel loads $name (private BPF stacks?): nothing to compare with"
	fi
	got=$(sed -n 's/^combined stack size of \([0-9]*\) calls is \([0-9]*\)\. Too large$/\1 \2/p' "$log" | sed -n 1p)
	[[ -n $got ]] || {
		detail "bpftool:" "$(grep -v '^mark_precise' "$log" | tail -n 15)"
		fail "loading $name failed without the verifier's 'combined stack size' line"
	}
	assert_eq "$name: the verifier's combined stack size (calls bytes) vs the checker's total" \
		"$calls $want" "$got"
	# The verifier's stack depth per function: the deepest byte, rounded up to a whole 8-byte
	# slot since Linux 6.9 (grow_stack_state()).
	depths=$(sed -n 's/^stack depth //p' "$log" | sed -n 1p | tr + '\n' | sort -n | paste -sd' ')
	frames=$(sed -n '/: every function$/,$p' "$CHECK_OUT" | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n)
	[[ $depths == "$(paste -sd' ' <<<"$frames")" ||
		$depths == "$(awk '{ print int(($1 + 7) / 8) * 8 }' <<<"$frames" | paste -sd' ')" ]] ||
		fail "$name: the verifier's stack depth per function is '$depths', the checker's frames '$(paste -sd' ' <<<"$frames")'"
}

# The checker's numbers are the verifier's: two objects over 512 bytes, one through a
# bpf_loop() callback (two calls), one through a chain of calls (three).
case_agrees_with_verifier()
{
	[[ $(id -u) -eq 0 ]] || skip "loading BPF programs needs root"
	mountpoint -q /sys/fs/bpf || skip "no bpffs on /sys/fs/bpf"
	verifier_agrees over_loop 2 -DFRAME=400 -DLOOP_FRAME=152
	verifier_agrees over_calls 3 -DFRAME=200 -DCALL_FRAME=160 -DNESTED_FRAME=160
}

# make stops before the skeleton when an object is over BPF_STACK_BUDGET, naming the
# program, and builds the skeleton when it is within.
case_make_enforces_budget()
{
	local out=$CASE_DIR/build rc=0
	make -C "$REPO" OUT="$out" BPF_STACK_BUDGET=8 "$out/subreapers.skel.h" \
		>"$CASE_DIR/make.out" 2>"$CASE_DIR/make.err" || rc=$?
	[[ $rc -ne 0 ]] || fail "make with BPF_STACK_BUDGET=8 built the skeleton"
	[[ ! -e $out/subreapers.skel.h ]] || fail "make with BPF_STACK_BUDGET=8 left a skeleton"
	assert_contains "make with BPF_STACK_BUDGET=8: stderr" "$CASE_DIR/make.err" \
		"subreapers.bpf.o: list_subreapers needs"
	assert_contains "make with BPF_STACK_BUDGET=8: stderr" "$CASE_DIR/make.err" "over the budget of 8"
	make -C "$REPO" OUT="$out" "$out/subreapers.skel.h" >"$CASE_DIR/make2.out" 2>&1 ||
		fail "make with the default budget: $(tail -n 1 "$CASE_DIR/make2.out")"
	[[ -s $out/subreapers.skel.h ]] || fail "make with the default budget built no skeleton"
}

run_case stack_budget_within case_within_budget
run_case stack_budget_big_frame case_big_frame
run_case stack_budget_bpf_loop_callback case_bpf_loop_callback
run_case stack_budget_call_chain case_call_chain
run_case stack_budget_agrees_with_verifier case_agrees_with_verifier
run_case stack_budget_make_enforces case_make_enforces_budget
finish
