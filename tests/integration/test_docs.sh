#!/usr/bin/env bash
# The user reference and how it is installed:
# - docs/reapwatch.md covers the product as the code has it: every command and option of
#   the built binary's help, every JSON key per event type (render_json.c) and of `zombies`
#   (render_zombies.c), every metric (prom.c), every environment variable src/ reads, the
#   exit statuses (util.h) -- no more and no less;
# - reapwatch(8), made from it, renders with man without a warning, within 80 columns;
# - `make install DESTDIR=...` installs exactly the binary and the page, where PREFIX says,
#   and `make uninstall` takes them away;
# - README.md points at docs/, and its samples say what the code does.
# Needs make, perl and man (man-db); no root, no BPF.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

DOC=$REPO/docs/reapwatch.md
MAN_PAGE=$REPO/build/reapwatch.8

# make_target TARGET [VAR=VALUE...]: run make in the repository; fail with its last lines.
make_target()
{
	local rc=0
	make -C "$REPO" --no-print-directory "$@" >"$CASE_DIR/make.out" 2>&1 || rc=$?
	[[ $rc -eq 0 ]] || fail "make $* exited with status $rc: $(tail -n 3 "$CASE_DIR/make.out" | tr '\n' ' ')"
}

# doc_part LEVEL TITLE: the lines of docs/reapwatch.md under heading "LEVEL TITLE" (## or
# ###), up to the next heading of that level or above.
doc_part()
{
	awk -v level="$1" -v title="$2" '
		/^#+ / {
			n = index($0, " ") - 1
			if (on && n <= length(level)) on = 0
			if ($0 == level " " title) { on = 1; next }
		}
		on' "$DOC"
}

# table_keys: the first code span of each table row's first cell, sorted (header rows and
# separators have none).
table_keys()
{
	sed -nE 's/^\| `([^`]+)`.*/\1/p' | sort -u
}

# table_first_cells: every code span of each table row's first cell (e.g. both spellings of
# an option), sorted.
table_first_cells()
{
	sed -nE 's/^\|([^|]*)\|.*/\1/p' | grep -oE '`[^`]+`' | tr -d '`' | sort -u
}

# same_set DESC WANT_FILE GOT_FILE: the two sorted lists are equal; otherwise name the
# differences.
same_set()
{
	local desc=$1 missing extra
	missing=$(comm -23 "$2" "$3" | tr '\n' ' ')
	extra=$(comm -13 "$2" "$3" | tr '\n' ' ')
	[[ -z $missing && -z $extra ]] && return 0
	detail "$desc:" "  in the code, not in docs/reapwatch.md: ${missing:-none}" \
		"  in docs/reapwatch.md, not in the code: ${extra:-none}"
	fail "$desc: docs/reapwatch.md differs from the code (missing: ${missing:-none}; extra: ${extra:-none})"
}

# help_options CMD: the options `reapwatch CMD --help` lists, sorted.
help_options()
{
	"$AGENT" "$1" --help | grep -E '^ +-' | grep -oE '(^|[ ,])--?[a-z][a-z-]*' |
		tr -d ' ,' | sort -u
}

# The commands and options of the binary's help, each under its command's heading.
case_commands_and_options()
{
	local cmd
	[[ -x $AGENT ]] || fail "$AGENT is not built (make)"
	"$AGENT" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' >"$CASE_DIR/commands"
	[[ $(wc -l <"$CASE_DIR/commands") -ge 6 ]] || fail "reapwatch --help lists fewer than 6 commands"
	while read -r cmd; do
		grep -qE "^### (.*[ ,])?$cmd(,.*)?$" "$DOC" ||
			fail "docs/reapwatch.md has no '### $cmd' heading under COMMANDS"
	done <"$CASE_DIR/commands"
	for cmd in trace zombies top export healthcheck; do
		help_options "$cmd" >"$CASE_DIR/$cmd.help"
		doc_part "##" COMMANDS | doc_part_from_text "### $cmd" | table_first_cells |
			grep -E '^-' >"$CASE_DIR/$cmd.doc" || true
		same_set "options of $cmd" "$CASE_DIR/$cmd.help" "$CASE_DIR/$cmd.doc"
		grep -qF "reapwatch $cmd" <(doc_part "##" SYNOPSIS) ||
			fail "SYNOPSIS has no line for reapwatch $cmd"
	done
}

