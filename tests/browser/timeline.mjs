// Browser tests of the timeline: build/pprofweb -series on three heap profiles of the shop
// service (two profile.proto files and the ?debug=1 text with its MemStats block). The chart
// draws a point per snapshot, the top growing functions in a panel of their own scale and the
// MemStats chart; hovering shows the values; the growth table sorts by a header and a row click
// focuses that function (f= in the URL, applied to the series);
// clicking one point offers that snapshot's views; a second point lands on the later snapshot
// with the earlier as its base. The start page lists the series and has the Watch control, and
// several uploaded files open as a series. Screenshots: build/screenshots/timeline*.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {checker, launchBrowser, root, shots, startServer} from './lib.mjs';

const t = checker();
const check = t.check;

async function main() {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'pprofweb-tl-'));
  const dumps = path.join(store, 'dumps');
  fs.mkdirSync(dumps);
  for (const f of ['shop.heap-t0.pb.gz', 'shop.heap-t1.pb.gz', 'shop.heap-t1.debug1.txt'])
    fs.copyFileSync(path.join(root, 'testdata/profiles', f), path.join(dumps, f));
  // The text profile has no time of its own: its file time puts it last.
  fs.utimesSync(path.join(dumps, 'shop.heap-t1.debug1.txt'), new Date(), new Date());
  const browser = await launchBrowser();
  const srv = await startServer(['-store', path.join(store, 's'), '-series', dumps]);
  const base = srv.url;
  try {
    const page = await (await browser.newContext({viewport: {width: 1280, height: 900}})).newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    await page.goto(base + '/ui/timeline');
    await page.waitForSelector('body[data-ready="1"]');
    check(await page.locator('#tl-chart circle.pt').count() === 3, 'a point per snapshot');
    check(await page.locator('#tl-chart path.line.total').count() === 1, 'the total line');
    // The growing functions on their own scale: the top one reaches the top of its panel.
    check(await page.locator('#tl-lines path.line').count() >= 1, 'the function lines have their panel');
    const top = await page.locator('#tl-lines path.line').first().evaluate((e) => e.getBBox().y);
    check(top < 40, `the top function line uses its panel's height (top at ${top})`);
    // Snapshots days apart: the time axis gives dates.
    check(/^\d\d-\d\d \d\d:\d\d$/.test(await page.locator('#tl-chart .axis text').last().textContent()),
        'a time axis over days shows dates');
    check(/3 snapshots/.test(await page.locator('#tl-summary').textContent()), 'summary counts snapshots');
    check(await page.locator('#tl-si').inputValue() === 'inuse_space', 'heap: inuse_space by default');
    check(await page.locator('#tl-memstats-box').isVisible(), 'the MemStats chart shows');
    check(/HeapInuse/.test(await page.locator('#tl-memstats-legend').textContent()), 'MemStats legend');
    const rows = await page.locator('#tl-growth tbody tr').count();
    check(rows > 5, `growth rows: ${rows}`);

    // Hover a point: its values.
    const pt = page.locator('#tl-chart circle.pt').nth(1);
    const box = await pt.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    check(/total inuse_space/.test(await page.locator('#tl-tip').textContent()), 'hover shows the total');
    await page.screenshot({path: path.join(shots, 'timeline.png'), fullPage: true});

    // Sort by change (ascending on a second click), in the URL.
    await page.click('#tl-growth th[data-key="change"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('order') === 'change');
    await page.waitForSelector('#tl-growth th.sorted[data-key="change"]');
    await page.click('#tl-growth th[data-key="change"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dir') === 'asc');
    // The table is drawn again in that order (the URL changes first).
    await page.waitForSelector('#tl-growth th.sorted.asc[data-key="change"]');
    check(true, 'header clicks sort');

    // A row click focuses that function for the whole series.
    const name = await page.locator('#tl-growth tbody tr td.name').first().textContent();
    await page.locator('#tl-growth tbody tr').first().click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('f'));
    await page.waitForSelector('#tl-growth tr.focused');
    const f = await page.evaluate(() => new URL(location.href).searchParams.get('f'));
    check(f.startsWith('^') && f.includes(name.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')), `row focuses: ${f}`);
    check(await page.locator('#tl-f').inputValue() === f, 'the focus box shows it');

    // Reload keeps everything (the state is the URL).
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]');
    check(await page.locator('#tl-growth tr.focused').count() === 1, 'reload keeps the focus');

    // One point: its views, with the focus carried over.
    await page.goto(base + '/ui/timeline');
    await page.waitForSelector('body[data-ready="1"]');
    await page.locator('#tl-chart circle.pt').nth(0).click();
    await page.waitForSelector('#tl-selection a.open-top');
    const ids = await page.locator('#tl-chart circle.pt').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-id')));
    check(await page.locator('#tl-selection a.open-top').getAttribute('href') === `/p/${ids[0]}/ui/top`, 'one point: its top view');
    check(/sel=/.test(page.url()), 'the selection is in the URL');
    // A second point: the later snapshot with the earlier as base.
    await page.locator('#tl-chart circle.pt').nth(2).click();
    await page.waitForURL((u) => u.pathname.startsWith('/p/'));
    const landed = new URL(page.url());
    check(landed.pathname === `/p/${ids[2]}/ui/` && landed.searchParams.get('base') === ids[0],
        `two points land on the later with the earlier as base: ${landed}`);
    await page.screenshot({path: path.join(shots, 'timeline-compare.png')});
    await page.goBack();
    await page.waitForSelector('body[data-ready="1"]');
    check(await page.locator('#tl-chart circle.pt.sel').count() === 2, 'back: both points selected');
    check((await page.locator('#tl-selection a.compare').getAttribute('href')) === `/p/${ids[2]}/ui/?base=${ids[0]}`, 'the compare link');

    // Unknown series: a message, not a blank page.
    const resp = await page.goto(base + '/s/0123456789abcdef/ui/timeline');
    check(resp.status() === 404, 'unknown series: 404');
    await page.waitForSelector('body[data-ready="error"]');
    check(/no series/.test(await page.locator('#errors').textContent()), 'unknown series: says so');

    // The start page: the series, the Watch control, several uploads as a series.
    await page.goto(base + '/start');
    await page.waitForSelector('#series tbody tr');
    check(await page.locator('#watch-form').isVisible(), 'Watch control on the start page');
    check(/3/.test(await page.locator('#series tbody tr td.num').first().textContent()), 'series listed with its snapshots');
    check(/on disk/.test(await page.locator('#store-disk').textContent()), 'disk use shown');
    await page.setInputFiles('#upload-input', [path.join(root, 'testdata/profiles/shop.heap-t0.pb.gz'),
      path.join(root, 'testdata/profiles/shop.heap-t1.pb.gz')]);
    await page.waitForSelector('#open-as-series');
    await page.click('#open-as-series');
    await page.waitForURL((u) => /\/s\/[0-9a-f]{16}\/ui\/timeline/.test(u.pathname));
    await page.waitForSelector('body[data-ready="1"]');
    check(await page.locator('#tl-chart circle.pt').count() === 2, 'uploaded files open as a series');
    check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '));
  } finally {
    await srv.stop();
    await browser.close();
    fs.rmSync(store, {recursive: true, force: true});
  }
}

t.run('timeline browser', main);
