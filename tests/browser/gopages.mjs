// Browser tests of Go's own text pages (testdata/gopages/pages, written by a real Go program):
// a ?debug=1 heap page shows names from its comments with the legend saying so, and a readable
// runtime.MemStats panel (groups in MiB, meanings on hover, GC pause percentiles); a debug=2
// dump and a panic show the goroutines summary (a panic with its message), and their flame graph takes tag filters, which the
// summary follows; a gctrace
// log opens the GC view at /ui/. Screenshots:
// build/screenshots/gopages-*.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {checker, launchBrowser, shots, startServer} from './lib.mjs';

const t = checker();
const check = t.check;

async function heapPage(browser) {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'pprofweb-store-'));
  const srv = await startServer(['-store', store, 'testdata/gopages/pages/heap.debug1.txt']);
  try {
    const page = await browser.newPage({viewport: {width: 1280, height: 900}});
    await page.goto(srv.url + '/ui/top');
    await page.waitForSelector('#memstats table');
    const legend = await page.textContent('#legend');
    check(legend.includes("Names: from the profile's comments"), 'legend names the comments: ' + legend.slice(0, 200));
    const body = await page.textContent('body');
    check(/main\.allocate/.test(body), 'top shows main.allocate from the comments');
    check(!/<unknown>/.test(body.split('runtime.MemStats')[0]), 'no <unknown> rows');
    const groups = await page.$$eval('#memstats caption', (cs) => cs.map((c) => c.textContent));
    check(groups.includes('Heap') && groups.includes('Garbage collector') && groups.includes('Derived'),
        'MemStats groups: ' + groups.join(', '));
    const heapAlloc = await page.$eval('#memstats tr[title*="heap objects"] td', (td) => td.textContent);
    check(/^\d+(\.\d)? MiB$/.test(heapAlloc), 'HeapAlloc in MiB: ' + heapAlloc);
    const pauses = await page.$$eval('#memstats th', (ths) => ths.map((h) => h.textContent));
    check(pauses.some((p) => p.startsWith('Pauses p50 / p90 / p99')), 'pause percentiles shown');
    check(pauses.includes('Held but free') && pauses.includes('Used by the process'), 'derived figures named by their meaning');
    const held = await page.$eval('#memstats tr[title^="HeapIdle - HeapReleased"] th', (th) => th.textContent);
    check(held === 'Held but free', 'the formula on hover: ' + held);
    await page.screenshot({path: path.join(shots, 'gopages-memstats.png'), fullPage: true});
    await page.close();
  } finally {
    await srv.stop();
    fs.rmSync(store, {recursive: true, force: true});
  }
}

async function dumpPage(browser, file, shot, want, crash) {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'pprofweb-store-'));
  const srv = await startServer(['-store', store, file]);
  try {
    const page = await browser.newPage({viewport: {width: 1280, height: 900}});
    await page.goto(srv.url + '/ui/top');
    await page.waitForSelector('#goroutines .goroutine-group');
    const first = await page.$eval('#goroutines .goroutine-group summary', (s) => s.textContent);
    check(first.startsWith(want), `${file}: first group "${first}" starts with "${want}"`);
    const head = await page.$eval('#legend > div', (x) => x.textContent);
    check(crash ? head === crash : head.startsWith('Type: '), `${file}: the legend starts with what it died of: ${head}`);
    const frames = await page.$$eval('#goroutines .goroutine-frames .fn', (fs) => fs.map((f) => f.textContent));
    check(frames.some((f) => f.startsWith('main.')), `${file}: frames shown`);
    const rows = await page.textContent('#content, body');
    check(/main\.main/.test(rows), `${file}: top view has the stacks`);
    await page.screenshot({path: path.join(shots, shot), fullPage: true});
    // The flame graph and the tag-filtered graph of the dump.
    await page.goto(srv.url + '/ui/flamegraph?tf=' + encodeURIComponent('state=chan receive'));
    await page.waitForSelector('canvas');
    await page.waitForTimeout(300);
    await page.screenshot({path: path.join(shots, shot.replace('.png', '-flame.png'))});
    const legend = await page.textContent('#legend');
    check(legend.includes('tagfocus=state=chan receive'), `${file}: tag filter in the legend`);
    // The goroutines panel counts what the filtered views show, and only those goroutines.
    await page.waitForFunction(() => /^Goroutines: \d/.test(document.querySelector('#goroutines > summary')?.textContent || ''));
    const panel = await page.$eval('#goroutines > summary', (x) => x.textContent);
    const top = await (await fetch(srv.url + '/api/top?tf=' + encodeURIComponent('state=chan receive'))).json();
    const shown = /accounting for ([\d,]*\d)/.exec(top.legend[top.legend.length - 1])[1];
    check(panel.startsWith(`Goroutines: ${shown} in `), `${file}: panel "${panel}" counts the ${shown} top shows`);
    const states = await page.$$eval('#goroutines .goroutine-group > summary', (ss) => ss.map((x) => x.textContent));
    check(states.length > 0 && states.every((x) => x.includes('chan receive')), `${file}: panel groups are the filtered ones: ${states.join(' | ')}`);
    await page.close();
  } finally {
    await srv.stop();
    fs.rmSync(store, {recursive: true, force: true});
  }
}

async function gcPage(browser) {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'pprofweb-store-'));
  const srv = await startServer(['-store', store, 'testdata/gopages/pages/gctrace.log']);
  try {
    const page = await browser.newPage({viewport: {width: 1280, height: 1000}});
    await page.goto(srv.url + '/ui/');
    await page.waitForSelector('.gc-chart polyline');
    const lines = await page.$$eval('.gc-chart polyline', (ps) => ps.map((p) => p.getAttribute('points').split(' ').length));
    const rows = await page.$$eval('.gc-cycles tbody tr', (rs) => rs.length);
    check(rows >= 5 && lines[0] === rows, `GC view: ${rows} cycles, ${lines[0]} chart points`);
    const legend = await page.textContent('#legend');
    check(/GC trace: \d+ cycles/.test(legend) && /are the program's own/.test(legend), 'GC legend: ' + legend);
    await page.screenshot({path: path.join(shots, 'gopages-gctrace.png'), fullPage: true});
    await page.close();
  } finally {
    await srv.stop();
    fs.rmSync(store, {recursive: true, force: true});
  }
}

async function main() {
  const browser = await launchBrowser();
  try {
    await heapPage(browser);
    await gcPage(browser);
    await dumpPage(browser, 'testdata/gopages/pages/goroutine.debug2.txt', 'gopages-goroutines.png',
        '12 goroutines · chan receive · waiting 1 minute · created by main.main');
    await dumpPage(browser, 'testdata/gopages/pages/panic.txt', 'gopages-panic.png', '1 goroutine · ',
        'panic: runtime error: index out of range [0] with length 0');
  } finally {
    await browser.close();
  }
}

t.run('gopages browser', main);
