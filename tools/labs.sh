#!/bin/bash
# The course labs (chapter "Taking a lab"): labs/NN-name/ holds lab.conf,
# start.patch and reference.patch; the lab's chapter tangles its grader
# into src-generated/labs/NN-name/grade.sh.
#   labs.sh list             make labs: number, name, kind, chapters, points
#   labs.sh start NN         make lab-start LAB=NN: apply the starting point
#   labs.sh grade NN         make grade LAB=NN: tangle, run the grader
#   labs.sh check [NN ...]   make check-labs: every grader fails on its
#                            start and gives full marks to its reference,
#                            each lab in a scratch copy of this tree
#   labs.sh handout [FILE]   make handout: a student tarball of HEAD
#                            without the reference solutions
#   labs.sh refresh NN       make lab-refresh LAB=NN: rewrite the lab's
#                            patches against the chapters as they are now
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

die() { echo "labs: $*" >&2; exit 2; }

# lab_dir NN: labs/NN-name, or a clear error.
lab_dir() {
	local nn=${1:-} d
	[ -n "$nn" ] || die "which lab? say LAB=NN (make labs lists them)"
	[[ $nn =~ ^[0-9]+$ ]] || die "LAB=$nn: a lab is named by its number (make labs lists them)"
	nn=$(printf '%02d' "$((10#$nn))")
	d=$(ls -d labs/"$nn"-*/ 2> /dev/null | head -1)
	[ -n "$d" ] || die "there is no lab $nn (make labs lists them)"
	echo "${d%/}"
}

# The files a patch changes, one a line, as paths from the top.
patch_files() {
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$1"
}

# apply_patch FILE: patch -p1 with no fuzz. A hunk that lands at an
# offset is applied, but reported: the lab's patches want refreshing.
apply_patch() {
	local p=$1 out
	[ -s "$p" ] || return 0
	if ! out=$(patch -p1 -F0 -N --no-backup-if-mismatch < "$p" 2>&1); then
		echo "$out" | sed 's/^/    /'
		echo "labs: $p does not apply to these chapters" >&2
		return 1
	fi
	if grep -q 'offset' <<< "$out"; then
		echo "$out" | grep offset | sed 's/^/    /'
		echo "labs: $p applies only at an offset: run 'make lab-refresh LAB=...'" >&2
		return 3
	fi
	return 0
}

cmd_list() {
	local d title kind chapters points
	printf '%-4s %-18s %-15s %-32s %s\n' LAB NAME KIND CHAPTERS POINTS
	for d in labs/[0-9][0-9]-*/; do
		d=${d%/}
		[ -f "$d/lab.conf" ] || continue
		title= kind= chapters=
		. "$d/lab.conf"
		points=?
		if [ -x "src-generated/$d/grade.sh" ]; then
			points=$("src-generated/$d/grade.sh" --points 2> /dev/null || echo ?)
		fi
		printf '%-4s %-18s %-15s %-32s %s\n' "$(basename "$d" | cut -d- -f1)" \
			"$(basename "$d" | cut -d- -f2-)" "$kind" "$chapters" "$points"
		printf '     %s\n' "$title"
	done
	echo "make lab-start LAB=NN applies a lab's starting point; make grade LAB=NN grades it."
}

# Are the files a patch touches as they were committed (or, in a handout,
# as they were handed out)?
unchanged() {
	local f
	if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
		git diff --quiet HEAD -- "$@" 2> /dev/null
		return
	fi
	[ -f labs/pristine.sha256 ] || return 1
	for f in "$@"; do
		grep -q " $f\$" labs/pristine.sha256 || return 1
		sha256sum --status -c <(grep " $f\$" labs/pristine.sha256) || return 1
	done
}

cmd_start() {
	local d files
	d=$(lab_dir "${1:-}") || exit 2
	if [ ! -s "$d/start.patch" ]; then
		echo "labs: lab ${d#labs/} starts from the chapters as they are: nothing to apply."
		echo "labs: read its chapter, edit, then 'make tangle && make' and 'make grade LAB=${1}'."
		return 0
	fi
	files=$(patch_files "$d/start.patch" | tr "\n" " ")
	files=${files% }
	# shellcheck disable=SC2086
	if ! unchanged $files; then
		die "lab ${d#labs/} changes $files, which you have changed since the last commit; commit (or stash) your work first, so that nothing is lost"
	fi
	if ! patch -p1 -F0 -N --dry-run -s < "$d/start.patch" > /dev/null 2>&1; then
		die "$d/start.patch does not apply to these chapters (a lab already started? 'git diff' shows your changes)"
	fi
	patch -p1 -F0 -N --no-backup-if-mismatch -s < "$d/start.patch" ||
		die "$d/start.patch failed half-way"
	echo "labs: lab ${d#labs/} started: $files changed."
	echo "labs: read its chapter, edit, then 'make tangle && make' and 'make grade LAB=${1}'."
}

