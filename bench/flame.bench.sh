#!/usr/bin/env bash
# Flame graph benchmark (called by bench/run.sh with the M and L profiles): for each profile,
# starts pprofweb -http on 127.0.0.1, then prints the server time and response bytes of
# /api/flamegraph (first request: the report pipeline and the stacks; repeated: the view cache;
# a zoom into the widest child: a subtree from the cached stacks), and the time from navigation
# until the frame that shows the drawn canvas is painted in headless chromium on a fresh server
# (when chromium and playwright-core are installed: make test-deps). Targets: on M server < 0.3 s, < 2 MB, drawn
# < 0.6 s; on L drawn < 1 s.
set -u
cd "$(dirname "$0")/.."
bin=build/pprofweb
[ -x $bin ] || { echo "flame bench: build pprofweb first"; exit 0; }

. bench/lib.sh
log=build/flame-bench-server.log
trap 'server_stop' EXIT

request() { # label path
    curl -s -o build/flame-bench.json -w "%{time_total} %{size_download}" "$SERVER_URL$2" |
        awk -v l="$1" '{ printf "%-40s %8.3f s %10.2f MB\n", l, $1, $2 / 1048576 }'
}

draw_time() { # label: sets DRAWN to "SECONDS BOXES DRAWN_MS": the time from navigation until the
    # frame showing the drawn canvas is painted, the boxes, and the page's own clock at the draw
    local node=tests/browser/node_modules/playwright-core
    if [ ! -d $node ] || ! command -v chromium > /dev/null; then
        echo "$1: skipped (needs chromium and playwright-core: make test-deps)"; return 1
    fi
    # The page tells when: a mutation observer sees the canvas marked drawn, then waits for the
    # frame after it. Polling with waitForSelector instead adds its own schedule (0, 20, 50, 100,
    # 100, 500 ms after the load event) and compiles Playwright's selector engine in the page,
    # 30-50 ms of the page's main thread, right while it draws.
    DRAWN=$(cd tests/browser && node --input-type=module -e "
import {chromium} from 'playwright-core';
const b = await chromium.launch({executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu']});
const page = await b.newPage({viewport: {width: 1400, height: 900}});
const t0 = Date.now();
await page.goto('$SERVER_URL/ui/flamegraph');
const r = await page.evaluate(() => new Promise((resolve) => {
  const canvas = () => document.querySelector('#flame-canvas[data-drawn]');
  const painted = () => requestAnimationFrame(() => setTimeout(() => resolve({
    boxes: canvas().dataset.boxes, drawn: Number(canvas().dataset.drawn)})));
  if (canvas()) return painted();
  const seen = new MutationObserver(() => { if (canvas()) { seen.disconnect(); painted(); } });
  seen.observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-drawn']});
}));
const t = (Date.now() - t0) / 1000;
console.log(t.toFixed(3) + ' ' + r.boxes + ' ' + Math.round(r.drawn));
await b.close();
") || { echo "$1: failed"; return 1; }
}

echo "== flame graph (targets: on M server < 0.3 s, < 2 MB, drawn < 0.6 s; on L drawn < 1 s)"
for prof in "$@"; do
    [ -f "$prof" ] || continue
    name=$(basename "$prof")
    # Drawn from a cold server, once per fresh server (BENCH_DRAW_RUNS, default 3): the median
    # and the spread, as Chromium's own start-up makes single runs vary by a third.
    draws=() clocks=()
    boxes=
    for _ in $(seq "${BENCH_DRAW_RUNS:-3}"); do
        server_start $log "$prof" || break
        draw_time "flame drawn (cold server) $name" || { server_stop; break; }
        server_stop
        read -r t boxes ms <<< "$DRAWN"
        draws+=("$t") clocks+=("$ms")
    done
    if [ ${#draws[@]} -gt 0 ]; then
        sorted=$(printf '%s\n' "${draws[@]}" | sort -g)
        printf '%-40s %8.3f s median %6.3f .. %.3f s %8s boxes (%d cold servers; drawn at %s ms of the page clock)\n' \
            "flame drawn (cold server) $name" "$(median "${draws[@]}")" \
            "$(echo "$sorted" | head -n1)" "$(echo "$sorted" | tail -n1)" "$boxes" ${#draws[@]} \
            "$(median "${clocks[@]}")"
    fi
    server_start $log "$prof" || continue
    # The server's warm-up builds the flame graph's stacks for its initial settings at start,
    # beside the graph or after it (without labels): asked right away, they may still be in the
    # making (the cold draw above includes that); a new setting builds them again per request.
    request "flame JSON first, right after start $name" "/api/flamegraph?w=1400"
    request "flame JSON repeated $name" "/api/flamegraph?w=1400"
    node=$(python3 -c "
import json
d = json.load(open('build/flame-bench.json'))
k = len(d['fields']); n = d['nodes']
kids = [i for i in range(k, len(n), k) if n[i + 1] == 0 and n[i] >= 0]
best = max(kids, key=lambda i: n[i + 3]) if kids else None
print('' if best is None else '%d.1' % n[best])" 2> /dev/null)
    [ -n "$node" ] && request "flame JSON zoom $name" "/api/flamegraph?w=1400&node=$node"
    request "flame JSON other width $name" "/api/flamegraph?w=1000"
    request "flame JSON first, new setting $name" "/api/flamegraph?w=1400&si=0"
    server_stop
done
rm -f build/flame-bench.json
exit 0
