// flame: the flame graph view (pprof's /ui/flamegraph) drawn on one canvas.
// Data: /api/flamegraph (server/flame_view.c): a string table, frames as string indexes, and boxes
// as rows of numbers in preorder, with boxes too narrow to see already merged into one "other"
// box per parent. Zooming into a box asks the server for that subtree (node=SEQ.DEPTH in the URL,
// so back/forward, Escape and the breadcrumbs step out again). Pivot (p=REGEXP, "Show callers"):
// the pivot's callers are stacked above it and its callees below. Diffs (a profile with a base,
// base= or diff_base=) are drawn in one of two models, chosen with dm= in the URL:
//   pprof (default): a box is as wide as base plus new beneath it (|base| + |new|), and the part
//     of it the net change makes up is red for growth, green for shrinkage;
//   new (dm=new): the new profile's shape (width = new value), each box coloured by its change,
//     deeper for larger changes; frames that vanished keep their base width, hatched.
// dc=rel colours by the change relative to the base value instead of the share of the total;
// dt=N leaves changes under N percent uncoloured (noise). Profile strings reach the page only
// through canvas text and textContent.
import {el, clear, exactRegexp, peekRegexp} from '/static/util.js';

const ROW = 18;          // box height in CSS pixels
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const CLIENT_PARAMS = ['q', 'by', 'bu', 'dm', 'dc', 'dt'];  // page-only parameters, not sent to the API

let view = null;         // the current view state (see render)
let keyHandlerInstalled = false;
let scrollFollowed = false;

// --- numbers, as pprof's measurement package prints them ---

const UNIT_KINDS = [
  {units: [['B', 1], ['kB', 1024], ['MB', 1024 ** 2], ['GB', 1024 ** 3], ['TB', 1024 ** 4], ['PB', 1024 ** 5]],
    aliases: {b: 1, byte: 1, kb: 1024, kbyte: 1024, kilobyte: 1024, mb: 1024 ** 2, mbyte: 1024 ** 2,
      megabyte: 1024 ** 2, gb: 1024 ** 3, gbyte: 1024 ** 3, gigabyte: 1024 ** 3, tb: 1024 ** 4,
      tbyte: 1024 ** 4, terabyte: 1024 ** 4, pb: 1024 ** 5, pbyte: 1024 ** 5, petabyte: 1024 ** 5}},
  {units: [['ns', 1], ['us', 1e3], ['ms', 1e6], ['s', 1e9], ['hrs', 3.6e12]],
    aliases: {ns: 1, nanosecond: 1, 'μs': 1e3, us: 1e3, microsecond: 1e3, ms: 1e6, millisecond: 1e6,
      s: 1e9, sec: 1e9, second: 1e9, hour: 3.6e12, hr: 3.6e12}},
];

function sniff(unit) {
  let u = (unit || '').toLowerCase();
  if (u.length > 2 && u.endsWith('s')) u = u.slice(0, -1);
  for (const k of UNIT_KINDS) if (u in k.aliases) return {kind: k, factor: k.aliases[u]};
  return null;
}

// Formats a raw sample value v (in the sample unit) like the report does.
export function formatValue(v, data) {
  if (data.ratio && data.ratio !== 1) v = Math.trunc(v * data.ratio);
  const from = sniff(data.unit);
  if (!from) {
    const s = Number.isInteger(v) ? String(v) : v.toFixed(2);
    return data.unit && data.unit !== 'count' ? s + data.unit : s;
  }
  const neg = v < 0;
  const base = Math.abs(v) * from.factor;
  let unit = null;
  const to = sniff(data.output_unit);
  if (to && to.kind === from.kind) {
    unit = from.kind.units.find(([, f]) => f === to.factor) || null;
  }
  if (!unit) {
    unit = from.kind.units[0];
    for (const u of from.kind.units) if (base / u[1] >= 1) unit = u;
  }
  let s = (base / unit[1]).toFixed(2);
  if (s.endsWith('.00')) s = s.slice(0, -3);
  return (neg ? '-' : '') + s + unit[0];
}

function pct(v, total) {
  if (!total) return '0%';
  return (100 * v / total).toFixed(2) + '%';
}

// --- decoding ---

