#!/bin/bash
# make bench: turn the console of a bench run into the data file the book's
# plot reads (figures/bench-results.dat is one such file, committed).
#   bench-data.sh CONSOLE-LOG > results.dat
# The header says what the numbers were measured on; the table is one row
# per operation, its median cost in cycles and its ratio to the host's own
# null system call.
set -euo pipefail
log=$1
top=$(cd "$(dirname "$0")/.." && pwd)

# The bench scenario (chapter "Measuring it") prints one line per figure:
#   "  null hypercall           127736 cycles    8.2x"
value() {
	tr -d '\r' < "$log" |
		sed -n "s/^  $1  *\([0-9][0-9]*\) cycles .*/\1/p" | tail -1
}
native=$(value 'native null system call')
hcall=$(value 'null hypercall')
fault=$(value 'host-resolved page fault')
if [ -z "$native" ] || [ -z "$hcall" ] || [ -z "$fault" ] ||
   [ "$native" -eq 0 ]; then
	echo "bench-data: $log lacks a measurement: native '$native'," \
	     "hypercall '$hcall', page fault '$fault'" >&2
	exit 1
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
kernel=$(ls "$top"/build/deps/kernel/boot/vmlinuz-*-686 2>/dev/null |
	 head -1 | sed 's|.*/vmlinuz-||')
echo "# Whelp: make bench results (tools/bench-data.sh)"
echo "# date: $(date -u +%Y-%m-%d)"
echo "# machine: ${cpu:-unknown}, $(nproc) cores, $(uname -m)"
echo "# qemu: $(qemu-system-i386 --version | head -1)"
echo "# host VM: -cpu ${CPU:-max} -smp ${SMP:-2} -m ${MEM:-512}, TCG," \
     "Debian kernel ${kernel:-unknown}"
echo "# cycles: median of 9 batches, rdtsc; ratio: to native-syscall"
echo "operation cycles ratio"
for row in "native-syscall $native" "hypercall $hcall" "page-fault $fault"; do
	set -- $row
	awk -v op="$1" -v c="$2" -v n="$native" \
		'BEGIN { printf "%s %d %.2f\n", op, c, c / n }'
done
