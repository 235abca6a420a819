#!/usr/bin/env bash
# Downloads Debian's kernels for `make test-kernels` by package name and unpacks each with
# dpkg -x into a cache outside the repository. Prints one line per kernel on stdout:
#     LINE<TAB>DIR
# where DIR/boot/vmlinuz-* (or DIR/usr/lib/modules/*/vmlinuz) is the kernel.
#
#   tools/fetch-kernels.sh [LINE...]     LINE: 5.10 (Debian 11), 6.1 (Debian 12),
#                                        6.12 (Debian 13), 7 (trixie-backports:
#                                        the newest stable kernel), 7-rt (its PREEMPT_RT
#                                        flavour), sid (Debian unstable's kernel: another
#                                        verifier, 7.2 in December 2026), 6.1-cloud (Debian 12's
#                                        cloud flavour: the smaller config Debian's cloud
#                                        images boot); default: all seven
#
# The newest kernel of a line is read from its suites' package index (the Depends of the
# linux-image-amd64 metapackage). A line already in the cache is used as it is, without
# any network access; REAPWATCH_KERNELS_REFRESH=1 looks for a newer one.
#
# Environment: REAPWATCH_KERNEL_CACHE (default /var/tmp/reapwatch-kernels),
#              REAPWATCH_KERNELS_REFRESH=1, REAPWATCH_DEBIAN_MIRROR, REAPWATCH_SECURITY_MIRROR.
set -euo pipefail

CACHE=${REAPWATCH_KERNEL_CACHE:-/var/tmp/reapwatch-kernels}
MIRROR=${REAPWATCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${REAPWATCH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ALL_LINES=(5.10 6.1 6.12 7 7-rt sid 6.1-cloud)

die()
{
	echo "fetch-kernels: $*" >&2
	exit 1
}

# suites LINE: the Debian suites whose index holds that kernel line. The security suite
# comes along: a stable release's newest kernel is usually a security update. (A flavour,
# -rt or -cloud, comes from the same suites as its line; sid has no security suite: its
# kernel is updated in sid itself.)
suites()
{
	case $1 in
	5.10) echo bullseye bullseye-security ;;
	6.1 | 6.1-cloud) echo bookworm bookworm-security ;;
	6.12) echo trixie trixie-security ;;
	7 | 7-rt) echo trixie-backports ;;
	sid) echo sid ;;
	*) die "unknown kernel line '$1' (known: ${ALL_LINES[*]})" ;;
	esac
}

