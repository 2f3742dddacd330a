// Browser test of the flame graph view on the large generated M profile (build/M.cpu.pb.gz, made
// by bench/run.sh or here with ../shared/bench/genprof.py): opens /ui/flamegraph in headless
// chromium, hovers a box (tooltip), clicks to zoom (URL, breadcrumbs), Escape back, searches
// (matched share), pivots through the context menu, toggles the orientation, and saves
// screenshots in build/screenshots/flame-*.png; a fresh page's first requests come from its
// head (prefetch.js). Prints the time until the canvas was drawn.
// Ends with "flame browser: N passed, N failed". Usage: node flame.mjs [profile]
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {checker, launchBrowser, root, shots, startServer} from './lib.mjs';

let profile = process.argv[2] || path.join(root, 'build/M.cpu.pb.gz');
if (!fs.existsSync(profile)) {
  execFileSync('python3', [path.join(root, '../shared/bench/genprof.py'), '--samples', '200000',
    '--functions', '20000', '-o', profile]);
}

const t = checker();
const check = t.check;

// Finds a drawn box of at least minWidth pixels in the given row: page coordinates of its middle.
async function findBox(page, row, minWidth) {
  return page.evaluate(([r, mw]) => {
    const c = document.getElementById('flame-canvas');
    const rect = c.getBoundingClientRect();
    // Probe along the row: hovering shows the tooltip of the box under the mouse.
    return {x: rect.left, y: rect.top + r * 18 + 9, width: rect.width, mw};
  }, [row, minWidth]);
}

// The canvas's place (CSS pixels): its height, the picture's (the wrap's), the canvas's top in
// the picture, the wrap's top and the canvas's left in the window; with y, for the picture's
// pixel row y as the canvas shows it now: its RGBA as a string, whether it has any drawn pixel,
// and the x of its first drawn box.
async function canvasState(page, y) {
  return page.evaluate((py) => {
    const c = document.getElementById('flame-canvas');
    const wrap = c.parentElement;
    const r = c.getBoundingClientRect(), wr = wrap.getBoundingClientRect();
    const dpr = c.width / r.width;
    const state = {height: r.height, picture: wrap.offsetHeight, top: r.top - wr.top, wrapTop: wr.top,
      left: r.left};
    if (py !== null && py >= state.top && py < state.top + r.height) {
      const px = c.getContext('2d').getImageData(0, Math.floor((py - state.top) * dpr), c.width, 1).data;
      state.row = Array.from(px).join(',');
      state.drawn = px.some((v, i) => i % 4 === 3 && v > 0);
      state.first = -1; // the middle of the first run of 6 drawn pixels
      for (let i = 0, run = 0; i < px.length && state.first < 0; i += 4) {
        run = px[i + 3] > 0 ? run + 1 : 0;
        if (run === 6) state.first = (i / 4 - 3) / dpr;
      }
    }
    return state;
  }, y);
}

// The canvas is as tall as the window, not as the tree: scrolling draws the rows it moves over,
// the same pixels and tooltips where they were, down to the deepest row.
async function checkScrolling(page) {
  const s0 = await canvasState(page, null);
  const innerHeight = await page.evaluate(() => innerHeight);
  check(s0.height <= innerHeight && s0.height < s0.picture && s0.top === 0,
      `canvas as tall as the window shows (${s0.height} of ${s0.picture} px, window ${innerHeight})`);
  const y = Math.floor(s0.height * 0.8 / 18) * 18 + 9; // a row drawn before and after scrolling by 300
  const before = await canvasState(page, y);
  check(before.first >= 0, `row at ${y} px drawn`);
  const tipName = async (x, clientY) => {
    await page.mouse.move(x, clientY);
    await page.waitForSelector('.flame-tip:not([hidden])');
    return page.locator('.flame-tip-name').textContent();
  };
  const name = await tipName(before.left + before.first, before.wrapTop + y);
  const settle = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  // The first scroll makes the canvas taller (the window below the header); the next ones only
  // draw other rows on it.
  for (const by of [300, 100]) {
    await page.mouse.move(0, 0);
    await page.evaluate((d) => scrollBy(0, d), by);
    await settle();
    const after = await canvasState(page, y);
    check(after.top > 0 && after.row === before.row, `scrolled by ${by} px: the row at ${y} px is drawn the same`);
    check(await tipName(after.left + before.first, after.wrapTop + y) === name, `and its tooltip names ${name}`);
  }
  await page.mouse.move(0, 0);
  await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight));
  await settle();
  const deepest = (s0.picture - 1) / 18 - 1;
  const end = await canvasState(page, deepest * 18 + 9);
  check(end.drawn && Math.abs(end.top + end.height - end.picture) < 1,
      `scrolled to the end: the deepest row (${deepest}) is drawn at the canvas's bottom`);
  const mid = Math.floor((end.top + end.height / 2) / 18) * 18 + 9;
  const atEnd = await canvasState(page, mid);
  await page.evaluate(() => scrollBy(0, -100));
  await settle();
  const up = await canvasState(page, mid);
  check(up.top < atEnd.top && up.row === atEnd.row, `scrolled back by 100 px: the row at ${mid} px is drawn the same`);
  await page.evaluate(() => scrollTo(0, 0));
  await settle();
}

