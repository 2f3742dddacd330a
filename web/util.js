// util: DOM helpers, and the token and formatting helpers the start page's parts share. Profile
// strings only ever reach the page through textContent and setAttribute, never through innerHTML.

// el('td', {className: 'name', title: s, onclick: f}, child...) builds an element. Strings and
// numbers among the children become text nodes; null and false are skipped.
export function el(tag, props, ...children) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'className') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// Go's regexp.QuoteMeta.
export function quoteMeta(s) {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

// The regexp that matches exactly one node name, as pprof's UI builds it.
export function exactRegexp(name) {
  return '^' + quoteMeta(name) + '$';
}

// The regexp for peek and source: at line granularity their names are "name file:line".
export function peekRegexp(name) {
  return '^' + quoteMeta(name) + '( |$)';
}

// Compiles a user's search text; returns null for empty text, throws on a bad regexp.
export function searchRegexp(text) {
  if (!text) return null;
  return new RegExp(text);
}

let toastTimer = null;
export function toast(msg) {
  let t = document.querySelector('.toast');
  if (!t) {
    t = el('div', {className: 'toast', role: 'status'});
    document.body.append(t);
  }
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 1800);
}

// Class for a signed value in diff profiles: growth is red, shrinkage green.
export function signClass(v, diff) {
  if (!diff || v === 0) return null;
  return v > 0 ? 'pos' : 'neg';
}

// The access token the start page saved (sent as Authorization: Bearer), '' when none.
const TOKEN_KEY = 'pprofweb_token';
export function token() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
}
export function saveToken(value) {
  try { localStorage.setItem(TOKEN_KEY, value); } catch (e) { /* private mode */ }
}

// Bytes as "1.5 MB".
export function fmtSize(n) {
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + ' GB';
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MB';
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + ' kB';
  return n + ' B';
}

// UTC "YYYY-MM-DD HH:MM" of milliseconds since the epoch; '' for none.
export function fmtTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  return isNaN(d) ? '' : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}
