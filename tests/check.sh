#!/bin/bash
# make check: every test Whelp has, ending in one line "N passed, N failed".
#   check.sh [--unit-only | --dist-only | --html-only | --fuzz-only | --gdb-only | --vm-only
#             | --native-only | --labs-only]
# 1. the Check unit tests tangled from the chapters (build/tests/unit/);
# 2. the distribution's own promises: src-generated/ is in sync with the
#    chapters, a compiler error names the chapter line, the book builds;
#    the HTML edition builds and its links, figures and search work in
#    headless Chromium;
# 3. short runs of the fuzzers (build/fuzz/), one result each;
# 4. gdb in batch mode against the host VM: breakpoints in the Host, the
#    Switcher and pup stop at chapter lines;
# 5. pup on bare (emulated) hardware: its suites once per processor model,
#    and every benchmark once with tiny counts;
# 6. the scenarios in the host VM, once per machine configuration;
# 7. the labs: every grader fails its starting point and gives full marks
#    to its reference (tools/labs.sh check), and the handout builds.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
only=${1:-}
passed=0 failed=0 skipped=0
logdir=build/tests/logs
mkdir -p "$logdir"

pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
# A test that could not run here (it says why): counted apart, never passed.
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }

# tally: echo a test's lines from standard input, counting its PASS and
# FAIL lines (in this shell: feed it with "tally < <(command)").
tally() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case $line in
		PASS:*) passed=$((passed + 1)) ;;
		FAIL:*) failed=$((failed + 1)) ;;
		esac
	done
}

unit_tests() {
	local t out n f e
	for t in build/tests/unit/check_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>&1)
		echo "$out" > "$logdir/$(basename "$t").log"
		if [[ $out =~ Checks:\ ([0-9]+),\ Failures:\ ([0-9]+),\ Errors:\ ([0-9]+) ]]; then
			n=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} e=${BASH_REMATCH[3]}
			passed=$((passed + n - f - e))
			failed=$((failed + f + e))
			echo "unit: $(basename "$t"): $((n - f - e)) of $n passed"
			[ $((f + e)) -eq 0 ] || echo "$out" | grep -v ':P:' | sed 's/^/    /'
		else
			fail "$(basename "$t") printed no Check summary:"
			echo "$out" | tail -20 | sed 's/^/    /'
		fi
	done
	# make bench's report.sh over made-up logs (chapter "Measuring it"),
	# both hosts' columns: a PASS or FAIL line per promise, in seconds.
	tally < <(bash src-generated/tests/bench/report-test.sh 2>&1)
}

# A copy of the chapters and the tangle script, tangled somewhere else.
scratch_tangle() {
	local dir=$1
	mkdir -p "$dir"
	cp -r chapters tangle "$dir/"
	mkdir -p "$dir/src-generated"
	"$dir/tangle/tangle.sh" > "$dir/tangle.log" 2>&1
}

