#!/usr/bin/env bash
# tools/bpf-stack-budget.sh — the BPF stack each entry program needs, checked against a budget.
#
#   tools/bpf-stack-budget.sh [-v] [-b BYTES] OBJ.bpf.o...
#
# The verifier counts stack per call chain, not per function: check_max_stack_depth() in
# kernel/bpf/verifier.c starts at each entry program, follows every bpf-to-bpf call and
# every function whose address is loaded (a bpf_loop() callback counts as a call made at
# the ld_imm64 that takes its address), adds each frame rounded up, and refuses the program
# with "combined stack size of N calls is M. Too large" when M > 512 (MAX_BPF_STACK).
# Rounding: round_up(max(depth, 1), 32) before Linux 6.9 and in the interpreter; 6.9 and
# later round to 16 when the program is JIT-compiled (round_up_stack_depth(), from "bpf: Fix
# test verif_scale_strobemeta_subprogs failure due to llvm19"). Kernels with private stacks
# (6.13+, some program types, some architectures) relax the rule; we do not rely on them.
#
# A frame is the deepest r10-relative offset a function's code reaches: loads and stores
# through r10 and through registers copied from r10, and pointers into the stack (r10 plus a
# negative constant) handed to helpers. Entry programs are the functions of every executable
# section but .text; .text holds subprograms, which libbpf appends to each program that
# references them. The object may be stripped with llvm-strip -g: the symbol table survives.
#
# Per object it prints (with -v, or when a program is over the budget) one line per entry
# program: its own frame, the deepest chain of callees and callbacks below it, and the
# totals with both roundings; then one line per program over the budget:
#   bpf-stack-budget: OBJ: PROG needs N bytes of stack (...), over the budget of B
# The budget applies to the larger total (the 32-byte rounding of kernels before 6.9).
#
#   -b BYTES   the budget [$BPF_STACK_BUDGET, else 384]
#   -v         print the table even when every program is within the budget
#   -a         also list every function: its frame and the functions it calls or passes
# Environment: LLVM_OBJDUMP [llvm-objdump].
# Exit status: 0 within the budget, 1 over it, 2 usage or tool error.
set -euo pipefail

usage()
{
	sed -n '2,/^set -euo/{ /^set -euo/d; s/^# \{0,1\}//p }' "$0"
}

budget=${BPF_STACK_BUDGET:-384}
verbose=0
all=0
while getopts "b:vah" opt; do
	case $opt in
	b) budget=$OPTARG ;;
	v) verbose=1 ;;
	a) all=1 ;;
	h)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