// One box of the picture. x is its left edge in weight units from the tree's root and lw its
// drawn width (place). The fields that hold sample values are first given a non-integer: V8
// stores a field that first held a small integer as one and converts every box made so far once
// a value past 2^31 comes (a CPU profile's nanoseconds), which made decoding and placing M's
// 3000 boxes several times slower (6000 conversions).
class Box {
  constructor(id, parent, frame, cum, flat, flags, w) {
    this.id = id;
    this.parent = parent;
    this.frame = frame;
    this.flags = flags;
    this.depth = 0;
    this.cum = this.flat = this.w = this.x = this.lw = 0.5;
    this.cum = cum;
    this.flat = flat;
    this.w = w;
    this.x = 0;
    this.lw = w;
    this.gone = false;
    this.kids = [];
  }
}

// Turns one "nodes" array into boxes.
function decodeBoxes(nodes, fields) {
  const k = fields.length;
  const [id, parent, frame, cumAt, flat, flags] = ['id', 'parent', 'frame', 'cum', 'flat', 'flags']
      .map((f) => fields.indexOf(f));
  const wAt = fields.indexOf('w');
  const boxes = [];
  for (let i = 0; i < nodes.length; i += k) {
    const cum = nodes[i + cumAt];
    const b = new Box(nodes[i + id], nodes[i + parent], nodes[i + frame], cum, nodes[i + flat],
        nodes[i + flags], wAt >= 0 ? nodes[i + wAt] : Math.abs(cum));
    if (b.parent >= 0) {
      const p = boxes[b.parent];
      b.depth = p.depth + 1;
      p.kids.push(b);
    }
    boxes.push(b);
  }
  return boxes;
}

// Base and new value of a diff's box: with diff_base= (and base=, whose boxes the server takes
// from the diff_base comparison) the two are kept apart, so growth is new and shrinkage base; a
// profile diffed on the command line with -base has its stacks netted first, as in pprof.
function baseNew(b) {
  return {base: (b.w - b.cum) / 2, now: (b.w + b.cum) / 2};
}

// Places boxes: lw is the drawn width (w, or in the new-shape model the new value, at least the
// children's widths, and the base value for a frame that vanished), x the left edge from the
// root's, children in the server's order.
function place(boxes, newShape) {
  for (const b of boxes) {
    b.lw = b.w;
    // now <= 0 < base (baseNew), without making an object per box
    b.gone = b.id >= 0 && b.w + b.cum <= 0 && b.w - b.cum > 0;
  }
  if (newShape) {
    for (let i = boxes.length - 1; i >= 0; i--) {
      const b = boxes[i];
      const {base, now} = baseNew(b);
      const kids = b.kids.reduce((a, c) => a + c.lw, 0);
      b.lw = Math.max(b.gone ? base : now, kids);
    }
  }
  for (const b of boxes) {
    let x = b.x;
    for (const c of b.kids) {
      c.x = x;
      x += c.lw;
    }
  }
}

function decode(data) {
  const s = data.strings;
  const frames = [];
  const colors = new Map(); // package string -> colour: frames share a few packages
  for (let i = 0; i < data.frames.length; i += 5) {
    const f = data.frames;
    const pkg = s[f[i + 3]];
    let color = colors.get(pkg);
    if (color === undefined) colors.set(pkg, color = packageColor(pkg));
    frames.push({name: s[f[i]], short: s[f[i + 1]], file: s[f[i + 2]], pkg, fn: s[f[i + 4]], color});
  }
  const boxes = decodeBoxes(data.nodes, data.fields);
  const callers = data.callers ? decodeBoxes(data.callers.nodes, data.fields) : null;
  return {frames, boxes, callers};
}

// The diff settings of the URL: model, change measure and noise threshold (percent).
function diffSettings(params) {
  const dt = parseFloat(params.get('dt'));
  return {newShape: params.get('dm') === 'new', relative: params.get('dc') === 'rel',
    threshold: Number.isFinite(dt) && dt >= 0 ? dt : 0};
}

// A diff box's change in percent: of the base value (relative) or of the total.
function changePct(v, b) {
  const {base} = baseNew(b);
  if (v.diffSet.relative) return base > 0 ? 100 * b.cum / base : (b.cum ? Infinity : 0);
  return v.data.total ? 100 * Math.abs(b.cum) / v.data.total * Math.sign(b.cum) : 0;
}

