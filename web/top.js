// top: the top table (pprof's /ui/top): flat, flat%, sum%, cum, cum%, name, for every node.
// Clicking flat or cum headers re-sorts on the server (pprof's sort=cum); clicking the name
// header sorts by name here (by=name in the URL). Clicking a row opens the row menu.
// A comparison (base= or diff_base=) adds base, new, change and change % columns in front, for
// flat (or cum with sort=cum); by=change and by=changepct sort by them, largest first.
import {el, clear, signClass} from '/static/util.js';

const VIRTUAL_MIN = 500;  // rows drawn all at once up to this many
const ROW_H = 20;         // px, fixed row height of long tables (style.css: table.top.virtual)
const OVERSCAN = 40;      // rows drawn above and below the viewport

let rows = [];   // [{tr, name}] of the rows drawn so far
let current = null; // the search regexp, applied to rows drawn later too

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
  // Comparison columns: of flat, or of cum when sorted by cum.
  const cmp = data.compare && items.length && 'base_flat' in items[0];
  const m = sortCum ? 'cum' : 'flat';
  const by = ctx.params.get('by');
  const changePct = (it) => (it['base_' + m] ? 100 * it[m] / Math.abs(it['base_' + m]) :
    (it[m] ? Infinity * Math.sign(it[m]) : 0));
  if (cmp && by === 'change') items = [...items].sort((a, b) => Math.abs(b[m]) - Math.abs(a[m]));
  if (cmp && by === 'changepct') items = [...items].sort((a, b) => Math.abs(changePct(b)) - Math.abs(changePct(a)));

  const sortBy = (key) => () => {
    if (key === 'name' || key === 'change' || key === 'changepct') ctx.navigate('top', ctx.withParams({by: key}, ctx.params));
    else ctx.navigate('top', ctx.withParams({sort: key === 'cum' ? 'cum' : null, by: null}));
  };
  const th = (label, key, cls) => el('th', {className: cls, onclick: sortBy(key),
    title: `Sort by ${key}`}, label);
  const cmpHead = cmp ? [
    el('th', {title: `The base profile's ${m}`}, `base ${m}`),
    el('th', {title: `The new profile's ${m}`}, `new ${m}`),
    th('change', 'change', 'change' + (by === 'change' ? ' sorted' : '')),
    th('change %', 'changepct', 'change' + (by === 'changepct' ? ' sorted' : ''))] : [];
  const plain = !byName && !(cmp && (by === 'change' || by === 'changepct'));
  const head = el('tr', null, ...cmpHead,
      th('flat', 'flat', plain && !sortCum ? 'sorted' : null),
      th('flat%', 'flat', null),
      th('sum%', 'flat', null),
      th('cum', 'cum', plain && sortCum ? 'sorted' : null),
      th('cum%', 'cum', null),
      th('name', 'name', 'name' + (byName ? ' sorted' : '')));
  const tbody = el('tbody');
  rows = [];
  const buildRow = (it) => {
    const tr = document.createElement('tr');
    const cell = (text, cls) => {
      const td = document.createElement('td');
      if (cls) td.className = cls;
      td.textContent = text;
      tr.append(td);
      return td;
    };
    if (cmp) {
      cell(it[`base_${m}_fmt`]);
      cell(it[`new_${m}_fmt`]);
      cell((it[m] > 0 ? '+' : '') + it[`${m}_fmt`], signClass(it[m], true));
      const p = changePct(it);
      cell(!isFinite(p) ? (p > 0 ? 'new' : '') : `${p > 0 ? '+' : ''}${p.toFixed(1)}%`, signClass(it[m], true));
    }
    cell(it.flat_fmt, signClass(it.flat, diff));
    cell(it.flat_pct);
    cell(byName || !plain ? '' : it.sum_pct);
    cell(it.cum_fmt, signClass(it.cum, diff));
    cell(it.cum_pct);
    const name = cell(it.name, 'name');
    if (it.inline) name.append(el('span', {className: 'inline-mark'}, it.inline));
    tr.dataset.name = it.name;
    if (current && current.test(it.name)) tr.classList.add('hl');
    rows.push({tr, name: it.name});
    return tr;
  };
  // Up to VIRTUAL_MIN rows are all in the page. Longer tables (tens of thousands of rows when
  // trimming is off) keep only the rows near the viewport in the DOM, between two spacer rows,
  // and redraw on scroll: laying out every row of such a table takes seconds.
  const table = el('table', {className: 'top', id: 'top-table'}, el('thead', null, head), tbody);
  if (items.length <= VIRTUAL_MIN) {
    const frag = document.createDocumentFragment();
    for (const it of items) frag.append(buildRow(it));
    tbody.append(frag);
  } else {
    table.classList.add('virtual');
    const pad = () => el('tr', {className: 'pad'}, el('td', {colspan: cmp ? 10 : 6}));
    const topPad = pad(), bottomPad = pad();
    let drawn = [-1, -1];
    const draw = () => {
      if (!tbody.isConnected) {
        removeEventListener('scroll', onScroll);
        removeEventListener('resize', onScroll);
        return;
      }
      const top = tbody.getBoundingClientRect().top;
      const first = Math.max(0, Math.floor(-top / ROW_H) - OVERSCAN);
      const last = Math.min(items.length, first + Math.ceil(innerHeight / ROW_H) + 2 * OVERSCAN);
      if (first === drawn[0] && last === drawn[1]) return;
      drawn = [first, last];
      rows = [];
      const frag = document.createDocumentFragment();
      topPad.firstChild.style.height = first * ROW_H + 'px';
      bottomPad.firstChild.style.height = (items.length - last) * ROW_H + 'px';
      frag.append(topPad);
      for (let i = first; i < last; i++) frag.append(buildRow(items[i]));
      frag.append(bottomPad);
      clear(tbody);
      tbody.append(frag);
    };
    let pending = false;
    const onScroll = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; draw(); });
    };
    addEventListener('scroll', onScroll, {passive: true});
    addEventListener('resize', onScroll, {passive: true});
    requestAnimationFrame(draw);
    // Drawn once synchronously below, after the table is in the page.
    table.drawVirtual = draw;
  }
  tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    for (const r of tbody.querySelectorAll('tr.selected')) r.classList.remove('selected');
    tr.classList.add('selected');
    ctx.select(tr.dataset.name);
    ctx.openRowMenu(tr.dataset.name, e);
  });
  clear(ctx.container);
  if (!items.length) {
    ctx.container.append(el('p', {className: 'empty'}, 'No samples match these settings.'));
    return;
  }
  ctx.container.append(table);
  if (table.drawVirtual) table.drawVirtual();
}

// Highlights rows whose name matches re (null clears).
export function highlight(re) {
  current = re;
  for (const r of rows) {
    const on = !!re && re.test(r.name);
    if (on !== r.tr.classList.contains('hl')) r.tr.classList.toggle('hl', on);
  }
}