if [[ $# -eq 0 ]]; then
	echo "bpf-stack-budget: no object given" >&2
	usage >&2
	exit 2
fi
[[ $budget =~ ^[0-9]+$ ]] || {
	echo "bpf-stack-budget: the budget must be a number of bytes, not '$budget'" >&2
	exit 2
}

objdump=${LLVM_OBJDUMP:-llvm-objdump}
command -v "$objdump" >/dev/null || {
	echo "bpf-stack-budget: '$objdump' not found (Debian package llvm; or set LLVM_OBJDUMP)" >&2
	exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpf-stack-budget.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

status=0
for obj in "$@"; do
	[[ -r $obj ]] || {
		echo "bpf-stack-budget: cannot read $obj" >&2
		exit 2
	}
	"$objdump" -t "$obj" >"$tmp/syms" || exit 2
	"$objdump" -dr "$obj" >"$tmp/disasm" || exit 2
	rc=0
	awk -v obj="$obj" -v budget="$budget" -v verbose="$verbose" -v all="$all" '
	function die(msg) {
		printf "bpf-stack-budget: %s: %s\n", obj, msg > "/dev/stderr"
		failed = 2
		exit 2
	}
	function hex(s,    i, n, c) {
		n = 0
		s = tolower(s)
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789abcdef", substr(s, i, 1))
			if (c == 0) die("not a hex number: " s)
			n = n * 16 + c - 1
		}
		return n
	}
	function round16(d) { return int((d + 15) / 16) * 16 }
	function round32(d) { if (d < 1) d = 1; return int((d + 31) / 32) * 32 }
	function rounded(d, r) { return r == 16 ? round16(d) : round32(d) }

	# llvm-objdump -t: "VALUE FLAGS(7) SECTION<TAB>SIZE NAME"; F marks a function.
	FNR == NR {
		if ($0 !~ /^[0-9a-f]+ /) next
		flags = substr($0, 18, 7)
		if (flags !~ /F/) next
		split(substr($0, 26), part, "\t")
		sec = part[1]
		split(part[2], sz, " ")
		name = sz[2]
		func_sec[name] = sec
		func_off[name] = hex(substr($0, 1, 16))
		func_at[sec, func_off[name]] = name
		code_sec[sec] = 1
		funcs[++n_funcs] = name
		if (sec != ".text") entries[++n_entries] = name
		next
	}

	# llvm-objdump -dr: sections, labels, instructions and the relocations after them.
	/^Disassembly of section / {
		finish_insn()
		sec = substr($0, 24)
		sub(/:$/, "", sec)
		cur = ""
		next
	}
	/^[0-9a-f]+ <.*>:$/ {
		finish_insn()
		name = $2
		gsub(/^<|>:$/, "", name)
		if ((name in func_sec) && func_sec[name] == sec) {
			cur = name
			depth[cur] = 0
			delete fp
		}
		next
	}
	/^[ \t]*[0-9]+:\t/ {
		finish_insn()
		if (cur == "") next
		split($0, f, "\t")
		idx = f[1]
		gsub(/[ :]/, "", idx)
		pend_idx = idx + 0
		pend_raw = f[2]
		pend_text = f[3]
		pend_rel = ""
		pend = 1
		stack_effects(pend_text)
		next
	}
	/^\t\t[0-9a-f]+: +R_BPF_/ {
		if (!pend) next
		off = $1
		sub(/:$/, "", off)
		if (hex(off) / 8 != pend_idx) die("relocation at " off " does not follow its instruction")
		pend_rel = $3
		next
	}
	END {
		if (failed) exit failed
		finish_insn()
		report()
	}

	# The offset below r10 that a memory operand "(rN +/- K)" reaches, if rN points into
	# the stack; deepest = the largest such depth in the function.
	function note_depth(off) {
		if (off < 0 && -off > depth[cur]) depth[cur] = -off
	}
	function stack_effects(text,    t, m, reg, k, dst, src, w, last) {
		t = text
		while (match(t, /\(r[0-9]+ [+-] [0-9]+\)/)) {
			m = substr(t, RSTART + 1, RLENGTH - 2)
			t = substr(t, RSTART + RLENGTH)
			split(m, p, " ")
			reg = p[1]
			k = (p[2] == "-") ? -p[3] : p[3] + 0
			if (reg == "r10") note_depth(k)
			else if (reg in fp) note_depth(fp[reg] + k)
		}
		if (text ~ /^call /) {
			for (k = 0; k <= 5; k++) delete fp["r" k]
			return
		}
		if (!match(text, /^[rw][0-9]+ /)) return
		dst = "r" substr(text, 2, RLENGTH - 2)
		last = w[split(text, w, " ")]
		if (text ~ /^r[0-9]+ = r10$/) {
			fp[dst] = 0
		} else if ((dst in fp) && text ~ /^r[0-9]+ \+= -?[0-9]+$/) {
			fp[dst] += last
			note_depth(fp[dst])
		} else if ((dst in fp) && text ~ /^r[0-9]+ -= -?[0-9]+$/) {
			fp[dst] -= last
			note_depth(fp[dst])
		} else if (text ~ /^r[0-9]+ = r[0-9]+$/) {
			src = substr(text, index(text, "= ") + 2)
			if (src in fp) fp[dst] = fp[src]
			else delete fp[dst]
		} else {
			delete fp[dst]
		}
	}

	# Calls and function addresses of the instruction just read, once its relocation is known.
	function finish_insn(    op, srcreg, imm, target_sec, target_idx, t) {
		if (!pend) return
		pend = 0
		op = substr(pend_raw, 1, 2)
		if (op != "18" && op != "85") return
		t = pend_text
		if (op == "18") {
			# ld_imm64 of a function: "rN = IMM ll" with a relocation against the function
			# or its section (IMM is then the byte offset in that section).
			if (pend_rel == "") return
			if (!match(t, /= -?[0-9]+ ll$/)) return
			imm = substr(t, RSTART + 2, RLENGTH - 5) + 0
			if (pend_rel in func_sec) {
				target_sec = func_sec[pend_rel]
				target_idx = (func_off[pend_rel] + imm) / 8
			} else if (pend_rel in code_sec) {
				target_sec = pend_rel
				target_idx = imm / 8
			} else {
				return
			}
		} else {
			# call: with a relocation against a function or a code section, libbpf takes the
			# target as the instruction at the symbol + imm + 1; one against an undefined symbol
			# is a kfunc. Without one, src_reg 1 (BPF_PSEUDO_CALL) is pc-relative.
			if (!match(t, /^call -?[0-9]+$/)) return
			imm = substr(t, 6) + 0
			srcreg = substr(pend_raw, 4, 1)
			if (pend_rel != "") {
				if (pend_rel in func_sec) {
					target_sec = func_sec[pend_rel]
					target_idx = func_off[pend_rel] / 8 + imm + 1
				} else if (pend_rel in code_sec) {
					target_sec = pend_rel
					target_idx = imm + 1
				} else {
					return
				}
			} else if (srcreg == "1") {
				target_sec = sec
				target_idx = pend_idx + imm + 1
			} else {
				return
			}
		}
		if (!((target_sec, target_idx * 8) in func_at))
			die(sprintf("%s: instruction %d refers to %s+%d, where no function starts", cur, pend_idx, target_sec, target_idx * 8))
		t = func_at[target_sec, target_idx * 8]
		if (!((cur, t) in calls)) {
			calls[cur, t] = 1
			callee[cur, ++n_callees[cur]] = t
		}
	}

	# chain(F, R): the deepest stack below F (its callees and callbacks), frames rounded to R;
	# path[F, R] names that chain.
	function chain(f, r, level,    i, c, v, best) {
		if ((f, r) in memo) return memo[f, r]
		if (level >= 8) die(f ": calls nest deeper than the verifier allows (8 frames)")
		if (f in visiting) die(f ": recursive calls (the verifier refuses them)")
		visiting[f] = 1
		best = 0
		path[f, r] = ""
		for (i = 1; i <= n_callees[f]; i++) {
			c = callee[f, i]
			v = rounded(depth[c], r) + chain(c, r, level + 1)
			if (v > best) {
				best = v
				path[f, r] = c " " depth[c] (path[c, r] != "" ? " + " path[c, r] : "")
			}
		}
		delete visiting[f]
		memo[f, r] = best
		return best
	}

	function report(    i, c, e, t16, t32, over, lines, n_over, via) {
		n_over = 0
		lines = ""
		for (i = 1; i <= n_entries; i++) {
			e = entries[i]
			t16 = round16(depth[e]) + chain(e, 16, 1)
			t32 = round32(depth[e]) + chain(e, 32, 1)
			via = path[e, 32] != "" ? path[e, 32] : "-"
			lines = lines sprintf("  %-26s %5d %6d %6d %9d  %s\n", e, depth[e], chain(e, 16, 1), t16, t32, via)
			if (t32 > budget) {
				over[++n_over] = sprintf("bpf-stack-budget: %s: %s needs %d bytes of stack (%d on Linux 6.9+ with the JIT): frame %d%s; over the budget of %d (BPF_STACK_BUDGET; the kernel refuses more than 512)", obj, e, t32, t16, depth[e], path[e, 32] != "" ? " + " path[e, 32] : "", budget)
			}
		}
		if (verbose || n_over) {
			printf "%s: stack per entry program in bytes (budget %d)\n", obj, budget
			printf "  %-26s %5s %6s %6s %9s  %s\n", "program", "frame", "chain", "total", "total/32", "deepest chain (function frame + ...)"
			printf "%s", lines
			printf "  frame: its own; chain: callees and bpf_loop callbacks below it; total: as Linux 6.9+\n"
			printf "  with the JIT sums them (frames rounded to 16); total/32: before 6.9 (rounded to 32)\n"
		}
		if (all) {
			printf "%s: every function\n", obj
			printf "  %-26s %-26s %5s  %s\n", "function", "section", "frame", "calls or passes"
			for (i = 1; i <= n_funcs; i++) {
				e = funcs[i]
				via = ""
				for (c = 1; c <= n_callees[e]; c++) via = via (c > 1 ? " " : "") callee[e, c]
				printf "  %-26s %-26s %5d  %s\n", e, func_sec[e], depth[e], via != "" ? via : "-"
			}
		}
		for (i = 1; i <= n_over; i++) print over[i] > "/dev/stderr"
		if (n_over) exit 1
	}
	' "$tmp/syms" "$tmp/disasm" || rc=$?
	case $rc in
	0) ;;
	1) status=1 ;;
	*) exit 2 ;;
	esac
done
exit "$status"
