// peek: callers and callees of every function matching f (pprof's /ui/peek), one block per
// function: its callers above it, its own flat/cum row, its callees below, each with the
// weight of the call and its share of the function's cum. Names open the row menu.
import {el, clear, signClass} from '/static/util.js';

let named = [];   // [{tr, name}]

export async function render(ctx) {
  if (!ctx.params.get('f')) {
    ctx.setLegend([]);
    clear(ctx.container);
    ctx.container.append(el('p', {className: 'empty'}, 'Choose a function: click a row in Top ' +
        'and pick Peek, or type a regexp in the search box and press Enter.'));
    return;
  }
  const data = await ctx.api('peek');
  if (!ctx.isCurrent()) return;
  ctx.setLegend(data.legend);
  const diff = ctx.meta.diff;
  named = [];
  const head = el('tr', null, ...['flat', 'flat%', 'sum%', 'cum', 'cum%', 'calls', 'calls%']
      .map((h) => el('th', null, h)), el('th', {className: 'name'}, 'context'));
  const tbody = el('tbody');
  const nameCell = (name, extra) => {
    const td = el('td', {className: 'name'}, el('a', {href: '#', onclick: (e) => {
      e.preventDefault();
      ctx.select(name);
      ctx.openRowMenu(name, e);
    }}, name), extra ? el('span', {className: 'inline-mark'}, extra) : null);
    return td;
  };
  for (const ent of data.entries) {
    for (const c of ent.callers) {
      const tr = el('tr', {className: 'ctx caller'}, el('td'), el('td'), el('td'), el('td'), el('td'),
          el('td', {className: signClass(c.weight, diff)}, c.weight_fmt), el('td', null, c.pct),
          nameCell(c.name, c.inline ? '(inline)' : null));
      tbody.append(tr);
      named.push({tr, name: c.name});
    }
    const self = el('tr', {className: 'self'},
        el('td', {className: signClass(ent.flat, diff)}, ent.flat_fmt), el('td', null, ent.flat_pct),
        el('td', null, ent.sum_pct), el('td', {className: signClass(ent.cum, diff)}, ent.cum_fmt),
        el('td', null, ent.cum_pct), el('td'), el('td'), nameCell(ent.name, '| (this function)'));
    tbody.append(self);
    named.push({tr: self, name: ent.name});
    for (const c of ent.callees) {
      const tr = el('tr', {className: 'ctx callee'}, el('td'), el('td'), el('td'), el('td'), el('td'),
          el('td', {className: signClass(c.weight, diff)}, c.weight_fmt), el('td', null, c.pct),
          nameCell('    ' + c.name, c.inline ? '(inline)' : null));
      tr.lastChild.firstChild.textContent = c.name;
      tr.lastChild.style.paddingLeft = '2.5em';
      tbody.append(tr);
      named.push({tr, name: c.name});
    }
    tbody.append(el('tr', {className: 'sep'}, el('td', {colspan: 8})));
  }
  clear(ctx.container);
  if (!data.entries.length) {
    ctx.container.append(el('p', {className: 'empty'}, 'No function matches.'));
    return;
  }
  ctx.container.append(el('table', {className: 'peek', id: 'peek-table'}, el('thead', null, head), tbody));
}

export function highlight(re) {
  for (const r of named) r.tr.classList.toggle('hl', !!re && re.test(r.name));
}
