// start: the start page (/start, and /ui/ when the server was started without a profile).
// Upload profile files (drop them on the box or pick them; one multipart POST to /api/upload
// with XMLHttpRequest so the upload's progress shows), fetch a live net/http/pprof URL (POST
// /api/fetch), and below, the stored profiles with links to open each. When the server needs
// its access token for uploads, the page asks for it once and keeps it in localStorage.
// Names come from uploads and URLs: they reach the page only as text (util.el), never as HTML.
import {el, clear, token, saveToken, fmtSize, fmtTime} from '/static/util.js';
import {addSeries} from '/static/series_start.js';

function viewLink(id, view) {
  return `/p/${encodeURIComponent(id)}/ui/${view}`;
}

function parseJSON(text) {
  try { return JSON.parse(text); } catch (e) { return null; }
}

// Sends files as one multipart upload; reports progress as (loaded, total).
function sendFiles(files, onProgress) {
  return new Promise((resolve) => {
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/upload');
    if (token()) xhr.setRequestHeader('Authorization', 'Bearer ' + token());
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      const body = parseJSON(xhr.responseText) || {error: `${xhr.status} ${xhr.statusText}`};
      resolve({status: xhr.status, body});
    });
    xhr.addEventListener('error', () => resolve({status: 0, body: {error: 'the upload failed: the server did not answer'}}));
    xhr.send(form);
  });
}

async function sendFetch(url, seconds) {
  const headers = {};
  if (token()) headers.Authorization = 'Bearer ' + token();
  const body = new URLSearchParams({url});
  if (seconds) body.set('seconds', seconds);
  try {
    const resp = await fetch('/api/fetch', {method: 'POST', headers, body});
    const json = parseJSON(await resp.text()) || {error: `${resp.status} ${resp.statusText}`};
    return {status: resp.status, body: json};
  } catch (e) {
    return {status: 0, body: {error: 'the fetch failed: the server did not answer'}};
  }
}

