// Browser test of the call graph view (/ui/, web/graph.js) on the bundled CPU profile: the nodes
// drawn are the API's functions, the wheel zooms, a drag pans, Reset restores, a click on a node
// opens the row menu whose Focus puts f=... in the URL and redraws a smaller graph, back restores
// it, the search highlights nodes, a diff keeps pprof's red/green, and HTML function names are
// text. Saves build/screenshots/graph.png (and graph-focused.png, graph-diff.png).
import path from 'node:path';
import {checker, launchBrowser, shots, startServer} from './lib.mjs';

const t = checker();
const check = t.check;

const transform = (page) => page.locator('#graph-svg g.pan-zoom').getAttribute('transform');
const nodeNames = (page) => page.locator('#graph-svg g.node.fn').evaluateAll(
    (gs) => gs.map((g) => g.dataset.name));

async function main() {
  const browser = await launchBrowser();
  const srv = await startServer(['testdata/profiles/shop.cpu.pb.gz']);
  const base = srv.url;
  try {
    const page = await browser.newPage({viewport: {width: 1280, height: 900}});
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const cspErrors = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

    await page.goto(base + '/ui/');
    await page.waitForSelector('#graph-svg g.node.fn');
    const api = await (await fetch(base + '/api/graph')).json();
    const names = await nodeNames(page);
    check(names.length === api.nodes.length && api.nodes.length > 10,
        `graph nodes ${names.length} == API nodes ${api.nodes.length}`);
    check(JSON.stringify([...names].sort()) === JSON.stringify(api.nodes.map((n) => n.name).sort()),
        'node names are the API\'s');
    check(names.includes('main.checksum') && names.includes('crypto/sha256.block'),
        'expected functions drawn');
    const text = await page.locator('#graph-svg').textContent();
    check(/sha256/.test(text) && /checksum/.test(text), 'labels drawn as SVG text');
    const legend = await page.locator('#legend').textContent();
    check(/Type: cpu/.test(legend) && /Showing top 80 nodes out of/.test(legend), 'legend: ' + legend);
    const box = await page.locator('#graph-wrap').boundingBox();
    check(box.width > 1000 && box.height > 500, `graph fills the view: ${box.width}x${box.height}`);
    const edges = await page.locator('#graph-svg g.edge').count();
    check(edges > 10, `edges drawn: ${edges}`);
    await page.screenshot({path: path.join(shots, 'graph.png')});

    // Wheel zooms around the pointer; drag pans; Reset restores.
    const t0 = await transform(page);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction((t) => document.querySelector('#graph-svg g.pan-zoom')
        .getAttribute('transform') !== t, t0);
    const t1 = await transform(page);
    const scale = (t) => Number((/scale\(([-\d.e]+)\)/.exec(t || '') || [0, 1])[1]);
    const shift = (t) => (/translate\(([-\d.e]+) ([-\d.e]+)\)/.exec(t || '') || [0, 0, 0]).slice(1).map(Number);
    check(scale(t1) > 1.2, `wheel zooms in: ${t0} -> ${t1}`);
    // drag from an empty corner of the view
    await page.mouse.move(box.x + 20, box.y + box.height - 20);
    await page.mouse.down();
    await page.mouse.move(box.x + 120, box.y + box.height - 60, {steps: 5});
    await page.mouse.up();
    const t2 = await transform(page);
    const [x1, y1] = shift(t1), [x2, y2] = shift(t2);
    check(x2 > x1 && y2 < y1 && scale(t2) === scale(t1), `drag pans: ${t1} -> ${t2}`);
    check(await page.locator('#row-menu').isHidden(), 'a drag opens no menu');
    await page.click('#graph-reset');
    check((await transform(page)) === t0, `reset zoom: ${await transform(page)} == ${t0}`);
    await page.click('#graph-zoom-in');
    check(scale(await transform(page)) > 1, 'zoom-in button');
    await page.click('#graph-reset');

    // Search highlights the matching nodes.
    await page.fill('#search', 'sha256');
    await page.waitForSelector('#graph-svg g.node.hl');
    const hl = await page.locator('#graph-svg g.node.hl').evaluateAll((gs) => gs.map((g) => g.dataset.name));
    check(hl.length > 0 && hl.every((n) => /sha256/.test(n)) &&
        hl.length === names.filter((n) => /sha256/.test(n)).length, 'search highlights: ' + hl);
    await page.fill('#search', '');
    await page.waitForFunction(() => !document.querySelector('#graph-svg g.node.hl'));

    // Click a node -> row menu -> Focus: f in the URL, a smaller graph; back restores.
    const target = 'main.checksum';
    const node = page.locator('#graph-svg g.node.fn', {has: page.locator('text')}).filter({
      has: page.locator(`xpath=self::*[@data-name="${target}"]`)});
    await node.locator('polygon').first().click();
    await page.waitForSelector('#row-menu:not([hidden])');
    check(await page.locator('#row-menu .popup-title').textContent() === target, 'menu names the node');
    await page.click('#row-menu a[data-act="focus"]');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('f'));
    const f = new URL(page.url()).searchParams.get('f');
    check(f === '^main\\.checksum$', 'focus in the URL: ' + f);
    await page.waitForFunction((n) => document.querySelectorAll('#graph-svg g.node.fn').length < n &&
        document.querySelectorAll('#graph-svg g.node.fn').length > 0, names.length);
    const focused = await nodeNames(page);
    const fapi = await (await fetch(base + '/api/graph?f=' + encodeURIComponent(f))).json();
    check(focused.length === fapi.nodes.length && focused.length < names.length && focused.includes(target),
        `focused graph: ${focused.length} nodes (was ${names.length})`);
    check(/focus=\^main\\\.checksum\$/.test(await page.locator('#legend').textContent()), 'legend shows the filter');
    await page.screenshot({path: path.join(shots, 'graph-focused.png')});
    await page.goBack();
    await page.waitForFunction((n) => document.querySelectorAll('#graph-svg g.node.fn').length === n, names.length);
    check(!new URL(page.url()).searchParams.get('f'), 'back: no focus');
    check((await nodeNames(page)).length === names.length, 'back restores the graph');

    // Settings in the URL: n=5 draws 5 nodes.
    await page.goto(base + '/ui/?n=5');
    await page.waitForSelector('#graph-svg g.node.fn');
    check(await page.locator('#graph-svg g.node.fn').count() === 5, 'n=5 draws 5 nodes');
    // A small graph starts at its natural size: a node's text no larger than Graphviz drew it.
    const fontPx = await page.locator('#graph-svg g.node.fn text').first().evaluate((t) => {
      const r = t.getBoundingClientRect();
      return r.height / (Number(t.getAttribute('font-size')) * 96 / 72);
    });
    check(fontPx < 1.6, `small graph at natural size (text ${fontPx.toFixed(2)}x)`);
    // A bad regexp shows the server's message in place.
    await page.goto(base + '/ui/?f=(');
    await page.waitForSelector('#errors:not([hidden])');
    check(/focus/.test(await page.locator('#errors').textContent()), 'bad regexp: error shown');

    check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '));
    check(cspErrors.length === 0, 'no CSP violations: ' + cspErrors.join('; '));
    await page.close();
  } finally {
    await srv.stop();
  }

  // A diff keeps pprof's colours: red outlines for growth, green for shrinkage.
  const srv3 = await startServer(['-diff_base', 'testdata/profiles/shop.heap-t0.pb.gz',
    'testdata/profiles/shop.heap-t1.pb.gz']);
  try {
    const page = await browser.newPage({viewport: {width: 1280, height: 800}});
    await page.goto(srv3.url + '/ui/');
    await page.waitForSelector('#graph-svg g.node.fn');
    const strokes = await page.locator('#graph-svg g.node.fn polygon').evaluateAll(
        (ps) => ps.map((p) => p.getAttribute('stroke')));
    const rgb = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));
    const reds = strokes.filter((s) => /^#[0-9a-f]{6}$/.test(s) && rgb(s)[0] > rgb(s)[1] + 40);
    const greens = strokes.filter((s) => /^#[0-9a-f]{6}$/.test(s) && rgb(s)[1] > rgb(s)[0] + 40);
    check(reds.length > 0 && greens.length > 0, `diff colours: ${reds.length} red, ${greens.length} green`);
    await page.screenshot({path: path.join(shots, 'graph-diff.png')});
  } finally {
    await srv3.stop();
  }
  await browser.close();
}

t.run('graph browser', main);