# find_vmlinuz DIR: the kernel image in an unpacked package (Debian: boot/, sid: modules dir).
find_vmlinuz()
{
	local f
	for f in "$1"/boot/vmlinuz-* "$1"/usr/lib/modules/*/vmlinuz; do
		[[ -f $f ]] && {
			echo "$f"
			return 0
		}
	done
	return 1
}

# apt_opts LINE: apt options for a private package index of that line's suites only, so
# neither the host's sources nor its index are read or touched.
apt_opts()
{
	local dir=$CACHE/apt/$1
	APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
		-o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq)
}

# update_index LINE: write the line's sources list and fetch its package index.
update_index()
{
	local line=$1 dir=$CACHE/apt/$1 suite uri
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	: >"$dir/sources.list"
	for suite in $(suites "$line"); do
		uri=$MIRROR
		[[ $suite == *-security ]] && uri=$SECURITY
		echo "deb [signed-by=$KEYRING] $uri $suite main" >>"$dir/sources.list"
	done
	apt_opts "$line"
	apt-get "${APT_OPTS[@]}" update >&2 || die "apt-get update failed for $(suites "$line")"
}

# metapackage LINE: the package that depends on the line's newest kernel (its flavour's).
# The cloud flavour is built from a smaller config (fewer drivers, other built-in
# features), so struct layouts and what is built in are not the generic kernel's.
metapackage()
{
	case $1 in
	*-rt) echo linux-image-rt-amd64 ;;
	*-cloud) echo linux-image-cloud-amd64 ;;
	*) echo linux-image-amd64 ;;
	esac
}

# newest_package LINE: the linux-image-*-amd64 package the line's metapackage depends on.
newest_package()
{
	local pkg meta
	meta=$(metapackage "$1")
	apt_opts "$1"
	pkg=$(apt-cache "${APT_OPTS[@]}" depends "$meta" |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' | sed -n 1p)
	[[ -n $pkg ]] || die "no $meta in $(suites "$1")"
	echo "$pkg"
}

# download_into LINE PKG DIR: apt-get download PKG and dpkg -x it into DIR/root.
download_into()
{
	local line=$1 pkg=$2 dir=$3 deb
	apt_opts "$line"
	echo "fetch-kernels: downloading $pkg" >&2
	mkdir -p "$dir/debs"
	(cd "$dir/debs" && apt-get "${APT_OPTS[@]}" download "$pkg" >&2) ||
		{
			rm -rf "$dir"
			die "apt-get download $pkg failed"
		}
	deb=$(echo "$dir/debs/$pkg"_*.deb)
	[[ -f $deb ]] || die "apt-get download $pkg left no .deb"
	dpkg -x "$deb" "$dir/root"
}

# unpack LINE PKG: download PKG and dpkg -x it into CACHE/PKG (atomically: a half-unpacked
# directory is never taken for a cached kernel). Since 7.x (trixie-backports, sid) the
# linux-image package is a small one that depends on linux-binary-*, which has the vmlinuz.
unpack()
{
	local line=$1 pkg=$2 tmp binary
	tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	download_into "$line" "$pkg" "$tmp"
	if ! find_vmlinuz "$tmp/root" >/dev/null; then
		apt_opts "$line"
		binary=$(apt-cache "${APT_OPTS[@]}" depends "$pkg" |
			sed -n 's/^ *Depends: \(linux-binary-[^ ]*\)$/\1/p' | sed -n 1p)
		[[ -n $binary ]] || die "$pkg has no vmlinuz and depends on no linux-binary-*"
		download_into "$line" "$binary" "$tmp"
	fi
	find_vmlinuz "$tmp/root" >/dev/null || die "$pkg has no vmlinuz"
	rm -rf "${CACHE:?}/$pkg"
	mv "$tmp/root" "$CACHE/$pkg"
	rm -rf "$tmp"
}

# fetch LINE: make sure the line's kernel is in the cache; print "LINE<TAB>DIR".
# (LINE.current: the package, then the suites it came from: a line moved to other suites is
# fetched again)
fetch()
{
	local line=$1 current=$CACHE/$1.current pkg="" from=""
	[[ -f $current ]] && { pkg=$(sed -n 1p "$current"); from=$(sed -n 2p "$current"); }
	if [[ -z $pkg || ! -d $CACHE/$pkg || $from != "$(suites "$line")" ||
		-n ${REAPWATCH_KERNELS_REFRESH:-} ]]; then
		update_index "$line"
		pkg=$(newest_package "$line")
		[[ -d $CACHE/$pkg ]] || unpack "$line" "$pkg"
		printf '%s\n%s\n' "$pkg" "$(suites "$line")" >"$current.new"
		mv "$current.new" "$current"
	fi
	printf '%s\t%s\n' "$line" "$CACHE/$pkg"
}

lines=("$@")
[[ ${#lines[@]} -gt 0 ]] || lines=("${ALL_LINES[@]}")
for line in "${lines[@]}"; do
	suites "$line" >/dev/null
done
for tool in apt-get apt-cache dpkg flock; do
	command -v "$tool" >/dev/null || die "needs $tool (a Debian host)"
done
[[ -r $KEYRING ]] || die "$KEYRING is missing (Debian package debian-archive-keyring)"
mkdir -p "$CACHE"
# One fetch at a time per cache: two runs must not unpack into each other's way.
exec 9>"$CACHE/.lock"
flock 9
for line in "${lines[@]}"; do
	fetch "$line"
done