// Draws the start page into container.
export async function render(ctx) {
  const root = ctx.container;
  clear(root);
  const page = el('div', {className: 'start-page'});
  root.append(page);

  const status = el('div', {id: 'start-status', className: 'start-status', role: 'status'});
  const progress = el('progress', {id: 'upload-progress', max: '1', value: '0', hidden: true});
  const results = el('ul', {id: 'start-results', className: 'start-results'});
  const input = el('input', {id: 'upload-input', type: 'file', multiple: true, hidden: true});
  const pick = el('button', {type: 'button', id: 'upload-pick'}, 'Choose files…');
  const drop = el('div', {id: 'drop-zone', className: 'drop-zone', tabindex: '0'},
      el('div', {className: 'drop-title'}, 'Drop profiles here'),
      el('div', {className: 'drop-help'}, 'profile.proto (gzipped or not) or a legacy text profile; several at once are fine'),
      pick, input);

  const tokenInput = el('input', {id: 'token-input', type: 'password', size: '32', autocomplete: 'off',
    placeholder: 'access token'});
  const tokenBox = el('form', {id: 'token-box', className: 'token-box', hidden: true},
      el('span', null, 'This server needs its access token for uploads and fetches: '), tokenInput,
      el('button', {type: 'submit'}, 'Save'));

  const urlInput = el('input', {id: 'fetch-url', type: 'text', size: '60', spellcheck: 'false',
    placeholder: 'http://host:6060/debug/pprof/heap', 'aria-label': 'Profile URL'});
  const secInput = el('input', {id: 'fetch-seconds', type: 'number', min: '0', max: '3600',
    placeholder: 'seconds', 'aria-label': 'Seconds', className: 'seconds'});
  const fetchButton = el('button', {type: 'submit', id: 'fetch-button'}, 'Fetch');
  const urlForm = el('form', {id: 'fetch-form', className: 'fetch-form'},
      el('label', {for: 'fetch-url'}, 'Or fetch a live profile: '), urlInput, secInput, fetchButton);

  const listBody = el('tbody');
  const list = el('table', {id: 'stored', className: 'stored'},
      el('thead', null, el('tr', null, el('th', {className: 'pick'}, ''), el('th', null, 'Name'), el('th', null, 'Type'),
          el('th', null, 'Time'), el('th', null, 'Stored'), el('th', {className: 'num'}, 'Size'),
          el('th', null, 'Open'))),
      listBody);
  const listNote = el('p', {className: 'empty', id: 'stored-empty'});
  // Two rows ticked offer a comparison: the later profile with the earlier as its diff base.
  const compareBox = el('div', {className: 'start-compare', id: 'start-compare', hidden: true});
  const picked = new Map();
  const showCompare = () => {
    clear(compareBox);
    compareBox.hidden = picked.size === 0;
    if (picked.size !== 2) {
      compareBox.textContent = 'Tick two profiles to compare them.';
      return;
    }
    // Oldest first: the profile's own time, else when it was stored.
    const when = (p) => p.time_nanos || (p.stored_at || 0) * 1e9;
    const [a, b] = [...picked.values()].sort((x, y) => when(x) - when(y));
    compareBox.append(el('a', {href: `${viewLink(b.id, 'flamegraph')}?diff_base=${encodeURIComponent(a.id)}`,
      id: 'start-compare-link', className: 'open'}, `Compare ${b.name || b.id} with ${a.name || a.id}`));
  };

  page.append(el('h1', null, 'Open a profile'), drop, progress, status, results, tokenBox, urlForm,
      el('h2', null, 'Stored profiles'), compareBox, list, listNote);

  function say(msg, bad) {
    status.textContent = msg;
    status.classList.toggle('bad', !!bad);
  }

  // Shows what came in, or why not; asks for the token on 401.
  function done(res) {
    progress.hidden = true;
    if (res.status === 200) {
      say(res.body.profiles.length === 1 ? 'Stored 1 profile.' : `Stored ${res.body.profiles.length} profiles.`);
      document.dispatchEvent(new CustomEvent('pprofweb:stored', {detail: res.body.profiles}));
      for (const p of res.body.profiles) {
        results.append(el('li', null, el('a', {href: p.link, className: 'open'}, p.name),
            ` (${p.type.split(',').join(', ')}, ${fmtSize(p.size)})`));
      }
      refresh();
    } else {
      say(res.body.error || `error ${res.status}`, true);
      if (res.status === 401) {
        tokenBox.hidden = false;
        tokenInput.focus();
      }
    }
  }

  async function uploadFiles(files) {
    if (!files || !files.length) return;
    clear(results);
    progress.hidden = false;
    progress.max = 1;
    progress.value = 0;
    say(`Uploading ${files.length === 1 ? files[0].name : files.length + ' files'}…`);
    done(await sendFiles(files, (loaded, total) => {
      progress.max = total;
      progress.value = loaded;
      say(loaded < total ? `Uploading… ${Math.floor(100 * loaded / total)}%` : 'Checking the profile…');
    }));
  }

  pick.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    uploadFiles([...input.files]);
    input.value = '';
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    uploadFiles([...(e.dataTransfer ? e.dataTransfer.files : [])]);
  });
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  urlForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const url = urlInput.value.trim();
    if (!url) return;
    clear(results);
    fetchButton.disabled = true;
    say(`Fetching ${url}…`);
    done(await sendFetch(url, secInput.value));
    fetchButton.disabled = false;
  });
  tokenBox.addEventListener('submit', (e) => {
    e.preventDefault();
    saveToken(tokenInput.value);
    tokenBox.hidden = true;
    say('Token saved: try again.');
  });

  async function refresh() {
    let store = null;
    try {
      store = await fetch('/api/store').then((r) => r.json());
    } catch (e) { /* shown below */ }
    clear(listBody);
    let rows = store && store.profiles ? store.profiles : [];
    if (store && !store.store) {
      // No store: the profiles this server holds in memory.
      drop.hidden = true;
      urlForm.hidden = true;
      say('This server has no profile store (-store), so it cannot take uploads.', true);
      const mem = await fetch('/api/profiles').then((r) => r.json()).catch(() => ({profiles: []}));
      rows = (mem.profiles || []).map((p) => ({id: p.id, name: p.name, type: p.sample_types.join(','),
        time_nanos: p.time_nanos}));
    }
    for (const p of rows) {
      const tick = el('input', {type: 'checkbox', className: 'pick', 'aria-label': 'Select to compare'});
      tick.checked = picked.has(p.id);
      tick.addEventListener('change', () => {
        if (tick.checked) picked.set(p.id, p);
        else picked.delete(p.id);
        showCompare();
      });
      listBody.append(el('tr', {dataset: {id: p.id}}, el('td', {className: 'pick'}, tick),
          el('td', {className: 'name'}, el('a', {href: viewLink(p.id, 'flamegraph'), title: p.id}, p.name || p.id)),
          el('td', {className: 'type'}, (p.type || '').split(',').join(', ')),
          el('td', null, fmtTime((p.time_nanos || 0) / 1e6) || '—'),
          el('td', null, fmtTime((p.stored_at || 0) * 1000)),
          el('td', {className: 'num'}, p.size ? fmtSize(p.size) : ''),
          el('td', {className: 'links'}, el('a', {href: viewLink(p.id, 'flamegraph')}, 'flame graph'), ' · ',
              el('a', {href: viewLink(p.id, 'top')}, 'top'), ' · ',
              el('a', {href: viewLink(p.id, '')}, 'graph'))));
    }
    list.hidden = rows.length === 0;
    const inSeries = store && store.in_series ? ` ${store.in_series} more are snapshots, listed with their series.` : '';
    listNote.textContent = (rows.length ? (store && store.truncated ? 'Only the newest are listed.' : '') :
      'No profiles stored yet: upload one above.') + inSeries;
    if (store && store.token_required && !store.authorized && !token()) tokenBox.hidden = false;
  }
  await refresh();
  await addSeries(page, urlForm);
}
