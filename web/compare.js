// compare: the header's Compare menu and the line that says what a view compares.
// A comparison is base=ID (pprof's -base: the base is subtracted) or diff_base=ID (pprof's
// -diff_base) in the page URL, with norm=t for -normalize; the server builds the compared
// profile and every view shows it. The menu lists the profiles the server holds (/api/profiles)
// and has stored (/api/store), searchable; picking one sets it as the base. Swap opens the base
// with this profile as its base; Clear drops the comparison. Names reach the page only as text.
import {el, clear} from '/static/util.js';

let hooks = null;     // {navigate, withParams, view(), params(), meta()} from app.js
let listCache = null; // the merged profile list, fetched when the menu first opens

// "YYYY-MM-DD HH:MM:SS" (UTC) of nanoseconds since the epoch; '' for none.
export function fmtNanos(ns) {
  if (!ns) return '';
  const d = new Date(ns / 1e6);
  return isNaN(d) ? '' : d.toISOString().slice(0, 19).replace('T', ' ');
}

// Short clock time for the words of the comparison: HH:MM, with seconds when both profiles
// fall in the same minute.
function clock(ns, other) {
  const t = fmtNanos(ns);
  if (!t) return '';
  const same = fmtNanos(other).slice(0, 16) === t.slice(0, 16);
  return same ? t.slice(11, 19) : t.slice(11, 16);
}

// The comparison of the current URL: {kind, id, norm} or null.
export function current(params) {
  for (const kind of ['diff_base', 'base']) {
    const id = params.get(kind);
    if (id) return {kind, id, norm: /^(t|true|1|y|yes)$/i.test(params.get('norm') || '')};
  }
  return null;
}

// What is compared with what, in words: "heap.pb.gz 14:05 minus heap-old.pb.gz 13:05".
export function describe(meta) {
  const c = meta && meta.compare;
  if (!c) return '';
  const type = meta.sample_types && meta.sample_types[meta.sample_index] ?
    meta.sample_types[meta.sample_index].type : '';
  const a = `${meta.name || meta.id} ${clock(c.time_nanos, c.base.time_nanos)}`.trim();
  const b = `${c.base.name || c.base.id} ${clock(c.base.time_nanos, c.time_nanos)}`.trim();
  const verb = c.kind === 'base' ? 'minus' : 'compared with';
  return `${type ? type + ': ' : ''}${a} ${verb} ${b}${c.normalize ? ' (normalized to the base\'s total)' : ''}`;
}

async function profiles() {
  if (listCache) return listCache;
  const get = (url) => fetch(url).then((r) => (r.ok ? r.json() : {profiles: []})).catch(() => ({profiles: []}));
  const [mem, store] = await Promise.all([get('/api/profiles'), get('/api/store')]);
  const byId = new Map();
  for (const p of mem.profiles || []) {
    byId.set(p.id, {id: p.id, name: p.name, type: (p.sample_types || []).join(', '),
      time_nanos: p.time_nanos || 0, where: 'loaded'});
  }
  for (const p of store.profiles || []) {
    const old = byId.get(p.id);
    byId.set(p.id, {id: p.id, name: p.name || (old && old.name), type: (p.type || '').split(',').join(', '),
      time_nanos: p.time_nanos || (old && old.time_nanos) || 0, where: 'stored'});
  }
  listCache = [...byId.values()].sort((x, y) => y.time_nanos - x.time_nanos);
  return listCache;
}

function go(changes) {
  hooks.navigate(hooks.view(), hooks.withParams({node: null, ...changes}));
}

function setBase(kind, id) {
  go(kind === 'base' ? {base: id, diff_base: null} : {diff_base: id, base: null});
}

