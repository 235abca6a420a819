#!/usr/bin/env bash
# The deployment, run for real on this host (there is no cluster here; these are the parts a
# DaemonSet pod is made of):
# - `make static` gives a binary with no dynamic dependencies, which runs from an empty root:
#   `--version` in an empty chroot, and `export` as the only file of a runc container's root,
#   privileged, in the host pid namespace, with the host mounts of deploy/kubernetes/ --
#   writing a reapwatch.prom that counts host processes.
# - `make image` builds deploy/Containerfile with buildah (FROM scratch: nothing to pull):
#   its labels, entrypoint and command, one file in its root; then the image's own root
#   (`buildah mount`) runs through runc the way the DaemonSet runs it -- entrypoint and
#   command as built, the narrower capability set the manifest documents instead of
#   privileged, the kubelet's log directories mounted read-only -- and names a pod's
#   container (kubepods cgroup, kubelet-style log link) in its metrics and its event log.
#   The DaemonSet's probes (deploy/kubernetes/20-daemonset.yaml, the image's own `reapwatch
#   healthcheck`), run in that container as the kubelet would, pass while it writes and fail
#   once it stops (SIGSTOP).
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/runc.sh
source "$REPO/tests/lib/runc.sh"

STATIC=$REPO/reapwatch-static
EXPORT_READY='reapwatch: exporting'
TEXTFILE_DIR=/var/lib/node_exporter/textfile_collector
DAEMONSET=$REPO/deploy/kubernetes/20-daemonset.yaml
HOST_EXITS='reapwatch_exits_total{container_id="",pod="",namespace="",container=""}'
# What deploy/kubernetes/daemonset.yaml documents as enough instead of privileged (with
# /sys/fs/bpf already mounted on the node; CAP_SYS_ADMIN only to mount it).
NARROW_CAPS='["CAP_BPF","CAP_PERFMON","CAP_DAC_READ_SEARCH","CAP_SYS_PTRACE"]'

# make_target TARGET [VAR=VALUE...]: run make in the repository; fail with its last lines.
make_target()
{
	local rc=0
	make -C "$REPO" --no-print-directory "$@" >"$CASE_DIR/make.err" 2>&1 || rc=$?
	[[ $rc -eq 0 ]] || fail "make $* exited with status $rc: $(tail -n 3 "$CASE_DIR/make.err" | tr '\n' ' ')"
}

# Capability numbers (linux/capability.h, stable ABI) to the names runc takes.
CAP_NAMES=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
	LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
	SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
	SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
	MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
	CHECKPOINT_RESTORE)

