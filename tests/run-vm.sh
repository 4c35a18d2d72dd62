#!/bin/bash
# Boot the host VM (Debian's 686 kernel in qemu-system-i386, TCG) with the
# initramfs from tools/initramfs.sh.
#   run-vm.sh --show NAME[,NAME]  console on the terminal; exit with the
#                                 scenarios' status (make run)
#   run-vm.sh --shell             interactive busybox shell (make shell)
#   run-vm.sh --log FILE NAMES    quiet; the console goes to FILE
# Knobs from the environment: CPU (max), SMP (2), MEM (512), VM_TIMEOUT (s),
# VM_ARGS (more words for the kernel command line, e.g. whelp.fuzz_calls=N).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

kernel=$(ls build/deps/kernel/boot/vmlinuz-*-686 2>/dev/null | head -1)
initrd=build/vm/initramfs.cpio.gz
if [ -z "$kernel" ] || [ ! -f "$initrd" ]; then
	echo "run-vm: no kernel or initramfs: run 'make deps' and 'make' first" >&2
	exit 2
fi

mode=$1; shift
qemu=(qemu-system-i386 -nographic -no-reboot -nodefaults -serial mon:stdio
	-cpu "${CPU:-max}" -smp "${SMP:-2}" -m "${MEM:-512}"
	-kernel "$kernel" -initrd "$initrd")
append="console=ttyS0 panic=-1 oops=panic loglevel=4 ${VM_ARGS:-}"

case $mode in
--shell)
	exec "${qemu[@]}" -append "$append whelp.run=shell" ;;
--show)
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	timeout "${VM_TIMEOUT:-600}" "${qemu[@]}" -append "$append quiet whelp.run=$1" \
		< /dev/null | tee "$log" || true
	summary=$(grep -a '=== whelp-vm:' "$log" | tail -1 | tr -d '\r')
	if [ -z "$summary" ]; then
		echo "run-vm: the host VM stopped before finishing (a crash or a timeout)" >&2
		exit 1
	fi
	case $summary in *" 0 failed") exit 0 ;; *) exit 1 ;; esac ;;
--log)
	log=$1; shift
	timeout "${VM_TIMEOUT:-900}" "${qemu[@]}" -append "$append quiet whelp.run=$1" \
		< /dev/null > "$log" 2>&1 || true ;;
*)
	echo "run-vm: unknown mode $mode" >&2; exit 2 ;;
esac
