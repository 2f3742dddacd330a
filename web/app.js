// app: the page shell. Reads the view and its settings from the URL, fetches the JSON behind the
// view from /api, fills the header menus (View, Sample, Refine), the legend and the search box,
// and hands the view area to the view's module (/static/<view>.js, loaded on first use).
// Every change goes through navigate(), which writes the URL with history.pushState, so
// back/forward, reload and copied links all restore the same view.
//
// A view module (web/<view>.js: top, peek, source, graph; flame.js for flamegraph) exports
//   async render(ctx)   draws the view into ctx.container; throws Error(message) on failure
//   highlight(re)       optional: marks what the search regexp (or null) matches
// where ctx has: container, params (URLSearchParams of the page URL), meta (/api/meta),
// api(name, params?) -> JSON of /api/<name> for this profile (cached; rejects with the server's
// message), navigate(view, params), withParams(changes, from?) -> new params (null clears),
// viewURL(view, params), setLegend(lines), openRowMenu(name, mouseEvent) (the focus/ignore/
// hide/show/peek/source/flame menu), select(name), isCurrent() (false once the user moved on).
import {el, clear, exactRegexp, peekRegexp, searchRegexp, toast} from '/static/util.js';
import * as compare from '/static/compare.js';

// View name -> path below /ui/ (pprof's routes).
const VIEW_PATHS = {graph: '', top: 'top', flamegraph: 'flamegraph', peek: 'peek', source: 'source'};
const VIEW_TITLES = {graph: 'Graph', top: 'Top', flamegraph: 'Flame Graph', peek: 'Peek', source: 'Source'};
// View name -> its module under /static/, where the two differ.
const VIEW_MODULES = {flamegraph: 'flame'};
// pprof's refinement parameters (cleared by Refine > Reset).
const REFINE_PARAMS = ['f', 'i', 'h', 's', 'sf', 'prunefrom', 'tf', 'ti', 'ts', 'th'];
const REFINE_INFO = {
  f: ['Focus', 'Keep only samples with a frame matching the regexp.'],
  i: ['Ignore', 'Drop samples with a frame matching the regexp.'],
  h: ['Hide', 'Drop matching frames from the stacks, keep the rest.'],
  s: ['Show', 'Keep only matching frames in the stacks.'],
  sf: ['Show from', 'Drop frames above the highest matching frame.'],
  tf: ['Tag focus', 'Keep samples whose label matches: key=regexp, or a numeric range such as 1kb:10kb.'],
  ti: ['Tag ignore', 'Drop samples whose label matches: key=regexp, or a numeric range.'],
};

const state = {
  prefix: '',        // '' or '/p/ID'
  view: 'graph',
  params: new URLSearchParams(),
  meta: null,        // /api/meta of the current profile and settings
  base: new URLSearchParams(), // the server's initial settings
  module: null,      // the current view's module
  selected: null,    // name of the selected row or node
  renderSeq: 0,
};
const jsonCache = new Map();
// Requests the page's head started before this module ran (prefetch.js): URL -> promise of
// {resp, body}, each taken once by fetchJSON.
let prefetched = new Map();
// The legend's panels, each module loaded with the first profile that has one: the MemStats
// figures of a heap profile (memstats.js) and the groups of a goroutine dump (goroutines.js).
const panels = {memstats: null, goroutines: null};

async function loadPanels(meta) {
  const type = meta.sample_types && meta.sample_types[0] && meta.sample_types[0].type;
  const want = {memstats: !!meta.memstats_fields, goroutines: type === 'goroutine'};
  await Promise.all(Object.keys(want).filter((k) => want[k] && !panels[k]).map(async (k) => {
    try {
      panels[k] = await import(`/static/${k}.js`);
    } catch (e) {
      // The legend goes without the panel.
    }
  }));
}

function parseLocation() {
  const m = location.pathname.match(/^(\/p\/[A-Za-z0-9_-]+)?\/ui\/([a-z]*)$/);
  state.prefix = (m && m[1]) || '';
  const v = m ? m[2] : '';
  state.view = v === '' ? 'graph' : v;
  state.params = new URLSearchParams(location.search);
}

