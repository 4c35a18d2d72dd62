#!/bin/bash
# Boot the host VM (Debian's 686 kernel, or with HOST=686-pae its PAE build,
# in qemu-system-i386, TCG) with the
# initramfs from tools/initramfs.sh.
#   run-vm.sh --show NAME[,NAME]  console on the terminal; exit with the
#                                 scenarios' status (make run)
#   run-vm.sh --shell             interactive busybox shell (make shell)
#   run-vm.sh --guest             pup's shell psh in a Guest (make shell-guest)
#   run-vm.sh --log FILE NAMES    quiet; the console goes to FILE, as it
#                                 comes (check.sh follows it)
#   run-vm.sh --check NAMES       only check that the scenarios exist
#   run-vm.sh --gdb               make qemu-gdb: QEMU waits for gdb (-S) on
#                                 localhost:GDB_PORT (1234); the console is
#                                 on the terminal and in build/gdb/console.log
# With GDB_PORT set, --log also lets gdb attach there (make check's test).
# NAMES is a comma-separated list of scenarios (tests/vm/NAME.sh, tangled
# from the chapters) or "all"; an unknown name stops before the VM boots.
# Knobs from the environment: HOST (686, or 686-pae: the host kernel),
# CPU (max), SMP (2), MEM (512), VM_TIMEOUT (s), TCG_THREAD (multi or
# single; unless given, single for the KVM scenarios, see tcg_thread),
# VM_ARGS (more words for the kernel command line, e.g. whelp.fuzz_calls=N).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# The scenarios the initramfs carries are src-generated/tests/vm/*.sh.
check_scenarios() {
	local name known bad=0
	known=$(cd src-generated/tests/vm && ls *.sh | sed 's/\.sh$//' | tr '\n' ' ')
	for name in $(echo "$1" | tr ',' ' '); do
		[ "$name" = all ] && continue
		if [ ! -f "src-generated/tests/vm/$name.sh" ]; then
			echo "run-vm: no scenario '$name' (no tests/vm/$name.sh in the chapters)" >&2
			bad=1
		fi
	done
	if [ -z "$(echo "$1" | tr -d ',')" ]; then
		echo "run-vm: no scenario named" >&2
		bad=1
	fi
	if [ $bad -ne 0 ]; then
		echo "run-vm: the scenarios are: all (every one but bench*, gdb-*, lab-*, kvm and smoke-bench-kvm), ${known% }" | fold -s -w 78 >&2
		exit 2
	fi
}

# The firmware turns the terminal's line wrap off (ESC[?7l) and QEMU's
# -nographic leaves it so: turn it back on, and reset the line discipline,
# whenever this script ends, Ctrl-C included.
restore_terminal() {
	if [ -t 1 ]; then printf '\033[?7h'; fi
	if [ -t 0 ]; then stty sane 2> /dev/null || true; fi
}

mode=${1:-}; [ $# -eq 0 ] || shift
case $mode in
--check) check_scenarios "${1:-}"; exit 0 ;;
--show) check_scenarios "${1:-}"; names=$1 ;;
--log) check_scenarios "${2:-}"; names=$2 ;;
*) names= ;;
esac

# HOST picks the host VM's kernel: Debian's 686 (two-level paging, the
# default) or its 686-pae build of the same version (three-level paging,
# chapter 45), and the initramfs made for it: its whelp.ko, and the Guests
# built for its page tables.
case ${HOST:-686} in
686) kernel=$(ls build/deps/kernel/boot/vmlinuz-*-686 2>/dev/null | head -1)
	initrd=build/vm/initramfs.cpio.gz ;;
686-pae) kernel=$(ls build/deps/kernel-pae/boot/vmlinuz-*-686-pae 2>/dev/null | head -1)
	initrd=build/vm/initramfs-pae.cpio.gz ;;
