// graph: the call graph view (pprof's /ui/). Data: /api/graph (server/graph_view.c): the graph
// pprof's -dot draws, laid out by Graphviz in the server as inline SVG, plus the legend lines and
// a node table (SVG node title "N1" -> function name and values).
// The SVG text is parsed with DOMParser as image/svg+xml and its nodes imported: profile strings
// in it are XML text and attribute values, never markup, and nothing goes through innerHTML.
// Drag pans, the wheel (or a pinch) zooms around the pointer, the buttons zoom and reset. A click
// on a node selects it and opens the row menu (focus, ignore, ... in the URL); highlight(re)
// marks the nodes whose names match the search. Zoom and pan are not kept in the URL.
import {el, clear} from '/static/util.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';
const MIN_SCALE = 0.1, MAX_SCALE = 40;

let nodes = [];      // [{g, name}] of the drawn graph
let current = null;  // the search regexp, for a graph drawn later

// Drops what an SVG drawing never needs and a browser would act on: scripts, foreign content,
// event handler attributes and links that are not http(s). The server never writes them; this
// keeps the page safe even if it did.
function scrub(root) {
  for (const e of [...root.querySelectorAll('script, foreignObject, iframe, use, image')]) e.remove();
  for (const e of [root, ...root.querySelectorAll('*')]) {
    for (const a of [...e.attributes]) {
      if (/^on/i.test(a.name)) e.removeAttribute(a.name);
      else if (/(^|:)href$/i.test(a.name) && !/^https?:\/\//i.test(a.value.trim())) {
        e.removeAttributeNS(a.namespaceURI, a.localName);
      }
    }
  }
  // Links open in a new tab, never replace the page.
  for (const a of root.querySelectorAll('a')) {
    if (a.getAttributeNS(XLINK_NS, 'href') || a.getAttribute('href')) {
      a.setAttribute('target', '_blank');
      a.setAttribute('rel', 'noopener noreferrer');
    }
  }
}

function parseSVG(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== 'svg' ||
      doc.getElementsByTagName('parsererror').length) {
    throw new Error('the server sent a graph the page cannot read');
  }
  scrub(root);
  return document.importNode(root, true);
}

// Pan and zoom: a <g> around Graphviz's drawing, transformed by translate(tx, ty) scale(k) in the
// viewBox's coordinates.
// home() is the starting view: the whole drawing, but never larger than Graphviz drew it (a
// five-node graph would otherwise fill the screen with giant text).
function panZoom(svg, group, wrap, size) {
  const t = {k: 1, x: 0, y: 0};
  const apply = () => group.setAttribute('transform', `translate(${t.x} ${t.y}) scale(${t.k})`);
  // A client point in viewBox coordinates (outside the group).
  const toSVG = (cx, cy) => {
    const m = svg.getScreenCTM();
    if (!m) return {x: 0, y: 0};
    const p = new DOMPoint(cx, cy).matrixTransform(m.inverse());
    return {x: p.x, y: p.y};
  };
  const zoomAt = (factor, cx, cy) => {
    const k = Math.min(MAX_SCALE, Math.max(MIN_SCALE, t.k * factor));
    const f = k / t.k;
    const p = toSVG(cx, cy);
    t.x = p.x - (p.x - t.x) * f;
    t.y = p.y - (p.y - t.y) * f;
    t.k = k;
    apply();
  };
  const center = () => {
    const r = svg.getBoundingClientRect();
    return [r.left + r.width / 2, r.top + r.height / 2];
  };
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    // Trackpad pinches arrive as wheel events with ctrlKey, in finer steps.
    const step = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    zoomAt(Math.exp(-step * (e.ctrlKey ? 0.01 : 0.002)), e.clientX, e.clientY);
  }, {passive: false});

  const pointers = new Map();
  let drag = null;      // {x, y, moved} of a one-pointer drag
  let pinch = null;     // distance between two pointers
  svg.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    pointers.set(e.pointerId, {x: e.clientX, y: e.clientY});
    if (pointers.size === 1) drag = {x: e.clientX, y: e.clientY, moved: false};
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = Math.hypot(a.x - b.x, a.y - b.y);
    }
  });
  svg.addEventListener('pointermove', (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, {x: e.clientX, y: e.clientY});
    if (pointers.size === 2 && pinch) {
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      if (d > 0) zoomAt(d / pinch, (a.x + b.x) / 2, (a.y + b.y) / 2);
      pinch = d;
      if (drag) drag.moved = true;
      return;
    }
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) svg.setPointerCapture(e.pointerId);
    drag.moved = true;
    const p0 = toSVG(drag.x, drag.y), p1 = toSVG(e.clientX, e.clientY);
    t.x += p1.x - p0.x;
    t.y += p1.y - p0.y;
    drag.x = e.clientX;
    drag.y = e.clientY;
    wrap.classList.add('dragging');
    apply();
  });
  const end = (e) => {
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size === 0) {
      wrap.classList.remove('dragging');
      // The click that ends a drag must not select a node.
      if (drag && drag.moved) svg.dataset.dragged = '1';
      drag = null;
    }
  };
  svg.addEventListener('pointerup', end);
  svg.addEventListener('pointercancel', end);
  const home = () => {
    const r = svg.getBoundingClientRect();
    const fit = size.width > 0 && size.height > 0 ?
      Math.min(r.width / size.width, r.height / size.height) : 0;
    const natural = 96 / 72;  // CSS pixels per point
    t.k = fit > natural ? natural / fit : 1;
    // scale around the middle of the viewBox
    t.x = size.width / 2 * (1 - t.k);
    t.y = size.height / 2 * (1 - t.k);
    apply();
  };
  return {
    zoomIn: () => zoomAt(1.25, ...center()),
    zoomOut: () => zoomAt(0.8, ...center()),
    reset: home,
  };
}

