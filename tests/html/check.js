#!/usr/bin/env node
// The HTML edition in a real browser: Debian's Chromium, headless, driven
// by playwright-core (tests/html/package.json; tests/check.sh installs it
// with npm ci).  Prints one "PASS: ..." or "FAIL: ..." line per promise:
//   1. every internal link resolves: its file exists and so does the
//      element its #anchor names; a link out (a cited URL) is not followed,
//      and no page loads anything from the network;
//   2. no LaTeX is left in the prose (a control word, [[, $, a brace
//      outside code and math), and every figure and image loads
//      (naturalWidth > 0);
//   3. the search finds whelp_shadow_page_fault and its first result
//      leads to a chunk that holds it (screenshot: LOGDIR/html-search.png);
//   4. on a phone's width no page scrolls sideways (code scrolls inside
//      its own box), and screenshots of one chapter at desktop and phone
//      widths go to LOGDIR.
// usage: check.js HTMLDIR LOGDIR
'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL, fileURLToPath } = require('url');
const { chromium } = require('playwright-core');

const [htmlDir, logDir] = process.argv.slice(2).map((p) => path.resolve(p));
const chapter = '45-host-shadow.html';
const needle = 'whelp_shadow_page_fault';
let failures = 0;
const pass = (m) => console.log('PASS: ' + m);
const fail = (m, details) => {
	failures++;
	console.log('FAIL: ' + m);
	for (const d of (details || []).slice(0, 10)) console.log('    ' + d);
	if (details && details.length > 10) console.log(`    ... and ${details.length - 10} more`);
};

