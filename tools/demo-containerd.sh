#!/usr/bin/env bash
# Who adopts what when containerd runs a container: the README's containerd-shim example,
# reproduced on this host with the real parts (containerd, ctr, containerd-shim-runc-v2,
# runc) on a busybox rootfs. Needs root and a built ./reapwatch.
#
#   tools/demo-containerd.sh [OUTDIR]     text trace in OUTDIR/trace.txt, JSON in trace.json
#
# containerd runs under `tini -s` standing in for systemd: whatever containerd orphans (the
# shim daemonizes) goes to the nearest subreaper, and tini reaps it. Inside the container:
#   - the init (busybox sh) starts a child that backgrounds a sleep and exits: the sleep is
#     orphaned inside the container and its PID 1 adopts it;
#   - `ctr task exec` starts a shell that backgrounds a sleep; we SIGKILL that shell from the
#     host: its sleep goes to the container's PID 1 too, not to anything outside.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$(mktemp -d /tmp/rwdemo.XXXXXX)}
NS=reapwatch-demo
ID=demo-ctr

die() { echo "demo-containerd: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "run as root"
[[ -x $REPO/reapwatch ]] || die "build first: make"
for c in containerd ctr containerd-shim-runc-v2 runc tini; do
	command -v "$c" >/dev/null || die "$c is not installed (tools/install-deps.sh)"
done
# shellcheck source=tests/lib/runc.sh
source "$REPO/tests/lib/runc.sh"
ROOTFS=$(test_rootfs) || die "cannot build the busybox rootfs"
mkdir -p "$OUT"
DIR=$(mktemp -d /tmp/rwctd.XXXXXX) # short: unix socket paths are limited
GATE=$DIR/gate
mkdir -p "$GATE"
ctr_() { ctr --address "$DIR/containerd.sock" --namespace "$NS" "$@"; }

pids=()
# cleanup: the container, containerd (tini reaps what it leaves), then the agents. Nothing
# in it may stop the script half-way.
cleanup()
{
	set +e
	if [[ -S $DIR/containerd.sock ]]; then
		ctr_ task delete --force "$ID" >/dev/null 2>&1
		for _ in $(seq 50); do
			ctr_ task ls -q 2>/dev/null | grep -xF "$ID" >/dev/null || break
			ctr_ task delete --force "$ID" >/dev/null 2>&1
			sleep 0.1
		done
		ctr_ container delete "$ID" >/dev/null 2>&1
	fi
	if [[ -n ${SUPER:-} ]]; then
		kill -TERM "$SUPER" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$SUPER" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SUPER" 2>/dev/null
		wait "$SUPER" 2>/dev/null
		SUPER=
	fi
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
	# ctr's cgroup parent, named after the namespace, in every hierarchy (runc removes only
	# the container's own).
	rmdir "/run/containerd/runc/$NS" /sys/fs/cgroup/"$NS" /sys/fs/cgroup/*/"$NS" 2>/dev/null
	rm -rf "$DIR"
	set -e
}
trap cleanup EXIT

cat >"$DIR/config.toml" <<EOF
version = 2
root = "$DIR/root"
state = "$DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$DIR/containerd.sock"
[ttrpc]
  address = "$DIR/containerd.sock.ttrpc"
EOF

"$REPO/reapwatch" trace -e reparent >"$OUT/trace.txt" 2>&1 &
pids+=($!)
"$REPO/reapwatch" trace --json -e reparent >"$OUT/trace.json" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
	grep -q tracing "$OUT/trace.txt" && grep -q tracing "$OUT/trace.json" && break
	sleep 0.1
done
grep -q tracing "$OUT/trace.json" || die "the agents did not start: $(head -n1 "$OUT/trace.json")"

tini -s -- containerd --config "$DIR/config.toml" >"$DIR/containerd.log" 2>&1 &
SUPER=$!
for _ in $(seq 300); do ctr_ version >/dev/null 2>&1 && break; sleep 0.1; done
ctr_ version >/dev/null 2>&1 || die "containerd did not start: $(tail -n1 "$DIR/containerd.log")"

# shellcheck disable=SC2016 # expanded by the container's shell
ctr_ run -d --mount "type=bind,src=$GATE,dst=/gate,options=rbind:rw" --rootfs "$ROOTFS" "$ID" \
	/bin/sh -c '/bin/sh -c "sleep 300 & usleep 200000"; echo $$ >/gate/ready
		while [ ! -e /gate/go ]; do usleep 20000; done' >/dev/null
for _ in $(seq 300); do [[ -s $GATE/ready ]] && break; sleep 0.1; done
[[ -s $GATE/ready ]] || die "the container did not start"
# shellcheck disable=SC2016
{ ctr_ task exec --exec-id e1 "$ID" /bin/sh -c 'sleep 300 & echo $$ >/gate/exec; wait' \
	>/dev/null 2>&1 || true; } &
for _ in $(seq 300); do [[ -s $GATE/exec ]] && break; sleep 0.1; done
[[ -s $GATE/exec ]] || die "ctr task exec did not start its shell"
init=$(ctr_ task ls | awk -v id="$ID" '$1 == id { print $2 }')
pidns=$(stat -L -c %i "/proc/$init/ns/pid")
exec_sh=
for f in /proc/[0-9]*; do
	[[ $(stat -L -c %i "$f/ns/pid" 2>/dev/null) == "$pidns" ]] || continue
	[[ $(awk '/^NSpid:/ { print $NF }' "$f/status" 2>/dev/null) == "$(cat "$GATE/exec")" ]] &&
		exec_sh=${f#/proc/} && break
done
[[ -n $exec_sh ]] || die "the exec'd shell is not found"
sleep 0.5
echo "# containerd under tini -s ($SUPER); container $ID: init $init, exec'd shell $exec_sh" |
	tee "$OUT/pids.txt"
ps -o pid,ppid,comm -p "$SUPER,$(awk '{print $4}' "/proc/$init/stat"),$init,$exec_sh" |
	tee -a "$OUT/pids.txt"
kill -KILL "$exec_sh"
sleep 0.5
touch "$GATE/go"
sleep 0.5
cleanup
trap - EXIT
echo "--- $OUT/trace.txt"
cat "$OUT/trace.txt"
echo "--- $OUT/trace.json"
cat "$OUT/trace.json"