distribution_tests() {
	local tmp
	tmp=$(mktemp -d)
	if scratch_tangle "$tmp/sync" && diff -r "$tmp/sync/src-generated" src-generated > "$logdir/sync.diff"; then
		pass "src-generated/ is what the chapters tangle to"
	else
		fail "src-generated/ is out of date: run 'make tangle' (see $logdir/sync.diff, $tmp/sync/tangle.log)"
	fi

	# Break one line of C in a chapter: the compiler must name that line.
	local ch line
	ch=chapters/03-abi.nw
	line=$(grep -n 'ck_assert_uint_eq(sizeof(struct whelp_regs)' "$ch" | head -1 | cut -d: -f1)
	mkdir -p "$tmp/lines"
	cp -r chapters tangle "$tmp/lines/"
	sed -i "${line}s/.*/\tint broken = ;/" "$tmp/lines/$ch"
	mkdir -p "$tmp/lines/src-generated"
	(cd "$tmp/lines" && tangle/tangle.sh > /dev/null 2>&1 &&
		gcc -fsyntax-only -Isrc-generated/include src-generated/tests/unit/check_abi.c) > "$logdir/lines.log" 2>&1
	if grep -q "^$ch:$line:[0-9]*: error" "$logdir/lines.log"; then
		pass "a compiler error names $ch:$line"
	else
		fail "a compiler error did not name $ch:$line (see $logdir/lines.log)"
	fi

	# A misspelled chunk name must stop the tangle.
	mkdir -p "$tmp/undef"
	cp -r chapters tangle "$tmp/undef/"
	printf '\n@ A broken chunk.\n<<tests/unit/check_abi.c>>=\n<<no such chunk>>\n@\n' >> "$tmp/undef/$ch"
	mkdir -p "$tmp/undef/src-generated"
	if "$tmp/undef/tangle/tangle.sh" > "$logdir/undef.log" 2>&1; then
		fail "tangle accepted an undefined chunk"
	elif grep -q "undefined chunk" "$logdir/undef.log"; then
		pass "tangle fails on an undefined chunk, naming it"
	else
		fail "tangle failed on an undefined chunk without saying so (see $logdir/undef.log)"
	fi
	# A failed scenario is reported by its FAILED: lines: the parser on a
	# canned console log, firmware noise and carriage returns included.
	printf '%s\r\n' 'Booting from ROM..c=== whelp-test: begin alpha' \
		"  output has 'fine'" '=== whelp-test: PASS alpha' \
		'=== whelp-test: begin beta' '  exit 0 as expected: whelp pup.elf' \
		"  FAILED: standard output lacks 'hello'" '    out| goodbye' \
		'  all good after that' '=== whelp-test: FAIL beta (status 1)' \
		'=== whelp-test: begin gamma' '  no complaint here' \
		'kernel log after gamma:' '[ 1.0] BUG: unable to handle page fault' \
		'=== whelp-test: FAIL gamma (status 99)' > "$tmp/canned.log"
	local got
	got=$(scenario_failures "$tmp/canned.log" beta; echo ---
		scenario_failures "$tmp/canned.log" gamma)
	if [ "$got" = "  FAILED: standard output lacks 'hello'
    out| goodbye
---
kernel log after gamma:
[ 1.0] BUG: unable to handle page fault" ]; then
		pass "a failed scenario is reported by its FAILED: lines and kernel log"
	else
		fail "scenario_failures misread a canned log; it gave:"
		echo "$got" | sed 's/^/    /'
	fi
	rm -rf "$tmp"

	# One version number: the Launcher's --version and the module's.
	local ver modinfo modver
	ver=$(build/launcher/whelp --version 2>&1 | sed -n 's/^whelp \([^ ]*\) .*/\1/p')
	modinfo=$(strings -a build/host/whelp.ko 2> /dev/null)
	modver=$(sed -n 's/^version=//p' <<< "$modinfo")
	if [ -n "$ver" ] && [ "$ver" = "$modver" ] &&
		grep -q '^author=.' <<< "$modinfo" &&
		grep -q '^description=.' <<< "$modinfo"; then
		pass "whelp --version and the module's metadata agree: $ver"
	else
		fail "the Launcher says version '$ver', the module '$modver' (or has no author or description)"
	fi

	if make -s book > "$logdir/book.log" 2>&1; then
		pass "the book builds (build/book/whelp.pdf)"
	else
		fail "the book does not build (see $logdir/book.log)"
		tail -20 "$logdir/book.log" | sed 's/^/    /'
	fi
}

# The HTML edition in headless Chromium (tests/html/check.js): its links,
# figures, search and phone layout, one PASS or FAIL line each.  The
# browser driver is installed locally from tests/html/package-lock.json.
html_tests() {
	local node=build/tests/html-node line
	if ! make -s html > "$logdir/html.log" 2>&1; then
		fail "the HTML edition does not build (see $logdir/html.log)"
		tail -20 "$logdir/html.log" | sed 's/^/    /'
		return
	fi
	mkdir -p "$node"
	if ! cmp -s tests/html/package-lock.json "$node/package-lock.json" ||
		[ ! -d "$node/node_modules/playwright-core" ]; then
		cp tests/html/package.json tests/html/package-lock.json "$node/"
		if ! npm ci --prefix "$node" --no-audit --no-fund > "$logdir/html-npm.log" 2>&1; then
			fail "npm ci of the HTML check's browser driver failed (see $logdir/html-npm.log)"
			return
		fi
	fi
	local status=0 before=$failed
	NODE_PATH="$node/node_modules" timeout 120 node tests/html/check.js \
		build/book/html "$logdir" > "$logdir/html-check.log" 2>&1 || status=$?
	while IFS= read -r line; do
		case $line in
		"PASS: "*) pass "${line#PASS: }" ;;
		"FAIL: "*) fail "${line#FAIL: }" ;;
		*) echo "$line" ;;
		esac
	done < "$logdir/html-check.log"
	if [ $status -ne 0 ] && [ $failed -eq $before ]; then
		fail "the HTML check exited with status $status (see $logdir/html-check.log)"
	fi
}

