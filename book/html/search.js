// The HTML edition's search: it runs in the page, offline, over the index
// book/html/weave.js writes into search-index.js (identifiers, chunk
// names, chapters, sections and figures).
(function () {
	'use strict';
	var input = document.getElementById('search');
	var box = document.getElementById('search-results');
	var data = window.WHELP_SEARCH;
	if (!input || !box || !data) return;
	var index = data.entries.map(function (e) {
		return [e[0], data.kinds[e[1]], data.pages[e[2]] + (e[3] ? '#' + e[3] : ''), e[4]];
	});
	var rank = { identifier: 0, chunk: 1, chapter: 2, section: 3, figure: 4 };
	function find(q) {
		q = q.trim().toLowerCase();
		if (!q) return [];
		var words = q.split(/\s+/), hits = [];
		index.forEach(function (e) {
			var t = e[0].toLowerCase(), score;
			if (t === q) score = 0;
			else if (t.indexOf(q) === 0) score = 1;
			else if (words.every(function (w) { return t.indexOf(w) >= 0; })) score = 2;
			else return;
			hits.push([score, rank[e[1]] || 9, e]);
		});
		hits.sort(function (a, b) {
			return a[0] - b[0] || a[1] - b[1] || a[2][0].length - b[2][0].length;
		});
		return hits.slice(0, 40).map(function (h) { return h[2]; });
	}
	function show() {
		var hits = find(input.value);
		box.innerHTML = '';
		if (!input.value.trim()) { box.hidden = true; return; }
		if (!hits.length) {
			var li = document.createElement('li');
			li.className = 'none';
			li.textContent = 'Nothing found';
			box.appendChild(li);
		}
		hits.forEach(function (e, i) {
			var li = document.createElement('li'), a = document.createElement('a');
			a.href = e[2];
			if (i === 0) a.className = 'sel';
			a.textContent = e[1] === 'chunk' ? '\u27e8' + e[0] + '\u27e9' : e[0];
			var k = document.createElement('span');
			k.className = 'kind';
			k.textContent = e[1] + (e[3] ? ' ' + e[3] : '');
			a.appendChild(k);
			li.appendChild(a);
			box.appendChild(li);
		});
		box.hidden = false;
	}
	input.addEventListener('input', show);
	input.addEventListener('keydown', function (ev) {
		if (ev.key === 'Enter') {
			var a = box.querySelector('a');
			if (a) window.location.href = a.href;
		} else if (ev.key === 'Escape') {
			box.hidden = true;
		}
	});
	document.addEventListener('click', function (ev) {
		if (!box.contains(ev.target) && ev.target !== input) box.hidden = true;
	});
})();
