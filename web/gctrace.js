// gctrace: the GC view of a GODEBUG=gctrace=1 log (/api/gctrace). A chart of the heap at the
// start and end of each cycle, the live heap after marking and the goal, over the program's
// time; the GC's share of CPU; a table of the cycles with the clock time of their phases; and
// the gc lines that could not be read, with their numbers. SVG is built with createElementNS
// and text through textContent: nothing from the log reaches innerHTML.
import {el} from '/static/util.js';

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}

const SERIES = [
  ['heap_start_mb', 'heap at start', '#d9822b'],
  ['heap_end_mb', 'heap at end', '#c23030'],
  ['heap_live_mb', 'live heap', '#2b6cb0'],
  ['goal_mb', 'goal', '#7a7a7a'],
];

function chart(cycles, series, unit, title, width = 1000, height = 240) {
  const pad = {l: 56, r: 32, t: 24, b: 28};
  const xs = cycles.map((c) => c.at_s);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1e-9);
  let ymax = 0;
  for (const [k] of series) for (const c of cycles) if (c[k] !== undefined) ymax = Math.max(ymax, c[k]);
  ymax = ymax || 1;
  const X = (v) => pad.l + (v - x0) / (x1 - x0) * (width - pad.l - pad.r);
  const Y = (v) => height - pad.b - v / ymax * (height - pad.t - pad.b);
  const s = svg('svg', {width, height, viewBox: `0 0 ${width} ${height}`, class: 'gc-chart'});
  s.append(svg('text', {x: pad.l, y: 14, class: 'gc-title'}, title));
  for (let i = 0; i <= 4; i++) {
    const v = ymax * i / 4;
    s.append(svg('line', {x1: pad.l, x2: width - pad.r, y1: Y(v), y2: Y(v), class: 'gc-grid'}));
    s.append(svg('text', {x: pad.l - 6, y: Y(v) + 4, 'text-anchor': 'end'}, `${+v.toPrecision(3)} ${unit}`));
  }
  for (let i = 0; i <= 4; i++) {
    const v = x0 + (x1 - x0) * i / 4;
    s.append(svg('text', {x: X(v), y: height - 8, 'text-anchor': 'middle'}, `${+v.toPrecision(3)} s`));
  }
  series.forEach(([k, name, color], i) => {
    const pts = cycles.filter((c) => c[k] !== undefined).map((c) => `${X(c.at_s).toFixed(1)},${Y(c[k]).toFixed(1)}`);
    s.append(svg('polyline', {points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5}));
    s.append(svg('text', {x: width - pad.r - 120 * (series.length - i), y: 14, fill: color}, name));
  });
  return s;
}

function num(v, digits = 3) {
  return v === undefined ? '' : String(+v.toPrecision(digits));
}

export async function render(ctx) {
  const r = await ctx.api('gctrace', new URLSearchParams());
  if (!ctx.isCurrent()) return;
  const log = r.log;
  const c = log.cycles;
  ctx.setLegend([
    `GC trace: ${c.length} cycles over ${num(c[c.length - 1].at_s - c[0].at_s)} s`,
    `Lines: ${log.lines}, of which ${log.other_lines} are the program's own and ${log.unreadable} unreadable gc lines`,
  ]);
  const box = ctx.container;
  box.textContent = '';
  box.append(chart(c, SERIES, 'MB', 'Heap per cycle (MB)'));
  box.append(chart(c, [['cpu_pct', 'GC CPU % since start', '#2f855a']], '%', 'GC share of CPU (%)', 1000, 160));
  const phases = Math.max(...c.map((x) => x.clock_ms.length));
  const names = phases === 3 ? ['sweep term. ms', 'mark ms', 'mark term. ms'] : Array.from({length: phases}, (_, i) => `phase ${i + 1} ms`);
  const head = el('tr', null, ...['gc', '@ s', 'CPU %', ...names, 'CPU ms', 'start MB', 'end MB', 'live MB', 'goal MB', 'stacks MB', 'globals MB', 'P', ''].map((h) => el('th', null, h)));
  const table = el('table', {className: 'gc-cycles'}, el('thead', null, head));
  const body = el('tbody');
  for (const x of c) {
    const cells = [x.n, num(x.at_s, 4), num(x.cpu_pct), ...Array.from({length: phases}, (_, i) => num(x.clock_ms[i])),
      num(x.cpu_ms), num(x.heap_start_mb), num(x.heap_end_mb), num(x.heap_live_mb), num(x.goal_mb),
      num(x.stacks_mb), num(x.globals_mb), x.procs, x.forced ? 'forced' : ''];
    body.append(el('tr', null, ...cells.map((v) => el('td', null, String(v)))));
  }
  table.append(body);
  box.append(table);
  if (log.unreadable) {
    const list = el('ul', {className: 'gc-unreadable'},
        ...log.unreadable_lines.map((b) => el('li', null, `line ${b.line}: ${b.why}: ${b.text}`)));
    box.append(el('h3', null, `${log.unreadable} gc lines could not be read`), list);
  }
}