(async () => {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox', '--headless', '--disable-gpu',
			'--disable-background-networking', '--disable-component-update',
			'--no-first-run'],
	});
	try {
		const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
		// Nothing may come from the network: the edition works offline.
		const remote = [];
		await ctx.route(/^(https?|wss?):/, (route) => {
			remote.push(route.request().url());
			route.abort();
		});
		const page = await ctx.newPage();
		const pages = fs.readdirSync(htmlDir).filter((f) => f.endsWith('.html')).sort();
		// The phone's crawl runs beside the desktop's.
		const phone = await browser.newContext({ viewport: { width: 390, height: 844 },
			deviceScaleFactor: 1, isMobile: true, hasTouch: true });
		await phone.route(/^(https?|wss?):/, (route) => {
			remote.push(route.request().url());
			route.abort();
		});
		const pp = await phone.newPage();
		const wide = [];
		const phoneCrawl = (async () => {
			for (const f of pages) {
				await pp.goto(pathToFileURL(path.join(htmlDir, f)).href, { waitUntil: 'load' });
				const w = await pp.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
				if (w[0] > w[1] + 1) wide.push(`${f}: ${w[0]} px wide on a ${w[1]} px screen`);
			}
		})();
		const ids = {};		// file -> Set of ids
		const links = [];	// [from, href]
		const badImages = [];
		const leftovers = [];
		for (const f of pages) {
			await page.goto(pathToFileURL(path.join(htmlDir, f)).href, { waitUntil: 'load' });
			const r = await page.evaluate(() => ({
				ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
				names: [...document.querySelectorAll('a[name]')].map((e) => e.name),
				links: [...document.querySelectorAll('a[href], link[href], script[src]')]
					.map((e) => [e.tagName === 'A', e.href || e.src]),
				imgs: [...document.images].map((i) => [i.currentSrc || i.src,
					i.complete && i.naturalWidth > 0]),
				// LaTeX that pandoc did not read shows as text: a
				// control word, noweb's [[ ]], a $ or a stray brace.
				latex: (() => {
					const out = [];
					const w = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT, {
						acceptNode: (n) => n.parentElement.closest('pre, code, math, script') ?
							NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
					});
					for (let n; (n = w.nextNode());) {
						const m = n.data.match(/.{0,30}(\\[A-Za-z]+|\[\[|\]\]|\$|[{}]).{0,30}/);
						if (m) out.push(m[0].replace(/\s+/g, ' '));
					}
					return out;
				})(),
			}));
			for (const t of r.latex) leftovers.push(`${f}: "${t}"`);
			ids[f] = new Set(r.ids.concat(r.names));
			for (const [anchor, l] of r.links) links.push([f, l, anchor]);
			for (const [src, ok] of r.imgs)
				if (!ok) badImages.push(`${f}: ${src}`);
			page.imgCount = (page.imgCount || 0) + r.imgs.length;
		}
		const broken = [];
		let internal = 0;
		let external = 0;
		for (const [from, href, anchor] of links) {
			const u = new URL(href);
			// A reader may follow a link out (a cited URL); the pages
			// themselves load nothing from outside.
			if (anchor && /^(https?|mailto):$/.test(u.protocol)) {
				external++;
				continue;
			}
			if (u.protocol !== 'file:') {
				broken.push(`${from}: ${href} leaves the edition`);
				continue;
			}
			internal++;
			const file = fileURLToPath(u);
			const rel = path.relative(htmlDir, file);
			if (rel.startsWith('..') || !fs.existsSync(file)) {
				broken.push(`${from}: ${href}: no such file`);
				continue;
			}
			if (u.hash.length > 1) {
				const id = decodeURIComponent(u.hash.slice(1));
				if (!ids[rel] || !ids[rel].has(id))
					broken.push(`${from}: ${rel}#${id}: no such anchor`);
			}
		}
		if (broken.length || internal === 0)
			fail(`html: ${broken.length} of ${links.length} links in ${pages.length} pages do not resolve`, broken);
		else
			pass(`html: all ${internal} internal links in ${pages.length} pages resolve` +
				(external ? ` (${external} external links not followed)` : ''));
		if (leftovers.length)
			fail(`html: ${leftovers.length} pieces of LaTeX are left in the prose`, leftovers);
		else
			pass(`html: no LaTeX markup is left in the prose of ${pages.length} pages`);
		if (badImages.length || !page.imgCount)
			fail(`html: ${badImages.length} of ${page.imgCount || 0} images do not load`, badImages);
		else
			pass(`html: all ${page.imgCount} figures load`);

		// The search, as a reader uses it: type, take the first result.
		await page.goto(pathToFileURL(path.join(htmlDir, '03-abi.html')).href, { waitUntil: 'load' });
		await page.fill('#search', needle);
		let hit = null;
		try {
			await page.waitForSelector('#search-results a', { timeout: 5000 });
			hit = await page.evaluate(() => {
				const a = document.querySelector('#search-results a');
				return { text: a.firstChild.textContent, href: a.href };
			});
		} catch (e) { /* no result: reported below */ }
		if (!hit || hit.text !== needle) {
			fail(`html: the search does not find ${needle}` + (hit ? ` (first result: ${hit.text})` : ''));
		} else {
			fs.mkdirSync(logDir, { recursive: true });
			await page.screenshot({ path: path.join(logDir, 'html-search.png') });
			await page.click('#search-results a');
			await page.waitForLoadState('load');
			const at = new URL(page.url());
			const found = await page.evaluate((id) => {
				const e = document.getElementById(id);
				return e ? e.textContent : null;
			}, decodeURIComponent(at.hash.slice(1)));
			if (found !== null && found.includes(needle))
				pass(`html: the search finds ${needle} and leads to its definition (${path.basename(at.pathname)}${at.hash})`);
			else
				fail(`html: the search's result for ${needle} (${hit.href}) leads nowhere that defines it`);
		}

		// Screenshots, and no sideways scrolling on a phone.
		fs.mkdirSync(logDir, { recursive: true });
		const url = pathToFileURL(path.join(htmlDir, chapter)).href;
		await page.setViewportSize({ width: 1280, height: 1600 });
		await page.goto(url, { waitUntil: 'load' });
		await page.screenshot({ path: path.join(logDir, 'html-desktop.png') });
		await page.evaluate(() => {
			const c = document.querySelector('.chunk');
			window.scrollTo(0, c.getBoundingClientRect().top + window.scrollY - 60);
		});
		await page.screenshot({ path: path.join(logDir, 'html-desktop-code.png') });
		await phoneCrawl;
		await pp.goto(url, { waitUntil: 'load' });
		await pp.screenshot({ path: path.join(logDir, 'html-phone.png') });
		await pp.evaluate(() => {
			const c = document.querySelector('.chunk');
			window.scrollTo(0, c.getBoundingClientRect().top + window.scrollY - 60);
		});
		await pp.screenshot({ path: path.join(logDir, 'html-phone-code.png') });
		if (wide.length)
			fail(`html: ${wide.length} pages scroll sideways on a phone`, wide);
		else
			pass(`html: no page is wider than a phone's screen (screenshots in ${path.relative(process.cwd(), logDir)}/html-*.png)`);
		if (remote.length)
			fail(`html: the pages asked the network for ${remote.length} resources`, remote);
	} finally {
		await browser.close();
	}
	process.exit(failures ? 1 : 0);
})().catch((e) => {
	console.log('FAIL: html: the browser check crashed: ' + (e && e.stack || e));
	process.exit(1);
});