cmd_grade() {
	local d grader
	d=$(lab_dir "${1:-}") || exit 2
	if command -v notangle > /dev/null; then
		tangle/tangle.sh > /dev/null || die "the chapters do not tangle: the grader cannot run (make tangle says why)"
	fi
	grader=src-generated/$d/grade.sh
	[ -x "$grader" ] || die "$grader is missing: no chapter defines it (make tangle)"
	"$grader"
}

# A scratch copy of this tree, for check: the sources as they are in the
# working tree, the build output of make all (so that only what a patch
# changes is rebuilt), the dependencies linked, not copied.
# Kbuild keeps the module's objects' commands and dependencies under
# their absolute paths (build/host/.NAME.o.cmd), and rebuilds every
# object whose path it has no command for: those paths are moved to
# the copy, so that Kbuild, too, compiles only the files a patch changes.
scratch_copy() {
	local to=$1 f here there text
	mkdir -p "$to/build"
	for f in *; do
		[ "$f" = build ] || cp -a "$f" "$to/"
	done
	for f in host launcher guest user tests vm tools disk tangle.stamp; do
		[ -e "build/$f" ] && cp -a "build/$f" "$to/build/"
	done
	rm -rf "$to/build/tests/logs"
	ln -s "$top/build/deps" "$to/build/deps"
	here=$(pwd -P)/build/host/ there=$(cd "$to" && pwd -P)/build/host/
	grep -rlIF -- "$here" "$to/build/host" 2> /dev/null |
		while IFS= read -r f; do
			text=$(cat "$f"; echo .)
			text=${text%.}
			printf '%s' "${text//"$here"/"$there"}" > "$f.moved"
			touch -r "$f" "$f.moved"
			mv "$f.moved" "$f"
		done
}

# score_of LOG: "X Y" from the grader's last "Score: X/Y".
score_of() {
	sed -n 's/^Score: \([0-9]*\)\/\([0-9]*\)$/\1 \2/p' "$1" | tail -1
}