// Red for growth, green for shrinkage, deeper for larger changes; null under the threshold.
function changeColor(v, b) {
  const p = changePct(v, b);
  if (!p || Math.abs(p) < v.diffSet.threshold) return null;
  const t = Math.min(1, Math.log10(1 + Math.abs(p)) / 2);
  const light = 88 - 40 * t;
  return p > 0 ? `hsl(0,75%,${light}%)` : `hsl(150,55%,${light}%)`;
}

// --- colours ---

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

// Warm colours by package, as flame graphs are usually drawn; stable across reloads.
function packageColor(pkg) {
  const h = hash(pkg || '?');
  const hue = 8 + (h % 42);
  const sat = 62 + ((h >> 8) % 20);
  const light = 60 + ((h >> 16) % 16);
  return `hsl(${hue},${sat}%,${light}%)`;
}

// --- drawing ---

// The rows of the picture: [{box, row, tree}] with row 0 at the top.
function layout(v) {
  const {boxes, callers} = v.dec;
  const items = [];
  let callerRows = 0;
  if (callers) for (const b of callers) callerRows = Math.max(callerRows, b.depth);
  let calleeRows = 0;
  for (const b of boxes) calleeRows = Math.max(calleeRows, b.depth);
  const rows = callerRows + calleeRows + 1;
  const flip = (r) => (v.bottomUp ? rows - 1 - r : r);
  for (const b of boxes) items.push({box: b, row: flip(callerRows + b.depth), tree: 'callees'});
  if (callers) {
    for (const b of callers) if (b.depth > 0) items.push({box: b, row: flip(callerRows - b.depth), tree: 'callers'});
  }
  return {items, rows};
}

function frameOf(v, b) {
  return b.frame >= 0 ? v.dec.frames[b.frame] : null;
}

function boxLabel(v, b) {
  if (b.id < 0) return `${-b.id} more`;
  const f = frameOf(v, b);
  if (f) return f.short;
  if (v.data.pivot) return v.data.pivot_frame >= 0 ? v.dec.frames[v.data.pivot_frame].short : `pivot: ${v.data.pivot}`;
  return 'root';
}

function boxName(v, b) {
  if (b.id < 0) return `${-b.id} boxes too narrow to draw`;
  const f = frameOf(v, b);
  if (f) return f.name;
  if (v.data.pivot) return v.data.pivot_frame >= 0 ? v.dec.frames[v.data.pivot_frame].name : `pivot: ${v.data.pivot}`;
  if (v.data.depth > 0 && v.data.ancestors.length) return 'root';
  return 'root';
}

// Fits text into width pixels: the whole name, else without its package, else cut.
function fitText(ctx, text, width) {
  if (width < 14) return '';
  if (ctx.measureText(text).width <= width) return text;
  const dot = text.indexOf('.');
  if (dot > 0 && dot < text.length - 1) {
    text = text.slice(dot + 1);
    if (ctx.measureText(text).width <= width) return text;
  }
  const avg = ctx.measureText(text).width / text.length;
  let n = Math.floor(width / avg) - 1;
  while (n > 0 && ctx.measureText(text.slice(0, n) + '…').width > width) n--;
  return n > 0 ? text.slice(0, n) + '…' : '';
}

// Diagonal hatching over the boxes of list (x, y, w, ...), lines from x + from every step pixels.
function hatch(ctx, list, from, step, style) {
  if (!list.length) return;
  ctx.strokeStyle = style;
  ctx.beginPath();
  for (let i = 0; i < list.length; i += 3) {
    const x = list[i], y = list[i + 1], w = list[i + 2];
    for (let hx = x + from; hx < x + w - 1; hx += step) {
      ctx.moveTo(hx, y + ROW - 2);
      ctx.lineTo(Math.min(hx + 4, x + w - 1), y + 2);
    }
  }
  ctx.stroke();
}

