// memstats: the runtime.MemStats panel of a Go ?debug=1 heap page. It reads
// meta.memstats_fields (/api/meta: groups of figures with their unit and one-line meaning) and
// draws a table per group: bytes in MiB, times as durations, each figure's meaning on hover.
// Every string goes through textContent (el); nothing is put into innerHTML.
import {el} from '/static/util.js';

export function mib(bytes) {
  return `${(bytes / 1048576).toFixed(bytes >= 100 * 1048576 ? 0 : 1)} MiB`;
}

export function duration(ns) {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns} ns`;
}

function shown(f) {
  switch (f.unit) {
    case 'bytes': return mib(f.value);
    case 'time': return f.value ? new Date(f.value / 1e6).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'never';
    default: return f.value.toLocaleString('en-US');
  }
}

function row(name, value, doc) {
  return el('tr', {title: doc}, el('th', null, name), el('td', null, value));
}

// The panel (a <details>, open) for meta, or null when the profile has no MemStats.
export function memstatsPanel(meta) {
  const m = meta && meta.memstats_fields;
  if (!m) return null;
  const box = el('div', {className: 'memstats-groups'});
  for (const g of m.groups) {
    const t = el('table', {className: 'memstats-group'}, el('caption', null, g.name));
    for (const f of g.figures) t.append(row(f.name, shown(f), f.doc));
    if (g.name === 'Garbage collector') {
      t.append(row('GC CPU (GCCPUFraction)', `${Number((m.gc_cpu_fraction * 100).toPrecision(3))} %`, m.gc_cpu_fraction_doc));
      const p = m.pauses;
      if (p.count) {
        t.append(row('Last pause', duration(p.last_ns), p.doc));
        t.append(row(`Pauses p50 / p90 / p99 (of ${p.count})`,
            `${duration(p.p50_ns)} / ${duration(p.p90_ns)} / ${duration(p.p99_ns)}`, p.doc));
        t.append(row('Longest pause', duration(p.max_ns), p.doc));
      }
    }
    box.append(t);
  }
  const raw = el('details', null, el('summary', null, 'as printed'), el('pre', null, meta.memstats));
  const d = el('details', {className: 'memstats', id: 'memstats'}, el('summary', null, 'runtime.MemStats'), box, raw);
  d.open = true;
  return d;
}
