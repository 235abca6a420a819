#!/usr/bin/env bash
# make test-fresh: what a newcomer gets on a fresh Debian 12 and Debian 13. For each suite, a
# minimal root (debootstrap --variant=minbase, from this machine's Debian mirror) with only
# git and make; this repository's HEAD cloned into it; then, chrooted there, as root:
#   make          builds ./reapwatch and reapwatch(8), installing the build packages and none
#                 of the tests'
#   make install  DESTDIR=/tmp/stage: the binary and the page, and nothing else
#   make static   links ./reapwatch-static, with no dynamic section
#   make image    builds the container image with buildah
#   and what `make test` would install (tools/install-deps.sh --test) resolves there
#   (apt-get --simulate: the tests themselves need BPF and containers, not a chroot)
# The agent is not run there (a chroot has no BTF of its own to offer).
#
#   tools/test-fresh.sh [SUITE...]     (default: bookworm trixie, built side by side)
#
# Prints "PASS name" or "FAIL name: why" per step and, last, "N passed, N failed"; exit
# status 0 only if nothing failed. Needs root, debootstrap and the mirror. The roots live
# under ${TMPDIR:-/var/tmp} and are removed at the end (REAPWATCH_KEEP_TMP=1 keeps them);
# nothing is cached. REAPWATCH_FRESH_MIRROR overrides the mirror.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
REPO=$(pwd)

