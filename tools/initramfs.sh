#!/bin/bash
# Build the host VM's initramfs: busybox, the module, the Launcher, the guest
# images and the tests.  Usage:
#   initramfs.sh OUT BUSYBOX MODULE LAUNCHER "GUESTS" "VM_PROGS" "VM_SCRIPTS"
#                [KVM_LAUNCHER "KVM_MODULES" ["OTHER_GUESTS"]]
# OTHER_GUESTS go to /guests/other/: Guests built for the other kind of
# host (two-level or PAE page tables), which must die at their INIT.
set -euo pipefail
out=$1 busybox=$2 module=$3 launcher=$4 guests=$5 progs=$6 scripts=$7
kvm_launcher=${8:-} kvm_modules=${9:-} other_guests=${10:-}
top=$(cd "$(dirname "$0")/.." && pwd)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,root,lib/modules,usr/bin,guests/other,tests/bin}
install -m 755 "$busybox" "$root/bin/busybox"
install -m 644 "$module" "$root/lib/modules/whelp.ko"
install -m 755 "$launcher" "$root/usr/bin/whelp"
install -m 755 "$top/tests/vm-init" "$root/init"
[ -z "$kvm_launcher" ] || install -m 755 "$kvm_launcher" "$root/usr/bin/whelp-kvm"
for f in $kvm_modules; do install -m 644 "$f" "$root/lib/modules/"; done
for f in $guests; do install -m 644 "$f" "$root/guests/"; done
for f in $other_guests; do install -m 644 "$f" "$root/guests/other/"; done
for f in $progs; do install -m 755 "$f" "$root/tests/bin/"; done
for f in $scripts; do install -m 755 "$f" "$root/tests/"; done
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
