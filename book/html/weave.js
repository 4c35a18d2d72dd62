#!/usr/bin/env node
// The HTML edition's back end (book/html.sh runs it).  It reads the noweb
// pipeline's intermediate form (markup | cdefs.awk | finduses | noidx, the
// same front end book/weave.sh gives totex), renders every code chunk
// itself, with links for chunk definitions, continuations, uses and
// identifiers, and hands the prose to pandoc as one LaTeX document, so that
// pandoc numbers chapters, sections and figures over the whole book and
// resolves \ref.  The HTML pandoc writes is then cut into one page per
// chapter file and every #label link is pointed at the page that holds it.
//
// Each figure's picture is left in FIGDIR as HASH.body.tex (FIGDIR/list
// names them, ../fig-preamble.tex is their preamble) for html.sh to turn
// into OUTDIR/figures/HASH.svg.
//
// usage: weave.js NWI OUTDIR FIGDIR PARTS [BIB...]
//   NWI     the intermediate form of all chapters
//   OUTDIR  build/book/html
//   FIGDIR  where the figures' pictures go
//   PARTS   "chapter-number regexp=Part name" lines, from book/weave.sh;
//           beside it, "blurbs": "Part name=paragraph" lines
//   BIB     book/*.bib: pandoc's citeproc makes the bibliography page
'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');
const crypto = require('crypto');

const [nwiFile, outDir, figDir, partsFile, ...bibs] = process.argv.slice(2);

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
	.replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const lines = fs.readFileSync(nwiFile, 'utf8').split('\n');

// ------------------------------------------------------------ pass 1
// Files, chunk labels, chunk numbers.  A code chunk's own label is the
// first "@xref label" after "@begin code"; its number is "C.K", C the
// chapter's number, K its place in the chapter.
const files = [];		// {src, stem, chapterNo, title}
const chunkOf = {};		// label -> {file, num, name}
{
	let file = null, inCode = false, haveLabel = false, k = 0, chap = 0;
	let inDocs = false;
	for (const l of lines) {
		if (l.startsWith('@file ')) {
			const src = l.slice(6);
			file = { src, stem: path.basename(src, '.nw'),
				chapterNo: null, title: null };
			files.push(file); k = 0;
		} else if (l.startsWith('@begin code')) {
			inCode = true; haveLabel = false; k++;
		} else if (l.startsWith('@end code')) {
			inCode = false;
		} else if (l.startsWith('@begin docs')) {
			inDocs = true;
		} else if (l.startsWith('@end docs')) {
			inDocs = false;
		} else if (inCode && !haveLabel && l.startsWith('@xref label ')) {
			haveLabel = true;
			file.pendingLabel = l.slice(12);
		} else if (inCode && l.startsWith('@defn ') && file.pendingLabel) {
			chunkOf[file.pendingLabel] = { file, k, name: l.slice(6) };
			file.pendingLabel = null;
		} else if (inDocs && file && file.chapterNo === null &&
				/\\chapter\{/.test(l)) {
			file.chapterNo = ++chap;
		}
	}
	for (const f of files)
		if (f.chapterNo === null) f.chapterNo = 0;
	for (const c of Object.values(chunkOf))
		c.num = (c.file.chapterNo ? c.file.chapterNo : c.file.stem.replace(/-.*/, '')) + '.' + c.k;
}
// Where each chunk opens in its chapter file, as book/weave.sh prints it:
// the K-th "<<name>>=" line of the file.
for (const f of files) {
	f.chunkLines = [];
	try {
		fs.readFileSync(f.src, 'utf8').split('\n').forEach((l, i) => {
			if (/^<<.*>>=[ \t]*$/.test(l)) f.chunkLines.push(i + 1);
		});
	} catch (e) { /* no source file: no line numbers */ }
}
for (const c of Object.values(chunkOf))
	c.line = c.file.chunkLines[c.k - 1];
const mainChapters = Math.max(0, ...files.map((f) => f.chapterNo));

// The front and back matter: the files book/whelp.tex inputs besides the
// preamble and the chapters (a preface, appendices, a glossary...).
const front = [], back = [];
{
	const master = fs.readFileSync(path.join(__dirname, '..', 'whelp.tex'), 'utf8')
		.replace(/(^|[^\\])%.*$/gm, '$1');
	const body = master.slice(master.indexOf('\\begin{document}'));
	let where = front;
	for (const m of body.matchAll(/\\(mainmatter|appendix|backmatter)\b|\\input\{([^}]*)\}|\\chapter\{([^}]*)\}\s*\\label\{([^}]*)\}/g)) {
		if (m[3] !== undefined) {
			// a chapter the master file writes itself: the indexes, the
			// table of generated files; the HTML edition makes its own.
			const stem = /chunk/i.test(m[3]) ? 'chunks' : /identifier/i.test(m[3]) ? 'identifiers' :
				/file/i.test(m[3]) ? 'files' : null;
			if (where === back && stem) back.push({ inline: true, stem, title: m[3], label: m[4] });
			continue;
		}
		if (m[1] === 'mainmatter') where = null;
		else if (m[1]) where = back;
		else if (where && !/^(preamble|chapters|files)(\.tex)?$/.test(m[2])) {
			const src = path.join('book', m[2].replace(/\.tex$/, '') + '.tex');
			if (fs.existsSync(src))
				where.push({ src, stem: path.basename(src, '.tex'), chapterNo: 0,
					chunkLines: [], matter: where === front ? 'front' : 'back' });
		}
	}
}
const allFiles = [...front, ...files, ...back.filter((f) => !f.inline)];
// Appendices are lettered in the master file's order; pandoc numbers the
// ones it typesets after the main chapters.
const letterOf = (i) => String.fromCharCode(65 + i);
back.forEach((f, i) => { f.letter = letterOf(i); });
const pandocBack = back.filter((f) => !f.inline);
const inlineHeading = (stem, fallback) => {
	const f = back.find((b) => b.inline && b.stem === stem);
	return f ? `<h1 id="${esc(f.label)}"><span class="header-section-number">${f.letter}</span> ${esc(f.title)}</h1>`
		: `<h1>${fallback}</h1>`;
};
const pageOf = (f) => f.stem + '.html';
const chunkHref = (label, here) => {
	const c = chunkOf[label];
	if (!c) return '#' + label;
	return (c.file === here ? '' : pageOf(c.file)) + '#' + label;
};

