// series_start: the start page's series part. A Watch form beside Fetch (URL, interval,
// seconds: POST /api/watch), the running watches with a Stop button each (POST /api/watch/stop),
// the stored series with links to their timelines (GET /api/series), the store's disk use, and
// after an upload of several files an "Open as a series" button (POST /api/series). Writes need
// the token like uploads (util.token). Names and errors are
// text only (util.el).
import {el, clear, token, fmtSize, fmtTime as utcTime} from '/static/util.js';

function fmtTime(ms) {
  return utcTime(ms) || '—';
}

async function post(path, fields) {
  const headers = {};
  if (token()) headers.Authorization = 'Bearer ' + token();
  try {
    const resp = await fetch(path, {method: 'POST', headers, body: new URLSearchParams(fields)});
    let body = null;
    try { body = await resp.json(); } catch (e) { /* below */ }
    return {status: resp.status, body: body || {error: `${resp.status} ${resp.statusText}`}};
  } catch (e) {
    return {status: 0, body: {error: 'the server did not answer'}};
  }
}

function fmtInterval(ms) {
  return ms % 60000 === 0 ? ms / 60000 + 'm' : ms % 1000 === 0 ? ms / 1000 + 's' : ms + 'ms';
}

// Adds the series part to the start page: the Watch form after `after`, the lists at the end
// of page.
export async function addSeries(page, after) {
  const urlInput = el('input', {id: 'watch-url', type: 'text', size: '60', spellcheck: 'false',
    placeholder: 'http://host:6060/debug/pprof/heap', 'aria-label': 'URL to watch'});
  const every = el('input', {id: 'watch-interval', type: 'text', size: '6', value: '30s',
    'aria-label': 'Interval', className: 'seconds', title: 'How often: 30s, 5m, 1h'});
  const button = el('button', {type: 'submit', id: 'watch-button'}, 'Watch');
  const status = el('span', {id: 'watch-status', className: 'start-status', role: 'status'});
  const form = el('form', {id: 'watch-form', className: 'fetch-form'},
      el('label', {for: 'watch-url'}, 'Or watch a live service (a snapshot every '), every,
      el('span', null, '): '), urlInput, button, status);
  after.after(form);

  const watchBody = el('tbody');
  const watches = el('table', {id: 'watches', className: 'stored'},
      el('thead', null, el('tr', null, el('th', null, 'Watching'), el('th', null, 'Every'),
          el('th', {className: 'num'}, 'Fetches'), el('th', {className: 'num'}, 'Failed'),
          el('th', null, 'Last'), el('th', null, ''))), watchBody);
  const seriesBody = el('tbody');
  const series = el('table', {id: 'series', className: 'stored'},
      el('thead', null, el('tr', null, el('th', null, 'Series'), el('th', null, 'Type'),
          el('th', {className: 'num'}, 'Snapshots'), el('th', {className: 'num'}, 'Gaps'),
          el('th', null, 'From'), el('th', null, 'To'))), seriesBody);
  const note = el('p', {className: 'empty', id: 'series-empty'});
  const disk = el('p', {className: 'empty', id: 'store-disk'});
  page.append(el('h2', null, 'Series'), watches, series, note, disk);

  async function refresh() {
    let d = null;
    try { d = await fetch('/api/series').then((r) => r.json()); } catch (e) { /* below */ }
    clear(watchBody);
    clear(seriesBody);
    if (!d || !d.store) {
      form.hidden = true;
      watches.hidden = series.hidden = true;
      return;
    }
    for (const w of d.watches) {
      const stop = el('button', {type: 'button', className: 'stop-watch', dataset: {id: w.id}}, 'Stop');
      stop.addEventListener('click', async () => {
        const res = await post('/api/watch/stop', {id: w.id});
        status.textContent = res.status === 200 ? 'Stopped.' : res.body.error;
        refresh();
      });
      watchBody.append(el('tr', {dataset: {id: w.id}},
          el('td', {className: 'name'}, el('a', {href: `/s/${w.id}/ui/timeline`}, w.url)),
          el('td', null, fmtInterval(w.interval_ms)),
          el('td', {className: 'num'}, String(w.fetches)),
          el('td', {className: 'num'}, String(w.failures)),
          el('td', {className: 'type', title: w.last_error || ''}, w.last_error ? 'error: ' + w.last_error : fmtTime(w.last_time)),
          el('td', null, stop)));
    }
    watches.hidden = d.watches.length === 0;
    for (const s of d.series) {
      seriesBody.append(el('tr', {dataset: {id: s.id}},
          el('td', {className: 'name'}, el('a', {href: `/s/${s.id}/ui/timeline`, title: s.id}, s.name)),
          el('td', {className: 'type'}, s.type.split(',').join(', ')),
          el('td', {className: 'num'}, String(s.snapshots)),
          el('td', {className: 'num'}, String(s.gaps)),
          el('td', null, fmtTime(s.first_time)), el('td', null, fmtTime(s.last_time))));
    }
    series.hidden = d.series.length === 0;
    note.textContent = d.series.length ? '' : 'No series yet: watch a live service above, or upload several files and open them as a series.';
    disk.textContent = `The store takes ${fmtSize(d.store_bytes)} on disk.`;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const url = urlInput.value.trim();
    if (!url) return;
    button.disabled = true;
    status.textContent = `Starting a watch of ${url}…`;
    const res = await post('/api/watch', {url, interval: every.value.trim() || '30s'});
    button.disabled = false;
    if (res.status === 200) {
      clear(status);
      status.append('Watching: ', el('a', {href: res.body.link}, 'open its timeline'));
    } else {
      status.textContent = res.body.error || `error ${res.status}`;
    }
    refresh();
  });

  // Several files uploaded together: offer them as one series.
  document.addEventListener('pprofweb:stored', (e) => {
    const profiles = e.detail || [];
    const old = document.getElementById('open-as-series');
    if (old) old.remove();
    if (profiles.length < 2) return;
    const results = document.getElementById('start-results');
    const open = el('button', {type: 'button', id: 'open-as-series'}, `Open these ${profiles.length} as a series`);
    open.addEventListener('click', async () => {
      const res = await post('/api/series', {ids: profiles.map((p) => p.id).join(',')});
      if (res.status === 200) location.href = res.body.link;
      else status.textContent = res.body.error || `error ${res.status}`;
    });
    if (results) results.after(open);
  });

  await refresh();
  // Watches move on their own: keep the list current while the page is open.
  setInterval(() => { if (!document.hidden) refresh(); }, 5000);
}
