# shellcheck shell=bash
# Real containers for the integration tests: a busybox-static root filesystem (built once,
# cached under build/) and runc bundles around it.
#
#   rootfs=$(test_rootfs)                          build or reuse build/test-rootfs
#   make_bundle DIR ROOTFS ARGS_JSON [CGROUPS_PATH] [HOST_DIR]
#                                                   runc bundle running ARGS_JSON; HOST_DIR
#                                                   (if given) is bind-mounted at /gate
#   run_container CGROUPS_PATH                     (in a case of tests/integration/lib.sh)
#                                                   run the test container to completion

_RUNC_LIB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_ROOTFS=${TEST_ROOTFS:-$_RUNC_LIB_REPO/build/test-rootfs}
# Bump when the layout below changes, so a cached rootfs is rebuilt.
_ROOTFS_VERSION=1

# test_rootfs: print the path of a busybox-static rootfs, building it if needed.
test_rootfs()
{
	local busybox stamp tmp
	busybox=$(command -v busybox) || {
		echo "busybox not found (Debian package busybox-static)" >&2
		return 1
	}
	if ldd "$busybox" >/dev/null 2>&1; then
		echo "$busybox is dynamically linked; install busybox-static" >&2
		return 1
	fi
	stamp="$_ROOTFS_VERSION $(sha256sum <"$busybox")"
	if [[ -f $TEST_ROOTFS/.stamp && $(cat "$TEST_ROOTFS/.stamp") == "$stamp" ]]; then
		echo "$TEST_ROOTFS"
		return 0
	fi
	mkdir -p "$(dirname "$TEST_ROOTFS")"
	tmp=$(mktemp -d "$TEST_ROOTFS.new.XXXXXX")
	mkdir -p "$tmp"/{bin,etc,dev,proc,sys,tmp,gate,root}
	chmod 1777 "$tmp/tmp"
	cp "$busybox" "$tmp/bin/busybox"
	# The applet links: the rootfs's own busybox installs them, relative to the new root.
	chroot "$tmp" /bin/busybox --install -s /bin
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
		>"$tmp/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
	echo "$stamp" >"$tmp/.stamp"
	rm -rf "$TEST_ROOTFS"
	mv "$tmp" "$TEST_ROOTFS"
	echo "$TEST_ROOTFS"
}

# make_bundle DIR ROOTFS ARGS_JSON [CGROUPS_PATH] [HOST_DIR]
make_bundle()
{
	local dir=$1 rootfs=$2 args=$3 cgroups_path=${4:-} host_dir=${5:-}
	mkdir -p "$dir"
	(cd "$dir" && runc spec)
	jq --arg root "$rootfs" --argjson args "$args" --arg cg "$cgroups_path" \
		--arg gate "$host_dir" '
		.root = {path: $root, readonly: true}
		| .process.terminal = false
		| .process.args = $args
		| if $cg != "" then .linux.cgroupsPath = $cg else . end
		| if $gate != "" then
			.mounts += [{destination: "/gate", type: "bind", source: $gate,
			             options: ["rbind", "rw"]}]
		  else . end' "$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

# --- the test container: needs tests/integration/lib.sh, inside a case -----------------

# shellcheck disable=SC2016 # expanded by the container's shell
CONTAINER_SCRIPT='sleep 60 & echo $! >/gate/child
while [ ! -e /gate/go ]; do usleep 20000; done
exit 4'

# Removes the cgroups runc created for CGROUPS_PATH and the empty parents the test made.
remove_cgroups()
{
	local rel=$1 h d
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		d=$h${rel#/}
		while [[ $d != "$h" && $d != "${h%/}" ]]; do
			if [[ -d $d ]]; then
				rmdir "$d" 2>/dev/null || break
			fi
			d=$(dirname "$d")
		done
	done
}

# run_container CGROUPS_PATH: with the agents started, run a container to completion; sets
# ID (or uses CONTAINER_ID), INIT, MEMBER, MEMBER_NS, NS, CGROUP. In CGROUPS_PATH, @ID@
# stands for the id. CONTAINER_LINGER=SECONDS keeps it running that long once started.
# shellcheck disable=SC2034 # the variables it sets are for the caller
run_container()
{
	local cgroups_path=$1 bundle gate deadline rc=0 runc_pid pid
	command -v runc >/dev/null || skip "runc is not installed"
	ROOTFS=$(test_rootfs) || fail "cannot build the busybox rootfs"
	ID=${CONTAINER_ID:-$(new_container_id)}
	bundle=$CASE_DIR/bundle
	gate=$CASE_DIR/gate
	mkdir -p "$gate"
	make_bundle "$bundle" "$ROOTFS" "$(jq -cn --arg s "$CONTAINER_SCRIPT" '["sh", "-c", $s]')" \
		"${cgroups_path//@ID@/$ID}" "$gate"
	at_case_exit runc delete --force "$ID"
	if [[ -n $cgroups_path ]]; then
		at_case_exit remove_cgroups "${cgroups_path//@ID@/$ID}"
	fi
	window_begin
	runc run --bundle "$bundle" "$ID" >"$CASE_DIR/runc.out" 2>"$CASE_DIR/runc.err" &
	runc_pid=$!
	track_pid "$runc_pid"
	wait_files "the container's start" "$runc_pid" "$CASE_DIR/runc.err" 30 "$gate/child"
	INIT=$(runc state "$ID" | jq -r .pid)
	MEMBER_NS=$(cat "$gate/child")
	NS=$(pidns_of "$INIT")
	CGROUP=$(sed -n 's/^0:://p' "/proc/$INIT/cgroup")
	detail "container $ID: init $INIT, pidns $NS, /proc/$INIT/cgroup:" \
		"$(sed 's/^/  /' "/proc/$INIT/cgroup")"
	# The member is the init's child with that namespace pid, once it has exec'd sleep.
	MEMBER=""
	deadline=$((SECONDS + 30))
	until [[ -n $MEMBER ]]; do
		for pid in $(children_of "$INIT"); do
			if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == sleep &&
				$(ns_pid_of "$pid" 2>/dev/null) == "$MEMBER_NS" ]]; then
				MEMBER=$pid
			fi
		done
		[[ $SECONDS -lt $deadline ]] ||
			fail "no child of the container's init $INIT is 'sleep' with ns pid $MEMBER_NS"
		sleep 0.05
	done
	sleep "${CONTAINER_LINGER:-0}"
	touch "$gate/go"
	wait_child "$runc_pid" 30 || rc=$?
	assert_eq "runc run exit status (the container's exit code)" 4 "$rc"
}