*) echo "run-vm: HOST is 686 or 686-pae, not '$HOST'" >&2; exit 2 ;;
esac
if [ -z "$kernel" ] || [ ! -f "$initrd" ]; then
	echo "run-vm: no kernel or initramfs: run 'make deps' and 'make' first" >&2
	exit 2
fi

# tcg_thread NAMES: how QEMU's TCG runs the host VM's processors. Each on
# a thread of its own (multi) unless NAMES has a scenario that runs KVM
# in the host VM (kvm, smoke-bench-kvm, bench): then one thread takes
# them in turn (single). KVM flips a jump label in the host VM's
# scheduler whenever it makes or frees a machine, patching kernel text
# with an int3 while the other processor runs it, and QEMU 7.2's threads
# can keep a translation of the int3 after the patch is done: both
# processors then trap on it for ever (chapter 24, "A host VM that
# stopped"). One thread translates and writes in turn, and cannot race.
tcg_thread() {
	if [ -n "${TCG_THREAD:-}" ]; then
		echo "$TCG_THREAD"
		return
	fi
	case ",$1," in
	*,kvm,*|*,smoke-bench-kvm,*|*,bench,*) echo single ;;
	*) echo multi ;;
	esac
}
case ${TCG_THREAD:-multi} in
multi|single) ;;
*) echo "run-vm: TCG_THREAD is multi or single, not '$TCG_THREAD'" >&2; exit 2 ;;
esac

qemu=(qemu-system-i386 -nographic -no-reboot -nodefaults -serial mon:stdio
	-accel "tcg,thread=$(tcg_thread "$names")"
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
	restore_terminal
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
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
--gdb)
	log=build/gdb/console.log
	mkdir -p "$(dirname "$log")"
	: > "$log"
	echo "run-vm: QEMU waits for gdb on localhost:${GDB_PORT:-1234}: run 'make gdb' in another terminal; Ctrl-A X quits QEMU" >&2
	"${qemu[@]}" -gdb "tcp:localhost:${GDB_PORT:-1234}" -S \
		-append "$append whelp.run=gdb" | tee "$log" || true ;;
--shell)
	echo "run-vm: Ctrl-A X quits QEMU; 'exit' in the shell powers the VM off" >&2
	"${qemu[@]}" -append "$append whelp.run=shell" || true ;;
--guest)
	echo "run-vm: Ctrl-A X quits QEMU; 'exit' in psh ends the Guest" >&2
	"${qemu[@]}" -append "$append quiet whelp.run=guest" || true ;;
--show)
	# The console goes to the terminal and to a log that stays. QEMU
	# runs in the terminal's process group (--foreground), so Ctrl-C
	# stops it and this script, which then restores the terminal.
	log=build/tests/logs/run.log
	mkdir -p "$(dirname "$log")"
	: > "$log"
	watch_console "$log"
	timeout --foreground "${VM_TIMEOUT:-600}" "${qemu[@]}" \
		-append "$append quiet whelp.run=$1" < /dev/null | tee "$log" || true
	restore_terminal
	summary=$(grep -a '=== whelp-vm:' "$log" | tail -1 | tr -d '\r')
	if [ -z "$summary" ]; then
		echo "run-vm: the host VM stopped before finishing (a crash or a timeout); the console is in $log" >&2
		exit 1
	fi
	case $summary in
	*" 0 failed") exit 0 ;;
	*)
		echo "run-vm: ${summary#=== whelp-vm: }; the FAILED lines are above, the console is in $log" >&2
		exit 1 ;;
	esac ;;
--log)
	log=$1; shift
	: > "$log"
	watch_console "$log"
	[ -z "${GDB_PORT:-}" ] || qemu+=(-gdb "tcp:localhost:$GDB_PORT")
	timeout "${VM_TIMEOUT:-900}" "${qemu[@]}" -append "$append quiet whelp.run=$1" \
		< /dev/null > "$log" 2>&1 || true ;;
*)
	echo "run-vm: unknown mode $mode" >&2; exit 2 ;;
esac