# check_one LAB-DIR: start, grade, reference, grade; PASS/FAIL lines.
check_one() {
	local d=$1 nn scratch log s got total t0 ok=1
	nn=${d#labs/}; nn=${nn%%-*}
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/whelp-lab-$nn.XXXXXX")
	log=build/labs/check-${d#labs/}.log
	mkdir -p build/labs
	t0=$(date +%s)
	scratch_copy "$scratch"
	{
		echo "== $d: the starting point"
		(cd "$scratch" && apply_patch "$d/start.patch") || ok=0
		# Below full is all the start must prove: its first lost
		# check does (chapter "Taking a lab").
		[ $ok = 1 ] && (cd "$scratch" && LAB_STOP_AT_LOSS=1 tools/labs.sh grade "$nn")
	} > "$log" 2>&1
	s=$(score_of "$log")
	if [ $ok = 0 ]; then
		echo "FAIL: lab $nn: start.patch does not apply cleanly (see $log)"
	elif [ -z "$s" ]; then
		echo "FAIL: lab $nn: the grader printed no score on the starting point (see $log)"; ok=0
	else
		read -r got total <<< "$s"
		if [ "$got" -lt "$total" ]; then
			echo "PASS: lab $nn: the starting point scores $got/$total, below full"
		else
			echo "FAIL: lab $nn: the starting point scores full marks, $got/$total: the grader proves nothing (see $log)"; ok=0
		fi
	fi
	if [ $ok = 1 ]; then
		{
			echo "== $d: the reference"
			(cd "$scratch" && apply_patch "$d/reference.patch") &&
				(cd "$scratch" && LAB_STOP_AT_LOSS=0 tools/labs.sh grade "$nn")
		} >> "$log" 2>&1
		s=$(sed -n '/^== .*: the reference$/,$p' "$log" | score_of /dev/stdin)
		if [ -z "$s" ]; then
			echo "FAIL: lab $nn: the reference was not graded (see $log)"
		else
			read -r got total <<< "$s"
			if [ "$got" -eq "$total" ]; then
				echo "PASS: lab $nn: the reference scores full marks, $got/$total ($(( $(date +%s) - t0 )) s)"
			else
				echo "FAIL: lab $nn: the reference scores $got/$total, not full (see $log)"
				sed -n '/^== .*: the reference$/,$p' "$log" |
					grep '^  FAIL' | head -5 | sed 's/^/    /'
			fi
		fi
	fi
	rm -rf "$scratch"
	echo $(( $(date +%s) - t0 )) > "build/labs/seconds-$nn"
}

cmd_check() {
	local labs=() d n jobs=${LABS_JOBS:-2} running=0 i nn secs order
	if [ $# -gt 0 ] && [ -n "$*" ]; then
		for n in $*; do
			d=$(lab_dir "$n") || exit 2
			labs+=("$d")
		done
	else
		for d in labs/[0-9][0-9]-*/; do [ -f "$d/lab.conf" ] && labs+=("${d%/}"); done
	fi
	[ ${#labs[@]} -gt 0 ] || die "there are no labs"
	mkdir -p build/labs
	# Two at a time by default: each boots a one-processor VM. The labs
	# that took longest last time start first (one never timed, first of
	# all), so that no long lab is left running alone at the end; the
	# results are printed in the labs' order all the same.
	order=$(for ((i = 0; i < ${#labs[@]}; i++)); do
			nn=${labs[i]#labs/}; nn=${nn%%-*}
			secs=$(cat "build/labs/seconds-$nn" 2> /dev/null) || secs=
			[[ $secs =~ ^[0-9]+$ ]] || secs=999999
			echo "$secs $i"
		done | sort -k1,1nr -k2,2n | cut -d' ' -f2)
	for i in $order; do
		check_one "${labs[i]}" > "build/labs/result-$i" &
		running=$((running + 1))
		if [ $running -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
	done
	wait
	for ((n = 0; n < ${#labs[@]}; n++)); do
		cat "build/labs/result-$n"; rm -f "build/labs/result-$n"
	done
}

cmd_handout() {
	local out=${1:-build/whelp-handout.tar.gz} tmp
	git rev-parse --is-inside-work-tree > /dev/null 2>&1 ||
		die "make handout needs the git repository (it hands out HEAD)"
	git diff --quiet HEAD -- labs chapters ||
		echo "labs: note: uncommitted changes to chapters/ or labs/ are not in the handout (it is HEAD)" >&2
	tmp=$(mktemp -d)
	mkdir -p "$tmp/whelp"
	git archive HEAD | tar -x -C "$tmp/whelp"
	rm -f "$tmp"/whelp/labs/*/reference.patch
	(cd "$tmp/whelp" && sha256sum chapters/*.nw > labs/pristine.sha256)
	mkdir -p "$(dirname "$out")"
	tar -czf "$out" -C "$tmp" whelp
	rm -rf "$tmp"
	echo "labs: wrote $out (HEAD $(git rev-parse --short HEAD), without reference solutions)"
}

# refresh NN: apply the patches with fuzz to a copy of the chapters and
# write them again against the chapters as they are.
cmd_refresh() {
	local d tmp f
	d=$(lab_dir "${1:-}") || exit 2
	tmp=$(mktemp -d)
	cp -a chapters "$tmp/orig"
	mkdir -p "$tmp/work"
	cp -a chapters "$tmp/work/chapters"
	(cd "$tmp/work" && { [ ! -s "$top/$d/start.patch" ] ||
		patch -p1 -N --no-backup-if-mismatch < "$top/$d/start.patch"; }) ||
		die "$d/start.patch does not apply even with fuzz: mend it by hand"
	cp -a "$tmp/work/chapters" "$tmp/start"
	(cd "$tmp/work" && { [ ! -s "$top/$d/reference.patch" ] ||
		patch -p1 -N --no-backup-if-mismatch < "$top/$d/reference.patch"; }) ||
		die "$d/reference.patch does not apply even with fuzz: mend it by hand"
	write_diff() {
		local from=$1 to=$2 f
		for f in $(cd "$to" && ls *.nw) ; do
			diff -u --label "a/chapters/$f" --label "b/chapters/$f" \
				"$from/$f" "$to/$f"
		done
	}
	write_diff "$tmp/orig" "$tmp/start" > "$d/start.patch"
	write_diff "$tmp/start" "$tmp/work/chapters" > "$d/reference.patch"
	rm -rf "$tmp"
	echo "labs: rewrote $d/start.patch and $d/reference.patch"
}

case ${1:-} in
list) cmd_list ;;
start) cmd_start "${2:-}" ;;
grade) cmd_grade "${2:-}" ;;
check) shift; cmd_check "$@" ;;
handout) cmd_handout "${2:-}" ;;
refresh) cmd_refresh "${2:-}" ;;
*) die "usage: labs.sh list | start NN | grade NN | check [NN...] | handout [FILE] | refresh NN" ;;
esac