# One bounded run of a libFuzzer harness from a fresh corpus of SEEDS on
# two processes: one PASS with the number of inputs it ran, or one FAIL
# naming the crashing input it saved under $logdir.
#   fuzz_run NAME SECONDS WHAT [SEEDS...]
fuzz_run() {
	local name=$1 secs=$2 what=$3; shift 3
	local corpus=build/tests/fuzz/$name log=$logdir/fuzz-$name.log
	local status runs crash
	rm -rf "$corpus" "$logdir/fuzz-$name-"*
	mkdir -p "$corpus"
	[ $# -eq 0 ] || cp "$@" "$corpus/"
	# The seeds once each first: fork mode saves a crashing seed but
	# carries on without it and exits 0.
	build/fuzz/fuzz_$name -runs=0 -artifact_prefix="$logdir/fuzz-$name-" \
		"$corpus" > "$log" 2>&1 &&
	build/fuzz/fuzz_$name -fork=2 -max_total_time="$secs" \
		-artifact_prefix="$logdir/fuzz-$name-" "$corpus" >> "$log" 2>&1
	status=$?
	runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
	crash=$(ls "$logdir/fuzz-$name-"* 2>/dev/null | head -1)
	if [ $status -eq 0 ] && [ -z "$crash" ] && [ -n "$runs" ]; then
		pass "$what survives $runs fuzzed inputs in $secs s"
	else
		fail "$what: the fuzzer failed (status $status): input ${crash:-not saved}, log $log"
		grep -a -m1 -A8 'ERROR\|broken promise' "$log" | sed 's/^/    /'
	fi
}

fuzz_tests() {
	# The guests and pup's programs are the ELF loader's seeds; a small
	# image is the pupfs reader's (make fuzz-pupfs adds pup's disk, whose
	# half a megabyte makes each run slow).
	if ! make -s fuzzers guests build/fuzz/pupfs-small.img > "$logdir/fuzz-build.log" 2>&1; then
		fail "the fuzzers or their seeds do not build (see $logdir/fuzz-build.log)"
		tail -20 "$logdir/fuzz-build.log" | sed 's/^/    /'
		return
	fi
	fuzz_run elf_load 30 "the ELF loader" build/guest/*.elf build/user/*.elf
	fuzz_run options 10 "the options parser"
	fuzz_run mmio_decode 10 "the MMIO decoder"
	fuzz_run virtio 10 "the virtio transport"
	fuzz_run blk 10 "the block device"
	fuzz_run pupfs 10 "the pupfs reader" build/fuzz/pupfs-small.img
}

# CPU:SMP pairs, one VM boot each, the scenarios VM_SCENARIOS names
# (comma-separated; "all": every one but the benchmarks) in each. A pair
# written pae/CPU:SMP boots the host kernel built for PAE (HOST=686-pae),
# the others HOST's (686 unless given), e.g.
# "max:2 pentium3:1 pae/max:2 pae/pentium3:1".
VM_CONFIGS=${VM_CONFIGS:-"max:2 pentium3:1 pentium3:2 pae/max:2 pae/pentium3:1"}
VM_SCENARIOS=${VM_SCENARIOS:-all}
# The KVM scenarios (chapter 24) boot host VMs of their own, one for each
# CPU:SMP pair of KVM_CONFIGS, with QEMU's TCG on one thread (run-vm.sh's
# tcg_thread says why): max:2 runs them, pentium3:1 shows that they are
# skipped, with the reason, where the processor has no SVM. Only when
# VM_SCENARIOS is all; KVM_CONFIGS= leaves them out.
KVM_CONFIGS=${KVM_CONFIGS-"max:2 pentium3:1"}
KVM_SCENARIOS=kvm,smoke-bench-kvm

# scenario_skip_reason LOG NAME: the SKIPPED: line scenario NAME printed.
scenario_skip_reason() {
	tr -d '\r' < "$1" | sed -n "/=== whelp-test: begin $2\$/,/=== whelp-test: SKIP $2\$/p" |
		sed -n 's/^ *SKIPPED: //p' | tail -1
}

# scenario_failures LOG NAME: why scenario NAME failed, from the console
# log of its VM: each FAILED: line of lib.inc's bad() with the first lines
# of the output shown under it, "no scenario" for a missing one, and the
# kernel's complaints /init found after it. A scenario that failed without
# a FAILED: line gets its last lines instead.
scenario_failures() {
	local log=$1 name=$2 section why
	section=$(tr -d '\r' < "$log" |
		sed -n "/=== whelp-test: begin $name\$/,/^=== whelp-test: FAIL $name /p")
	why=$(echo "$section" | awk '
		/FAILED: / { print; shown = 0; inside = 1; next }
		inside && /^    (out|err)\| / { if (shown++ < 8) print; next }
		{ inside = 0 }
		/^no scenario / { print; next }
		/^kernel log after / { klog = 1 }
		/^=== whelp-test: FAIL / { klog = 0 }
		klog { print }')
	if [ -n "$why" ]; then
		echo "$why"
	else
		echo "(no FAILED: line; the scenario's last lines:)"
		echo "$section" | tail -15
	fi
	case $section in
	*"FAIL $name (status 137)"*)
		echo "(status 137: killed by /init after 300 s)" ;;
	esac
}

# The progress line: rewritten in place on a terminal, one line otherwise.
progress_shown=
progress() {
	if [ -t 1 ]; then
		printf '\r\033[K%s' "$*"
		progress_shown=1
	elif [ -z "$progress_shown" ]; then
		echo "$*"
		progress_shown=1
	fi
}
progress_end() {
	if [ -t 1 ] && [ -n "$progress_shown" ]; then printf '\r\033[K'; fi
	progress_shown=
}

# vm_run CPU SMP: boot one host VM with every scenario, following its
# console log as QEMU writes it, so that each result is printed as its
# scenario ends. A host VM that prints nothing for VM_SILENCE seconds
# (more than /init gives a scenario) has stopped answering: its QEMU is
# stopped then, not VM_TIMEOUT later, and the failure says so.
VM_SILENCE=${VM_SILENCE:-420}
# vm_run CPU SMP HOST [kvm]: the same on HOST's kernel (686 or 686-pae);
# with kvm, the KVM scenarios instead.
vm_run() {
	local cpu=$1 smp=$2 host=${3:-686} tag log pid line name start now
	local current= finished= heard=$SECONDS silent= pae= kvm=
	local names=$VM_SCENARIOS
	[ "$host" = 686 ] || pae=pae-
	[ "${4:-}" != kvm ] || { kvm=kvm- names=$KVM_SCENARIOS; }
	tag="vm[${kvm:+kvm,}${pae:+pae,}$cpu,smp$smp]"
	log=$logdir/vm-$kvm$pae$cpu-smp$smp.log
	: > "$log"
	HOST=$host CPU=$cpu SMP=$smp tests/run-vm.sh --log "$log" "$names" &
	pid=$!
	start=$SECONDS
	while :; do
		if IFS= read -r -t 1 line; then
			heard=$SECONDS
			line=${line%$'\r'}
			case $line in
			*"=== whelp-test: begin "*)
				if [ -z "$current" ]; then
					progress_end
					echo "$tag: the host VM booted in $((SECONDS - start)) s (-cpu $cpu -smp $smp)"
				fi
				current=${line##*=== whelp-test: begin }
				start=$SECONDS ;;
			"=== whelp-test: PASS "*)
				progress_end
				pass "$tag: ${line#=== whelp-test: PASS }" ;;
			"=== whelp-test: SKIP "*)
				progress_end
				name=${line#=== whelp-test: SKIP }
				skip "$tag: $name: $(scenario_skip_reason "$log" "$name")" ;;
			"=== whelp-test: FAIL "*)
				progress_end
				name=${line#=== whelp-test: FAIL }
				fail "$tag: $name"
				scenario_failures "$log" "${name%% *}" | sed 's/^/    /'
				echo "    log: $log" ;;
			*"=== whelp-vm: "*)
				finished=1 ;;
			esac
		else
			[ $? -gt 128 ] || break
			if [ -z "$silent" ] && [ $((SECONDS - heard)) -ge "$VM_SILENCE" ]; then
				silent=$((SECONDS - heard))
				pkill -TERM -P "$pid" timeout 2> /dev/null || true
			fi
			now=$((SECONDS - start))
			if [ -z "$current" ]; then
				progress "$tag: booting the host VM (-cpu $cpu -smp $smp)... $now s"
			elif [ -t 1 ]; then
				progress "$tag: $current... $now s"
			fi
		fi
	done < <(tail -n +1 -F --pid="$pid" "$log" 2> /dev/null)
	wait "$pid" || true
	progress_end
	if [ -n "$finished" ] || grep -aq '=== whelp-vm:' "$log"; then
		pass "$tag: the host VM ran every scenario and powered off"
	elif [ -n "$silent" ]; then
		fail "$tag: the host VM printed nothing for $silent s${current:+ during $current} and was stopped; log: $log"
		tail -30 "$log" | tr -d '\r' | sed 's/^/    /'
	else
		fail "$tag: the host VM did not finish (crash or timeout)${current:+ during $current}; log: $log"
		tail -30 "$log" | tr -d '\r' | sed 's/^/    /'
	fi
}

# make qemu-gdb's promise: gdb, attached to the host VM with the command
# file tools/gdb-script.sh writes, stops in the Host, in the Switcher's
# copy and in pup, each at a chapter line (chapter 2, "Debugging with gdb").
gdb_tests() {
	local port=$((20000 + $$ % 20000)) log=$logdir/vm-gdb.log
	local glog=$logdir/gdb.log pid i want
	mkdir -p build/gdb
	: > "$log"
	GDB_PORT=$port CPU=max SMP=1 tests/run-vm.sh --log "$log" gdb-stops &
	pid=$!
	for i in $(seq 240); do
		grep -aq '=== whelp-gdb: ready' "$log" && break
		kill -0 $pid 2> /dev/null || break
		sleep 0.5
	done
	if ! tools/gdb-script.sh "$log" "$port" > build/gdb/check.gdb 2> "$glog"; then
		fail "gdb: no command file from the VM's console (see $glog, $log)"
		wait $pid
		return
	fi
	timeout 120 gdb -nx -batch -x build/gdb/check.gdb \
		-ex 'thbreak whelp_do_hcall' -ex 'thbreak whelp_switch_to_guest' \
		-ex 'thbreak pup_main' -ex continue -ex continue -ex continue \
		-ex 'info registers cs' -ex detach >> "$glog" 2>&1
	wait $pid
	# The Switcher's entry is also whelp_switcher_start, the name gdb gives.
	for want in "whelp_switch chapters/50-switcher.nw" \
		"pup_main chapters/10-pup-boot.nw" \
		"whelp_do_hcall chapters/43-host-hypercalls.nw"; do
		if grep -q "^Temporary breakpoint [0-9.]*, ${want% *}[a-z_]* (.*) at ${want#* }:[0-9]*\$" "$glog"; then
			pass "gdb stops in $(grep -o "${want% *}[a-z_]* (" "$glog" | head -1 | tr -d ' (') at $(grep -o "${want#* }:[0-9]*" "$glog" | head -1)"
		else
			fail "gdb did not stop in ${want% *} at a line of ${want#* } (see $glog)"
		fi
	done
	if grep -aq '=== whelp-test: PASS gdb-stops' "$log"; then
		pass "gdb: the Guest ran on after gdb detached"
	else
		fail "gdb: the scenario did not pass after gdb (see $log)"
	fi
}

# The native column of make bench, smoke-tested (chapter "Measuring it"):
# pup boots by itself under QEMU, every benchmark prints a positive figure.
bench_native_tests() {
	local log=$logdir/native-smoke.log
	if src-generated/tests/bench/native.sh --smoke > "$log" 2>&1; then
		pass "native pup: every benchmark ran once, each figure positive"
	else
		fail "native pup: the benchmarks' smoke run failed (see $log)"
		grep -a 'FAILED\|native:\|qemu|' "$log" | head -12 | sed 's/^/    /'
	fi
}

vm_tests() {
	local cfg plain_host=686
	# A pair without pae/ boots the kernel make's HOST names (686 unless
	# given: some shells put the machine's name in HOST).
	case ${HOST:-} in 686|686-pae) plain_host=$HOST ;; esac
	tests/run-vm.sh --check "$VM_SCENARIOS" || { fail "VM_SCENARIOS: $VM_SCENARIOS"; return; }
	for cfg in $VM_CONFIGS; do
		case $cfg in
		pae/*/*) fail "VM_CONFIGS: '$cfg' is not [pae/]CPU:SMP (e.g. pae/max:2)" ;;
		pae/?*:[0-9]*) cfg=${cfg#pae/}; vm_run "${cfg%%:*}" "${cfg##*:}" 686-pae ;;
		*/*) fail "VM_CONFIGS: '$cfg' is not [pae/]CPU:SMP (e.g. pae/max:2)" ;;
		?*:[0-9]*) vm_run "${cfg%%:*}" "${cfg##*:}" "$plain_host" ;;
		*) fail "VM_CONFIGS: '$cfg' is not [pae/]CPU:SMP (e.g. max:2)" ;;
		esac
	done
	[ "$VM_SCENARIOS" = all ] || return 0
	for cfg in $KVM_CONFIGS; do
		case $cfg in
		pae/?*:[0-9]*) cfg=${cfg#pae/}; vm_run "${cfg%%:*}" "${cfg##*:}" 686-pae kvm ;;
		?*:[0-9]*) case $cfg in */*) fail "KVM_CONFIGS: '$cfg' is not [pae/]CPU:SMP"; continue ;; esac
			vm_run "${cfg%%:*}" "${cfg##*:}" "$plain_host" kvm ;;
		*) fail "KVM_CONFIGS: '$cfg' is not [pae/]CPU:SMP (e.g. max:2)" ;;
		esac
	done
}

