#!/usr/bin/env bash
# deploy/kubernetes/, checked offline (there is no cluster here):
# - every manifest validates against the Kubernetes API schema (npm packages
#   kubernetes-models and @kubernetes-models/prometheus-operator, installed from
#   tests/kubernetes/package-lock.json into build/k8s-validate), unknown fields rejected as
#   `kubectl apply --validate=strict` does -- and the validator does reject broken copies;
# - the DaemonSet says what the agent needs (host pid namespace, mounts, probes, resources)
#   and runs the image the way deploy/Containerfile sets it up;
# - prometheusrule.yaml is deploy/prometheus/reapwatch.rules.yml, regenerated identically by
#   tools/gen-prometheusrule.sh, and its rules pass the promtool unit tests.
# Needs node and npm (the npm registry, once per lockfile change), yq and promtool.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

MANIFESTS=$REPO/deploy/kubernetes
DAEMONSET=$MANIFESTS/20-daemonset.yaml
VALIDATOR_SRC=$REPO/tests/kubernetes
VALIDATOR_DIR=$REPO/build/k8s-validate

# install_validator: npm ci of tests/kubernetes/ into build/k8s-validate, again only when
# the lockfile or the script changed.
install_validator()
{
	local stamp rc=0
	command -v node >/dev/null || fail "node not found (Node.js with npm is needed to validate the manifests)"
	command -v npm >/dev/null || fail "npm not found (Node.js with npm is needed to validate the manifests)"
	stamp=$(cat "$VALIDATOR_SRC/package.json" "$VALIDATOR_SRC/package-lock.json" | sha256sum)
	if [[ -f $VALIDATOR_DIR/.stamp && $(cat "$VALIDATOR_DIR/.stamp") == "$stamp" &&
		-d $VALIDATOR_DIR/node_modules ]]; then
		cp "$VALIDATOR_SRC/validate.mjs" "$VALIDATOR_DIR/"
		return 0
	fi
	rm -rf "$VALIDATOR_DIR"
	mkdir -p "$VALIDATOR_DIR"
	cp "$VALIDATOR_SRC/package.json" "$VALIDATOR_SRC/package-lock.json" \
		"$VALIDATOR_SRC/validate.mjs" "$VALIDATOR_DIR/"
	(cd "$VALIDATOR_DIR" && timeout -k 5 150 npm ci --no-audit --no-fund --ignore-scripts \
		--loglevel=error) >"$CASE_DIR/npm.err" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		detail "npm ci:" "$(grep -v nodedir "$CASE_DIR/npm.err" | tail -n 15)"
		fail "npm ci in build/k8s-validate exited with status $rc (is the npm registry reachable?)"
	fi
	echo "$stamp" >"$VALIDATOR_DIR/.stamp"
}

# validate FILE...: the validator's output in $CASE_DIR/validate.out, its status returned.
validate()
{
	local rc=0
	node "$VALIDATOR_DIR/validate.mjs" "$@" >"$CASE_DIR/validate.out" 2>&1 || rc=$?
	return "$rc"
}

