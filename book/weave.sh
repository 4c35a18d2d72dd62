#!/bin/bash
# make book: weave every chapter into one LaTeX file and build the PDF.
# Fails on a LaTeX error, an undefined reference or an undefined chunk.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/book
mkdir -p "$out"


# One noweave run over all chapters: chunk names are global, so the chunk
# cross-references and both indexes span the whole book.  autodefs finds C
# functions, globals, typedefs and macros; "@ %def" lines add the rest.
noweave -n -t8 -filter "awk -f $top/book/cdefs.awk" -index chapters/*.nw > "$out/woven.tex"

if grep -q 'nw@notdef' "$out/woven.tex"; then
	echo "book: a chunk is used but never defined:" >&2
	grep -o 'nw@notdef}{[^}]*}' "$out/woven.tex" | sort -u >&2 || true
	exit 1
fi

# Put a \part heading before the first chapter of each part.
awk '
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
/\\nwfilename\{chapters\// {
	f = $0; sub(/.*\\nwfilename\{chapters\//, "", f); n = substr(f, 1, 2)
	p = part(n)
	if (p != last) { print "\\part{" p "}"; last = p }
}
{ print }' "$out/woven.tex" > "$out/chapters.tex"

cp book/whelp.tex book/preamble.tex "$out/"
export TEXINPUTS="$top/figures:$top/book:"
cd "$out"
run_latex() {
	if ! pdflatex -interaction=nonstopmode -halt-on-error whelp.tex > latex.log 2>&1; then
		echo "book: LaTeX failed:" >&2
		grep -A5 '^!' whelp.log >&2 || tail -30 latex.log >&2
		exit 1
	fi
}
run_latex
run_latex
run_latex
if grep -E 'undefined references|Reference .* undefined|Citation .* undefined' whelp.log >&2; then
	echo "book: undefined references (see $out/whelp.log)" >&2
	exit 1
fi
echo "book: $out/whelp.pdf ($(pdfinfo whelp.pdf 2>/dev/null | sed -n 's/^Pages: *//p') pages)"