# pup booted as the machine's own kernel (chapter "One kernel, two
# machines"): suites.sh prints a PASS or FAIL line per expectation, for
# the two-level pup and for the PAE build (build/guest-pae/pup.elf, which
# make all builds with guests-pae; the make below only makes sure of it,
# for a check run without make all), once per processor model.
native_tests() {
	local cfg cpu line seen= pae=pae
	if ! make -s "build/guest-pae/pup.elf" > "$logdir/guest-pae.log" 2>&1; then
		fail "native: the PAE pup does not build (see $logdir/guest-pae.log)"
		pae=
	fi
	for cfg in $VM_CONFIGS; do
		cpu=${cfg#pae/}; cpu=${cpu%%:*}
		case " $seen " in *" $cpu "*) continue ;; esac
		seen="$seen $cpu"
		tally < <(sh src-generated/tests/native/suites.sh "$cpu" 2>&1)
		[ -z "$pae" ] ||
			tally < <(sh src-generated/tests/native/suites.sh "$cpu" pae 2>&1)
	done
}

# The labs: tools/labs.sh check prints a PASS or FAIL line for each
# half of each lab. Then the handout: no reference solution in it, and a
# lab started and graded in it (HANDOUT_LAB, a lab of unit tests only,
# so that the fresh tree builds without the module).
HANDOUT_LAB=${HANDOUT_LAB:-04}
labs_tests() {
	local line tmp out
	if ! ls labs/[0-9][0-9]-*/lab.conf > /dev/null 2>&1; then
		fail "there are no labs in labs/"
		return
	fi
	tally < <(tools/labs.sh check 2>&1)
	tmp=$(mktemp -d)
	if ! tools/labs.sh handout "$tmp/handout.tar.gz" > "$logdir/handout.log" 2>&1; then
		fail "make handout failed (see $logdir/handout.log)"
	elif tar -tzf "$tmp/handout.tar.gz" | grep -q 'reference\.patch$'; then
		fail "the handout carries a reference solution"
	else
		pass "the handout carries no reference solution"
		tar -xzf "$tmp/handout.tar.gz" -C "$tmp"
		mkdir -p "$tmp/whelp/build"
		[ -e "$tmp/whelp/build/deps" ] || ln -s "$top/build/deps" "$tmp/whelp/build/deps"
		# A chapter the lab changes, changed by the student: refused.
		local ch
		ch=$(cd "$tmp/whelp" && sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' \
			labs/"$HANDOUT_LAB"-*/start.patch | head -1)
		if [ -n "$ch" ]; then
			cp "$tmp/whelp/$ch" "$tmp/saved.nw"
			echo "% the student's own line" >> "$tmp/whelp/$ch"
			if (cd "$tmp/whelp" && tools/labs.sh start "$HANDOUT_LAB") > "$logdir/handout-refuse.log" 2>&1; then
				fail "lab-start overwrote a changed $ch in the handout"
			elif grep -q "commit (or stash) your work first" "$logdir/handout-refuse.log" &&
				tail -1 "$tmp/whelp/$ch" | grep -q "the student's own line"; then
				pass "lab-start refuses to overwrite a changed $ch, and says why"
			else
				fail "lab-start failed on a changed $ch without saying why (see $logdir/handout-refuse.log)"
			fi
			cp "$tmp/saved.nw" "$tmp/whelp/$ch"
		fi
		out=$(cd "$tmp/whelp" && tools/labs.sh start "$HANDOUT_LAB" 2>&1 &&
			tools/labs.sh grade "$HANDOUT_LAB" 2>&1)
		echo "$out" > "$logdir/handout-grade.log"
		if grep -q '^labs: lab .* started' <<< "$out" &&
			grep -q '^Score: [0-9]*/[0-9]*$' <<< "$out"; then
			pass "lab $HANDOUT_LAB starts and is graded in the handout: $(grep '^Score' <<< "$out")"
		else
			fail "lab $HANDOUT_LAB did not start and grade in the handout (see $logdir/handout-grade.log)"
		fi
	fi
	rm -rf "$tmp"
}

case $only in
--labs-only) labs_tests ;;
--unit-only) unit_tests ;;
--vm-only) vm_tests ;;
--native-only) native_tests; bench_native_tests ;;
--fuzz-only) fuzz_tests ;;
--html-only) html_tests ;;
--gdb-only) gdb_tests ;;
--dist-only) distribution_tests ;;
*) unit_tests; distribution_tests; html_tests; fuzz_tests; gdb_tests; native_tests; bench_native_tests; vm_tests; labs_tests ;;
esac

[ $skipped -eq 0 ] || echo "$skipped skipped (could not run here; not counted as passed)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
