// goroutines: the goroutines panel of a goroutine dump (debug=2, a panic's traceback). It reads
// /api/goroutines with the view's refinements (identical stacks grouped, largest first; the
// focus, hide and tag filters the other views apply) and lists each group as
// "12 goroutines · chan receive · 15–940 minutes · created by main.main" over its frames.
// Every string goes through textContent (el); nothing is put into innerHTML.
import {el} from '/static/util.js';

export function isDump(meta) {
  return !!(meta && meta.sample_types && meta.sample_types[0] &&
    meta.sample_types[0].type === 'goroutine' && meta.label_keys &&
    (meta.label_keys.string || []).includes('state'));
}

function waitText(g) {
  if (g.wait_min === undefined) return null;
  if (g.wait_min === g.wait_max) return `waiting ${g.wait_min} minute${g.wait_min === 1 ? '' : 's'}`;
  return `waiting ${g.wait_min}–${g.wait_max} minutes`;
}

export function summaryLine(g) {
  const parts = [`${g.count.toLocaleString('en-US')} goroutine${g.count === 1 ? '' : 's'}`];
  if (g.states.length) parts.push(g.states.map((s) => g.states.length > 1 ? `${s.value} (${s.count})` : s.value).join(', '));
  const w = waitText(g);
  if (w) parts.push(w);
  if (g.locked) parts.push(g.locked === g.count ? 'locked to thread' : `${g.locked} locked to thread`);
  if (g.created_by.length) parts.push('created by ' + g.created_by.map((c) => c.value).join(', '));
  return parts.join(' · ');
}

// The panel (a <details>) for meta, filled when /api/goroutines answers; null for other profiles.
export function goroutinesPanel(meta, api) {
  if (!isDump(meta)) return null;
  const list = el('div', {className: 'goroutine-groups'}, 'Loading…');
  const summary = el('summary', null, 'Goroutines');
  const d = el('details', {className: 'memstats', id: 'goroutines'}, summary, list);
  d.open = true;
  api('goroutines').then((r) => {
    summary.textContent = `Goroutines: ${r.goroutines.toLocaleString('en-US')} in ${r.groups.length} groups of identical stacks`;
    list.textContent = '';
    r.groups.forEach((g, i) => {
      const frames = el('ol', {className: 'goroutine-frames'},
          ...g.frames.map((f) => el('li', null, el('span', {className: 'fn'}, f.function), ` ${f.file}:${f.line}`)));
      const item = el('details', {className: 'goroutine-group'}, el('summary', null, summaryLine(g)), frames);
      item.open = i < 3;
      list.append(item);
    });
  }, (e) => { list.textContent = e.message; });
  return d;
}
