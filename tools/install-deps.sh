#!/usr/bin/env bash
# Installs the Debian packages that building, packaging or testing reapwatch needs, when
# they are missing. As root it runs apt-get; otherwise it prints the exact command to run
# and fails.
#   tools/install-deps.sh --build   what `make`, `make run` and `make static` need
#   tools/install-deps.sh --image   that, and buildah for `make image`
#   tools/install-deps.sh --test    all of it, and what `make test` uses (the default)
#   tools/install-deps.sh --check [MODE]  exit 0 if MODE's packages are all present, 1 with
#                                   the list of missing ones otherwise (installs nothing)
set -euo pipefail

# build: compiler, BPF toolchain, libbpf and what a static link needs
BUILD_PKGS=(clang llvm gcc libc6-dev make pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
	libzstd-dev)
# image: buildah, and the network backend it insists on finding even for a build that runs
# nothing (trixie's buildah only recommends netavark, and it is not found without it)
IMAGE_PKGS=(buildah netavark)
# test: unit-test framework, JSON and YAML queries, real container runtimes and inits,
# Prometheus' promtool, Node.js for the Kubernetes schema check, man for the manual page,
# debootstrap and git for `make test-fresh`, QEMU for `make test-kernels` (busybox-static
# makes its initramfs, the keyring checks Debian's package index)
TEST_PKGS=(libcmocka-dev jq runc busybox-static tini dumb-init util-linux procps iproute2
	prometheus yq tmux containerd nodejs npm man-db debootstrap git qemu-system-x86
	debian-archive-keyring)

mode="test"
check=0
for arg in "$@"; do
	case $arg in
	--build | --image | --test) mode=${arg#--} ;;
	--check) check=1 ;;
	*)
		echo "install-deps.sh: unknown argument '$arg' (--build, --image, --test, --check)" >&2
		exit 2
		;;
	esac
done

wanted=("${BUILD_PKGS[@]}")
[[ $mode == build ]] || wanted+=("${IMAGE_PKGS[@]}")
[[ $mode != test ]] || wanted+=("${TEST_PKGS[@]}")

# present PACKAGE: installed, or (Node.js) its command is there some other way: NodeSource's
# nodejs package brings npm and conflicts with Debian's.
present()
{
	local status
	case $1 in
	nodejs) command -v node >/dev/null && return 0 ;;
	npm) command -v npm >/dev/null && return 0 ;;
	esac
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null || true)
	[[ $status == ii* ]]
}

missing=()
for p in "${wanted[@]}"; do
	present "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi
if [[ $check -eq 1 ]]; then
	echo "missing Debian packages: ${missing[*]}" >&2
	exit 1
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "reapwatch needs these Debian packages; run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "installing Debian packages ($mode): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# An install without a fresh package list fails on a new machine; update once, quietly.
apt-get update -qq >/dev/null || { echo "apt-get update failed; check the package mirror" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
	echo "apt-get install failed: $cmd" >&2
	exit 1
}