// Fills the menu's panel: state, kind, normalize, swap/clear, search and the list.
async function fill(panel) {
  const params = hooks.params(), meta = hooks.meta();
  const cur = current(params);
  clear(panel);
  const kindSel = el('select', {id: 'compare-kind', 'aria-label': 'Comparison'},
      el('option', {value: 'diff_base'}, 'Diff (diff_base)'),
      el('option', {value: 'base'}, 'Subtract (base)'));
  kindSel.value = cur ? cur.kind : 'diff_base';
  kindSel.addEventListener('change', () => { if (cur) setBase(kindSel.value, cur.id); });
  const norm = el('input', {type: 'checkbox', id: 'compare-norm'});
  norm.checked = !!(cur && cur.norm);
  norm.addEventListener('change', () => { if (cur) go({norm: norm.checked ? 't' : null}); });
  const swap = el('button', {type: 'button', id: 'compare-swap', disabled: !cur,
    title: 'Open the base, compared with this profile'}, 'Swap');
  swap.addEventListener('click', () => {
    if (!cur || !meta) return;
    const p = new URLSearchParams(params);
    p.delete('base');
    p.delete('diff_base');
    p.delete('node');
    p.set(cur.kind, meta.id);
    const path = location.pathname.replace(/^(\/p\/[A-Za-z0-9_-]+)?\/ui\//, '/ui/');
    location.href = `/p/${encodeURIComponent(cur.id)}${path}?${p}`;
  });
  const clearBtn = el('button', {type: 'button', id: 'compare-clear', disabled: !cur}, 'Clear');
  clearBtn.addEventListener('click', () => go({base: null, diff_base: null, norm: null}));
  const search = el('input', {type: 'search', id: 'compare-search', placeholder: 'Search profiles',
    autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Search profiles'});
  const list = el('div', {className: 'compare-list', id: 'compare-list', role: 'listbox'});
  panel.append(
      el('div', {className: 'menu-heading'}, cur ? `Base: ${describe(meta) || cur.id}` : 'Compare with a base profile'),
      el('div', {className: 'compare-row'}, kindSel, el('label', null, norm, ' normalize'), swap, clearBtn),
      search, list);
  const rows = await profiles();
  const draw = () => {
    clear(list);
    const q = search.value.toLowerCase();
    let n = 0;
    for (const p of rows) {
      const text = `${p.name} ${p.type} ${fmtNanos(p.time_nanos)} ${p.id}`.toLowerCase();
      if (q && !text.includes(q)) continue;
      const self = meta && p.id === meta.id;
      const a = el('a', {href: '#', role: 'option', className: 'compare-item' + (cur && cur.id === p.id ? ' current' : ''),
        dataset: {id: p.id}, title: p.id},
      el('span', {className: 'compare-name'}, p.name || p.id),
      el('span', {className: 'compare-meta'}, [fmtNanos(p.time_nanos), p.where, self ? 'this profile' : '', p.type]
          .filter(Boolean).join(' · ')));
      a.addEventListener('click', (e) => {
        e.preventDefault();
        setBase(kindSel.value, p.id);
      });
      list.append(a);
      if (++n >= 200) break;
    }
    if (!n) list.append(el('div', {className: 'empty'}, 'No profile matches.'));
  };
  search.addEventListener('input', draw);
  search.addEventListener('keydown', (e) => {
    const first = list.querySelector('.compare-item');
    if (e.key === 'Enter' && first) {
      e.preventDefault();
      setBase(kindSel.value, first.dataset.id);
    }
  });
  draw();
  search.focus();
}

// Wires the menu (once).
export function setup(h) {
  hooks = h;
  const menu = document.getElementById('compare-menu');
  if (!menu) return;
  const panel = menu.querySelector('.menu-items');
  // Clicks inside the panel must not close it (app.js closes menus on any click).
  panel.addEventListener('click', (e) => e.stopPropagation());
  menu.querySelector('.menu-button').addEventListener('click', () => {
    listCache = null;
    if (menu.classList.contains('open')) fill(panel);
  });
}

// After each render: the line saying what is compared, and the button's state.
export function update(meta) {
  const bar = document.getElementById('compare-bar');
  const words = describe(meta);
  if (bar) {
    bar.textContent = words;
    bar.hidden = !words;
  }
  const button = document.querySelector('#compare-menu .menu-button');
  if (button) button.classList.toggle('active', !!words);
}