SUITES=("$@")
[[ ${#SUITES[@]} -gt 0 ]] || SUITES=(bookworm trixie)
for suite in "${SUITES[@]}"; do
	[[ $suite =~ ^[a-z]+$ ]] || { echo "test-fresh: '$suite' is not a Debian suite name" >&2; exit 2; }
done
SUITE_TIMEOUT=${REAPWATCH_FRESH_TIMEOUT:-1200}
# What `make` must not install: the test bench (tools/install-deps.sh --test and --image).
TEST_ONLY_PKGS=(prometheus containerd buildah netavark runc tmux nodejs npm libcmocka-dev jq)
VERSION=$(cat VERSION)

if [[ $(id -u) -ne 0 ]]; then
	echo "test-fresh: needs root (debootstrap, chroot)" >&2
	exit 1
fi
command -v debootstrap >/dev/null || {
	echo "test-fresh: debootstrap not found (tools/install-deps.sh --test installs it)" >&2
	exit 1
}

# The Debian archive this machine installs from: the URI apt uses for its own release's main.
mirror()
{
	local codename uri
	if [[ -n ${REAPWATCH_FRESH_MIRROR:-} ]]; then
		echo "$REAPWATCH_FRESH_MIRROR"
		return
	fi
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	uri=$(apt-cache policy 2>/dev/null |
		awk -v main="$codename/main" '$3 == main && $2 ~ /^https?:/ { print $2; exit }')
	echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=$(mirror)

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/reapwatch-fresh.XXXXXX")
cleanup()
{
	if [[ -n ${REAPWATCH_KEEP_TMP:-} ]]; then
		echo "kept $WORK" >&2
	else
		rm -rf --one-file-system "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The repository as a newcomer clones it: HEAD, committed (a bundle is one file to copy in).
git -C "$REPO" bundle create -q "$WORK/reapwatch.bundle" HEAD 2>"$WORK/bundle.err" || {
	echo "test-fresh: git bundle of HEAD failed: $(head -n 3 "$WORK/bundle.err")" >&2
	exit 1
}

# in_root ROOT CMD: CMD by sh, chrooted in ROOT, in a private mount namespace: what is mounted
# for it (the root itself, so that buildah sees a mount point; proc, sys, dev, run) goes away
# with it, whatever happens.
in_root()
{
	local root=$1 cmd=$2
	unshare --mount --propagation private sh -c '
		set -e
		mount --bind "$1" "$1"
		mount -t proc proc "$1/proc"
		mount -t sysfs sys "$1/sys"
		mount --rbind /dev "$1/dev"
		mount -t tmpfs tmpfs "$1/run"
		exec chroot "$1" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 TERM=dumb sh -c "$2"' in_root "$root" "$cmd"
}

# One suite, start to end; its results go to $WORK/SUITE.results, one line per step.
fresh_suite()
{
	local suite=$1
	local root=$WORK/$suite log=$WORK/$suite.log results=$WORK/$suite.results
	local start=$SECONDS p bad
	: >"$results"
	pass() { echo "PASS fresh_${suite}_$1" >>"$results"; }
	fail() { echo "FAIL fresh_${suite}_$1: $2" >>"$results"; }

	echo "== debootstrap $suite from $MIRROR" >>"$log"
	# In a mount namespace of its own: the proc it mounts in the root goes with it.
	if ! unshare --mount --propagation private debootstrap --variant=minbase \
		--include=git,make "$suite" "$root" "$MIRROR" >>"$log" 2>&1; then
		fail debootstrap "debootstrap --variant=minbase $suite $MIRROR failed (see below)"
		return
	fi
	pass debootstrap
	echo "== after debootstrap: $((SECONDS - start)) s" >>"$log"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	# No package's service starts inside the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	cp "$WORK/reapwatch.bundle" "$root/root/"
	in_root "$root" 'dpkg-query -W -f "\${Package}\n" | sort' >"$WORK/$suite.before" 2>>"$log"

	echo "== make" >>"$log"
	if ! in_root "$root" 'cd /root && git -c advice.detachedHead=false clone -q reapwatch.bundle reapwatch &&
		cd reapwatch && make && ./reapwatch --version && test -s build/reapwatch.8' >>"$log" 2>&1; then
		fail make "git clone and make failed (see below)"
		return
	fi
	grep -q "^reapwatch $VERSION " "$log" || { fail make "./reapwatch --version does not say $VERSION"; return; }
	pass make
	echo "== after make: $((SECONDS - start)) s" >>"$log"
	in_root "$root" 'dpkg-query -W -f "\${Package}\n" | sort' >"$WORK/$suite.after" 2>>"$log"
	echo "== make installed $(comm -13 "$WORK/$suite.before" "$WORK/$suite.after" | wc -l) packages:" \
		"$(comm -13 "$WORK/$suite.before" "$WORK/$suite.after" | tr '\n' ' ')" >>"$log"
	bad=()
	for p in "${TEST_ONLY_PKGS[@]}"; do
		grep -qx "$p" "$WORK/$suite.after" && bad+=("$p")
	done
	if [[ ${#bad[@]} -eq 0 ]]; then
		pass make_installs_build_packages_only
	else
		fail make_installs_build_packages_only "make installed test packages: ${bad[*]}"
	fi

	echo "== make install" >>"$log"
	if in_root "$root" 'cd /root/reapwatch && make install DESTDIR=/tmp/stage &&
		cd /tmp/stage && find . ! -type d | sort | tr "\n" " "' >"$WORK/$suite.installed" 2>>"$log" &&
		[[ $(tail -n 1 "$WORK/$suite.installed") == "./usr/local/sbin/reapwatch ./usr/local/share/man/man8/reapwatch.8 " ]]; then
		pass install
	else
		fail install "make install DESTDIR=/tmp/stage: $(tail -n 1 "$WORK/$suite.installed")"
	fi

	echo "== make static" >>"$log"
	if ! in_root "$root" 'cd /root/reapwatch && make static && ./reapwatch-static --version &&
		readelf -d reapwatch-static' >>"$log" 2>&1; then
		fail static "make static failed (see below)"
	elif ! grep -q 'There is no dynamic section' "$log"; then
		fail static "reapwatch-static has a dynamic section"
	else
		pass static
	fi
	echo "== after make static: $((SECONDS - start)) s" >>"$log"

	echo "== make image" >>"$log"
	if in_root "$root" "cd /root/reapwatch && make image &&
		buildah inspect --type image localhost/reapwatch:$VERSION >/dev/null" >>"$log" 2>&1; then
		pass image
	else
		fail image "make image failed (see below)"
	fi

	echo "== test packages" >>"$log"
	if in_root "$root" 'cd /root/reapwatch &&
		missing=$(tools/install-deps.sh --check --test 2>&1 | sed -n "s/^missing Debian packages: //p") &&
		echo "test packages missing: $missing" && test -n "$missing" &&
		apt-get install --simulate --no-install-recommends $missing >/dev/null' >>"$log" 2>&1; then
		pass test_packages_resolve
	else
		fail test_packages_resolve "apt-get cannot install what tools/install-deps.sh --test wants (see below)"
	fi
	echo "== done: $((SECONDS - start)) s" >>"$log"
	p=$(grep -c '^PASS ' "$results")
	echo "== $suite: $p steps passed in $((SECONDS - start)) s" >>"$log"
}

pids=()
for suite in "${SUITES[@]}"; do
	echo "test-fresh: $suite (debootstrap from $MIRROR, then make, make install, make static, make image, test packages)"
	timeout -k 10 "$SUITE_TIMEOUT" bash -c "$(declare -f in_root fresh_suite); $(declare -p WORK MIRROR VERSION TEST_ONLY_PKGS); fresh_suite $suite" &
	pids+=($!)
done

passed=0
failed=0
for i in "${!SUITES[@]}"; do
	suite=${SUITES[i]}
	rc=0
	wait "${pids[i]}" || rc=$?
	results=$WORK/$suite.results
	touch "$results"
	[[ $rc -ne 124 && $rc -ne 137 ]] ||
		echo "FAIL fresh_${suite}: timed out after $SUITE_TIMEOUT s" >>"$results"
	[[ -s $results ]] || echo "FAIL fresh_${suite}: exited with status $rc, no step reported" >>"$results"
	cat "$results"
	sed -n 's/^== \(make installed [0-9]* packages\):.*/  (\1)/p; s/^== \(.*: [0-9]* steps passed in .*\)/  (\1)/p' \
		"$WORK/$suite.log"
	passed=$((passed + $(grep -c '^PASS ' "$results")))
	f=$(grep -c '^FAIL ' "$results")
	failed=$((failed + f))
	if [[ $f -gt 0 ]]; then
		echo "  details ($suite):"
		tail -n 40 "$WORK/$suite.log" | sed 's/^/      /'
	fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
