#!/bin/bash
# make deps: install every Debian package Whelp needs and fetch the host
# kernels (686 and 686-pae, one version), their headers and busybox into
# build/deps/.  Safe to re-run: when
# everything is present it only checks and returns.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/build/deps"
mkdir -p "$deps"

# One at a time: make -j can start this script for two missing targets at
# once (the kernel and busybox), and two runs would unpack into the same
# .partial trees and call apt-get together.
exec 9> "$deps/.lock"
if ! flock -n 9; then
	echo "deps: another make deps is running; waiting for it" >&2
	flock 9
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

# Debian packages used on the build machine.  qemu is installed without its
# recommends (they pull in a desktop).  The fuzzers need clang and its
# sanitizer and libFuzzer runtimes, which clang-14 only recommends.  gdb
# drives make qemu-gdb and the test of it.
packages="qemu-system-x86 noweb texlive-latex-base texlive-latex-recommended
texlive-latex-extra texlive-pictures texlive-fonts-recommended pandoc check
pkg-config gcc gcc-multilib libc6-dev-i386 make cpio xz-utils zstd gawk
poppler-utils bc lmodern clang-14 libclang-rt-14-dev chromium nodejs gdb"
# The HTML edition's check drives Chromium from Node (tests/html/); npm
# comes with Debian's nodejs only as a package of its own.
command -v npm > /dev/null 2>&1 || packages="$packages npm"

missing=
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

updated=no
apt_update() {
	[ "$updated" = yes ] && return 0
	# A mirror in the middle of a sync can fail one index; that is fine as
	# long as the packages we need still resolve, which the install or
	# download that follows checks.
	$SUDO apt-get update -qq || echo "deps: apt-get update reported an error; carrying on" >&2
	updated=yes
}

if ! dpkg --print-foreign-architectures | grep -qx i386; then
	$SUDO dpkg --add-architecture i386
	updated=no
	apt_update
fi

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	apt_update
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
fi

# The host kernel: resolve the ABI name from the metapackage, then fetch the
# image, its headers and the kbuild tools of that same version.
resolve_abi() {
	apt-cache depends linux-image-686:i386 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*-686\).*/\1/p' |
		head -1
}
abi=$(resolve_abi)
if [ -z "$abi" ]; then
	apt_update
	abi=$(resolve_abi)
fi
if [ -z "$abi" ]; then
	echo "deps: cannot resolve linux-image-686:i386 to a kernel version" >&2
	exit 1
fi
kdir="$deps/kernel-$abi"

fetch() {	# fetch DIR PACKAGE...: apt-get download and extract into DIR
	local dir=$1; shift
	local tmp
	tmp=$(mktemp -d "$deps/dl.XXXXXX")
	# (apt-get warns that it downloads as root, not as _apt: harmless.)
	(cd "$tmp" && apt-get download -q "$@" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	ls "$tmp"/*.deb >/dev/null
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$dir.partial"
	done
	rm -rf "$tmp"
}

kver=$(apt-cache show "linux-image-$abi:i386" | sed -n 's/^Version: //p' | head -1)
if [ ! -f "$kdir/.complete" ]; then
	echo "deps: fetching Debian's kernel $abi"
	rm -rf "$kdir" "$kdir.partial"
	common=$(apt-cache depends "linux-headers-$abi:i386" |
		sed -n 's/.*Depends: <*\(linux-headers-[0-9.-]*-common\).*/\1/p' | head -1)
	kbuild=$(apt-cache depends "linux-headers-$abi:i386" |
		sed -n 's/.*Depends: \(linux-kbuild-[0-9.]*\).*/\1/p' | head -1)
	# The kbuild tools run on the build machine: take the native ones, of
	# the kernel's own version when the archive still has it.
	if apt-cache policy "$kbuild" | grep " $kver " >/dev/null; then
		kbuild="$kbuild=$kver"
	fi
	fetch "$kdir" "linux-image-$abi:i386=$kver" \
		"linux-headers-$abi:i386=$kver" "$common=$kver" "$kbuild"
	# The headers' Makefile includes the common tree by its installed
	# absolute path; point it at our copy instead.
	sed -i "s|/usr/src/|$kdir/usr/src/|" \
		"$kdir.partial/usr/src/linux-headers-$abi/Makefile"
	mv "$kdir.partial" "$kdir"
	echo "$abi" > "$kdir/.complete"
fi

# The same kernel built for PAE (three-level page tables, chapter 45): only
# its image and its flavour's headers.  The common headers and the kbuild
# tools are those of the 686 kernel, the same version, already fetched: the
# PAE tree links to them rather than downloading them twice.
pabi=$abi-pae
pdir="$deps/kernel-$pabi"
if [ ! -f "$pdir/.complete" ]; then
	echo "deps: fetching Debian's kernel $pabi"
	rm -rf "$pdir" "$pdir.partial"
	pver=$(apt-cache show "linux-image-$pabi:i386" | sed -n 's/^Version: //p' | head -1)
	if [ "$pver" != "$kver" ]; then
		echo "deps: linux-image-$pabi is $pver, not the 686 kernel's version" >&2
		exit 1
	fi
	fetch "$pdir" "linux-image-$pabi:i386=$pver" "linux-headers-$pabi:i386=$pver"
	common=$(ls -d "$kdir"/usr/src/linux-headers-*-common | head -1)
	ln -sfn "../../../kernel-$abi/usr/src/$(basename "$common")" \
		"$pdir.partial/usr/src/$(basename "$common")"
	mkdir -p "$pdir.partial/usr/lib"
	for k in "$kdir"/usr/lib/linux-kbuild-*; do
		ln -sfn "../../../kernel-$abi/usr/lib/$(basename "$k")" \
			"$pdir.partial/usr/lib/$(basename "$k")"
	done
	# (By its physical path: build/deps may be a link into another tree.)
	sed -i "s|/usr/src/|$(cd "$kdir" && pwd -P)/usr/src/|" \
		"$pdir.partial/usr/src/linux-headers-$pabi/Makefile"
	mv "$pdir.partial" "$pdir"
	echo "$pabi" > "$pdir/.complete"
fi
ln -sfn "kernel-$pabi" "$deps/kernel-pae"
ln -sfn "kernel-$abi" "$deps/kernel"

bbver=$(apt-cache show busybox-static:i386 | sed -n 's/^Version: //p' | head -1)
bbdir="$deps/busybox-${bbver//:/_}"
if [ ! -f "$bbdir/.complete" ]; then
	echo "deps: fetching busybox-static:i386 $bbver"
	rm -rf "$bbdir" "$bbdir.partial"
	fetch "$bbdir" "busybox-static:i386=$bbver"
	mv "$bbdir.partial" "$bbdir"
	touch "$bbdir/.complete"
fi
ln -sfn "$(basename "$bbdir")" "$deps/busybox"

echo "deps: ready (kernels $abi and $pabi, busybox $bbver)"
