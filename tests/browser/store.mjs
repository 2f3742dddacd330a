// Browser tests of the start page: build/pprofweb with no profile and a fresh -store. The start
// page shows; a file set on the file input and one dropped (a synthetic drop with a DataTransfer)
// are uploaded and appear in the stored list; a profile whose names are HTML is listed and viewed
// as text; opening a stored profile shows its numbers; the header's Profiles link of a normal
// view leads back here. Screenshot: build/screenshots/start.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {bfield, checker, launchBrowser, root, shots, startServer, varint, vfield} from './lib.mjs';

const t = checker();
const check = t.check;

// A raw profile.proto whose function name is HTML (raw protobuf is accepted as uploaded). Its
// brackets are unbalanced, so pprof's name simplification (which drops <...>) keeps it.
function xssProfile() {
  const strings = ['', 'samples', 'count', '"><svg onload=window.__xss=1 x=', 'main.go'];
  const p = [];
  p.push(...bfield(1, [...vfield(1, 1), ...vfield(2, 2)]));
  p.push(...bfield(2, [...bfield(1, varint(1)), ...bfield(2, varint(7))]));
  p.push(...bfield(4, [...vfield(1, 1), ...bfield(4, [...vfield(1, 1), ...vfield(2, 10)])]));
  p.push(...bfield(5, [...vfield(1, 1), ...vfield(2, 3), ...vfield(3, 3), ...vfield(4, 4)]));
  for (const s of strings) p.push(...bfield(6, [...Buffer.from(s, 'utf8')]));
  return Buffer.from(p).toString('base64');
}

async function main() {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'pprofweb-store-'));
  const browser = await launchBrowser();
  const srv = await startServer(['-store', store]);
  const base = srv.url;
  try {
    const ctx = await browser.newContext({viewport: {width: 1280, height: 860}});
    const page = await ctx.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    // The start page, with an empty list.
    await page.goto(base + '/ui/');
    await page.waitForSelector('#drop-zone');
    check(await page.locator('#stored-empty').textContent() === 'No profiles stored yet: upload one above.',
        'empty store says so');
    check(!(await page.locator('#menus').isVisible()), 'the view menus are hidden on the start page');

    // Pick a file with the file input.
    await page.setInputFiles('#upload-input', path.join(root, 'testdata/profiles/shop.cpu.pb.gz'));
    await page.waitForSelector('#stored tbody tr');
    check(/Stored 1 profile/.test(await page.locator('#start-status').textContent()), 'upload status');
    check(await page.locator('#stored tbody tr td.name').first().textContent() === 'shop.cpu.pb.gz',
        'uploaded file listed by name');

    // Drop two files: a heap profile and one with an HTML function name.
    const heap = fs.readFileSync(path.join(root, 'testdata/profiles/shop.heap-t0.pb.gz')).toString('base64');
    await page.evaluate(({heap, xss}) => {
      const bytes = Uint8Array.from(atob(heap), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'heap.pb.gz', {type: 'application/octet-stream'}));
      dt.items.add(new File([Uint8Array.from(atob(xss), (c) => c.charCodeAt(0))], '<b>x.pb'));
      const zone = document.getElementById('drop-zone');
      zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
      zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }, {heap, xss: xssProfile()});
    await page.waitForFunction(() => document.querySelectorAll('#stored tbody tr').length === 3);
    const names = await page.locator('#stored tbody td.name').allTextContents();
    check(names.includes('heap.pb.gz') && names.includes('<b>x.pb'), 'dropped files listed: ' + names);
    check(await page.locator('#stored b').count() === 0, 'an HTML file name is shown as text');
    check(await page.locator('#start-results a.open').count() === 2, 'both uploads linked');
    await page.screenshot({path: path.join(shots, 'start.png')});

    // A bad file: the decoder's message is shown, nothing is listed.
    await page.setInputFiles('#upload-input', {name: 'junk.pb.gz', mimeType: 'application/octet-stream',
      buffer: Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])});
    await page.waitForFunction(() => document.getElementById('start-status').classList.contains('bad'));
    check(/junk\.pb\.gz: /.test(await page.locator('#start-status').textContent()),
        'bad upload message: ' + await page.locator('#start-status').textContent());
    check(await page.locator('#stored tbody tr').count() === 3, 'a bad upload is not listed');

    // A URL that cannot be fetched: the server's message is shown in place.
    await page.fill('#fetch-url', 'http://127.0.0.1:1/debug/pprof/heap');
    await page.click('#fetch-button');
    await page.waitForFunction(() => /http fetch/.test(document.getElementById('start-status').textContent));
    check(await page.locator('#start-status.bad').count() === 1, 'fetch error shown as an error');
    check(await page.locator('#stored tbody tr').count() === 3, 'a failed fetch is not listed');

    // Open the CPU profile's top view from the list: numbers as the API gives them.
    const row = page.locator('#stored tbody tr', {hasText: 'shop.cpu.pb.gz'});
    const id = await row.getAttribute('data-id');
    await row.locator('a', {hasText: 'top'}).click();
    await page.waitForSelector('#top-table tbody tr');
    check(page.url() === `${base}/p/${id}/ui/top`, 'opened ' + page.url());
    const api = await (await fetch(`${base}/p/${id}/api/top`)).json();
    const first = await page.locator('#top-table tbody tr').first().locator('td').allTextContents();
    check(first[0] === api.rows[0].flat_fmt, `first row ${first} vs ${api.rows[0].flat_fmt}`);

    // The flame graph of the uploaded profile draws.
    await page.goto(`${base}/p/${id}/ui/flamegraph`);
    await page.waitForSelector('canvas');
    check(await page.locator('canvas').count() > 0, 'flame graph drawn');

    // The HTML-named profile's view shows the name as text and runs nothing.
    const xssRow = page.locator('#stored tbody tr');
    await page.goto(base + '/start');
    await page.waitForSelector('#stored tbody tr');
    const xid = await xssRow.filter({hasText: '<b>x.pb'}).getAttribute('data-id');
    await page.goto(`${base}/p/${xid}/ui/top`);
    await page.waitForSelector('#top-table tbody tr');
    const fnames = await page.locator('#top-table td.name').allTextContents();
    check(fnames.some((t) => t.startsWith('"><svg onload=')), 'HTML function name shown as text: ' + fnames);
    check(await page.evaluate(() => window.__xss) === undefined && await page.locator('svg[onload]').count() === 0,
        'no element made from the name, no script ran');

    // From a normal view, the header's Profiles link leads to the start page.
    await page.click('#profiles-link');
    await page.waitForSelector('#drop-zone');
    check(new URL(page.url()).pathname === '/start', 'Profiles link: ' + page.url());
    check(await page.locator('#stored tbody tr').count() === 3, 'start page lists the store');

    check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '));
  } finally {
    await srv.stop();
    await browser.close();
  }

  // A restart on the same store keeps every link.
  const srv2 = await startServer(['-store', store]);
  try {
    const list = await (await fetch(srv2.url + '/api/store')).json();
    check(list.profiles.length === 3, 'after a restart the store lists ' + list.profiles.length);
    const r = await fetch(`${srv2.url}/p/${list.profiles[0].id}/api/meta`);
    check(r.status === 200, 'an old link works after a restart: ' + r.status);
  } finally {
    await srv2.stop();
    fs.rmSync(store, {recursive: true, force: true});
  }
}

t.run('store browser', main);
