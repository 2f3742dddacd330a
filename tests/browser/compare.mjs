// Browser test of comparisons: the server holds shop.heap-t1 (command line) and shop.heap-t0
// (uploaded) in a fresh -store. The Compare menu lists t0; picking it makes the flame graph a
// diff (diff_base= in the URL) with its legend and the words naming both profiles; the second
// model and the top table's change columns show; after a restart without the profile on the
// command line the same link shows the same diff. The start page offers Compare for two ticked
// rows. Screenshots: build/screenshots/compare-*.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {checker, launchBrowser, root, shots, startServer} from './lib.mjs';

const t = checker();
const check = t.check;

async function main() {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'pprofweb-store-'));
  const browser = await launchBrowser();
  let srv = await startServer(['-store', store, 'testdata/profiles/shop.heap-t1.pb.gz']);
  let link;
  try {
    const up = await fetch(srv.url + '/api/upload?name=shop.heap-t0.pb.gz', {method: 'POST',
      body: fs.readFileSync(path.join(root, 'testdata/profiles/shop.heap-t0.pb.gz'))});
    const baseId = (await up.json()).id;
    check(up.status === 200 && baseId, 'base uploaded');
    const meta = await (await fetch(srv.url + '/api/meta')).json();

    const ctx = await browser.newContext({viewport: {width: 1400, height: 900}});
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/p/${meta.id}/ui/flamegraph`);
    await page.waitForSelector('#flame-canvas[data-drawn]');
    check(await page.locator('#compare-bar').isHidden(), 'no comparison line without a base');

    // The Compare menu: search, pick the base.
    await page.click('#compare-menu .menu-button');
    await page.waitForSelector('#compare-list .compare-item');
    const items = await page.locator('#compare-list .compare-item').count();
    check(items >= 2, `menu lists the profiles: ${items}`);
    await page.fill('#compare-search', 't0');
    await page.waitForFunction(() => document.querySelectorAll('#compare-list .compare-item').length === 1);
    await page.screenshot({path: path.join(shots, 'compare-menu.png')});
    await page.click('#compare-list .compare-item');
    await page.waitForFunction((id) => new URL(location.href).searchParams.get('diff_base') === id, baseId);
    await page.waitForSelector('#flame-diff-legend');
    await page.waitForSelector('#flame-canvas[data-drawn]');
    const words = await page.locator('#compare-bar').textContent();
    check(/shop\.heap-t1\.pb\.gz .* compared with shop\.heap-t0\.pb\.gz/.test(words), 'comparison in words: ' + words);
    const legend = await page.locator('#flame-diff-legend').textContent();
    check(/growth/.test(legend) && /shrinkage/.test(legend) && /\|base\| \+ \|new\|/.test(legend),
        'diff legend explains widths and colours: ' + legend);
    check(/Showing nodes accounting for/.test(await page.locator('#legend').textContent()), 'report legend');
    link = page.url();
    await page.screenshot({path: path.join(shots, 'compare-flame.png')});

    // The tooltip of the widest box below the root gives base, new, change and change %.
    const box = await page.locator('#flame-canvas').boundingBox();
    await page.mouse.move(box.x + 40, box.y + 18 * 1 + 9);
    await page.waitForSelector('.flame-tip:not([hidden])');
    const tip = await page.locator('.flame-tip').textContent();
    check(/base/.test(tip) && /new/.test(tip) && /change %/.test(tip), 'tooltip: ' + tip);

    // The new-shape model.
    await page.selectOption('#flame-diff-model', 'new');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dm') === 'new');
    await page.waitForFunction(() => /Widths: the new profile/.test(document.getElementById('flame-diff-legend').textContent));
    await page.waitForSelector('#flame-canvas[data-drawn]');
    await page.screenshot({path: path.join(shots, 'compare-flame-new.png')});
    check(true, 'second model');

    // The top table with change columns, sorted by change.
    await page.click('#view-menu .menu-button');
    await page.click('#view-menu [data-view="top"]');
    await page.waitForSelector('#top-table');
    const head = await page.locator('#top-table thead').textContent();
    check(/base flat/.test(head) && /new flat/.test(head) && /change %/.test(head), 'top change columns: ' + head);
    await page.click('#top-table th:has-text("change %")');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('by') === 'changepct');
    const first = await page.locator('#top-table tbody tr').first().textContent();
    check(/main\.remember/.test(first) || /StartCPUProfile/.test(first), 'sorted by change: ' + first);
    await page.screenshot({path: path.join(shots, 'compare-top.png')});

    // Swap: the base, compared with this profile; Clear: no comparison.
    await page.click('#compare-menu .menu-button');
    await page.waitForSelector('#compare-swap:not([disabled])');
    await page.click('#compare-swap');
    await page.waitForFunction(([b, id]) => location.pathname.startsWith(`/p/${b}/`) &&
        new URL(location.href).searchParams.get('diff_base') === id, [baseId, meta.id]);
    await page.waitForSelector('#top-table');
    const swapped = await page.locator('#compare-bar').textContent();
    check(/shop\.heap-t0\.pb\.gz .* compared with .*shop\.heap-t1\.pb\.gz/.test(swapped), 'swapped: ' + swapped);
    await page.click('#compare-menu .menu-button');
    await page.click('#compare-clear');
    await page.waitForFunction(() => !new URL(location.href).searchParams.get('diff_base'));
    await page.waitForSelector('#top-table');
    check(await page.locator('#compare-bar').isHidden(), 'cleared: no comparison line');
    check(!/change/.test(await page.locator('#top-table thead').textContent()), 'cleared: plain top table');
    check(errors.length === 0, 'no page errors: ' + errors.join('; '));
    await ctx.close();
  } finally {
    check(await srv.stop() === 0, 'server exits 0');
  }

  // Restart with only the store: the link still shows the same comparison.
  srv = await startServer(['-store', store]);
  try {
    const ctx = await browser.newContext({viewport: {width: 1400, height: 900}});
    const page = await ctx.newPage();
    const u = new URL(link);
    await page.goto(srv.url + u.pathname + u.search);
    await page.waitForSelector('#flame-diff-legend');
    await page.waitForSelector('#flame-canvas[data-drawn]');
    const words = await page.locator('#compare-bar').textContent();
    check(/compared with shop\.heap-t0\.pb\.gz/.test(words), 'after a restart: ' + words);
    await page.screenshot({path: path.join(shots, 'compare-restart.png')});

    // The start page: two ticked rows offer Compare, newer against older.
    await page.goto(srv.url + '/start');
    await page.waitForSelector('#stored tbody tr');
    const ticks = page.locator('#stored tbody input.pick');
    await ticks.nth(0).check();
    check(await page.locator('#start-compare-link').count() === 0 &&
        /Tick two/.test(await page.locator('#start-compare').textContent()), 'one row: no compare yet');
    await ticks.nth(1).check();
    await page.waitForSelector('#start-compare-link');
    await page.screenshot({path: path.join(shots, 'compare-start.png')});
    await page.click('#start-compare-link');
    await page.waitForSelector('#flame-diff-legend');
    check(/diff_base=/.test(page.url()), 'start page compare opens a diff: ' + page.url());
    await ctx.close();
  } finally {
    check(await srv.stop() === 0, 'server exits 0 after the restart');
    fs.rmSync(store, {recursive: true, force: true});
  }
  await browser.close();
}

t.run('compare browser', main);