# The manifests, every object valid, nothing unknown.
case_schema()
{
	local files f rc=0
	install_validator
	files=("$MANIFESTS"/*.yaml)
	[[ ${#files[@]} -ge 4 ]] || fail "expected at least 4 manifests in deploy/kubernetes, found ${#files[@]}"
	validate "${files[@]}" || rc=$?
	if [[ $rc -ne 0 ]]; then
		detail "$(sed -n 1,20p "$CASE_DIR/validate.out")"
		fail "deploy/kubernetes does not validate: $(grep -v '^ok ' "$CASE_DIR/validate.out" | sed -n 1p)"
	fi
	for f in "${files[@]}"; do
		assert_contains "validator output" "$CASE_DIR/validate.out" "ok $f:"
	done
	for f in Namespace/reapwatch ServiceAccount/reapwatch DaemonSet/reapwatch \
		PrometheusRule/reapwatch; do
		grep -q "[(, ]${f}[,)]" "$CASE_DIR/validate.out" || fail "no $f among the manifests"
	done
}

# The DaemonSet as JSON (which is YAML too), for jq.
daemonset_json()
{
	DS_JSON=$CASE_DIR/daemonset.json
	[[ -s $DS_JSON ]] && return 0
	command -v yq >/dev/null || fail "yq not found (Debian package yq; tools/install-deps.sh installs it)"
	yq . "$DAEMONSET" >"$DS_JSON" || fail "yq cannot read $DAEMONSET"
}

# broken DESC EXPECTED_MESSAGE JQ_EDIT: a copy of the DaemonSet edited by JQ_EDIT, which
# check_broken expects the validator to reject with EXPECTED_MESSAGE.
BROKEN=()
broken()
{
	local n=${#BROKEN[@]} copy
	daemonset_json
	copy=$CASE_DIR/broken-$n.json
	jq "$3" "$DS_JSON" >"$copy" || fail "test bug: jq edit '$3' failed"
	BROKEN+=("$copy"$'\t'"$1"$'\t'"$2")
}

# check_broken: one validator run over every broken copy; each is rejected, for its reason.
check_broken()
{
	local entry copy desc want files=()
	for entry in "${BROKEN[@]}"; do files+=("${entry%%$'\t'*}"); done
	if validate "${files[@]}"; then
		fail "the validator accepted all of ${#files[@]} broken DaemonSets"
	fi
	for entry in "${BROKEN[@]}"; do
		IFS=$'\t' read -r copy desc want <<<"$entry"
		if grep -qF "ok $copy:" "$CASE_DIR/validate.out"; then
			fail "the validator accepted a DaemonSet with $desc"
		fi
		grep -F -- "$copy:" "$CASE_DIR/validate.out" | grep -qF -- "$want" || {
			detail "$(grep -F -- "$copy:" "$CASE_DIR/validate.out")"
			fail "the validator rejected a DaemonSet with $desc, but did not say '$want'"
		}
	done
}

# The validator is not a rubber stamp: typos, wrong types, missing fields, unknown kinds.
case_validator_rejects()
{
	local c='.spec.template.spec.containers[0]'
	install_validator
	broken "a misspelt pod field" 'unknown field "spec.template.spec.hostPid"' \
		'.spec.template.spec.hostPid = true'
	broken "a misspelt mount field" \
		'unknown field "spec.template.spec.containers[0].volumeMounts[1].mountPropogation"' \
		"$c.volumeMounts[1].mountPropogation = \"Bidirectional\""
	broken "a misspelt probe field" \
		'unknown field "spec.template.spec.containers[0].livenessProbe.periodSecond"' \
		"$c.livenessProbe.periodSecond = 5"
	broken "hostPID as a string" 'hostPID must be boolean' '.spec.template.spec.hostPID = "yes"'
	broken "an unknown mount propagation" 'mountPropagation must be equal to one of the allowed values' \
		"$c.volumeMounts[1].mountPropagation = \"Both\""
	broken "a container without a name" 'must have required property name' "del($c.name)"
	broken "no selector" 'must have required property selector' 'del(.spec.selector)'
	broken "an unknown kind" 'unknown kind DaemonSett of apiVersion apps/v1' '.kind = "DaemonSett"'
	check_broken
}

# dsq EXPR: jq on the DaemonSet, compact JSON.
dsq()
{
	jq -c "$1" "$DS_JSON"
}

# The DaemonSet asks for what the agent needs, and runs the image as built.
case_daemonset_contract()
{
	local pod='.spec.template.spec' c='.spec.template.spec.containers[0]' m textdir
	local cmd entrypoint age
	daemonset_json
	assert_eq "hostPID" true "$(dsq "$pod.hostPID")"
	assert_eq "priorityClassName" '"system-node-critical"' "$(dsq "$pod.priorityClassName")"
	assert_eq "tolerations (every node)" '[{"operator":"Exists"}]' "$(dsq "$pod.tolerations")"
	assert_eq "privileged" true "$(dsq "$c.securityContext.privileged")"
	assert_eq "readOnlyRootFilesystem" true "$(dsq "$c.securityContext.readOnlyRootFilesystem")"
	# mountPath -> "hostPath readOnly": what the agent reads and writes on the node.
	m=$(dsq "[$c.volumeMounts[] as \$m | $pod.volumes[] | select(.name == \$m.name)
		| {key: \$m.mountPath, value: \"\(.hostPath.path // \"emptyDir\") \(\$m.readOnly // false)\"}]
		| from_entries")
	detail "mounts: $m"
	for want in "/sys/kernel/btf=/sys/kernel/btf true" "/sys/fs/bpf=/sys/fs/bpf false" \
		"/sys/fs/cgroup=/sys/fs/cgroup true" "/var/log/containers=/var/log/containers true" \
		"/var/log/pods=/var/log/pods true" \
		"/run/reapwatch=/run/reapwatch false" \
		"/var/lib/node_exporter/textfile_collector=/var/lib/node_exporter/textfile_collector false"; do
		assert_eq "mount ${want%%=*} (host path, read-only)" "\"${want#*=}\"" \
			"$(jq -c --arg k "${want%%=*}" '.[$k]' <<<"$m")"
	done
	assert_eq "the textfile hostPath type" '"DirectoryOrCreate"' \
		"$(dsq "$pod.volumes[] | select(.name == \"textfile\") | .hostPath.type")"
	# The image's ENTRYPOINT runs (no command override); the args name the mounted directory.
	assert_eq "container command (the image's ENTRYPOINT /reapwatch)" null "$(dsq "$c.command")"
	textdir=$(dsq "$c.volumeMounts[] | select(.name == \"textfile\") | .mountPath")
	assert_eq "args" "[\"export\",\"--textfile-dir\",$textdir,\"--interval\",\"15\",\"--log-events\"]" \
		"$(dsq "$c.args")"
	entrypoint=$(sed -n 's/^ENTRYPOINT //p' "$REPO/deploy/Containerfile")
	cmd=$(sed -n 's/^CMD //p' "$REPO/deploy/Containerfile")
	assert_eq "Containerfile ENTRYPOINT" '["/reapwatch"]' "$entrypoint"
	assert_eq "Containerfile CMD: the same textfile directory" \
		"[\"export\",\"--textfile-dir\",$textdir,\"--log-events\"]" "$(jq -c . <<<"$cmd")"
	# Probes: all three run the image's own `reapwatch healthcheck` on the textfile directory
	# (the image has no shell; nothing else is pulled), each allowing more than the interval.
	for p in startupProbe readinessProbe livenessProbe; do
		assert_eq "$p's command" "[\"/reapwatch\",\"healthcheck\",\"--textfile-dir\",$textdir,\"--max-age\"]" \
			"$(dsq "$c.$p.exec.command[0:5]")"
		age=$(dsq "$c.$p.exec.command[5] | tonumber")
		[[ $(dsq "$c.$p.exec.command | length") -eq 6 && $age -gt 15 ]] ||
			fail "$p: --max-age $age is not above the 15 s interval (or more arguments follow)"
	done
	assert_eq "init containers (none: nothing to pull but the image)" null "$(dsq "$pod.initContainers")"
	for r in requests.cpu requests.memory limits.cpu limits.memory; do
		[[ $(dsq "$c.resources.$r") != null ]] || fail "no resources.$r for the agent"
	done
	assert_eq "ServiceAccount" '"reapwatch"' "$(dsq "$pod.serviceAccountName")"
	assert_eq "namespace" '"reapwatch"' "$(dsq .metadata.namespace)"
}

# prometheusrule.yaml is the rules file, and its rules pass the promtool unit tests.
case_prometheusrule()
{
	local rule=$MANIFESTS/prometheusrule.yaml copy=$CASE_DIR/repo rc=0
	"$REPO/tools/gen-prometheusrule.sh" --check 2>"$CASE_DIR/gen.err" || {
		detail "$(sed -n 1,20p "$CASE_DIR/gen.err")"
		fail "deploy/kubernetes/prometheusrule.yaml is out of date (run tools/gen-prometheusrule.sh)"
	}
	assert_eq "PrometheusRule spec.groups == the rules file's groups" true \
		"$(jq -n --argjson a "$(yq -c .spec.groups "$rule")" \
			--argjson b "$(yq -c .groups "$REPO/deploy/prometheus/reapwatch.rules.yml")" '$a == $b')"
	command -v promtool >/dev/null ||
		fail "promtool not found (Debian package prometheus; run tools/install-deps.sh as root)"
	# The PrometheusRule's own spec as a rules file, where the unit tests look for it.
	mkdir -p "$copy/deploy/prometheus" "$copy/tests/prometheus"
	yq -y .spec "$rule" >"$copy/deploy/prometheus/reapwatch.rules.yml"
	cp "$REPO/tests/prometheus/reapwatch.rules.test.yml" "$copy/tests/prometheus/"
	timeout -k 5 60 promtool check rules "$copy/deploy/prometheus/reapwatch.rules.yml" \
		>"$CASE_DIR/promtool.out" 2>&1 || rc=$?
	[[ $rc -eq 0 ]] || {
		detail "$(sed -n 1,20p "$CASE_DIR/promtool.out")"
		fail "promtool check rules rejects the PrometheusRule's spec"
	}
	timeout -k 5 60 promtool test rules "$copy/tests/prometheus/reapwatch.rules.test.yml" \
		>"$CASE_DIR/promtool.out" 2>&1 || rc=$?
	[[ $rc -eq 0 ]] || {
		detail "$(sed -n 1,30p "$CASE_DIR/promtool.out")"
		fail "promtool test rules fails on the PrometheusRule's rules"
	}
}

command -v yq >/dev/null || echo "yq not found (Debian package yq; tools/install-deps.sh installs it)" >&2
run_case manifests_schema case_schema
run_case manifests_validator_rejects case_validator_rejects
run_case manifests_daemonset_contract case_daemonset_contract
run_case manifests_prometheusrule case_prometheusrule
finish
