// timeline: one series over time (/ui/timeline, /s/SERIES_ID/ui/timeline). A chart of the
// selected sample value's total per snapshot with the lines of the top growing functions (hover
// shows the values, gaps show their error), a second chart of Go's MemStats when the snapshots
// carry them, and the growth ranking (/api/growth) with sparklines. Clicking a point offers that
// snapshot's views; a second point opens the later snapshot with the earlier as its base.
// Every state is in the URL: pprof's settings (si, f, i, g, ...), value, order, dir and sel.
// Function names and error texts come from profiles and endpoints: they reach the page only as
// text (util.el, textContent, SVG <title> text), never as HTML.
import {el, clear, exactRegexp, toast} from '/static/util.js';

const SVGNS = 'http://www.w3.org/2000/svg';
const COLORS = ['#c01c28', '#1a5fb4', '#26a269', '#e66100', '#613583', '#986a44', '#2ec27e',
  '#a51d2d', '#1c71d8', '#865e3c', '#f5c211', '#5e5c64', '#dc8add', '#99c1f1', '#8ff0a4',
  '#ffbe6f', '#cdab8f', '#62a0ea', '#57e389', '#f66151'];
// pprof's settings: they carry over to a snapshot's views.
const PPROF_PARAMS = ['si', 'f', 'i', 'h', 's', 'sf', 'prunefrom', 'tf', 'ti', 'ts', 'th', 'g',
  'noinlines', 'mean'];

const match = location.pathname.match(/^\/s\/([0-9a-f]{16})\/ui\/timeline$/);
const apiBase = match ? `/s/${match[1]}/api` : '/api';
let params = new URLSearchParams(location.search);
let data = null; // {tl, gr}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// --- numbers ---

export function fmtValue(v, unit) {
  if (v === null || v === undefined) return '—';
  const neg = v < 0;
  let a = Math.abs(v);
  let s;
  const scaled = (steps, base) => {
    let i = 0;
    while (a >= base && i < steps.length - 1) { a /= base; i++; }
    return (a >= 100 || i === 0 ? a.toFixed(0) : a.toFixed(a >= 10 ? 1 : 2)) + steps[i];
  };
  if (unit === 'bytes') s = scaled(['B', 'kB', 'MB', 'GB', 'TB'], 1024);
  else if (unit === 'nanoseconds') {
    a /= 1e9;
    s = a >= 1 ? a.toFixed(a >= 100 ? 0 : 2) + 's' : (a * 1e3).toFixed(2) + 'ms';
  } else s = scaled(['', 'k', 'M', 'G', 'T'], 1000);
  return (neg ? '-' : '') + s;
}

function fmtTime(ms, withDate) {
  const d = new Date(ms);
  if (isNaN(d)) return '';
  const iso = d.toISOString();
  return withDate ? iso.slice(0, 19).replace('T', ' ') + ' UTC' : iso.slice(11, 19);
}

// An axis label: the time of day, with the date when the axis spans days.
function fmtTick(ms, span) {
  const iso = new Date(ms).toISOString();
  return span >= 86400000 ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, 19);
}

// --- URL state ---

function navigate(changes) {
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '' || v === undefined) params.delete(k);
    else params.set(k, v);
  }
  const q = params.toString();
  history.pushState(null, '', location.pathname + (q ? '?' + q : ''));
  load();
}

function apiQuery() {
  const q = new URLSearchParams(params);
  q.delete('sel');
  return q.toString();
}

// The snapshot view link, with pprof's settings of this page.
function snapshotLink(id, view, extra) {
  const q = new URLSearchParams();
  for (const k of PPROF_PARAMS) if (params.has(k)) q.set(k, params.get(k));
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  const s = q.toString();
  return `/p/${encodeURIComponent(id)}/ui/${view}${s ? '?' + s : ''}`;
}

function showError(msg) {
  const box = document.getElementById('errors');
  box.hidden = !msg;
  box.textContent = msg || '';
}