async function main() {
  const browser = await launchBrowser({disableQuic: false});
  const srv = await startServer([profile], {timeout: 60000});
  const base = srv.url;
  try {
    const page = await browser.newPage({viewport: {width: 1400, height: 900}});
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = Date.now();
    await page.goto(base + '/ui/flamegraph');
    await page.waitForSelector('#flame-canvas[data-drawn]', {timeout: 60000});
    const drawnMs = Date.now() - t0;
    console.log(`flame graph drawn ${drawnMs} ms after navigation`);
    const nboxes = Number(await page.getAttribute('#flame-canvas', 'data-boxes'));
    check(nboxes > 100, `boxes drawn: ${nboxes}`);
    check(/Showing nodes accounting for/.test(await page.locator('#legend').textContent()), 'legend');
    await page.screenshot({path: path.join(shots, 'flame-root.png')});
    await checkScrolling(page);

    // Hover the first box below the root: the tooltip names it with flat and cum.
    const b = await findBox(page, 1, 40);
    await page.mouse.move(b.x + 5, b.y);
    await page.waitForSelector('.flame-tip:not([hidden])');
    const tip = await page.locator('.flame-tip').textContent();
    check(/cum/.test(tip) && /flat/.test(tip) && /of total/.test(tip) && /of parent/.test(tip), 'tooltip: ' + tip);
    await page.screenshot({path: path.join(shots, 'flame-hover.png')});

    // Click to zoom: the URL names the node, breadcrumbs show the path.
    await page.mouse.click(b.x + 5, b.y);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('node'));
    await page.waitForSelector('.flame-crumbs a.crumb');
    const crumbs = await page.locator('.flame-crumbs .crumb').count();
    check(crumbs >= 2, `breadcrumbs after zoom: ${crumbs}`);
    await page.waitForSelector('#flame-canvas[data-drawn]');
    await page.screenshot({path: path.join(shots, 'flame-zoom.png')});
    // Zoom again, then Escape steps out one level at a time.
    const b2 = await findBox(page, 1, 40);
    await page.mouse.click(b2.x + 5, b2.y);
    await page.waitForFunction(() => document.querySelectorAll('.flame-crumbs .crumb').length >= 3);
    await page.mouse.move(1, 1);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.querySelectorAll('.flame-crumbs .crumb').length === 2);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !new URL(location.href).searchParams.get('node'));
    check(true, 'Escape zooms out');

    // Search: "/" focuses the box, matches are highlighted with their share of the total.
    await page.keyboard.press('/');
    check(await page.evaluate(() => document.activeElement.id === 'search'), '/ focuses search');
    await page.keyboard.type('pkg1');
    await page.waitForFunction(() => /Matched: .*% of total/.test(document.getElementById('flame-status').textContent));
    const status = await page.locator('#flame-status').textContent();
    check(/Matched/.test(status), 'search status: ' + status);
    await page.screenshot({path: path.join(shots, 'flame-search.png')});
    await page.fill('#search', '');

    // Right-click a box: Show callers pivots (p in the URL), callers above the pivot.
    const b3 = await findBox(page, 2, 40);
    await page.mouse.click(b3.x + 5, b3.y, {button: 'right'});
    await page.waitForSelector('.flame-menu:not([hidden])');
    const menuText = await page.locator('.flame-menu').textContent();
    check(/Focus/.test(menuText) && /Ignore/.test(menuText) && /Hide/.test(menuText) &&
        /Peek/.test(menuText) && /Source/.test(menuText), 'context menu: ' + menuText);
    await page.click('.flame-menu a:has-text("Show callers")');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('p'));
    await page.waitForSelector('.flame-unpivot');
    await page.waitForSelector('#flame-canvas[data-drawn]');
    const pv = await (await fetch(base + '/api/flamegraph?' +
        new URLSearchParams({p: new URL(page.url()).searchParams.get('p'), w: '1400'}))).json();
    check(pv.pivot && pv.callers && pv.callers.nodes.length > 0, 'pivot has callers');
    await page.screenshot({path: path.join(shots, 'flame-pivot.png')});

    // Orientation toggle.
    await page.click('#flame-orient');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('bu') === '1');
    await page.waitForSelector('#flame-canvas[data-drawn]');
    await page.screenshot({path: path.join(shots, 'flame-bottomup.png')});
    check(errors.length === 0, 'no page errors: ' + errors.join('; '));

    // The page's head asks for the profile's metadata and the flame graph at the view's width
    // while app.js and its imports load (held back here), and app.js uses those responses
    // instead of asking again.
    const page2 = await browser.newPage({viewport: {width: 1400, height: 900}});
    const asked = [];
    let appServed = false;
    page2.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/api/')) asked.push({path: u.pathname + u.search, beforeApp: !appServed});
    });
    await page2.route('**/static/app.js', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      appServed = true;
      await route.continue();
    });
    await page2.goto(base + '/ui/flamegraph?q=pkg1&bu=1');
    await page2.waitForSelector('#flame-canvas[data-drawn]', {timeout: 60000});
    const flameAsked = asked.filter((a) => a.path.startsWith('/api/flamegraph'));
    const metaAsked = asked.filter((a) => a.path.startsWith('/api/meta'));
    check(flameAsked.length === 1 && flameAsked[0].beforeApp && /^\/api\/flamegraph\?w=\d+$/.test(flameAsked[0].path),
        'flame graph asked once, from the head: ' + JSON.stringify(asked));
    check(metaAsked.length === 1 && metaAsked[0].beforeApp, 'metadata asked once, from the head');
    check(/Matched/.test(await page2.locator('#flame-status').textContent()), 'search of the URL applied');
    await page2.close();
  } finally {
    check(await srv.stop() === 0, 'server exits 0');
  }
  await browser.close();
}

t.run('flame browser', main);