// Places the picture for the view's width and draws it. The page keeps room for every row (the
// wrap's height), but the canvas is only as tall as the part of the window it can show: it
// sticks below the header while the page scrolls, and paint() draws the rows under it. A
// canvas's memory, which the browser fills and copies on every frame, grows with its area: one
// as tall as a deep tree took most of the first draw's time.
function draw(v) {
  const canvas = v.canvas, wrap = v.wrap;
  // Read together: one layout.
  const width = wrap.clientWidth;
  const wrapTop = wrap.getBoundingClientRect().top;
  const header = document.getElementById('header');
  v.stick = header ? header.getBoundingClientRect().bottom : 0;
  v.width = width;
  const {items, rows} = layout(v);
  v.items = items;
  v.rows = rows;
  v.height = rows * ROW + 1;
  const rootW = v.dec.boxes[0].lw || 1;
  v.scale = width / rootW;
  v.byRow = Array.from({length: rows}, () => []);
  for (const it of items) if (it.box.lw * v.scale >= 0.3) v.byRow[it.row].push(it);
  const height = canvasHeight(v, wrapTop);
  v.dpr = window.devicePixelRatio || 1;
  v.canvasHeight = height;
  wrap.style.height = v.height + 'px';
  canvas.style.top = v.stick + 'px';
  canvas.width = Math.floor(width * v.dpr);
  canvas.height = Math.floor(height * v.dpr);
  canvas.style.width = width + 'px';
  canvas.style.height = height + 'px';
  // Where the sticky canvas sits in the wrap: below the header, within the wrap.
  const canvasTop = Math.min(Math.max(wrapTop, v.stick), wrapTop + v.height - height);
  paint(v, canvasTop - wrapTop);
  canvas.dataset.boxes = String(items.length);
  canvas.dataset.drawn = String(performance.now());
}

// The canvas height that covers the window from the wrap's top (or the header) down.
function canvasHeight(v, wrapTop) {
  return Math.max(1, Math.min(v.height, Math.ceil(innerHeight - Math.max(v.stick, wrapTop))));
}