// Chunk names may quote code with [[...]].
const nameHtml = (n) => esc(n).replace(/\[\[(.*?)\]\]/g, '<code>$1</code>');
const chunkRef = (label, here, cls) => {
	const c = chunkOf[label];
	const name = c ? nameHtml(c.name) : esc(label);
	const num = c ? c.num : '?';
	return `<a class="${cls || 'cref'}" href="${chunkHref(label, here)}">` +
		`⟨${name}&nbsp;<span class="cnum">${num}</span>⟩</a>`;
};
const numRef = (label, here) => {
	const c = chunkOf[label];
	return `<a class="cnumref" href="${chunkHref(label, here)}">${c ? c.num : '?'}</a>`;
};
const idRef = (name, label, here) =>
	`<a class="id" href="${chunkHref(label, here)}">${esc(name)}</a>`;
const list = (a) => a.length <= 1 ? a.join('') :
	a.slice(0, -1).join(', ') + ' and ' + a[a.length - 1];
const uniq = (a) => [...new Set(a)];

// ------------------------------------------------------------ pass 2
// The prose of the whole book becomes one LaTeX document in which every
// code chunk and every [[quote]] is a placeholder word.
const quotes = [];		// [html, text]
const codes = [];		// html
const figures = [];		// {hash, body}
let latex = '';
// A file of front or back matter, as LaTeX for pandoc: noweb's quoted
// code as \texttt; a chapter before the main matter is not numbered.
const matterTex = (f) => {
	let t = fs.readFileSync(f.src, 'utf8')
		.replace(/\{\\Tt\{\}([\s\S]*?)\\nwendquote\}/g, '\\texttt{$1}');
	if (f.matter === 'front') t = t.replace(/\\chapter\{/g, '\\chapter*{');
	return `\n\nWHELPFILE${allFiles.indexOf(f)}X\n\n` + t + '\n\n';
};
let fileIdx = -1, here = null;
const search = [];		// {t: text, k: kind, u: url}

function figureSub(text) {
	// Each figure's picture (what lies between \centering and \caption)
	// becomes an SVG made by html.sh; pandoc keeps caption and label.
	return text.replace(/\\begin\{figure(\*?)\}(\[[^\]]*\])?([\s\S]*?)\\end\{figure\1\}/g,
		(all, star, opt, inner) => {
			let m = inner.match(/^([\s\S]*?)(\\caption[\s\S]*)$/);
			let body = m ? m[1] : inner, rest = m ? m[2] : '';
			body = body.replace(/\\centering/g, '');
			// Quoted code inside a picture: give LaTeX its text back.
			body = body.replace(/WHELPQ(\d+)X/g, (s, i) =>
				'\\texttt{' + quotes[+i][1].replace(/([_#$%&{}])/g, '\\$1') + '}');
			// a picture the book scales to the line is as wide as the text
			const wide = /^\s*\\resizebox\{\\(line|text)width\}/.test(body);
			body = body.replace(/^\s*\\resizebox\{[^}]*\}\{[^}]*\}\{([\s\S]*)\}\s*$/, '$1');
			const hash = crypto.createHash('sha1').update(body).digest('hex').slice(0, 16);
			figures.push({ hash, body });
			return `\\begin{figure}\n\\includegraphics${wide ? '[width=1.0\\textwidth]' : ''}{figures/${hash}.svg}\n${rest}\\end{figure}`;
		});
}

{
	let inCode = false, inQuote = false, docBuf = '', qHtml = '', qText = '';
	let pendingRef = null, pendingUse = null;
	let code = null;
	const flushDocs = () => { latex += figureSub(docBuf); docBuf = ''; };
	const textHtml = (t) => {
		if (pendingUse && t === pendingUse.name) {
			const h = idRef(t, pendingUse.ref, here);
			pendingUse = null;
			return h;
		}
		pendingUse = null;
		return esc(t);
	};
	for (let i = 0; i < lines.length; i++) {
		const l = lines[i];
		const sp = l.indexOf(' ');
		const kw = sp < 0 ? l : l.slice(0, sp);
		const arg = sp < 0 ? '' : l.slice(sp + 1);
		if (kw === '@file') {
			if (fileIdx < 0) for (const f of front) latex += figureSub(matterTex(f));
			here = files[++fileIdx];
			latex += `\n\nWHELPFILE${front.length + fileIdx}X\n\n`;
		} else if (kw === '@begin' && arg.startsWith('docs')) {
			docBuf = '';
		} else if (kw === '@end' && arg.startsWith('docs')) {
			flushDocs();
		} else if (kw === '@quote') {
			inQuote = true; qHtml = ''; qText = '';
		} else if (kw === '@endquote') {
			inQuote = false;
			// \item[[[NAME]]] is a description label in quoted code
			const label = /\\item\s*$/.test(docBuf) && /^\[.*\]$/.test(qText) && /^\[[\s\S]*\]$/.test(qHtml);
			if (label) { qText = qText.slice(1, -1); qHtml = qHtml.slice(1, -1); }
			quotes.push([qHtml, qText]);
			docBuf += label ? `[WHELPQ${quotes.length - 1}X]` : `WHELPQ${quotes.length - 1}X`;
		} else if (kw === '@begin' && arg.startsWith('code')) {
			inCode = true;
			code = { label: null, name: null, body: '', usedIn: [],
				notused: false, prev: null, next: null, contin: [],
				defs: [], uses: [], grp: null, isused: [] };
		} else if (kw === '@end' && arg.startsWith('code')) {
			inCode = false;
			codes.push(renderChunk(code));
			latex += `\n\nWHELPC${codes.length - 1}X\n\n`;
			code = null;
		} else if (kw === '@xref') {
			const [what, ...rest] = arg.split(' ');
			const a = rest.join(' ');
			if (what === 'ref') pendingRef = a;
			else if (!inCode) continue;
			else if (what === 'label' && !code.label) code.label = a;
			else if (what === 'prevdef') code.prev = a;
			else if (what === 'nextdef') code.next = a;
			else if (what === 'notused') code.notused = true;
			else if (what === 'beginuses') code.grp = 'usedIn';
			else if (what === 'begindefs') code.grp = 'contin';
			else if (what === 'useitem') code.usedIn.push(a);
			else if (what === 'defitem') code.contin.push(a);
		} else if (kw === '@index') {
			const [what, ...rest] = arg.split(' ');
			const a = rest.join(' ');
			if (what === 'use') pendingUse = { name: a, ref: pendingRef };
			else if (!inCode) continue;
			else if (what === 'isused') code.isused.push(a);
			else if (what === 'defitem') {
				code.defs.push({ name: a, usedIn: code.isused });
				code.isused = [];
			} else if (what === 'isdefined') code.isused.push(a);
			else if (what === 'useitem') {
				code.uses.push({ name: a, at: code.isused });
				code.isused = [];
			}
		} else if (kw === '@defn' && inCode) {
			code.name = arg;
		} else if (kw === '@use' && inCode) {
			code.body += `<span class="use">${chunkRef(pendingRef, here)}</span>`;
		} else if (kw === '@text') {
			if (inQuote) { qHtml += textHtml(arg); qText += arg; }
			else if (inCode) code.body += textHtml(arg);
			else docBuf += arg;
		} else if (kw === '@nl') {
			if (inQuote) { qHtml += ' '; qText += ' '; }
			else if (inCode) { if (code.name !== null && code.started) code.body += '\n'; code.started = true; }
			else docBuf += '\n';
		} else if (kw === '@xref' || kw === '@index') {
			// the book-wide indexes: read below
		}
	}
}

for (const f of pandocBack) latex += figureSub(matterTex(f));

function renderChunk(c) {
	const info = chunkOf[c.label] || { num: '?' };
	const first = c.prev ? ' +≡' : ' ≡';
	search.push({ t: c.name, k: 'chunk', u: pageOf(here) + '#' + c.label, n: info.num });
	let nav = '';
	if (c.prev) nav += ` <a class="prev" title="previous definition" href="${chunkHref(c.prev, here)}">◁</a>`;
	if (c.next) nav += ` <a class="next" title="next definition" href="${chunkHref(c.next, here)}">▷</a>`;
	const foot = [];
	if (c.contin.length)
		foot.push('This definition is continued in ' + list(c.contin.map((l) => numRef(l, here))) + '.');
	if (c.usedIn.length)
		foot.push('This code is used in ' + list(uniq(c.usedIn).map((l) => chunkRef(l, here))) + '.');
	if (c.notused)
		foot.push('Root chunk (not used in this document).');
	const defs = uniq(c.defs.map((d) => d.name));
	if (defs.length) {
		const seen = new Set();
		foot.push('Defines: ' + c.defs.filter((d) => !seen.has(d.name) && seen.add(d.name))
			.map((d) => {
				search.push({ t: d.name, k: 'identifier', u: pageOf(here) + '#' + c.label, n: info.num });
				const u = uniq(d.usedIn);
				return `<code id="${esc(c.label)}-def-${esc(d.name)}">${esc(d.name)}</code>` +
					(u.length ? ', used in ' + list(u.map((l) => numRef(l, here))) : ', never used');
			}).join('; ') + '.');
	}
	if (c.uses.length) {
		const seen = new Set();
		foot.push('Uses: ' + c.uses.filter((d) => !seen.has(d.name) && seen.add(d.name))
			.map((d) => idRef(d.name, d.at[0], here) + ' ' +
				uniq(d.at).map((l) => numRef(l, here)).join(', ')).join('; ') + '.');
	}
	return `<div class="chunk" id="${esc(c.label)}">` +
		`<div class="chunk-head"><a class="anchor" href="#${esc(c.label)}">${info.num}</a> ` +
		`<span class="cdef">⟨${nameHtml(c.name)}&nbsp;<span class="cnum">${info.num}</span>⟩${first}</span>${nav}` +
		(info.line ? `<span class="src">${esc(here.src)}:${info.line}</span>` : '') + '</div>' +
		`<pre><code>${c.body.replace(/\n+$/, '')}</code></pre>` +
		(foot.length ? `<div class="chunk-foot">${foot.map((f) => `<p>${f}</p>`).join('')}</div>` : '') +
		'</div>';
}

// The figures' bodies for html.sh, which turns each into an SVG.
const preamble = fs.readFileSync(path.join(__dirname, '..', 'preamble.tex'), 'utf8');
fs.mkdirSync(figDir, { recursive: true });
fs.writeFileSync(path.join(figDir, 'list'), figures.map((f) => f.hash).join('\n') + '\n');
for (const f of figures)
	fs.writeFileSync(path.join(figDir, f.hash + '.body.tex'), f.body);

// The figures' preamble: what preamble.tex (and the book/*.tex files it
// inputs) loads and defines for TikZ and pgfplots, each command taken
// whole, however many lines its braces span.
{
	const keep = /^\\(usepackage|RequirePackage|usetikzlibrary|usepgfplotslibrary|pgfplotsset|tikzset|definecolor|colorlet|newcommand|renewcommand|providecommand)/;
	// packages for the page, not the picture
	const drop = /^\\(usepackage|RequirePackage)\s*\{[^}]*\b(noweb|hyperref|bookmark|geometry|fancyhdr|titlesec|tocloft|titletoc|emptypage|imakeidx|makeidx|natbib|biblatex|glossaries|fontenc|inputenc|lmodern|multicol|parskip|setspace)\b/;
	const out = [];
	const take = (file, depth) => {
		let text;
		try { text = fs.readFileSync(file, 'utf8'); } catch (e) { return; }
		const ls = text.split('\n');
		for (let i = 0; i < ls.length; i++) {
			const l = ls[i].replace(/(^|[^\\])%.*$/, '$1');
			const inp = l.match(/^\s*\\input\{([^}]*)\}/);
			if (inp && depth < 3) {
				take(path.join(path.dirname(file), inp[1].replace(/\.tex$/, '') + '.tex'), depth + 1);
				continue;
			}
			if (!keep.test(l)) continue;
			let cmd = l, bal = 0;
			const count = (x) => { for (const ch of x.replace(/\\[{}]/g, '')) bal += ch === '{' || ch === '[' ? 1 : ch === '}' || ch === ']' ? -1 : 0; };
			count(l);
			while (bal > 0 && i + 1 < ls.length) { i++; cmd += '\n' + ls[i]; count(ls[i]); }
			if (drop.test(cmd.replace(/\[[^\]]*\]/, ''))) continue;
			// a command the book class has and standalone lacks
			// (\mainmatter) must exist before it is redefined
			const re = cmd.match(/^\\renewcommand\s*\{?(\\[A-Za-z@]+)/);
			if (re) out.push('\\providecommand' + re[1] + '{}');
			out.push(cmd);
		}
	};
	take(path.join(__dirname, '..', 'preamble.tex'), 0);
	fs.writeFileSync(path.join(figDir, '..', 'fig-preamble.tex'),
		'\\documentclass[border=3pt]{standalone}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n' +
		'\\usepackage{tikz}\n\\makeatletter\n' + out.join('\n') + '\n\\makeatother\n');
}

// ------------------------------------------------------------ pandoc
// Macros the preamble defines with \newcommand on one line are passed on,
// so prose that uses them renders.
const macros = preamble.split('\n').filter((l) =>
	/^\\(re)?newcommand/.test(l) && !/@/.test(l)).join('\n');
let tex = macros + '\n' + latex;
tex = tex.replace(/\\(bibliography|bibliographystyle|printbibliography|nocite)\b(\{[^}]*\})?/g, '');
const args = ['-f', 'latex', '-t', 'html5', '--mathml', '--number-sections',
	'--wrap=none', '--reference-location=section'];
