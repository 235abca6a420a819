#!/usr/bin/env bash
# Boots a kernel under QEMU (TCG: these machines have no /dev/kvm) with a busybox initramfs
# that runs the kernel suite's collector (tests/kernels/collect.sh) and sends its results
# back; they land in OUT, as a native run of the collector leaves them.
#
#   tools/vm-run.sh [--initramfs FILE] KERNEL_DIR OUT
#   tools/vm-run.sh --build-initramfs FILE
#
# KERNEL_DIR is an unpacked Debian kernel package (tools/fetch-kernels.sh). Without
# --initramfs one is built into OUT first. The initramfs holds busybox-static's applets,
# ./reapwatch-static (make static) as /suite/reapwatch, build/tests/scenarios-static/*
# (make scenarios-static) and the collector; Debian's kernels have everything it needs
# built in (serial, bpf, tracefs, pid namespaces), so no modules.
#
# Results come back on the VM's second serial port (the first is the console, where the
# kernel's own messages would mix in): a base64 tar between two marker lines. The console
# goes to OUT/console.log. The VM always ends: the guest powers off (poweroff -f; a panic
# reboots and -no-reboot turns that into an exit), and a host timeout kills QEMU.
# Exit status: 0 when the results arrived, 1 otherwise.
#
# Environment: REAPWATCH_VM_TIMEOUT (seconds for the whole VM, default 240),
#              REAPWATCH_STATIC (the agent to put in, default ./reapwatch-static).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
VM_TIMEOUT=${REAPWATCH_VM_TIMEOUT:-240}
AGENT=${REAPWATCH_STATIC:-$REPO/reapwatch-static}
# Time the collector may take inside, leaving the boot and the transfer their share.
SUITE_TIMEOUT=$((VM_TIMEOUT > 120 ? VM_TIMEOUT - 60 : VM_TIMEOUT / 2))
BEGIN_MARK='==REAPWATCH-RESULTS-BEGIN=='
END_MARK='==REAPWATCH-RESULTS-END=='

die()
{
	echo "vm-run: $*" >&2
	exit 1
}

usage()
{
	sed -n '2,/^set /{ /^set /d; s/^# \{0,1\}//p }' "$0" >&2
	exit 2
}

# The guest's /init: mounts what the agent needs, runs the collector, sends the results.
write_init()
{
	cat >"$1" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# Tracepoints, pinned maps and the cgroup v2 tree, as on a node.
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
cd /tmp
mkdir -p /tmp/results
# The checks know from this that nothing else ran: some counts are exact then.
echo qemu >/tmp/results/vm
echo "vm: collector starts on \$(uname -r)"
timeout -k 10 $SUITE_TIMEOUT /suite/collect.sh /suite/reapwatch /suite/scenarios /tmp/results \\
	>/tmp/results/collect.log 2>&1
echo "\$?" >/tmp/results/collect.rc
echo "vm: collector exited \$(cat /tmp/results/collect.rc)"
stty -F /dev/ttyS1 raw -echo
{
	echo "$BEGIN_MARK"
	tar -czf - -C /tmp results | base64
	echo "$END_MARK"
} >/dev/ttyS1
# The port drains at close; give it a moment before the power goes.
sync
sleep 1
poweroff -f
EOF
	chmod 755 "$1"
}

build_initramfs()
{
	local out=$1 root bb applet f
	root=$(mktemp -d "${TMPDIR:-/tmp}/reapwatch-initramfs.XXXXXX")
	# shellcheck disable=SC2064 # expand root now
	trap "rm -rf '$root'" RETURN
	bb=$(command -v busybox) || die "busybox is missing (Debian package busybox-static)"
	[[ -x $AGENT ]] || die "no $AGENT (make static)"
	[[ -d $REPO/build/tests/scenarios-static ]] || die "no static scenarios (make scenarios-static)"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,suite/scenarios}
	cp "$bb" "$root/bin/busybox"
	"$root/bin/busybox" --list >/dev/null 2>&1 ||
		die "$bb is not a static busybox (Debian package busybox-static)"
	for applet in $("$root/bin/busybox" --list); do
		# A link named busybox would replace busybox itself with a loop.
		[[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
	done
	# Named as the image installs it: agents find each other's pinned state by the comm
	# "reapwatch" (zombies' ages), which reapwatch-static would not match.
	cp "$AGENT" "$root/suite/reapwatch"
	for f in "$REPO"/build/tests/scenarios-static/*; do
		cp "$f" "$root/suite/scenarios/"
	done
	# Debug info only makes the initramfs slower to unpack.
	strip "$root/suite/reapwatch" "$root"/suite/scenarios/* 2>/dev/null || true
	cp "$REPO/tests/kernels/collect.sh" "$root/suite/"
	write_init "$root/init"
	mkdir -p "$(dirname "$out")"
	(cd "$root" && find . | LC_ALL=C sort | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$out.tmp"
	mv "$out.tmp" "$out"
}

find_vmlinuz()
{
	local f
	for f in "$1"/boot/vmlinuz-* "$1"/usr/lib/modules/*/vmlinuz; do
		if [[ -f $f ]]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

initramfs=""
case ${1:-} in
--build-initramfs)
	[[ $# -eq 2 ]] || usage
	build_initramfs "$2"
	exit 0
	;;
--initramfs)
	[[ $# -ge 2 ]] || usage
	initramfs=$2
	shift 2
	;;
-h | --help) usage ;;
esac
[[ $# -eq 2 ]] || usage
kdir=$1
out=$2
vmlinuz=$(find_vmlinuz "$kdir") || die "no vmlinuz under $kdir"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (Debian package qemu-system-x86)"
mkdir -p "$out"
if [[ -z $initramfs ]]; then
	initramfs=$out/initramfs.cpio.gz
	build_initramfs "$initramfs"
fi

serial=$out/results.serial
rm -f "$serial"
rc=0
# -nic none: no network, and no seconds lost in the NIC's boot ROM. Two CPUs run, 64 are
# possible: per-CPU memory is allocated for every possible CPU, as on a big node. (5.10 and
# 6.1 count the 64 as possible; 6.12's x86 topology code takes only the 2 present.)
timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 -m 1536 -smp 2,maxcpus=64 -nographic -no-reboot -nic none \
	-kernel "$vmlinuz" -initrd "$initramfs" \
	-append "console=ttyS0 quiet panic=-1 rdinit=/init" \
	-serial mon:stdio -serial "file:$serial" \
	</dev/null >"$out/console.log" 2>&1 || rc=$?
if [[ $rc -eq 124 || $rc -eq 137 ]]; then
	echo "vm-run: the VM did not end within $VM_TIMEOUT s; killed" >&2
	echo "$VM_TIMEOUT" >"$out/timed_out"
fi
if ! grep -q "^$END_MARK" "$serial" 2>/dev/null; then
	echo "vm-run: no results from the VM ($(basename "$vmlinuz")); the console's last lines:" >&2
	tail -n 20 "$out/console.log" | sed 's/^/    /' >&2
	exit 1
fi
sed -n "/^$BEGIN_MARK/,/^$END_MARK/{ /^==/d; p }" "$serial" | tr -d '\r' | base64 -d |
	tar -xzf - -C "$out" --strip-components=1
rm -f "$serial"