// Draws the rows from top (pixels from the picture's top) down the canvas.
function paint(v, top) {
  v.top = top;
  const ctx = v.canvas.getContext('2d');
  ctx.setTransform(v.dpr, 0, 0, v.dpr, 0, -top * v.dpr);
  ctx.clearRect(0, top, v.width, v.canvasHeight);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  const scale = v.scale;
  const diff = v.data.diff;
  let lastFill = null;
  const gone = [], other = [], inlined = [], labels = []; // drawn after the boxes
  const last = Math.min(v.rows - 1, Math.floor((top + v.canvasHeight) / ROW));
  for (let row = Math.max(0, Math.floor(top / ROW)); row <= last; row++) {
    for (const it of v.byRow[row]) {
      const b = it.box;
      const x = b.x * scale, w = b.lw * scale, y = row * ROW;
      const f = frameOf(v, b);
      const matched = v.matches && v.matches.has(b);
      let fill;
      if (b.id < 0) fill = '#d7d7d7';
      else if (!f) fill = '#c9ccd3';
      else if (diff && v.diffSet.newShape) fill = changeColor(v, b) || '#e6e6e6';
      else if (diff) fill = '#e6e6e6';
      else fill = f.color;
      if (matched) fill = '#c38fff';
      if (fill !== lastFill) {
        // Parsing a colour costs more than the rectangle: neighbours often share one.
        ctx.fillStyle = fill;
        lastFill = fill;
      }
      ctx.fillRect(x, y, Math.max(w - 0.5, 0.5), ROW - 1);
      if (diff && !v.diffSet.newShape && b.w > 0 && b.id >= 0 && !matched && changeColor(v, b)) {
        // pprof's model: the part of the box the net change makes up, red for growth, green for
        // shrinkage.
        const frac = Math.min(Math.abs(b.cum) / b.w, 1);
        ctx.fillStyle = b.cum > 0 ? 'rgba(214,40,40,0.8)' : 'rgba(38,162,105,0.8)';
        lastFill = null;
        ctx.fillRect(x, y, Math.max(w * frac - 0.5, 0.5), ROW - 1);
      }
      if (diff && v.diffSet.newShape && b.gone && w > 4) gone.push(x, y, w);
      if (b.id < 0 && w > 4) other.push(x, y, w);
      if (b.flags & 1) inlined.push(x, y, w);
      if (w >= 14) labels.push(b, x, y, w);
    }
  }
  // The lines and labels go over all the boxes, each kind in one path: a stroke per box cost
  // more than all the boxes (a box's lines stay inside it, so the picture is the same).
  // Vanished from the new profile: hatched over the base width.
  hatch(ctx, gone, 2, 5, 'rgba(38,122,85,0.9)');
  // The boxes too narrow to draw, merged.
  hatch(ctx, other, 3, 6, '#aaa');
  if (inlined.length) {
    // Inlined into its caller: a dashed top edge.
    ctx.strokeStyle = 'rgba(0,0,0,0.55)';
    ctx.setLineDash([3, 2]);
    ctx.beginPath();
    for (let i = 0; i < inlined.length; i += 3) {
      ctx.moveTo(inlined[i], inlined[i + 1] + 0.5);
      ctx.lineTo(inlined[i] + inlined[i + 2] - 1, inlined[i + 1] + 0.5);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.fillStyle = '#1d1d1f';
  for (let i = 0; i < labels.length; i += 4) {
    const b = labels[i], x = labels[i + 1], y = labels[i + 2], w = labels[i + 3];
    const text = fitText(ctx, boxLabel(v, b), w - 6);
    if (!text) continue;
    if (b.flags & 1) ctx.font = 'italic ' + FONT;
    ctx.fillText(text, x + 3, y + ROW / 2);
    if (b.flags & 1) ctx.font = FONT;
  }
}

// The drawn box under a mouse event, or null.
function hit(v, e) {
  const r = v.wrap.getBoundingClientRect();
  const x = e.clientX - r.left, y = e.clientY - r.top;
  const row = Math.floor(y / ROW);
  const list = v.byRow && v.byRow[row];
  if (!list) return null;
  for (const it of list) {
    const bx = it.box.x * v.scale, bw = it.box.lw * v.scale;
    if (x >= bx && x < bx + bw) return it;
  }
  return null;
}

// --- tooltip ---

function parentOf(v, it) {
  const list = it.tree === 'callers' ? v.dec.callers : v.dec.boxes;
  if (it.box.parent >= 0) return list[it.box.parent];
  const anc = v.data.ancestors;
  return anc.length ? {cum: anc[anc.length - 1][2], w: anc[anc.length - 1][3]} : null;
}

function showTip(v, it, e) {
  const b = it.box, d = v.data;
  const f = frameOf(v, b);
  const tip = v.tip;
  clear(tip);
  tip.append(el('div', {className: 'flame-tip-name'}, boxName(v, b)));
  if (f && f.file) tip.append(el('div', {className: 'flame-tip-file'}, f.file));
  if (b.flags & 1) tip.append(el('div', {className: 'flame-tip-note'}, 'inlined into its caller'));
  if (it.tree === 'callers') tip.append(el('div', {className: 'flame-tip-note'}, 'caller of the pivot'));
  const rows = [];
  if (d.diff) {
    const {base, now} = baseNew(b);
    const change = (b.cum >= 0 ? '+' : '') + formatValue(b.cum, d);
    const rel = base > 0 ? `${b.cum >= 0 ? '+' : ''}${(100 * b.cum / base).toFixed(1)}%` :
      (b.cum > 0 ? 'new' : '—');
    // Stacks netted before the tree was built (a -base profile from the command line): the two
    // sides are the shrinkage and growth of the stacks beneath the box.
    const netted = !d.diff_base;
    rows.push([netted ? 'shrinkage' : 'base', formatValue(base, d)]);
    rows.push([netted ? 'growth' : 'new', formatValue(now, d)]);
    rows.push(['change', change]);
    rows.push(['change %', netted ? '—' : rel]);
    if (b.gone) rows.push(['', 'gone from the new profile']);
  }
  if (it.tree !== 'callers' && b.id >= 0) rows.push(['flat', `${formatValue(b.flat, d)} (${pct(b.flat, d.total)})`]);
  rows.push(['cum', `${formatValue(b.cum, d)} (${pct(b.cum, d.total)} of total)`]);
  const p = parentOf(v, it);
  if (p && p.cum) rows.push(['of parent', pct(b.cum, p.cum)]);
  if (b.flags & 2) rows.push(['', 'click to see the boxes too narrow to draw here']);
  const table = el('table');
  for (const [k, val] of rows) table.append(el('tr', null, el('th', null, k), el('td', null, val)));
  tip.append(table);
  tip.hidden = false;
  const tw = tip.offsetWidth, th = tip.offsetHeight;
  let left = e.clientX + 14, top = e.clientY + 14;
  if (left + tw > innerWidth - 4) left = Math.max(4, e.clientX - tw - 14);
  if (top + th > innerHeight - 4) top = Math.max(4, e.clientY - th - 14);
  tip.style.left = left + 'px';
  tip.style.top = top + 'px';
}

// --- navigation ---

function apiParams(ctx, extra) {
  const p = new URLSearchParams(ctx.params);
  for (const k of CLIENT_PARAMS) p.delete(k);
  for (const [k, val] of Object.entries(extra)) {
    if (val === null || val === undefined || val === '') p.delete(k);
    else p.set(k, String(val));
  }
  return p;
}

function zoomTo(v, node) {
  v.ctx.navigate('flamegraph', v.ctx.withParams({node}, v.ctx.params));
}

function zoomInto(v, it) {
  let b = it.box;
  const list = it.tree === 'callers' ? v.dec.callers : v.dec.boxes;
  if (b.id < 0) {
    if (b.parent < 0) return;
    b = list[b.parent];
  }
  if (b.parent < 0 && it.tree !== 'callers') return; // already the root
  zoomTo(v, `${b.id}.${v.data.depth + b.depth}`);
}

function zoomOut(v) {
  const d = v.data;
  if (d.depth === 0) return false;
  const seq = d.ancestors.length ? d.ancestors[0][0] : null;
  if (d.depth === 1 && d.side !== 'callers') zoomTo(v, null);
  else zoomTo(v, `${seq}.${d.depth - 1}`);
  return true;
}

function breadcrumbs(v) {
  const d = v.data;
  const nav = el('nav', {className: 'flame-crumbs', 'aria-label': 'Zoom path'});
  const add = (label, node, current) => {
    if (nav.childNodes.length) nav.append(el('span', {className: 'sep'}, '›'));
    if (current) {
      nav.append(el('span', {className: 'crumb current'}, label));
    } else {
      nav.append(el('a', {href: '#', className: 'crumb', onclick: (e) => {
        e.preventDefault();
        zoomTo(v, node);
      }}, label));
    }
  };
  const frameName = (i) => (i >= 0 ? v.dec.frames[i].short : 'root');
  d.ancestors.forEach((a, i) => {
    const label = i === 0 ? (d.pivot ? 'pivot' : 'root') : frameName(a[1]);
    const node = i === 0 && d.side !== 'callers' ? null : `${a[0]}.${i}`;
    add(label, node, false);
  });
  add(d.depth === 0 ? (d.pivot ? 'pivot' : 'root') : boxLabel(v, v.dec.boxes[0]), null, true);
  return nav;
}

// The context menu: show callers (pivot), focus, ignore, hide, peek, source.
function openMenu(v, it, e) {
  const f = frameOf(v, it.box);
  if (!f) return;
  const menu = v.menu;
  clear(menu);
  const fn = f.fn || f.name;
  menu.append(el('div', {className: 'popup-title'}, f.name));
  const act = (label, fnc) => el('a', {href: '#', role: 'menuitem', onclick: (ev) => {
    ev.preventDefault();
    menu.hidden = true;
    fnc();
  }}, label);
  const ctx = v.ctx;
  const go = (view, changes) => ctx.navigate(view, ctx.withParams({...changes, node: null}, ctx.params));
  menu.append(
      act('Show callers (pivot)', () => go('flamegraph', {p: exactRegexp(f.name)})),
      el('hr'),
      act('Focus on this', () => go('flamegraph', {f: exactRegexp(fn)})),
      act('Ignore', () => go('flamegraph', {i: exactRegexp(fn)})),
      act('Hide', () => go('flamegraph', {h: exactRegexp(fn)})),
      el('hr'),
      act('Peek callers/callees', () => go('peek', {f: peekRegexp(fn), p: null, bu: null})),
      act('Source', () => go('source', {f: peekRegexp(fn), p: null, bu: null})));
  menu.hidden = false;
  const w = menu.offsetWidth, h = menu.offsetHeight;
  menu.style.left = Math.max(0, Math.min(e.clientX, innerWidth - w - 4)) + 'px';
  menu.style.top = Math.max(0, Math.min(e.clientY, innerHeight - h - 4)) + 'px';
  ctx.select(fn);
}

function installKeys() {
  if (keyHandlerInstalled) return;
  keyHandlerInstalled = true;
  document.addEventListener('keydown', (e) => {
    if (!view || !view.canvas.isConnected) return;
    if (e.key === 'Escape') {
      if (view.menu && !view.menu.hidden) {
        view.menu.hidden = true;
        return;
      }
      if (document.activeElement && document.activeElement.tagName === 'INPUT') return;
      zoomOut(view);
    }
  });
  document.addEventListener('click', (e) => {
    if (view && view.menu && !e.target.closest('.flame-menu')) view.menu.hidden = true;
  });
}

// Scrolling the page (or a taller window) moves the sticky canvas over other rows: they are
// drawn once per frame; a canvas that no longer covers the window is made again.
function followScroll() {
  if (scrollFollowed) return;
  scrollFollowed = true;
  let queued = false;
  const update = () => {
    queued = false;
    const v = view;
    // A new width is the ResizeObserver's (render) to draw.
    if (!v || !v.canvas.isConnected || v.wrap.clientWidth !== v.width) return;
    const wrapTop = v.wrap.getBoundingClientRect().top;
    if (canvasHeight(v, wrapTop) > v.canvasHeight) {
      draw(v);
      return;
    }
    const top = v.canvas.getBoundingClientRect().top - wrapTop;
    if (top !== v.top) paint(v, top);
  };
  const queue = () => {
    if (!queued) requestAnimationFrame(update);
    queued = true;
  };
  addEventListener('scroll', queue, {passive: true});
  addEventListener('resize', queue);
}

function diffLegend(v) {
  const set = v.diffSet;
  const widths = set.newShape ?
    'Widths: the new profile (frames that vanished keep their base width, hatched). Colour: the change, deeper for larger changes.' :
    'Widths: base plus new beneath each frame (|base| + |new|, pprof\'s model). Coloured part: the net change.';
  const measure = set.relative ? 'relative to the frame\'s base value' : 'as a share of the total';
  const noise = set.threshold ? ` Changes under ${set.threshold}% (${measure}) are left grey.` :
    ` Change measured ${measure}.`;
  // A profile subtracted on the command line (-base) had its stacks netted first, as in pprof.
  const netted = v.data.diff_base ? '' :
    ' Samples of a stack present in both were netted first (-base): a box\'s sides are growth and shrinkage.';
  return el('div', {className: 'flame-diff-legend', id: 'flame-diff-legend'},
      el('span', {className: 'swatch grow'}), 'growth',
      el('span', {className: 'swatch shrink'}), 'shrinkage',
      el('span', {className: 'note'}, ' ' + widths + noise + netted));
}

// The diff controls: model, change measure, noise threshold; each writes the URL.
function diffControls(v) {
  const ctx = v.ctx, set = v.diffSet;
  const go = (changes) => ctx.navigate('flamegraph', ctx.withParams(changes, ctx.params), true);
  const model = el('select', {id: 'flame-diff-model', title: 'How widths and colours show the change',
    onchange: () => go({dm: model.value === 'new' ? 'new' : null})},
  el('option', {value: 'pprof'}, 'Width: base + new (pprof)'),
  el('option', {value: 'new'}, 'Width: new, coloured by change'));
  model.value = set.newShape ? 'new' : 'pprof';
  const measure = el('select', {id: 'flame-diff-measure', title: 'Colour by absolute or relative change',
    onchange: () => go({dc: measure.value === 'rel' ? 'rel' : null})},
  el('option', {value: 'abs'}, 'Absolute change'),
  el('option', {value: 'rel'}, 'Relative change'));
  measure.value = set.relative ? 'rel' : 'abs';
  const thr = el('input', {type: 'number', id: 'flame-diff-threshold', min: '0', max: '1000', step: '0.5',
    value: String(set.threshold), title: 'Leave changes under this many percent uncoloured',
    onchange: () => go({dt: parseFloat(thr.value) > 0 ? thr.value : null})});
  return el('span', {className: 'flame-diff-controls'}, model, measure,
      el('label', null, 'noise < ', thr, '%'));
}

// --- view entry points (app.js) ---

// The flame graph request for the page's settings and the view's width (rounded, so that
// small resizes share a response).
function requestParams(ctx) {
  const width = Math.max(100, Math.min(20000, Math.round((ctx.container.clientWidth || 1200) / 50) * 50));
  return apiParams(ctx, {w: width});
}

// Starts the request render() will make, while the page is still loading the profile's metadata.
export function prefetch(ctx) {
  ctx.api('flamegraph', requestParams(ctx)).catch(() => {});
}

export async function render(ctx) {
  installKeys();
  followScroll();
  const container = ctx.container;
  const data = await ctx.api('flamegraph', requestParams(ctx));
  if (!ctx.isCurrent()) return;
  ctx.setLegend(data.legend);
  const v = {ctx, data, dec: decode(data), bottomUp: ctx.params.get('bu') === '1', matches: null,
    diffSet: diffSettings(ctx.params)};
  const newShape = data.diff && v.diffSet.newShape;
  place(v.dec.boxes, newShape);
  if (v.dec.callers) place(v.dec.callers, newShape);

  const toolbar = el('div', {className: 'flame-toolbar'});
  toolbar.append(breadcrumbs(v));
  const spacer = el('span', {className: 'spacer'});
  const status = el('span', {className: 'flame-status', id: 'flame-status'});
  toolbar.append(spacer, status);
  if (data.diff) toolbar.append(diffControls(v));
  if (data.pivot) {
    toolbar.append(el('button', {type: 'button', className: 'flame-unpivot', title: 'Back to the whole tree',
      onclick: () => ctx.navigate('flamegraph', ctx.withParams({p: null, node: null}, ctx.params))},
    `Pivot: ${data.pivot} ✕`));
  }
  toolbar.append(el('button', {type: 'button', id: 'flame-orient', title: 'Root at the top (icicle) or at the bottom (flame)',
    onclick: () => ctx.navigate('flamegraph', ctx.withParams({bu: v.bottomUp ? null : '1'}, ctx.params))},
  v.bottomUp ? 'Root at top' : 'Root at bottom'));

  const wrap = el('div', {className: 'flame-wrap'});
  const canvas = el('canvas', {id: 'flame-canvas', role: 'img',
    'aria-label': 'Flame graph: hover for details, click to zoom, right-click for actions'});
  wrap.append(canvas);
  const tip = el('div', {className: 'flame-tip', hidden: true, role: 'tooltip'});
  const menu = el('div', {className: 'popup flame-menu', hidden: true, role: 'menu'});
  v.canvas = canvas;
  v.wrap = wrap;
  v.tip = tip;
  v.menu = menu;

  clear(container);
  container.append(toolbar);
  if (data.diff) container.append(diffLegend(v));
  container.append(wrap, tip, menu);
  if (data.warnings && data.warnings.length) {
    container.append(el('div', {className: 'flame-warnings'}, data.warnings.join('\n')));
  }
  view = v;
  draw(v);

  canvas.addEventListener('mousemove', (e) => {
    const it = hit(v, e);
    canvas.style.cursor = it ? 'pointer' : 'default';
    if (it) showTip(v, it, e);
    else tip.hidden = true;
  });
  canvas.addEventListener('mouseleave', () => { tip.hidden = true; });
  canvas.addEventListener('click', (e) => {
    e.stopPropagation();
    menu.hidden = true;
    const it = hit(v, e);
    if (it) zoomInto(v, it);
  });
  canvas.addEventListener('contextmenu', (e) => {
    const it = hit(v, e);
    if (!it || !frameOf(v, it.box)) return;
    e.preventDefault();
    e.stopPropagation();
    tip.hidden = true;
    openMenu(v, it, e);
  });
  let resizeTimer = null;
  const ro = new ResizeObserver(() => {
    // Its first call reports the width just drawn.
    if (wrap.clientWidth === v.width) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (view === v && canvas.isConnected) draw(v); }, 100);
  });
  ro.observe(wrap);
}

// Highlights boxes whose name matches re (null clears) and shows their share of the total.
export function highlight(re) {
  const v = view;
  if (!v || !v.canvas.isConnected) return;
  const status = document.getElementById('flame-status');
  if (!re) {
    if (!v.matches) return; // nothing highlighted: the picture is already right
    v.matches = null;
    if (status) status.textContent = '';
    draw(v);
    return;
  }
  const matches = new Set();
  let share = 0;
  // Outermost matches only count toward the share, so recursion is not counted twice.
  const walk = (boxes) => {
    const inMatch = new Array(boxes.length).fill(false);
    boxes.forEach((b, i) => {
      const f = frameOf(v, b);
      const above = b.parent >= 0 && inMatch[b.parent];
      const m = !!f && re.test(f.name);
      if (m) matches.add(b);
      if (m && !above && boxes === v.dec.boxes) share += b.cum;
      inMatch[i] = above || m;
    });
  };
  walk(v.dec.boxes);
  if (v.dec.callers) walk(v.dec.callers);
  v.matches = matches;
  if (status) {
    status.textContent = `Matched: ${formatValue(share, v.data)} (${pct(share, v.data.total)} of total)`;
  }
  draw(v);
}