# "privileged", as runc can give it here: every capability in this shell's bounding set
# (a machine may lack some, e.g. CAP_SYS_RESOURCE, and runc cannot grant what it lacks).
all_caps_json()
{
	local mask i names=()
	mask=$((16#$(sed -n 's/^CapBnd:\t//p' /proc/self/status)))
	for ((i = 0; i < ${#CAP_NAMES[@]}; i++)); do
		((mask >> i & 1)) && names+=("\"CAP_${CAP_NAMES[i]}\"")
	done
	(IFS=,; echo "[${names[*]}]")
}

# agent_bundle DIR ROOTFS ARGS_JSON CAPS_JSON TEXTFILE [KUBELET_LOGS]: a runc
# bundle shaped like the DaemonSet's pod: host pid namespace (so /proc is the host's),
# read-only root, /sys/kernel/btf and /sys/fs/cgroup read-only, /sys/fs/bpf read-write,
# TEXTFILE at the node_exporter textfile directory, KUBELET_LOGS/{containers,pods}
# read-only at /var/log/{containers,pods}.
agent_bundle()
{
	local dir=$1 rootfs=$2 args=$3 caps=$4 textfile=$5 logs=${6:-}
	mkdir -p "$dir"
	(cd "$dir" && runc spec)
	jq --arg root "$rootfs" --argjson args "$args" --argjson caps "$caps" \
		--arg textfile "$textfile" --arg textdir "$TEXTFILE_DIR" --arg logs "$logs" '
		def bind($dst; $src; $mode): {destination: $dst, type: "bind", source: $src,
		                              options: ["rbind", $mode]};
		.root = {path: $root, readonly: true}
		| .process.terminal = false
		| .process.args = $args
		| .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
		| .linux.namespaces |= map(select(.type != "pid"))
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .mounts += [bind("/sys/kernel/btf"; "/sys/kernel/btf"; "ro"),
		              bind("/sys/fs/bpf"; "/sys/fs/bpf"; "rw"),
		              bind("/sys/fs/cgroup"; "/sys/fs/cgroup"; "ro"),
		              bind($textdir; $textfile; "rw")]
		| if $logs != "" then
			.mounts += [bind("/var/log/containers"; $logs + "/containers"; "ro"),
			            bind("/var/log/pods"; $logs + "/pods"; "ro")]
		  else . end' \
		"$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

# run_agent_container BUNDLE: start it with runc; back once the agent says it exports.
# Sets AGENT_CTR (runc's id) and AGENT_RUNC (the pid of `runc run`); output in
# $CASE_DIR/agent-ctr.{out,err}.
run_agent_container()
{
	local bundle=$1
	AGENT_CTR=rw-deploy-$$-$CASE_SEQ
	at_case_exit runc delete --force "$AGENT_CTR"
	runc run --bundle "$bundle" "$AGENT_CTR" >"$CASE_DIR/agent-ctr.out" 2>"$CASE_DIR/agent-ctr.err" &
	AGENT_RUNC=$!
	track_pid "$AGENT_RUNC"
	wait_printed "the agent's container" "$AGENT_RUNC" "$CASE_DIR/agent-ctr.err" "$EXPORT_READY"
}

# stop_agent_container: SIGTERM, as the kubelet stops a pod; the agent exits 0.
stop_agent_container()
{
	local rc=0
	runc kill "$AGENT_CTR" TERM
	wait_child "$AGENT_RUNC" "$AGENT_STOP_TIMEOUT" || rc=$?
	assert_eq "exit status of the agent's container after SIGTERM" 0 "$rc"
}

# wait_prom FILE SECONDS DESC JQ_COND SERIES...: wait until the values of SERIES (a JSON
# array of numbers, "absent" as null) satisfy JQ_COND. A failure shows the file's samples
# of those metrics.
wait_prom()
{
	local file=$1 secs=$2 desc=$3 cond=$4 deadline vals values s v
	shift 4
	deadline=$((SECONDS + secs))
	while :; do
		vals=()
		for s in "$@"; do
			v=$(prom_value "$file" "$s")
			[[ $v == absent ]] && v=null
			vals+=("$v")
		done
		values=$(IFS=,; echo "[${vals[*]}]")
		[[ $(jq -c "$cond" <<<"$values" 2>/dev/null) == true ]] && return 0
		if [[ $SECONDS -ge $deadline ]]; then
			detail "series: $*" "values: $values" "their metrics in reapwatch.prom:" \
				"$(grep -F -f <(printf '%s{\n' "${@%%\{*}") "$file" 2>/dev/null | sed -n 1,30p)"
			fail "$desc: not so within $secs s (values $values)"
		fi
		sleep 0.2
	done
}

# check_host_export TEXTFILE: the agent (in its container) counts processes this shell runs
# on the host, and writes a file promtool accepts.
check_host_export()
{
	local prom=$1/reapwatch.prom before i
	wait_prom "$prom" 10 "a first reapwatch.prom with the host's exit count" \
		'.[0] != null' "$HOST_EXITS"
	before=$(prom_value "$prom" "$HOST_EXITS")
	for ((i = 0; i < 50; i++)); do /bin/true; done
	wait_prom "$prom" 10 "$HOST_EXITS grows by the 50 host processes this test ran" \
		".[0] >= $before + 50" "$HOST_EXITS"
	assert_contains "reapwatch.prom" "$prom" \
		"reapwatch_build_info{version=\"$(cat "$REPO/VERSION")\"} 1"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$prom" >"$CASE_DIR/promtool.out" 2>&1 || {
			detail "$(sed -n 1,10p "$CASE_DIR/promtool.out")"
			fail "promtool check metrics rejects the container's reapwatch.prom"
		}
	fi
}

# probe NAME: run the DaemonSet's NAME (livenessProbe, ...) exec command in the agent's
# container, as the kubelet does; its status, output in $CASE_DIR/NAME.out.
probe()
{
	local cmd=() rc=0
	readarray -d '' cmd < <(yq -j ".spec.template.spec.containers[0].$1.exec.command[] + \"\\u0000\"" \
		"$DAEMONSET")
	[[ ${#cmd[@]} -gt 0 ]] || fail "no exec command for $1 in $DAEMONSET"
	timeout -k 5 20 runc exec "$AGENT_CTR" "${cmd[@]}" >"$CASE_DIR/$1.out" 2>&1 || rc=$?
	return "$rc"
}

# The probes pass while the agent writes; frozen (SIGSTOP) with its file 5 minutes old,
# readiness and liveness fail and say why; thawed, they pass again after its next rewrite.
check_probes()
{
	local prom=$1/reapwatch.prom p agent
	command -v yq >/dev/null || fail "yq not found (Debian package yq; tools/install-deps.sh installs it)"
	for p in startupProbe readinessProbe livenessProbe; do
		probe "$p" || fail "$p fails while the agent writes: $(head -n1 "$CASE_DIR/$p.out")"
	done
	agent=$(runc state "$AGENT_CTR" | jq -r .pid)
	kill -STOP "$agent"
	at_case_exit kill -CONT "$agent"
	touch -d '-300 seconds' "$prom"
	for p in readinessProbe livenessProbe; do
		if probe "$p"; then
			fail "$p passes with the agent stopped and reapwatch.prom 300 s old"
		fi
		assert_contains "$p output" "$CASE_DIR/$p.out" "not rewritten for"
	done
	kill -CONT "$agent"
	wait_fresh "$prom" 5
	probe livenessProbe || fail "livenessProbe still fails after the agent resumed writing"
}

# `kubectl exec POD -- /reapwatch ...` needs no shell: the image's binary, run in the agent's
# container (its capabilities, its mounts), lists a host zombie with the exact age the running
# agent knows (its pins under /sys/fs/bpf), and traces.
check_exec_commands()
{
	local child tracer rc=0
	start_scenario zombies
	child=$(kv child1)
	timeout -k 5 30 runc exec "$AGENT_CTR" /reapwatch zombies --json >"$CASE_DIR/exec-zombies.out" \
		2>"$CASE_DIR/exec-zombies.err" || rc=$?
	[[ $rc -eq 0 ]] || fail "runc exec /reapwatch zombies --json: status $rc: $(head -n2 "$CASE_DIR/exec-zombies.err")"
	check_json_lines "$CASE_DIR/exec-zombies.out"
	assert_eq "zombies --json in the agent's container: $child, its age and pid namespace known" \
		'["number","number"]' \
		"$(jq -c "select(.pid == $child) | [(.age_seconds | type), (.pidns | type)]" "$CASE_DIR/exec-zombies.out")"
	timeout -k 5 30 runc exec "$AGENT_CTR" /reapwatch trace --json -e exit -d 3 \
		>"$CASE_DIR/exec-trace.out" 2>"$CASE_DIR/exec-trace.err" &
	tracer=$!
	wait_printed "runc exec /reapwatch trace" "$tracer" "$CASE_DIR/exec-trace.err" "$AGENT_READY"
	/bin/true
	wait "$tracer" || rc=$?
	[[ $rc -eq 0 ]] || fail "runc exec /reapwatch trace: status $rc: $(head -n2 "$CASE_DIR/exec-trace.err")"
	check_json_lines "$CASE_DIR/exec-trace.out"
	[[ $(jq -c 'select(.type == "exit" and .comm == "true")' "$CASE_DIR/exec-trace.out" | grep -c .) -ge 1 ]] ||
		fail "trace in the agent's container saw no exit of /bin/true run on the host"
}

case_static_binary()
{
	local out
	make_target static
	out=$(ldd "$STATIC" 2>&1 || true)
	[[ $out == *"not a dynamic executable"* ]] ||
		fail "ldd $STATIC: expected 'not a dynamic executable', got: $(tr '\n' ' ' <<<"$out")"
	# An empty root: nothing but the binary, no /lib, no /proc, no /etc.
	mkdir -p "$CASE_DIR/empty"
	cp "$STATIC" "$CASE_DIR/empty/reapwatch"
	out=$(chroot "$CASE_DIR/empty" /reapwatch --version 2>&1) ||
		fail "reapwatch --version in an empty chroot failed: $out"
	[[ $out == "reapwatch $(cat "$REPO/VERSION") "* ]] ||
		fail "reapwatch --version in an empty chroot printed '$out'"
}

# The static binary, alone in a fresh container's root, privileged like the DaemonSet.
case_static_in_runc()
{
	local root=$CASE_DIR/root textfile=$CASE_DIR/textfile caps
	command -v runc >/dev/null || skip "runc is not installed"
	make_target static
	mkdir -p "$root" "$textfile"
	cp "$STATIC" "$root/reapwatch"
	caps=$(all_caps_json)
	agent_bundle "$CASE_DIR/bundle" "$root" \
		"[\"/reapwatch\",\"export\",\"--textfile-dir\",\"$TEXTFILE_DIR\",\"-i\",\"1\"]" \
		"$caps" "$textfile"
	run_agent_container "$CASE_DIR/bundle"
	check_host_export "$textfile"
	stop_agent_container
}

# The image, built by `make image` and run from its own root, as deploy/kubernetes/ runs it.
case_image()
{
	local image ctr mnt files cfg args textfile=$CASE_DIR/textfile logs=$CASE_DIR/kubelet
	local pod_uid pod ns ctr_name prom labels ev l
	command -v runc >/dev/null || skip "runc is not installed"
	command -v buildah >/dev/null || skip "buildah is not installed (tools/install-deps.sh installs it)"
	image=localhost/reapwatch-test:$$-$CASE_SEQ
	at_case_exit buildah rmi --force "$image"
	make_target image IMAGE="$image"
	cfg=$(buildah inspect --type image "$image" | jq -c .OCIv1.config)
	detail "image config: $cfg"
	assert_eq "image entrypoint" '["/reapwatch"]' "$(jq -c .Entrypoint <<<"$cfg")"
	assert_eq "image command" \
		"[\"export\",\"--textfile-dir\",\"$TEXTFILE_DIR\",\"--log-events\"]" \
		"$(jq -c .Cmd <<<"$cfg")"
	assert_eq "org.opencontainers.image.version" "$(cat "$REPO/VERSION")" \
		"$(jq -r '.Labels["org.opencontainers.image.version"]' <<<"$cfg")"
	for l in title description source licenses revision; do
		[[ -n $(jq -r --arg l "org.opencontainers.image.$l" '.Labels[$l] // empty' <<<"$cfg") ]] ||
			fail "the image has no label org.opencontainers.image.$l"
	done
	ctr=$(buildah from --pull-never "$image")
	at_case_exit buildah rm "$ctr"
	mnt=$(buildah mount "$ctr")
	at_case_exit buildah umount "$ctr"
	files=$(cd "$mnt" && find . -mindepth 1 | sort | tr '\n' ' ')
	assert_eq "the image's files (scratch: the binary only)" "./reapwatch " "$files"
	[[ $(ldd "$mnt/reapwatch" 2>&1 || true) == *"not a dynamic executable"* ]] ||
		fail "the image's /reapwatch is dynamically linked"

	# A pod's container the kubelet's way: kubepods cgroup, and a log link named
	# <pod>_<namespace>_<container>-<id>.log into the pod's log directory.
	pod_uid=$(cat /proc/sys/kernel/random/uuid)
	pod=rw-deploy-pod-${pod_uid:0:8}
	ns=rw-deploy-ns
	ctr_name=rw-deploy-ctr
	CONTAINER_ID=$(new_container_id)
	mkdir -p "$logs/containers" "$logs/pods/${ns}_${pod}_$pod_uid/$ctr_name" "$textfile"
	: >"$logs/pods/${ns}_${pod}_$pod_uid/$ctr_name/0.log"
	ln -s "/var/log/pods/${ns}_${pod}_$pod_uid/$ctr_name/0.log" \
		"$logs/containers/${pod}_${ns}_$ctr_name-$CONTAINER_ID.log"

	# The image's own entrypoint and command (a 1 s interval added for the test).
	args=$(jq -c '.Entrypoint + .Cmd + ["-i", "1"]' <<<"$cfg")
	agent_bundle "$CASE_DIR/agent-bundle" "$mnt" "$args" "$NARROW_CAPS" "$textfile" "$logs"
	run_agent_container "$CASE_DIR/agent-bundle"
	check_host_export "$textfile"
	# Alive over two rewrites: this case is about the deployment seeing the pod, not about
	# containers that come and go within one interval (test_export.sh covers those).
	CONTAINER_LINGER=2.5 run_container "/kubepods/besteffort/pod$pod_uid/@ID@"
	prom=$textfile/reapwatch.prom
	labels="{container_id=\"$ID\",pod=\"$pod\",namespace=\"$ns\",container=\"$ctr_name\"}"
	wait_prom "$prom" 10 "the pod's container in reapwatch.prom, with its Kubernetes names" \
		'.[0] == 1 and .[1] >= 2' \
		"reapwatch_pidns_teardowns_total$labels" "reapwatch_exits_total$labels"
	assert_eq "reapwatch_teardown_sigkilled_total$labels (sigterm_first=false)" 1 \
		"$(prom_value "$prom" "reapwatch_teardown_sigkilled_total${labels%\}},sigterm_first=\"false\"}")"
	check_probes "$textfile"
	check_exec_commands
	stop_agent_container
	# --log-events (the image's command): the teardown on stdout, as `kubectl logs` shows it.
	EVENTS=$CASE_DIR/agent-ctr.out
	check_json_lines "$EVENTS"
	ev=$(expect_one "teardown of the pod's container in the agent's log" \
		".type == \"teardown\" and .container_id == \"$ID\"")
	assert_fields "$ev" "teardown in the agent's log" \
		.pod "\"$pod\"" .namespace "\"$ns\"" .container "\"$ctr_name\"" .pid "$INIT" \
		.sigkilled 1 .sigkilled_without_sigterm 1
}

run_case deploy_static_binary case_static_binary
run_case deploy_static_in_runc case_static_in_runc
run_case deploy_image_in_runc case_image
finish
