#!/usr/bin/env bash
# Real runc containers (busybox-static rootfs): every event of a container's processes
# carries its 64-hex id and its pid namespace; its PID 1's exit tears the namespace down;
# --container selects its events by id prefix, pod name or container name.
#
# The container (run_container, tests/lib/runc.sh) runs
#     sh -c 'sleep 60 & echo $! >/gate/child; wait for /gate/go; exit 4'
# so the test knows the init (runc state), its member (the sleep), and when to let it end.
# Cases run indirectly, through run_case:
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/runc.sh
source "$REPO/tests/lib/runc.sh"

# check_container_events: what the agent must say about the container just run.
check_container_events()
{
	local ev
	focus "$INIT" "$MEMBER"
	ev=$(expect_one "exit of container init $INIT" ".type == \"exit\" and .pid == $INIT")
	assert_fields "$ev" "exit of container init $INIT" \
		.comm '"sh"' .exit_code 4 .signal null .ns_pid 1 .pidns "$NS" \
		.container_id "\"$ID\"" .cgroup "$(jq -n --arg c "$CGROUP" '$c')"
	ev=$(expect_one "teardown SIGKILL of container member $MEMBER" \
		".type == \"signal\" and .pid == $MEMBER and .sig == 9")
	assert_fields "$ev" "teardown SIGKILL of container member $MEMBER" \
		.comm '"sleep"' .origin '"pidns_teardown"' .code '"SI_KERNEL"' .sender_pid "$INIT" \
		.ns_pid "$MEMBER_NS" .pidns "$NS" .container_id "\"$ID\""
	ev=$(expect_one "exit of container member $MEMBER" ".type == \"exit\" and .pid == $MEMBER")
	assert_fields "$ev" "exit of container member $MEMBER" \
		.signal '"SIGKILL"' .ppid "$INIT" .ns_pid "$MEMBER_NS" .pidns "$NS" \
		.container_id "\"$ID\""
	# Every event about a process of the container's namespace names a container. (Not
	# necessarily this one: a pid namespace's inode number is reused once it is freed, and
	# a container started right after, by another test on the host, may get the same.)
	assert_none "events in pidns $NS without a container_id" \
		".pidns == $NS and .container_id == \"\""
	ev=$(expect_one "teardown of container $ID" ".type == \"teardown\" and .pid == $INIT")
	assert_fields "$ev" "teardown of container $ID" \
		.container_id "\"$ID\"" .pidns "$NS" .members 1 .sigkilled 1 \
		.sigkilled_without_sigterm 1 .sigkilled_pids "[$MEMBER]" .grace_ns null
}

# runc's default placement: cgroup "/<id>" (cgroupsPath unset).
case_container()
{
	start_agent trace --json -e all
	run_container ""
	stop_agent
	assert_eq "the init's cgroup v2 path" "/$ID" "$CGROUP"
	check_container_events
}

# No cgroup v2 hierarchy where the agent runs (a cgroup v1 host, or a pod without the node's
# /sys/fs/cgroup; here the agent's own mount namespace without it): one line says so, and a
# container started meanwhile still has its id, from the path cgroup_mkdir gives.
case_container_no_cgroup2()
{
	local agent=$AGENT ev
	AGENT=$CASE_DIR/agent-without-cgroup2
	# shellcheck disable=SC2016 # expanded by the wrapper's shell
	printf '#!/bin/sh\nexec unshare -m sh -c '\''umount -l /sys/fs/cgroup && exec "$0" "$@"'\'' %q "$@"\n' \
		"$agent" >"$AGENT"
	chmod +x "$AGENT"
	start_agent trace --json -e exit
	AGENT=$agent
	run_container ""
	stop_agent
	assert_contains "the agent's stderr" "$CASE_DIR/agent.err" \
		"reapwatch: feature off: containers: no cgroup v2 hierarchy is mounted"
	focus "$INIT" "$MEMBER"
	ev=$(expect_one "exit of container init $INIT" ".type == \"exit\" and .pid == $INIT")
	assert_fields "$ev" "exit of container init $INIT" .exit_code 4 .ns_pid 1 .pidns "$NS" \
		.container_id "\"$ID\"" .cgroup "$(jq -n --arg c "$CGROUP" '$c')"
}

# A cgroup that a process used before runc made a container of that name in it (runc takes
# an existing cgroup): the agent first saw it without a container, and looks again 5 s later,
# so the container's later events carry its name.
case_container_cgroup_taken_over()
{
	local root ev
	root=$(cgroup2_mount)
	[[ -n $root ]] || skip "no cgroup v2 hierarchy"
	CONTAINER_ID=rw-taken-$$-$RANDOM
	mkdir "$root/$CONTAINER_ID"
	at_case_exit rmdir_retry "$root/$CONTAINER_ID"
	start_agent trace --json -e exit
	in_cgroup "$root/$CONTAINER_ID" sh -c 'exit 7' || true
	sleep 0.3
	CONTAINER_LINGER=6 run_container ""
	stop_agent
	unset CONTAINER_ID
	assert_eq "the init's cgroup v2 path" "/$ID" "$CGROUP"
	focus "$INIT" "$MEMBER"
	# (before the container's window: read from the whole output)
	assert_eq "exits with code 7 in /$ID, then a host cgroup" 1 \
		"$(jq -c "select(.type == \"exit\" and .exit_code == 7 and .cgroup == \"/$ID\" and .container_id == \"\")" "$EVENTS" | wc -l)"
	ev=$(expect_one "exit of container init $INIT" ".type == \"exit\" and .pid == $INIT")
	assert_fields "$ev" "exit of container init $INIT (6 s after the start)" .exit_code 4 \
		.container_id "\"$ID\""
}