# doc_part_from_text HEADING: like doc_part, over stdin (read to its end: a writer cut off
# by an early exit would fail the pipeline).
doc_part_from_text()
{
	awk -v head="$1" '
		/^#+ / { if (on) { on = 0; done = 1 } else if (!done && $0 == head) { on = 1; next } }
		on'
}

# render_json.c's keys: KIND KEY lines, KIND "common" for render_subject and
# render_json_record_type (type and time, which lost records have too), "parent" for
# render_parent and the event type inside render_json_event's cases.
json_keys_by_type()
{
	awk '
		/^void render_json_record_type\(/ { fn = "common" }
		/^static void render_subject\(/ { fn = "common" }
		/^static void render_parent\(/ { fn = "parent" }
		/^void render_json_event\(/ { fn = "event" }
		/^void render_json_lost\(/ { fn = "lost" }
		/^}/ { fn = "" }
		fn == "lost" && /render_json_record_type\(/ { print "lost", "type"; print "lost", "time"; next }
		fn == "event" && match($0, /case RW_REC_[A-Z]+:/) {
			kind = tolower(substr($0, RSTART + 12, RLENGTH - 13))
		}
		fn == "event" && /render_parent\(/ { print kind, "ppid"; print kind, "parent_comm" }
		fn != "" && fn != "event" && match($0, /\(w, "[a-z_]+"/) {
			print fn, substr($0, RSTART + 5, RLENGTH - 6)
		}
		fn == "lost" && match($0, /\(&w, "[a-z_]+"/) {
			print "lost", substr($0, RSTART + 6, RLENGTH - 7)
		}
		fn == "event" && match($0, /\(&w, "[a-z_]+"/) {
			print kind, substr($0, RSTART + 6, RLENGTH - 7)
		}' "$REPO/src/render_json.c"
}

# Every JSON key per event type: the common table, then one table per type.
case_event_keys()
{
	local kind
	json_keys_by_type >"$CASE_DIR/keys"
	awk '$1 == "common" { print $2 }' "$CASE_DIR/keys" | sort -u >"$CASE_DIR/common.code"
	doc_part "##" EVENTS | doc_part_from_text_until_sub | table_keys >"$CASE_DIR/common.doc"
	same_set "keys of every event" "$CASE_DIR/common.code" "$CASE_DIR/common.doc"
	for kind in lost fork exit reap reparent signal teardown; do
		awk -v k="$kind" '$1 == k { print $2 }' "$CASE_DIR/keys" | sort -u >"$CASE_DIR/$kind.code"
		[[ -s $CASE_DIR/$kind.code ]] || fail "test bug: no keys found for $kind in render_json.c"
		doc_part "##" EVENTS | doc_part_from_text "### $kind" | table_keys >"$CASE_DIR/$kind.doc"
		same_set "keys of $kind events" "$CASE_DIR/$kind.code" "$CASE_DIR/$kind.doc"
	done
}

# doc_part_from_text_until_sub: stdin up to its first ### heading.
doc_part_from_text_until_sub()
{
	sed '/^### /,$d'
}

# zombies --json's keys (zombie_fields() in render_zombies.c).
case_zombie_keys()
{
	awk '/^static void zombie_fields\(.*\)$/ { on = 1 } on && /^}/ { on = 0 }
		on && match($0, /\(w, "[a-z_]+"/) { print substr($0, RSTART + 5, RLENGTH - 6) }' \
		"$REPO/src/render_zombies.c" | sort -u >"$CASE_DIR/zombies.code"
	[[ $(wc -l <"$CASE_DIR/zombies.code") -ge 8 ]] || fail "test bug: zombie keys not found in render_zombies.c"
	doc_part "##" ZOMBIES | table_keys >"$CASE_DIR/zombies.doc"
	same_set "keys of zombies --json" "$CASE_DIR/zombies.code" "$CASE_DIR/zombies.doc"
}

# Every metric family prom.c writes.
case_metrics()
{
	grep -oE 'header\(out, "[a-z_]+"' "$REPO/src/prom.c" | sed -E 's/.*"(.*)"/\1/' | sort -u \
		>"$CASE_DIR/metrics.code"
	[[ $(wc -l <"$CASE_DIR/metrics.code") -ge 15 ]] || fail "test bug: metrics not found in prom.c"
	doc_part "##" METRICS | table_keys >"$CASE_DIR/metrics.doc"
	same_set "metrics" "$CASE_DIR/metrics.code" "$CASE_DIR/metrics.doc"
}

# Every environment variable the code reads (a "REAPWATCH_..." string in src/: getenv() and
# its wrappers).
case_environment()
{
	grep -ohE '"REAPWATCH_[A-Z_]+"' "$REPO"/src/*.c | tr -d '"' | sort -u >"$CASE_DIR/env.code"
	grep -q '^REAPWATCH_DEBUG$' "$CASE_DIR/env.code" || fail "test bug: REAPWATCH_DEBUG not found in src/"
	doc_part "##" ENVIRONMENT | table_keys >"$CASE_DIR/env.doc"
	same_set "environment variables" "$CASE_DIR/env.code" "$CASE_DIR/env.doc"
}

# The exit statuses of util.h, and no other.
case_exit_statuses()
{
	sed -nE 's/^#define EXIT_[A-Z]+ +([0-9]+).*/\1/p' "$REPO/src/util.h" | sort -u >"$CASE_DIR/exit.code"
	[[ $(wc -l <"$CASE_DIR/exit.code") -eq 3 ]] || fail "test bug: expected 3 EXIT_ statuses in util.h"
	doc_part "##" "EXIT STATUS" | sed -nE 's/^\| ([0-9]+) \|.*/\1/p' | sort -u >"$CASE_DIR/exit.doc"
	same_set "exit statuses" "$CASE_DIR/exit.code" "$CASE_DIR/exit.doc"
}

# man renders reapwatch(8) without a warning, at 80 columns, with the usual sections.
case_man_page()
{
	local section
	command -v man >/dev/null || fail "man not found (Debian package man-db; tools/install-deps.sh --test installs it)"
	make_target man
	[[ -s $MAN_PAGE ]] || fail "make man made no $MAN_PAGE"
	MANWIDTH=80 man -l --warnings "$MAN_PAGE" >"$CASE_DIR/man.txt" 2>"$CASE_DIR/man.err" ||
		fail "man -l $MAN_PAGE failed: $(head -n 3 "$CASE_DIR/man.err")"
	assert_eq "man -l --warnings: warnings" "" "$(cat "$CASE_DIR/man.err")"
	# Every warning groff has, not only man's default (macros).
	MANWIDTH=80 man -l --warnings=w "$MAN_PAGE" 2>&1 >/dev/null | sed -n 1,5p >"$CASE_DIR/man-all.err"
	assert_eq "man -l --warnings=w: warnings" "" "$(cat "$CASE_DIR/man-all.err")"
	detail "lines over 80 columns:" "$(awk 'length > 80' "$CASE_DIR/man.txt" | sed -n 1,5p)"
	assert_eq "rendered lines over 80 columns" 0 "$(awk 'length > 80' "$CASE_DIR/man.txt" | wc -l)"
	assert_eq "the page's first line" "REAPWATCH(8)" "$(head -n 1 "$CASE_DIR/man.txt" | awk '{ print $1 }')"
	for section in NAME SYNOPSIS DESCRIPTION COMMANDS EVENTS ZOMBIES METRICS "EXIT STATUS" \
		ENVIRONMENT FILES "SEE ALSO"; do
		grep -qx "$section" "$CASE_DIR/man.txt" || fail "the rendered page has no $section section"
	done
	# What apropos and whatis will say (man-db reads the NAME section with lexgrog).
	if command -v lexgrog >/dev/null; then
		assert_eq "lexgrog (whatis)" \
			"$MAN_PAGE: \"reapwatch - how processes die on a Linux host and in its containers\"" \
			"$(lexgrog "$MAN_PAGE")"
	fi
	# Nothing of the reference is lost on the way: each key, metric and variable is there.
	for word in $(cat "$DOC" | table_keys); do
		grep -qF -- "$word" "$CASE_DIR/man.txt" || fail "the rendered page lacks '$word'"
	done
}

# make install DESTDIR=...: exactly the binary and the page, with PREFIX's layout; uninstall.
case_install()
{
	local root=$CASE_DIR/root files
	make_target install DESTDIR="$root"
	files=$(cd "$root" && find . ! -type d -printf '%m %p\n' | sort)
	assert_eq "make install DESTDIR=...: files installed" \
		"644 ./usr/local/share/man/man8/reapwatch.8
755 ./usr/local/sbin/reapwatch" "$files"
	"$root/usr/local/sbin/reapwatch" --version | grep -qF "reapwatch $(cat "$REPO/VERSION") " ||
		fail "the installed reapwatch --version does not say $(cat "$REPO/VERSION")"
	cmp -s "$MAN_PAGE" "$root/usr/local/share/man/man8/reapwatch.8" ||
		fail "the installed page is not build/reapwatch.8"
	make_target uninstall DESTDIR="$root"
	assert_eq "after make uninstall DESTDIR=...: files left" "" \
		"$(cd "$root" && find . ! -type d | sort)"

	root=$CASE_DIR/root-usr
	make_target install DESTDIR="$root" PREFIX=/usr
	files=$(cd "$root" && find . ! -type d -printf '%m %p\n' | sort)
	assert_eq "make install DESTDIR=... PREFIX=/usr: files installed" \
		"644 ./usr/share/man/man8/reapwatch.8
755 ./usr/sbin/reapwatch" "$files"
}

# README sends readers to docs/, not to a file outside the repository; its samples agree
# with the code.
case_readme()
{
	local readme=$REPO/README.md interval
	if grep -n 'shared/SPEC.md' "$readme" >"$CASE_DIR/spec-refs"; then
		fail "README.md still points at SPEC.md outside the repository: $(head -n 1 "$CASE_DIR/spec-refs")"
	fi
	grep -qF '(docs/reapwatch.md)' "$readme" || fail "README.md has no link to docs/reapwatch.md"
	interval=$("$AGENT" top --help | sed -nE 's/.*refresh period \(default ([0-9.]+)\).*/\1/p')
	[[ -n $interval ]] || fail "test bug: no default interval in reapwatch top --help"
	grep -E '^reapwatch top  [0-9]{4}-' "$readme" >"$CASE_DIR/top-samples" || fail "README.md has no top sample"
	while read -r line; do
		[[ $line == *" every ${interval}s "* ]] ||
			fail "README.md's top sample says '$(grep -oE 'every [0-9.]+s' <<<"$line")', the default is ${interval}s"
	done <"$CASE_DIR/top-samples"
	grep -qF "default $interval." <(doc_part "##" COMMANDS | doc_part_from_text "### top") ||
		fail "docs/reapwatch.md does not give top's default interval, $interval"
}

run_case docs_commands_and_options case_commands_and_options
run_case docs_event_keys case_event_keys
run_case docs_zombie_keys case_zombie_keys
run_case docs_metrics case_metrics
run_case docs_environment case_environment
run_case docs_exit_statuses case_exit_statuses
run_case docs_man_page case_man_page
run_case docs_install case_install
run_case docs_readme case_readme
finish