async function fetchJSON(url) {
  const resp = await fetch(url);
  let body = null;
  try { body = await resp.json(); } catch (e) { /* below */ }
  if (!resp.ok) throw new Error((body && body.error) || `${resp.status} ${resp.statusText}`);
  return body;
}

// --- the charts ---

// Draws series [{name, values[], color, width}] over times into box; returns the scales.
function drawChart(box, times, series, unit, opts) {
  clear(box);
  const W = Math.max(box.clientWidth, 300), H = Math.max(box.clientHeight, 150);
  const M = {l: 72, r: 14, t: 10, b: 24};
  let t0 = Math.min(...times), t1 = Math.max(...times);
  if (!(t1 > t0)) { t0 -= 1000; t1 += 1000; }
  let vmax = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > vmax) vmax = v;
  vmax = vmax > 0 ? vmax * 1.05 : 1;
  const x = (t) => M.l + (t - t0) / (t1 - t0) * (W - M.l - M.r);
  const y = (v) => H - M.b - v / vmax * (H - M.t - M.b);
  const root = svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img'});
  const axis = svg('g', {class: 'axis'});
  for (let k = 0; k <= 4; k++) {
    const v = vmax * k / 4, yy = y(v);
    axis.append(svg('line', {x1: M.l, x2: W - M.r, y1: yy, y2: yy}),
        svg('text', {x: M.l - 6, y: yy + 4, 'text-anchor': 'end'}, fmtValue(v, unit)));
  }
  const span = t1 - t0;
  for (let k = 0; k <= 5; k++) {
    const t = t0 + span * k / 5;
    axis.append(svg('text', {x: x(t), y: H - 6, 'text-anchor': k === 0 ? 'start' : k === 5 ? 'end' : 'middle'},
        fmtTick(t, span)));
  }
  root.append(axis);
  for (const s of series) {
    let d = '', pen = false;
    s.values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    root.append(svg('path', {d, class: 'line' + (s.total ? ' total' : ''), stroke: s.color,
      'data-name': s.name}));
    // A value with no neighbour draws no line: mark it.
    s.values.forEach((v, i) => {
      if (v === null || s.total || (s.values[i - 1] ?? null) !== null || (s.values[i + 1] ?? null) !== null) return;
      root.append(svg('circle', {cx: x(times[i]), cy: y(v), r: 2.5, fill: s.color}));
    });
  }
  const cross = svg('line', {class: 'cross', y1: M.t, y2: H - M.b, x1: -10, x2: -10});
  root.append(cross);
  box.append(root);
  return {root, x, y, W, H, M, cross};
}

function legend(box, series, unit, at) {
  clear(box);
  for (const s of series) {
    const last = at === undefined ? [...s.values].reverse().find((v) => v !== null) : s.values[at];
    box.append(el('span', {className: 'item', title: s.name},
        el('span', {className: 'sw', style: `background:${s.color}`}), s.name, ' ',
        el('b', null, fmtValue(last, unit))));
  }
}

// Hover: the nearest point's values in a tooltip, a crosshair.
function hover(chart, box, times, points, series, unit, extra) {
  const tip = document.getElementById('tl-tip');
  // On the chart's own SVG, which each drawing replaces: listeners on box would pile up.
  chart.root.addEventListener('mousemove', (e) => {
    const r = chart.root.getBoundingClientRect();
    const px = (e.clientX - r.left) * chart.W / r.width;
    let best = 0;
    times.forEach((t, i) => { if (Math.abs(chart.x(t) - px) < Math.abs(chart.x(times[best]) - px)) best = i; });
    const cx = chart.x(times[best]);
    chart.cross.setAttribute('x1', cx);
    chart.cross.setAttribute('x2', cx);
    clear(tip);
    tip.append(el('div', {className: 'row'}, el('b', null, fmtTime(times[best], true))));
    if (points[best].error) tip.append(el('div', {className: 'err'}, 'no snapshot: ' + points[best].error));
    for (const s of series) {
      if (s.values[best] === null) continue;
      tip.append(el('div', {className: 'row'}, el('span', {className: 'sw', style: `display:inline-block;width:10px;height:3px;background:${s.color};margin-right:4px`}),
          `${fmtValue(s.values[best], unit)}  ${s.name}`));
    }
    if (extra) extra(tip, best);
    tip.hidden = false;
    const left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = left + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
    tip.dataset.index = best;
  });
  chart.root.addEventListener('mouseleave', () => { tip.hidden = true; chart.cross.setAttribute('x1', -10); chart.cross.setAttribute('x2', -10); });
}