function query(params) {
  const s = params.toString();
  return s ? '?' + s : '';
}

export function viewURL(view, params) {
  return state.prefix + '/ui/' + (VIEW_PATHS[view] ?? view) + query(params);
}

// Changes the view and/or settings and records the new URL in the history.
export function navigate(view, params, replace) {
  const url = viewURL(view, params);
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

// Copies the current settings, applies changes ({key: value}; '' or null clears) and returns
// them. A setting the server was started with is cleared by writing it empty.
export function withParams(changes, from) {
  const p = new URLSearchParams(from || state.params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') {
      if (state.base.get(k)) p.set(k, '');
      else p.delete(k);
    } else {
      p.set(k, String(v));
    }
  }
  return p;
}

// Fetches JSON from the profile's API with the current settings (or params), cached by URL.
// The cache holds the promise, so a view's data asked for early (prefetch) and again by its
// render is fetched once; a failed request is not kept.
export function api(name, params) {
  const url = state.prefix + '/api/' + name + query(params || settingsOnly(state.params));
  if (jsonCache.has(url)) return jsonCache.get(url);
  const p = fetchJSON(url);
  if (jsonCache.size > 64) jsonCache.clear();
  jsonCache.set(url, p);
  p.catch(() => { if (jsonCache.get(url) === p) jsonCache.delete(url); });
  return p;
}

async function fetchJSON(url) {
  let got = prefetched.get(url);
  if (got) {
    prefetched.delete(url);
  } else {
    got = fetch(url, {headers: {Accept: 'application/json'}}).then((resp) =>
      resp.json().then((body) => ({resp, body}), () => ({resp, body: undefined})));
  }
  const {resp, body} = await got;
  if (body === undefined) throw new Error(`${resp.status} ${resp.statusText}`);
  if (!resp.ok) throw new Error(body.error || `${resp.status} ${resp.statusText}`);
  return body;
}

// The URL parameters the server reads (everything but the page's own, like q).
function settingsOnly(params) {
  const p = new URLSearchParams(params);
  p.delete('q');
  p.delete('by');
  return p;
}

// --- errors, legend, title ---

function showError(msg) {
  const box = document.getElementById('errors');
  box.textContent = msg;
  box.hidden = !msg;
}

export function setLegend(lines) {
  const legend = document.getElementById('legend');
  clear(legend);
  let inFilters = false;
  for (const line of lines || []) {
    if (line === 'Active filters:') inFilters = true;
    else if (!line.startsWith('   ')) inFilters = false;
    legend.append(el('div', {className: inFilters ? 'filters' : null}, line));
  }
  const meta = state.meta;
  const dump = panels.goroutines && panels.goroutines.goroutinesPanel(meta, api);
  if (dump) legend.append(dump);
  const panel = panels.memstats && panels.memstats.memstatsPanel(meta);
  if (panel) {
    legend.append(panel);
  } else if (meta && meta.memstats) {
    const d = el('details', {className: 'memstats'}, el('summary', null, 'runtime.MemStats'),
        el('pre', null, meta.memstats));
    legend.append(d);
  }
  if (meta && meta.comments && meta.comments.length) {
    legend.append(el('details', {className: 'memstats'}, el('summary', null, 'Comments'),
        el('pre', null, meta.comments.join('\n'))));
  }
}

function setTitle() {
  const m = state.meta;
  const title = m ? `${m.name || m.id} ${m.sample_types[m.sample_index].type}` : 'pprofweb';
  document.title = `${title} — ${VIEW_TITLES[state.view] || state.view}`;
  document.getElementById('title').textContent = m ? (m.name || m.id) : '';
}

// --- menus ---

function closeMenus() {
  for (const m of document.querySelectorAll('.menu.open')) m.classList.remove('open');
}

