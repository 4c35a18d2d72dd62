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

# A scenario may ask for a QEMU monitor command (the machine check scenario
# injects its machine checks so) by printing a line
#   === whelp-monitor: COMMAND
# on the console. watch_console passes such lines to the monitor, which
# listens on a pair of FIFOs; only the commands listed here are passed on.
# Each goes a second after its line, so that it strikes while the machine
# runs what the scenario started, not while the console is still busy
# printing the request.
mondir= watchers=
cleanup() {
	[ -z "$watchers" ] || kill $watchers 2> /dev/null || true
	[ -z "$mondir" ] || rm -rf "$mondir"
}
trap cleanup EXIT
watch_console() {
	mondir=$(mktemp -d)
	mkfifo "$mondir/mon.in" "$mondir/mon.out" "$mondir/console"
	qemu+=(-monitor "pipe:$mondir/mon")
	cat "$mondir/mon.out" > "$mondir/monitor.log" &
	watchers="$watchers $!"
	tail -n +1 -F "$1" > "$mondir/console" 2> /dev/null &
	watchers="$watchers $!"
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		*"=== whelp-monitor: mce "*|*"=== whelp-monitor: nmi")
			sleep 1
			printf '%s\n' "${line#*=== whelp-monitor: }" > "$mondir/mon.in" ;;
		esac
	done < "$mondir/console" &
	watchers="$watchers $!"
}

case $mode in
--shell)
	exec "${qemu[@]}" -append "$append whelp.run=shell" ;;
--show)
	log=$(mktemp)
	trap 'cleanup; rm -f "$log"' EXIT
	: > "$log"
	watch_console "$log"
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
	: > "$log"
	watch_console "$log"
	timeout "${VM_TIMEOUT:-900}" "${qemu[@]}" -append "$append quiet whelp.run=$1" \
		< /dev/null > "$log" 2>&1 || true ;;
*)
	echo "run-vm: unknown mode $mode" >&2; exit 2 ;;
esac