function selected() {
  return (params.get('sel') || '').split(',').filter((s) => /^[0-9a-f]{24}$/.test(s));
}

function select(id) {
  let sel = selected();
  if (sel.length === 1 && sel[0] !== id) sel = [sel[0], id];
  else sel = [id];
  if (sel.length === 2) {
    // The later snapshot with the earlier as its base.
    const t = (sid) => data.tl.points.find((p) => p.id === sid).t;
    const [early, late] = t(sel[0]) <= t(sel[1]) ? sel : [sel[1], sel[0]];
    navigate({sel: sel.join(',')});
    location.href = snapshotLink(late, '', {base: early});
    return;
  }
  navigate({sel: sel.join(',')});
}

function renderSelection() {
  const box = document.getElementById('tl-selection');
  clear(box);
  const sel = selected();
  const pts = data.tl.points;
  if (!sel.length) {
    box.append(el('span', {className: 'tl-help'}, 'Click a point to open that snapshot; click a second point to compare the two.'));
    return;
  }
  const p = pts.find((q) => q.id === sel[0]);
  if (!p) return;
  box.append(el('span', null, `Snapshot of ${fmtTime(p.t, true)}: `));
  for (const [view, label] of [['', 'graph'], ['top', 'top'], ['flamegraph', 'flame graph'], ['source', 'source']])
    box.append(el('a', {href: snapshotLink(p.id, view), className: 'open-' + (view || 'graph')}, label));
  if (sel.length === 2) {
    const q = pts.find((r) => r.id === sel[1]);
    if (q) {
      const [early, late] = p.t <= q.t ? [p, q] : [q, p];
      box.append(el('a', {href: snapshotLink(late.id, '', {base: early.id}), className: 'compare'},
          `compare ${fmtTime(late.t, false)} with ${fmtTime(early.t, false)} as base`));
      box.append(el('a', {href: snapshotLink(late.id, '', {diff_base: early.id})}, 'as a diff'));
    }
  } else {
    box.append(el('span', {className: 'tl-help'}, ' (click another point to compare)'));
  }
}

