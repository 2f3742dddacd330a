// source: annotated source of the functions matching f (pprof's /ui/source). Each function is
// a block with its file; lines carry flat and cum, and lines with samples are shaded by their
// share of the function's cum. Files not found show the paths that were tried.
import {el, clear} from '/static/util.js';

let blocks = [];  // [{node, name}]

// Splits pprof's list text into one block per ROUTINE.
function parseList(text) {
  const out = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const m = line.match(/^ROUTINE =+ (.*?) in (.*)$/);
    if (m) {
      cur = {name: m[1], file: m[2], lines: []};
      out.push(cur);
    } else if (cur && line !== '') {
      cur.lines.push(line);
    }
  }
  return out;
}

// Parses a value such as "10ms", "1.50MB", "." into a comparable magnitude (relative only).
function magnitude(s) {
  const m = /^(-?[0-9.]+)([a-zA-Z]*)$/.exec(s);
  if (!m) return 0;
  const scale = {ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, hrs: 3600, B: 1, kB: 1e3, KB: 1e3,
    MB: 1e6, GB: 1e9, TB: 1e12}[m[2]] || 1;
  const v = Math.abs(parseFloat(m[1]) * scale);
  return Number.isFinite(v) ? v : 0; // "." is pprof's zero
}

function renderBlock(b) {
  const pre = el('pre', {className: 'source'});
  const rows = b.lines.map((line) => {
    const m = /^\s*(\S+)\s+(\S+)\s+(\d+):/.exec(line);
    return {line, cum: m ? magnitude(m[2]) : 0};
  });
  const max = Math.max(0, ...rows.map((r) => r.cum));
  for (const r of rows) {
    let cls = 'line';
    if (max > 0 && r.cum > 0) cls += ' hot' + Math.min(4, 1 + Math.floor((r.cum / max) * 4));
    pre.append(el('span', {className: cls}, r.line));
  }
  return el('div', {className: 'source-fn'}, el('h3', null, b.name, el('span',
      {className: 'inline-mark'}, b.file)), pre);
}

export async function render(ctx) {
  if (!ctx.params.get('f')) {
    ctx.setLegend([]);
    clear(ctx.container);
    ctx.container.append(el('p', {className: 'empty'}, 'Choose a function: click a row in Top ' +
        'and pick Source, or type a regexp in the search box and press Enter.'));
    return;
  }
  const data = await ctx.api('source');
  if (!ctx.isCurrent()) return;
  ctx.setLegend(data.legend);
  clear(ctx.container);
  blocks = [];
  const parsed = parseList(data.text || '');
  if (!parsed.length) {
    ctx.container.append(el('pre', {className: 'source'}, data.text || 'No function matches.'));
    return;
  }
  for (const b of parsed) {
    const node = renderBlock(b);
    blocks.push({node, name: b.name});
    ctx.container.append(node);
  }
}

export function highlight(re) {
  for (const b of blocks) b.node.classList.toggle('hl', !!re && re.test(b.name));
}