# A kubelet (cgroupfs driver) layout: /kubepods/besteffort/pod<uid>/<id>.
case_container_kubepods()
{
	local pod_uid
	pod_uid=$(cat /proc/sys/kernel/random/uuid)
	start_agent trace --json -e all
	run_container "/kubepods/besteffort/pod$pod_uid/@ID@"
	stop_agent
	assert_eq "the init's cgroup v2 path" "/kubepods/besteffort/pod$pod_uid/$ID" "$CGROUP"
	check_container_events
}

# A kubelet (systemd driver) + containerd naming: .../cri-containerd-<id>.scope.
case_container_systemd_naming()
{
	local pod_uid slice
	pod_uid=$(cat /proc/sys/kernel/random/uuid)
	slice="/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${pod_uid//-/_}.slice"
	start_agent trace --json -e all
	run_container "$slice/cri-containerd-@ID@.scope"
	stop_agent
	assert_eq "the init's cgroup v2 path" "$slice/cri-containerd-$ID.scope" "$CGROUP"
	check_container_events
}

# --container with a 12-digit id prefix: the container's events and nothing else.
case_container_filter()
{
	local other
	CONTAINER_ID=$(new_container_id)
	# Differs from CONTAINER_ID in every digit.
	other=$(tr '0-9a-f' 'a-f0-9' <<<"$CONTAINER_ID")
	start_agent --name all trace --json -e all
	start_agent --name filtered trace --json -e all --container "${CONTAINER_ID:0:12}"
	start_agent --name other trace --json -e all --container "${other:0:12}"
	scenario exit_code blocked 7
	run_container ""
	stop_named_agent other
	stop_named_agent filtered
	stop_named_agent all
	EVENTS=$CASE_DIR/all.out
	assert_count "host events (the exit_code scenario's child) in the unfiltered output" 1 \
		".type == \"exit\" and .pid == $(kv child)"
	EVENTS=$CASE_DIR/filtered.out
	focus "$INIT" "$MEMBER"
	assert_none "events of other containers or the host with --container ${ID:0:12}" \
		".container_id != \"$ID\""
	assert_count "exit of container init $INIT with --container ${ID:0:12}" 1 \
		".type == \"exit\" and .pid == $INIT"
	assert_count "teardown SIGKILL of $MEMBER with --container ${ID:0:12}" 1 \
		".type == \"signal\" and .pid == $MEMBER and .origin == \"pidns_teardown\""
	EVENTS=$CASE_DIR/other.out
	assert_none "events with --container ${other:0:12} (no such container)" true
}

# A Kubernetes-shaped container: kubepods cgroup and the kubelet's log layout
# (/var/log/containers/<pod>_<namespace>_<container>-<id>.log -> /var/log/pods/...), which
# is where the names come from on a node. Events carry the names (text lines too, last:
# pod=, namespace=, container=); --container selects by pod name and by container name.
case_container_kubernetes_names()
{
	local pod_uid pod ns ctr ev sel
	pod_uid=$(cat /proc/sys/kernel/random/uuid)
	pod=rw-test-pod-${pod_uid:0:8}
	ns=rw-test-ns
	ctr=rw-test-ctr
	CONTAINER_ID=$(new_container_id)
	kubelet_log /var/log/containers "$pod" "$ns" "$ctr" "$CONTAINER_ID" "$pod_uid"
	start_agent --name all trace --json -e all
	start_agent --name by_pod trace --json -e exit,signal --container "$pod"
	start_agent --name by_ctr trace --json -e exit,signal --container "$ctr"
	start_agent --name text trace -e exit --container "$pod"
	scenario exit_code blocked 7
	run_container "/kubepods/besteffort/pod$pod_uid/@ID@"
	stop_named_agent text
	stop_named_agent by_ctr
	stop_named_agent by_pod
	stop_named_agent all
	EVENTS=$CASE_DIR/all.out
	focus "$INIT" "$MEMBER"
	ev=$(expect_one "exit of container init $INIT" ".type == \"exit\" and .pid == $INIT")
	assert_fields "$ev" "exit of the init $INIT of pod $ns/$pod container $ctr" \
		.container_id "\"$ID\"" .pod "\"$pod\"" .namespace "\"$ns\"" .container "\"$ctr\""
	assert_none "container events without the pod's names" \
		".container_id == \"$ID\" and (.pod != \"$pod\" or .namespace != \"$ns\" or .container != \"$ctr\")"
	assert_none "host events with Kubernetes names" \
		".container_id == \"\" and (has(\"pod\") or has(\"namespace\") or has(\"container\"))"
	# text: the same names, last on the line
	grep -qE "^[0-9:.]+ +exit +$INIT .* pod=$pod namespace=$ns container=$ctr\$" \
		"$CASE_DIR/text.out" || {
		detail "trace (text):" "$(head -n 5 "$CASE_DIR/text.out")"
		fail "trace's text line for the exit of $INIT does not end in pod=$pod namespace=$ns container=$ctr"
	}
	for sel in by_pod by_ctr; do
		EVENTS=$CASE_DIR/$sel.out
		assert_count "exit of container init $INIT with --container (${sel#by_} name)" 1 \
			".type == \"exit\" and .pid == $INIT"
		assert_none "events of other containers or the host with --container (${sel#by_} name)" \
			".container_id != \"$ID\""
	done
}

run_case container_events case_container
run_case container_no_cgroup2 case_container_no_cgroup2
run_case container_cgroup_taken_over case_container_cgroup_taken_over
run_case container_kubepods_cgroup case_container_kubepods
run_case container_systemd_style_cgroup case_container_systemd_naming
run_case container_filter case_container_filter
run_case container_kubernetes_names case_container_kubernetes_names
finish
