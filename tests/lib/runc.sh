# shellcheck shell=bash
# Real containers for the integration tests: a busybox-static root filesystem (built once,
# cached under build/) and runc bundles around it.
#
#   rootfs=$(test_rootfs)                          build or reuse build/test-rootfs
#   make_bundle DIR ROOTFS ARGS_JSON [CGROUPS_PATH] [HOST_DIR]
#                                                   runc bundle running ARGS_JSON; HOST_DIR
#                                                   (if given) is bind-mounted at /gate
#   new_container_id                               64 hex digits, like a containerd/Docker id

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

new_container_id()
{
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'
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
