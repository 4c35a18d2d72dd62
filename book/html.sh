#!/bin/bash
# make html: the HTML edition of the book in build/book/html/.
# The front end is book/weave.sh's: one noweb pipeline over all chapters,
# with book/cdefs.awk finding the definitions and "@ %def" lines adding
# the rest, so chunks, identifiers and both indexes are the PDF's.
# book/html/weave.js renders the code and hands the prose to pandoc;
# each figure's TikZ is compiled alone (standalone class) and converted
# to SVG with pdftocairo.  book/*.bib, when there is one, becomes the
# bibliography page and \cite becomes a link into it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
work=build/book/html-work
out=build/book/html
mkdir -p "$work/fig" "$work/svg"
rm -rf "$out"
mkdir -p "$out/figures"

# The filters are the ones book/weave.sh gives noweave (-filter "..."),
# so that the two editions define and index the same identifiers.
nw=/usr/lib/noweb
filters=$(grep -o -- "-filter \"[^\"]*\"" book/weave.sh | sed "s/^-filter \"//; s/\"$//" |
	sed "s|\$top|$top|g" | paste -sd"|" -)
[ -n "$filters" ] || filters="awk -f $top/book/cdefs.awk"
"$nw/markup" -t8 chapters/*.nw | eval "$filters" | "$nw/finduses" |
	"$nw/noidx" > "$work/book.nwi"

# The parts, as book/weave.sh chooses them: "if (n ~ /^1/) return "Name"".
sed -n 's/^[[:space:]]*if (n ~ \/\(\^[^/]*\)\/) return "\([^"]*\)".*/\1=\2/p' \
	book/weave.sh > "$work/parts"
# ... and the paragraph each part opens with, when weave.sh has them.
sed -n 's/^[[:space:]]*if (p == "\([^"]*\)") return "\(.*\)"[[:space:]]*$/\1=\2/p' \
	book/weave.sh > "$work/blurbs"

bibs=$(ls book/*.bib 2>/dev/null || true)
rm -f "$work/fig/"*.body.tex
# shellcheck disable=SC2086
node book/html/weave.js "$work/book.nwi" "$out" "$work/fig" "$work/parts" $bibs

# Figures: the preamble weave.js wrote (the TikZ set-up of book/preamble.tex),
# the picture alone on its page, two at a time.  A figure is rebuilt only
# when its picture, the preamble, this script or a file in figures/ (which
# pictures \input, and plots read) changed.
export TEXINPUTS="$top/figures:$top/book:$top:"
export work out
figsum=$(cat "$work/fig-preamble.tex" figures/* book/html.sh 2>/dev/null | sha1sum | cut -c1-16)
export figsum
figure() {
	local h=$1 key svg
	key=$( (echo "$figsum"; cat "$work/fig/$h.body.tex") | sha1sum | cut -c1-16)
	svg="$work/svg/$key.svg"
	if [ ! -s "$svg" ]; then
		{
			cat "$work/fig-preamble.tex"
			echo '\begin{document}'
			grep -v '^[[:space:]]*$' "$work/fig/$h.body.tex"
			echo '\end{document}'
		} > "$work/fig/$h.tex"
		if ! (cd "$work/fig" && pdflatex -interaction=nonstopmode -halt-on-error "$h.tex" > "$h.out" 2>&1); then
			echo "html: a figure failed to compile ($work/fig/$h.tex):" >&2
			grep -A5 '^!' "$work/fig/$h.log" >&2 || tail -20 "$work/fig/$h.out" >&2
			return 1
		fi
		pdftocairo -svg "$work/fig/$h.pdf" "$svg.tmp"
		# a fifth larger: the body text is larger on a screen than on paper
		perl -pi -e 'if ($. <= 2) { s/width="([\d.]+)pt" height="([\d.]+)pt"/sprintf(q{width="%.3fpt" height="%.3fpt"}, $1 * 1.2, $2 * 1.2)/e }' "$svg.tmp"
		mv "$svg.tmp" "$svg"
	fi
	cp "$svg" "$out/figures/$h.svg"
}
export -f figure
if ! grep . "$work/fig/list" | xargs -r -n1 -P2 bash -c 'figure "$1"' figure; then
	echo "html: a figure failed" >&2
	exit 1
fi

cp book/html/whelp.css book/html/search.js "$out/"
