#!/bin/bash
# make book: weave every chapter into one LaTeX file and build the PDF.
# Fails on a LaTeX error or warning, an over- or underfull box, an undefined
# reference, citation or chunk, and on a guillemet or curly quote in code.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/book
mkdir -p "$out"
fail() { echo "book: $*" >&2; exit 1; }

# One noweave run over all chapters: chunk names are global, so the chunk
# cross-references and both indexes span the whole book.  noweave's own
# autodefs would take a return type for the name a function defines, so the
# filter book/cdefs.awk finds the definitions (and drops duplicates and test
# programs' local names); "@ %def" lines add what it misses.
noweave -n -t8 -filter "awk -f $top/book/cdefs.awk" -index chapters/*.nw > "$out/woven.tex"

if grep -q 'nw@notdef' "$out/woven.tex"; then
	echo "book: a chunk is used but never defined:" >&2
	grep -o 'nw@notdef}{[^}]*}' "$out/woven.tex" | sort -u >&2 || true
	exit 1
fi

# Where each chunk opens: FILE LINE, one line per "<<name>>=", in the order
# noweave meets them.
for f in chapters/*.nw; do
	awk -v f="${f#chapters/}" '/^<<.*>>=[ \t]*$/ { print f, FNR }' "$f"
done > "$out/chunk-lines"

# Rewrite the woven file:
# - a \part heading, with its paragraph, before the first chapter of each
#   part, after whatever of the previous chapter's last chunk shares the line;
# - \whelpsrc{FILE}{LINE} on the line that opens each chunk;
# - straight quotes in quoted code ([[...]]), which is not read as code.
# It also writes files.tex, the table of generated files.
awk -v lines="$out/chunk-lines" -v manifest=tangle/manifest -v files="$out/files.tex" '
function part(n) {
	if (n ~ /^0/) return "Preparation"
	if (n ~ /^1/) return "The Guest"
	if (n ~ /^2/) return "The Launcher"
	if (n ~ /^[34]/) return "The Host"
	if (n ~ /^5/) return "The Switcher"
	if (n ~ /^6/) return "Proving it"
	if (n ~ /^7/) return "Mastery"
	return "Appendices"
}
function blurb(p) {
	if (p == "Preparation") return "What Whelp is, how one source becomes both a working hypervisor and this book, and the one header, the ABI, that the Host, the Launcher and the Guest share."
	if (p == "The Guest") return "pup, the small kernel that runs under Whelp in ring~1: how it boots, builds its own page tables, takes traps and interrupts, and runs programs in ring~3. It comes first because what a Host must do is easiest to see from what a Guest asks of it."
	if (p == "The Launcher") return "The user program that gives a Guest its memory, loads its kernel image, and then loops: it asks the Host to run the Guest and does what the Guest asks of the outside world."
	if (p == "The Host") return "The kernel module that keeps a Guest in its box: the device it offers the Launcher, the run loop, hypercalls, the Guest memory, the shadow page tables, interrupts, segments and time. Every value the Guest hands it is checked here."
	if (p == "The Switcher") return "One page of assembly language, mapped at the same address in the host and in the Guest, that changes the processor from one world to the other and back."
	if (p == "Proving it") return "The tests that try to break the promises of the earlier parts: scenarios in the host VM, hostile Guests, fuzzing, the benchmark, and what the processor checks for us."
	if (p == "Mastery") return "Exercises and extensions for the reader who has come this far."
	return ""
}
function texpath(s) { gsub(/_/, "{\\_}", s); return s }
function quotes(s,    r, i, j, q) {
	# straight quotes inside {\Tt{}...\nwendquote}
	r = ""
	while ((i = index(s, "{\\Tt{}")) > 0) {
		r = r substr(s, 1, i + 5); s = substr(s, i + 6)
		j = index(s, "\\nwendquote}")
		if (j == 0) { j = length(s) + 1 }
		q = substr(s, 1, j - 1); s = substr(s, j)
		gsub(/'\''/, "\\textquotesingle{}", q)
		gsub(/`/, "\\textasciigrave{}", q)
		gsub(/\{\\_\}/, "{\\_}\\allowbreak{}", q)
		# and after a dot between letters (shadow.page_faults)
		while (match(q, /[a-z]\.[a-z]/))
			q = substr(q, 1, RSTART + 1) "\\allowbreak{}" substr(q, RSTART + 2)
		r = r q
	}
	return r s
}
BEGIN {
	while ((getline l < lines) > 0) { nchunks++; split(l, a, " "); cfile[nchunks] = a[1]; cline[nchunks] = a[2] }
	while ((getline l < manifest) > 0) {
		if (l ~ /^#/ || l ~ /^[ \t]*$/) continue
		split(l, a, /[ \t]+/); nroots++; root[nroots] = a[1]; isroot[a[1]] = 1
	}
}
/\\nwfilename\{chapters\// {
	f = $0; sub(/.*\\nwfilename\{chapters\//, "", f); sub(/\}.*/, "", f); chapfile = f
	p = part(substr(f, 1, 2))
	if (p != last) {
		i = index($0, "\\nwfilename{")
		if (i > 1) print substr($0, 1, i - 1)
		$0 = substr($0, i)
		print "\\whelppart{" p "}{" blurb(p) "}"
		last = p
	}
}
/\\label\{chap:/ && !(chapfile in chaplabel) {
	c = $0; sub(/.*\\label\{/, "", c); sub(/\}.*/, "", c); chaplabel[chapfile] = c
}
{
	line = quotes($0)
	out = ""
	while ((i = index(line, "\\nwbegincode{")) > 0) {
		seen++
		j = index(substr(line, i), "\\nwenddeflinemarkup")
		if (j == 0) { print "book: a chunk header without \\nwenddeflinemarkup" > "/dev/stderr"; exit 1 }
		j += i - 1 + length("\\nwenddeflinemarkup")
		head = substr(line, i, j - i)
		if (match(head, /\\sublabel\{[^}]*\}/)) {
			lab = substr(head, RSTART + 10, RLENGTH - 11)
			if (match(head, /\\moddef\{[^~]*~/)) {
				name = substr(head, RSTART + 8, RLENGTH - 9)
				gsub(/\{\\_\}/, "_", name)
				if ((name in isroot) && !(name in rootlab)) { rootlab[name] = lab; rootfile[name] = chapfile }
			}
		}
		out = out substr(line, 1, j - 1) "\\whelpsrc{" cfile[seen] "}{" cline[seen] "}"
		line = substr(line, j)
	}
	print out line
}
END {
	if (seen != nchunks) {
		printf "book: woven file has %d chunks, chapters have %d\n", seen, nchunks > "/dev/stderr"
		exit 1
	}
	print "\\begin{longtable}{@{}lll@{}}" > files
	print "\\toprule file (under \\texttt{src-generated/}) & chapter & chunk \\\\ \\midrule\\endhead" > files
	print "\\bottomrule\\endfoot" > files
	for (k = 1; k <= nroots; k++) {
		r = root[k]
		if (!(r in rootlab)) { print "book: manifest root " r " is not in the book" > "/dev/stderr"; exit 1 }
		cf = rootfile[r]
		printf "\\texttt{%s} & %s & \\subpageref{%s} \\\\\n", texpath(r), (cf in chaplabel) ? "\\ref{" chaplabel[cf] "} (\\texttt{" texpath(cf) "})" : texpath(cf), rootlab[r] > files
	}
	print "\\end{longtable}" > files
}' "$out/woven.tex" |
# A chunk's footers stay with its last line: the line break before them
# would end that line with a place to break the page (noweb's code lines
# each end with one), so join the footer's line to the code line before it.
awk '
# A held line that ends in "\eatline" (after an "@ %def" line) would eat
# the footer joined to it: strip it, and put it back if nothing is joined.
function flush() { if (held) print pending (eat ? "\\eatline" : ""); held = 0; eat = 0 }
function hold(s) {
	eat = (s ~ /\\eatline$/); if (eat) sub(/\\eatline$/, "", s)
	pending = s; held = 1
}
function lastpos(s, t,    p, q) { p = 0; while ((q = index(substr(s, p + 1), t)) > 0) p += q; return p }
function state(s, cur,    b, e) {
	b = lastpos(s, "\\nwbegincode{"); e = lastpos(s, "\\nwendcode")
	if (b == 0 && e == 0) return cur
	return b > e
}
/^\\eatline$/ && held { eat = 0; next }
/^\\(nwused|nwnotused|nwalsodefined|nwindexdefn)/ && held {
	s = pending; eat = 0
	incode = state($0, incode)
	if (incode) hold(s $0); else { held = 0; print s $0 }
	next
}
{
	flush()
	incode = state($0, incode)
	if (incode) hold($0); else print
}
END { flush() }' > "$out/chapters.tex"

cp book/whelp.tex book/preamble.tex book/whelp.bib book/preface.tex \
	book/glossary.tex book/machinery.tex "$out/"
export TEXINPUTS=".:$top/figures:$top/book:$top:"
export BIBINPUTS="$top/book:"
cd "$out"
run_latex() {
	if ! pdflatex -interaction=nonstopmode -halt-on-error whelp.tex > latex.log 2>&1; then
		echo "book: LaTeX failed:" >&2
		grep -A5 '^!' whelp.log >&2 || tail -30 latex.log >&2
		exit 1
	fi
}
run_latex
bibtex -terse whelp > bibtex.log 2>&1 || { cat bibtex.log >&2; fail "bibtex failed"; }
if grep -q 'Warning' bibtex.log; then cat bibtex.log >&2; fail "bibtex warned"; fi
# Run LaTeX until the cross-references settle: no "Rerun" request and the
# .aux file the same as last time; give up after eight runs.
runs=1
while :; do
	cp whelp.aux whelp.aux.prev
	run_latex
	runs=$((runs + 1))
	if ! grep -Eq '[Rr]erun (to get|LaTeX)|Label\(s\) may have changed|undefined references' whelp.log &&
	   cmp -s whelp.aux whelp.aux.prev; then
		break
	fi
	[ "$runs" -lt 8 ] || fail "cross-references still change after $runs LaTeX runs"
done

# No warning of any kind, no over- or underfull box.
if grep -E 'Warning|pdfTeX warning|Overfull|Underfull|undefined' whelp.log > problems.log; then
	sed 's/^/    /' problems.log >&2
	# Where each bad line of chapters.tex comes from: in a chunk, the
	# chunk's \whelpsrc line plus the offset; in prose, the chapter.
	sed -n 's/.*full \\hbox.* at lines \([0-9]*\)--.*/\1/p' problems.log |
	while read -r n; do
		head -n "$n" chapters.tex | awk -v n="$n" '
			/\\nwfilename\{/ { f = $0; sub(/.*\\nwfilename\{chapters\//, "", f); sub(/\}.*/, "", f); c = 0 }
			/\\nwendcode/ { c = 0 }
			/\\whelpsrc\{/ { s = $0; sub(/.*\\whelpsrc\{/, "", s); split(s, a, /\}\{|\}/); cf = a[1]; cl = a[2]; k = NR; c = 1 }
			END { if (c) printf "    line %d of chapters.tex: chapters/%s:%d\n", n, cf, cl + n - k
			      else printf "    line %d of chapters.tex: prose of chapters/%s\n", n, f }'
	done >&2
	fail "$(wc -l < problems.log) LaTeX warnings or bad boxes (see $out/whelp.log)"
fi

# Code prints as typed: no guillemet (a << or >> ligature) anywhere, and no
# curly quote around a character literal ('x', '\0').
pdftotext -enc UTF-8 whelp.pdf whelp.txt
if grep -nP '[\x{00ab}\x{00bb}]' whelp.txt > quotes.log ||
   grep -nP "[\x{2018}\x{2019}]\\\\?.[\x{2018}\x{2019}]" whelp.txt >> quotes.log; then
	sed 's/^/    /' quotes.log | head -20 >&2
	fail "$(wc -l < quotes.log) lines of the PDF's text show a guillemet or curly quote in code"
fi
echo "book: $out/whelp.pdf ($(pdfinfo whelp.pdf 2>/dev/null | sed -n 's/^Pages: *//p') pages, $runs LaTeX runs)"