function setupMenus() {
  for (const menu of document.querySelectorAll('.menu')) {
    menu.querySelector('.menu-button').addEventListener('click', (e) => {
      e.stopPropagation();
      const open = menu.classList.contains('open');
      closeMenus();
      if (!open) menu.classList.add('open');
    });
  }
  document.addEventListener('click', (e) => {
    closeMenus();
    if (!e.target.closest('#row-menu')) hideRowMenu();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      closeMenus();
      hideRowMenu();
    }
    if (e.key === '/' && document.activeElement.tagName !== 'INPUT') {
      e.preventDefault();
      document.getElementById('search').focus();
    }
  });
  for (const a of document.querySelectorAll('#view-menu [data-view]')) {
    a.addEventListener('click', (e) => {
      e.preventDefault();
      closeMenus();
      const v = a.dataset.view;
      if (v === 'download') {
        location.href = state.prefix + '/ui/download' + query(settingsOnly(state.params));
        return;
      }
      let p = state.params;
      if ((v === 'peek' || v === 'source') && !p.get('f') && state.selected) {
        p = withParams({f: peekRegexp(state.selected)});
      }
      navigate(v, p);
    });
  }
  for (const a of document.querySelectorAll('#refine-menu [data-refine]')) {
    a.addEventListener('click', (e) => {
      e.preventDefault();
      closeMenus();
      const k = a.dataset.refine;
      if (k === 'reset') {
        const changes = {};
        for (const r of REFINE_PARAMS) changes[r] = null;
        navigate(state.view, withParams(changes));
      } else {
        openRefine(k);
      }
    });
  }
}

// The Options menu: granularity choices and boolean settings. A setting's current value is the
// URL's, else the server's initial one, else pprof's default.
const DEFAULTS = {g: 'functions', sort: 'flat', noinlines: 'f', calltree: 'f', trim: 't', rel: 'f',
  mean: 'f', dropneg: 'f'};
function currentSetting(k) {
  const v = state.params.get(k) || state.base.get(k) || DEFAULTS[k];
  return ['t', 'true', 'y', 'yes', '1'].includes(v.toLowerCase()) ? 't' :
    ['f', 'false', 'n', 'no', '0'].includes(v.toLowerCase()) ? 'f' : v;
}

function setOption(k, v) {
  // Writing pprof's default removes the parameter, unless the server started with another value.
  const base = state.base.get(k);
  const p = new URLSearchParams(state.params);
  if (v === DEFAULTS[k] && !base) p.delete(k);
  else p.set(k, v);
  navigate(state.view, p);
}

function setupOptionsMenu() {
  for (const a of document.querySelectorAll('#options-menu [data-g]')) {
    a.addEventListener('click', (e) => {
      e.preventDefault();
      closeMenus();
      setOption('g', a.dataset.g);
    });
  }
  for (const a of document.querySelectorAll('#options-menu [data-toggle]')) {
    a.addEventListener('click', (e) => {
      e.preventDefault();
      closeMenus();
      const k = a.dataset.toggle;
      const on = currentSetting(k) === a.dataset.on;
      setOption(k, on ? DEFAULTS[k] : a.dataset.on);
    });
  }
}

function markOptions() {
  for (const a of document.querySelectorAll('#options-menu [data-g]')) {
    a.classList.toggle('current', currentSetting('g') === a.dataset.g);
  }
  for (const a of document.querySelectorAll('#options-menu [data-toggle]')) {
    a.classList.toggle('current', currentSetting(a.dataset.toggle) === a.dataset.on);
  }
}

function fillSampleMenu() {
  const items = document.querySelector('#sample-menu .menu-items');
  clear(items);
  const m = state.meta;
  if (!m) return;
  m.sample_types.forEach((t, i) => {
    const a = el('a', {role: 'menuitem', href: '#', className: i === m.sample_index ? 'current' : null,
      dataset: {si: t.type}, title: `total ${t.total_fmt}`}, t.type);
    a.addEventListener('click', (e) => {
      e.preventDefault();
      closeMenus();
      navigate(state.view, withParams({si: i === m.default_sample_index && !state.base.get('si') ? null : t.type}));
    });
    items.append(a);
  });
}

function markCurrentView() {
  for (const a of document.querySelectorAll('#view-menu [data-view]')) {
    a.classList.toggle('current', a.dataset.view === state.view);
  }
}

