// Browser tests of the pprofweb page. Starts build/pprofweb on 127.0.0.1 with an ephemeral port,
// drives headless chromium with playwright-core: views, Sample menu, row menu focus, sorting,
// search, Refine dialog, back/forward/reload, errors shown in place, Copy link, and a profile
// whose function names are HTML (must render as text). Saves screenshots in build/screenshots/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import {bfield, checker, launchBrowser, root, shots, startServer, varint, vfield} from './lib.mjs';

const t = checker();
const check = t.check;

// --- a profile.proto whose names are HTML (raw protobuf is accepted) ---
const utf8 = (s) => [...Buffer.from(s, 'utf8')];
function xssProfile() {
  const strings = ['', 'samples', 'count', 'cpu', 'nanoseconds',
    '<img src=x onerror="window.__xss=1">', '<script>window.__xss=2</script>', 'main.go'];
  const p = [];
  p.push(...bfield(1, [...vfield(1, 1), ...vfield(2, 2)]));   // sample_type samples/count
  p.push(...bfield(1, [...vfield(1, 3), ...vfield(2, 4)]));   // cpu/nanoseconds
  // sample: locations 1 (leaf) and 2, values [5, 50000000]
  p.push(...bfield(2, [...bfield(1, [...varint(1), ...varint(2)]), ...bfield(2, [...varint(5), ...varint(50000000)])]));
  p.push(...bfield(2, [...bfield(1, [...varint(2)]), ...bfield(2, [...varint(2), ...varint(20000000)])]));
  // locations: id, line{function_id, line}
  p.push(...bfield(4, [...vfield(1, 1), ...bfield(4, [...vfield(1, 1), ...vfield(2, 10)])]));
  p.push(...bfield(4, [...vfield(1, 2), ...bfield(4, [...vfield(1, 2), ...vfield(2, 20)])]));
  // functions: id, name, system_name, filename
  p.push(...bfield(5, [...vfield(1, 1), ...vfield(2, 5), ...vfield(3, 5), ...vfield(4, 7)]));
  p.push(...bfield(5, [...vfield(1, 2), ...vfield(2, 6), ...vfield(3, 6), ...vfield(4, 7)]));
  for (const s of strings) p.push(...bfield(6, utf8(s)));
  return zlib.gzipSync(Buffer.from(p));
}

