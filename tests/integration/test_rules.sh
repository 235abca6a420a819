#!/usr/bin/env bash
# The Prometheus alerting rules (deploy/prometheus/reapwatch.rules.yml) load, and their
# promtool unit tests (tests/prometheus/reapwatch.rules.test.yml) pass -- and can fail: a
# copy with one expectation made wrong must be rejected, or the tests prove nothing.
# Needs promtool (Debian package prometheus, installed by tools/install-deps.sh); no root.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

RULES=$REPO/deploy/prometheus/reapwatch.rules.yml
RULE_TESTS=$REPO/tests/prometheus/reapwatch.rules.test.yml

need_promtool()
{
	command -v promtool >/dev/null ||
		fail "promtool not found (Debian package prometheus; run tools/install-deps.sh as root)"
}

# promtool_ok DESC ARGS...: promtool ARGS exits 0; its output is shown under a failure.
promtool_ok()
{
	local desc=$1 out=$CASE_DIR/promtool.err rc=0
	shift
	timeout -k 5 60 promtool "$@" >"$out" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		detail "promtool $*:" "$(sed -n 1,60p "$out")"
		fail "$desc: promtool exited with status $rc:" \
			"$(sed -En '/name: |FAILED|[Ee]rror/{s/^ *//;p;q}' "$out")"
	fi
}

case_check_rules()
{
	need_promtool
	promtool_ok "promtool check rules $RULES" check rules "$RULES"
	# The five alerts of the group "reapwatch", each once.
	local alert n
	grep -q '^  - name: reapwatch$' "$RULES" || fail "no rule group named reapwatch in $RULES"
	for alert in ReapwatchZombiesAccumulating ReapwatchPidsNearLimit \
		ReapwatchUngracefulTeardown ReapwatchEventsLost ReapwatchExportStale; do
		n=$(grep -c "^      - alert: $alert\$" "$RULES" || true)
		assert_eq "alert $alert in $RULES" 1 "$n"
	done
}

case_rule_unit_tests()
{
	need_promtool
	promtool_ok "promtool test rules $RULE_TESTS" test rules "$RULE_TESTS"
}

# Same files, one expected annotation off by one zombie: promtool must say FAILED.
case_rule_tests_can_fail()
{
	local copy=$CASE_DIR/repo rc=0
	need_promtool
	mkdir -p "$copy/deploy/prometheus" "$copy/tests/prometheus"
	cp "$RULES" "$copy/deploy/prometheus/"
	sed 's/^\( *\)3 zombie processes in pod /\14 zombie processes in pod /' "$RULE_TESTS" \
		>"$copy/tests/prometheus/reapwatch.rules.test.yml"
	if cmp -s "$RULE_TESTS" "$copy/tests/prometheus/reapwatch.rules.test.yml"; then
		fail "test bug: found no '3 zombie processes in pod' expectation to make wrong"
	fi
	timeout -k 5 60 promtool test rules "$copy/tests/prometheus/reapwatch.rules.test.yml" \
		>"$CASE_DIR/promtool.out" 2>&1 || rc=$?
	detail "promtool output:" "$(sed -n 1,20p "$CASE_DIR/promtool.out")"
	[[ $rc -ne 0 ]] || fail "promtool test rules passed with a wrong expectation"
	grep -q 'name: zombies_kubernetes_pid1_never_reaps,' "$CASE_DIR/promtool.out" ||
		fail "promtool failed, but not on the test with the wrong expectation"
}

run_case rules_check case_check_rules
run_case rules_unit_tests case_rule_unit_tests
run_case rules_tests_can_fail case_rule_tests_can_fail
finish