function renderTimeline() {
  const tl = data.tl;
  const times = tl.points.map((p) => p.t);
  const box = document.getElementById('tl-chart');
  const total = {name: `total ${tl.sample_type}`, total: true, color: '#1d1d1f',
    values: tl.points.map((p) => (p.total === undefined ? null : p.total))};
  const lines = tl.lines.map((l, i) => ({name: l.name, color: COLORS[i % COLORS.length], values: l.values}));
  const series = [total, ...lines];
  // The growing functions have their own scale under the total: beside a total a hundred times
  // larger they would be flat lines on its floor.
  const chart = drawChart(box, times, [total], tl.unit);
  const linesBox = document.getElementById('tl-lines');
  linesBox.hidden = !lines.length;
  let lchart = null;
  if (lines.length) {
    lchart = drawChart(linesBox, times, lines, tl.unit);
    hover(lchart, linesBox, times, tl.points, series, tl.unit);
  }
  const sel = selected();
  tl.points.forEach((p, i) => {
    if (p.total === undefined) {
      chart.root.append(svg('rect', {class: 'gap', x: chart.x(p.t) - 3, y: chart.H - chart.M.b - 8, width: 6, height: 8,
        'data-index': i}, svg('title', null, `${fmtTime(p.t, true)}: ${p.error}`)));
      return;
    }
    const c = svg('circle', {class: 'pt' + (sel.includes(p.id) ? ' sel' : ''), cx: chart.x(p.t), cy: chart.y(p.total),
      r: tl.points.length > 200 ? 2.5 : 4, fill: '#1d1d1f', 'data-id': p.id, 'data-index': i});
    c.addEventListener('click', () => select(p.id));
    chart.root.append(c);
  });
  // A click anywhere on the chart picks the nearest snapshot (points may be a pixel wide).
  for (const c of lchart ? [chart, lchart] : [chart]) {
    c.root.addEventListener('click', (e) => {
      if (e.target.classList && e.target.classList.contains('pt')) return;
      const tip = document.getElementById('tl-tip');
      const p = tl.points[Number(tip.dataset.index)];
      if (p && p.id && p.total !== undefined) select(p.id);
    });
  }
  hover(chart, box, times, tl.points, series, tl.unit);
  legend(document.getElementById('tl-legend'), series, tl.unit);

  const msBox = document.getElementById('tl-memstats-box');
  msBox.hidden = !tl.memstats;
  if (tl.memstats) {
    const names = ['HeapInuse', 'HeapIdle', 'HeapReleased', 'HeapSys', 'Sys'];
    const ms = names.map((n, i) => ({name: n, color: COLORS[(i + 1) % COLORS.length], values: tl.memstats[n]}));
    const mbox = document.getElementById('tl-memstats');
    const mchart = drawChart(mbox, times, ms, 'bytes');
    hover(mchart, mbox, times, tl.points, ms, 'bytes', (tip, i) => {
      if (tl.memstats.NumGC[i] !== null) tip.append(el('div', {className: 'row'}, `NumGC ${tl.memstats.NumGC[i]}`));
    });
    legend(document.getElementById('tl-memstats-legend'), ms, 'bytes');
    const gcs = tl.memstats.NumGC.filter((v) => v !== null);
    if (gcs.length) document.getElementById('tl-memstats-legend').append(el('span', null, 'NumGC ', el('b', null, String(gcs[gcs.length - 1]))));
  }
}

function sparkline(values) {
  const s = svg('svg', {class: 'spark', viewBox: '0 0 120 22', preserveAspectRatio: 'none'});
  if (values.length < 2) return s;
  const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const pts = values.map((v, i) => `${(i / (values.length - 1) * 118 + 1).toFixed(1)},${(20 - (v - lo) / span * 18).toFixed(1)}`);
  s.append(svg('polyline', {points: pts.join(' ')}));
  return s;
}

const COLUMNS = [
  ['name', 'Function', null],
  ['first', 'First', (r, u) => fmtValue(r.first, u)],
  ['last', 'Last', (r, u) => fmtValue(r.last, u)],
  ['change', 'Change', (r, u) => (r.change > 0 ? '+' : '') + fmtValue(r.change, u)],
  ['per_hour', 'Per hour', (r, u) => (r.per_hour > 0 ? '+' : '') + fmtValue(Math.round(r.per_hour), u)],
  ['steadiness', 'Steadiness', (r) => (r.steadiness * 100).toFixed(0) + '%'],
  ['score', 'Trend', null],
];