// --- refine dialog ---

function openRefine(key) {
  const dlg = document.getElementById('refine-dialog');
  const [title, help] = REFINE_INFO[key];
  document.getElementById('refine-heading').textContent = title;
  document.getElementById('refine-help').textContent = help;
  const tagBox = document.getElementById('refine-tag');
  const keySel = document.getElementById('refine-tag-key');
  const input = document.getElementById('refine-value');
  const isTag = key === 'tf' || key === 'ti';
  tagBox.hidden = !isTag;
  let value = state.params.get(key) || '';
  clear(keySel);
  if (isTag) {
    keySel.append(el('option', {value: ''}, '(any label)'));
    const keys = state.meta ? state.meta.label_keys : {string: [], numeric: []};
    for (const k of [...keys.string, ...keys.numeric]) keySel.append(el('option', {value: k}, k));
    const eq = value.indexOf('=');
    if (eq > 0 && [...keys.string, ...keys.numeric].includes(value.slice(0, eq))) {
      keySel.value = value.slice(0, eq);
      value = value.slice(eq + 1);
    }
  } else if (!value) {
    const search = document.getElementById('search').value;
    value = state.selected ? exactRegexp(state.selected) : search;
  }
  input.value = value;
  dlg.returnValue = '';
  dlg.onclose = () => {
    const act = dlg.returnValue;
    if (act === 'apply') {
      let v = input.value;
      if (isTag && v && keySel.value) v = keySel.value + '=' + v;
      navigate(state.view, withParams({[key]: v}));
    } else if (act === 'clear') {
      navigate(state.view, withParams({[key]: null}));
    }
  };
  dlg.showModal();
  input.focus();
  input.select();
}

// --- row menu (shared by views) ---

function hideRowMenu() {
  document.getElementById('row-menu').hidden = true;
}

// Opens the small menu for one function name at the mouse position.
export function openRowMenu(name, event) {
  event.stopPropagation();
  state.selected = name;
  const menu = document.getElementById('row-menu');
  menu.querySelector('.popup-title').textContent = name;
  menu.hidden = false;
  const w = menu.offsetWidth, h = menu.offsetHeight;
  menu.style.left = Math.max(0, Math.min(event.clientX, innerWidth - w - 4)) + 'px';
  menu.style.top = Math.max(0, Math.min(event.clientY, innerHeight - h - 4)) + 'px';
}

function setupRowMenu() {
  const menu = document.getElementById('row-menu');
  for (const a of menu.querySelectorAll('[data-act]')) {
    a.addEventListener('click', (e) => {
      e.preventDefault();
      hideRowMenu();
      const re = exactRegexp(state.selected);
      switch (a.dataset.act) {
        case 'focus': navigate(state.view, withParams({f: re})); break;
        case 'ignore': navigate(state.view, withParams({i: re})); break;
        case 'hide': navigate(state.view, withParams({h: re})); break;
        case 'show': navigate(state.view, withParams({s: re})); break;
        case 'peek': navigate('peek', withParams({f: peekRegexp(state.selected)})); break;
        case 'source': navigate('source', withParams({f: peekRegexp(state.selected)})); break;
        case 'flame': navigate('flamegraph', withParams({q: re})); break;
      }
    });
  }
}

// --- search ---

function applySearch() {
  const input = document.getElementById('search');
  let re = null;
  try {
    re = searchRegexp(input.value);
    input.classList.remove('bad');
  } catch (e) {
    input.classList.add('bad');
    return;
  }
  if (state.module && state.module.highlight) state.module.highlight(re);
}

function setupSearch() {
  const input = document.getElementById('search');
  let timer = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      applySearch();
      // The search text is part of the view's state, but typing should not flood the history.
      const p = withParams({q: input.value});
      history.replaceState(null, '', viewURL(state.view, p));
      state.params = p;
    }, 150);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (input.classList.contains('bad')) return;
      navigate(state.view, withParams({f: input.value, q: null}));
    }
  });
}

