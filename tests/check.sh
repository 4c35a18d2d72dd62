#!/bin/bash
# make check: every test Whelp has, ending in one line "N passed, N failed".
#   check.sh [--unit-only | --vm-only | --fuzz-only | --html-only]
# 1. the Check unit tests tangled from the chapters (build/tests/unit/);
# 2. the distribution's own promises: src-generated/ is in sync with the
#    chapters, a compiler error names the chapter line, the book builds;
#    the HTML edition builds and its links, figures and search work in
#    headless Chromium;
# 3. short runs of the fuzzers (build/fuzz/), one result each;
# 4. the scenarios in the host VM, once per machine configuration.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
only=${1:-}
passed=0 failed=0
logdir=build/tests/logs
mkdir -p "$logdir"

pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

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
	rm -rf "$tmp"

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
	# The guests and pup's programs are the ELF loader's seeds.
	if ! make -s fuzzers guests > "$logdir/fuzz-build.log" 2>&1; then
		fail "the fuzzers or their seeds do not build (see $logdir/fuzz-build.log)"
		tail -20 "$logdir/fuzz-build.log" | sed 's/^/    /'
		return
	fi
	fuzz_run elf_load 30 "the ELF loader" build/guest/*.elf build/user/*.elf
	fuzz_run options 10 "the options parser"
}

# CPU:SMP pairs, one VM boot each, every scenario in each.
VM_CONFIGS=${VM_CONFIGS:-"max:2 max:1 pentium3:1 pentium3:2"}

vm_tests() {
	local cfg cpu smp log line name
	for cfg in $VM_CONFIGS; do
		cpu=${cfg%%:*} smp=${cfg##*:}
		log=$logdir/vm-$cpu-smp$smp.log
		echo "vm: booting the host VM (-cpu $cpu -smp $smp)"
		CPU=$cpu SMP=$smp tests/run-vm.sh --log "$log" all
		while IFS= read -r line; do
			line=${line%$'\r'}
			case $line in
			"=== whelp-test: PASS "*)
				name=${line#=== whelp-test: PASS }
				pass "vm[$cpu,smp$smp]: $name" ;;
			"=== whelp-test: FAIL "*)
				name=${line#=== whelp-test: FAIL }
				fail "vm[$cpu,smp$smp]: $name"
				name=${name%% *}
				sed -n "/=== whelp-test: begin $name\r*\$/,/=== whelp-test: FAIL $name/p" "$log" |
					tr -d '\r' | tail -40 | sed 's/^/    /' ;;
			esac
		done < <(grep -a '^=== whelp-test: \(PASS\|FAIL\)' "$log")
		if grep -aq '=== whelp-vm:' "$log"; then
			pass "vm[$cpu,smp$smp]: the host VM ran every scenario and powered off"
		else
			fail "vm[$cpu,smp$smp]: the host VM did not finish (crash or timeout); see $log"
			tail -30 "$log" | tr -d '\r' | sed 's/^/    /'
		fi
	done
}

case $only in
--unit-only) unit_tests ;;
--vm-only) vm_tests ;;
--fuzz-only) fuzz_tests ;;
--html-only) html_tests ;;
*) unit_tests; distribution_tests; html_tests; fuzz_tests; vm_tests ;;
esac

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
