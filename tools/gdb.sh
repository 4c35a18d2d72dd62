#!/bin/bash
# make gdb: attach gdb to the VM that make qemu-gdb started.  QEMU waits
# (-S) until gdb lets it go: a first gdb lets it boot, then, once /init
# has printed where the module is, build/gdb/whelp.gdb is written and gdb
# starts with it.
set -euo pipefail
cd "$(dirname "$0")/.."
log=build/gdb/console.log port=${GDB_PORT:-1234}
if [ ! -f "$log" ]; then
	echo "gdb: no $log: start 'make qemu-gdb' in another terminal first" >&2
	exit 1
fi
if ! grep -aq '=== whelp-gdb: ready' "$log"; then
	echo "gdb: letting the VM boot..." >&2
	gdb -nx -batch -ex "target remote localhost:$port" -ex detach \
		> /dev/null 2>&1 || true
	for i in $(seq 300); do
		grep -aq '=== whelp-gdb: ready' "$log" && break
		sleep 0.5
	done
fi
tools/gdb-script.sh "$log" "$port" > build/gdb/whelp.gdb
exec gdb -nx -x build/gdb/whelp.gdb