function setupCopyLink() {
  document.getElementById('copy-link').addEventListener('click', async () => {
    const url = location.href;
    try {
      await navigator.clipboard.writeText(url);
    } catch (e) {
      // Without clipboard permission (plain http on another host), select a text copy.
      const t = el('textarea', {style: 'position:fixed;opacity:0'});
      t.value = url;
      document.body.append(t);
      t.select();
      document.execCommand('copy');
      t.remove();
    }
    toast('Link copied');
  });
}

// --- rendering ---

async function loadModule(view) {
  try {
    return await import(`/static/${VIEW_MODULES[view] || view}.js`);
  } catch (e) {
    return null;
  }
}

// The start page (start.js): /start, or /ui/ when no profile was given.
async function renderStart(content) {
  document.body.classList.add('start');
  document.title = 'pprofweb — Profiles';
  document.getElementById('title').textContent = '';
  showError('');
  setLegend([]);
  const mod = await loadModule('start');
  if (!mod) {
    showError('The start page is missing from this build.');
    return;
  }
  await mod.render({container: content});
}

export async function render() {
  const seq = ++state.renderSeq;
  document.body.classList.remove('start');
  if (location.pathname === '/start') {
    renderStart(document.getElementById('content'));
    return;
  }
  parseLocation();
  closeMenus();
  hideRowMenu();
  markCurrentView();
  const search = document.getElementById('search');
  search.value = state.params.get('q') || '';
  search.classList.remove('bad');
  const content = document.getElementById('content');
  // The view's module and its data are asked for while the profile's metadata loads: a view
  // exporting prefetch(ctx) starts its request at once instead of after meta and the import.
  const modPromise = loadModule(state.view);
  modPromise.then((m) => {
    if (m && m.prefetch && seq === state.renderSeq) m.prefetch({container: content, params: state.params, api});
  });
  try {
    state.meta = await api('meta');
  } catch (e) {
    if (seq !== state.renderSeq) return;
    state.meta = null;
    compare.update(null);
    setTitle();
    fillSampleMenu();
    setLegend([]);
    if (/no profile loaded/.test(e.message)) {
      renderStart(content);
    } else {
      showError(e.message);
      clear(content);
    }
    return;
  }
  if (seq !== state.renderSeq) return;
  state.base = new URLSearchParams(state.meta.base_query);
  compare.update(state.meta);
  setTitle();
  fillSampleMenu();
  markOptions();
  const panelsLoaded = loadPanels(state.meta);
  // A gctrace log has no samples: every view of it is the GC view.
  const mod = state.meta.gctrace ? await loadModule('gctrace') : await modPromise;
  await panelsLoaded;
  if (seq !== state.renderSeq) return;
  state.module = mod;
  if (!mod) {
    showError('');
    setLegend([]);
    clear(content);
    const title = VIEW_TITLES[state.view] || state.view;
    content.append(el('p', {className: 'empty'}, `The ${title} view is not available in this build. `,
        el('a', {href: viewURL('top', state.params)}, 'Open Top')));
    return;
  }
  content.classList.add('loading');
  try {
    await mod.render({
      container: content,
      params: state.params,
      meta: state.meta,
      api,
      navigate,
      withParams,
      viewURL,
      setLegend,
      openRowMenu,
      isCurrent: () => seq === state.renderSeq,
      select: (name) => { state.selected = name; },
    });
    if (seq !== state.renderSeq) return;
    showError('');
    applySearch();
  } catch (e) {
    if (seq !== state.renderSeq) return;
    showError(e.message);
    clear(content);
    setLegend([]);
  } finally {
    content.classList.remove('loading');
  }
}

function main() {
  // From here on this module asks for itself: prefetch.js, if it comes later, stays out.
  prefetched = window.pprofwebPrefetch || new Map();
  window.pprofwebPrefetch = null;
  setupMenus();
  setupOptionsMenu();
  setupRowMenu();
  setupSearch();
  setupCopyLink();
  compare.setup({navigate, withParams, view: () => state.view, params: () => state.params,
    meta: () => state.meta});
  window.addEventListener('popstate', render);
  render();
}

main();