const haveBib = bibs.length > 0;
if (haveBib) {
	args.push('--citeproc', '-M', 'link-citations=true');
	for (const b of bibs) args.push('--bibliography', b);
}
fs.writeFileSync(path.join(figDir, '..', 'book.tex'), tex);
const r = cp.spawnSync('pandoc', args, { input: tex, maxBuffer: 1 << 30, encoding: 'utf8' });
if (r.status !== 0) {
	process.stderr.write(r.stderr);
	console.error('html: pandoc failed');
	process.exit(1);
}
if (r.stderr) process.stderr.write(r.stderr);
let html = r.stdout;

// Bibliography: pandoc puts it after the last chapter.
let refs = '';
html = html.replace(/<div id="refs"[\s\S]*$/, (m) => { refs = m; return ''; });

// Placeholders back: quotes (as text inside attributes), then code.
html = html.replace(/(alt|title)="([^"]*)"/g, (m, a, v) =>
	`${a}="${v.replace(/WHELPQ(\d+)X/g, (s, i) => esc(quotes[+i][1]))}"`);
html = html.replace(/WHELPQ(\d+)X/g, (s, i) => `<code>${quotes[+i][0]}</code>`);

// Chapters after the main matter are appendices: A, B, ...
if (back.length) {
	const letter = (n) => n > mainChapters && pandocBack[n - mainChapters - 1] ? pandocBack[n - mainChapters - 1].letter : String(n);
	html = html.replace(/(<span class="header-section-number">)(\d+)/g, (m, a, n) => a + letter(+n))
		.replace(/(data-reference-type="ref" data-reference="[^"]*">)(\d+)/g, (m, a, n) => a + letter(+n));
}

// The book class numbers down to subsections only.
html = html.replace(/(<h[4-6][^>]*>)<span class="header-section-number">[^<]*<\/span>\s*/g, '$1');

// Cut into pages.
const pieces = html.split(/<p>WHELPFILE(\d+)X<\/p>/);
const pages = [];	// {file, body}
for (let i = 1; i < pieces.length; i += 2)
	pages.push({ file: allFiles[+pieces[i]], body: pieces[i + 1] });
// A chapter's footnotes come after the next chapter's marker: move
// them back to the page they belong to.
for (let i = 1; i < pages.length; i++)
	pages[i].body = pages[i].body.replace(/^\s*(<section class="footnotes[\s\S]*?<\/section>)/, (m, fn) => {
		pages[i - 1].body += fn;
		return '';
	});
// code placeholders, with the page they are on (for links within it)
for (const p of pages)
	p.body = p.body.replace(/<p>WHELPC(\d+)X<\/p>/g, (s, i) => codes[+i]);

// Where each id lives.
const idPage = {};
for (const p of pages)
	for (const m of p.body.matchAll(/\sid="([^"]+)"/g))
		if (!(m[1] in idPage)) idPage[m[1]] = pageOf(p.file);
for (const f of back)
	if (f.inline) idPage[f.label] = f.stem + '.html';
// \ref to those: pandoc knows no number for them
html = html.replace(/(<a href="#([^"]+)" data-reference-type="ref" data-reference="[^"]*">)\[[^\]<]*\](<\/a>)/g, (m, a, id, z) => {
	const f = back.find((b) => b.inline && b.label === id);
	return f ? a + f.letter + z : m;
});
if (refs) for (const m of refs.matchAll(/\sid="([^"]+)"/g)) idPage[m[1]] = 'bibliography.html';

