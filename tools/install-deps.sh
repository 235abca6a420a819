#!/usr/bin/env bash
# Installs the Debian packages that building and testing reapwatch need, when they are missing.
# As root it runs apt-get; otherwise it prints the exact command to run and fails.
#   tools/install-deps.sh          build + test packages
#   tools/install-deps.sh --check  exit 0 if everything is present, 1 otherwise (installs nothing)
set -euo pipefail

# build: compiler, BPF toolchain, libbpf and what a static link needs
BUILD_PKGS=(clang llvm gcc make pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev)
# test: unit-test framework, JSON queries, real container runtimes and inits, and for
# make test-kernels QEMU (busybox-static makes its initramfs, the keyring checks Debian's index)
TEST_PKGS=(libcmocka-dev jq runc busybox-static tini dumb-init util-linux procps iproute2 prometheus buildah yq tmux containerd
	qemu-system-x86 debian-archive-keyring)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ $status == ii* ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi
if [[ ${1:-} == --check ]]; then
	echo "missing Debian packages: ${missing[*]}" >&2
	exit 1
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "reapwatch needs these Debian packages; run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# An install without a fresh package list fails on a new machine; update once, quietly.
apt-get update -qq >/dev/null || { echo "apt-get update failed; check the package mirror" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
	echo "apt-get install failed: $cmd" >&2
	exit 1
}