export async function render(ctx) {
  const data = await ctx.api('graph');
  if (!ctx.isCurrent()) return;
  ctx.setLegend(data.legend);
  nodes = [];
  if (!data.nodes.length) {
    clear(ctx.container);
    ctx.container.append(el('p', {className: 'empty'}, 'No samples match these settings.'));
    return;
  }
  const svg = parseSVG(data.svg);
  svg.setAttribute('id', 'graph-svg');
  svg.setAttribute('width', '100%');
  svg.setAttribute('height', '100%');
  // Everything Graphviz drew goes into the group that pans and zooms.
  const group = document.createElementNS(SVG_NS, 'g');
  group.setAttribute('class', 'pan-zoom');
  while (svg.firstChild) group.append(svg.firstChild);
  svg.append(group);
  // Graphviz's own tooltips (<a xlink:title>) stay; node titles ("N1") would add a second one.
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  for (const g of svg.querySelectorAll('g.node')) {
    const title = g.querySelector(':scope > title');
    const info = title && byId.get(title.textContent);
    if (!info) continue;
    title.remove();
    g.dataset.name = info.name;
    g.classList.add('fn');
    if (current && current.test(info.name)) g.classList.add('hl');
    nodes.push({g, name: info.name});
  }
  for (const t of svg.querySelectorAll('g.edge > title, g.graph > title')) t.remove();

  const wrap = el('div', {className: 'graph-wrap', id: 'graph-wrap'});
  const vb = (svg.getAttribute('viewBox') || '').trim().split(/[\s,]+/).map(Number);
  const pz = panZoom(svg, group, wrap, {width: vb[2] || 0, height: vb[3] || 0});
  const button = (label, title, fn, id) =>
    el('button', {type: 'button', title, id, onclick: (e) => { e.stopPropagation(); fn(); }}, label);
  const tools = el('div', {className: 'graph-tools'},
      button('+', 'Zoom in', pz.zoomIn, 'graph-zoom-in'),
      button('\u2212', 'Zoom out', pz.zoomOut, 'graph-zoom-out'),
      button('Reset', 'Reset zoom and pan', pz.reset, 'graph-reset'));
  wrap.append(svg, tools);
  svg.addEventListener('click', (e) => {
    if (svg.dataset.dragged) {
      delete svg.dataset.dragged;
      return;
    }
    const g = e.target.closest('g.node.fn');
    if (!g) return;
    e.preventDefault();
    for (const s of svg.querySelectorAll('g.node.selected')) s.classList.remove('selected');
    g.classList.add('selected');
    ctx.select(g.dataset.name);
    ctx.openRowMenu(g.dataset.name, e);
  });
  clear(ctx.container);
  ctx.container.append(wrap);
  // The view fills the window below the header and legend.
  const fit = () => {
    if (!wrap.isConnected) {
      removeEventListener('resize', fit);
      return;
    }
    const top = wrap.getBoundingClientRect().top + scrollY;
    wrap.style.height = Math.max(240, innerHeight - top - 12) + 'px';
  };
  addEventListener('resize', fit);
  fit();
  pz.reset();
}

// Marks nodes whose function name matches re (null clears).
export function highlight(re) {
  current = re;
  for (const n of nodes) n.g.classList.toggle('hl', !!re && re.test(n.name));
}