for (const p of pages) {
	const me = pageOf(p.file);
	p.body = p.body.replace(/href="#([^"]+)"/g, (m, id) => {
		const u = id.replace(/&amp;/g, '&');
		const pg = idPage[u];
		if (!pg || pg === me) return m;
		return `href="${pg}#${id}"`;
	});
	const t = p.body.match(/<h1[^>]*>([\s\S]*?)<\/h1>/);
	p.title = t ? t[1].replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim() : p.file.stem;
	p.titleHtml = t ? t[1].replace(/<a [^>]*>|<\/a>/g, '') : esc(p.file.stem);
	for (const m of p.body.matchAll(/<h([1-3])[^>]*id="([^"]+)"[^>]*>([\s\S]*?)<\/h\1>/g))
		search.push({ t: m[3].replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim(),
			k: m[1] === '1' ? 'chapter' : 'section', u: me + '#' + m[2] });
	for (const m of p.body.matchAll(/<figure>\s*<img src="[^"]*" id="([^"]+)"[^>]*>\s*<figcaption[^>]*>([\s\S]*?)<\/figcaption>/g))
		search.push({ t: m[2].replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim().slice(0, 90),
			k: 'figure', u: me + '#' + m[1] });
}

// Figure numbers: pandoc resolves \ref to them but prints no number under
// the picture; give each figure the number its references use.
const figNum = {};
for (const p of pages)
	for (const m of p.body.matchAll(/data-reference="(fig:[^"]+)">([^<]+)</g))
		figNum[m[1]] = m[2];
{
	for (const p of pages) {
		let k = 0;
		p.body = p.body.replace(/<figure>\s*<img src="([^"]*)"(?: id="([^"]+)")?([^>]*)>\s*<figcaption aria-hidden="true">/g,
			(m, src, id, attrs) => {
				const style = (attrs.match(/ style="[^"]*"/) || [''])[0];
				k++;
				const n = id && figNum[id] || `${p.file.chapterNo || p.file.letter || ''}.${k}`;
				return `<figure${id ? ` id="${id}"` : ''}><img src="${src}"${style} alt="Figure ${n}: ${(m.match(/ alt="([^"]*)"/) || ['', ''])[1]}">` +
					`<figcaption><span class="fignum">Figure ${n}:</span> `;
			});
	}
}

