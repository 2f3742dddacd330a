// top: the top table (pprof's /ui/top): flat, flat%, sum%, cum, cum%, name, for every node.
// Clicking flat or cum headers re-sorts on the server (pprof's sort=cum); clicking the name
// header sorts by name here (by=name in the URL). Clicking a row opens the row menu.
import {el, clear, signClass} from '/static/util.js';

let rows = [];   // [{tr, name}]

export async function render(ctx) {
  const data = await ctx.api('top');
  if (!ctx.isCurrent()) return;
  ctx.setLegend(data.legend);
  const diff = ctx.meta.diff;
  const byName = ctx.params.get('by') === 'name';
  const sortCum = ctx.params.get('sort') === 'cum' ||
      (!ctx.params.has('sort') && /(^|&)sort=cum/.test(ctx.meta.base_query));
  let items = data.rows;
  if (byName) items = [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const sortBy = (key) => () => {
    if (key === 'name') ctx.navigate('top', ctx.withParams({by: 'name'}, ctx.params));
    else ctx.navigate('top', ctx.withParams({sort: key === 'cum' ? 'cum' : null, by: null}));
  };
  const th = (label, key, cls) => el('th', {className: cls, onclick: sortBy(key),
    title: `Sort by ${key}`}, label);
  const head = el('tr', null,
      th('flat', 'flat', !byName && !sortCum ? 'sorted' : null),
      th('flat%', 'flat', null),
      th('sum%', 'flat', null),
      th('cum', 'cum', !byName && sortCum ? 'sorted' : null),
      th('cum%', 'cum', null),
      th('name', 'name', 'name' + (byName ? ' sorted' : '')));
  const tbody = el('tbody');
  rows = [];
  const frag = document.createDocumentFragment();
  for (const it of items) {
    const tr = document.createElement('tr');
    const cell = (text, cls) => {
      const td = document.createElement('td');
      if (cls) td.className = cls;
      td.textContent = text;
      tr.append(td);
      return td;
    };
    cell(it.flat_fmt, signClass(it.flat, diff));
    cell(it.flat_pct);
    cell(byName ? '' : it.sum_pct);
    cell(it.cum_fmt, signClass(it.cum, diff));
    cell(it.cum_pct);
    const name = cell(it.name, 'name');
    if (it.inline) name.append(el('span', {className: 'inline-mark'}, it.inline));
    tr.dataset.name = it.name;
    frag.append(tr);
    rows.push({tr, name: it.name});
  }
  tbody.append(frag);
  tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    for (const r of tbody.querySelectorAll('tr.selected')) r.classList.remove('selected');
    tr.classList.add('selected');
    ctx.select(tr.dataset.name);
    ctx.openRowMenu(tr.dataset.name, e);
  });
  const table = el('table', {className: 'top', id: 'top-table'}, el('thead', null, head), tbody);
  clear(ctx.container);
  if (!items.length) {
    ctx.container.append(el('p', {className: 'empty'}, 'No samples match these settings.'));
    return;
  }
  ctx.container.append(table);
}

// Highlights rows whose name matches re (null clears).
export function highlight(re) {
  for (const r of rows) r.tr.classList.toggle('hl', !!re && re.test(r.name));
}