async function main() {
  const browser = await launchBrowser();
  const srv = await startServer(['-source_path=testdata/shop', 'testdata/profiles/shop.cpu.pb.gz']);
  const base = srv.url;
  try {
    const ctx = await browser.newContext({viewport: {width: 1280, height: 860}});
    const page = await ctx.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    // Top view: the table matches the API.
    await page.goto(base + '/ui/top');
    await page.waitForSelector('#top-table tbody tr');
    const api = await (await fetch(base + '/api/top')).json();
    const nrows = await page.locator('#top-table tbody tr').count();
    check(nrows === api.rows.length, `top rows ${nrows} == API rows ${api.rows.length}`);
    const first = await page.locator('#top-table tbody tr').first().locator('td').allTextContents();
    check(first[0] === api.rows[0].flat_fmt && first[5].startsWith(api.rows[0].name),
        `first row ${JSON.stringify(first)}`);
    const legend = await page.locator('#legend').textContent();
    check(/Type: cpu/.test(legend) && /Showing nodes accounting for/.test(legend), 'legend: ' + legend);
    check(/shop/.test(await page.title()), 'title names the profile');
    await page.screenshot({path: path.join(shots, 'top.png')});

    // Sample menu: switch to samples.
    await page.click('#sample-menu .menu-button');
    await page.click('#sample-menu a[data-si="samples"]');
    await page.waitForFunction(() => /Type: samples/.test(document.getElementById('legend').textContent));
    check(new URL(page.url()).searchParams.get('si') === 'samples', 'si in URL: ' + page.url());
    check(await page.locator('#sample-menu a.current').textContent() === 'samples', 'current sample marked');

    // Sort by cum.
    await page.click('#top-table th:nth-child(4)');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'cum');
    await page.waitForSelector('#top-table th.sorted:nth-child(4)');
    const cums = await (await fetch(base + '/api/top?si=samples&sort=cum')).json();
    const firstName = await page.locator('#top-table tbody tr td.name').first().textContent();
    check(firstName.startsWith(cums.rows[0].name), `sorted by cum: ${firstName}`);

    // Row menu: focus on the second row.
    const row = page.locator('#top-table tbody tr').nth(1);
    const name = await row.getAttribute('data-name');
    await row.click();
    await page.waitForSelector('#row-menu:not([hidden])');
    check(await page.locator('#row-menu .popup-title').textContent() === name, 'row menu names the row');
    await page.click('#row-menu a[data-act="focus"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('f'));
    const f = new URL(page.url()).searchParams.get('f');
    check(f === '^' + name.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&') + '$', `focus regexp ${f} for ${name}`);
    await page.waitForFunction(() => /Active filters:/.test(document.getElementById('legend').textContent));
    check(/focus=/.test(await page.locator('#legend').textContent()), 'legend lists the focus');
    const focusedURL = page.url();

    // Back and forward restore the views.
    await page.goBack();
    await page.waitForFunction(() => !new URL(location.href).searchParams.get('f'));
    await page.waitForFunction(() => !/Active filters:/.test(document.getElementById('legend').textContent));
    check(new URL(page.url()).searchParams.get('sort') === 'cum', 'back keeps sort=cum');
    await page.goForward();
    await page.waitForFunction(() => /Active filters:/.test(document.getElementById('legend').textContent));
    check(page.url() === focusedURL, 'forward restores the focus');
    await page.reload();
    await page.waitForSelector('#top-table tbody tr');
    check(/Active filters:/.test(await page.locator('#legend').textContent()), 'reload keeps the view');
    await page.screenshot({path: path.join(shots, 'top-focused.png')});

    // Refine > Reset, then Refine > Ignore through the dialog.
    await page.click('#refine-menu .menu-button');
    await page.click('#refine-menu a[data-refine="reset"]');
    await page.waitForFunction(() => !new URL(location.href).searchParams.get('f'));
    await page.click('#refine-menu .menu-button');
    await page.click('#refine-menu a[data-refine="i"]');
    await page.fill('#refine-value', 'json');
    await page.click('#refine-apply');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('i') === 'json');
    await page.waitForFunction(() => /ignore=json/.test(document.getElementById('legend').textContent));
    const names = await page.locator('#top-table tbody tr td.name').allTextContents();
    const ignored = await (await fetch(base + '/api/top?si=samples&sort=cum&i=json')).json();
    check(names.length === ignored.rows.length && names.every((n) => !/json/.test(n)),
        `ignore=json removes json rows (${names.length} rows)`);

    // Search highlights, Enter focuses.
    await page.fill('#search', 'main');
    await page.waitForFunction(() => document.querySelectorAll('#top-table tr.hl').length > 0);
    const hl = await page.locator('#top-table tr.hl td.name').allTextContents();
    check(hl.length > 0 && hl.every((n) => /main/.test(n)), `search highlights ${hl.length} rows`);
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('f') === 'main');
    check(true, 'Enter focuses');

    // Options menu: granularity and a toggle, marked as current.
    await page.click('#options-menu .menu-button');
    await page.click('#options-menu a[data-g="lines"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('g') === 'lines');
    await page.waitForSelector('#options-menu a.current[data-g="lines"]', {state: 'attached'});
    await page.waitForFunction(() => {
      const names = [...document.querySelectorAll('#top-table td.name')].map((td) => td.textContent);
      return names.length > 0 && names.every((n) => /:\d+/.test(n));
    });
    check(true, 'g=lines shows file:line names');
    await page.click('#options-menu .menu-button');
    await page.click('#options-menu a[data-toggle="noinlines"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('noinlines') === 't');
    await page.waitForSelector('#options-menu a.current[data-toggle="noinlines"]', {state: 'attached'});
    await page.click('#options-menu .menu-button');
    await page.click('#options-menu a[data-toggle="noinlines"]');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('noinlines'));
    await page.click('#options-menu .menu-button');
    await page.click('#options-menu a[data-g="functions"]');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('g'));
    check(true, 'options toggle on and off through the URL');

    // Peek view from the View menu.
    await page.click('#view-menu .menu-button');
    await page.click('#view-menu a[data-view="peek"]');
    await page.waitForSelector('#peek-table tr.self');
    check(/\/ui\/peek/.test(page.url()), 'peek URL');
    check(await page.locator('#peek-table tr.self').count() > 0, 'peek shows functions');
    await page.screenshot({path: path.join(shots, 'peek.png')});

    // Source: the listing of a function, its hottest line shaded.
    await page.goto(base + '/ui/source?f=main%5C.checksum');
    await page.waitForSelector('.source-fn pre.source');
    const srcApi = await (await fetch(base + '/api/source?f=main%5C.checksum')).json();
    check(/ROUTINE =+ main\.checksum/.test(srcApi.text), 'source API lists main.checksum');
    // As pprof's source page: the profile's labels, not a trimmed graph's "Showing nodes".
    check(srcApi.legend.some((l) => l.startsWith('Type: ')) &&
        !srcApi.legend.some((l) => l.startsWith('Showing nodes')), `source legend: ${srcApi.legend}`);
    check(await page.locator('.source-fn h3').count() === (srcApi.text.match(/ROUTINE/g) || []).length,
        'one block per function');
    const hot = await page.locator('pre.source span.hot4').allTextContents();
    const hotLine = srcApi.text.split('\n').find((l) => /^\s*\S+\s+\d[^ ]*\s+\d+:/.test(l));
    check(hot.length >= 1 && hotLine && hot.includes(hotLine), `hottest line shaded: ${hot}`);
    await page.screenshot({path: path.join(shots, 'source.png')});

    // Errors are shown in place.
    await page.goto(base + '/ui/top?si=nosuchtype');
    await page.waitForSelector('#errors:not([hidden])');
    check(/sample_index/.test(await page.locator('#errors').textContent()), 'bad si message shown');
    await page.goto(base + '/ui/top?f=(');
    await page.waitForSelector('#errors:not([hidden])');
    check(/regexp/.test(await page.locator('#errors').textContent()), 'bad regexp message shown');

    // Copy link.
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], {origin: base});
    await page.goto(base + '/ui/top?sort=cum');
    await page.waitForSelector('#top-table tbody tr');
    await page.click('#copy-link');
    await page.waitForSelector('.toast:not([hidden])');
    const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
    check(copied === page.url(), `copied link ${copied}`);
    check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '));
    await ctx.close();
  } finally {
    check(await srv.stop() === 0, 'server exits 0 on SIGTERM');
  }

  // HTML in function names is text.
  const xssFile = path.join(os.tmpdir(), `pprofweb-xss-${process.pid}.pb.gz`);
  fs.writeFileSync(xssFile, xssProfile());
  // -symbolize=none keeps the names as written (pprof's default simplification strips <...>).
  const srv2 = await startServer(['-symbolize=none', xssFile]);
  try {
    const page = await browser.newPage();
    await page.goto(srv2.url + '/ui/top');
    await page.waitForSelector('#top-table tbody tr');
    const names = await page.locator('#top-table td.name').allTextContents();
    const want = (await (await fetch(srv2.url + '/api/top')).json()).rows.map((r) => r.name);
    check(JSON.stringify(names) === JSON.stringify(want) && names.some((n) => n.startsWith('<img src=x')) &&
        names.some((n) => n.startsWith('<script>')), 'HTML names shown as text: ' + names);
    check(await page.locator('#top-table img, #top-table script').count() === 0, 'no element injected');
    // The caller (second row) has both a callee and a file:line name at peek's granularity.
    await page.locator('#top-table tbody tr').nth(1).click();
    await page.waitForSelector('#row-menu:not([hidden])');
    await page.click('#row-menu a[data-act="peek"]');
    await page.waitForSelector('#peek-table tr.self');
    check(await page.locator('#peek-table img, #peek-table script').count() === 0, 'peek: no element injected');
    check(await page.evaluate(() => window.__xss === undefined), 'no script ran');
    await page.screenshot({path: path.join(shots, 'xss.png')});
  } finally {
    await srv2.stop();
    fs.rmSync(xssFile, {force: true});
  }
  // A long table (the corpus's large CPU profile untrimmed, when the corpus is beside the
  // repository) keeps only the rows near the viewport in the page, and scrolls to the last row.
  const large = path.join(root, '../shared/corpus/public/go-cpu-large.pb.gz');
  if (fs.existsSync(large)) {
    const srv4 = await startServer([large]);
    try {
      const page = await browser.newPage({viewport: {width: 1280, height: 800}});
      const all = await (await fetch(srv4.url + '/api/top?trim=f')).json();
      const t0 = Date.now();
      await page.goto(srv4.url + '/ui/top?trim=f');
      await page.waitForSelector('#top-table.virtual tbody tr td.name');
      const shown = await page.locator('#top-table tbody tr:not(.pad)').count();
      check(all.rows.length > 5000 && shown < 500, `long table: ${shown} of ${all.rows.length} rows in the page, ${Date.now() - t0} ms`);
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      const lastName = all.rows[all.rows.length - 1].name;
      await page.waitForFunction((n) => [...document.querySelectorAll('#top-table td.name')].some((td) => td.textContent.startsWith(n)), lastName);
      check(true, 'scrolled to the last row');
      await page.screenshot({path: path.join(shots, 'top-long.png')});
    } finally {
      await srv4.stop();
    }
  }

  // A diff: signed values, growth red and shrinkage green.
  const srv3 = await startServer(['-diff_base', 'testdata/profiles/shop.heap-t0.pb.gz',
    'testdata/profiles/shop.heap-t1.pb.gz']);
  try {
    const page = await browser.newPage({viewport: {width: 1280, height: 600}});
    await page.goto(srv3.url + '/ui/top');
    await page.waitForSelector('#top-table tbody tr');
    const pos = await page.locator('#top-table td.pos').count();
    const neg = await page.locator('#top-table td.neg').allTextContents();
    check(pos > 0 && neg.length > 0 && neg.every((t) => t.startsWith('-')),
        `diff colours: ${pos} growth cells, shrinkage ${neg}`);
    const red = await page.locator('#top-table td.pos').first().evaluate((e) => getComputedStyle(e).color);
    check(red === 'rgb(192, 28, 40)', 'growth is red: ' + red);
    await page.screenshot({path: path.join(shots, 'diff.png')});
  } finally {
    await srv3.stop();
  }
  await browser.close();
}

t.run('browser', main);