// ------------------------------------------------------------ the pages
const parts = [];
for (const l of fs.readFileSync(partsFile, 'utf8').split('\n')) {
	const m = l.match(/^(.*?)=(.*)$/);
	if (m) parts.push([new RegExp(m[1]), m[2]]);
}
// Each part's opening paragraph, a line of LaTeX in book/weave.sh.
const blurbs = {};
try {
	for (const l of fs.readFileSync(path.join(path.dirname(partsFile), 'blurbs'), 'utf8').split('\n')) {
		const m = l.match(/^(.*?)=(.*)$/);
		if (m) blurbs[m[1]] = esc(m[2]).replace(/\\texttt\{([^}]*)\}/g, '<code>$1</code>')
			.replace(/\\emph\{([^}]*)\}/g, '<em>$1</em>').replace(/~/g, '&nbsp;')
			.replace(/---/g, '—').replace(/--/g, '–').replace(/\\[a-zA-Z]+\s*/g, '').replace(/[{}]/g, '');
	}
} catch (e) { /* no paragraphs */ }
const partOf = (f) => {
	if (f.matter === 'front') return '';
	const stem = f.stem;
	for (const [re, n] of parts) if (re.test(stem.slice(0, 2))) return n;
	return 'Appendices';
};

const navLinks = (i) => {
	const prev = i > 0 ? pages[i - 1] : null, next = i + 1 < pages.length ? pages[i + 1] : null;
	return `<nav class="pager">` +
		(prev ? `<a rel="prev" href="${pageOf(prev.file)}">← ${prev.titleHtml}</a>` : '<span></span>') +
		`<a href="index.html">Contents</a>` +
		(next ? `<a rel="next" href="${pageOf(next.file)}">${next.titleHtml} →</a>` : '<span></span>') +
		`</nav>`;
};
const page = (title, body, extra) => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — Whelp</title>
<link rel="stylesheet" href="whelp.css">
<script src="search-index.js" defer></script>
<script src="search.js" defer></script>
</head>
<body>
<header class="top">
<a class="book" href="index.html">Whelp</a>
<form class="search" role="search" onsubmit="return false">
<input type="search" id="search" placeholder="Search identifiers, chunks, sections" aria-label="Search" autocomplete="off">
<ol id="search-results" hidden></ol>
</form>
</header>
<main>
${extra || ''}${body}
${extra || ''}</main>
</body>
</html>
`;

// Every placeholder must have found its way back.
for (const p of pages) {
	const left = p.body.match(/WHELP[QCF]\d+X/);
	if (left) {
		console.error(`html: ${pageOf(p.file)}: ${left[0]} was not replaced (LaTeX pandoc could not read?)`);
		process.exit(1);
	}
}

fs.mkdirSync(outDir, { recursive: true });
pages.forEach((p, i) => {
	fs.writeFileSync(path.join(outDir, pageOf(p.file)), page(p.title, p.body, navLinks(i)));
});

// Contents.
{
	let toc = '<h1>Whelp</h1>\n<p class="subtitle">A hypervisor you can read</p>\n' +
		'<p>A small x86 hypervisor in the lguest tradition, written as a literate program. ' +
		'This is the HTML edition of the book; every chunk name and identifier in the code is a link.</p>\n';
	let last = null;
	toc += '<nav class="toc">\n';
	for (const p of pages) {
		const part = partOf(p.file);
		if (part !== last) {
			if (last !== null) toc += '</ol>\n';
			toc += (part ? `<h2>${esc(part)}</h2>\n` + (blurbs[part] ? `<p class="blurb">${blurbs[part]}</p>\n` : '') : '') + '<ol>\n';
			last = part;
		}
		const secs = [...p.body.matchAll(/<h2[^>]*id="([^"]+)"[^>]*>([\s\S]*?)<\/h2>/g)]
			.map((m) => `<li><a href="${pageOf(p.file)}#${m[1]}">${m[2].replace(/<a [^>]*>|<\/a>/g, '')}</a></li>`);
		toc += `<li><a href="${pageOf(p.file)}">${p.titleHtml}</a>` +
			(secs.length ? `<ol class="secs">${secs.join('')}</ol>` : '') + '</li>\n';
	}
	// the pages this script makes, in the master file's order when it
	// names them, lettered as its appendices
	if (last !== 'Appendices') toc += (last !== null ? '</ol>\n' : '') + '<h2>Appendices</h2>\n<ol>\n';
	const made = [['files', 'The generated files'], ['chunks', 'Index of chunks'],
		['identifiers', 'Index of identifiers']];
	for (const b of back.filter((x) => x.inline).concat(made.filter(([st]) => !back.some((x) => x.inline && x.stem === st))
		.map(([stem, title]) => ({ stem, title })))) {
		const m = made.find(([st]) => st === b.stem);
		if (!m) continue;
		toc += `<li><a href="${b.stem}.html">${b.letter ? `<span class="header-section-number">${b.letter}</span> ` : ''}${esc(b.title)}</a></li>\n`;
	}
	if (haveBib) toc += '<li><a href="bibliography.html">Bibliography</a></li>\n';
	toc += '</ol>\n</nav>\n';
	fs.writeFileSync(path.join(outDir, 'index.html'), page('Contents', toc));
}

// The two indexes, from noidx's lists at the end of the stream.
{
	const chunks = [], idents = [];
	let cur = null;
	for (const l of lines) {
		let m;
		if ((m = l.match(/^@xref chunkbegin (\S+) (.*)$/))) chunks.push(cur = { label: m[1], name: m[2], defs: [], uses: [] });
		else if ((m = l.match(/^@xref chunkuse (\S+)/))) cur.uses.push(m[1]);
		else if ((m = l.match(/^@xref chunkdefn (\S+)/))) cur.defs.push(m[1]);
		else if ((m = l.match(/^@index entrybegin (\S+) (.*)$/))) idents.push(cur = { label: m[1], name: m[2], defs: [], uses: [] });
		else if ((m = l.match(/^@index entryuse (\S+)/))) cur.uses.push(m[1]);
		else if ((m = l.match(/^@index entrydefn (\S+)/))) cur.defs.push(m[1]);
	}
	const ref = (l, def) => {
		const c = chunkOf[l];
		const a = `<a href="${c ? pageOf(c.file) : ''}#${l}">${c ? c.num : '?'}</a>`;
		return def ? `<b>${a}</b>` : a;
	};
	const entries = (arr, kind) => {
		let out = '', letter = null;
		const sorted = arr.slice().sort((a, b) => {
			const x = a.name.replace(/^[^A-Za-z0-9]+/, '').toLowerCase();
			const y = b.name.replace(/^[^A-Za-z0-9]+/, '').toLowerCase();
			return x < y ? -1 : x > y ? 1 : 0;
		});
		for (const e of sorted) {
			const L = (e.name.replace(/^[^A-Za-z0-9]+/, '')[0] || '#').toUpperCase();
			if (L !== letter) {
				if (letter !== null) out += '</dl>\n';
				out += `<h2 id="${kind}-${esc(L)}">${esc(L)}</h2>\n<dl class="index">\n`;
				letter = L;
			}
			const nm = kind === 'chunk' ? `⟨${nameHtml(e.name)}⟩` : `<code>${esc(e.name)}</code>`;
			const d = uniq(e.defs), u = uniq(e.uses).filter((x) => !d.includes(x));
			out += `<dt id="${kind}-${esc(e.name.replace(/\s+/g, '_'))}">${nm}</dt><dd>` +
				d.map((l) => ref(l, true)).concat(u.map((l) => ref(l, false))).join(', ') + '</dd>\n';
		}
		return out + (letter !== null ? '</dl>\n' : '');
	};
	fs.writeFileSync(path.join(outDir, 'chunks.html'), page('Index of chunks',
		inlineHeading('chunks', 'Index of chunks') + '\n<p>Every named chunk of code in the book, with the chunk that defines it ' +
		'(bold) and the chunks that use it.</p>\n' + entries(chunks, 'chunk')));
	fs.writeFileSync(path.join(outDir, 'identifiers.html'), page('Index of identifiers',
		inlineHeading('identifiers', 'Index of identifiers') + '\n<p>Every C identifier the book defines, with the chunk of its ' +
		'definition (bold) and the chunks that use it.</p>\n' + entries(idents, 'ident')));
}

// The generated files: each root of tangle/manifest, with its chapter and
// the chunk where it begins.
{
	let rows = '';
	let manifest = '';
	try { manifest = fs.readFileSync('tangle/manifest', 'utf8'); } catch (e) { /* none */ }
	const first = {};
	for (const [l, c] of Object.entries(chunkOf))
		if (!(c.name in first) || c.file === first[c.name].file && c.k < first[c.name].k) first[c.name] = Object.assign({ label: l }, c);
	for (const line of manifest.split('\n')) {
		if (/^\s*(#|$)/.test(line)) continue;
		const root = line.split(/\s+/)[0];
		const c = first[root];
		if (!c) { console.error(`html: manifest root ${root} is not in the book`); process.exit(1); }
		const p = pages.find((q) => q.file === c.file);
		rows += `<tr><td><code>${esc(root)}</code></td><td><a href="${pageOf(c.file)}">${c.file.chapterNo}` +
			`&nbsp;${p ? p.titleHtml.replace(/<span class="header-section-number">[^<]*<\/span>\s*/, '') : esc(c.file.stem)}</a>` +
			` <small>(<code>${esc(c.file.src)}:${c.line || '?'}</code>)</small></td>` +
			`<td><a href="${pageOf(c.file)}#${c.label}">${c.num}</a></td></tr>\n`;
	}
	fs.writeFileSync(path.join(outDir, 'files.html'), page('The generated files',
		inlineHeading('files', 'The generated files') + '\n<p>Every file that <code>make tangle</code> writes under ' +
		'<code>src-generated/</code> (the roots listed in <code>tangle/manifest</code>), with the chapter that ' +
		'starts it and the chunk where it begins. A compiler error names the chapter file and line; this ' +
		'table goes the other way, from a file to its chapter.</p>\n' +
		'<table class="files">\n<thead><tr><th>file</th><th>chapter</th><th>chunk</th></tr></thead>\n<tbody>\n' +
		rows + '</tbody>\n</table>\n'));
}

if (haveBib)
	fs.writeFileSync(path.join(outDir, 'bibliography.html'), page('Bibliography',
		'<h1 id="bibliography">Bibliography</h1>\n' + (refs || '<p>No work is cited yet.</p>')));

// The search index: identifiers, chunks, chapters, sections, figures.
{
	const seen = new Set();
	const items = search.filter((s) => {
		const key = s.k + '\0' + s.t + '\0' + s.u;
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
	const kinds = ['identifier', 'chunk', 'chapter', 'section', 'figure'];
	const pgs = [...new Set(items.map((s) => s.u.replace(/#.*/, '')))];
	fs.writeFileSync(path.join(outDir, 'search-index.js'),
		'// Generated by book/html/weave.js: entries [text, kind, page, anchor, chunk number]\n' +
		'window.WHELP_SEARCH = ' + JSON.stringify({ kinds, pages: pgs,
			entries: items.map((s) => {
				const h = s.u.indexOf('#');
				return [s.t, kinds.indexOf(s.k), pgs.indexOf(h < 0 ? s.u : s.u.slice(0, h)),
					h < 0 ? '' : s.u.slice(h + 1), s.n || ''];
			}) }) + ';\n');
}
console.log(`html: ${outDir}/ (${pages.length} chapters, ${codes.length} chunks, ${figures.length} figures)`);
