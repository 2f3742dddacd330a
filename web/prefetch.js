// prefetch: the first JSON a profile's page needs, asked for from the page's head while app.js
// and its imports still load (they take several round trips before app.js can ask): the
// profile's /api/meta and, on /ui/flamegraph, the flame graph at the width the view will ask
// (flame.js's requestParams). Each response is parsed here too, while the page has nothing
// else to do. The promises wait in window.pprofwebPrefetch (URL -> {resp, body}) until app.js's
// api() asks for the same URL (app.js takes the map at start; a request it asks differently is
// simply made again). The server writes this script into the page's head (pages.h): it runs
// while the head is parsed, before the body exists, so reading the window's width costs no
// layout, and it does nothing once app.js has started.
(() => {
'use strict';
const PAGE = /^(\/p\/[A-Za-z0-9_-]+)?\/ui\/([a-z]*)$/;
// Page-only parameters (app.js settingsOnly, flame.js CLIENT_PARAMS): not sent to the API.
const PAGE_PARAMS = ['q', 'by'];
const FLAME_PAGE_PARAMS = ['q', 'by', 'bu', 'dm', 'dc', 'dt'];

function start() {
  if ('pprofwebPrefetch' in window) return; // app.js is already asking
  const m = location.pathname.match(PAGE);
  if (!m) return;
  const prefix = m[1] || '';
  const early = new Map();
  window.pprofwebPrefetch = early;
  const ask = (name, drop, extra) => {
    const p = new URLSearchParams(location.search);
    for (const k of drop) p.delete(k);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    const s = p.toString();
    const url = prefix + '/api/' + name + (s ? '?' + s : '');
    const got = fetch(url, {headers: {Accept: 'application/json'}}).then((resp) =>
      resp.json().then((body) => ({resp, body}), () => ({resp, body: undefined})));
    got.catch(() => {}); // a failure is app.js's to report, when it takes the promise
    early.set(url, got);
  };
  ask('meta', PAGE_PARAMS, {});
  if (m[2] === 'flamegraph') {
    // The view area (main) spans the window, which has no scroll bar yet (asking the root
    // element's width would wait for a layout); flame.js rounds its width the same way.
    const width = window.innerWidth || 1200;
    ask('flamegraph', FLAME_PAGE_PARAMS,
        {w: String(Math.max(100, Math.min(20000, Math.round(width / 50) * 50)))});
  }
}

start();
})();