function renderGrowth() {
  const gr = data.gr;
  const table = document.getElementById('tl-growth');
  const head = table.tHead, body = table.tBodies[0];
  clear(head);
  clear(body);
  const tr = el('tr');
  for (const [key, label] of COLUMNS) {
    const th = el('th', {className: (key === 'name' ? 'name ' : '') + (gr.order === key ? 'sorted' + (gr.dir === 'asc' ? ' asc' : '') : ''),
      dataset: {key}, title: key === 'score' ? 'Default order: growth per hour weighted by steadiness' : `Sort by ${label.toLowerCase()}`}, label);
    th.addEventListener('click', () => {
      const dir = gr.order === key ? (gr.dir === 'desc' ? 'asc' : 'desc') : null;
      navigate({order: key === 'score' ? null : key, dir});
    });
    tr.append(th);
  }
  head.append(tr);
  const focus = params.get('f') || '';
  for (const r of gr.rows) {
    const row = el('tr', {className: focus === exactRegexp(r.name) ? 'focused' : null, title: 'Focus on ' + r.name});
    for (const [key, , fmt] of COLUMNS) {
      if (key === 'name') row.append(el('td', {className: 'name'}, r.name));
      else if (key === 'score') row.append(el('td', null, sparkline(r.spark)));
      else row.append(el('td', {className: key === 'change' || key === 'per_hour' ? (r[key] > 0 ? 'pos' : r[key] < 0 ? 'neg' : null) : null}, fmt(r, gr.unit)));
    }
    row.addEventListener('click', () => navigate({f: focus === exactRegexp(r.name) ? null : exactRegexp(r.name)}));
    body.append(row);
  }
  if (!gr.rows.length) body.append(el('tr', null, el('td', {className: 'name', colspan: '7'}, 'No functions at these settings.')));
}

function renderControls() {
  const tl = data.tl;
  const si = document.getElementById('tl-si');
  clear(si);
  const cur = tl.sample_type.replace(/^mean_/, '');
  for (const t of tl.sample_types) si.append(el('option', {value: t, selected: t === cur}, t));
  document.getElementById('tl-value').value = tl.value;
  document.getElementById('tl-g').value = params.get('g') || 'functions';
  document.getElementById('tl-f').value = params.get('f') || '';
  document.getElementById('tl-i').value = params.get('i') || '';
  const s = tl.series;
  document.title = `pprofweb: ${s.name}`;
  const sum = document.getElementById('tl-summary');
  clear(sum);
  const present = tl.points.filter((p) => p.total !== undefined);
  const first = present[0], last = present[present.length - 1];
  sum.append(el('b', null, s.name), ` · ${s.snapshots} snapshots`, s.gaps ? `, ${s.gaps} gaps` : '',
      first ? ` · ${fmtTime(first.t, true)} to ${fmtTime(last.t, true)}` : '',
      first ? ` · ${tl.sample_type} ${fmtValue(first.total, tl.unit)} → ` : '',
      last ? el('b', null, fmtValue(last.total, tl.unit)) : '', tl.downsampled ? ' · downsampled' : '');
}

async function load() {
  const q = apiQuery();
  try {
    const [tl, gr] = await Promise.all([fetchJSON(`${apiBase}/timeline?${q}`), fetchJSON(`${apiBase}/growth?${q}`)]);
    data = {tl, gr};
    showError('');
    renderControls();
    renderTimeline();
    renderSelection();
    renderGrowth();
    document.body.dataset.ready = '1';
  } catch (e) {
    showError(e.message);
    document.body.dataset.ready = 'error';
  }
}

function wire() {
  document.getElementById('tl-si').addEventListener('change', (e) => navigate({si: e.target.value}));
  document.getElementById('tl-value').addEventListener('change', (e) => navigate({value: e.target.value === 'flat' ? null : e.target.value}));
  document.getElementById('tl-g').addEventListener('change', (e) => navigate({g: e.target.value === 'functions' ? null : e.target.value}));
  document.getElementById('tl-refine').addEventListener('submit', (e) => {
    e.preventDefault();
    navigate({f: document.getElementById('tl-f').value, i: document.getElementById('tl-i').value});
  });
  document.getElementById('copy-link').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(location.href); toast('Link copied'); } catch (e) { toast(location.href); }
  });
  window.addEventListener('popstate', () => { params = new URLSearchParams(location.search); load(); });
  let timer = null;
  window.addEventListener('resize', () => { clearTimeout(timer); timer = setTimeout(() => data && renderTimeline(), 150); });
}

wire();
load();
